using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace SNoJoE.Synth.Assets;

public sealed record FetchOptions(string OutputDirectory, bool SkipOptional = false, bool Overwrite = false)
{
    /// <summary>Backgrounds larger than this on their long side are stored resized (the scenes are at most 500 px).</summary>
    public int MaxBackgroundSide { get; init; } = AssetLibrary.MaxPhotoSide;
}

/// <summary>
/// Builds an asset folder (<see cref="AssetLayout"/>): downloads the npm and Debian packages with
/// their own clients (<c>npm pack</c>, <c>apt-get download</c>), unpacks them without installing
/// (<c>dpkg-deb -x</c>), keeps only what the generator uses, converts GIMP patterns to PNG and the
/// shifted styles' SVG emoji to 64 px PNG (<see cref="SvgRasterizer"/>), and
/// writes NOTICE and assets.json. Nothing is written to the output folder unless every required
/// source was obtained.
/// </summary>
public sealed class AssetFetcher(FetchOptions options, Action<string> log)
{
    private readonly EmojiMaps _emoji = EmojiMaps.Embedded();
    private readonly StyledEmojiTable _styledEmoji = StyledEmojiTable.Embedded();
    private readonly StampRules _stampRules = StampRules.Embedded();
    private readonly IReadOnlyList<BackgroundEntry> _backgrounds = BackgroundList.Embedded();

    public async Task<AssetsFile> RunAsync(CancellationToken cancellationToken)
    {
        var output = Path.GetFullPath(options.OutputDirectory);
        if (Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any() && !options.Overwrite)
            throw new SynthException($"{output} already exists and is not empty; pass --overwrite to replace it.");
        var sources = AssetSources.All.Where(s => !(s.Optional && options.SkipOptional)).ToArray();

        var work = Directory.CreateTempSubdirectory("snojoe-assets-").FullName;
        var staging = $"{output.TrimEnd(Path.DirectorySeparatorChar)}.staging-{Guid.NewGuid():N}";
        try
        {
            // Checked before any download: without the rasteriser the styled emoji cannot be made.
            var rsvgVersion = sources.Any(s => s.Kind == AssetKind.StyledEmoji) ? await SvgRasterizer.VersionAsync(cancellationToken) : "";
            var archives = new Dictionary<AssetSource, string>();
            foreach (var source in sources)
            {
                log($"downloading {source.Registry} package {source.Name}{(source.Version is null ? "" : "@" + source.Version)}");
                archives[source] = await DownloadAsync(source, work, cancellationToken);
            }

            var layout = new AssetLayout(staging);
            Directory.CreateDirectory(layout.Licenses);
            var infos = new List<AssetSourceInfo>();
            var notes = new List<(AssetSource Source, AssetSourceInfo Info, string Where, string Note)>();
            foreach (var source in sources)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var archive = archives[source];
                var sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(archive)));
                AssetSourceInfo info;
                string where, note;
                if (source.Kind == AssetKind.StyledEmoji)
                {
                    var styles = EmojiStyles.OfPackage(source.Name);
                    var kept = await UnpackStyledEmojiAsync(source, archive, work, layout, cancellationToken);
                    info = new AssetSourceInfo(source.Name, source.Registry, source.Version!, $"VOC emoji in the styles {string.Join(", ", styles.Select(s => s.Name))} (shifted-ID sets), rasterised by {rsvgVersion}",
                        StyledLicences[source.Name], sha, kept);
                    where = string.Join(" and ", styles.Select(s => $"emoji-styles/{s.Name}/"));
                    note = $"SVGs of {string.Join(" and ", styles.Select(s => s.SvgFolder))} named in Synth/Data/{SynthData.VocEmojiStylesFile}, rasterised to {SvgRasterizer.SpriteSide} px RGBA PNGs by {rsvgVersion}, stored under the Google file names";
                }
                else if (source.Registry == AssetSource.Npm)
                {
                    var (version, kept) = UnpackEmoji(archive, layout);
                    info = new AssetSourceInfo(source.Name, source.Registry, version, "objects (VOC, non-VOC and aux-outlier emoji)",
                        "Apache-2.0 (Google/Noto emoji images, per the package README); MIT (the package)", sha, kept);
                    (where, note) = ("emoji/", "Google 64 px PNGs of img/google/64/ named in Synth/Data/*-emoji-*.tsv");
                }
                else
                {
                    var root = Path.Combine(work, "unpacked", source.Name);
                    Directory.CreateDirectory(root);
                    await CheckedAsync(source, "dpkg-deb", ["-x", archive, root], work, cancellationToken);
                    var version = (await CheckedAsync(source, "dpkg-deb", ["-f", archive, "Version"], work, cancellationToken)).StandardOutput.Trim();
                    var licences = CopyCopyright(source, root, layout);
                    (int kept, where, note) = source.Kind switch
                    {
                        AssetKind.Stamps => (KeepStamps(root, layout), "stamps/", "PNG stamps of usr/share/tuxpaint/stamps/ that Synth/Data/tuxpaint-stamps.tsv uses"),
                        AssetKind.Backgrounds => (KeepBackgrounds(source, root, layout), $"backgrounds/{source.Name}/",
                            $"photos listed in Synth/Data/backgrounds.tsv; those over {options.MaxBackgroundSide} px on the long side resized and stored as JPEG (quality 95)"),
                        AssetKind.Textures => (KeepTextures(source, root, layout), $"textures/{source.Name}/", "GIMP patterns of usr/share/gimp/2.0/patterns/ converted to PNG"),
                        _ => throw new InvalidOperationException($"no unpacker for {source.Kind}"),
                    };
                    info = new AssetSourceInfo(source.Name, source.Registry, version, source.Kind.ToString().ToLowerInvariant(), licences, sha, kept);
                }
                log($"  {source.Name} {info.Version}: kept {info.FilesKept} files in {where}");
                infos.Add(info);
                notes.Add((source, info, where, note));
            }

            var assets = new AssetsFile(AssetsFile.CurrentFormat, infos);
            assets.Save(layout.AssetsFile);
            File.WriteAllText(layout.Notice, Notice(notes, options.SkipOptional));

            if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
            Directory.CreateDirectory(Path.GetDirectoryName(output)!);
            Directory.Move(staging, output);
            return assets;
        }
        finally
        {
            TryDelete(work);
            TryDelete(staging);
        }
    }

    private static async Task<string> DownloadAsync(AssetSource source, string work, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(work, "downloads", source.Name);
        Directory.CreateDirectory(folder);
        if (source.Registry == AssetSource.Npm)
        {
            var result = await ExternalTool.RunAsync("npm", ["pack", $"{source.Name}@{source.Version}", "--silent"], folder, cancellationToken);
            if (result.ExitCode != 0) throw Unavailable(source, $"npm pack failed: {result.Summary}");
        }
        else
        {
            var result = await ExternalTool.RunAsync("apt-get", ["download", source.Name], folder, cancellationToken);
            if (result.ExitCode != 0)
            {
                var hint = result.Summary.Contains("Unable to locate package", StringComparison.Ordinal) || result.Summary.Contains("has no installation candidate", StringComparison.Ordinal)
                    ? " The package lists may be missing or stale: run 'apt-get update' (as root) and try again."
                    : "";
                throw Unavailable(source, $"apt-get download failed: {result.Summary}.{hint}");
            }
        }
        var files = Directory.GetFiles(folder, source.Registry == AssetSource.Npm ? "*.tgz" : "*.deb");
        if (files.Length != 1) throw Unavailable(source, $"expected one downloaded archive in {folder}, found {files.Length}");
        if (source.Integrity is { } integrity) CheckIntegrity(source, files[0], integrity);
        return files[0];
    }

    /// <summary>Refuses a tarball whose sha512 is not the one pinned for that version (npm's dist.integrity).</summary>
    public static void CheckIntegrity(AssetSource source, string archive, string integrity)
    {
        var actual = "sha512-" + Convert.ToBase64String(SHA512.HashData(File.ReadAllBytes(archive)));
        if (actual != integrity)
            throw new SynthException($"{source.Name}@{source.Version}: the downloaded tarball's integrity is {actual}, expected {integrity}; not used.");
    }

    private static SynthException Unavailable(AssetSource source, string why) =>
        new($"could not obtain {source.Registry} package {source.Name}: {why}"
            + (source.Optional ? " (it is optional: --skip-optional does without it)" : ""));

    private static async Task<ToolResult> CheckedAsync(AssetSource source, string tool, string[] arguments, string work, CancellationToken cancellationToken)
    {
        var result = await ExternalTool.RunAsync(tool, arguments, work, cancellationToken);
        if (result.ExitCode != 0) throw new SynthException($"{tool} {arguments[0]} failed on {source.Name}: {result.Summary}");
        return result;
    }

    /// <summary>Extracts the needed 64 px Google emoji from the npm tarball (no other file is written).</summary>
    private (string Version, int Kept) UnpackEmoji(string archive, AssetLayout layout)
    {
        const string prefix = "package/img/google/64/";
        var required = _emoji.RequiredFiles.ToHashSet(StringComparer.Ordinal);
        var needed = required.Concat(_emoji.Aux.Select(e => e.File)).ToHashSet(StringComparer.Ordinal);
        var found = new HashSet<string>(StringComparer.Ordinal);
        string? version = null;
        Directory.CreateDirectory(layout.Emoji);
        using var file = File.OpenRead(archive);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        while (reader.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
            var name = entry.Name.Replace('\\', '/');
            if (name.StartsWith(prefix, StringComparison.Ordinal) && needed.Contains(name[prefix.Length..]))
            {
                var fileName = name[prefix.Length..];
                using var target = File.Create(Path.Combine(layout.Emoji, fileName));
                entry.DataStream.CopyTo(target);
                found.Add(fileName);
            }
            else if (name == "package/package.json")
            {
                using var json = JsonDocument.Parse(entry.DataStream);
                version = json.RootElement.TryGetProperty("version", out var v) ? v.GetString() : null;
            }
            else if (name is "package/LICENSE" or "package/README.md")
            {
                using var target = File.Create(Path.Combine(layout.Licenses, $"{AssetSources.EmojiPackage}.{Path.GetFileName(name)}"));
                entry.DataStream.CopyTo(target);
            }
        }
        if (version != AssetSources.EmojiVersion)
            throw new SynthException($"{Path.GetFileName(archive)}: package.json says version '{version}', expected {AssetSources.EmojiVersion}.");
        var missing = required.Except(found).Order(StringComparer.Ordinal).ToArray();
        if (missing.Length > 0)
            throw new SynthException($"{AssetSources.EmojiPackage} {version} lacks {missing.Length} emoji named in the tables: {string.Join(", ", missing.Take(10))}.");
        // The auxiliary outliers can do without a few: say which, and go on.
        var auxMissing = _emoji.Aux.Where(e => !found.Contains(e.File)).Select(e => $"{e.File} ({e.Name})").ToArray();
        if (auxMissing.Length > 0)
            log($"  {AssetSources.EmojiPackage} {version} lacks {auxMissing.Length} of the {_emoji.Aux.Count} aux-outlier emoji, left out: {string.Join(", ", auxMissing)}");
        return (version, found.Count);
    }

    /// <summary>
    /// Extracts the SVGs of the VOC emoji of each style the package holds and rasterises them to
    /// <c>emoji-styles/&lt;style&gt;/&lt;Google file name&gt;</c>; copies the package's licence and README.
    /// </summary>
    private async Task<int> UnpackStyledEmojiAsync(AssetSource source, string archive, string work, AssetLayout layout, CancellationToken cancellationToken)
    {
        var styles = EmojiStyles.OfPackage(source.Name);
        var wanted = new Dictionary<string, string>(StringComparer.Ordinal); // tarball path -> extracted path
        foreach (var style in styles)
            foreach (var emoji in _styledEmoji.For(style))
                wanted[$"package/{style.SvgFolder}{emoji.Svg}"] = Path.Combine(work, "svg", style.Name, emoji.Svg);
        string? version = null;
        using (var file = File.OpenRead(archive))
        using (var gzip = new GZipStream(file, CompressionMode.Decompress))
        using (var reader = new TarReader(gzip))
        {
            while (reader.GetNextEntry() is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
                var name = entry.Name.Replace('\\', '/');
                if (wanted.TryGetValue(name, out var target))
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    using var svg = File.Create(target);
                    entry.DataStream.CopyTo(svg);
                }
                else if (name == "package/package.json")
                {
                    using var json = JsonDocument.Parse(entry.DataStream);
                    version = json.RootElement.TryGetProperty("version", out var v) ? v.GetString() : null;
                }
                else if (name is "package/LICENSE" or "package/LICENSE.txt" or "package/README.md")
                {
                    var kind = name.EndsWith("README.md", StringComparison.Ordinal) ? "README.md" : "LICENSE";
                    using var copy = File.Create(Path.Combine(layout.Licenses, $"{source.Name}.{kind}"));
                    entry.DataStream.CopyTo(copy);
                }
            }
        }
        if (version != source.Version)
            throw new SynthException($"{Path.GetFileName(archive)}: package.json says version '{version}', expected {source.Version}.");
        var missing = wanted.Where(w => !File.Exists(w.Value)).Select(w => w.Key).Order(StringComparer.Ordinal).ToArray();
        if (missing.Length > 0)
            throw new SynthException($"{source.Name} {version} lacks {missing.Length} SVGs named in {SynthData.VocEmojiStylesFile}: {string.Join(", ", missing.Take(10))}.");
        if (source.Name == EmojiStyles.FluentPackage)
            File.WriteAllText(Path.Combine(layout.Licenses, $"{source.Name}.upstream-LICENSE"), FluentUpstreamLicence);

        var kept = 0;
        foreach (var style in styles)
        {
            var folder = layout.EmojiStyle(style.Name);
            Directory.CreateDirectory(folder);
            foreach (var emoji in _styledEmoji.For(style))
            {
                cancellationToken.ThrowIfCancellationRequested();
                await SvgRasterizer.RasterizeAsync(Path.Combine(work, "svg", style.Name, emoji.Svg), Path.Combine(folder, emoji.File), cancellationToken);
                kept++;
            }
        }
        return kept;
    }

    private static readonly IReadOnlyDictionary<string, string> StyledLicences = new Dictionary<string, string>
    {
        [EmojiStyles.OpenMojiPackage] = "CC-BY-SA-4.0 (OpenMoji graphics: \"All emojis designed by OpenMoji - the open-source emoji and icon project\", openmoji.org; the package's code, LGPL-3.0, is not used)",
        [EmojiStyles.FluentPackage] = "MIT (Microsoft Fluent Emoji art, Copyright (c) Microsoft Corporation; the npm repackaging, Copyright (c) 2022 Mohammad Abu Mattar)",
    };

    // The npm package carries only its repackager's MIT notice; the art is Microsoft's, under this one (microsoft/fluentui-emoji, LICENSE).
    private const string FluentUpstreamLicence = """
        The SVGs of fluentui-emoji are Microsoft's Fluent Emoji (github.com/microsoft/fluentui-emoji), under:

        MIT License

        Copyright (c) Microsoft Corporation.

        Permission is hereby granted, free of charge, to any person obtaining a copy
        of this software and associated documentation files (the "Software"), to deal
        in the Software without restriction, including without limitation the rights
        to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
        copies of the Software, and to permit persons to whom the Software is
        furnished to do so, subject to the following conditions:

        The above copyright notice and this permission notice shall be included in all
        copies or substantial portions of the Software.

        THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
        IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
        FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
        AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
        LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
        OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
        SOFTWARE

        """;

    private static string CopyCopyright(AssetSource source, string root, AssetLayout layout)
    {
        var copyright = Path.Combine(root, "usr", "share", "doc", source.Name, "copyright");
        if (!File.Exists(copyright)) throw new SynthException($"{source.Name}: the package has no usr/share/doc/{source.Name}/copyright.");
        File.Copy(copyright, Path.Combine(layout.Licenses, $"{source.Name}.copyright"), overwrite: true);
        var names = DebianCopyright.LicenceNames(File.ReadAllText(copyright));
        return names.Count > 0 ? string.Join("; ", names) : "see licenses/" + source.Name + ".copyright";
    }

    private int KeepStamps(string root, AssetLayout layout)
    {
        var stamps = Path.Combine(root, "usr", "share", "tuxpaint", "stamps");
        var kept = 0;
        foreach (var relative in AssetLayout.ImageFiles(stamps).Where(f => f.EndsWith(".png", StringComparison.Ordinal)))
        {
            if (_stampRules.Classify(relative).Kind == StampUseKind.None) continue;
            var target = Path.Combine(layout.Stamps, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(stamps, relative), target);
            kept++;
        }
        if (kept == 0) throw new SynthException("tuxpaint-stamps-default: no stamp matched Synth/Data/tuxpaint-stamps.tsv; has the package layout changed?");
        return kept;
    }

    private int KeepBackgrounds(AssetSource source, string root, AssetLayout layout)
    {
        var folder = Path.Combine(layout.Backgrounds, source.Name);
        Directory.CreateDirectory(folder);
        var kept = 0;
        foreach (var entry in _backgrounds.Where(b => b.Package == source.Name))
        {
            var path = Path.Combine(root, entry.Path);
            if (!File.Exists(path)) throw new SynthException($"{source.Name}: {entry.Path} (named in Synth/Data/backgrounds.tsv) is not in the package.");
            var info = Image.Identify(path) ?? throw new SynthException($"{source.Name}: {entry.Path} is not an image.");
            var extension = Path.GetExtension(path).ToLowerInvariant() is ".png" ? ".png" : ".jpg";
            if (Math.Max(info.Width, info.Height) <= options.MaxBackgroundSide)
            {
                File.Copy(path, Path.Combine(folder, entry.Name + extension));
            }
            else
            {
                using var image = Image.Load<Rgb24>(path);
                image.Mutate(x => x.AutoOrient().Resize(new ResizeOptions
                {
                    Size = new Size(options.MaxBackgroundSide, options.MaxBackgroundSide),
                    Mode = ResizeMode.Max,
                    Sampler = KnownResamplers.Lanczos3,
                }));
                image.Metadata.ExifProfile = null;
                image.SaveAsJpeg(Path.Combine(folder, entry.Name + ".jpg"), new JpegEncoder { Quality = 95 });
            }
            kept++;
        }
        return kept;
    }

    private int KeepTextures(AssetSource source, string root, AssetLayout layout)
    {
        var patterns = Path.Combine(root, "usr", "share", "gimp", "2.0", "patterns");
        if (!Directory.Exists(patterns)) throw new SynthException($"{source.Name}: the package has no usr/share/gimp/2.0/patterns/.");
        var kept = 0;
        foreach (var file in Directory.EnumerateFiles(patterns, "*.pat", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(patterns, file);
            var target = Path.Combine(layout.Textures, source.Name, Path.ChangeExtension(relative, ".png"));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            try
            {
                var bytes = File.ReadAllBytes(file);
                using var image = GimpPattern.Decode(bytes, file);
                if (GimpPattern.ReadHeader(bytes, file).HasAlpha) image.SaveAsPng(target);
                else
                {
                    using var rgb = image.CloneAs<Rgb24>();
                    rgb.SaveAsPng(target);
                }
                kept++;
            }
            catch (SynthException e)
            {
                log($"  skipped {source.Name}/{relative}: {e.Message}");
            }
        }
        return kept;
    }

    private static string Notice(IEnumerable<(AssetSource Source, AssetSourceInfo Info, string Where, string Note)> groups, bool skippedOptional)
    {
        var text = new StringBuilder();
        text.Append("Pictures of the SNoJoE synthetic benchmark, obtained by 'SNoJoE.Training fetch-assets'.\n");
        text.Append("Each group: where it is in this folder, its source package and exact version, what was kept, its licence(s).\n");
        text.Append("Full copyright and licence texts: licenses/. Do not redistribute without honouring them (GPL-2+ art included).\n");
        if (skippedOptional) text.Append("Optional sources were skipped (--skip-optional).\n");
        foreach (var (source, info, where, note) in groups)
        {
            text.Append('\n').Append(where).Append('\n');
            text.Append($"  source:  {info.Registry} package {info.Name} {info.Version} (archive sha256 {info.ArchiveSha256})\n");
            text.Append($"  kept:    {info.FilesKept} files: {note}\n");
            text.Append($"  licence: {info.Licence}{(source.Registry == AssetSource.Debian ? " (all licences its debian/copyright names; per-file terms there)" : "")}\n");
            text.Append($"  texts:   licenses/{source.Name}.{(source.Registry == AssetSource.Npm ? "LICENSE and README.md" : "copyright")}{(source.Name == EmojiStyles.FluentPackage ? $", licenses/{source.Name}.upstream-LICENSE (Microsoft's)" : "")}\n");
        }
        return text.ToString();
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // a leftover temp folder is not worth failing the command for
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
