using Lineage.Text.Determinism;

namespace Lineage.Text.Tests.Determinism;

public class StableSeedTests
{
    [Fact]
    public void SameInEveryProcess_AndSensitiveToEveryPart()
    {
        // A constant, not a value computed in this process: HashCode.Combine would fail this after a restart.
        Assert.Equal(1456001465, StableSeed.Of(1337, 42));                   // also what a Python SplitMix64 gives
        Assert.NotEqual(StableSeed.Of(1337, 42), StableSeed.Of(42, 1337));
        Assert.NotEqual(StableSeed.Of(1, 2, 3), StableSeed.Of(1, 2, 4));
        Assert.InRange(StableSeed.Of(-5), 0, int.MaxValue);
    }
}
