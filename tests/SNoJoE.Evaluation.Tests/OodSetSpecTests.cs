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

    [Fact]
    public void Names_must_be_unique_and_at_least_one_set_is_needed()
    {
        Assert.Throws<FormatException>(() => OodSetSpec.ParseAll(["a=x", "A=y"]));
        Assert.Throws<FormatException>(() => OodSetSpec.ParseAll([]));
        Assert.Equal(2, OodSetSpec.ParseAll(["a=x", "b=x"]).Count);
    }
}
