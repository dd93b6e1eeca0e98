using SNoJoE.Evaluation;

namespace SNoJoE.Evaluation.Tests;

public sealed class OodSetSpecTests
{
    [Theory]
    [InlineData("dtd=/data/dtd", "dtd", "/data/dtd")]
    [InlineData("imagenet-22k=rel/folder", "imagenet-22k", "rel/folder")]
    [InlineData("a.b_c=/x=y", "a.b_c", "/x=y")] // only the first '=' separates
    public void Name_equals_folder_is_parsed(string text, string name, string folder) =>
        Assert.Equal(new OodSetSpec(name, folder), OodSetSpec.Parse(text));

    [Theory]
    [InlineData("nofolder")]
    [InlineData("=folder")]
    [InlineData("name=")]
    [InlineData("two words=folder")]
    [InlineData("ID=folder")]
    [InlineData("id=folder")]
    public void Malformed_specs_are_refused(string text) => Assert.Throws<FormatException>(() => OodSetSpec.Parse(text));

    [Theory]
    [InlineData("near:imagenet-22k=/data/in22k", "imagenet-22k", "/data/in22k", "near")]
    [InlineData("FAR:dtd=/data/dtd", "dtd", "/data/dtd", "far")]
    [InlineData("far: textures =/t", "textures", "/t", "far")]
    [InlineData("ood-objects=/data/o", "ood-objects", "/data/o", "near")] // the synthetic benchmark's names are known
    [InlineData("ood-textures=/data/t", "ood-textures", "/data/t", "far")]
    [InlineData("far:ood-objects=/data/o", "ood-objects", "/data/o", "far")] // a tag wins over the name
    [InlineData("dtd=C:/data/dtd", "dtd", "C:/data/dtd", null)] // untagged, unknown: not said; a ':' in the folder is the folder's
    public void A_near_or_far_tag_gives_the_kind(string text, string name, string folder, string? kind) =>
        Assert.Equal(new OodSetSpec(name, folder, kind), OodSetSpec.Parse(text));

    [Theory]
    [InlineData("middle:dtd=/x", "must be near or far")]
    [InlineData("near:=/x", "must be 1-64")]
    [InlineData("near:id=/x", "reserved")]
    [InlineData("near:a:b=/x", "must be 1-64")]
    public void Bad_tags_are_refused(string text, string message) =>
        Assert.Contains(message, Assert.Throws<FormatException>(() => OodSetSpec.Parse(text)).Message);

    [Fact]
    public void Shifted_id_sets_are_name_equals_folder_unique_and_not_named_like_an_ood_set()
    {
        IReadOnlyList<OodSetSpec> ood = [new("ood-objects", "/o", "near")];
        Assert.Equal([new ShiftedIdSetSpec("openmoji", "/s/openmoji"), new ShiftedIdSetSpec("photometric", "/s/p=q")],
            ShiftedIdSetSpec.ParseAll(["openmoji=/s/openmoji", "photometric=/s/p=q"], ood));
        Assert.Empty(ShiftedIdSetSpec.ParseAll([], ood)); // optional
        Assert.Contains("more than once", Assert.Throws<FormatException>(() => ShiftedIdSetSpec.ParseAll(["a=/x", "A=/y"], ood)).Message);
        Assert.Contains("--ood set", Assert.Throws<FormatException>(() => ShiftedIdSetSpec.ParseAll(["OOD-objects=/x"], ood)).Message);
        foreach (var bad in new[] { "openmoji", "=/x", "a=", "a= ", "two words=/x", "id=/x", "near:a=/x" })
            Assert.StartsWith("--shifted-id", Assert.Throws<FormatException>(() => ShiftedIdSetSpec.Parse(bad)).Message);
    }

    [Fact]
    public void Names_must_be_unique_and_at_least_one_set_is_needed()
    {
        Assert.Throws<FormatException>(() => OodSetSpec.ParseAll(["a=x", "A=y"]));
        Assert.Throws<FormatException>(() => OodSetSpec.ParseAll([]));
        Assert.Equal(2, OodSetSpec.ParseAll(["a=x", "b=x"]).Count);
    }
}
