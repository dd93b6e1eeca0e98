using System.CommandLine;
using System.Globalization;
using SNoJoE.Benchmarks.Reporting;
using SNoJoE.Cli.Commands;
using SNoJoE.Core.Inference;

namespace SNoJoE.Benchmarks.Cli;

/// <summary>The command line: options, their checks, and the run.</summary>
public static class BenchmarkCommand
{
    public static RootCommand Create()
    {
        var model = new Option<string?>("--model") { Description = "The exported model (.onnx, manifest beside it). Default: the bundled models/snojoe-resnet18-vocsynth.onnx, found from the repository root." };
        var provider = new Option<string>("--provider") { Description = "ONNX Runtime execution provider, in-process and in the service: auto (CUDA when usable, else CPU), cpu or cuda.", DefaultValueFactory = _ => "auto" };
        provider.AcceptOnlyFromAmong([.. ProviderPreferences.Names]);
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads, in-process and in the service (Inference:IntraOpThreads).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var duration = new Option<double?>("--duration") { Description = "Seconds measured per figure, after a warm-up (default 10; 0.5 with --quick)." };
        var soak = new Option<double?>("--soak-seconds") { Description = "Length of the memory soak at concurrency 16 (default 300; 3 with --quick)." };
        var quick = new Option<bool>("--quick") { Description = "Tiny durations and image counts: a smoke test of the whole run, not a measurement." };
        var images = new Option<string?>("--images") { Description = "A folder of JPEGs to use instead of generated ones: needs some with the longest side <= 1024 px and some with the shortest side >= 1500 px." };
        var int8 = new Option<string?>("--int8-model") { Description = "An int8 model (from `snojoe quantize`) measured in the same run beside --model: ONNX Runtime, the in-process pipeline and the service with batching on, with their ratios to --model. 'none' skips it. Default: the bundled int8 model when --model is the bundled model." };
        var hostile = new Option<int?>("--hostile-soak") { Description = "The soak's hostile-input mode, on a fresh service: this many mutated JPEG/PNG/WebP/BMP uploads (raw and multipart, the fuzz tests' mutator) after the warm-up, RSS sampled over time (default 0 = not run; 300 with --quick)." };
        var hostileWarmup = new Option<int?>("--hostile-warmup") { Description = "Mutated uploads before the hostile soak's RSS baseline (default 2000; 50 with --quick)." };
        var hostileConcurrency = new Option<int>("--hostile-concurrency") { Description = "Concurrent clients of the hostile soak.", DefaultValueFactory = _ => 8 };
        var hostileIdle = new Option<double>("--hostile-idle-seconds") { Description = "After the hostile soak, wait this long with no traffic, sampling RSS.", DefaultValueFactory = _ => 0 };
        var hostileOnly = new Option<bool>("--hostile-soak-only") { Description = "Run only the hostile soak (on the service with batching on); --hostile-soak defaults to 20000." };
        var serviceEnv = new Option<string[]>("--service-env") { Description = "NAME=VALUE added to every service process's environment (repeatable), e.g. Memory__DecodePoolMegabytes=64 or MALLOC_ARENA_MAX=2.", AllowMultipleArgumentsPerToken = false };
        var serviceDll = new Option<string?>("--service-dll") { Description = "Another build of SNoJoE.Service.dll to run (default: the one beside the benchmark)." };
        var output = new Option<string>("--out") { Description = "Where to write the results as JSON.", DefaultValueFactory = _ => "benchmark.json" };

        var command = new RootCommand("Measures SNoJoE.Service against its physical limit: ONNX Runtime in-process, decoding, the in-process pipeline, and the real service over HTTP on loopback (batching on and off), plus its memory over a soak.")
        {
            model, provider, threads, duration, soak, quick, images, int8, hostile, hostileWarmup, hostileConcurrency, hostileIdle, hostileOnly,
            serviceEnv, serviceDll, output,
        };
        command.Add(LargePhotosCommand());
        command.SetGuardedAction(async (parse, cancellationToken) =>
        {
            var settings = Settings(parse.GetValue(model), parse.GetValue(provider)!, parse.GetValue(threads), parse.GetValue(duration),
                parse.GetValue(soak), parse.GetValue(quick), parse.GetValue(images), parse.GetValue(output)!, parse.GetValue(int8)) with
            {
                HostileSoak = HostileSoak(parse.GetValue(hostile), parse.GetValue(hostileWarmup), parse.GetValue(hostileConcurrency),
                    parse.GetValue(hostileIdle), parse.GetValue(quick), parse.GetValue(hostileOnly)),
                HostileSoakOnly = parse.GetValue(hostileOnly),
                ServiceEnvironment = ServiceEnvironment(parse.GetValue(serviceEnv) ?? []),
            };
            settings = WithServiceDll(settings, parse.GetValue(serviceDll));
            var runner = new BenchmarkRunner(settings, Console.Out);
            if (settings.HostileSoakOnly)
                ReportTables.Write(await runner.RunHostileSoakOnlyAsync(cancellationToken));
            else
                ReportTables.Write(await runner.RunAsync(cancellationToken));
            Console.Out.WriteLine($"results: {Path.GetFullPath(settings.OutputPath)}");
            return 0;
        });
        return command;
    }

    /// <summary>`large-photos`: the decode cost of a 12 MP JPEG, full size and scaled, against one image's int8 and fp32 inference.</summary>
    private static Command LargePhotosCommand()
    {
        var model = new Option<string?>("--model") { Description = "The fp32 model (.onnx, manifest beside it). Default: the bundled model." };
        var int8 = new Option<string?>("--int8-model") { Description = "The int8 model. Default: the model's path with .int8.onnx (the bundled int8 model)." };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads (the service's Inference:IntraOpThreads). Decoding runs on one thread, as each request's does.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var duration = new Option<double?>("--duration") { Description = "Seconds per figure and round, after a warm-up (default 5; 0.3 with --quick)." };
        var rounds = new Option<int?>("--rounds") { Description = "Rounds: the four figures are measured in turn, this many times; medians are reported (default 3; 1 with --quick)." };
        var quick = new Option<bool>("--quick") { Description = "Tiny durations, one round, two images: a smoke test, not a measurement." };
        var images = new Option<string?>("--images") { Description = "A folder of JPEGs to use instead of generated 4000x3000 ones (those with a shortest side >= 1500 px)." };
        var output = new Option<string>("--out") { Description = "Where to write the results as JSON.", DefaultValueFactory = _ => "large-photos.json" };
        var command = new Command("large-photos", "Decode + preprocess of 12 MP JPEGs at full size (the old path) and at reduced scale (libjpeg-turbo's scaled IDCT), against one image's int8 and fp32 inference, measured in one run; prints the ratios (target: scaled decode <= 2 x int8 inference).")
        {
            model, int8, threads, duration, rounds, quick, images, output,
        };
        command.SetGuardedAction(async (parse, cancellationToken) =>
        {
            var settings = LargePhotoSettings(parse.GetValue(model), parse.GetValue(int8), parse.GetValue(threads), parse.GetValue(duration),
                parse.GetValue(rounds), parse.GetValue(quick), parse.GetValue(images), parse.GetValue(output)!);
            var report = await new LargePhotos.LargePhotoBenchmark(settings, Console.Out).RunAsync(cancellationToken);
            await LargePhotos.LargePhotoBenchmark.WriteAsync(report, settings.OutputPath, cancellationToken);
            LargePhotos.LargePhotoBenchmark.WriteTable(report, Spectre.Console.AnsiConsole.Console);
            Console.Out.WriteLine($"results: {Path.GetFullPath(settings.OutputPath)}");
            return 0;
        });
        return command;
    }

    internal static LargePhotos.LargePhotoSettings LargePhotoSettings(string? model, string? int8Model, int threads, double? duration, int? rounds,
        bool quick, string? images, string output)
    {
        if (threads is < 1 or > 1024) throw new BenchmarkException($"--threads {threads} must be in 1..1024.");
        var seconds = duration ?? (quick ? 0.3 : 5);
        if (!(seconds is >= 0.1 and <= 3600)) throw new BenchmarkException($"--duration {Format(seconds)} must be in 0.1..3600 seconds.");
        var roundCount = rounds ?? (quick ? 1 : 3);
        if (roundCount is < 1 or > 100) throw new BenchmarkException($"--rounds {roundCount} must be in 1..100.");
        if (string.IsNullOrWhiteSpace(output)) throw new BenchmarkException("--out is empty.");
        var outputFolder = Path.GetDirectoryName(Path.GetFullPath(output))!;
        if (!Directory.Exists(outputFolder)) throw new BenchmarkException($"--out '{output}': the folder '{outputFolder}' does not exist.");
        if (images is not null && !Directory.Exists(images)) throw new BenchmarkException($"--images '{images}' is not a folder.");
        var modelPath = model is null ? BundledModel.Find() : Path.GetFullPath(model);
        if (!File.Exists(modelPath)) throw new BenchmarkException($"--model '{modelPath}' does not exist.");
        var int8Path = Path.GetFullPath(int8Model ?? Path.ChangeExtension(modelPath, ".int8.onnx"));
        if (!File.Exists(int8Path)) throw new BenchmarkException($"--int8-model '{int8Path}' does not exist (make one with `snojoe quantize`).");
        return new LargePhotos.LargePhotoSettings
        {
            ModelPath = modelPath,
            Int8ModelPath = int8Path,
            Threads = threads,
            Warmup = TimeSpan.FromSeconds(quick ? 0.2 : 1),
            Duration = TimeSpan.FromSeconds(seconds),
            Rounds = roundCount,
            Quick = quick,
            OutputPath = output,
            ImagesFolder = images,
            GeneratedImages = quick ? 2 : 4,
        };
    }

    /// <summary>Parses and runs; a command-line error is one line on stderr and exit code 2.</summary>
    public static async Task<int> InvokeAsync(string[] args)
    {
        var parse = Create().Parse(args);
        if (parse.Errors.Count > 0)
        {
            Console.Error.WriteLine($"error: {string.Join(' ', parse.Errors[0].Message.Split((char[])['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(p => p.Trim()))}");
            return 2;
        }
        return await parse.InvokeAsync();
    }

    internal static BenchmarkSettings Settings(string? model, string provider, int threads, double? duration, double? soak, bool quick,
        string? images, string output, string? int8Model = null)
    {
        if (threads is < 1 or > 1024) throw new BenchmarkException($"--threads {threads} must be in 1..1024.");
        var seconds = duration ?? (quick ? 0.5 : 10);
        if (!(seconds is >= 0.1 and <= 3600)) throw new BenchmarkException($"--duration {Format(seconds)} must be in 0.1..3600 seconds.");
        var soakSeconds = soak ?? (quick ? 3 : 300);
        if (!(soakSeconds is >= 1 and <= 86_400)) throw new BenchmarkException($"--soak-seconds {Format(soakSeconds)} must be in 1..86400.");
        if (string.IsNullOrWhiteSpace(output)) throw new BenchmarkException("--out is empty.");
        var outputFolder = Path.GetDirectoryName(Path.GetFullPath(output))!;
        if (!Directory.Exists(outputFolder)) throw new BenchmarkException($"--out '{output}': the folder '{outputFolder}' does not exist.");
        if (images is not null && !Directory.Exists(images)) throw new BenchmarkException($"--images '{images}' is not a folder.");

        var modelPath = model is null ? BundledModel.Find() : Path.GetFullPath(model);
        if (!File.Exists(modelPath)) throw new BenchmarkException($"--model '{modelPath}' does not exist.");
        var int8Path = Int8ModelPath(int8Model, model is null ? modelPath : null);
        var serviceDll = Path.Combine(AppContext.BaseDirectory, "SNoJoE.Service.dll");
        if (!File.Exists(serviceDll)) throw new BenchmarkException($"the service is not built beside the benchmark ('{serviceDll}' is missing).");

        return new BenchmarkSettings
        {
            ModelPath = modelPath,
            Provider = provider,
            Threads = threads,
            DecodeThreads = Environment.ProcessorCount,
            Warmup = TimeSpan.FromSeconds(quick ? Math.Min(0.3, seconds) : Math.Min(3, Math.Max(1, seconds / 4))),
            Duration = TimeSpan.FromSeconds(seconds),
            ServiceWarmup = TimeSpan.FromSeconds(quick ? Math.Min(0.5, seconds) : Math.Clamp(2 * seconds, 5, 30)),
            Soak = TimeSpan.FromSeconds(soakSeconds),
            SoakSampleInterval = TimeSpan.FromSeconds(Math.Clamp(soakSeconds / 60, 0.25, 5)),
            Quick = quick,
            OutputPath = output,
            ImagesFolder = images,
            ServiceDll = serviceDll,
            Int8ModelPath = int8Path,
            GeneratedSmallImages = quick ? 8 : 32,
            GeneratedLargeImages = quick ? 2 : 4,
        };
    }

    internal static Phases.HostileSoakSettings? HostileSoak(int? uploads, int? warmup, int concurrency, double idleSeconds, bool quick, bool only)
    {
        var count = uploads ?? (quick ? 300 : only ? 20_000 : 0);
        if (count is < 0 or > 100_000_000) throw new BenchmarkException($"--hostile-soak {count} must be in 0..100000000.");
        if (count == 0)
            return only ? throw new BenchmarkException("--hostile-soak-only needs --hostile-soak above 0.") : null;
        var warm = warmup ?? (quick ? 50 : 2000);
        if (warm is < 0 or > 100_000_000) throw new BenchmarkException($"--hostile-warmup {warm} must be in 0..100000000.");
        if (concurrency is < 1 or > 1024) throw new BenchmarkException($"--hostile-concurrency {concurrency} must be in 1..1024.");
        if (!(idleSeconds is >= 0 and <= 86_400)) throw new BenchmarkException($"--hostile-idle-seconds {Format(idleSeconds)} must be in 0..86400.");
        return new Phases.HostileSoakSettings(concurrency, warm, count, TimeSpan.FromSeconds(quick ? 0.5 : 5), TimeSpan.FromSeconds(idleSeconds));
    }

    internal static IReadOnlyDictionary<string, string> ServiceEnvironment(IEnumerable<string> assignments)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var assignment in assignments)
        {
            var equals = assignment.IndexOf('=');
            if (equals < 1) throw new BenchmarkException($"--service-env '{assignment}' is not NAME=VALUE.");
            environment[assignment[..equals]] = assignment[(equals + 1)..];
        }
        return environment;
    }

    private static BenchmarkSettings WithServiceDll(BenchmarkSettings settings, string? serviceDll)
    {
        if (serviceDll is null) return settings;
        var path = Path.GetFullPath(serviceDll);
        return File.Exists(path) ? settings with { ServiceDll = path } : throw new BenchmarkException($"--service-dll '{path}' does not exist.");
    }

    /// <summary>The int8 model to measure: as given, none for 'none', else the bundled one beside the bundled model if it is there.</summary>
    private static string? Int8ModelPath(string? option, string? bundledModel)
    {
        if (option is "none") return null;
        if (option is not null)
        {
            var path = Path.GetFullPath(option);
            return File.Exists(path) ? path : throw new BenchmarkException($"--int8-model '{path}' does not exist.");
        }
        if (bundledModel is null) return null;
        var bundledInt8 = Path.ChangeExtension(bundledModel, ".int8.onnx");
        return File.Exists(bundledInt8) ? bundledInt8 : null;
    }

    private static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);
}
