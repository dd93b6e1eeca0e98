using System.CommandLine;
using SNoJoE.Core.Inference;
using SNoJoE.Evaluation;

namespace SNoJoE.Cli.Commands;

/// <summary>What calibrate and evaluate share: the --provider option, opening the model with it, the --batch-size check.</summary>
internal static class ScoringCommandOptions
{
    public static Option<string> Provider()
    {
        var provider = new Option<string>("--provider") { Description = "ONNX Runtime execution provider: auto (CUDA when usable, else CPU), cpu or cuda.", DefaultValueFactory = _ => "auto" };
        provider.AcceptOnlyFromAmong([.. ProviderPreferences.Names]);
        return provider;
    }

    /// <summary>Opens the exported model; why CUDA was not used goes to stderr as a note.</summary>
    public static OnnxModel LoadModel(string modelPath, string provider) =>
        EvaluationModel.Load(modelPath, provider, message => Console.Error.WriteLine($"note: {message}"));

    public static int CheckedBatchSize(int batchSize) =>
        batchSize is >= 1 and <= 4096 ? batchSize : throw new CliException($"--batch-size {batchSize} must be in 1..4096.");
}
