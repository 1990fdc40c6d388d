using Lineage.Neural.Attention;
using Lineage.Neural.Core;
using Lineage.Neural.Transformers;
using Lineage.Neural.Vision;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Tests.Vision;

public class VitTests
{
    public VitTests()
    {
        TorchRuntime.Initialize();
        TorchThreads.AtMost(1);
    }

    [Fact]
    public void Forward_Batch_GivesOneLogitPerClass()
    {
        torch.manual_seed(0);
        using var model = new Vit(VitConfig.Tiny);
        using var scope = torch.NewDisposeScope();
        var logits = model.forward(torch.rand(3, 1, 28, 28));
        Assert.Equal([3L, 10L], logits.shape);
        Assert.Equal([3L, 17L, 16L], model.Encode(torch.rand(3, 1, 28, 28)).shape);   // 16 patches + [CLS]
    }

    [Fact]
    public void Forward_WrongShape_ThrowsNamingIt()
    {
        using var model = new Vit(VitConfig.Tiny);
        using var x = torch.rand(2, 3, 28, 28);
        var e = Assert.Throws<ArgumentException>(() => model.forward(x));
        Assert.Contains("(2, 3, 28, 28)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_PatchLargerThanImage_ThrowsNamingTheField()
    {
        var e = Assert.Throws<ArgumentException>(() => new Vit(VitConfig.Tiny with { Patch = 32 }));
        Assert.Equal("Patch", e.ParamName);
        Assert.Contains("larger than the image", e.Message, StringComparison.Ordinal);
        Assert.Equal("Patch", Assert.Throws<ArgumentException>(() => new Vit(VitConfig.Tiny with { Patch = 5 })).ParamName);
    }

    [Fact]
    public void Backward_EveryParameterGetsAGradient()
    {
        torch.manual_seed(0);
        using var model = new Vit(VitConfig.Tiny);
        using var scope = torch.NewDisposeScope();
        var loss = nn.functional.cross_entropy(model.forward(torch.rand(4, 1, 28, 28)), torch.tensor(new long[] { 0, 1, 2, 3 }));
        loss.backward();
        Assert.All(model.named_parameters(), p => Assert.True(p.parameter.grad is not null, $"no gradient for {p.name}"));
    }

    [Fact]
    public void EagerAndSdpaPaths_GiveTheSameLogits()
    {
        torch.manual_seed(0);
        using var model = new Vit(VitConfig.Tiny);
        model.eval();
        using var scope = torch.NewDisposeScope();
        var x = torch.rand(2, 1, 28, 28);
        model.Kernel = AttentionKernel.Naive;
        var a = model.forward(x);
        model.Kernel = AttentionKernel.Sdpa;
        var b = model.forward(x);
        Assert.True(a.allclose(b, rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void AttentionRollout_IsADistributionOverPatches()
    {
        torch.manual_seed(0);
        using var model = new Vit(VitConfig.Tiny);
        using var scope = torch.NewDisposeScope();
        var maps = model.AttentionRollout(torch.rand(2, 1, 28, 28));
        Assert.Equal([2L, 4L, 4L], maps.shape);
        Assert.True(maps.sum([1L, 2L]).allclose(torch.ones(2), atol: 1e-5));
        Assert.True(maps.min().item<float>() >= 0);
        // The recomputed attention weights are rows of a softmax.
        var w = model.AttentionWeights(torch.rand(2, 1, 28, 28));
        Assert.Equal([2L, 2L, 17L, 17L], w.shape);
        Assert.True(w.sum(-1).allclose(torch.ones(2, 2, 17), atol: 1e-5));
    }
}
