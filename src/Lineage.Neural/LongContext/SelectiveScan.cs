// Mamba's selective scan as one fused kernel, the idea of the paper's §3.3 ("hardware-aware algorithm"): the (B, L, E, N)
// states are never written to memory. The forward pass keeps each batch row's E × N state in a small buffer (the
// paper's SRAM is the CPU's L1/L2 here) and writes only y (B, L, E); the backward pass recomputes the states of its row
// and runs the recurrence's adjoint in reverse. Saved for backward: the inputs only, O(B L (E + N)).
// Paper:   Gu & Dao 2023, arXiv:2312.00752, §3.3 (kernel fusion, recomputation) and Algorithm 2.
// Recurrence (per batch row b, inner channel e, state n; Ā = exp(Δ A), B̄ x = Δ B x as in Mamba.cs):
//          h_t = exp(Δ_t A_n) h_{t−1} + Δ_t B_tn x_t,   y_t = Σ_n C_tn h_tn.
// Adjoint: G_t = dy_t C_t + exp(Δ_{t+1} A) G_{t+1} (dL/dh_t), and with h_{t−1}:
//          dC_tn = Σ_e dy_t h_tn;  dB_tn = Σ_e G_tn Δ_t x_t;  dx_t = Σ_n G_tn Δ_t B_tn;
//          dΔ_t = Σ_n G_tn (h_{t−1,n} exp(Δ_t A_n) A_n + B_tn x_t);  dA_n = Σ_{b,t} G_tn h_{t−1,n} exp(Δ_t A_n) Δ_t.
// Threads: one worker per batch row (its dB and dC rows are its own; dA is summed over rows afterwards).
// Checked against Mamba.SequentialScan (values and gradients) in the tests.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Lineage.Neural.Attention;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.LongContext;

/// <summary>The fused selective scan, differentiable: y (B, L, E) from x, Δ (B, L, E), A (E, N), B and C (B, L, N).</summary>
public sealed class SelectiveScanFunction : autograd.SingleTensorFunction<SelectiveScanFunction>
{
    /// <inheritdoc />
    public override string Name => "SelectiveScan";

    /// <summary>y_t = Σ_n C_tn h_tn with h_t = exp(Δ_t A) h_{t−1} + Δ_t B_t x_t; gradients flow to all five inputs.</summary>
    /// <exception cref="ArgumentException">Shapes that do not fit, or tensors that are not fp32 on the CPU.</exception>
    public static Tensor Apply(Tensor x, Tensor delta, Tensor a, Tensor b, Tensor c)
    {
        SelectiveScan.Check(x, delta, a, b, c);
        return apply(x, delta, a, b, c);
    }

    /// <inheritdoc />
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(vars);
        var inputs = vars.Take(5).Select(v => ((Tensor)v).detach().contiguous()).ToArray();
        ctx.save_for_backward([.. inputs]);
        return SelectiveScan.Forward(inputs[0], inputs[1], inputs[2], inputs[3], inputs[4]);
    }

    /// <inheritdoc />
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(grad_output);
        var s = ctx.get_saved_variables();
        var (dx, dDelta, dA, dB, dC) = SelectiveScan.Backward(s[0], s[1], s[2], s[3], s[4], grad_output.contiguous());
        return [dx, dDelta, dA, dB, dC];
    }
}

/// <summary>The fused selective scan's forward and backward passes (no graph; <see cref="SelectiveScanFunction"/> is the differentiable form).</summary>
public static class SelectiveScan
{
    /// <summary>The forward pass alone (no graph): y (B, L, E).</summary>
    public static unsafe Tensor Forward(Tensor x, Tensor delta, Tensor a, Tensor b, Tensor c)
    {
        Check(x, delta, a, b, c);
        using var scope = NewDisposeScope();
        x = x.contiguous(); delta = delta.contiguous(); a = a.contiguous(); b = b.contiguous(); c = c.contiguous();
        var p = Sizes.Of(x, a);
        var y = empty(p.B, p.L, p.E);
        float* px = FlashAttention.Pointer(x), pd = FlashAttention.Pointer(delta), pa = FlashAttention.Pointer(a);
        float* pb = FlashAttention.Pointer(b), pc = FlashAttention.Pointer(c), py = FlashAttention.Pointer(y);
        Parallel.For(0, p.B, new ParallelOptions { MaxDegreeOfParallelism = Workers() }, row =>
        {
            var h = new float[p.E * p.N];
            fixed (float* hp = h) ForwardRow(p, row, px, pd, pa, pb, pc, py, hp, null);
        });
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>Gradients (dx, dΔ, dA, dB, dC) given the inputs and dy (B, L, E); the states are recomputed, one batch row at a time.</summary>
    public static unsafe (Tensor Dx, Tensor DDelta, Tensor DA, Tensor DB, Tensor DC) Backward(Tensor x, Tensor delta, Tensor a, Tensor b, Tensor c, Tensor dy)
    {
        Check(x, delta, a, b, c);
        ArgumentNullException.ThrowIfNull(dy);
        using var scope = NewDisposeScope();
        x = x.contiguous(); delta = delta.contiguous(); a = a.contiguous(); b = b.contiguous(); c = c.contiguous(); dy = dy.contiguous();
        var p = Sizes.Of(x, a);
        if (!dy.shape.SequenceEqual(x.shape)) throw new ArgumentException($"dy must have x's shape ({string.Join(", ", x.shape)}); got ({string.Join(", ", dy.shape)}).", nameof(dy));
        var dx = empty(p.B, p.L, p.E);
        var dDelta = empty(p.B, p.L, p.E);
        var dAByRow = zeros(p.B, p.E, p.N);
        var dB = zeros(p.B, p.L, p.N);
        var dC = zeros(p.B, p.L, p.N);
        float* px = FlashAttention.Pointer(x), pd = FlashAttention.Pointer(delta), pa = FlashAttention.Pointer(a);
        float* pb = FlashAttention.Pointer(b), pc = FlashAttention.Pointer(c), pdy = FlashAttention.Pointer(dy);
        float* pdx = FlashAttention.Pointer(dx), pdd = FlashAttention.Pointer(dDelta), pdA = FlashAttention.Pointer(dAByRow);
        float* pdB = FlashAttention.Pointer(dB), pdC = FlashAttention.Pointer(dC);
        long stateFloats = (long)p.L * p.E * p.N;
        Parallel.For(0, p.B, new ParallelOptions { MaxDegreeOfParallelism = Workers() }, row =>
        {
            // This row's states h_t for every t (recomputed), then the adjoint G carried backwards in time.
            float* states = (float*)NativeMemory.AlignedAlloc((nuint)(stateFloats * sizeof(float)), 64);
            var g = new float[p.E * p.N];
            try
            {
                fixed (float* gp = g)
                {
                    ForwardRow(p, row, px, pd, pa, pb, pc, null, null, states);
                    BackwardRow(p, row, px, pd, pa, pb, pc, pdy, states, gp, pdx, pdd, pdA + (long)row * p.E * p.N, pdB, pdC);
                }
            }
            finally
            {
                NativeMemory.AlignedFree(states);
            }
        });
        var dA = dAByRow.sum(dim: 0L);   // (E, N): summed over the rows (a literal 0 would bind to a ScalarType)
        return (dx.MoveToOuterDisposeScope(), dDelta.MoveToOuterDisposeScope(), dA.MoveToOuterDisposeScope(), dB.MoveToOuterDisposeScope(), dC.MoveToOuterDisposeScope());
    }

    /// <summary>One batch row forward. With <paramref name="y"/>, writes y; with <paramref name="states"/>, keeps h_t for every t there (L × E × N) instead of in <paramref name="h"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ForwardRow(in Sizes p, int row, float* x, float* delta, float* a, float* b, float* c, float* y, float* h, float* states)
    {
        int e = p.E, n = p.N;
        float* previous = null;
        for (int t = 0; t < p.L; t++)
        {
            long at = ((long)row * p.L + t) * e;                         // (b, t, ·) in x, Δ, y
            float* bt = b + ((long)row * p.L + t) * n, ct = c + ((long)row * p.L + t) * n;
            float* current = states is null ? h : states + (long)t * e * n;
            for (int ch = 0; ch < e; ch++)
            {
                float d = delta[at + ch], dx = d * x[at + ch], acc = 0f;
                float* an = a + (long)ch * n;
                float* hc = current + ch * n;
                float* hp = previous is null ? null : previous + ch * n;
                for (int s = 0; s < n; s++)
                {
                    float before = states is null ? hc[s] : hp is null ? 0f : hp[s];
                    float value = MathF.Exp(d * an[s]) * before + dx * bt[s];
                    hc[s] = value;
                    acc += value * ct[s];
                }

                if (y is not null) y[at + ch] = acc;
            }

            if (states is not null) previous = current;
        }
    }

    /// <summary>One batch row backward, from its recomputed states; <paramref name="g"/> (E × N) carries exp(Δ_{t+1} A) G_{t+1}.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void BackwardRow(in Sizes p, int row, float* x, float* delta, float* a, float* b, float* c, float* dy, float* states, float* g,
        float* dx, float* dDelta, float* dA, float* dB, float* dC)
    {
        int e = p.E, n = p.N;
        new Span<float>(g, e * n).Clear();
        for (int t = p.L - 1; t >= 0; t--)
        {
            long at = ((long)row * p.L + t) * e;
            long bn = ((long)row * p.L + t) * n;
            float* bt = b + bn, ct = c + bn, dbt = dB + bn, dct = dC + bn;
            float* current = states + (long)t * e * n;
            float* previous = t > 0 ? states + (long)(t - 1) * e * n : null;
            for (int ch = 0; ch < e; ch++)
            {
                float d = delta[at + ch], xv = x[at + ch], dyv = dy[at + ch];
                float dxAcc = 0f, ddAcc = 0f;
                float* an = a + (long)ch * n;
                float* gc = g + ch * n;
                float* hc = current + ch * n;
                float* dAc = dA + (long)ch * n;
                for (int s = 0; s < n; s++)
                {
                    float total = gc[s] + dyv * ct[s];                    // G_t
                    dct[s] += dyv * hc[s];
                    float decay = MathF.Exp(d * an[s]);
                    float hPrev = previous is null ? 0f : previous[ch * n + s];
                    float viaDecay = total * hPrev * decay;                // ∂L/∂(Δ A) through Ā
                    ddAcc += viaDecay * an[s] + total * bt[s] * xv;
                    dAc[s] += viaDecay * d;
                    dbt[s] += total * d * xv;
                    dxAcc += total * d * bt[s];
                    gc[s] = total * decay;                                 // carried to t − 1
                }

                dx[at + ch] = dxAcc;
                dDelta[at + ch] = ddAcc;
            }
        }
    }

    private static int Workers() => Math.Max(1, torch.get_num_threads());

    internal static void Check(Tensor x, Tensor delta, Tensor a, Tensor b, Tensor c)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(delta);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(c);
        foreach (var (t, name) in new[] { (x, "x"), (delta, "delta"), (a, "A"), (b, "B"), (c, "C") })
        {
            if (t.dtype != ScalarType.Float32 || t.device_type != DeviceType.CPU)
                throw new ArgumentException($"The selective scan runs in fp32 on the CPU; {name} is {t.dtype} on {t.device}.", name);
        }

        if (x.dim() != 3 || !delta.shape.SequenceEqual(x.shape) || a.dim() != 2 || a.shape[0] != x.shape[2] ||
            b.dim() != 3 || !b.shape.SequenceEqual(c.shape) || b.shape[0] != x.shape[0] || b.shape[1] != x.shape[1] || b.shape[2] != a.shape[1])
        {
            throw new ArgumentException($"The selective scan needs x and Δ (B, L, E), A (E, N), B and C (B, L, N); got x ({string.Join(", ", x.shape)}), " +
                                        $"Δ ({string.Join(", ", delta.shape)}), A ({string.Join(", ", a.shape)}), B ({string.Join(", ", b.shape)}), C ({string.Join(", ", c.shape)}).");
        }
    }

    private readonly record struct Sizes(int B, int L, int E, int N)
    {
        public static Sizes Of(Tensor x, Tensor a) => new((int)x.shape[0], (int)x.shape[1], (int)x.shape[2], (int)a.shape[1]);
    }
}
