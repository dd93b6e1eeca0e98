using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SNoJoE.Synth.Scenes;

namespace SNoJoE.Synth.Tests;

public sealed class ProceduralTextureTests
{
    [Fact]
    public void Every_kind_is_drawn_at_the_asked_size_and_a_stream_always_gives_the_same_pixels()
    {
        var configuration = SynthImaging.CreateConfiguration();
        var kinds = new HashSet<string>();
        var varied = 0;
        for (var i = 0; i < 40; i++)
        {
            var (image, kind) = ProceduralTexture.Render(new Size(61, 47), SynthRandom.For(5, "procedural-test", i), configuration);
            using (image)
            {
                kinds.Add(kind);
                Assert.Equal((61, 47), (image.Width, image.Height));
                var (again, againKind) = ProceduralTexture.Render(new Size(61, 47), SynthRandom.For(5, "procedural-test", i), configuration);
                using (again)
                {
                    Assert.Equal(kind, againKind);
                    Assert.Equal(Pixels(image), Pixels(again));
                }
                if (Pixels(image).Distinct().Count() > 10) varied++;
            }
        }
        Assert.Equal(ProceduralTexture.Kinds.Order(), kinds.Order());
        // a pattern can be coarser than a small image and its grain faint (a near-flat outlier is still an
        // image of none of the labels), but most show their pattern
        Assert.True(varied >= 36, $"only {varied} of 40 textures vary");
    }

    private static Rgb24[] Pixels(Image<Rgb24> image)
    {
        var pixels = new Rgb24[image.Width * image.Height];
        image.CopyPixelDataTo(pixels);
        return pixels;
    }
}
