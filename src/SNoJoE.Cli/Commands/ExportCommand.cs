using System.CommandLine;
using SNoJoE.Training.Training;

namespace SNoJoE.Cli.Commands;

public static class ExportCommand
{
    public static Command Create()
    {
        var run = new Option<string>("--run") { Description = "Run folder written by 'train'.", Required = true };
        var output = new Option<string>("--out") { Description = "Path of the ONNX file to write (its manifest .json is written beside it).", Required = true };
        var checkpoint = new Option<string>("--checkpoint") { Description = "best (highest val mAP) | last.", DefaultValueFactory = _ => "best" };
        var command = new Command("export", "Export a trained run to ONNX (opset 17, dynamic batch, logits + joint_energy + features) with its manifest.")
        {
            run, output, checkpoint,
        };
        command.SetGuardedAction(result =>
        {
            var which = result.GetValue(checkpoint);
            if (which is not ("best" or "last")) throw new CliException("--checkpoint must be best or last.");
            var outPath = result.GetValue(output)!;
            var manifest = RunExporter.Export(result.GetValue(run)!, outPath, useBest: which == "best");
            Console.WriteLine($"wrote {outPath} and {Path.ChangeExtension(outPath, ".json")} ({manifest.Labels.Count} labels, spectral norm {manifest.SpectralNorm.Mode}, epoch {manifest.Training?.BestEpoch})");
            return 0;
        });
        return command;
    }
}
