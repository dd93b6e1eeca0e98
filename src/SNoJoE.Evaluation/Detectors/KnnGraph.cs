using SNoJoE.OnnxGraph;
using Onnx;

namespace SNoJoE.Evaluation.Detectors;

/// <summary>
/// Bakes the KNN detector into a graph: minus the distance from an L2-normalised vector of the graph (the
/// <c>features</c> output, or the head's hidden layer) to the k-th nearest row of an ID bank (normalised, stored as a
/// [D x M] float32 initializer), the same number as <see cref="PostHocMath.KnnScore"/>:
/// LpNormalization -> MatMul -> TopK -> the k-th value x -> -sqrt(relu(2 - 2x)).
/// </summary>
public static class KnnGraph
{
    public const string OutputName = "knn_score";

    /// <summary>
    /// Appends the score of the [N x D] tensor <paramref name="input"/> against <paramref name="normalizedBank"/>
    /// (rows already L2-normalised); returns the name of the [N] score.
    /// </summary>
    public static string Append(OnnxGraphWriter writer, string input, IReadOnlyList<float[]> normalizedBank, int k)
    {
        CheckBank(normalizedBank, k);
        int d = normalizedBank[0].Length, m = normalizedBank.Count;
        var transposed = new float[d * m]; // [D x M]: input [N x D] x bank^T
        for (int i = 0; i < m; i++)
            for (int j = 0; j < d; j++) transposed[j * m + i] = normalizedBank[i][j];
        var bankName = writer.Initializer("knn_bank", transposed, d, m);
        var normalized = writer.Apply("LpNormalization", [input], n => n.Int("axis", 1).Int("p", 2));
        var dots = writer.Apply("MatMul", normalized, bankName);
        var kName = writer.LongsInitializer("knn_k", [k]);
        var top = writer.Unique("knn_top");
        writer.Node("TopK", [dots, kName], [top, writer.Unique("knn_top_indices")]).Int("axis", 1);
        var kth = writer.Apply("Gather", [top, writer.LongScalar("knn_kth", k - 1)], n => n.Int("axis", 1));
        var squared = writer.Apply("Add", writer.Apply("Mul", kth, writer.Initializer("knn_minus_two", [-2f])), writer.Initializer("knn_two", [2f]));
        return writer.Apply("Neg", writer.Apply("Sqrt", writer.Apply("Relu", squared)));
    }

    private static void CheckBank(IReadOnlyList<float[]> bank, int k)
    {
        if (bank.Count == 0) throw new ArgumentException("The bank is empty.");
        if (k < 1 || k > bank.Count) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in 1..{bank.Count}.");
        if (bank.Any(b => b.Length != bank[0].Length)) throw new ArgumentException("The bank's rows differ in length.");
    }
}
