using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace SNoJoE.Synth.Assets;

/// <summary>
/// Turns an SVG emoji into a sprite PNG like the Noto ones of <c>emoji/</c>: <see cref="SpriteSide"/> px square,
/// RGBA, the drawing scaled to fit and centred. Drawn by Debian's <c>rsvg-convert</c> (librsvg2-bin): Svg.Skia,
/// the in-process alternative, needs SkiaSharp 4, which the project cannot take (ScottPlot loses its text with it).
/// </summary>
public static class SvgRasterizer
{
    /// <summary>The side of the Google emoji PNGs (<c>img/google/64/</c>).</summary>
    public const int SpriteSide = 64;

    public const string Tool = "rsvg-convert";

    /// <summary>The tool's version line, e.g. "rsvg-convert version 2.54.7" (for NOTICE and assets.json).</summary>
    public static async Task<string> VersionAsync(CancellationToken cancellationToken)
    {
        var result = await RunAsync(["--version"], Path.GetTempPath(), cancellationToken);
        return result.StandardOutput.Trim();
    }

    /// <summary>Rasterises <paramref name="svgPath"/> and writes the sprite PNG to <paramref name="pngPath"/>.</summary>
    public static async Task RasterizeAsync(string svgPath, string pngPath, CancellationToken cancellationToken, int side = SpriteSide)
    {
        var raw = pngPath + ".rsvg.png";
        try
        {
            var result = await RunAsync(["--width", Text(side), "--height", Text(side), "--keep-aspect-ratio", "--format", "png", "--output", raw, svgPath],
                Path.GetDirectoryName(Path.GetFullPath(pngPath))!, cancellationToken);
            if (result.ExitCode != 0 || !File.Exists(raw))
                throw new SynthException($"{Tool} could not draw {Path.GetFileName(svgPath)}: {result.Summary}");
            using var drawn = Image.Load<Rgba32>(raw);
            using var sprite = Square(drawn, side);
            // Re-encoded by ImageSharp so the PNG holds pixels only (no tool-specific chunks).
            sprite.SaveAsPng(pngPath);
        }
        finally
        {
            File.Delete(raw);
        }
    }

    /// <summary>The picture centred on a transparent square (rsvg-convert keeps a non-square drawing's aspect ratio).</summary>
    private static Image<Rgba32> Square(Image<Rgba32> drawn, int side)
    {
        var square = new Image<Rgba32>(side, side, new Rgba32(0, 0, 0, 0));
        square.Mutate(x => x.DrawImage(drawn, new Point((side - drawn.Width) / 2, (side - drawn.Height) / 2), PixelColorBlendingMode.Normal, PixelAlphaCompositionMode.Src, 1f));
        return square;
    }

    private static async Task<ToolResult> RunAsync(string[] arguments, string workingDirectory, CancellationToken cancellationToken)
    {
        try
        {
            return await ExternalTool.RunAsync(Tool, arguments, workingDirectory, cancellationToken);
        }
        catch (SynthException e) when (e.Message.Contains("is not available", StringComparison.Ordinal))
        {
            throw new SynthException($"'{Tool}' is not installed: it rasterises the SVG emoji styles; install it with 'apt-get install librsvg2-bin' (as root).", e);
        }
    }

    private static string Text(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
