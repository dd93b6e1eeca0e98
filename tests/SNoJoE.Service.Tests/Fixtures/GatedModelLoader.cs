using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SNoJoE.Core.Inference;
using SNoJoE.Core.Manifest;
using SNoJoE.Service.Models;

namespace SNoJoE.Service.Tests.Fixtures;

/// <summary>
/// Controls the real model from a test: holds the load until released (to observe "not ready"), and
/// holds batch runs while closed (to fill the queue, or to keep a request in flight during shutdown).
/// </summary>
public sealed class ModelGate
{
    private readonly ManualResetEventSlim _load = new(initialState: true);
    private readonly ManualResetEventSlim _runs = new(initialState: true);
    private readonly SemaphoreSlim _blocked = new(0);

    public ConcurrentQueue<int> BatchSizes { get; } = new();

    /// <summary>Gate only the first model loaded (a reloaded one runs freely, its warm-up too).</summary>
    public bool OnlyFirstModel { get; init; }

    private int _loads;

    /// <summary>Added to every batch run: a slower model, to overload the service with few requests.</summary>
    public TimeSpan RunDelay { get; set; }

    public void HoldLoad() => _load.Reset();
    public void ReleaseLoad() => _load.Set();
    public void HoldRuns() => _runs.Reset();
    public void ReleaseRuns() => _runs.Set();

    /// <summary>Waits until a batch run is held at the gate.</summary>
    public async Task WaitForHeldRunAsync()
    {
        if (!await _blocked.WaitAsync(TimeSpan.FromSeconds(30))) throw new TimeoutException("No batch run reached the gate.");
    }

    internal void BeforeLoad()
    {
        if (!_load.Wait(TimeSpan.FromMinutes(2))) throw new TimeoutException("The test never released the model load.");
    }

    internal void BeforeRun(int batchSize)
    {
        if (!_runs.IsSet)
        {
            _blocked.Release();
            if (!_runs.Wait(TimeSpan.FromMinutes(2))) throw new TimeoutException("The test never released the batch run.");
        }
        BatchSizes.Enqueue(batchSize);
        if (RunDelay > TimeSpan.Zero) Thread.Sleep(RunDelay);
    }

    /// <summary>Registers a loader that wraps the real ONNX model with this gate.</summary>
    public void Install(IServiceCollection services) =>
        services.Replace(ServiceDescriptor.Singleton<IModelLoader>(new GatedModelLoader(this)));

    private sealed class GatedModelLoader(ModelGate gate) : IModelLoader
    {
        public IInferenceModel Load(string modelPath, InferenceOptions options, Action<string> log)
        {
            if (Interlocked.Increment(ref gate._loads) > 1 && gate.OnlyFirstModel) return new OnnxModelLoader().Load(modelPath, options, log);
            gate.BeforeLoad();
            return new GatedModel(new OnnxModelLoader().Load(modelPath, options, log), gate);
        }
    }

    private sealed class GatedModel(IInferenceModel inner, ModelGate gate) : IInferenceModel
    {
        public ModelManifest Manifest => inner.Manifest;
        public string Sha256 => inner.Sha256;
        public string Provider => inner.Provider;
        public string? FallbackReason => inner.FallbackReason;
        public int InputLength => inner.InputLength;
        public int LabelCount => inner.LabelCount;

        public void Run(Memory<float> input, int batchSize, Memory<float> logits, Memory<float> servedScores)
        {
            gate.BeforeRun(batchSize);
            inner.Run(input, batchSize, logits, servedScores);
        }

        public void Dispose() => inner.Dispose();
    }
}
