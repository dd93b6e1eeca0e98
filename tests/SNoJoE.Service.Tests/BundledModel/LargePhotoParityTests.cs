using System.Net;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SNoJoE.Core.Imaging;
using SNoJoE.Core.Inference;
using SNoJoE.Core.Randomness;
using SNoJoE.Core.Scoring;
using SNoJoE.Service.Tests.Fixtures;
using Xunit.Abstractions;

namespace SNoJoE.Service.Tests.BundledModel;

/// <summary>
/// The bundled fp32 and int8 models on 12 MP photos (4000x3000 JPEGs made from the committed ID and OOD scenes:
/// bicubic upscale, sensor-like grain, quality 90), decoded at full size with ImageSharp (the old path) and at 1/4
/// with libjpeg-turbo (the path every caller now takes): labels and verdicts must agree, logits and energy within the
/// tolerance the full-size path already has for a re-encoded photo.
/// </summary>
public sealed class LargePhotoParityTests(BundledModelServiceFixture service, ITestOutputHelper output) : IClassFixture<BundledModelServiceFixture>
{
    private static readonly string Images = Path.Combine(AppContext.BaseDirectory, "BundledModel", "Images");
    private static readonly Lazy<(string Name, byte[] Jpeg, byte[] Quality80)[]> Photos = new(MakePhotos);

    /// <summary>
    /// The tolerance, relative to what the full-size path already tolerates: the same photo saved at quality 80 instead
    /// of 90 and decoded as before. The scaled decode may move the logits and energy at most 1.5 times as far as that.
    /// Measured (README, Large photos): fp32 0.26 / 0.026 / 0.11 (max logit, mean logit, max energy) against 0.31 /
    /// 0.025 / 0.093 for quality 80; int8 0.23 / 0.056 / 0.26 against 0.35 / 0.073 / 0.34.
    /// </summary>
    private const double ToleranceFactor = 1.5;

    [Theory]
    [InlineData("snojoe-resnet18-vocsynth.onnx")]
    [InlineData("snojoe-resnet18-vocsynth.int8.onnx")]
    public void Scaled_decoding_keeps_logits_energy_labels_and_verdicts_of_the_full_decode(string modelFile)
    {
        using var model = OnnxModel.Load(Path.Combine(BundledModelServiceFixture.RepositoryRoot, "models", modelFile),
            new InferenceOptions { Provider = ProviderPreference.Cpu, IntraOpThreads = 2 });
        var preprocessor = new Preprocessor(model.Manifest.Input);
        var decoder = new ImageDecoder();
        var photos = Photos.Value;
        int length = preprocessor.TensorLength;
        var full = new float[photos.Length * length];
        var scaled = new float[photos.Length * length];
        var reencoded = new float[photos.Length * length];
        for (int i = 0; i < photos.Length; i++)
        {
            using (var image = decoder.Decode(photos[i].Jpeg))
            {
                Assert.Equal((4000, 3000), (image.Width, image.Height));
                preprocessor.Fill(image, full.AsSpan(i * length, length));
            }
            using (var image = decoder.Decode(photos[i].Jpeg, preprocessor.MinimumSourceSide))
            {
                Assert.Equal((1000, 750), (image.Width, image.Height));
                preprocessor.Fill(image, scaled.AsSpan(i * length, length));
            }
            using (var image = decoder.Decode(photos[i].Quality80)) preprocessor.Fill(image, reencoded.AsSpan(i * length, length));
        }
        var before = model.Run(full, photos.Length);
        var after = model.Run(scaled, photos.Length);
        var quality80 = model.Run(reencoded, photos.Length);
        var reference = Differences(before, quality80, model.LabelCount);
        var scorer = new ImageScorer(model.Manifest);
        int k = model.LabelCount;
        double maxLogit = 0, sumLogit = 0, maxEnergy = 0;
        for (int i = 0; i < photos.Length; i++)
        {
            var a = scorer.Score(before.Logits.AsSpan(i * k, k), before.ServedScores[i]);
            var b = scorer.Score(after.Logits.AsSpan(i * k, k), after.ServedScores[i]);
            double imageMax = 0;
            for (int j = 0; j < k; j++)
            {
                double d = Math.Abs(before.Logits[i * k + j] - after.Logits[i * k + j]);
                imageMax = Math.Max(imageMax, d);
                sumLogit += d;
            }
            maxLogit = Math.Max(maxLogit, imageMax);
            maxEnergy = Math.Max(maxEnergy, Math.Abs(a.ServedScore - b.ServedScore));
            output.WriteLine($"{photos[i].Name}: score {a.ServedScore:0.000} -> {b.ServedScore:0.000} (threshold {a.Threshold:0.000}), "
                + $"logits |diff| max {imageMax:0.000}, labels [{string.Join(",", a.LabelsPresent.Select(l => l.Label))}], {a.Verdict}");
            Assert.Equal(a.LabelsPresent.Select(l => l.Label).Order(), b.LabelsPresent.Select(l => l.Label).Order());
            Assert.Equal(a.Verdict, b.Verdict);
        }
        double meanLogit = sumLogit / (photos.Length * k);
        output.WriteLine($"{modelFile}: logits |diff| max {maxLogit:0.000}, mean {meanLogit:0.0000}; energy |diff| max {maxEnergy:0.000}; "
            + $"for scale, the full decode of the photo saved at quality 80 instead of 90: logits |diff| max {reference.MaxLogit:0.000}, "
            + $"mean {reference.MeanLogit:0.0000}; energy |diff| max {reference.MaxEnergy:0.000}");
        Assert.True(maxLogit <= ToleranceFactor * reference.MaxLogit, $"max logit difference {maxLogit}");
        Assert.True(meanLogit <= ToleranceFactor * reference.MeanLogit, $"mean logit difference {meanLogit}");
        Assert.True(maxEnergy <= ToleranceFactor * reference.MaxEnergy, $"max energy difference {maxEnergy}");
        // The committed scenes keep their known verdicts at 12 MP too.
        Assert.All(photos.Select((p, i) => (p.Name, Score: scorer.Score(after.Logits.AsSpan(i * k, k), after.ServedScores[i]))),
            p => Assert.Equal(p.Name.StartsWith("id/", StringComparison.Ordinal) ? Verdicts.InDistribution : Verdicts.OutOfDistribution, p.Score.Verdict));
    }

    [Fact]
    public async Task The_service_scores_a_12_megapixel_upload_from_its_reduced_scale_decode()
    {
        var (name, jpeg, _) = Photos.Value[0];
        using var model = OnnxModel.Load(BundledModelServiceFixture.ModelPath, new InferenceOptions { Provider = ProviderPreference.Cpu, IntraOpThreads = 1 });
        var preprocessor = new Preprocessor(model.Manifest.Input);
        var decoder = new ImageDecoder();
        float Energy(int minimumSide)
        {
            var tensor = new float[preprocessor.TensorLength];
            using (var image = decoder.Decode(jpeg, minimumSide)) preprocessor.Fill(image, tensor);
            return model.Run(tensor, 1).ServedScores[0];
        }
        float full = Energy(0), scaled = Energy(preprocessor.MinimumSourceSide);
        Assert.True(Math.Abs(full - scaled) > 1e-3, $"{name}: the two paths should differ measurably ({full} vs {scaled})");

        using var response = await service.Client.PostRawAsync(jpeg, "image/jpeg");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var score = await response.ReadScoreAsync();
        output.WriteLine($"{name} ({jpeg.Length:N0} bytes): service {score.Score.Value}, scaled {scaled}, full {full}; decode {score.Timings.DecodeMs:0.0} ms");
        Assert.True(Math.Abs(score.Score.Value - scaled) < 1e-3, $"the service's score {score.Score.Value} is not the scaled decode's {scaled} (full: {full})");
    }

    private static (double MaxLogit, double MeanLogit, double MaxEnergy) Differences(ModelOutputs a, ModelOutputs b, int labels)
    {
        var logits = a.Logits.Zip(b.Logits, (x, y) => (double)Math.Abs(x - y)).ToArray();
        return (logits.Max(), logits.Average(), a.ServedScores.Zip(b.ServedScores, (x, y) => (double)Math.Abs(x - y)).Max());
    }

    /// <summary>Each committed scene as a 4000x3000 JPEG with fine grain (seeded through StableHash by its name), as a phone would send.</summary>
    private static (string Name, byte[] Jpeg, byte[] Quality80)[] MakePhotos()
    {
        var names = new[] { "id", "ood-objects", "ood-textures" }
            .SelectMany(set => Directory.GetFiles(Path.Combine(Images, set), "*.jpg").Order(StringComparer.Ordinal).Select(f => $"{set}/{Path.GetFileName(f)}"))
            .ToArray();
        var photos = new (string, byte[], byte[])[names.Length];
        Parallel.For(0, names.Length, i =>
        {
            using var image = Image.Load<Rgb24>(Path.Combine(Images, names[i]));
            image.Mutate(x => x.Resize(4000, 3000, KnownResamplers.Bicubic));
            ulong state = StableHash.DeriveSeed64(16, "large-photo-grain", i) | 1;
            image.ProcessPixelRows(rows =>
            {
                for (int y = 0; y < rows.Height; y++)
                {
                    var row = rows.GetRowSpan(y);
                    for (int x = 0; x < row.Length; x++)
                    {
                        state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                        int grain = (int)(state % 31) - 15;
                        var p = row[x];
                        row[x] = new Rgb24(Clamp(p.R + grain), Clamp(p.G + grain), Clamp(p.B + grain));
                    }
                }
            });
            using var stream = new MemoryStream();
            image.SaveAsJpeg(stream, new JpegEncoder { Quality = 90 });
            using var quality80 = new MemoryStream();
            image.SaveAsJpeg(quality80, new JpegEncoder { Quality = 80 });
            photos[i] = (names[i], stream.ToArray(), quality80.ToArray());
        });
        return photos;

        static byte Clamp(int value) => (byte)Math.Clamp(value, 0, 255);
    }
}
