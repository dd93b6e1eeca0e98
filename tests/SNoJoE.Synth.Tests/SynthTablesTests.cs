using SNoJoE.Synth;
using SNoJoE.Synth.Assets;

namespace SNoJoE.Synth.Tests;

/// <summary>The embedded tables that decide what each picture stands for.</summary>
public class SynthTablesTests
{
    [Fact]
    public void The_twenty_voc_classes_are_spelled_as_in_pascal_voc()
    {
        Assert.Equal(
            ["aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow", "diningtable", "dog", "horse",
             "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor"],
            VocClasses.Names);
    }

    [Fact]
    public void Every_voc_class_has_an_emoji_and_no_non_voc_emoji_is_a_voc_one()
    {
        var maps = EmojiMaps.Embedded();

        Assert.Equal(VocClasses.Names.Order(StringComparer.Ordinal), maps.Voc.Select(e => e.Label).Distinct().Order(StringComparer.Ordinal));
        Assert.Empty(maps.Ood.Select(e => e.File).Intersect(maps.Voc.Select(e => e.File)));
        Assert.DoesNotContain(maps.Ood, e => VocClasses.Contains(e.Label));
        Assert.True(maps.Ood.Count >= 30);
    }

    [Fact]
    public void Emoji_tables_with_a_non_voc_class_or_a_shared_file_are_refused()
    {
        var voc = SynthData.Read(SynthData.VocEmojiFile);
        var ood = SynthData.Read(SynthData.OodEmojiFile);

        Assert.Contains("'kitten'", Assert.Throws<SynthException>(() => EmojiMaps.Parse(voc + "kitten\tkitten\t1f431.png\n", ood)).Message);
        Assert.Contains("also a VOC emoji", Assert.Throws<SynthException>(() => EmojiMaps.Parse(voc, ood + "cat_face\t1f431.png\n")).Message);
        Assert.Contains("no emoji for", Assert.Throws<SynthException>(() => EmojiMaps.Parse("voc_class\temoji_name\tfile\nbird\tbird\t1f426.png\n", ood)).Message);
    }

    [Fact]
    public void Aux_tables_sharing_a_file_with_ood_objects_or_voc_or_naming_a_voc_class_are_refused()
    {
        var voc = SynthData.Read(SynthData.VocEmojiFile);
        var ood = SynthData.Read(SynthData.OodEmojiFile);
        var aux = SynthData.Read(SynthData.AuxEmojiFile);

        Assert.Equal(132, EmojiMaps.Parse(voc, ood, aux).Aux.Count);
        Assert.Contains("ood-objects emoji", Assert.Throws<SynthException>(() => EmojiMaps.Parse(voc, ood, aux + "apple\t1f34e.png\tfood-fruit\n")).Message);
        Assert.Contains("also a VOC emoji", Assert.Throws<SynthException>(() => EmojiMaps.Parse(voc, ood, aux + "bird2\t1f426.png\tanimal-bird\n")).Message);
        Assert.Contains("'sheep'", Assert.Throws<SynthException>(() => EmojiMaps.Parse(voc, ood, aux + "sheep\tffff.png\tanimal\n")).Message);
        Assert.Contains("twice", Assert.Throws<SynthException>(() => EmojiMaps.Parse(voc, ood, aux + "pig3\t1f416.png\tanimal\n")).Message);
    }

    [Theory]
    [InlineData("animals/birds/owl.png", StampUseKind.Voc, "bird")]
    [InlineData("animals/birds/cartoon/tux.png", StampUseKind.None, null)]
    [InlineData("animals/mammals/bovines/cow.png", StampUseKind.Voc, "cow")]
    [InlineData("animals/mammals/bovines/goat.png", StampUseKind.None, null)]
    [InlineData("animals/mammals/dogs/fox.png", StampUseKind.None, null)]
    [InlineData("animals/mammals/equines/zebra.png", StampUseKind.None, null)]
    [InlineData("vehicles/auto/sedan.png", StampUseKind.Voc, "car")]
    [InlineData("vehicles/emergency/firetruck.png", StampUseKind.None, null)]
    [InlineData("vehicles/locomotive/cartoon/toy_train.png", StampUseKind.Voc, "train")]
    [InlineData("vehicles/locomotive/cartoon/trainSign.png", StampUseKind.None, null)]
    [InlineData("people/fireman200b.png", StampUseKind.Voc, "person")]
    [InlineData("people/cartoon/snowman.png", StampUseKind.None, null)]
    [InlineData("household/kettle.png", StampUseKind.Ood, null)]
    [InlineData("household/rubberduck.png", StampUseKind.None, null)]
    [InlineData("household/dishes/glass.png", StampUseKind.None, null)]
    [InlineData("food/fruit/apple_red.png", StampUseKind.Ood, null)]
    [InlineData("seasonal/christmas/Santa.png", StampUseKind.None, null)]
    [InlineData("symbols/chess/w_4_knight.png", StampUseKind.None, null)]
    public void Stamp_rules_use_the_longest_matching_path(string stamp, StampUseKind kind, string? vocClass)
    {
        Assert.Equal(new StampUse(kind, vocClass), StampRules.Embedded().Classify(stamp));
    }

    [Fact]
    public void No_non_voc_stamp_comes_from_a_folder_of_vehicles_people_mammals_or_birds()
    {
        var rules = Tsv.Rows(SynthData.Read(SynthData.StampRulesFile), "rules", "path", "use");
        string[] vocLike = ["vehicles", "people", "military", "animals/mammals", "animals/birds", "animals/marsupials", "seasonal/christmas", "seasonal/easter", "seasonal/halloween", "plants/flowers", "plants/trees", "town/houses"];

        var risky = rules.Where(r => r[1] == "ood" && vocLike.Any(p => r[0] == p || r[0].StartsWith(p + "/", StringComparison.Ordinal))).Select(r => r[0]).ToArray();

        Assert.Empty(risky);
    }

    [Fact]
    public void Stamp_rules_refuse_unknown_uses_and_duplicate_paths()
    {
        Assert.Contains("'kitten'", Assert.Throws<SynthException>(() => StampRules.Parse("path\tuse\nanimals/cats\tkitten\n")).Message);
        Assert.Contains("two rules", Assert.Throws<SynthException>(() => StampRules.Parse("path\tuse\nfood\tood\nfood\tnone\n")).Message);
        Assert.Equal(StampUse.None, StampRules.Parse("path\tuse\nfood\tood\n").Classify("foodstuff/x.png"));
    }

    [Fact]
    public void Background_list_names_packages_that_are_fetched_and_skips_photos_with_voc_objects()
    {
        var list = BackgroundList.Embedded();
        var packages = AssetSources.All.Where(s => s.Kind == AssetKind.Backgrounds).Select(s => s.Name).ToHashSet();

        Assert.True(list.Count >= 30);
        Assert.All(list, b => Assert.Contains(b.Package, packages));
        Assert.DoesNotContain(list, b => b.Path.EndsWith("sheep.jpg", StringComparison.Ordinal) || b.Name is "EveningGlow" or "Autumn");
    }

    [Fact]
    public void Debian_copyright_licences_are_listed_once_in_order()
    {
        const string copyright = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: GPL-2+\n\nFiles: a/*\nLicense: CC-BY-SA-4.0\n\nFiles: b/*\nLicense: GPL-2+\n\nLicense: GPL-2+\n text\n";

        Assert.Equal(["GPL-2+", "CC-BY-SA-4.0"], DebianCopyright.LicenceNames(copyright));
    }
}
