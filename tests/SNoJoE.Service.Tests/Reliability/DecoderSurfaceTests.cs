using Microsoft.Extensions.DependencyInjection;
using SNoJoE.Core.Imaging;

namespace SNoJoE.Service.Tests.Reliability;

/// <summary>The service's attack surface for image bytes: only the accepted decoders exist in its ImageSharp configuration.</summary>
public sealed class DecoderSurfaceTests(HostileServiceFixture service) : IClassFixture<HostileServiceFixture>
{
    [Fact]
    public void Only_the_JPEG_PNG_BMP_and_WebP_decoders_are_registered()
    {
        var decoder = service.Factory.Services.GetRequiredService<ImageDecoder>();
        var formats = decoder.Configuration.ImageFormats.Select(f => f.Name.ToUpperInvariant()).Order().ToArray();
        Assert.Equal(ImageDecoder.AcceptedFormats.Order(), formats);
        Assert.DoesNotContain(decoder.Configuration.ImageFormats, f => f.Name is "GIF" or "TIFF" or "TGA" or "PBM");
        foreach (var format in decoder.Configuration.ImageFormats)
            Assert.NotNull(decoder.Configuration.ImageFormatsManager.FindDecoder(format));
    }

    [Fact]
    public void The_service_limits_are_those_of_its_configuration()
    {
        var decoder = service.Factory.Services.GetRequiredService<ImageDecoder>();
        Assert.Equal(40_000_000, decoder.Limits.MaxPixels);
        Assert.Equal(20_000, decoder.Limits.MaxSide);
    }
}
