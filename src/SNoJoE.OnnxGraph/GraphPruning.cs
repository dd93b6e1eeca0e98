using Onnx;

namespace SNoJoE.OnnxGraph;

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

        var visited = new HashSet<string>(StringComparer.Ordinal);
        var kept = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<string>(graph.Output.Select(o => o.Name));
        while (pending.TryPop(out var value))
        {
            if (!visited.Add(value) || !producer.TryGetValue(value, out var node) || !kept.Add(node)) continue;
            foreach (var input in node.Input)
                if (input.Length > 0) pending.Push(input);
        }

        var nodes = graph.Node.Where(kept.Contains).ToArray();
        graph.Node.Clear();
        graph.Node.AddRange(nodes);
        var used = UsedNames(graph);
        RemoveInitializersExcept(graph, used);
        var infos = graph.ValueInfo.Where(v => used.Contains(v.Name)).ToArray();
        graph.ValueInfo.Clear();
        graph.ValueInfo.AddRange(infos);
    }

    /// <summary>Removes, in place, the initializers no node and no graph output reads.</summary>
    public static void RemoveUnusedInitializers(GraphProto graph) => RemoveInitializersExcept(graph, UsedNames(graph));

    /// <summary>Every value a node reads, and the graph's outputs.</summary>
    private static HashSet<string> UsedNames(GraphProto graph)
    {
        var used = graph.Node.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        used.UnionWith(graph.Output.Select(o => o.Name));
        return used;
    }

    private static void RemoveInitializersExcept(GraphProto graph, HashSet<string> used)
    {
        var initializers = graph.Initializer.Where(i => used.Contains(i.Name)).ToArray();
        graph.Initializer.Clear();
        graph.Initializer.AddRange(initializers);
    }
}
