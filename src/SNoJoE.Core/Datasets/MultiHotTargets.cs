namespace SNoJoE.Core.Datasets;

/// <summary>
/// Turns a VOC annotation's objects into multi-hot targets over a model's labels: one flag per label,
/// set when at least one object bears that name (difficult objects count as present).
/// </summary>
public sealed class MultiHotTargets(IReadOnlyList<string> labels)
{
    private readonly Dictionary<string, int> _index =
        labels.Select((label, i) => (label, i)).ToDictionary(p => p.label, p => p.i, StringComparer.Ordinal);

    /// <summary>Loads the annotation at <paramref name="annotationPath"/> and returns its targets.</summary>
    /// <exception cref="DatasetException">The annotation is malformed or names an object that is none of the labels.</exception>
    public bool[] Load(string annotationPath)
    {
        var targets = new bool[labels.Count];
        foreach (var o in VocAnnotation.Load(annotationPath).Objects)
        {
            if (!_index.TryGetValue(o.Name, out var i))
                throw new DatasetException($"{annotationPath}: label '{o.Name}' is not one of the model's labels ({string.Join(", ", labels)}).");
            targets[i] = true;
        }
        return targets;
    }
}
