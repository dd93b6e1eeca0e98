using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;
using SNoJoE.Core.Datasets;
using SNoJoE.Core.Manifest;
using SNoJoE.Evaluation;
using SNoJoE.OnnxGraph.Import;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests;

/// <summary>
/// Issue 26 end to end on a model from outside: the PyTorch-trained fixture (<see cref="OwnModelFiles"/>), NCHW and NHWC,
/// imported (<see cref="ModelImporter"/>), calibrated on its own ID val split, and served. For every ID test and OOD image the
/// service's logits equal the ORIGINAL graph's (ONNX Runtime on a tensor preprocessed by hand in the test) within 1e-4, its
/// labels are the logits above 0 (probability 0.5), and its verdict is the hand-computed joint energy against the threshold.
/// </summary>
public sealed class OwnModelServiceTests : IClassFixture<OwnModelServiceTests.Imported>
{
    private const float LogitTolerance = 1e-4f;
    private readonly Imported _imported;

    public OwnModelServiceTests(Imported imported) => _imported = imported;

    /// <summary>Both fixture models imported and calibrated (TPR 0.95 on voc val) in a scratch folder, once per class.</summary>
    public sealed class Imported : IDisposable
    {
        public Imported()
        {
            Directory = TestScratch.CreateFolder("own-model");
            var labels = LabelsFile.Read(OwnModelFiles.Labels);
            Nchw = ModelImporter.Import(new ModelImportRequest
            {
                ModelPath = OwnModelFiles.Nchw, Labels = labels, OutputPath = Path.Combine(Directory, "nchw", "own.onnx"), Resize = InputSpec.ShorterSideCrop,
            }).ModelPath;
            Nhwc = ModelImporter.Import(new ModelImportRequest
            {
                ModelPath = OwnModelFiles.Nhwc, Labels = labels, OutputPath = Path.Combine(Directory, "nhwc", "own-nhwc.onnx"), Resize = InputSpec.ShorterSideCrop,
                ChannelOrder = "BGR", Scale = 1f, Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f],
            }).ModelPath;
            var voc = VocDataset.Open(OwnModelFiles.Voc);
            foreach (var path in new[] { Nchw, Nhwc })
            {
                using var model = EvaluationModel.Load(path, "cpu");
                Calibrator.RunAsync(new DatasetScorer(model), voc, "val", 0.95).GetAwaiter().GetResult();
            }
        }

        public string Directory { get; }
        public string Nchw { get; }
        public string Nhwc { get; }

        public void Dispose() => TestScratch.Delete(Directory);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Served_logits_labels_and_verdict_equal_the_original_graph_on_hand_preprocessed_pixels(bool nhwc)
    {
        var imported = nhwc ? _imported.Nhwc : _imported.Nchw;
        var manifest = ManifestStore.LoadForModel(imported);
        double threshold = manifest.Score.Threshold!.Value;
        await using var factory = new ServiceFactory(new Dictionary<string, string?> { ["Model:Path"] = imported });
        using var client = await factory.CreateReadyClientAsync();
        using var original = new InferenceSession(nhwc ? OwnModelFiles.Nhwc : OwnModelFiles.Nchw);

        var files = OwnModelFiles.IdTestImages().Concat(OwnModelFiles.OodImages()).ToArray();
        Assert.Equal(48 + 24, files.Length);
        int idKept = 0, oodRejected = 0;
        float worst = 0;
        foreach (var file in files)
        {
            var expected = OwnModelFiles.ReferenceLogits(original, file, nhwc);
            using var response = await client.PostRawAsync(await File.ReadAllBytesAsync(file), "image/png");
            var score = await response.ReadScoreAsync();
            Assert.Equal(manifest.Labels, score.Scores.Select(s => s.Label));
            for (int k = 0; k < expected.Length; k++)
            {
                float diff = Math.Abs(expected[k] - (float)score.Scores[k].Logit);
                worst = Math.Max(worst, diff);
                Assert.True(diff <= LogitTolerance, $"{Path.GetFileName(file)} label {manifest.Labels[k]}: served {score.Scores[k].Logit}, original graph {expected[k]}");
            }
            var expectedLabels = manifest.Labels.Where((_, k) => expected[k] > 0).ToArray(); // sigmoid > 0.5
            if (expected.All(l => Math.Abs(l) > 1e-3))
                Assert.Equal(expectedLabels.Order(StringComparer.Ordinal), score.Labels.Select(l => l.Label).Order(StringComparer.Ordinal)); // the answer lists them by probability
            double energy = OwnModelFiles.JointEnergy(expected);
            Assert.Equal(energy, score.Score.Value, 1e-3);
            if (Math.Abs(energy - threshold) > 1e-3)
                Assert.Equal(energy < threshold, score.IsOutOfDistribution);
            bool isId = file.Contains("JPEGImages", StringComparison.Ordinal);
            if (isId && !score.IsOutOfDistribution) idKept++;
            if (!isId && score.IsOutOfDistribution) oodRejected++;
        }
        Assert.True(idKept >= 40, $"{idKept} of 48 ID test images kept at a threshold calibrated to keep 95% of val");
        Assert.True(oodRejected > 0, "no OOD image was rejected");
        Assert.True(worst <= LogitTolerance);
    }

    [Fact]
    public async Task The_NCHW_and_NHWC_imports_of_the_same_weights_serve_the_same_logits_and_model_says_the_layout()
    {
        await using var nchw = new ServiceFactory(new Dictionary<string, string?> { ["Model:Path"] = _imported.Nchw });
        await using var nhwc = new ServiceFactory(new Dictionary<string, string?> { ["Model:Path"] = _imported.Nhwc });
        using var a = await nchw.CreateReadyClientAsync();
        using var b = await nhwc.CreateReadyClientAsync();
        foreach (var file in OwnModelFiles.IdTestImages().Take(8))
        {
            var bytes = await File.ReadAllBytesAsync(file);
            var x = await (await a.PostRawAsync(bytes, "image/png")).ReadScoreAsync();
            var y = await (await b.PostRawAsync(bytes, "image/png")).ReadScoreAsync();
            for (int k = 0; k < x.Scores.Count; k++) Assert.Equal(x.Scores[k].Logit, y.Scores[k].Logit, 1e-4);
        }
        var model = await b.GetFromJsonAsync<JsonObject>("/model");
        Assert.Equal("NHWC", (string?)model!["input"]!["layout"]);
        Assert.Equal("shorter-side", (string?)model["input"]!["resize"]);
        Assert.Equal("BGR", (string?)model["input"]!["channelOrder"]);
    }
}
