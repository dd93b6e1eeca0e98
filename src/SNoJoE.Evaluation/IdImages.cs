using SNoJoE.Core.Datasets;

namespace SNoJoE.Evaluation;

/// <summary>One in-distribution image: its multi-hot targets over the model's labels, or null when the split has no annotation for it.</summary>
public sealed record IdImage(string Id, string Path, bool[]? Targets);

/// <summary>
/// Lists a split of any labelled dataset (<see cref="ILabelledImages"/>: VOC, COCO, CSV / JSON lines) for scoring. Unlike
/// training, an image without an annotation is kept (the VOC2012 test split has no public annotations): it counts for the
/// OOD metrics and the threshold, not for mAP. A listed image whose file is missing is kept too and reported as unreadable by the scorer.
/// </summary>
public static class IdImages
{
    public static IReadOnlyList<IdImage> Load(ILabelledImages data, string split, IReadOnlyList<string> labels) =>
        data.ListSplit(split, labels).Select(i => new IdImage(i.Id, i.Path, i.Targets)).ToArray();
}
