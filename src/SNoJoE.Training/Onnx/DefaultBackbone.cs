namespace SNoJoE.Training.Onnx;

/// <summary>
/// The ImageNet-pretrained ResNet18 (CNTK export) of NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18
/// 0.23.1. The build copies it from the package to <c>backbones/ResNet18.onnx</c> beside the program.
/// </summary>
public static class DefaultBackbone
{
    public const string PackageId = "Microsoft.ML.DnnImageFeaturizer.ResNet18";
    public const string PackageVersion = "0.23.1";
    public const string Name = "ResNet18.onnx";

    public static string Path
    {
        get
        {
            var local = System.IO.Path.Combine(AppContext.BaseDirectory, "backbones", Name);
            if (File.Exists(local)) return local;
            var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                ?? System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            var cached = System.IO.Path.Combine(packages, PackageId.ToLowerInvariant(), PackageVersion, "tools", "DnnImageModels", "ResNet18Onnx", Name);
            if (File.Exists(cached)) return cached;
            throw new OnnxImportException($"The default backbone {Name} was not found beside the program or in the NuGet cache; run 'dotnet build' (it restores {PackageId} {PackageVersion}) or pass --backbone.");
        }
    }
}
