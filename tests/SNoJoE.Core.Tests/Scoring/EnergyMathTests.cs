using SNoJoE.Core.Scoring;

namespace SNoJoE.Core.Tests.Scoring;

public sealed class EnergyMathTests
{
    [Theory]
    [InlineData(100f, 100f)]
    [InlineData(1e4f, 1e4f)]
    [InlineData(89f, 89f)] // exp(89) overflows float32
    [InlineData(0f, 0.6931472f)]
    [InlineData(1f, 1.3132616f)]
    [InlineData(-1f, 0.31326169f)]
    public void Softplus_is_finite_and_accurate_where_the_naive_formula_overflows(float x, float expected)
    {
        float y = EnergyMath.Softplus(x);
        Assert.True(float.IsFinite(y));
        Assert.Equal(expected, y, 1e-6f * Math.Max(1f, Math.Abs(expected)));
        Assert.Equal(expected, (float)EnergyMath.Softplus((double)x), 1e-6f * Math.Max(1f, Math.Abs(expected)));
    }

    [Fact]
    public void Softplus_of_very_negative_logits_is_tiny_positive_not_zero_or_nan()
    {
        Assert.Equal(Math.Exp(-100), EnergyMath.Softplus(-100d), 1e-50);
        float small = EnergyMath.Softplus(-100f);
        Assert.True(small >= 0 && small < 1e-40f);
        Assert.Equal(0d, EnergyMath.Softplus(-1e4d));
        Assert.Equal(1e4, EnergyMath.Softplus(1e4d));
    }

    [Fact]
    public void Sigmoid_saturates_without_nan()
    {
        Assert.Equal(1f, EnergyMath.Sigmoid(100f));
        Assert.Equal(0f, EnergyMath.Sigmoid(-100f), 1e-30f);
        Assert.Equal(1f, EnergyMath.Sigmoid(1e4f));
        Assert.Equal(0f, EnergyMath.Sigmoid(-1e4f));
        Assert.Equal(0.5f, EnergyMath.Sigmoid(0f));
        Assert.Equal(0.7310586f, EnergyMath.Sigmoid(1f), 1e-6f);
    }

    [Fact]
    public void Joint_energy_is_the_sum_of_softplus_and_stays_finite_for_huge_logits()
    {
        Assert.Equal(2e4f, EnergyMath.JointEnergy([1e4f, 1e4f, -1e4f]));
        Assert.Equal(100f + 0.6931472f, EnergyMath.JointEnergy([100f, 0f, -100f]), 1e-4f);
        Assert.Equal(0f, EnergyMath.JointEnergy([]));
    }
}
