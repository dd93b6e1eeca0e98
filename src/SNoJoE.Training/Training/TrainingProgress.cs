namespace SNoJoE.Training.Training;

/// <summary>One batch of an epoch done: the epoch's title, batches done of all, that batch's loss and images/s.</summary>
public sealed record TrainingProgress(string Title, int Done, int Total, double Loss, double ImagesPerSecond);
