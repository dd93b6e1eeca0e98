using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

namespace SNoJoE.Evaluation;

/// <summary>
/// The Mahalanobis OOD score of Lee et al. (NeurIPS 2018) on pooled features: class-conditional
/// Gaussians with one tied covariance, score = max over classes of -(x - mu_c)^T Sigma^+ (x - mu_c)
/// (higher = more in-distribution). Multi-label as in the JointEnergy code: an image counts towards
/// the mean of each of its positive labels, and the covariance is the empirical covariance (divided
/// by N) of all the class-centred rows, inverted with a pseudo-inverse (scikit-learn's
/// EmpiricalCovariance.precision_). No input preprocessing (it needs gradients) and no feature
/// ensemble: the plain last-layer score.
/// </summary>
public sealed class MahalanobisDetector
{
    // Whitening W = Lambda^{-1/2} V^T over the kept eigen-directions: d^T Sigma^+ d = |W d|^2.
    private readonly double[,] _whitening;
    private readonly double[][] _whitenedMeans;

    private MahalanobisDetector(double[,] whitening, double[][] whitenedMeans, int featureSize, int rows, int rank, IReadOnlyList<int> classes)
    {
        _whitening = whitening;
        _whitenedMeans = whitenedMeans;
        FeatureSize = featureSize;
        FitRows = rows;
        Rank = rank;
        Classes = classes;
    }

    public int FeatureSize { get; }
    /// <summary>(image, positive label) pairs the covariance was estimated from.</summary>
    public int FitRows { get; }
    /// <summary>Rank of the pseudo-inverse.</summary>
    public int Rank { get; }
    /// <summary>Label indices that had at least one positive image (the others have no Gaussian).</summary>
    public IReadOnlyList<int> Classes { get; }

    public static MahalanobisDetector Fit(IReadOnlyList<float[]> features, IReadOnlyList<bool[]> targets)
    {
        if (features.Count != targets.Count) throw new ArgumentException("features and targets differ in length.");
        if (features.Count == 0) throw new ArgumentException("No features to fit on.", nameof(features));
        int d = features[0].Length, k = targets[0].Length;
        if (d == 0) throw new ArgumentException("Features are empty.", nameof(features));

        var sums = new double[k][];
        var counts = new int[k];
        for (int i = 0; i < features.Count; i++)
        {
            if (features[i].Length != d || targets[i].Length != k) throw new ArgumentException("Ragged features or targets.");
            for (int c = 0; c < k; c++)
            {
                if (!targets[i][c]) continue;
                sums[c] ??= new double[d];
                counts[c]++;
                for (int j = 0; j < d; j++) sums[c][j] += features[i][j];
            }
        }
        var classes = Enumerable.Range(0, k).Where(c => counts[c] > 0).ToArray();
        if (classes.Length == 0) throw new ArgumentException("No image has a positive label.", nameof(targets));
        var means = new double[k][];
        foreach (int c in classes) means[c] = sums[c].Select(s => s / counts[c]).ToArray();

        // Class-centred rows; their mean is zero by construction, but it is subtracted as
        // EmpiricalCovariance(assume_centered=False) does, so round-off is treated the same.
        int rows = counts.Sum();
        var centred = new List<double[]>(rows);
        for (int i = 0; i < features.Count; i++)
            foreach (int c in classes)
                if (targets[i][c]) centred.Add(Enumerable.Range(0, d).Select(j => features[i][j] - means[c][j]).ToArray());
        var location = new double[d];
        foreach (var row in centred) for (int j = 0; j < d; j++) location[j] += row[j] / rows;
        var covariance = new double[d, d];
        foreach (var row in centred)
            for (int a = 0; a < d; a++)
            {
                double ra = row[a] - location[a];
                if (ra == 0) continue;
                for (int b = 0; b <= a; b++) covariance[a, b] += ra * (row[b] - location[b]);
            }
        for (int a = 0; a < d; a++)
            for (int b = 0; b <= a; b++)
            {
                covariance[a, b] /= rows;
                covariance[b, a] = covariance[a, b];
            }

        // Pseudo-inverse with the cut-off of scipy.linalg.pinvh (max|lambda| * n * eps); a covariance
        // is positive semi-definite, so the tiny negative eigenvalues of round-off are dropped too.
        var eigen = Matrix<double>.Build.DenseOfArray(covariance).Evd(Symmetricity.Symmetric);
        var values = eigen.EigenValues.Select(v => v.Real).ToArray();
        double largest = values.Max(Math.Abs);
        double cutoff = largest * d * Math.Pow(2, -52);
        var kept = Enumerable.Range(0, d).Where(i => values[i] > cutoff).ToArray();
        var whitening = new double[kept.Length, d];
        for (int r = 0; r < kept.Length; r++)
        {
            double inverseSqrt = 1 / Math.Sqrt(values[kept[r]]);
            for (int j = 0; j < d; j++) whitening[r, j] = eigen.EigenVectors[j, kept[r]] * inverseSqrt;
        }
        var whitenedMeans = new double[k][];
        foreach (int c in classes) whitenedMeans[c] = Whiten(whitening, means[c]);
        return new MahalanobisDetector(whitening, whitenedMeans, d, rows, kept.Length, classes);
    }

    /// <summary>max over classes of minus the squared Mahalanobis distance to the class mean.</summary>
    public double Score(ReadOnlySpan<float> feature)
    {
        if (feature.Length != FeatureSize) throw new ArgumentException($"Got {feature.Length} features; the detector was fitted on {FeatureSize}.", nameof(feature));
        var x = new double[FeatureSize];
        for (int j = 0; j < x.Length; j++) x[j] = feature[j];
        var y = Whiten(_whitening, x);
        double best = double.NegativeInfinity;
        foreach (int c in Classes)
        {
            var m = _whitenedMeans[c];
            double distance = 0;
            for (int r = 0; r < y.Length; r++)
            {
                double t = y[r] - m[r];
                distance += t * t;
            }
            best = Math.Max(best, -distance);
        }
        return best;
    }

    private static double[] Whiten(double[,] whitening, IReadOnlyList<double> x)
    {
        int rank = whitening.GetLength(0), d = whitening.GetLength(1);
        var y = new double[rank];
        for (int r = 0; r < rank; r++)
        {
            double sum = 0;
            for (int j = 0; j < d; j++) sum += whitening[r, j] * x[j];
            y[r] = sum;
        }
        return y;
    }
}
