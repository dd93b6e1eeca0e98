using System.CommandLine;
using SNoJoE.Synth.Assets;

namespace SNoJoE.Cli.Commands;

public static class FetchAssetsCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Asset folder to create (emoji/, emoji-styles/, stamps/, backgrounds/, textures/, licenses/, NOTICE, assets.json).", Required = true };
        var skipOptional = new Option<bool>("--skip-optional") { Description = "Do without the optional sources (plasma-workspace-wallpapers backgrounds)." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing, non-empty asset folder." };

        var command = new Command("fetch-assets",
            $"Download the benchmark's pictures with npm and apt-get ({string.Join(", ", AssetSources.All.Select(s => s.Name))}), unpack them without installing, keep what synth uses (rasterising the SVG emoji styles with rsvg-convert) and write NOTICE and assets.json.")
        {
            output, skipOptional, overwrite,
        };
        command.SetGuardedAction(async (result, cancellationToken) =>
        {
            var options = new FetchOptions(result.GetValue(output)!, result.GetValue(skipOptional), result.GetValue(overwrite));
            var assets = await new AssetFetcher(options, Console.WriteLine).RunAsync(cancellationToken);
            Console.WriteLine($"done: {assets.Sources.Sum(s => s.FilesKept)} files from {assets.Sources.Count} packages in {Path.GetFullPath(options.OutputDirectory)} (see NOTICE)");
            return 0;
        });
        return command;
    }
}
