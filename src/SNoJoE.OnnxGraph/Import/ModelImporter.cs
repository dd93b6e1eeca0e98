using System.Globalization;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using SNoJoE.Core.Inference;
using SNoJoE.Core.IO;
using SNoJoE.Core.Manifest;

namespace SNoJoE.OnnxGraph.Import;

/// <summary>What <see cref="ModelImporter.Import"/> wrote.</summary>
public sealed record ModelImportResult(string ModelPath, string ManifestPath, ModelManifest Manifest, int FeatureSize, IReadOnlyList<string> Notes);

/// <summary>
/// <c>snojoe import</c>: checks a multi-label classifier exported to ONNX elsewhere against what the user says about it
/// (<see cref="ModelImportRequest"/>), appends the joint-energy output with <see cref="JointEnergyGraph"/>, and writes the
/// graph with a schema 2 manifest (score joint-energy, no threshold). Refuses, in one line: a graph input that is not an
/// image batch, a size it cannot tell, a declared layout the shape contradicts, a label count the logits do not have,
/// probabilities (a Softmax, or a Sigmoid unless <see cref="ModelImportRequest.InvertSigmoid"/>) where logits are needed,
/// and a fixed batch it cannot make dynamic (the service runs batches). Every claim is proved by an ONNX Runtime run of
/// a batch of 2 through the written graph and then by loading it as the service does (<see cref="OnnxModel"/>).
/// </summary>
public static class ModelImporter
{
    public const string JointEnergyOutput = OutputNames.DefaultJointEnergy;
    private const string BatchDim = "N";

    public static ModelImportResult Import(ModelImportRequest request)
    {
        if (!File.Exists(request.ModelPath)) throw new ModelImportException($"Model file '{request.ModelPath}' does not exist.");
        if (request.Labels.Count == 0) throw new ModelImportException("No labels given.");
        ModelProto model;
        try { model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(request.ModelPath)); }
        catch (InvalidProtocolBufferException e) { throw new ModelImportException($"'{request.ModelPath}' is not an ONNX model: {e.Message}", e); }
        if (model.Graph is null || model.Graph.Node.Count == 0) throw new ModelImportException($"'{request.ModelPath}' holds no ONNX graph.");
        var graph = model.Graph;
        var notes = new List<string>();
        var changes = new List<string>();

        var input = ChooseInput(graph, request.InputName);
        var dims = Dims(input);
        var (layout, width, height) = CheckInputShape(input.Name, dims, request);
        bool madeDynamic = MakeBatchDynamic(graph, input, dims, changes);

        var producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
            foreach (var output in node.Output)
                producers[output] = node;
        var logits = ChooseLogits(graph, producers, request, changes);
        CheckLogitsWidth(graph, logits, request.Labels.Count);
        string? features = request.NoFeatures ? null : request.Features ?? LastLinearInput(graph, producers, logits);
        if (features is not null && !producers.ContainsKey(features) && !graph.Input.Any(i => i.Name == features))
            throw new ModelImportException($"--features '{features}' is no tensor of the graph (no node computes it).");

        var opset = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(OnnxGraphWriter.OpsetVersion).Max();
        var writer = new OnnxGraphWriter(graph);
        var energy = JointEnergyGraph.Append(writer, logits, opset);
        var energyName = writer.Unique(JointEnergyOutput);
        writer.RenameOutput(energy, energyName);
        changes.Add($"appended the joint energy (sum of softplus of '{logits}') as output '{energyName}'");

        SetOutput(graph, logits, [BatchDim, (long)request.Labels.Count]);
        SetOutput(graph, energyName, [BatchDim]);
        if (features is not null) SetOutput(graph, features, []);

        int featureSize = TrialRun(model, input.Name, layout, width, height, logits, energyName, ref features, request, madeDynamic, notes);
        if (features is not null)
        {
            SetOutput(graph, features, [BatchDim, (long)featureSize]);
            changes.Add($"'{features}' [N,{featureSize}] made an output (the features)");
        }

        var outputPath = Path.GetFullPath(request.OutputPath);
        if (string.Equals(outputPath, Path.GetFullPath(request.ModelPath), StringComparison.Ordinal))
            throw new ModelImportException($"--out '{request.OutputPath}' is the model itself; import writes a new file.");
        Directory.CreateDirectory(Path.GetDirectoryName(outputPath)!);
        var name = request.Name ?? Path.GetFileNameWithoutExtension(outputPath);
        var manifest = new ModelManifest
        {
            Name = name,
            Model = Path.GetFileName(outputPath),
            Labels = request.Labels,
            Input = new InputSpec
            {
                Name = input.Name,
                Width = width,
                Height = height,
                Layout = layout,
                Resize = request.Resize,
                ShorterSide = request.ShorterSide,
                ChannelOrder = request.ChannelOrder.ToUpperInvariant(),
                Scale = request.Scale,
                Mean = request.Mean,
                Std = request.Std,
            },
            Outputs = new OutputNames { Logits = logits, JointEnergy = energyName, Features = features },
            Score = ServedScore.JointEnergy(energyName),
            Import = new ImportInfo
            {
                SourceModel = Path.GetFileName(request.ModelPath),
                SourceModelSha256 = ManifestStore.Sha256OfFile(request.ModelPath),
                Changes = changes,
                Date = DateTimeOffset.UtcNow,
            },
        };
        var problems = ManifestStore.Validate(manifest);
        if (problems.Count > 0) throw new ModelImportException($"The manifest would be invalid: {string.Join("; ", problems)}");

        AtomicFile.WriteAllBytes(outputPath, model.ToByteArray());
        var manifestPath = ManifestStore.ManifestPathFor(outputPath);
        ManifestStore.Save(manifest, manifestPath);
        try
        {
            // the service's own load: input metadata in the manifest's layout, outputs, a warm-up batch of 2
            using var loaded = OnnxModel.Load(outputPath, manifest, new InferenceOptions { Provider = ProviderPreference.Cpu, WarmUpBatchSize = 2 });
        }
        catch (ModelLoadException e)
        {
            File.Delete(outputPath);
            File.Delete(manifestPath);
            throw new ModelImportException($"The imported model does not load as the service loads it: {e.Message}", e);
        }
        return new ModelImportResult(outputPath, manifestPath, manifest, featureSize, notes);
    }

    private static ValueInfoProto ChooseInput(GraphProto graph, string? name)
    {
        var initializers = graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = graph.Input.Where(i => !initializers.Contains(i.Name)).ToArray();
        if (name is not null)
            return inputs.FirstOrDefault(i => i.Name == name)
                ?? throw new ModelImportException($"--input-name '{name}' is not an input of the model (it has: {string.Join(", ", inputs.Select(i => i.Name))}).");
        return inputs.Length switch
        {
            1 => inputs[0],
            0 => throw new ModelImportException("The model has no graph input."),
            _ => throw new ModelImportException($"The model has {inputs.Length} inputs ({string.Join(", ", inputs.Select(i => i.Name))}): name the image with --input-name."),
        };
    }

    /// <summary>The input's dimensions, -1 for a symbolic or unknown one.</summary>
    private static long[] Dims(ValueInfoProto input)
    {
        var tensor = input.Type?.TensorType;
        if (tensor is null) throw new ModelImportException($"The model input '{input.Name}' is not a tensor.");
        if (tensor.ElemType != (int)TensorProto.Types.DataType.Float)
            throw new ModelImportException($"The model input '{input.Name}' is {(TensorProto.Types.DataType)tensor.ElemType}, not float32: export it with a float image input.");
        if (tensor.Shape is null) throw new ModelImportException($"The model input '{input.Name}' has no shape: re-export it with its shape ([N,3,H,W] or [N,H,W,3]).");
        return tensor.Shape.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && d.DimValue > 0 ? d.DimValue : -1).ToArray();
    }

    private static string Text(long[] dims) => "[" + string.Join(",", dims.Select(d => d < 0 ? "?" : d.ToString(CultureInfo.InvariantCulture))) + "]";

    private static (string Layout, int Width, int Height) CheckInputShape(string name, long[] dims, ModelImportRequest request)
    {
        if (dims.Length == 3 && (dims[0] == 3 || dims[2] == 3))
            throw new ModelImportException($"The model input '{name}' is {Text(dims)}: it has no batch dimension; re-export it with one ([N,3,H,W] or [N,H,W,3], dynamic_axes for N).");
        if (dims.Length != 4)
            throw new ModelImportException($"The model input '{name}' has rank {dims.Length} {Text(dims)}; an image model takes [N,3,H,W] (NCHW) or [N,H,W,3] (NHWC).");
        bool first = dims[1] == 3, last = dims[3] == 3;
        string? detected = first && !last ? InputSpec.Nchw : last && !first ? InputSpec.Nhwc : null;
        string? declared = request.Layout?.ToUpperInvariant();
        if (declared is not null && declared != InputSpec.Nchw && declared != InputSpec.Nhwc)
            throw new ModelImportException($"--layout '{request.Layout}' must be NCHW or NHWC.");
        if (declared is not null && detected is not null && declared != detected)
            throw new ModelImportException($"--layout {declared} does not fit the model input '{name}' {Text(dims)}: its 3 channels are {(detected == InputSpec.Nhwc ? "last" : "second")}, so it is {detected}; pass --layout {detected}.");
        var layout = declared ?? detected
            ?? throw new ModelImportException($"Cannot tell the layout of the model input '{name}' {Text(dims)} (no dimension of 3 channels second or last): pass --layout NCHW or NHWC.");
        var (channels, h, w) = layout == InputSpec.Nchw ? (dims[1], dims[2], dims[3]) : (dims[3], dims[1], dims[2]);
        if (channels > 0 && channels != 3)
            throw new ModelImportException($"The model input '{name}' {Text(dims)} has {channels} channels in {layout}; an RGB image model takes 3.");
        if (request.Size is { } size)
        {
            if ((w > 0 && w != size.Width) || (h > 0 && h != size.Height))
                throw new ModelImportException($"--size {size.Width}x{size.Height} does not fit the model input '{name}' {Text(dims)} ({layout}: {(w > 0 ? w : "?")} wide, {(h > 0 ? h : "?")} high).");
            return (layout, size.Width, size.Height);
        }
        if (w < 0 || h < 0)
            throw new ModelImportException($"The input size cannot be read from the model input '{name}' {Text(dims)} (its height or width is dynamic): pass --size WIDTHxHEIGHT.");
        return (layout, (int)w, (int)h);
    }

    /// <summary>A batch fixed at 1 becomes symbolic on the input and the outputs (the trial run of 2 proves the graph agrees).</summary>
    private static bool MakeBatchDynamic(GraphProto graph, ValueInfoProto input, long[] dims, List<string> changes)
    {
        if (dims[0] < 0) return false;
        if (dims[0] != 1)
            throw new ModelImportException($"The model input '{input.Name}' has a batch fixed at {dims[0]}; the service needs a dynamic batch: re-export with dynamic_axes for dimension 0.");
        input.Type.TensorType.Shape.Dim[0] = new TensorShapeProto.Types.Dimension { DimParam = BatchDim };
        foreach (var output in graph.Output)
            if (output.Type?.TensorType?.Shape is { Dim.Count: > 0 } shape && shape.Dim[0].DimValue == 1)
                shape.Dim[0] = new TensorShapeProto.Types.Dimension { DimParam = BatchDim };
        graph.ValueInfo.Clear(); // intermediate shapes recorded for a batch of 1
        changes.Add($"the batch dimension of '{input.Name}' (fixed at 1) made dynamic");
        return true;
    }

    private static string ChooseLogits(GraphProto graph, Dictionary<string, NodeProto> producers, ModelImportRequest request, List<string> changes)
    {
        string logits;
        if (request.Logits is { } named)
        {
            if (!producers.ContainsKey(named))
                throw new ModelImportException($"--logits '{named}' is no tensor of the graph (outputs: {string.Join(", ", graph.Output.Select(o => o.Name))}).");
            logits = named;
        }
        else if (graph.Output.Count == 1) logits = graph.Output[0].Name;
        else throw new ModelImportException($"The model has {graph.Output.Count} outputs ({string.Join(", ", graph.Output.Select(o => o.Name))}): name the per-label logits with --logits.");

        var producer = Through(producers, logits, "Identity");
        switch (producer?.OpType)
        {
            case "Softmax" or "LogSoftmax":
                throw new ModelImportException($"The output '{logits}' is a {producer.OpType} over the labels: that is a single-label (softmax) head, not one sigmoid per label; JointEnergy needs the per-label logits of a multi-label model (use --logits to name the {producer.OpType}'s input only if the model was trained with a per-label sigmoid loss).");
            case "Sigmoid" when request.InvertSigmoid:
                changes.Add($"the input '{producer.Input[0]}' of the Sigmoid that computes '{logits}' taken as the logits (--invert-sigmoid)");
                return producer.Input[0];
            case "Sigmoid":
                throw new ModelImportException($"The output '{logits}' is a Sigmoid's (probabilities, not logits): pass --invert-sigmoid to take the Sigmoid's input '{producer.Input[0]}' as the logits.");
            default:
                if (request.InvertSigmoid)
                    throw new ModelImportException($"--invert-sigmoid, but '{logits}' is computed by {producer?.OpType ?? "no node"}, not by a Sigmoid.");
                return logits;
        }
    }

    private static NodeProto? Through(Dictionary<string, NodeProto> producers, string tensor, string passThrough)
    {
        var node = producers.GetValueOrDefault(tensor);
        while (node is not null && node.OpType == passThrough && node.Input.Count > 0) node = producers.GetValueOrDefault(node.Input[0]);
        return node;
    }

    private static void CheckLogitsWidth(GraphProto graph, string logits, int labels)
    {
        var shape = graph.Output.FirstOrDefault(o => o.Name == logits)?.Type?.TensorType?.Shape;
        if (shape is null) return; // unknown here; the trial run checks it
        var dims = shape.Dim.Select(d => d.DimValue > 0 ? d.DimValue : -1).ToArray();
        if (dims.Length != 2 && dims.Length > 0)
            throw new ModelImportException($"The logits output '{logits}' is {Text(dims)}, not [N,K] (one logit per label).");
        if (dims.Length == 2 && dims[1] > 0 && dims[1] != labels)
            throw new ModelImportException($"The logits output '{logits}' has {dims[1]} values per image but the labels file lists {labels} labels.");
    }

    /// <summary>The data input of the last MatMul or Gemm that the logits depend on (the head's input), or null.</summary>
    private static string? LastLinearInput(GraphProto graph, Dictionary<string, NodeProto> producers, string logits)
    {
        var initializers = graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var index = new Dictionary<NodeProto, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < graph.Node.Count; i++) index[graph.Node[i]] = i;
        var seen = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<NodeProto>();
        if (producers.GetValueOrDefault(logits) is { } start) stack.Push(start);
        NodeProto? last = null;
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            if (!seen.Add(node)) continue;
            if (node.OpType is "MatMul" or "Gemm" && (last is null || index[node] > index[last])) last = node;
            foreach (var i in node.Input)
                if (producers.GetValueOrDefault(i) is { } p) stack.Push(p);
        }
        if (last is null) return null;
        if (last.OpType == "Gemm" && last.Attribute.Any(a => a.Name == "transA" && a.I != 0)) return null;
        return last.Input.FirstOrDefault(i => !initializers.Contains(i) && producers.ContainsKey(i));
    }

    /// <summary>Makes <paramref name="name"/> a graph output (float32; dims "N" symbolic, numbers fixed, none: unknown shape).</summary>
    private static void SetOutput(GraphProto graph, string name, object[] dims)
    {
        var existing = graph.Output.FirstOrDefault(o => o.Name == name);
        var value = dims.Length == 0 ? new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } } }
            : OnnxGraphWriter.FloatValue(name, dims);
        if (existing is not null) graph.Output[graph.Output.IndexOf(existing)] = value;
        else graph.Output.Add(value);
    }

    /// <summary>
    /// A batch of 2 through the graph as it will be written: the batch is really dynamic, the logits are [2,K], the energy [2]
    /// and equal to the softplus sum of the logits, the features [2,F]. Returns F (0 without features); default features that
    /// are not [N,F] are dropped with a note.
    /// </summary>
    private static int TrialRun(ModelProto model, string input, string layout, int width, int height, string logits, string energy,
        ref string? features, ModelImportRequest request, bool madeDynamic, List<string> notes)
    {
        OrtTelemetry.DisableBeforeFirstUse();
        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, IntraOpNumThreads = 1 };
        InferenceSession session;
        try { session = new InferenceSession(model.ToByteArray(), options); }
        catch (OnnxRuntimeException e) { throw new ModelImportException($"ONNX Runtime cannot load the model: {FirstLine(e.Message)}", e); }
        using (session)
        {
            long[] shape = layout == InputSpec.Nhwc ? [2, height, width, 3] : [2, 3, height, width];
            // two different images: a constant-per-image input cannot tell a mixed-up batch apart
            var data = new float[2 * 3 * width * height];
            for (int i = 0; i < data.Length; i++) data[i] = i < data.Length / 2 ? 0.25f : -0.5f;
            using var value = OrtValue.CreateTensorValueFromMemory(data, shape);
            string[] names = features is null ? [logits, energy] : [logits, energy, features];
            IDisposableReadOnlyCollection<OrtValue> outputs;
            try
            {
                using var runOptions = new RunOptions();
                outputs = session.Run(runOptions, [input], [value], names);
            }
            catch (OnnxRuntimeException e)
            {
                throw new ModelImportException(madeDynamic
                    ? $"The model's batch is fixed at 1 and cannot be made dynamic (a batch of 2 fails: {FirstLine(e.Message)}); re-export it with a dynamic batch (torch.onnx.export dynamic_axes={{'{input}': {{0: 'N'}}, ...}})."
                    : $"A trial run of a batch of 2 failed: {FirstLine(e.Message)}", e);
            }
            using (outputs)
            {
                var logitShape = outputs[0].GetTensorTypeAndShape().Shape;
                if (logitShape.Length != 2 || logitShape[0] != 2)
                    throw new ModelImportException($"The logits output '{logits}' is [{string.Join(",", logitShape)}] for a batch of 2, not [2,K].");
                if (logitShape[1] != request.Labels.Count)
                    throw new ModelImportException($"The logits output '{logits}' has {logitShape[1]} values per image but the labels file lists {request.Labels.Count} labels.");
                var l = outputs[0].GetTensorDataAsSpan<float>();
                var e = outputs[1].GetTensorDataAsSpan<float>();
                for (int b = 0; b < 2; b++)
                {
                    double expected = 0;
                    for (int k = 0; k < request.Labels.Count; k++)
                    {
                        double x = l[b * request.Labels.Count + k];
                        expected += Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x)));
                    }
                    if (!(Math.Abs(e[b] - expected) <= 1e-4 * Math.Max(1, Math.Abs(expected))))
                        throw new ModelImportException($"The appended joint energy ({e[b]}) is not the softplus sum of the logits ({expected}) for image {b} of the trial batch.");
                }
                if (features is null) return 0;
                var featureShape = outputs[2].GetTensorTypeAndShape().Shape;
                if (featureShape.Length == 2 && featureShape[0] == 2 && featureShape[1] > 0) return (int)featureShape[1];
                if (request.Features is not null)
                    throw new ModelImportException($"--features '{features}' is [{string.Join(",", featureShape)}] for a batch of 2, not [N,F].");
                notes.Add($"no features output: the input '{features}' of the last MatMul/Gemm is [{string.Join(",", featureShape)}] for a batch of 2, not [N,F] (name one with --features)");
                features = null;
                return 0;
            }
        }
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
