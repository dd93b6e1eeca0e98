using Onnx;

namespace SNoJoE.OnnxGraph;

/// <summary>Accumulates nodes and initializers of an ONNX graph being exported.</summary>
public sealed class OnnxGraphWriter
{
    public const int OpsetVersion = 17;

    private readonly GraphProto _graph;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private int _counter;

    public OnnxGraphWriter() => _graph = new GraphProto { Name = "snojoe" };

    /// <summary>
    /// Appends to an existing graph (changed in place): every name already used by its inputs, outputs,
    /// initializers and nodes is taken, so new nodes and values never collide with them.
    /// </summary>
    public OnnxGraphWriter(GraphProto existing)
    {
        _graph = existing;
        foreach (var v in existing.Input) _names.Add(v.Name);
        foreach (var v in existing.Output) _names.Add(v.Name);
        foreach (var i in existing.Initializer) _names.Add(i.Name);
        foreach (var n in existing.Node)
        {
            _names.Add(n.Name);
            foreach (var o in n.Output) _names.Add(o);
        }
    }

    public string Unique(string hint)
    {
        var name = hint;
        while (!_names.Add(name)) name = $"{hint}_{++_counter}";
        return name;
    }

    /// <summary>Adds a float32 initializer of shape <paramref name="dims"/> (a scalar when empty).</summary>
    public string Initializer(string hint, ReadOnlySpan<float> values, params long[] dims)
    {
        var name = Unique(hint);
        _graph.Initializer.Add(TensorProtos.Float(name, values, dims));
        return name;
    }

    /// <summary>Adds a one-dimensional int64 initializer (axes, shapes, pads).</summary>
    public string LongsInitializer(string hint, long[] values)
    {
        var name = Unique(hint);
        _graph.Initializer.Add(TensorProtos.Int64(name, values, values.Length));
        return name;
    }

    /// <summary>Adds a scalar (rank 0) int64 initializer (a Gather index that drops the axis).</summary>
    public string LongScalar(string hint, long value)
    {
        var name = Unique(hint);
        _graph.Initializer.Add(TensorProtos.Int64(name, [value]));
        return name;
    }

    public NodeProto Node(string opType, IEnumerable<string> inputs, IEnumerable<string> outputs, string? name = null)
    {
        var node = new NodeProto { OpType = opType, Name = Unique(name ?? opType.ToLowerInvariant()) };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        _graph.Node.Add(node);
        return node;
    }

    /// <summary>Adds a single-output node and returns its (fresh) output name.</summary>
    public string Apply(string opType, params string[] inputs) => Apply(opType, inputs, null);

    public string Apply(string opType, string[] inputs, Action<NodeProto>? configure)
    {
        var output = Unique(opType.ToLowerInvariant() + "_out");
        var node = Node(opType, inputs, [output]);
        configure?.Invoke(node);
        return output;
    }

    public void Input(string name, params object[] dims) => _graph.Input.Add(FloatValue(name, dims));

    public void Output(string name, params object[] dims) => _graph.Output.Add(FloatValue(name, dims));

    /// <summary>Renames the output of the node that produced <paramref name="current"/> to <paramref name="final"/>.</summary>
    public void RenameOutput(string current, string final)
    {
        foreach (var node in _graph.Node)
            for (int i = 0; i < node.Output.Count; i++)
                if (node.Output[i] == current) node.Output[i] = final;
        foreach (var node in _graph.Node)
            for (int i = 0; i < node.Input.Count; i++)
                if (node.Input[i] == current) node.Input[i] = final;
        _names.Add(final);
    }

    public ModelProto ToModel(string producer, string docString = "")
    {
        var model = new ModelProto
        {
            IrVersion = 8,
            ProducerName = producer,
            ProducerVersion = typeof(OnnxGraphWriter).Assembly.GetName().Version?.ToString() ?? "0",
            DocString = docString,
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OpsetVersion });
        return model;
    }

    /// <summary>A float32 graph input or output; a string dimension is symbolic ("N"), a number fixed.</summary>
    public static ValueInfoProto FloatValue(string name, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string symbolic ? new TensorShapeProto.Types.Dimension { DimParam = symbolic }
                : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d) });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}

public static class NodeProtoExtensions
{
    public static NodeProto Ints(this NodeProto node, string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        node.Attribute.Add(a);
        return node;
    }

    public static NodeProto Int(this NodeProto node, string name, long value)
    {
        node.Attribute.Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value });
        return node;
    }

    public static NodeProto Float(this NodeProto node, string name, float value)
    {
        node.Attribute.Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value });
        return node;
    }

    /// <summary>A tensor-valued attribute (ConstantOfShape's value).</summary>
    public static NodeProto Tensor(this NodeProto node, string name, TensorProto value)
    {
        node.Attribute.Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = value });
        return node;
    }
}
