using Lineage.Neural.Core;
using Lineage.Neural.Sequence;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Tests.Sequence;

public sealed class RecurrentTests
{
    private const double Tolerance = 1e-5;

    public RecurrentTests() => TorchRuntime.Initialize();

    public static TheoryData<CellKind, int, bool, bool> Shapes()
    {
        var data = new TheoryData<CellKind, int, bool, bool>();
        foreach (var cell in Enum.GetValues<CellKind>())
        {
            data.Add(cell, 1, false, true);
            data.Add(cell, 2, true, true);     // multi-layer and bidirectional
            data.Add(cell, 2, true, false);    // time-major, PyTorch's default layout
        }
        return data;
    }

    /// <summary>libtorch's own module of the same shape, holding a copy of <paramref name="ours"/>'s weights.</summary>
    private static nn.Module Reference(Recurrent ours)
    {
        var c = ours.Config;
        nn.Module reference = c.Cell switch
        {
            CellKind.Rnn => nn.RNN(c.InputSize, c.HiddenSize, c.Layers, batchFirst: c.BatchFirst, bidirectional: c.Bidirectional),
            CellKind.Lstm => nn.LSTM(c.InputSize, c.HiddenSize, c.Layers, batchFirst: c.BatchFirst, bidirectional: c.Bidirectional),
            _ => nn.GRU(c.InputSize, c.HiddenSize, c.Layers, batchFirst: c.BatchFirst, bidirectional: c.Bidirectional),
        };
        var mine = ours.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using var noGrad = torch.no_grad();
        foreach (var (name, p) in reference.named_parameters())
        {
            Assert.True(mine.TryGetValue(name, out var source), $"our module has no {name}");
            p.copy_(source);
        }
        Assert.Equal(mine.Count, reference.parameters().Count());
        return reference;
    }

    private static (Tensor Output, Tensor H, Tensor? C) RunReference(nn.Module reference, Tensor x, Tensor h0, Tensor? c0) => reference switch
    {
        TorchSharp.Modules.LSTM lstm => lstm.forward(x, (h0, c0!)),
        TorchSharp.Modules.GRU gru => Pair(gru.forward(x, h0)),
        TorchSharp.Modules.RNN rnn => Pair(rnn.forward(x, h0)),
        _ => throw new InvalidOperationException(),
    };

    private static (Tensor, Tensor, Tensor?) Pair((Tensor, Tensor) r) => (r.Item1, r.Item2, null);

    private static double MaxDiff(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    [Theory, MemberData(nameof(Shapes))]
    public void Equations_MatchLibtorchFusedModule_OutputsAndGradients(CellKind cell, int layers, bool bidirectional, bool batchFirst)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(11);
        var config = new RecurrentConfig(cell, InputSize: 5, HiddenSize: 6, layers, bidirectional, batchFirst);
        using var ours = new Recurrent(config);
        using var reference = Reference(ours);
        int b = 3, t = 7, d = config.Directions;
        var xShape = batchFirst ? new long[] { b, t, 5 } : [t, b, 5];
        var x1 = torch.randn(xShape).requires_grad_();
        var x2 = x1.detach().clone().requires_grad_();
        var h0 = torch.randn(layers * d, b, 6);
        var c0 = cell == CellKind.Lstm ? torch.randn(layers * d, b, 6) : null;
        var yShape = batchFirst ? new long[] { b, t, d * 6 } : [t, b, d * 6];
        var weights = torch.randn(yShape);     // a loss that weighs every output differently
        var hWeights = torch.randn(layers * d, b, 6);

        var (y1, s1) = ours.Run(x1, new RecurrentState(h0, c0));
        var (y2, h2, c2) = RunReference(reference, x2, h0, c0);
        Assert.Equal(y2.shape, y1.shape);
        Assert.True(MaxDiff(y1, y2) <= Tolerance, $"outputs differ by {MaxDiff(y1, y2)}");
        Assert.True(MaxDiff(s1.H, h2) <= Tolerance, $"h_n differs by {MaxDiff(s1.H, h2)}");
        if (c0 is not null) Assert.True(MaxDiff(s1.C!, c2!) <= Tolerance, $"c_n differs by {MaxDiff(s1.C!, c2!)}");

        var loss1 = (y1 * weights).sum() + (s1.H * hWeights).sum() + (s1.C is null ? torch.zeros(1) : s1.C.sum());
        var loss2 = (y2 * weights).sum() + (h2 * hWeights).sum() + (c2 is null ? torch.zeros(1) : c2.sum());
        loss1.backward();
        loss2.backward();
        Assert.True(MaxDiff(x1.grad!, x2.grad!) <= Tolerance, $"input gradients differ by {MaxDiff(x1.grad!, x2.grad!)}");
        var theirs = reference.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in ours.named_parameters())
        {
            double diff = MaxDiff(p.grad!, theirs[name].grad!);
            Assert.True(diff <= Tolerance, $"gradient of {name} differs by {diff}");
        }
    }

    [Theory]
    [InlineData(CellKind.Rnn)]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.Gru)]
    public void FusedSwitch_SameWeights_SameOutputsAndGradientsInTheSameParameters(CellKind cell)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(5);
        using var model = new Recurrent(new RecurrentConfig(cell, 4, 8, Layers: 2, Bidirectional: true));
        var x = torch.randn(2, 9, 4);

        Tensor Grads(bool fused)
        {
            model.Fused = fused;
            model.zero_grad();
            model.forward(x).pow(2).sum().backward();
            return torch.cat(model.parameters().Select(p => p.grad!.flatten()).ToArray()).clone();
        }
        var equations = Grads(false);
        var fused = Grads(true);
        Assert.True(MaxDiff(equations, fused) <= Tolerance, $"gradients differ by {MaxDiff(equations, fused)}");
        model.Fused = false;
        var y1 = model.forward(x);
        model.Fused = true;
        var y2 = model.forward(x);
        Assert.True(MaxDiff(y1, y2) <= Tolerance);
    }

    [Fact]
    public void ParameterCount_GruIsThreeQuartersOfLstm_RnnOneQuarter()
    {
        long Count(CellKind cell, bool fromConfig)
        {
            var config = new RecurrentConfig(cell, InputSize: 10, HiddenSize: 20, Layers: 2, Bidirectional: true);
            if (fromConfig) return config.ParameterCount;
            using var model = new Recurrent(config);
            return model.parameters().Sum(p => p.numel());
        }
        foreach (var cell in Enum.GetValues<CellKind>()) Assert.Equal(Count(cell, true), Count(cell, false));
        long lstm = Count(CellKind.Lstm, false), gru = Count(CellKind.Gru, false), rnn = Count(CellKind.Rnn, false);
        Assert.Equal(4 * gru, 3 * lstm);
        Assert.Equal(4 * rnn, lstm);
        // layer 0: 2 directions × 4 gates × 20 × (10 + 20 + 2) = 5,120; layer 1: 2 × 4 × 20 × (40 + 20 + 2) = 9,920
        Assert.Equal(5_120 + 9_920, lstm);
    }

    [Fact]
    public void StateDictKeys_ArePyTorchNames()
    {
        using var model = new Recurrent(new RecurrentConfig(CellKind.Lstm, 3, 4, Layers: 2, Bidirectional: true));
        var keys = model.state_dict().Keys.ToHashSet();
        Assert.Contains("weight_ih_l0", keys);
        Assert.Contains("bias_hh_l1_reverse", keys);
        Assert.Equal(16, keys.Count);
    }

    [Fact]
    public void Run_WithTrace_GivesGradientOfEveryHiddenState()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(2);
        using var model = new Recurrent(new RecurrentConfig(CellKind.Rnn, 2, 8, Fused: true));
        var trace = new List<Tensor>();
        var (y, _) = model.Run(torch.randn(4, 12, 2), trace: trace);
        y.select(1, 11).sum().backward();
        Assert.Equal(12, trace.Count);
        Assert.All(trace, h => Assert.NotNull(h.grad));
        Assert.True(trace[^1].grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void Run_BadInputs_ThrowNamingTheProblem()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new Recurrent(new RecurrentConfig(CellKind.Gru, 3, 4));
        var e = Assert.Throws<ArgumentException>(() => model.forward(torch.zeros(2, 5, 7)));
        Assert.Contains("InputSize 3", e.Message);
        e = Assert.Throws<ArgumentException>(() => model.forward(torch.zeros(2, 0, 3)));
        Assert.Contains("empty sequence", e.Message);
        e = Assert.Throws<ArgumentException>(() => model.forward(torch.zeros(5, 3)));
        Assert.Contains("3-D", e.Message);
        e = Assert.Throws<ArgumentException>(() => model.Run(torch.zeros(2, 5, 3), new RecurrentState(torch.zeros(1, 3, 4), null)));
        Assert.Contains("initial h", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new RecurrentConfig(CellKind.Lstm, 3, 0).Validate());
    }
}
