namespace SNoJoE.Synth.Assets;

/// <summary>One emoji picture: the label it stands for, its short name and its file (<c>&lt;code&gt;.png</c>).</summary>
public sealed record EmojiEntry(string Label, string Name, string File);

/// <summary>
/// The emoji that stand for the 20 VOC classes, the emoji of non-VOC objects (ood-objects) and the
/// auxiliary outlier emoji (aux-outliers, for outlier exposure in training): the embedded tables. The
/// three share no file, and no non-VOC or auxiliary emoji is named after a VOC class.
/// </summary>
public sealed class EmojiMaps
{
    private EmojiMaps(IReadOnlyList<EmojiEntry> voc, IReadOnlyList<EmojiEntry> ood, IReadOnlyList<EmojiEntry> aux)
    {
        Voc = voc;
        Ood = ood;
        Aux = aux;
    }

    /// <summary>VOC emoji; <see cref="EmojiEntry.Label"/> is the VOC class.</summary>
    public IReadOnlyList<EmojiEntry> Voc { get; }

    /// <summary>Non-VOC emoji; <see cref="EmojiEntry.Label"/> is the emoji name.</summary>
    public IReadOnlyList<EmojiEntry> Ood { get; }

    /// <summary>Auxiliary outlier emoji; <see cref="EmojiEntry.Label"/> is the emoji name. Never drawn into VOCSynth or ood-objects.</summary>
    public IReadOnlyList<EmojiEntry> Aux { get; }

    /// <summary>The files the VOC and OOD sets need: every one must be in the emoji package.</summary>
    public IEnumerable<string> RequiredFiles => Voc.Concat(Ood).Select(e => e.File);

    public static EmojiMaps Embedded() =>
        Parse(SynthData.Read(SynthData.VocEmojiFile), SynthData.Read(SynthData.OodEmojiFile), SynthData.Read(SynthData.AuxEmojiFile));

    public static EmojiMaps Parse(string vocTable, string oodTable, string? auxTable = null)
    {
        var voc = Tsv.Rows(vocTable, SynthData.VocEmojiFile, "voc_class", "emoji_name", "file")
            .Select(r => new EmojiEntry(r[0], r[1], CheckFile(r[2], SynthData.VocEmojiFile))).ToArray();
        foreach (var e in voc.Where(e => !VocClasses.Contains(e.Label)))
            throw new SynthException($"{SynthData.VocEmojiFile}: '{e.Label}' is not one of the 20 VOC classes.");
        var missing = VocClasses.Names.Except(voc.Select(e => e.Label)).ToArray();
        if (missing.Length > 0) throw new SynthException($"{SynthData.VocEmojiFile}: no emoji for {string.Join(", ", missing)}.");

        var ood = Tsv.Rows(oodTable, SynthData.OodEmojiFile, "emoji_name", "file")
            .Select(r => new EmojiEntry(r[0], r[0], CheckFile(r[1], SynthData.OodEmojiFile))).ToArray();
        var vocFiles = voc.Select(e => e.File).ToHashSet(StringComparer.Ordinal);
        foreach (var e in ood)
        {
            if (vocFiles.Contains(e.File)) throw new SynthException($"{SynthData.OodEmojiFile}: {e.File} is also a VOC emoji.");
            if (VocClasses.Contains(e.Label)) throw new SynthException($"{SynthData.OodEmojiFile}: '{e.Label}' is a VOC class.");
        }

        var aux = auxTable is null ? [] : Tsv.Rows(auxTable, SynthData.AuxEmojiFile, "emoji_name", "file")
            .Select(r => new EmojiEntry(r[0], r[0], CheckFile(r[1], SynthData.AuxEmojiFile))).ToArray();
        var oodFiles = ood.Select(e => e.File).ToHashSet(StringComparer.Ordinal);
        var auxFiles = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in aux)
        {
            if (vocFiles.Contains(e.File)) throw new SynthException($"{SynthData.AuxEmojiFile}: {e.File} is also a VOC emoji.");
            if (oodFiles.Contains(e.File)) throw new SynthException($"{SynthData.AuxEmojiFile}: {e.File} is also an ood-objects emoji.");
            if (VocClasses.Contains(e.Label)) throw new SynthException($"{SynthData.AuxEmojiFile}: '{e.Label}' is a VOC class.");
            if (!auxFiles.Add(e.File)) throw new SynthException($"{SynthData.AuxEmojiFile}: {e.File} is listed twice.");
        }
        return new EmojiMaps(voc, ood, aux);
    }

    private static string CheckFile(string file, string source) =>
        file.EndsWith(".png", StringComparison.Ordinal) && file.IndexOfAny(['/', '\\']) < 0 && !file.StartsWith('.')
            ? file
            : throw new SynthException($"{source}: '{file}' is not a plain .png file name.");
}
