using System.Text.Json;
using SNoJoE.Training.Training;

namespace SNoJoE.Training.Tests.Training;

public sealed class TrainingOptionsTests
{
    [Fact]
    public void Initial_power_iterations_reach_the_spectral_norm_options_and_the_recipe()
    {
        var options = new TrainingOptions { DataDirectory = "d", RunDirectory = "r", BackbonePath = "b.onnx", SnInitialIterations = 50 };

        Assert.Equal(50, options.SpectralNormOptions.InitialIterations);
        Assert.Equal("50", options.Recipe()["snInitialIterations"]);
    }

    [Fact]
    public void A_run_json_written_before_the_setting_existed_loads_with_the_default()
    {
        const string json = """{ "dataDirectory": "d", "runDirectory": "r", "backbonePath": "b.onnx", "spectralNorm": "conv", "snCoefficient": 3 }""";

        var options = JsonSerializer.Deserialize<TrainingOptions>(json, RunState.Json)!;

        Assert.Equal(300, options.SnInitialIterations);
        Assert.Equal(300, options.SpectralNormOptions.InitialIterations);
    }
}
