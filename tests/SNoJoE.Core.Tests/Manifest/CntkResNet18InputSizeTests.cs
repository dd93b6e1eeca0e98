using SNoJoE.Core.Manifest;

namespace SNoJoE.Core.Tests.Manifest;

public class CntkResNet18InputSizeTests
{
    [Theory]
    [InlineData(32)]
    [InlineData(35)]
    [InlineData(64)]
    [InlineData(96)]
    [InlineData(128)]
    [InlineData(224)]
    [InlineData(227)]
    [InlineData(256)]
    public void Sides_of_32k_to_32k_plus_3_fit(int side) => Assert.True(CntkResNet18InputSize.Fits(side));

    [Theory]
    [InlineData(24)] // runs, but only by broadcasting a 1x1 map in a residual add
    [InlineData(31)]
    [InlineData(36)]
    [InlineData(48)]
    [InlineData(80)]
    [InlineData(100)]
    [InlineData(112)]
    [InlineData(228)]
    public void Other_sides_do_not(int side) => Assert.False(CntkResNet18InputSize.Fits(side));

    [Fact]
    public void The_problem_names_the_size_and_the_nearest_sizes_that_work()
    {
        var problem = CntkResNet18InputSize.Problem(112, 112);
        Assert.NotNull(problem);
        Assert.Contains("112x112", problem);
        Assert.Contains("96 or 128", problem);
        Assert.DoesNotContain('\n', problem);
        Assert.Null(CntkResNet18InputSize.Problem(224, 224));
    }

    [Fact]
    public void A_manifest_of_the_resnet18_backbone_at_a_size_it_cannot_take_is_invalid()
    {
        var problems = ManifestStore.Validate(Manifest(112, "ResNet18.onnx"));
        Assert.Contains(problems, p => p.Contains("112x112") && p.Contains("ResNet18"));
    }

    [Theory]
    [InlineData(224, "ResNet18.onnx")] // the bundled model
    [InlineData(64, "ResNet18.onnx")]  // the test models
    [InlineData(112, "other.onnx")]    // another backbone: its sizes are not known here
    [InlineData(112, null)]            // no training record, e.g. the service tests' tiny model
    public void Other_manifests_stay_valid(int side, string? backbone) =>
        Assert.Empty(ManifestStore.Validate(Manifest(side, backbone)));

    private static ModelManifest Manifest(int side, string? backbone) => new()
    {
        Name = "m",
        Model = "m.onnx",
        Labels = ["a", "b"],
        Input = InputSpec.CntkResNet(side, side),
        Training = backbone is null ? null : new TrainingSummary { Backbone = backbone },
    };
}
