using SNoJoE.Core.Datasets;
using SNoJoE.Core.Manifest;
using SNoJoE.Evaluation;
using SNoJoE.Evaluation.Detectors;
using SNoJoE.Evaluation.Serving;

namespace SNoJoE.Service.Tests.Fixtures;

/// <summary>
/// A tiny model with the exported head (<see cref="TinyOnnx"/> with a hidden layer, 64x64 input, the same labels as
/// <see cref="ExportedModel"/>) with a served score baked in by the real bake path (<see cref="ServedScoreBaker"/>: fitted on a
/// tiny VOC's train split, parity-checked) and calibrated on its val split with F1 label thresholds: made once per test run.
/// </summary>
public sealed class ServedScoreModel
{
    public const string Score = "react-hidden:p90+dice:90";

    private static readonly Lazy<ServedScoreModel> Instance = new(() => new ServedScoreModel(), LazyThreadSafetyMode.ExecutionAndPublication);

    private ServedScoreModel()
    {
        Directory = TestScratch.CreateFolder("served-model");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TestScratch.Delete(Directory);
        SourcePath = TinyOnnx.Write(Path.Combine(Directory, "source"), ExportedModel.Labels, ExportedModel.ImageSize, seed: 5, grid: 4,
            weightScale: 0.6, name: "tiny-head", hidden: 32);
        Voc = TinyVoc.Write(Path.Combine(Directory, "data"), ExportedModel.Labels, new Dictionary<string, int> { ["train"] = 24, ["val"] = 21 }, size: 48);
        OnnxPath = Path.Combine(Directory, "served", "tiny-head.served.onnx");
        var voc = VocDataset.Open(Voc);
        Bake = ServedScoreBaker.RunAsync(new BakeRequest
        {
            ModelPath = SourcePath,
            OutputPath = OnnxPath,
            Score = ServedScoreSpec.Parse(Score),
            Data = voc,
            Provider = "cpu",
            ScorerOptions = new DatasetScorerOptions { BatchSize = 8 },
        }).GetAwaiter().GetResult();
        using (var baked = EvaluationModel.Load(OnnxPath, "cpu"))
            Calibrator.RunAsync(new DatasetScorer(baked), voc, "val", 0.9, labelThresholds: LabelThresholdMode.F1).GetAwaiter().GetResult();
        Manifest = ManifestStore.LoadForModel(OnnxPath);
    }

    public static ServedScoreModel Shared => Instance.Value;

    public string Directory { get; }
    /// <summary>The model before baking (no served score).</summary>
    public string SourcePath { get; }
    public string Voc { get; }
    /// <summary>The baked, calibrated model.</summary>
    public string OnnxPath { get; }
    public BakeResult Bake { get; }
    public ModelManifest Manifest { get; }
}

/// <summary>The service serving <see cref="ServedScoreModel"/>.</summary>
public sealed class ServedScoreServiceFixture : ServiceFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Model:Path"] = ServedScoreModel.Shared.OnnxPath };
}
