namespace SNoJoE.Core.Pipeline;

/// <summary>Runs a batch of preprocessed images (each <see cref="InputLength"/> floats, packed) and gives one output per image.</summary>
public interface IBatchRunner<TOutput>
{
    int InputLength { get; }

    /// <summary>
    /// Runs the first <paramref name="count"/> images of <paramref name="inputs"/> and writes their outputs, in
    /// order, to <paramref name="outputs"/>. Called by one consumer at a time; outputs must not share buffers
    /// with later runs.
    /// </summary>
    void Run(Memory<float> inputs, int count, Span<TOutput> outputs);
}
