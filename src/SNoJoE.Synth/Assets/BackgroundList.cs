namespace SNoJoE.Synth.Assets;

/// <summary>One photo fetch-assets keeps as a background: its Debian package, its path there and the name it is stored under.</summary>
public sealed record BackgroundEntry(string Package, string Path, string Name);

public static class BackgroundList
{
    public static IReadOnlyList<BackgroundEntry> Embedded() => Parse(SynthData.Read(SynthData.BackgroundsFile));

    public static IReadOnlyList<BackgroundEntry> Parse(string table)
    {
        var entries = Tsv.Rows(table, SynthData.BackgroundsFile, "package", "path", "name")
            .Select(r => new BackgroundEntry(r[0], r[1].TrimStart('/'), r[2])).ToArray();
        var duplicate = entries.GroupBy(e => (e.Package, e.Name)).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new SynthException($"{SynthData.BackgroundsFile}: the name '{duplicate.Key.Name}' is used twice in {duplicate.Key.Package}.");
        return entries;
    }
}
