using BenchmarkDotNet.Attributes;
using Lineage.Neural.Core;
using Lineage.Neural.Sequence;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Benchmarks;

/// <summary>
/// One training pass (forward + backward) of a byte-level LM on 16 × 192 bytes: the LSTM through libtorch's fused
/// kernel (baseline), the same LSTM through our equations, and ByteNet of similar size (the tour's sizes).
/// </summary>
public class ByteLmBenchmarks : IDisposable
{
    private RecurrentLm? _lstm;
    private ByteNet? _bytenet;
    private Tensor? _x, _y;

    /// <summary>libtorch intra-op threads.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        TorchRuntime.Apply(new RunSettings { Threads = Threads });
        torch.manual_seed(1);
        _lstm = new RecurrentLm(new RecurrentLmConfig(CellKind.Lstm, Embedding: 48, Hidden: 192));
        _bytenet = new ByteNet(new ByteNetConfig(Channels: 96));
        _x = torch.randint(0, 256, [16, 192], dtype: ScalarType.Int64);
        _y = torch.randint(0, 256, [16, 192], dtype: ScalarType.Int64);
    }

    private float Pass(nn.Module<Tensor, Tensor> model)
    {
        using var scope = torch.NewDisposeScope();
        model.zero_grad();
        var loss = ByteLm.Loss(model.forward(_x!), _y!);
        loss.backward();
        return loss.item<float>();
    }

    [Benchmark(Baseline = true)]
    public float LstmFused()
    {
        _lstm!.Network.Fused = true;
        return Pass(_lstm);
    }

    [Benchmark]
    public float LstmEquations()
    {
        _lstm!.Network.Fused = false;
        return Pass(_lstm);
    }

    [Benchmark]
    public float ByteNetPass() => Pass(_bytenet!);

    [GlobalCleanup]
    public void Dispose()
    {
        _lstm?.Dispose();
        _bytenet?.Dispose();
        _x?.Dispose();
        _y?.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Training pass of a 2-layer bidirectional GRU/LSTM/RNN (batch 32 × 40 steps): equations against the fused kernel.</summary>
public class RecurrentCellBenchmarks : IDisposable
{
    private Recurrent? _model;
    private Tensor? _x;

    /// <summary>Which cell.</summary>
    [Params(CellKind.Rnn, CellKind.Lstm, CellKind.Gru)]
    public CellKind Cell { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        TorchRuntime.Apply(new RunSettings { Threads = 1 });
        torch.manual_seed(1);
        _model = new Recurrent(new RecurrentConfig(Cell, 16, 48, Layers: 2, Bidirectional: true));
        _x = torch.randn(32, 40, 16);
    }

    private float Pass(bool fused)
    {
        using var scope = torch.NewDisposeScope();
        _model!.Fused = fused;
        _model.zero_grad();
        var loss = _model.forward(_x!).pow(2).mean();
        loss.backward();
        return loss.item<float>();
    }

    [Benchmark(Baseline = true)]
    public float Fused() => Pass(true);

    [Benchmark]
    public float Equations() => Pass(false);

    [GlobalCleanup]
    public void Dispose()
    {
        _model?.Dispose();
        _x?.Dispose();
        GC.SuppressFinalize(this);
    }
}
