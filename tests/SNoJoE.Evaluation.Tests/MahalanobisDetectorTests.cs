using SNoJoE.Evaluation;

namespace SNoJoE.Evaluation.Tests;

public sealed class MahalanobisDetectorTests
{
    [Fact]
    public void The_score_is_minus_the_squared_mahalanobis_distance_to_the_nearest_class_mean()
    {
        // Two labels; images with both labels count towards both means (the JointEnergy code's multi-label rule).
        var random = new Random(9);
        var features = new List<float[]>();
        var targets = new List<bool[]>();
        for (int i = 0; i < 60; i++)
        {
            bool a = i % 3 != 1, b = i % 3 != 0;
            var centre = a && b ? new[] { 1.0, 1.0, 0.0 } : a ? [2.0, 0.0, 0.0] : [0.0, 2.0, 1.0];
            features.Add(centre.Select(c => (float)(c + random.NextDouble() - 0.5)).ToArray());
            targets.Add([a, b]);
        }
        var detector = MahalanobisDetector.Fit(features, targets);
        var (means, precision) = NaiveFit(features, targets);

        Assert.Equal(3, detector.Rank);
        Assert.Equal(targets.Sum(t => t.Count(x => x)), detector.FitRows);
        foreach (var probe in new[] { new float[] { 0, 0, 0 }, [2, 0, 0], [5, -3, 2], features[7] })
        {
            double expected = means.Max(m => -Quadratic(precision, probe.Select((v, j) => v - m[j]).ToArray()));
            Assert.Equal(expected, detector.Score(probe), 1e-6 * Math.Max(1, Math.Abs(expected)));
        }
        // A class mean scores (near) the maximum, 0.
        Assert.Equal(0, detector.Score(means[0].Select(v => (float)v).ToArray()), 1e-4);
    }

    [Fact]
    public void More_features_than_samples_uses_the_pseudo_inverse_and_stays_finite()
    {
        var random = new Random(4);
        var features = Enumerable.Range(0, 6).Select(_ => Enumerable.Range(0, 40).Select(_ => (float)random.NextDouble()).ToArray()).ToArray();
        bool[][] targets = [[true, false], [true, false], [false, true], [false, true], [true, true], [true, false]];
        var detector = MahalanobisDetector.Fit(features, targets);
        Assert.InRange(detector.Rank, 1, 6);
        Assert.True(double.IsFinite(detector.Score(features[0])));
        Assert.True(double.IsFinite(detector.Score(Enumerable.Repeat(5f, 40).ToArray())));
        Assert.True(detector.Score(features[0]) > detector.Score(Enumerable.Repeat(5f, 40).ToArray()));
    }

    [Fact]
    public void Labels_without_positives_get_no_gaussian_and_bad_input_is_refused()
    {
        float[][] features = [[0, 0], [1, 1], [2, 0]];
        bool[][] targets = [[true, false, false], [true, false, false], [false, false, true]];
        Assert.Equal([0, 2], MahalanobisDetector.Fit(features, targets).Classes);
        Assert.Throws<ArgumentException>(() => MahalanobisDetector.Fit(features, [[false], [false], [false]]));
        Assert.Throws<ArgumentException>(() => MahalanobisDetector.Fit([], []));
        Assert.Throws<ArgumentException>(() => MahalanobisDetector.Fit(features, targets).Score([1f, 2f, 3f]));
    }

    /// <summary>Means per label and the inverse of the tied covariance by Gauss-Jordan elimination (full rank here).</summary>
    private static (List<double[]> Means, double[,] Precision) NaiveFit(List<float[]> features, List<bool[]> targets)
    {
        int d = features[0].Length, k = targets[0].Length;
        var means = new List<double[]>();
        var rows = new List<double[]>();
        for (int c = 0; c < k; c++)
        {
            var members = features.Where((_, i) => targets[i][c]).ToArray();
            var mean = Enumerable.Range(0, d).Select(j => members.Average(f => (double)f[j])).ToArray();
            means.Add(mean);
            rows.AddRange(members.Select(f => f.Select((v, j) => v - mean[j]).ToArray()));
        }
        var cov = new double[d, 2 * d];
        foreach (var r in rows)
            for (int a = 0; a < d; a++)
                for (int b = 0; b < d; b++)
                    cov[a, b] += r[a] * r[b] / rows.Count;
        for (int a = 0; a < d; a++) cov[a, d + a] = 1;
        for (int col = 0; col < d; col++)
        {
            double pivot = cov[col, col];
            for (int j = 0; j < 2 * d; j++) cov[col, j] /= pivot;
            for (int row = 0; row < d; row++)
            {
                if (row == col) continue;
                double factor = cov[row, col];
                for (int j = 0; j < 2 * d; j++) cov[row, j] -= factor * cov[col, j];
            }
        }
        var precision = new double[d, d];
        for (int a = 0; a < d; a++)
            for (int b = 0; b < d; b++)
                precision[a, b] = cov[a, d + b];
        return (means, precision);
    }

    private static double Quadratic(double[,] m, double[] x)
    {
        double sum = 0;
        for (int a = 0; a < x.Length; a++)
            for (int b = 0; b < x.Length; b++)
                sum += x[a] * m[a, b] * x[b];
        return sum;
    }
}
