namespace SNoJoE.Service.Tests.Deployment;

/// <summary>
/// The service ships Skia's and libjpeg-turbo's native code (SkiaSharp.NativeAssets.Linux.NoDependencies, for large JPEGs):
/// their licences require the notices to travel with the binaries. Core copies them into every output that references
/// it, the service's publish folder (so its container images) included.
/// </summary>
public sealed class RedistributedNoticesTests
{
    [Fact]
    public void The_SkiaSharp_native_notices_with_the_IJG_credit_are_in_the_output_beside_the_native_library()
    {
        var notices = Path.Combine(AppContext.BaseDirectory, "licenses", "SkiaSharp-THIRD-PARTY-NOTICES.txt");
        Assert.True(File.Exists(notices), $"{notices} is missing");
        var text = File.ReadAllText(notices);
        Assert.Contains("libjpeg-turbo", text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Independent JPEG Group", text, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libSkiaSharp.so")));
    }
}
