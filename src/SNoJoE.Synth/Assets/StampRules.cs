namespace SNoJoE.Synth.Assets;

public enum StampUseKind { None, Voc, Ood }

/// <summary>What a stamp is used for: nothing, a VOC class (<see cref="VocClass"/>) or a non-VOC object.</summary>
public readonly record struct StampUse(StampUseKind Kind, string? VocClass = null)
{
    public static readonly StampUse None = new(StampUseKind.None);
    public static readonly StampUse Ood = new(StampUseKind.Ood);
}

/// <summary>
/// How Tux Paint stamps are used (<c>Synth/Data/tuxpaint-stamps.tsv</c>): each rule names a folder
/// (covering everything below it) or one file; the longest rule that covers a stamp decides; a stamp
/// that no rule covers is not used.
/// </summary>
public sealed class StampRules
{
    private readonly Dictionary<string, StampUse> _rules;

    private StampRules(Dictionary<string, StampUse> rules) => _rules = rules;

    public int Count => _rules.Count;

    public static StampRules Embedded() => Parse(SynthData.Read(SynthData.StampRulesFile));

    public static StampRules Parse(string table)
    {
        var rules = new Dictionary<string, StampUse>(StringComparer.Ordinal);
        foreach (var row in Tsv.Rows(table, SynthData.StampRulesFile, "path", "use"))
        {
            var path = row[0].Trim('/');
            if (path.Length == 0 || path.Split('/').Any(p => p is "" or "." or ".."))
                throw new SynthException($"{SynthData.StampRulesFile}: '{row[0]}' is not a relative stamp path.");
            var use = row[1] switch
            {
                "ood" => StampUse.Ood,
                "none" => StampUse.None,
                var c when VocClasses.Contains(c) => new StampUse(StampUseKind.Voc, c),
                var other => throw new SynthException($"{SynthData.StampRulesFile}: use '{other}' of '{path}' is neither a VOC class, 'ood' nor 'none'."),
            };
            if (!rules.TryAdd(path, use)) throw new SynthException($"{SynthData.StampRulesFile}: '{path}' has two rules.");
        }
        return new StampRules(rules);
    }

    /// <summary>The use of a stamp, given its path relative to the stamps folder ('/' separated).</summary>
    public StampUse Classify(string relativePath)
    {
        var path = relativePath.Replace('\\', '/').Trim('/');
        while (true)
        {
            if (_rules.TryGetValue(path, out var use)) return use;
            var cut = path.LastIndexOf('/');
            if (cut < 0) return StampUse.None;
            path = path[..cut];
        }
    }
}
