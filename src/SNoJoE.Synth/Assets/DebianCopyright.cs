namespace SNoJoE.Synth.Assets;

/// <summary>Reads the licence names out of a machine-readable <c>debian/copyright</c> file.</summary>
public static class DebianCopyright
{
    /// <summary>The distinct <c>License:</c> short names, in order of first appearance (empty for free-form files).</summary>
    public static IReadOnlyList<string> LicenceNames(string text)
    {
        var names = new List<string>();
        foreach (var raw in text.Split('\n'))
        {
            if (!raw.StartsWith("License:", StringComparison.OrdinalIgnoreCase)) continue;
            var name = raw["License:".Length..].Trim();
            if (name.Length > 0 && !names.Contains(name, StringComparer.OrdinalIgnoreCase)) names.Add(name);
        }
        return names;
    }
}
