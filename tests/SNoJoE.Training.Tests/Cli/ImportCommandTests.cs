using System.Text.Json;
using Google.Protobuf;
using SNoJoE.Core.Inference;
using SNoJoE.Core.Manifest;
using SNoJoE.Evaluation.Reports;
using SNoJoE.OnnxGraph;

namespace SNoJoE.Training.Tests.Cli;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OwnModelCliCollection
{
    public const string Name = "Import CLI (console captured)";
}

/// <summary>
/// <c>snojoe import</c> (issue 26): the PyTorch-trained fixture (<see cref="OwnModelFiles"/>) imported, calibrated and
/// evaluated by the real commands; its imported logits equal the original graph's on hand-preprocessed pixels; and each
/// kind of bad input is refused in one line with exit code 1 (graphs written here with the repository's graph writer).
/// </summary>
[Collection(OwnModelCliCollection.Name)]
public sealed class ImportCommandTests : IDisposable
{
    private readonly TempFolder _temp = new("snojoe-import");

    public void Dispose() => _temp.Dispose();

    private string NewFolder(string name)
    {
        var folder = _temp.Sub(name + "-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(folder);
        return folder;
    }

    [Fact]
    public async Task Import_then_calibrate_then_evaluate_the_PyTorch_model()
    {
        var out_ = Path.Combine(NewFolder("e2e"), "own.onnx");
        var import = await CliRunner.RunAsync("import", "--model", OwnModelFiles.Nchw, "--labels", OwnModelFiles.Labels, "--resize", "shorter-side", "--out", out_);
        Assert.True(import.ExitCode == 0, import.Error + import.Output);
        Assert.Contains("next:", import.Output);
        Assert.Contains($"snojoe calibrate --model {out_}", import.Output);

        var manifest = ManifestStore.LoadForModel(out_);
        Assert.Equal(["bar", "circle", "square", "triangle"], manifest.Labels);
        Assert.Equal(("input", 32, 32, "NCHW", "shorter-side", "RGB"), (manifest.Input.Name, manifest.Input.Width, manifest.Input.Height, manifest.Input.Layout, manifest.Input.Resize, manifest.Input.ChannelOrder));
        Assert.Equal(1f / 255f, manifest.Input.Scale);
        Assert.Equal(("logits", "joint_energy"), (manifest.Outputs.Logits, manifest.Outputs.JointEnergy));
        Assert.Equal("/head/head.1/Relu_output_0", manifest.Outputs.Features); // the input of the last Gemm: the head's hidden ReLU
        Assert.Equal(ServedScore.JointEnergyName, manifest.Score.Name);
        Assert.Null(manifest.Score.Threshold);
        Assert.Equal(ManifestStore.Sha256OfFile(OwnModelFiles.Nchw), manifest.Import!.SourceModelSha256);
        var json = JsonDocument.Parse(File.ReadAllText(ManifestStore.ManifestPathFor(out_))).RootElement;
        Assert.Equal(2, json.GetProperty("schemaVersion").GetInt32());
        Assert.Equal("joint-energy", json.GetProperty("score").GetProperty("name").GetString());

        // the imported graph's logits are the original's (ONNX Runtime on a tensor preprocessed by hand), its features [N,32]
        using (var original = new Microsoft.ML.OnnxRuntime.InferenceSession(OwnModelFiles.Nchw))
        using (var imported = OnnxModel.Load(out_, new InferenceOptions { Provider = ProviderPreference.Cpu }))
        {
            Assert.Equal(32, imported.FeatureSize);
            var scorer = new Evaluation.DatasetScorer(imported, new Evaluation.DatasetScorerOptions { BatchSize = 5 });
            var files = OwnModelFiles.IdTestImages().Take(12).ToArray();
            var scored = await scorer.ScoreAllAsync(files);
            for (int i = 0; i < files.Length; i++)
            {
                var expected = OwnModelFiles.ReferenceLogits(original, files[i], nhwc: false);
                for (int k = 0; k < expected.Length; k++) Assert.Equal(expected[k], scored.Images[i].Logits[k], 1e-4);
                Assert.Equal(OwnModelFiles.JointEnergy(expected), scored.Images[i].ServedScore, 1e-3);
            }
        }

        var calibrate = await CliRunner.RunAsync("calibrate", "--model", out_, "--data", OwnModelFiles.Voc, "--split", "val", "--provider", "cpu");
        Assert.True(calibrate.ExitCode == 0, calibrate.Error + calibrate.Output);
        var calibrated = ManifestStore.LoadForModel(out_);
        Assert.NotNull(calibrated.Score.Threshold);
        Assert.Equal(48, calibrated.Calibration!.Images);
        Assert.NotNull(calibrated.Import); // calibrate keeps the import record

        var report = NewFolder("report");
        var evaluate = await CliRunner.RunAsync("evaluate", "--model", out_, "--id", OwnModelFiles.Voc, "--id-split", "test",
            "--ood", $"textures={OwnModelFiles.Ood}", "--out", report, "--bootstrap", "0", "--provider", "cpu");
        Assert.True(evaluate.ExitCode == 0, evaluate.Error + evaluate.Output);
        var parsed = ReportJson.Deserialize(File.ReadAllText(Path.Combine(report, ReportWriter.JsonFile)));
        Assert.Equal(48, parsed.Id.Images);
        Assert.True(parsed.Id.MAP is > 0.9 and <= 1, $"mAP {parsed.Id.MAP} of a model trained to 98% label accuracy");
    }

    [Fact]
    public async Task Calibrate_and_evaluate_read_a_CSV_list_of_the_same_images_as_the_VOC_folder_and_a_COCO_file_without_the_labels_is_one_line()
    {
        var folder = NewFolder("formats");
        var viaVoc = Path.Combine(folder, "voc", "own.onnx");
        var viaCsv = Path.Combine(folder, "csv", "own.onnx");
        foreach (var path in new[] { viaVoc, viaCsv })
            Assert.Equal(0, (await CliRunner.RunAsync("import", "--model", OwnModelFiles.Nchw, "--labels", OwnModelFiles.Labels, "--resize", "shorter-side", "--out", path)).ExitCode);
        // the VOC split val as a CSV list: path,label;label from the annotations, written here
        var lists = NewFolder("lists");
        foreach (var split in new[] { "val", "test" })
            File.WriteAllLines(Path.Combine(lists, split + ".csv"), File.ReadAllLines(Path.Combine(OwnModelFiles.Voc, "ImageSets", "Main", split + ".txt"))
                .Where(id => id.Length > 0)
                .Select(id => $"{Path.Combine(OwnModelFiles.Voc, "JPEGImages", id + ".png")},{string.Join(";",
                    Core.Datasets.VocAnnotation.Load(Path.Combine(OwnModelFiles.Voc, "Annotations", id + ".xml")).Objects.Select(o => o.Name))}"));
        Assert.Equal(0, (await CliRunner.RunAsync("calibrate", "--model", viaVoc, "--data", OwnModelFiles.Voc, "--provider", "cpu")).ExitCode);
        var csv = await CliRunner.RunAsync("calibrate", "--model", viaCsv, "--data", lists, "--provider", "cpu", "--label-thresholds", "f1");
        Assert.True(csv.ExitCode == 0, csv.Error + csv.Output);
        Assert.Equal(ManifestStore.LoadForModel(viaVoc).Score.Threshold, ManifestStore.LoadForModel(viaCsv).Score.Threshold);
        Assert.Equal(48, ManifestStore.LoadForModel(viaCsv).Calibration!.LabelThresholdImages);

        var report = NewFolder("csv-report");
        var evaluate = await CliRunner.RunAsync("evaluate", "--model", viaCsv, "--id", lists, "--ood", $"textures={OwnModelFiles.Ood}", "--out", report, "--bootstrap", "0", "--provider", "cpu");
        Assert.True(evaluate.ExitCode == 0, evaluate.Error + evaluate.Output);
        Assert.True(ReportJson.Deserialize(File.ReadAllText(Path.Combine(report, ReportWriter.JsonFile))).Id.MAP is > 0.9);

        // bake and quantize read the same lists: the same images as from the VOC folder give the same bytes
        foreach (var (name, data) in new[] { ("voc", OwnModelFiles.Voc), ("csv", lists) })
        {
            var int8 = await CliRunner.RunAsync("quantize", "--model", viaVoc, "--data", data, "--split", "val", "--images", "24", "--parity-images", "8",
                "--out", Path.Combine(folder, "int8-" + name + ".onnx"));
            Assert.True(int8.ExitCode == 0, int8.Error + int8.Output);
            var bake = await CliRunner.RunAsync("bake", "--model", viaVoc, "--data", data, "--score", "temperature:2", "--out", Path.Combine(folder, "t2-" + name + ".onnx"), "--provider", "cpu");
            Assert.True(bake.ExitCode == 0, bake.Error + bake.Output);
        }
        Assert.Equal(File.ReadAllBytes(Path.Combine(folder, "int8-voc.onnx")), File.ReadAllBytes(Path.Combine(folder, "int8-csv.onnx")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(folder, "t2-voc.onnx")), File.ReadAllBytes(Path.Combine(folder, "t2-csv.onnx")));

        var coco = NewFolder("coco");
        Directory.CreateDirectory(Path.Combine(coco, "annotations"));
        File.WriteAllText(Path.Combine(coco, "annotations", "instances_val.json"),
            "{\"images\": [{\"id\": 1, \"file_name\": \"a.png\"}], \"annotations\": [{\"image_id\": 1, \"category_id\": 9}], " +
            "\"categories\": [{\"id\": 1, \"name\": \"bar\"}, {\"id\": 2, \"name\": \"circle\"}, {\"id\": 3, \"name\": \"square\"}, {\"id\": 4, \"name\": \"triangle\"}, {\"id\": 9, \"name\": \"giraffe\"}]}");
        AssertOneLineError(await CliRunner.RunAsync("calibrate", "--model", viaCsv, "--data", coco, "--provider", "cpu"),
            "instances_val.json has no image of the chosen labels (bar, circle, square, triangle).");
    }

    [Fact]
    public async Task The_NHWC_model_declared_NCHW_is_refused_and_imported_when_left_to_the_shape()
    {
        var folder = NewFolder("nhwc");
        var wrong = await CliRunner.RunAsync("import", "--model", OwnModelFiles.Nhwc, "--labels", OwnModelFiles.Labels, "--layout", "NCHW", "--out", Path.Combine(folder, "a.onnx"));
        AssertOneLineError(wrong, "--layout NCHW does not fit the model input 'pixels' [?,32,32,3]: its 3 channels are last, so it is NHWC");
        Assert.False(File.Exists(Path.Combine(folder, "a.onnx")));

        var right = await CliRunner.RunAsync("import", "--model", OwnModelFiles.Nhwc, "--labels", OwnModelFiles.Labels, "--channel-order", "BGR", "--scale", "1",
            "--mean", "0,0,0", "--std", "1,1,1", "--resize", "shorter-side", "--out", Path.Combine(folder, "b.onnx"));
        Assert.True(right.ExitCode == 0, right.Error + right.Output);
        var input = ManifestStore.LoadForModel(Path.Combine(folder, "b.onnx")).Input;
        Assert.Equal(("pixels", "NHWC", "BGR", 1f), (input.Name, input.Layout, input.ChannelOrder, input.Scale));
    }

    [Fact]
    public async Task A_label_count_that_does_not_match_the_logits_is_refused()
    {
        var labels = Path.Combine(NewFolder("labels"), "three.txt");
        File.WriteAllLines(labels, ["bar", "circle", "square"]);
        var run = await CliRunner.RunAsync("import", "--model", OwnModelFiles.Nchw, "--labels", labels, "--out", Path.Combine(_temp.Path, "x.onnx"));
        AssertOneLineError(run, "The logits output 'logits' has 4 values per image but the labels file lists 3 labels.");
    }

    [Fact]
    public async Task A_softmax_head_is_refused()
    {
        var model = TinyGraph(NewFolder("softmax"), ["N", 3, 16, 16], head: "Softmax");
        var run = await CliRunner.RunAsync("import", "--model", model, "--labels", LabelsFile(3));
        AssertOneLineError(run, "The output 'probs' is a Softmax over the labels: that is a single-label (softmax) head");
    }

    [Fact]
    public async Task A_sigmoid_head_is_refused_and_with_invert_sigmoid_its_input_gives_the_logits_of_the_same_graph_without_it()
    {
        var folder = NewFolder("sigmoid");
        var withSigmoid = TinyGraph(folder, ["N", 3, 16, 16], head: "Sigmoid", name: "sig");
        var plain = TinyGraph(folder, ["N", 3, 16, 16], name: "plain"); // same seed: the same weights
        var labels = LabelsFile(3);
        AssertOneLineError(await CliRunner.RunAsync("import", "--model", withSigmoid, "--labels", labels),
            "The output 'probs' is a Sigmoid's (probabilities, not logits): pass --invert-sigmoid");

        var inverted = await CliRunner.RunAsync("import", "--model", withSigmoid, "--labels", labels, "--invert-sigmoid", "--out", Path.Combine(folder, "sig-in.onnx"));
        Assert.True(inverted.ExitCode == 0, inverted.Error + inverted.Output);
        Assert.Contains("taken as the logits (--invert-sigmoid)", inverted.Output);
        var reference = await CliRunner.RunAsync("import", "--model", plain, "--labels", labels, "--out", Path.Combine(folder, "plain-in.onnx"));
        Assert.True(reference.ExitCode == 0, reference.Error + reference.Output);

        using var a = OnnxModel.Load(Path.Combine(folder, "sig-in.onnx"), new InferenceOptions { Provider = ProviderPreference.Cpu });
        using var b = OnnxModel.Load(Path.Combine(folder, "plain-in.onnx"), new InferenceOptions { Provider = ProviderPreference.Cpu });
        var input = Enumerable.Range(0, 2 * a.InputLength).Select(i => (float)Math.Sin(i * 0.37)).ToArray();
        var x = a.Run(input, 2);
        var y = b.Run(input, 2);
        Assert.Equal(y.Logits, x.Logits);
        Assert.True(x.Logits.Any(l => l < 0), "logits, not probabilities: some are negative");
        Assert.Equal(y.ServedScores, x.ServedScores);
    }

    [Fact]
    public async Task A_model_without_a_batch_dimension_is_refused()
    {
        var model = TinyGraph(NewFolder("nobatch"), [3, 16, 16]);
        AssertOneLineError(await CliRunner.RunAsync("import", "--model", model, "--labels", LabelsFile(3)),
            "The model input 'image' is [3,16,16]: it has no batch dimension");
    }

    [Fact]
    public async Task A_dynamic_input_size_needs_size_and_is_imported_with_it()
    {
        var folder = NewFolder("dynamic");
        var model = TinyGraph(folder, ["N", 3, "H", "W"]);
        AssertOneLineError(await CliRunner.RunAsync("import", "--model", model, "--labels", LabelsFile(3)),
            "The input size cannot be read from the model input 'image' [?,3,?,?] (its height or width is dynamic): pass --size WIDTHxHEIGHT.");
        var sized = await CliRunner.RunAsync("import", "--model", model, "--labels", LabelsFile(3), "--size", "24x16", "--out", Path.Combine(folder, "s.onnx"));
        Assert.True(sized.ExitCode == 0, sized.Error + sized.Output);
        var input = ManifestStore.LoadForModel(Path.Combine(folder, "s.onnx")).Input;
        Assert.Equal((24, 16), (input.Width, input.Height));
        AssertOneLineError(await CliRunner.RunAsync("import", "--model", TinyGraph(folder, ["N", 3, 16, 16], name: "fixed"), "--labels", LabelsFile(3), "--size", "24x16"),
            "--size 24x16 does not fit the model input 'image' [?,3,16,16]");
    }

    [Fact]
    public async Task A_batch_fixed_at_1_is_made_dynamic_when_the_graph_allows_it_and_refused_when_it_does_not()
    {
        var folder = NewFolder("batch1");
        var flexible = TinyGraph(folder, [1, 3, 16, 16], name: "flexible");
        var run = await CliRunner.RunAsync("import", "--model", flexible, "--labels", LabelsFile(3), "--out", Path.Combine(folder, "f.onnx"));
        Assert.True(run.ExitCode == 0, run.Error + run.Output);
        Assert.Contains("the batch dimension of 'image' (fixed at 1) made dynamic", run.Output);
        using (var model = OnnxModel.Load(Path.Combine(folder, "f.onnx"), new InferenceOptions { Provider = ProviderPreference.Cpu, WarmUpBatchSize = 3 }))
            Assert.Equal(9, model.Run(new float[3 * model.InputLength], 3).Logits.Length);

        var rigid = TinyGraph(folder, [1, 3, 16, 16], name: "rigid", reshapeToOne: true);
        AssertOneLineError(await CliRunner.RunAsync("import", "--model", rigid, "--labels", LabelsFile(3), "--out", Path.Combine(folder, "r.onnx")),
            "The model's batch is fixed at 1 and cannot be made dynamic (a batch of 2 fails:");
        Assert.False(File.Exists(Path.Combine(folder, "r.onnx")));
    }

    [Fact]
    public async Task Bad_options_are_one_line_each()
    {
        AssertOneLineError(await CliRunner.RunAsync("import", "--model", Path.Combine(_temp.Path, "missing.onnx"), "--labels", OwnModelFiles.Labels), "Model file '");
        AssertOneLineError(await CliRunner.RunAsync("import", "--model", OwnModelFiles.Nchw, "--labels", Path.Combine(_temp.Path, "missing.txt")), "Labels file '");
        AssertOneLineError(await CliRunner.RunAsync("import", "--model", OwnModelFiles.Nchw, "--labels", OwnModelFiles.Labels, "--mean", "0.5,0.5"), "--mean '0.5,0.5' must be three");
        AssertOneLineError(await CliRunner.RunAsync("import", "--model", OwnModelFiles.Nchw, "--labels", OwnModelFiles.Labels, "--scale", "0"), "--scale '0' must be a positive number");
        AssertOneLineError(await CliRunner.RunAsync("import", "--model", OwnModelFiles.Nchw, "--labels", OwnModelFiles.Labels, "--shorter-side", "40"), "--shorter-side needs --resize shorter-side.");
        var duplicate = Path.Combine(NewFolder("dup"), "labels.txt");
        File.WriteAllLines(duplicate, ["a", "b", "a"]);
        AssertOneLineError(await CliRunner.RunAsync("import", "--model", OwnModelFiles.Nchw, "--labels", duplicate), "lists 'a' 2 times");
    }

    private static void AssertOneLineError(CliRun run, string expected)
    {
        Assert.True(run.ExitCode == 1, $"exit {run.ExitCode}: {run.Error}{run.Output}");
        var lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, "expected one line on stderr, got:\n" + run.Error);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0]);
    }

    private string LabelsFile(int count)
    {
        var path = Path.Combine(NewFolder("labels"), "labels.txt");
        File.WriteAllLines(path, Enumerable.Range(0, count).Select(i => $"label{i}"));
        return path;
    }

    /// <summary>
    /// image -> GlobalAveragePool -> Flatten (or Reshape to [1,3]: a batch of 1 baked in) -> MatMul W[3,K] + b -> "logits",
    /// optionally -> Softmax/Sigmoid -> "probs". <paramref name="inputDims"/>: numbers fixed, strings symbolic.
    /// Weights from a fixed System.Random seed (test data, not a project draw).
    /// </summary>
    private static string TinyGraph(string folder, object[] inputDims, string? head = null, string name = "tiny", bool reshapeToOne = false, int labels = 3)
    {
        var random = new Random(3);
        var writer = new OnnxGraphWriter();
        writer.Unique("image");
        writer.Input("image", inputDims);
        var pooled = writer.Apply("GlobalAveragePool", "image");
        var flat = reshapeToOne
            ? writer.Apply("Reshape", pooled, writer.LongsInitializer("shape", [1, 3]))
            : writer.Apply("Flatten", [pooled], n => n.Int("axis", 1));
        var w = Enumerable.Range(0, 3 * labels).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        var b = Enumerable.Range(0, labels).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var logits = writer.Apply("Add", writer.Apply("MatMul", flat, writer.Initializer("W", w, 3, labels)), writer.Initializer("b", b, labels));
        object batch = inputDims.Length == 4 ? inputDims[0] : 1;
        if (head is null)
        {
            writer.RenameOutput(logits, "logits");
            writer.Output("logits", batch, labels);
        }
        else
        {
            var probs = head == "Softmax" ? writer.Apply("Softmax", [logits], n => n.Int("axis", 1)) : writer.Apply(head, logits);
            writer.RenameOutput(probs, "probs");
            writer.Output("probs", batch, labels);
        }
        var path = Path.Combine(folder, name + ".onnx");
        File.WriteAllBytes(path, writer.ToModel("import tests").ToByteArray());
        return path;
    }
}
