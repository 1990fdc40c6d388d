using Lineage.Neural.Core;
using Lineage.Neural.Vision;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Tests.Vision;

public class SwinTests
{
    public SwinTests()
    {
        TorchRuntime.Initialize();
        TorchThreads.AtMost(1);
    }

    [Fact]
    public void Forward_Batch_GivesOneLogitPerClass_AndMergesPatches()
    {
        torch.manual_seed(0);
        using var model = new Swin(SwinConfig.Tiny);
        using var scope = torch.NewDisposeScope();
        var x = torch.rand(3, 1, 16, 16);
        Assert.Equal([3L, 10L], model.forward(x).shape);
        Assert.Equal([3L, 16L, 16L], model.Encode(x).shape);     // 8 × 8 patches of 8 → merged to 4 × 4 of 16
        Assert.Equal(0, model.Stages[0].Blocks[0].Shift);
        Assert.Equal(2, model.Stages[0].Blocks[1].Shift);
    }

    [Fact]
    public void Forward_WrongShape_ThrowsNamingIt()
    {
        using var model = new Swin(SwinConfig.Tiny);
        using var x = torch.rand(2, 1, 28, 28);
        var e = Assert.Throws<ArgumentException>(() => model.forward(x));
        Assert.Contains("(2, 1, 28, 28)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Backward_EveryParameterGetsAGradient()
    {
        torch.manual_seed(0);
        using var model = new Swin(SwinConfig.Tiny);
        using var scope = torch.NewDisposeScope();
        var loss = nn.functional.cross_entropy(model.forward(torch.rand(2, 1, 16, 16)), torch.tensor(new long[] { 0, 1 }));
        loss.backward();
        Assert.All(model.named_parameters(), p => Assert.True(p.parameter.grad is not null, $"no gradient for {p.name}"));
    }

    [Fact]
    public void RelativePositionIndex_DependsOnlyOnTheOffset()
    {
        var index = SwinBlock.RelativePositionIndex(3);   // 9 × 9 pairs, offsets in [-2, 2]² → 25 rows
        Assert.Equal(81, index.Length);
        Assert.Equal(12, index[0]);                       // (0,0)→(0,0): the centre row (2·5 + 2)
        Assert.Equal(index[0 * 9 + 4], index[4 * 9 + 8]); // offset (−1, −1) in both pairs
        Assert.Equal(24, index[8 * 9 + 0]);               // (2,2)→(0,0): the largest offset
    }

    /// <summary>
    /// The mask test: in a shifted block, token t's output depends only on the tokens of its window after the cyclic
    /// shift that come from t's own region. Membership is computed here from first principles (roll, window, region).
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void ShiftedWindow_ATokenOutsideTheWindowDoesNotChangeTheOutput(int shift)
    {
        torch.manual_seed(1);
        const int side = 8, window = 4, dim = 8;
        using var block = new SwinBlock(dim, heads: 2, window, shift, mlpRatio: 2);
        block.eval();
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var x = torch.randn(1, side * side, dim);
        var y = block.forward(x, side, side);
        int outside = 0, inside = 0;
        foreach (int t in new[] { 0, 7, 27, 36, 63, 62, 57 })
        {
            for (int j = 0; j < side * side; j++)
            {
                if (j == t) continue;
                var changed = x.clone();
                changed[0, j] = torch.randn(dim) * 5;
                var yChanged = block.forward(changed, side, side);
                float delta = (yChanged[0, t] - y[0, t]).abs().max().item<float>();
                if (Interacts(t, j, side, window, shift))
                {
                    inside++;
                    Assert.True(delta > 1e-4, $"token {j} is in token {t}'s window but did not change its output");
                }
                else
                {
                    outside++;
                    Assert.True(delta == 0, $"token {j} is outside token {t}'s (shifted) window but changed its output by {delta}");
                }
            }
        }

        Assert.True(outside > 100 && inside > 20, $"{outside} outside, {inside} inside pairs tested");
    }

    private static bool Interacts(int a, int b, int side, int window, int shift)
    {
        // Position after rolling the map by −shift in both directions.
        (int r, int c) Rolled(int t) => (((t / side) - shift + side) % side, ((t % side) - shift + side) % side);
        int Region(int p) => shift == 0 ? 0 : p < side - window ? 0 : p < side - shift ? 1 : 2;
        var (ra, ca) = Rolled(a);
        var (rb, cb) = Rolled(b);
        bool sameWindow = ra / window == rb / window && ca / window == cb / window;
        bool sameRegion = Region(ra) == Region(rb) && Region(ca) == Region(cb);
        return sameWindow && sameRegion;
    }

    [Fact]
    public void SidesNotAMultipleOfTheWindow_ArePadded()
    {
        torch.manual_seed(0);
        using var model = new Swin(new SwinConfig(ImageSize: 28, Patch: 2, Dim: 8, Depths: [2, 1], Heads: [2, 2], Window: 4));   // 14 × 14 → pad to 16
        using var scope = torch.NewDisposeScope();
        Assert.Equal([2L, 10L], model.forward(torch.rand(2, 1, 28, 28)).shape);
    }
}
