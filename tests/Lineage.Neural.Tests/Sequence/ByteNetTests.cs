using Lineage.Neural.Core;
using Lineage.Neural.Sequence;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Tests.Sequence;

public sealed class ByteNetTests
{
    public ByteNetTests() => TorchRuntime.Initialize();

    [Fact]
    public void ReceptiveField_PaperDilationsTwice_Is125()
    {
        // 1 + 2 repeats × (3 − 1) × (1 + 2 + 4 + 8 + 16)
        Assert.Equal(125, new ByteNetConfig().ReceptiveField);
        Assert.Equal(1 + 2 * 2 * 7, ByteNetConfig.Tiny.ReceptiveField);
        Assert.Equal([1, 2, 4, 1, 2, 4], ByteNetConfig.Tiny.Schedule);
    }

    [Fact]
    public void ReceptiveField_MatchesTheInputsThatInfluenceAnOutput()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(4);
        var config = ByteNetConfig.Tiny;
        using var model = new ByteNet(config);
        int rf = config.ReceptiveField, t = 40, steps = 48;
        var embedded = torch.randn(1, steps, config.Channels).requires_grad_();
        model.ForwardEmbedded(embedded)[0, t].sum().backward();
        var influence = embedded.grad![0].abs().sum(1).data<float>().ToArray();      // (T): how much each input moves output t
        var touched = Enumerable.Range(0, steps).Where(s => influence[s] > 0).ToArray();
        Assert.Equal(Enumerable.Range(t - rf + 1, rf).ToArray(), touched);          // exactly t − RF + 1 … t
    }

    [Fact]
    public void Forward_ChangingFutureBytes_LeavesEarlierOutputsUnchanged()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(9);
        using var model = new ByteNet(ByteNetConfig.Tiny);
        model.eval();
        var bytes = torch.randint(0, 256, [2, 30], dtype: ScalarType.Int64);
        var changed = bytes.clone();
        changed[.., 20..] = torch.randint(0, 256, [2, 10], dtype: ScalarType.Int64);
        var a = model.forward(bytes);
        var b = model.forward(changed);
        Assert.True(a[.., ..20].eq(b[.., ..20]).all().item<bool>(), "outputs before t = 20 changed");
        Assert.False(a[.., 20..].eq(b[.., 20..]).all().item<bool>());
        Assert.Equal([2L, 30, 256], a.shape);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void DilatedConvolution_EqualsLibtorchsConv1d(int dilation)
    {
        torch.manual_seed(5);
        using var scope = torch.NewDisposeScope();
        var x = torch.randn(3, 6, 2 * dilation + 11);
        var w = torch.randn(5, 6, 3);
        var bias = torch.randn(5);
        var reference = torch.nn.functional.conv1d(x, w, bias, dilation: dilation).transpose(1, 2);   // (B, T, d_out)
        var ours = ByteNet.DilatedConvolution(x, w, bias, dilation);
        Assert.Equal(reference.shape, ours.shape);
        Assert.True((ours - reference).abs().max().item<float>() < 1e-5f);
    }

    [Fact]
    public void Forward_BadInput_Throws()
    {
        using var model = new ByteNet(ByteNetConfig.Tiny);
        Assert.Throws<ArgumentException>(() => model.forward(torch.zeros(2, 5)));
        Assert.Throws<ArgumentException>(() => model.forward(torch.zeros(2, 0, dtype: ScalarType.Int64)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ByteNetConfig(Channels: 7).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new ByteNetConfig(Dilations: []).Validate());
    }
}
