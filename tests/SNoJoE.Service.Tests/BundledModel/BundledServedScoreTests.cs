using SixLabors.ImageSharp;
using SNoJoE.Core.Datasets;
using SNoJoE.Core.Manifest;
using SNoJoE.Core.Scoring;
using SNoJoE.Evaluation;
using SNoJoE.Evaluation.Detectors;
using SNoJoE.Evaluation.Serving;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests.BundledModel;

/// <summary>
/// bake on the committed float32 and int8 models (the int8 one keeps its head in float32): fitted on the bundled ID images
/// (a VOC folder made of them), the written model's served output equals the evaluation's C# score of its own logits and
/// features (bake's parity check, tolerance 1e-4 relative, and here again through the service), its logits and joint
/// energy are the source model's, and the service serves it once calibrated.
/// </summary>
public sealed class BundledServedScoreTests : IDisposable
{
    private const double Tolerance = 1e-4;
    private static readonly string Images = Path.Combine(AppContext.BaseDirectory, "BundledModel", "Images");
    private readonly TempFolder _temp = new("bundled-served");

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string, string> Models => new()
    {
        { "snojoe-resnet18-vocsynth.onnx", "react-hidden:p90+temperature" },
        { "snojoe-resnet18-vocsynth.int8.onnx", "react-hidden:p90+temperature" },
        { "snojoe-resnet18-vocsynth.int8.onnx", "ash-s-hidden:85+dice:90" },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public async Task A_score_baked_into_a_bundled_model_is_served_and_equals_the_evaluation_score(string file, string spec)
    {
        var source = Path.Combine(BundledModelServiceFixture.RepositoryRoot, "models", file);
        var voc = VocDataset.Open(BundledVoc());
        var output = Path.Combine(_temp.Sub("baked"), Path.GetFileNameWithoutExtension(file) + ".served.onnx");
        var result = await ServedScoreBaker.RunAsync(new BakeRequest
        {
            ModelPath = source, OutputPath = output, Score = ServedScoreSpec.Parse(spec), Data = voc, Provider = "cpu",
            ScorerOptions = new DatasetScorerOptions { BatchSize = 3 },
        });
        Assert.Equal(6, result.ParityImages);
        Assert.InRange(result.MaxRelativeDifference, 0, ServedScoreBaker.RelativeTolerance);
        Assert.InRange(result.HeadMaxAbsLogitError!.Value, 0, 1e-4);
        var sourceManifest = ManifestStore.LoadForModel(source);
        var manifest = ManifestStore.LoadForModel(output);
        Assert.Equal(spec, manifest.Score.Name);
        Assert.Equal(sourceManifest.Quantization?.Method, manifest.Quantization?.Method); // an int8 model stays described as one

        using (var baked = EvaluationModel.Load(output, "cpu"))
            await Calibrator.RunAsync(new DatasetScorer(baked, new DatasetScorerOptions { BatchSize = 1 }), voc, "val", 1.0); // batch 1, as the service runs these one by one
        var paths = voc.SplitIds("val").Select(voc.ImagePath).ToArray();
        using var original = EvaluationModel.Load(source, "cpu");
        var reference = await new DatasetScorer(original, new DatasetScorerOptions { WithFeatures = true, BatchSize = 1 }).ScoreAllAsync(paths);

        await using var factory = new ServiceFactory(new Dictionary<string, string?> { ["Model:Path"] = output });
        var client = await factory.CreateReadyClientAsync();
        for (int i = 0; i < paths.Length; i++)
        {
            var score = await (await client.PostRawAsync(await File.ReadAllBytesAsync(paths[i]), "image/jpeg")).ReadScoreAsync();
            var expected = reference.Images[i];
            double served = result.Score.Score(expected.Logits, expected.Features);
            Assert.Equal(spec, score.Score.Name);
            Assert.True(Math.Abs(score.Score.Value - served) <= Tolerance * Math.Max(1, Math.Abs(served)), $"{paths[i]}: service {score.Score.Value}, C# {served}");
            Assert.Equal(EnergyMath.JointEnergy(expected.Logits), score.Scores.Sum(s => (double)s.Energy), 1e-3); // the logits are the source model's
            Assert.Equal(Verdicts.InDistribution, score.Verdict); // calibrated to keep every one of them
        }
    }

    /// <summary>A VOC folder of the bundled ID images (labels from labels.tsv), each split holding all six.</summary>
    private string BundledVoc()
    {
        var root = _temp.Sub("VOCBundled");
        Directory.CreateDirectory(Path.Combine(root, "JPEGImages"));
        Directory.CreateDirectory(Path.Combine(root, "ImageSets", "Main"));
        var ids = new List<string>();
        foreach (var line in File.ReadAllLines(Path.Combine(Images, "id", "labels.tsv")).Skip(1))
        {
            var parts = line.Split('\t');
            var id = Path.GetFileNameWithoutExtension(parts[0]);
            var target = Path.Combine(root, "JPEGImages", parts[0]);
            File.Copy(Path.Combine(Images, "id", parts[0]), target);
            var info = Image.Identify(target);
            new VocAnnotation(parts[0], info.Width, info.Height,
                parts[1].Split(',').Select(l => new VocObject(l, false, new BoundingBox(1, 1, info.Width - 1, info.Height - 1))).ToArray())
                .Save(Path.Combine(root, "Annotations", id + ".xml"));
            ids.Add(id);
        }
        foreach (var split in new[] { "train", "val" }) File.WriteAllLines(Path.Combine(root, "ImageSets", "Main", split + ".txt"), ids);
        return root;
    }
}
