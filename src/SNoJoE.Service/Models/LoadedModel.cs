using SNoJoE.Core.Imaging;
using SNoJoE.Core.Manifest;
using SNoJoE.Core.Pipeline;
using SNoJoE.Core.Scoring;

namespace SNoJoE.Service.Models;

/// <summary>Everything needed to score an image with one loaded model; its manifest carries the threshold in force.</summary>
public sealed record LoadedModel(
    IInferenceModel Model,
    ModelManifest Manifest,
    string Path,
    string ThresholdSource,
    string RequestedProvider,
    Preprocessor Preprocessor,
    ImageScorer Scorer,
    BatchCoalescer<ImageOutput> Scheduler,
    string Version,
    DateTimeOffset LoadedAt) : ILeasedModel
{
    /// <summary>The images admitted to this model and not yet answered.</summary>
    public ModelLeases Leases { get; } = new();

    /// <summary>The queue first (a batch still running on the session finishes), then the session and its buffers.</summary>
    public async Task ReleaseAsync()
    {
        await Scheduler.DisposeAsync().ConfigureAwait(false);
        Model.Dispose();
    }
}
