using SixLabors.ImageSharp;
using SNoJoE.Training.Training;

namespace SNoJoE.Training.Tests.Training;

/// <summary>
/// torchvision's RandomResizedCrop box sampling: boxes inside the image, with an area fraction in
/// [minScale, maxScale] and an aspect ratio in [3/4, 4/3] up to the rounding of width and height, the
/// documented centre-crop fallback, and a fair flip coin. (What the preprocessor does with the box and the
/// flip is checked pixel by pixel in SNoJoE.Core.Tests/Imaging/PreprocessorTests.cs.) No TorchSharp involved.
/// </summary>
public sealed class AugmentationTests
{
    [Fact]
    public void Sampled_boxes_lie_inside_the_image_with_the_requested_area_and_aspect_ratio()
    {
        const int width = 64, height = 48;
        const double minScale = 0.5, maxScale = 1.0, area = width * height;
        var random = new Random(12);
        int sampledBoxes = 0;
        bool left = false, right = false, top = false, bottom = false;
        for (int i = 0; i < 2000; i++)
        {
            var (crop, _) = Augmentation.Sample(random, width, height, minScale, maxScale);
            Assert.True(crop.Width > 0 && crop.Height > 0, $"empty box {crop}");
            Assert.True(crop.X >= 0 && crop.Y >= 0 && crop.Right <= width && crop.Bottom <= height, $"box {crop} leaves the {width}x{height} image");
            left |= crop.X == 0; top |= crop.Y == 0; right |= crop.Right == width; bottom |= crop.Bottom == height;
            if (crop == new Rectangle(0, 0, width, height)) continue; // the whole image: a draw at scale 1, or the fallback (64/48 = 4/3)
            sampledBoxes++;

            // w = round(sqrt(A r)), h = round(sqrt(A / r)) for the drawn area A and ratio r, so
            // sqrt(A r) is within w +- 0.5 and sqrt(A / r) within h +- 0.5: A = sqrt(A r) sqrt(A / r), r = sqrt(A r) / sqrt(A / r)
            double w = crop.Width, h = crop.Height;
            double areaLow = (w - 0.5) * (h - 0.5), areaHigh = (w + 0.5) * (h + 0.5);
            Assert.True(areaHigh >= minScale * area && areaLow <= maxScale * area,
                $"box {crop}: area between {areaLow} and {areaHigh}, outside [{minScale * area}, {maxScale * area}]");
            double ratioLow = (w - 0.5) / (h + 0.5), ratioHigh = (w + 0.5) / (h - 0.5);
            Assert.True(ratioHigh >= 3.0 / 4.0 && ratioLow <= 4.0 / 3.0, $"box {crop}: aspect ratio between {ratioLow} and {ratioHigh}, outside [3/4, 4/3]");
        }
        Assert.True(sampledBoxes > 1000, $"only {sampledBoxes} of 2000 boxes were sampled boxes");
        Assert.True(left && right && top && bottom, "over 2000 boxes some should touch each edge of the image");
    }

    [Theory]
    // 100x10 at scale 1: the drawn box is about 32x32 (sqrt(1000 r) by sqrt(1000 / r)), never fits in height 10,
    // so after 10 attempts the fallback takes the centre crop clamped to ratio 4/3: width round(10 * 4/3) = 13,
    // at x = (100 - 13) / 2 = 43 (integer division)
    [InlineData(100, 10, 43, 0, 13, 10)]
    // 10x100: ratio 1/10 < 3/4, height round(10 / (3/4)) = 13 at y = (100 - 13) / 2 = 43
    [InlineData(10, 100, 0, 43, 10, 13)]
    public void Boxes_that_never_fit_fall_back_to_the_centre_crop_clamped_to_the_ratio_range(int width, int height, int x, int y, int w, int h)
    {
        for (int seed = 0; seed < 20; seed++)
        {
            var (crop, _) = Augmentation.Sample(new Random(seed), width, height, 1.0, 1.0);
            Assert.Equal(new Rectangle(x, y, w, h), crop);
        }
    }

    [Fact]
    public void The_flip_is_a_fair_coin()
    {
        var random = new Random(3);
        const int n = 4000;
        int flips = Enumerable.Range(0, n).Count(_ => Augmentation.Sample(random, 64, 48, 0.5, 1.0).Flip);
        // binomial(4000, 1/2): mean 2000, standard deviation sqrt(4000 / 4) = 31.6; 5 sigma is 158
        Assert.InRange(flips, 2000 - 158, 2000 + 158);
    }
}
