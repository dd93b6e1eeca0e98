using SNoJoE.Evaluation.Metrics;

namespace SNoJoE.Evaluation.Tests;

public sealed class RankingMetricsTests
{
    [Fact]
    public void Average_precision_of_a_hand_ranked_list()
    {
        // + - + - : precision 1 at the first hit, 2/3 at the second, each adding recall 1/2.
        Assert.Equal(0.5 * 1 + 0.5 * (2d / 3), RankingMetrics.AveragePrecision([0.9, 0.8, 0.7, 0.6], [true, false, true, false]), 12);
    }

    [Fact]
    public void Tied_scores_are_one_threshold_as_in_scikit_learn()
    {
        // sklearn.metrics.average_precision_score([1, 0, 1], [1, 1, 0]) == 0.5833...
        Assert.Equal(0.5 * 0.5 + 0.5 * (2d / 3), RankingMetrics.AveragePrecision([1, 1, 0], [true, false, true]), 12);
    }

    [Fact]
    public void Perfect_and_worst_rankings()
    {
        Assert.Equal(1, RankingMetrics.AveragePrecision([3, 2, 1, 0], [true, true, false, false]), 12);
        Assert.Equal(0.5 * (1d / 3) + 0.5 * (2d / 4), RankingMetrics.AveragePrecision([3, 2, 1, 0], [false, false, true, true]), 12);
    }

    [Fact]
    public void No_positive_gives_nan_and_mismatched_lengths_throw()
    {
        Assert.True(double.IsNaN(RankingMetrics.AveragePrecision([1, 2], [false, false])));
        Assert.Throws<ArgumentException>(() => RankingMetrics.AveragePrecision([1, 2], [true]));
        Assert.Throws<ArgumentException>(() => RankingMetrics.AveragePrecision([1, double.NaN], [true, false]));
        Assert.Throws<ArgumentException>(() => OodMetrics.Aupr([double.NaN], [0]));
    }

    [Fact]
    public void Mean_average_precision_averages_the_labels_that_have_positives()
    {
        float[][] scores = [[0.9f, 0.1f, 0.5f], [0.8f, 0.7f, 0.5f], [0.1f, 0.8f, 0.5f], [0.2f, 0.3f, 0.5f]];
        bool[][] targets = [[true, false, false], [false, true, false], [true, true, false], [false, false, false]];
        var (map, perLabel) = RankingMetrics.MeanAveragePrecision(scores, targets);

        Assert.Equal(0.5 * 1 + 0.5 * (2d / 4), perLabel[0], 12); // ranking + - - + (0.9, 0.8, 0.2, 0.1)
        Assert.Equal(1, perLabel[1], 12);                        // ranking + + - - (0.8, 0.7, 0.3, 0.1)
        Assert.True(double.IsNaN(perLabel[2]));                   // no positive: left out of the mean
        Assert.Equal((perLabel[0] + perLabel[1]) / 2, map, 12);
    }
}
