using SNoJoE.Core.Datasets;

namespace SNoJoE.Evaluation;

/// <summary>One in-distribution image: its multi-hot targets over the model's labels, or null when the split has no annotation for it.</summary>
public sealed record IdImage(string Id, string Path, bool[]? Targets);

/// <summary>
/// Lists a VOC split for scoring. Unlike training, an image without an annotation is kept (the
/// VOC2012 test split has no public annotations): it counts for the OOD metrics and the threshold,
/// not for mAP. A listed image whose file is missing is kept too and reported as unreadable by the scorer.
/// </summary>
public static class IdImages
{
    public static IReadOnlyList<IdImage> Load(VocDataset voc, string split, IReadOnlyList<string> labels)
    {
        var multiHot = new MultiHotTargets(labels);
        var images = new List<IdImage>();
        foreach (var id in voc.SplitIds(split))
        {
            var annotationPath = voc.AnnotationPath(id);
            var targets = File.Exists(annotationPath) ? multiHot.Load(annotationPath) : null;
            images.Add(new IdImage(id, voc.ImagePath(id), targets));
        }
        if (images.Count == 0) throw new DatasetException($"Split '{split}' of {voc.Root} lists no images.");
        return images;
    }
}
