using SNoJoE.Evaluation.Metrics;

namespace SNoJoE.Evaluation.Tests;

public sealed class EnergyCalibrationTests
{
    [Theory]
    [InlineData(20, 0.95)]
    [InlineData(40, 0.95)]
    [InlineData(13, 0.95)]
    [InlineData(1000, 0.95)]
    [InlineData(7, 0.5)]
    [InlineData(101, 0.9)]
    public void The_threshold_keeps_at_least_tpr_and_less_than_tpr_plus_one_over_n(int n, double tpr)
    {
        var random = new Random(n);
        var energies = Enumerable.Range(0, n).Select(_ => random.NextDouble() * 30 - 5).ToArray();
        double threshold = EnergyCalibration.ThresholdForTpr(energies, tpr);
        double kept = EnergyCalibration.FractionAtOrAbove(energies, threshold);
        Assert.InRange(kept, tpr, tpr + 1d / n - 1e-12);
        Assert.Contains(threshold, energies); // a real energy, not an interpolation
    }

    [Fact]
    public void The_threshold_depends_only_on_the_multiset_of_energies()
    {
        var random = new Random(5);
        var energies = Enumerable.Range(0, 500).Select(_ => (double)(float)(random.NextDouble() * 10)).ToArray();
        double first = EnergyCalibration.ThresholdForTpr(energies, 0.95);
        for (int trial = 0; trial < 5; trial++)
        {
            var shuffled = energies.OrderBy(_ => random.Next()).ToArray();
            Assert.Equal(BitConverter.DoubleToInt64Bits(first), BitConverter.DoubleToInt64Bits(EnergyCalibration.ThresholdForTpr(shuffled, 0.95)));
        }
    }

    [Fact]
    public void Twenty_energies_at_095_keep_exactly_nineteen()
    {
        var energies = Enumerable.Range(1, 20).Select(i => (double)i).ToArray();
        Assert.Equal(2, EnergyCalibration.ThresholdForTpr(energies, 0.95));
        Assert.Equal(1, EnergyCalibration.ThresholdForTpr(energies, 1.0));
    }

    [Fact]
    public void Ties_at_the_threshold_are_all_kept()
    {
        double[] energies = [5, 3, 3, 3, 1];
        Assert.Equal(3, EnergyCalibration.ThresholdForTpr(energies, 0.5));
        Assert.Equal(0.8, EnergyCalibration.FractionAtOrAbove(energies, 3));
    }

    [Fact]
    public void Bad_input_is_refused()
    {
        Assert.Throws<ArgumentException>(() => EnergyCalibration.ThresholdForTpr([], 0.95));
        Assert.Throws<ArgumentOutOfRangeException>(() => EnergyCalibration.ThresholdForTpr([1], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => EnergyCalibration.ThresholdForTpr([1], 1.01));
        Assert.Throws<ArgumentException>(() => EnergyCalibration.ThresholdForTpr([1, double.NaN], 0.95));
    }
}
