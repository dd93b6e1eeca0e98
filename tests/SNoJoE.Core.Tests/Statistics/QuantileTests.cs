using SNoJoE.Core.Statistics;

namespace SNoJoE.Core.Tests.Statistics;

public sealed class QuantileTests
{
    [Theory]
    [InlineData(0, 1.0)]
    [InlineData(0.01, 1.03)] // 1 + 0.03 * (2 - 1)
    [InlineData(0.5, 2.5)]   // np.quantile([1,2,3,4], 0.5)
    [InlineData(0.9, 3.7)]
    [InlineData(0.99, 3.97)]
    [InlineData(1, 4.0)]
    public void Quantiles_interpolate_between_closest_ranks_as_numpy_does(double q, double expected)
    {
        Assert.Equal(expected, Quantile.OfSorted([1, 2, 3, 4], q), precision: 12);
        Assert.Equal(expected, Quantile.Of([4, 1, 3, 2], q), precision: 12);
    }

    [Fact]
    public void The_quantiles_of_one_value_are_that_value()
    {
        Assert.Equal(7.5, Quantile.OfSorted([7.5], 0.99));
        Assert.Equal(7, Quantile.Of([7], 0.95));
    }

    [Fact]
    public void No_values_and_out_of_range_quantiles_are_refused()
    {
        Assert.Throws<ArgumentException>(() => Quantile.Of([], 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => Quantile.OfSorted([1], 1.01));
        Assert.Throws<ArgumentOutOfRangeException>(() => Quantile.OfSorted([1], -0.01));
        Assert.Throws<ArgumentOutOfRangeException>(() => Quantile.Of([1], double.NaN));
    }
}
