// Multi-layer, optionally bidirectional recurrent network over the cells of Cells.cs, with a switch to run
// libtorch's fused kernel on the very same weights.
//
// Lineage: Elman RNN (1990) → LSTM (Hochreiter & Schmidhuber 1997) → GRU (Cho et al. 2014); see Cells.cs.
// Shapes:  B batch, T time steps, I input size, H hidden size, L layers, D directions (1 or 2), G gate blocks.
// Layout:  parameters are named and shaped exactly as torch.nn.RNN/LSTM/GRU's (weight_ih_l0, weight_hh_l0,
//          bias_ih_l0, bias_hh_l0, …, suffix _reverse for the backward direction), so a state dict moves
//          between the two. They are created by (and shared with) a libtorch module of the same shape: the
//          equations path reads them, the fused path (Fused = true) hands them to libtorch's kernel, and the
//          gradients of either land in the same tensors.
// Deviations: no dropout between layers, no projection (proj_size), no packed sequences.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.Sequence;

/// <summary>Which recurrent cell.</summary>
public enum CellKind
{
    /// <summary>Elman RNN with tanh.</summary>
    Rnn,
    /// <summary>Long short-term memory.</summary>
    Lstm,
    /// <summary>Gated recurrent unit.</summary>
    Gru,
}

/// <summary>Hyper-parameters of <see cref="Recurrent"/>.</summary>
/// <param name="Cell">RNN, LSTM or GRU.</param>
/// <param name="InputSize">I: features per time step.</param>
/// <param name="HiddenSize">H: state size per direction.</param>
/// <param name="Layers">L: stacked layers; layer l &gt; 0 reads the (D·H)-wide output of layer l − 1.</param>
/// <param name="Bidirectional">D = 2: a second cell reads the sequence backwards; outputs are concatenated.</param>
/// <param name="BatchFirst">Input and output are (B, T, ·) when true, (T, B, ·) otherwise (PyTorch's default).</param>
/// <param name="Fused">Run libtorch's fused kernel instead of the equations (same weights, same results up to rounding).</param>
public sealed record RecurrentConfig(CellKind Cell, int InputSize, int HiddenSize, int Layers = 1,
                                     bool Bidirectional = false, bool BatchFirst = true, bool Fused = false)
{
    /// <summary>Weight blocks per cell: RNN 1, LSTM 4, GRU 3.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int Gates => Cell switch
    {
        CellKind.Rnn => ElmanCell.Gates,
        CellKind.Lstm => LstmCell.Gates,
        CellKind.Gru => GruCell.Gates,
        _ => throw new ArgumentOutOfRangeException(nameof(Cell), Cell, "unknown cell"),
    };

    /// <summary>D: 2 when bidirectional, else 1.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>
    /// Parameter count from the shapes: per layer and direction G·H·(I_l + H + 2), with I_0 = I and I_l = D·H.
    /// Every term is proportional to G, so a GRU has exactly 3/4 of an LSTM's parameters and an RNN 1/4.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public long ParameterCount
    {
        get
        {
            long total = 0;
            for (int l = 0; l < Layers; l++)
            {
                long input = l == 0 ? InputSize : (long)Directions * HiddenSize;
                total += (long)Directions * Gates * HiddenSize * (input + HiddenSize + 2);
            }
            return total;
        }
    }

    /// <summary>Returns this config, or throws naming the bad field.</summary>
    public RecurrentConfig Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(InputSize, 1, nameof(InputSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(HiddenSize, 1, nameof(HiddenSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(Layers, 1, nameof(Layers));
        if (!Enum.IsDefined(Cell)) throw new ArgumentOutOfRangeException(nameof(Cell), Cell, "unknown cell");
        return this;
    }
}

/// <summary>The recurrent state after (or before) a sequence: h (L·D, B, H) and, for the LSTM, c (L·D, B, H).</summary>
/// <param name="H">Hidden state per layer and direction, layer-major (PyTorch's h_n layout).</param>
/// <param name="C">LSTM cell state, same layout; null for RNN and GRU.</param>
public readonly record struct RecurrentState(Tensor H, Tensor? C);

/// <summary>
/// A stack of RNN, LSTM or GRU layers written from their equations (<see cref="ElmanCell"/>,
/// <see cref="LstmCell"/>, <see cref="GruCell"/>), loadable from and switchable to libtorch's fused modules.
/// </summary>
/// <remarks>
/// <see href="https://doi.org/10.1207/s15516709cog1402_1">Elman 1990</see>,
/// <see href="https://doi.org/10.1162/neco.1997.9.8.1735">Hochreiter &amp; Schmidhuber 1997</see>,
/// <see href="https://arxiv.org/abs/1406.1078">Cho et al. 2014</see>. Initialisation is PyTorch's:
/// every weight and bias uniform in (−1/√H, 1/√H).
/// </remarks>
public sealed class Recurrent : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module _kernel;        // libtorch's fused module; it created the parameters below
    private readonly Parameter[][] _weights;   // [l·D + d] = { weight_ih, weight_hh, bias_ih, bias_hh }

    /// <summary>Creates the network with PyTorch's initialisation (seed with torch.manual_seed first).</summary>
    public Recurrent(RecurrentConfig config) : base($"Recurrent{config?.Cell}")
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config.Validate();
        Fused = config.Fused;
        _kernel = config.Cell switch
        {
            CellKind.Rnn => nn.RNN(config.InputSize, config.HiddenSize, config.Layers, nn.NonLinearities.Tanh, bias: true,
                                   batchFirst: config.BatchFirst, bidirectional: config.Bidirectional),
            CellKind.Lstm => nn.LSTM(config.InputSize, config.HiddenSize, config.Layers, bias: true,
                                     batchFirst: config.BatchFirst, bidirectional: config.Bidirectional),
            _ => nn.GRU(config.InputSize, config.HiddenSize, config.Layers, bias: true,
                        batchFirst: config.BatchFirst, bidirectional: config.Bidirectional),
        };
        var byName = _kernel.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        _weights = new Parameter[config.Layers * config.Directions][];
        for (int l = 0; l < config.Layers; l++)
        {
            for (int d = 0; d < config.Directions; d++)
            {
                string suffix = $"_l{l}" + (d == 1 ? "_reverse" : "");
                string[] names = [$"weight_ih{suffix}", $"weight_hh{suffix}", $"bias_ih{suffix}", $"bias_hh{suffix}"];
                _weights[l * config.Directions + d] = names.Select(n => byName.TryGetValue(n, out var p) ? p
                    : throw new InvalidOperationException($"libtorch's {config.Cell} has no parameter {n}")).ToArray();
                foreach (var n in names) register_parameter(n, byName[n]);   // the checkpoint keys, PyTorch's names
            }
        }
    }

    /// <summary>Shapes and cell.</summary>
    public RecurrentConfig Config { get; }

    /// <summary>Run libtorch's fused kernel (true) or the equations (false); both use the same parameters.</summary>
    public bool Fused { get; set; }

    /// <summary>
    /// Sets every LSTM forget-gate bias (b_if + b_hf) to <paramref name="value"/>, so that f_t ≈ σ(value) at the start:
    /// 1 keeps about 73 % of the cell per step instead of 50 % (Gers, Schmidhuber &amp; Cummins 2000; Jozefowicz et al. 2015).
    /// </summary>
    /// <exception cref="InvalidOperationException">The cell is not an LSTM.</exception>
    public void SetForgetBias(double value)
    {
        if (Config.Cell != CellKind.Lstm) throw new InvalidOperationException($"{Config.Cell} has no forget gate.");
        using var noGrad = torch.no_grad();
        long h = Config.HiddenSize;
        foreach (var w in _weights)
        {
            w[2].narrow(0, h, h).fill_(value);                                  // bias_ih, block f
            w[3].narrow(0, h, h).fill_(0);                                      // bias_hh, block f
        }
    }

    /// <summary>The output sequence: (B, T, D·H) when batch-first, else (T, B, D·H).</summary>
    public override Tensor forward(Tensor input) => Run(input).Output;

    /// <summary>Runs the network over a sequence.</summary>
    /// <param name="input">(B, T, I) when batch-first, else (T, B, I); float32.</param>
    /// <param name="state">Initial state, (L·D, B, H) each; zeros when null.</param>
    /// <param name="trace">
    /// When given, the equations path is used even if <see cref="Fused"/>, and the hidden state h_t of the top
    /// layer's forward direction is appended for every t, with <c>retain_grad()</c> set, so that after
    /// <c>backward()</c> its <c>grad</c> is ∂loss/∂h_t through the whole recurrence (the vanishing-gradient
    /// experiment reads it).
    /// </param>
    /// <returns>The top layer's outputs and the final state.</returns>
    /// <exception cref="ArgumentException">Wrong rank, size, dtype, an empty sequence, or a state of the wrong shape.</exception>
    public (Tensor Output, RecurrentState State) Run(Tensor input, RecurrentState? state = null, IList<Tensor>? trace = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        Check(input, state);
        return Fused && trace is null ? FusedForward(input, state) : EquationsForward(input, state, trace);
    }

    private (Tensor, RecurrentState) FusedForward(Tensor input, RecurrentState? state)
    {
        switch (_kernel)
        {
            case LSTM lstm:
                var (output, h, c) = lstm.forward(input, state is { } s ? (s.H, s.C!) : null);
                return (output, new RecurrentState(h, c));
            case GRU gru:
                var (gOutput, gh) = gru.forward(input, state?.H);
                return (gOutput, new RecurrentState(gh, null));
            case RNN rnn:
                var (rOutput, rh) = rnn.forward(input, state?.H);
                return (rOutput, new RecurrentState(rh, null));
            default:
                throw new InvalidOperationException($"unexpected kernel {_kernel.GetType().Name}");
        }
    }

    private (Tensor, RecurrentState) EquationsForward(Tensor input, RecurrentState? state, IList<Tensor>? trace)
    {
        var c = Config;
        var x = c.BatchFirst ? input : input.transpose(0, 1);                 // (B, T, I)
        long batch = x.shape[0], steps = x.shape[1];
        var h0 = state?.H ?? torch.zeros(c.Layers * c.Directions, batch, c.HiddenSize, dtype: x.dtype, device: x.device);
        var c0 = c.Cell != CellKind.Lstm ? null
            : state?.C ?? torch.zeros(c.Layers * c.Directions, batch, c.HiddenSize, dtype: x.dtype, device: x.device);
        var hLast = new Tensor[c.Layers * c.Directions];
        var cLast = new Tensor[c.Layers * c.Directions];
        var layerInput = x;
        for (int l = 0; l < c.Layers; l++)
        {
            var outputs = new Tensor[c.Directions];
            for (int d = 0; d < c.Directions; d++)
            {
                int k = l * c.Directions + d;
                var w = _weights[k];                                            // weight_ih, weight_hh, bias_ih, bias_hh
                var xW = nn.functional.linear(layerInput, w[0], w[2]);          // (B, T, G·H): all input projections at once
                var h = h0[k];                                                  // (B, H)
                var cell = c0?[k];
                var hs = new Tensor[steps];
                bool traced = trace is not null && l == c.Layers - 1 && d == 0;
                for (long s = 0; s < steps; s++)
                {
                    long t = d == 0 ? s : steps - 1 - s;                        // the reverse direction reads T−1 … 0
                    var xt = xW.select(1, t);                                   // (B, G·H)
                    switch (c.Cell)
                    {
                        case CellKind.Rnn: h = ElmanCell.Step(xt, h, w[1], w[3]); break;
                        case CellKind.Lstm: (h, cell) = LstmCell.Step(xt, h, cell!, w[1], w[3]); break;
                        default: h = GruCell.Step(xt, h, w[1], w[3]); break;
                    }
                    if (traced)
                    {
                        h.retain_grad();
                        trace!.Add(h);
                    }
                    hs[t] = h;
                }
                outputs[d] = torch.stack(hs, dim: 1);                           // (B, T, H)
                hLast[k] = h;
                if (cell is not null) cLast[k] = cell;
            }
            layerInput = c.Directions == 1 ? outputs[0] : torch.cat(outputs, dim: -1);   // (B, T, D·H)
        }
        var output = c.BatchFirst ? layerInput : layerInput.transpose(0, 1);
        var final = new RecurrentState(torch.stack(hLast), c.Cell == CellKind.Lstm ? torch.stack(cLast) : null);
        return (output, final);
    }

    private void Check(Tensor input, RecurrentState? state)
    {
        var c = Config;
        string layout = c.BatchFirst ? "(B, T, I)" : "(T, B, I)";
        if (input.dim() != 3)
            throw new ArgumentException($"{c.Cell} input must be 3-D {layout}, not ({string.Join(", ", input.shape)}).", nameof(input));
        if (input.shape[2] != c.InputSize)
            throw new ArgumentException($"{c.Cell} input has {input.shape[2]} features per step; the network was built for InputSize {c.InputSize}.", nameof(input));
        long batch = input.shape[c.BatchFirst ? 0 : 1], steps = input.shape[c.BatchFirst ? 1 : 0];
        if (steps == 0) throw new ArgumentException($"{c.Cell} input is an empty sequence (T = 0).", nameof(input));
        if (batch == 0) throw new ArgumentException($"{c.Cell} input is an empty batch (B = 0).", nameof(input));
        if (!input.is_floating_point()) throw new ArgumentException($"{c.Cell} input must be floating point, not {input.dtype}.", nameof(input));
        if (state is not { } s) return;
        long[] expected = [c.Layers * c.Directions, batch, c.HiddenSize];
        if (!s.H.shape.SequenceEqual(expected))
            throw new ArgumentException($"{c.Cell} initial h is ({string.Join(", ", s.H.shape)}), expected ({string.Join(", ", expected)}) = (L·D, B, H).", nameof(state));
        if (c.Cell == CellKind.Lstm && (s.C is null || !s.C.shape.SequenceEqual(expected)))
            throw new ArgumentException($"LSTM initial c is {(s.C is null ? "missing" : $"({string.Join(", ", s.C.shape)})")}, expected ({string.Join(", ", expected)}).", nameof(state));
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) _kernel.Dispose();
        base.Dispose(disposing);
    }
}
