using SNoJoE.Evaluation.Detectors;

namespace SNoJoE.Evaluation.Tests;

/// <summary>bake's score syntax: canonical names, evaluate's detector names, and one-line errors.</summary>
public sealed class ServedScoreSpecTests
{
    [Theory]
    [InlineData("react", "react-hidden:p90")]
    [InlineData("react-pooled:p95", "react-pooled:p95")]
    [InlineData("ASH-S:65", "ash-s-hidden:65")]
    [InlineData("ash_s65", "ash-s-hidden:65")]
    [InlineData("ash_s_pooled", "ash-s-pooled:90")]
    [InlineData("energy_t", "temperature")]
    [InlineData("temperature:0.5 + dice + react", "react-hidden:p90+dice:90+temperature:0.5")]
    [InlineData("knn", "knn-pooled:k10")]
    [InlineData("knn_hidden", "knn-hidden:k10")]
    [InlineData("knn-hidden:k3", "knn-hidden:k3")]
    [InlineData("dice:70", "dice:70")]
    public void Scores_are_named_canonically_with_every_default_written_out(string text, string canonical)
    {
        var spec = ServedScoreSpec.Parse(text);
        Assert.Equal(canonical, spec.ToString());
        Assert.Equal(canonical, ServedScoreSpec.Parse(canonical).ToString()); // the canonical name parses to itself
    }

    [Fact]
    public void The_spec_says_what_it_needs_and_its_family()
    {
        var react = ServedScoreSpec.Parse("react-pooled+temperature");
        Assert.Equal((Shaping.React, ScoreLayer.Pooled, 90d, true), (react.Shaping, react.ShapingLayer, react.ReactPercentile, react.FitTemperature));
        Assert.True(react.NeedsHead && react.NeedsFitData);
        Assert.Equal(("energy", "pooled"), (react.Family, react.LayerName));
        var ash = ServedScoreSpec.Parse("ash-b:80");
        Assert.True(ash.NeedsHead);
        Assert.False(ash.NeedsFitData); // ASH has no fitted constant
        Assert.Equal("distance", ServedScoreSpec.Parse("knn").Family);
        Assert.False(ServedScoreSpec.Parse("temperature:2").NeedsHead);
        Assert.True(ServedScoreSpec.Parse("joint-energy").IsJointEnergy);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("react+", "empty part")]
    [InlineData("react+ash-s", "at most one activation shaping")]
    [InlineData("dice+dice:50", "at most one dice part")]
    [InlineData("react:p0", "not a percentage in (0, 100]")]
    [InlineData("ash-s:100", "not a percentage in [0, 100)")]
    [InlineData("dice:abc", "not a percentage")]
    [InlineData("temperature:-1", "positive number")]
    [InlineData("knn:10", "knn takes :kN")]
    [InlineData("knn+react", "combines with nothing")]
    [InlineData("joint-energy+temperature", "combines with nothing")]
    [InlineData("dice-pooled", "dice takes no layer")]
    [InlineData("vim", "unknown part 'vim'")]
    [InlineData("joint_energy", "unknown part 'joint_energy'")] // the served score has one spelling: joint-energy
    public void Bad_spellings_are_one_line_format_errors(string text, string expected)
    {
        var e = Assert.Throws<FormatException>(() => ServedScoreSpec.Parse(text));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
