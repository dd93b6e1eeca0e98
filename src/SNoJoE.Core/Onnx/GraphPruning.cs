using Onnx;

namespace SNoJoE.Core.Onnx;

/// <summary>Dead-node elimination: what no remaining graph output depends on goes.</summary>
public static class GraphPruning
{
    /// <summary>
    /// Removes, in place, the nodes none of the graph's outputs needs (directly or through other nodes), then the
    /// initializers and value infos no remaining node or output reads. The order of what stays is kept.
    /// </summary>
    public static void RemoveUnused(GraphProto graph)
    {
        var producer = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
            foreach (var output in node.Output)
                if (output.Length > 0) producer[output] = node;

        var needed = new HashSet<string>(StringComparer.Ordinal);
        var kept = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<string>(graph.Output.Select(o => o.Name));
        while (pending.TryPop(out var value))
        {
            if (!needed.Add(value) || !producer.TryGetValue(value, out var node) || !kept.Add(node)) continue;
            foreach (var input in node.Input)
                if (input.Length > 0) pending.Push(input);
        }

        var nodes = graph.Node.Where(kept.Contains).ToArray();
        graph.Node.Clear();
        graph.Node.AddRange(nodes);
        var initializers = graph.Initializer.Where(i => needed.Contains(i.Name)).ToArray();
        graph.Initializer.Clear();
        graph.Initializer.AddRange(initializers);
        var infos = graph.ValueInfo.Where(v => needed.Contains(v.Name)).ToArray();
        graph.ValueInfo.Clear();
        graph.ValueInfo.AddRange(infos);
    }
}
