// Mamba: a selective state-space block.
// Paper:   Gu & Dao 2023, "Mamba: Linear-Time Sequence Modeling with Selective State Spaces", arXiv:2312.00752
//          (S4 before it: Gu, Goel & Ré 2022, arXiv:2111.00396). Read beside johnma2006/mamba-minimal.
// Lineage: a linear state space h′ = A h + B x, y = C h is a recurrence with a constant-size state: O(n) training,
//          O(1) memory per generated token instead of attention's growing KV cache. S4 keeps A, B, C fixed, so it cannot
//          choose what to remember; Mamba makes Δ, B and C functions of the input ("selective").
// Glossary (mamba-minimal's, the paper's §3 and Algorithm 2):
//          B batch, L (n) tokens, C (d_model) channels, E = Expand·C inner channels (d_inner), N state size (d_state),
//          R = ⌈C/16⌉ rank of Δ's projection (dt_rank), K short convolution length (d_conv).
// How:     x, z = in_proj(u) (each B, L, E); x = SiLU(causal depthwise conv(x)); Δ, B, C = x_proj(x) (Δ through
//          dt_proj and softplus: B, L, E; B and C: B, L, N); A = −exp(A_log) (E, N).
//          Discretisation (zero-order hold for A, Euler for B, as the reference code): Ā = exp(Δ A), B̄ x = Δ B x.
//          Scan: h_t = Ā_t ⊙ h_{t−1} + B̄_t x_t (h: E × N per token), y_t = h_t C_t + D ⊙ x_t.
//          Output: out_proj(y ⊙ SiLU(z)).
// Scans:   SequentialScan is the reference (a loop over t). ChunkedScan is parallel: the pairs (Ā_t, B̄_t x_t) compose
//          associatively, (a₁, b₁) then (a₂, b₂) = (a₂ a₁, a₂ b₁ + b₂), so a Hillis-Steele scan (log₂ chunk steps)
//          runs inside chunks, another over the chunks' end states, and each chunk adds its carried-in state times its
//          cumulative Ā. Step runs one token at a time with a constant-size state (the conv window and h).
//          Fused (the default, SelectiveScan.cs) is the paper's §3.3 idea on a CPU: one kernel keeps each batch row's
//          E × N state in a small buffer, writes only y, and recomputes the states in the backward pass.
// Deviations: the fused kernel's "SRAM" is the CPU cache and its backward keeps one row's (L, E, N) states per worker
//          (the paper recomputes them in chunks); the block sits in the chapter's common pre-norm block with an MLP (the
//          paper's Mamba blocks have no MLP); A_log and D initialised as the reference code; Δ's bias initialised to
//          softplus⁻¹ of values in [0.001, 0.1] as the reference code.
using Lineage.Neural.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.LongContext;

/// <summary>How <see cref="MambaMixer"/> runs its scan; all give the same numbers (tested to 1e-5, gradients to 1e-4).</summary>
public enum ScanKind
{
    /// <summary>A loop over time steps: the reference.</summary>
    Sequential,
    /// <summary>Associative scan within chunks and across chunk ends.</summary>
    Chunked,
    /// <summary>One fused kernel (SelectiveScan.cs): the states stay in a per-row buffer, the backward recomputes them.</summary>
    Fused,
}

/// <summary>The recurrent state of one <see cref="MambaMixer"/> during step-by-step generation: constant size.</summary>
/// <param name="Conv">(B, E, K − 1): the last K − 1 inputs of the short convolution.</param>
/// <param name="H">(B, E, N): the state-space state.</param>
public sealed record MambaState(Tensor Conv, Tensor H) : IDisposable
{
    /// <summary>Elements held: independent of how many tokens have been processed.</summary>
    public long Elements => Conv.numel() + H.numel();

    /// <inheritdoc />
    public void Dispose()
    {
        Conv.Dispose();
        H.Dispose();
    }
}

/// <summary>Mamba's own options.</summary>
public sealed record MambaConfig : MixerOptions
{
    /// <summary>N, the state size per channel.</summary>
    public int StateDim { get; init; } = 8;

    /// <summary>The inner width is Expand·C.</summary>
    public int Expand { get; init; } = 2;

    /// <summary>Length of the short causal depthwise convolution.</summary>
    public int ConvKernel { get; init; } = 4;

    /// <summary>Chunk length of the parallel scan.</summary>
    public int ScanChunk { get; init; } = 16;

    /// <summary>Small enough for unit tests.</summary>
    public static MambaConfig Tiny { get; } = new() { StateDim = 4, Expand = 2, ConvKernel = 3, ScanChunk = 4 };

    /// <inheritdoc />
    public override void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(StateDim, 1, nameof(StateDim));
        ArgumentOutOfRangeException.ThrowIfLessThan(Expand, 1, nameof(Expand));
        ArgumentOutOfRangeException.ThrowIfLessThan(ConvKernel, 1, nameof(ConvKernel));
        ArgumentOutOfRangeException.ThrowIfLessThan(ScanChunk, 1, nameof(ScanChunk));
    }
}

/// <summary>Mamba's selective state-space mixer.</summary>
[Model("mamba", Paper = "Gu & Dao 2023")]
[Mixer("mamba", Order = 6)]
public sealed class MambaMixer : nn.Module<Tensor, Tensor>, ISequenceMixer
{
    private readonly Linear in_proj;     // C → 2E: x and the gate z
    private readonly Conv1d conv1d;      // depthwise over E, length K, causal
    private readonly Linear x_proj;      // E → R + 2N: Δ (low rank), B, C
    private readonly Linear dt_proj;     // R → E
    private readonly Parameter A_log;    // (E, N)
    private readonly Parameter D;        // (E)
    private readonly Linear out_proj;    // E → C
    private readonly int _inner, _rank, _state, _kernel;

    /// <summary>A tiny seeded mixer and a fixed batch of token vectors, for the registry's conformance tests.</summary>
    public static ModelSample Conformance() => MixerSamples.Of(settings => new MambaMixer(settings, MambaConfig.Tiny), seed: 37);

    /// <summary>State size <see cref="MambaConfig.StateDim"/>, inner width Expand·C, convolution <see cref="MambaConfig.ConvKernel"/>.</summary>
    public MambaMixer(MixerSettings settings, MambaConfig config) : base(nameof(MambaMixer))
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(config);
        Settings = settings.Validate();
        config.Validate();
        Config = config;
        _inner = config.Expand * settings.Dim;
        _rank = (settings.Dim + 15) / 16;
        _state = config.StateDim;
        _kernel = config.ConvKernel;
        in_proj = nn.Linear(settings.Dim, 2 * _inner);
        conv1d = nn.Conv1d(_inner, _inner, _kernel, groups: _inner, padding: _kernel - 1);
        x_proj = nn.Linear(_inner, _rank + 2 * _state, hasBias: false);
        dt_proj = nn.Linear(_rank, _inner);
        A_log = nn.Parameter(arange(1, _state + 1, dtype: ScalarType.Float32).repeat(_inner, 1).log());   // A = −(1 … N) per channel
        D = nn.Parameter(ones(_inner));
        out_proj = nn.Linear(_inner, settings.Dim);
        using (no_grad())
        {
            // Δ starts in [0.001, 0.1] (log-uniform): bias = softplus⁻¹(Δ) = Δ + log(1 − exp(−Δ)).
            var dt = (rand(_inner) * (Math.Log(0.1) - Math.Log(0.001)) + Math.Log(0.001)).exp();
            dt_proj.bias!.copy_(dt + (-(-dt).expm1()).log());
        }

        RegisterComponents();
    }

    /// <summary>The shared settings (Mamba reads the width; it is always causal).</summary>
    public MixerSettings Settings { get; }

    /// <summary>Its own options.</summary>
    public MambaConfig Config { get; }

    /// <summary>Which scan <see cref="forward"/> uses (default: the fused kernel, 4× faster than the chunked scan for the mixer's forward + backward at L = 64 and 256; bench mamba-scan).</summary>
    public ScanKind Scan { get; set; } = ScanKind.Fused;


    /// <inheritdoc />
    public bool Causal => true;

    /// <summary>
    /// The fused scan: one (n, E, N) state buffer per worker in the backward pass plus the (B, n, E) projections; the
    /// other scans: about 12 float (B, n, E, N) tensors (Ā, B̄x, scan levels, states, gradients) plus the projections.
    /// </summary>
    public long EstimateBytes(long batch, long n) => Scan == ScanKind.Fused
        ? 4L * Math.Min(batch, Math.Max(1, get_num_threads())) * n * _inner * _state + 30L * 4 * batch * n * _inner
        : 12L * 4 * batch * n * _inner * _state + 30L * 4 * batch * n * _inner;

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        MixerInput.Check(x, Settings.Dim, "Mamba");
        long n = x.shape[1];
        if (n == 0) return zeros_like(x);
        MemoryGuard.Check("Mamba", x.shape[0], n, EstimateBytes(x.shape[0], n));
        using var scope = NewDisposeScope();
        var xz = in_proj.forward(x).chunk(2, -1);
        var xs = nn.functional.silu(conv1d.forward(xz[0].transpose(1, 2)).narrow(2, 0, n)).transpose(1, 2);   // (B, L, E), causal conv
        var (delta, b, c) = Selective(xs);                                                                      // (B, L, E), (B, L, N), (B, L, N)
        var a = -A_log.exp();                                                                                   // (E, N)
        Tensor y;
        if (Scan == ScanKind.Fused)
        {
            y = SelectiveScanFunction.Apply(xs, delta, a, b, c) + xs * D;                                               // (B, L, E), no (B, L, E, N) tensor
        }
        else
        {
            var dA = (delta.unsqueeze(-1) * a).exp();                                                           // Ā: (B, L, E, N)
            var dBx = delta.unsqueeze(-1) * b.unsqueeze(2) * xs.unsqueeze(-1);                                  // B̄ x: (B, L, E, N)
            var h = Scan == ScanKind.Sequential ? SequentialScan(dA, dBx) : ChunkedScan(dA, dBx, Config.ScanChunk); // (B, L, E, N)
            y = (h * c.unsqueeze(2)).sum(-1) + xs * D;                                                          // (B, L, E)
        }

        return out_proj.forward(y * nn.functional.silu(xz[1])).MoveToOuterDisposeScope();
    }

    /// <summary>An empty state for a batch of <paramref name="batch"/>.</summary>
    public MambaState NewState(long batch) => new(zeros(batch, _inner, _kernel - 1, device: D.device), zeros(batch, _inner, _state, device: D.device));

    /// <summary>One token x (B, C) → output (B, C) and the next state; O(1) time and memory per token.</summary>
    public (Tensor Output, MambaState Next) Step(Tensor x, MambaState state)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(state);
        if (x.dim() != 2 || x.shape[1] != Settings.Dim) throw new ArgumentException($"Mamba.Step expects (B, {Settings.Dim}); got ({string.Join(", ", x.shape)}).", nameof(x));
        using var scope = NewDisposeScope();
        var xz = in_proj.forward(x).chunk(2, -1);                                                               // (B, E) each
        var window = cat([state.Conv, xz[0].unsqueeze(-1)], -1);                                                // (B, E, K)
        var conv = (window * conv1d.weight!.squeeze(1)).sum(-1) + conv1d.bias!;                                  // the causal conv's last output
        var xs = nn.functional.silu(conv);                                                                      // (B, E)
        var (delta, b, c) = Selective(xs.unsqueeze(1));
        delta = delta.squeeze(1);
        var a = -A_log.exp();
        var h = (delta.unsqueeze(-1) * a).exp() * state.H + delta.unsqueeze(-1) * b.squeeze(1).unsqueeze(1) * xs.unsqueeze(-1);   // (B, E, N)
        var y = (h * c.squeeze(1).unsqueeze(1)).sum(-1) + xs * D;
        var output = out_proj.forward(y * nn.functional.silu(xz[1]));
        var next = new MambaState(window.narrow(2, 1, _kernel - 1).contiguous().MoveToOuterDisposeScope(), h.MoveToOuterDisposeScope());
        return (output.MoveToOuterDisposeScope(), next);
    }

    /// <summary>Δ (B, L, E) after softplus, B and C (B, L, N), all functions of the input: the selection mechanism.</summary>
    private (Tensor Delta, Tensor B, Tensor C) Selective(Tensor xs)
    {
        var dbc = x_proj.forward(xs);                                                                           // (B, L, R + 2N)
        var delta = nn.functional.softplus(dt_proj.forward(dbc.narrow(-1, 0, _rank)));
        return (delta, dbc.narrow(-1, _rank, _state), dbc.narrow(-1, _rank + _state, _state));
    }

    /// <summary>h_t = a_t ⊙ h_{t−1} + b_t from h_{−1} = 0, a loop over t; a, b (B, L, E, N). The reference.</summary>
    public static Tensor SequentialScan(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        using var scope = NewDisposeScope();
        var h = zeros_like(b.select(1, 0));
        var states = new List<Tensor>((int)a.shape[1]);
        for (long t = 0; t < a.shape[1]; t++)
        {
            h = a.select(1, t) * h + b.select(1, t);
            states.Add(h);
        }

        return stack(states, 1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The same recurrence by an associative scan: Hillis-Steele within chunks of <paramref name="chunk"/> (log₂ chunk
    /// parallel steps), the same over the chunks' end states, then each chunk adds its carried-in state. Any L: padded
    /// with (a = 1, b = 0), which leaves the state unchanged.
    /// </summary>
    public static Tensor ChunkedScan(Tensor a, Tensor b, int chunk)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunk, 1, nameof(chunk));
        using var scope = NewDisposeScope();
        long batch = a.shape[0], n = a.shape[1], e = a.shape[2], s = a.shape[3];
        long t = Math.Min(chunk, n), padded = (n + t - 1) / t * t, nc = padded / t;
        if (padded != n)
        {
            a = nn.functional.pad(a, [0, 0, 0, 0, 0, padded - n], value: 1.0);
            b = nn.functional.pad(b, [0, 0, 0, 0, 0, padded - n]);
        }

        var (aCum, hLocal) = HillisSteele(a.reshape(batch, nc, t, e, s), b.reshape(batch, nc, t, e, s), dim: 2);   // within chunks
        var (_, hEnds) = HillisSteele(aCum.select(2, t - 1), hLocal.select(2, t - 1), dim: 1);                      // (B, nc, E, N): state after each chunk
        var carry = cat([zeros_like(hEnds.narrow(1, 0, 1)), hEnds.narrow(1, 0, nc - 1)], 1);                       // state entering each chunk
        var h = hLocal + aCum * carry.unsqueeze(2);
        return h.reshape(batch, padded, e, s).narrow(1, 0, n).MoveToOuterDisposeScope();
    }

    /// <summary>Inclusive scan of (a, b) pairs along <paramref name="dim"/>: returns (a_t ⋯ a_0, h_t) with h_{−1} = 0.</summary>
    private static (Tensor A, Tensor B) HillisSteele(Tensor a, Tensor b, int dim)
    {
        long length = a.shape[dim];
        for (long shift = 1; shift < length; shift *= 2)
        {
            // Positions t ≥ shift combine with t − shift; the first `shift` positions are already complete.
            var aHead = a.narrow(dim, 0, shift);
            var bHead = b.narrow(dim, 0, shift);
            var aTail = a.narrow(dim, shift, length - shift);
            var bTail = b.narrow(dim, shift, length - shift);
            b = cat([bHead, bTail + aTail * b.narrow(dim, 0, length - shift)], dim);
            a = cat([aHead, aTail * a.narrow(dim, 0, length - shift)], dim);
        }

        return (a, b);
    }
}
