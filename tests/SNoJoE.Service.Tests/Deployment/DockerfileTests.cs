using System.Text.Json.Nodes;

namespace SNoJoE.Service.Tests.Deployment;

/// <summary>The Dockerfile's promises, read from the file itself (no Docker engine here; podman builds it, see README).</summary>
public sealed class DockerfileTests
{
    public static readonly Dockerfile File = Dockerfile.Parse(RepositoryFiles.Read("Dockerfile"));
    public static readonly string[] RuntimeStages = ["runtime-gpu", "runtime-cpu"];
    public const string Port = "8080";
    public const string User = "1654";
    public const string TempFolder = "/tmp";

    [Fact]
    public void Every_base_image_is_a_build_argument_and_the_GPU_image_is_CUDA_13_with_cuDNN_on_Ubuntu_24_04()
    {
        foreach (var stage in File.Stages)
        {
            Assert.Matches(@"^\$\{[A-Z_]+\}$|^[a-z-]+$", stage.From); // an ARG, or an earlier stage
            if (stage.From.StartsWith('$')) Assert.Contains(stage.From[2..^1], File.GlobalArgs.Keys);
        }
        var cuda = File.GlobalArgs[File.Stage("runtime-gpu").From[2..^1]];
        Assert.Matches(@"^nvidia/cuda:13\.\d+\.\d+-cudnn-runtime-ubuntu24\.04$", cuda);
        Assert.Matches(@"dotnet/sdk:10\.0", File.GlobalArgs[File.Stage("build").From[2..^1]]);
        Assert.Matches(@"dotnet/aspnet:10\.0-noble", File.GlobalArgs[File.Stage("aspnet").From[2..^1]]);
        Assert.Matches(@"dotnet/aspnet:10\.0-noble-chiseled", File.GlobalArgs[File.Stage("runtime-cpu").From[2..^1]]);
        Assert.Contains(File.Stage("runtime-gpu").All("COPY"), c => c == "--from=aspnet /usr/share/dotnet /usr/share/dotnet");
    }

    [Theory]
    [InlineData("runtime-gpu")]
    [InlineData("runtime-cpu")]
    public void A_runtime_image_runs_as_UID_1654_on_port_8080_with_a_probe_health_check_and_tmp_as_its_only_writable_folder(string name)
    {
        var stage = File.Stage(name);
        Assert.Equal(User, stage.Single("USER"));
        Assert.Equal(Port, stage.Single("EXPOSE"));
        Assert.Equal(Port, stage.Environment["ASPNETCORE_HTTP_PORTS"]);
        Assert.Equal(TempFolder, stage.Environment["TMPDIR"]);
        Assert.Equal($"[\"{TempFolder}\"]", stage.Single("VOLUME"));
        Assert.Equal("/app", stage.Single("WORKDIR"));
        Assert.Equal("[\"dotnet\", \"/app/SNoJoE.Service.dll\"]", stage.Single("ENTRYPOINT"));
        var healthCheck = stage.Single("HEALTHCHECK");
        Assert.EndsWith("CMD [\"dotnet\", \"/app/SNoJoE.Service.dll\", \"--probe\"]", healthCheck);
        Assert.DoesNotContain("curl", string.Join('\n', stage.Instructions.Select(i => i.Arguments)));
        // The instruction USER comes after every COPY: the app's files belong to root and cannot be changed by the app.
        Assert.True(stage.Instructions.ToList().FindLastIndex(i => i.Instruction == "COPY") < stage.Instructions.ToList().FindIndex(i => i.Instruction == "USER"));
    }

    [Fact]
    public void The_bundled_model_lands_where_the_default_Model_Path_resolves_in_the_image()
    {
        var settings = JsonNode.Parse(RepositoryFiles.Read("src/SNoJoE.Service/appsettings.json"))!;
        var modelPath = (string)settings["Model"]!["Path"]!; // relative: resolved against the content root /app
        var onnx = Path.GetFileName(modelPath);
        var manifest = Path.ChangeExtension(onnx, ".json");
        Assert.Contains($"{modelPath} {Path.ChangeExtension(modelPath, ".json")} /out/models/", File.Stage("build").All("COPY"));
        foreach (var name in RuntimeStages)
            Assert.Contains($"--from=build /out/models/ ./{Path.GetDirectoryName(modelPath)}/", File.Stage(name).All("COPY"));
        var dockerignore = RepositoryFiles.Read(".dockerignore").Split('\n').Select(l => l.Trim()).ToArray();
        Assert.Contains($"!models/{onnx}", dockerignore);
        Assert.Contains($"!models/{manifest}", dockerignore);
    }

    [Fact]
    public void The_CPU_image_serves_on_the_CPU_without_the_CUDA_provider_and_the_GPU_image_tries_CUDA_first()
    {
        Assert.Equal("cpu", File.Stage("runtime-cpu").Environment["Inference__Provider"]);
        Assert.Equal("auto", File.Stage("runtime-gpu").Environment["Inference__Provider"]);
        var publish = Assert.Single(File.Stage("build").All("RUN"), r => r.Contains("dotnet publish"));
        Assert.Contains("rm /out/cpu/libonnxruntime_providers_cuda.so", publish);
        Assert.Contains("--from=build /out/cpu/ ./", File.Stage("runtime-cpu").All("COPY"));
        Assert.Contains("--from=build /out/gpu/ ./", File.Stage("runtime-gpu").All("COPY"));
    }
}
