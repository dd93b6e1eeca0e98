namespace SNoJoE.Evaluation;

/// <summary>
/// A shifted in-distribution set given as NAME=FOLDER: a VOC folder of the model's classes under covariate shift
/// (another art style, camera-like changes), evaluated only, never fitted or tuned on. Its
/// <see cref="EvaluationRequest.ShiftedIdSplit"/> split is scored.
/// </summary>
public sealed record ShiftedIdSetSpec(string Name, string Folder)
{
    public const string Option = "--shifted-id";

    public static ShiftedIdSetSpec Parse(string text)
    {
        var (name, folder) = NamedFolder.Split(Option, text, "NAME=FOLDER");
        return new ShiftedIdSetSpec(NamedFolder.CheckedName(Option, name), folder);
    }

    /// <summary>Any number of sets (none is fine); a name may appear once, and not as an OOD set's name.</summary>
    public static IReadOnlyList<ShiftedIdSetSpec> ParseAll(IEnumerable<string> texts, IReadOnlyList<OodSetSpec> oodSets)
    {
        var specs = texts.Select(Parse).ToArray();
        NamedFolder.RequireDistinct(Option, specs.Select(s => s.Name));
        var clash = specs.FirstOrDefault(s => oodSets.Any(o => string.Equals(o.Name, s.Name, StringComparison.OrdinalIgnoreCase)));
        if (clash is not null) throw new FormatException($"{Option} name '{clash.Name}' is also an --ood set's name.");
        return specs;
    }
}
