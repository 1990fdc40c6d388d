using Lineage.Neural.Core;
using Lineage.Neural.Foundations;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Tests.Foundations;

public class MlpTests
{
    public MlpTests() => TorchRuntime.Initialize();

    [Fact]
    public void Forward_Batch_GivesOneLogitPerClass()
    {
        torch.manual_seed(0);
        using var model = new Mlp(MlpConfig.Tiny);
        using var scope = torch.NewDisposeScope();
        var logits = model.forward(torch.rand(5, 16));
        Assert.Equal([5L, 3L], logits.shape);
        Assert.Equal(ScalarType.Float32, logits.dtype);
    }

    [Fact]
    public void Forward_WrongWidth_ThrowsNamingTheShape()
    {
        using var model = new Mlp(MlpConfig.Tiny);
        using var x = torch.rand(5, 17);
        var e = Assert.Throws<ArgumentException>(() => model.forward(x));
        Assert.Contains("(5, 17)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_BadDropout_ThrowsNamingTheField()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Mlp(MlpConfig.Tiny with { Dropout = 1.5 }));
        Assert.Equal("Dropout", e.ParamName);
    }

    [Fact]
    public void Backward_EveryParameterGetsAGradient()
    {
        torch.manual_seed(0);
        using var model = new Mlp(MlpConfig.Tiny);
        using var scope = torch.NewDisposeScope();
        var loss = nn.functional.cross_entropy(model.forward(torch.rand(4, 16)), torch.tensor(new long[] { 0, 1, 2, 1 }));
        loss.backward();
        Assert.All(model.named_parameters(), p => Assert.True(p.parameter.grad is not null, $"no gradient for {p.name}"));
        Assert.Equal(["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"], model.named_parameters().Select(p => p.name));
    }

    [Fact]
    public void TrainingStep_DoesNotLeakTensors()
    {
        torch.manual_seed(0);
        using var model = new Mlp(MlpConfig.Tiny);
        var optimizer = torch.optim.AdamW(model.parameters());
        using var x = torch.rand(8, 16);
        using var y = torch.randint(0, 3, [8], dtype: ScalarType.Int64);
        long Step()
        {
            using (var scope = torch.NewDisposeScope())
            {
                optimizer.zero_grad();
                nn.functional.cross_entropy(model.forward(x), y).backward();
                optimizer.step();
            }
            return DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        }
        Step(); Step();                                     // optimiser state is created lazily
        long live = Step();
        for (int i = 0; i < 5; i++) Assert.Equal(live, Step());
    }
}
