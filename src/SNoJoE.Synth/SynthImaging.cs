using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;

namespace SNoJoE.Synth;

public static class SynthImaging
{
    /// <summary>
    /// PNG and JPEG only (the asset formats), one thread per image operation: the generator
    /// parallelises over images instead, which is faster on few cores and keeps work per image fixed.
    /// </summary>
    public static Configuration CreateConfiguration() =>
        new(new PngConfigurationModule(), new JpegConfigurationModule()) { MaxDegreeOfParallelism = 1 };
}
