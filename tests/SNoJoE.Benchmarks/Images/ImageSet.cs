namespace SNoJoE.Benchmarks.Images;

/// <summary>JPEG files of one kind (VOC-sized or large photos), held in memory as their bytes.</summary>
public sealed record ImageSet(string Name, IReadOnlyList<string> Paths, IReadOnlyList<byte[]> Jpegs, int Width, int Height)
{
    public double MeanBytes => Jpegs.Average(j => (double)j.Length);
}
