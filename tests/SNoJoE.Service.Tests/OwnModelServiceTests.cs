using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;
using SNoJoE.Core.Datasets;
using SNoJoE.Core.Manifest;
using SNoJoE.Evaluation;
using SNoJoE.Evaluation.Detectors;
using SNoJoE.Evaluation.Quantization;
using SNoJoE.Evaluation.Serving;
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

    [Fact]
    public async Task Bake_and_quantize_work_on_the_imported_model_and_the_service_serves_what_they_make()
    {
        var voc = VocDataset.Open(OwnModelFiles.Voc);
        var folder = Path.Combine(_imported.Directory, "derived");
        // auto: the candidates the imported graph can compute (no exported head: ReAct, ASH and DICE are left out)
        var notes = new List<string>();
        var auto = await ServedScoreBaker.RunAsync(new BakeRequest
        {
            ModelPath = _imported.Nchw, OutputPath = Path.Combine(folder, "auto.onnx"), SelectOn = OwnModelFiles.Ood, Data = voc,
            Candidates = ScoreSelection.DefaultCandidates.Select(ServedScoreSpec.Parse).ToArray(), FitSplit = "val", Provider = "cpu", BootstrapResamples = 200,
        }, notes.Add);
        Assert.NotNull(auto.Selection);
        Assert.Contains(notes, n => n.StartsWith("candidates left out", StringComparison.Ordinal) && n.Contains("react-hidden:p90"));
        // a named score that only needs the logits, baked into the graph and served
        var baked = await ServedScoreBaker.RunAsync(new BakeRequest
        {
            ModelPath = _imported.Nchw, OutputPath = Path.Combine(folder, "t2.onnx"), Score = ServedScoreSpec.Parse("temperature:2"), Data = voc, Provider = "cpu",
        });
        var int8 = Int8Quantization.Run(new QuantizeRequest
        {
            ModelPath = _imported.Nchw, OutputPath = Path.Combine(folder, "own.int8.onnx"),
            CalibrationImages = voc.SplitIds("val").Select(voc.ImagePath).ToArray(), CalibrationSplit = "val",
        });
        foreach (var path in new[] { auto.ModelPath, baked.ModelPath, int8.ModelPath })
        {
            using var model = EvaluationModel.Load(path, "cpu");
            await Calibrator.RunAsync(new DatasetScorer(model), voc, "val", 0.95);
        }

        using var original = new InferenceSession(OwnModelFiles.Nchw);
        var files = OwnModelFiles.IdTestImages().Take(6).Concat(OwnModelFiles.OodImages().Take(6)).ToArray();
        await using (var factory = new ServiceFactory(new Dictionary<string, string?> { ["Model:Path"] = baked.ModelPath }))
        {
            using var client = await factory.CreateReadyClientAsync();
            foreach (var file in files)
            {
                var expected = OwnModelFiles.ReferenceLogits(original, file, nhwc: false);
                var score = await (await client.PostRawAsync(await File.ReadAllBytesAsync(file), "image/png")).ReadScoreAsync();
                Assert.Equal("temperature:2", score.Score.Name);
                // T * sum softplus(logit / T) by hand, on the original graph's logits
                double tempered = 2 * expected.Sum(l => Math.Log(1 + Math.Exp(l / 2.0)));
                Assert.Equal(tempered, score.Score.Value, 1e-3);
                Assert.Equal(OwnModelFiles.JointEnergy(expected), score.JointEnergy, 1e-3);
                Assert.Equal(score.Score.Value < score.Score.Threshold, score.IsOutOfDistribution);
            }
        }
        // The int8 model as served: its own graph's logits (ONNX Runtime on the same hand-preprocessed pixels), its own threshold.
        using var quantized = new InferenceSession(int8.ModelPath);
        var int8Manifest = ManifestStore.LoadForModel(int8.ModelPath);
        Assert.NotEqual(ManifestStore.LoadForModel(_imported.Nchw).Score.Threshold, int8Manifest.Score.Threshold);
        await using (var factory = new ServiceFactory(new Dictionary<string, string?> { ["Model:Path"] = int8.ModelPath }))
        {
            using var client = await factory.CreateReadyClientAsync();
            foreach (var file in files)
            {
                var expected = OwnModelFiles.ReferenceLogits(quantized, file, nhwc: false, output: int8Manifest.Outputs.Logits);
                var score = await (await client.PostRawAsync(await File.ReadAllBytesAsync(file), "image/png")).ReadScoreAsync();
                for (int k = 0; k < expected.Length; k++) Assert.Equal(expected[k], score.Scores[k].Logit, 1e-4);
                Assert.Equal(OwnModelFiles.JointEnergy(expected), score.Score.Value, 1e-3);
                Assert.Equal(score.Score.Value < int8Manifest.Score.Threshold, score.IsOutOfDistribution);
            }
        }
    }
}
