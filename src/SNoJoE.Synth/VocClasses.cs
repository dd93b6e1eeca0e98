namespace SNoJoE.Synth;

/// <summary>The 20 PASCAL VOC object classes, spelled and ordered as in the real dataset.</summary>
public static class VocClasses
{
    public static readonly IReadOnlyList<string> Names =
    [
        "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
        "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
    ];

    private static readonly HashSet<string> Set = new(Names, StringComparer.Ordinal);

    public static bool Contains(string name) => Set.Contains(name);
}
