using SNoJoE.Synth.Assets;

namespace SNoJoE.Synth.Tests;

public sealed class ObjectKindsTests
{
    [Theory]
    // Pairs the aux emoji table and the Tux Paint stamps of ood-objects really hold.
    [InlineData("frog", "frog-1")]
    [InlineData("corn", "corn")]
    [InlineData("strawberry", "Strawberry2")]
    [InlineData("lemon", "lemon_slice")]
    [InlineData("scarf", "t_scarf")]
    [InlineData("hourglass_flowing_sand", "hourglass")]
    [InlineData("mantelpiece_clock", "alarm_clock")]
    [InlineData("dolphin", "dolphinfish")]
    [InlineData("basket", "basketball")]
    [InlineData("globe_with_meridians", "globe")]
    public void Names_of_one_kind_of_object_match(string aux, string ood)
    {
        Assert.True(ObjectKinds.Same(aux, ood));
        Assert.True(ObjectKinds.Same(ood, aux));
    }

    [Theory]
    [InlineData("mantelpiece_clock", "lock")] // inside, but shorter than 5 letters
    [InlineData("pig2", "piggy_bank")]
    [InlineData("volleyball", "basketball")]
    [InlineData("globe_with_meridians", "with")] // not a kind of object
    [InlineData("rat", "cat")]
    [InlineData("", "frog")]
    public void Different_kinds_do_not(string aux, string ood) => Assert.False(ObjectKinds.Same(aux, ood));
}

public sealed class AuxKindExclusionTests
{
    [Fact]
    public void An_aux_emoji_of_a_kind_that_ood_objects_draws_is_left_out_and_said_so()
    {
        using var assets = FakeAssets.Create();
        var clashing = assets.AuxNames[0];
        // An ood-objects stamp of the same kind, by another artist (a Tux Paint stamp named like the emoji, numbered).
        using (var stamp = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgba32>(40, 40, FakeAssets.AuxColour))
            SixLabors.ImageSharp.ImageExtensions.SaveAsPng(stamp, System.IO.Path.Combine(assets.Root, "stamps", "food", "fruit", $"{clashing}-1.png"));

        using var library = AssetLibrary.Load(assets.Root, SynthImaging.CreateConfiguration());

        Assert.Contains(library.Ood.All, s => s.Label == $"{clashing}-1");
        Assert.DoesNotContain(library.Aux.All, s => s.Label == clashing);
        Assert.Equal(assets.AuxNames.Count - 1, library.Aux.All.Count());
        Assert.Contains(library.AuxMissing, m => m.Contains($"({clashing}, the kind of object of ood-objects' '{clashing}-1')", StringComparison.Ordinal));
    }
}
