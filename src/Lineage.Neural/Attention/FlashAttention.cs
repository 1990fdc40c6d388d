// FlashAttention on the CPU: exact softmax attention that never stores the n × n score matrix.
// Papers:  Dao et al. 2022 (FlashAttention, arXiv:2205.14135): tiling, online softmax, recomputation in the backward pass;
//          Dao 2023 (FlashAttention-2, arXiv:2307.08691): the output is normalised once at the end, the work is split over
//          query blocks as well as batch × heads, causal tiles above the diagonal are skipped.
//          Shazeer 2019 (MQA, arXiv:1911.02150), Ainslie et al. 2023 (GQA, arXiv:2305.13245): H query heads share G key/value heads.
// Lineage: ScaledDotProduct.cs's naive path writes S = QKᵀ and P = softmax(S), O(n²) memory; here Q, K, V are read in
//          tiles that fit the caches, a running max m and sum ℓ per row rescale what was accumulated (the online softmax), and
//          only O and the log-sum-exp L = m + log ℓ (n numbers per head) are written. The backward pass recomputes each tile of
//          P from L. Extra memory is O(n): the outputs, L, the row sums D = rowsum(dO ⊙ O), and per-thread tiles.
// Shapes:  B batch, H query heads, G key/value heads (H divisible by G; head h reads kv head h / (H / G)), Tq queries,
//          Tk keys, D head dimension. q (B, H, Tq, D); k, v (B, G, Tk, D); o (B, H, Tq, D); lse (B, H, Tq).
//          Br × Bc tiles (QueryBlock × KeyBlock, 64 × 64 by default: Q, K, V, S and O tiles of 16 KiB each stay in L2).
// Causal: query i (the last Tq of the Tk positions, as with a KV cache) sees keys ≤ i + Tk − Tq.
// Deviations from the papers: a CPU kernel following the FA1/FA2 algorithms, not a port of the CUDA code. "Fast memory" is
//          the L1/L2 cache, "threads" are .NET thread-pool workers (Parallel.For over batch × heads × query blocks forward,
//          batch × kv heads × key-block strides backward). The backward pass owns dK, dV per key block (FA2's order); dQ is
//          accumulated directly when one work item owns a head's whole key range, else in per-stride copies summed at the end
//          (a GPU uses atomic adds). No dropout inside the kernel. Fully masked rows cannot occur (causal needs Tq ≤ Tk).
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Attention;

/// <summary>Which forward algorithm <see cref="FlashAttention.Forward"/> runs.</summary>
public enum FlashAlgorithm
{
    /// <summary>FlashAttention 2: per query block, loop over key blocks; normalise once at the end; parallel over batch × heads × query blocks.</summary>
    Fa2,
    /// <summary>FlashAttention 1: outer loop over key blocks, inner over query blocks; O is kept normalised in memory and rescaled
    /// at every step (the paper's Algorithm 1); parallel over batch × heads only.</summary>
    Fa1,
}

/// <summary>Settings of the FlashAttention kernel.</summary>
/// <param name="Causal">Query i sees only keys ≤ i + Tk − Tq.</param>
/// <param name="Scale">Score scale; null for 1/√D.</param>
/// <param name="QueryBlock">Br: query rows per tile.</param>
/// <param name="KeyBlock">Bc: key rows per tile.</param>
/// <param name="Threads">Worker threads; 0 for one per core.</param>
/// <param name="Algorithm">FA2 (default) or FA1 forward.</param>
public sealed record FlashOptions(bool Causal = false, double? Scale = null, int QueryBlock = 64, int KeyBlock = 64, int Threads = 0,
                                  FlashAlgorithm Algorithm = FlashAlgorithm.Fa2)
{
    /// <summary>Non-causal, 1/√D, 64 × 64 tiles.</summary>
    public static FlashOptions Default { get; } = new();

    /// <summary>Causal, 1/√D, 64 × 64 tiles.</summary>
    public static FlashOptions CausalDefault { get; } = new(Causal: true);

    /// <summary>The worker count actually used.</summary>
    public int ThreadCount => Threads > 0 ? Threads : Environment.ProcessorCount;

    /// <summary>Throws naming the bad field.</summary>
    public FlashOptions Validate()
    {
        if (QueryBlock < 1) throw new ArgumentOutOfRangeException(nameof(QueryBlock), QueryBlock, "The query block must hold at least one row.");
        if (KeyBlock < 1) throw new ArgumentOutOfRangeException(nameof(KeyBlock), KeyBlock, "The key block must hold at least one row.");
        if (Threads < 0) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "Threads must be 0 (one per core) or positive.");
        if (Scale is double s && !double.IsFinite(s)) throw new ArgumentOutOfRangeException(nameof(Scale), s, "The scale must be finite.");
        return this;
    }
}

/// <summary>
/// Exact attention softmax(scale · Q Kᵀ + causal mask) V computed tile by tile (FlashAttention 1 and 2): forward with the
/// log-sum-exp, and a backward pass that recomputes the tiles from it. fp32, CPU, contiguous or not (copied if not).
/// </summary>
public static unsafe class FlashAttention
{
    /// <summary>Output (B, H, Tq, D) and log-sum-exp (B, H, Tq) of attention of q over k, v.</summary>
    /// <exception cref="ArgumentException">Shapes, dtypes or devices that do not fit (named in the message); an empty sequence;
    /// H not divisible by G; causal with more queries than keys.</exception>
    /// <exception cref="InsufficientMemoryException">The outputs would not fit in memory (the estimate is in the message).</exception>
    public static (Tensor Output, Tensor LogSumExp) Forward(Tensor q, Tensor k, Tensor v, FlashOptions? options = null)
    {
        options = (options ?? FlashOptions.Default).Validate();
        var p = Problem.Of(q, k, v, options);
        AttentionMemory.Ensure(AttentionMemory.Flash(p.B, p.H, p.G, p.Tq, p.Tk, p.D, false, options.ThreadCount, 1, p.Br, p.Bc),
            $"FlashAttention forward (B={p.B}, H={p.H}, n={p.Tq}, D={p.D})");
        using var scope = NewDisposeScope();
        var (qc, kc, vc) = (Dense(q), Dense(k), Dense(v));
        var o = options.Algorithm == FlashAlgorithm.Fa1 ? zeros(p.B, p.H, p.Tq, p.D) : empty(p.B, p.H, p.Tq, p.D);
        var lse = empty(p.B, p.H, p.Tq);
        p.Q = Pointer(qc);
        p.K = Pointer(kc);
        p.V = Pointer(vc);
        p.O = Pointer(o);
        p.Lse = Pointer(lse);
        p.Kt = TransposedKeyTiles(p, options);
        try
        {
            if (options.Algorithm == FlashAlgorithm.Fa1) ForwardFa1(p, options);
            else ForwardFa2(p, options);
        }
        finally
        {
            NativeMemory.Free(p.Kt);
        }

        return (o.MoveToOuterDisposeScope(), lse.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Gradients (dQ, dK, dV) of attention given the forward's inputs, output, log-sum-exp and the output's gradient dO.
    /// P is recomputed tile by tile as exp(scale · Q Kᵀ − L); nothing n × n is stored.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes that do not match the forward's.</exception>
    /// <exception cref="InsufficientMemoryException">The gradients would not fit in memory.</exception>
    public static (Tensor DQ, Tensor DK, Tensor DV) Backward(Tensor q, Tensor k, Tensor v, Tensor output, Tensor logSumExp, Tensor gradOutput, FlashOptions? options = null)
    {
        options = (options ?? FlashOptions.Default).Validate();
        var p = Problem.Of(q, k, v, options);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(logSumExp);
        ArgumentNullException.ThrowIfNull(gradOutput);
        long[] oShape = [p.B, p.H, p.Tq, p.D];
        long[] lShape = [p.B, p.H, p.Tq];
        if (!output.shape.SequenceEqual(oShape) || !gradOutput.shape.SequenceEqual(oShape) || !logSumExp.shape.SequenceEqual(lShape))
        {
            throw new ArgumentException($"Backward needs output and its gradient ({string.Join(", ", oShape)}) and the log-sum-exp ({string.Join(", ", lShape)}); " +
                                        $"got ({string.Join(", ", output.shape)}), ({string.Join(", ", gradOutput.shape)}), ({string.Join(", ", logSumExp.shape)}).");
        }

        int threads = options.ThreadCount;
        int keyBlocks = (p.Tk + p.Bc - 1) / p.Bc;
        int strides = Math.Clamp((2 * threads + p.B * p.G - 1) / (p.B * p.G), 1, Math.Min(keyBlocks, 8));
        AttentionMemory.Ensure(AttentionMemory.Flash(p.B, p.H, p.G, p.Tq, p.Tk, p.D, true, threads, strides, p.Br, p.Bc),
            $"FlashAttention backward (B={p.B}, H={p.H}, n={p.Tq}, D={p.D})");
        using var scope = NewDisposeScope();
        var (qc, kc, vc, oc, lc, gc) = (Dense(q), Dense(k), Dense(v), Dense(output), Dense(logSumExp), Dense(gradOutput));
        var dq = zeros(p.B, p.H, p.Tq, p.D);
        var dk = zeros(p.B, p.G, p.Tk, p.D);
        var dv = zeros(p.B, p.G, p.Tk, p.D);
        p.Q = Pointer(qc);
        p.K = Pointer(kc);
        p.V = Pointer(vc);
        p.O = Pointer(oc);
        p.Lse = Pointer(lc);
        Backward(p, Pointer(gc), Pointer(dq), Pointer(dk), Pointer(dv), strides, options);
        return (dq.MoveToOuterDisposeScope(), dk.MoveToOuterDisposeScope(), dv.MoveToOuterDisposeScope());
    }

    /// <summary>Floating-point operations of the forward pass (2 matmuls of 2·Tq·Tk·D each per head; causal halves them).</summary>
    public static double ForwardFlops(long batch, long heads, long queries, long keys, long headDim, bool causal) =>
        4.0 * batch * heads * queries * keys * headDim * (causal ? 0.5 : 1.0);

    /// <summary>Floating-point operations of forward + backward (the backward has 5 matmuls with recomputation: 2.5 × forward;
    /// counted as FA2's paper counts, 3.5 × forward in total).</summary>
    public static double ForwardBackwardFlops(long batch, long heads, long queries, long keys, long headDim, bool causal) =>
        3.5 * ForwardFlops(batch, heads, queries, keys, headDim, causal);

    // ------------------------------------------------------------------ forward, FlashAttention 2

    /// <summary>K_jᵀ (D, Bc) for every key block, each tile contiguous: S = Q_i K_jᵀ then reads B row by row, and the
    /// transposition is done once per kv head instead of once per query block. Same size as K: O(n).</summary>
    /// <remarks>Native memory, freed by the caller: returned to the OS at once, so peak-memory measurements see it.</remarks>
    private static float* TransposedKeyTiles(Problem p, FlashOptions options)
    {
        int keyBlocks = (p.Tk + p.Bc - 1) / p.Bc;
        float* t = Allocate((long)p.B * p.G * keyBlocks * p.D * p.Bc);
        Parallel.For(0, p.B * p.G * keyBlocks, new ParallelOptions { MaxDegreeOfParallelism = options.ThreadCount }, item =>
        {
            long start = FlashPhases.Start();
            int bg = item / keyBlocks, j0 = item % keyBlocks * p.Bc;
            TileGemm.Transpose(Math.Min(p.Bc, p.Tk - j0), p.D, p.K + ((long)bg * p.Tk + j0) * p.D, p.D, t + (long)item * p.D * p.Bc);
            FlashPhases.Lap(FlashPhase.ForwardOther, start);
        });
        return t;
    }

    private static void ForwardFa2(Problem p, FlashOptions options)
    {
        int queryBlocks = (p.Tq + p.Br - 1) / p.Br;
        int items = p.B * p.H * queryBlocks;
        int floats = 2 * p.Br * p.D + p.Br * p.Bc + 2 * p.Br;
        Parallel.For(0, items, new ParallelOptions { MaxDegreeOfParallelism = options.ThreadCount }, item =>
        {
            // Causal: the last query blocks have the most keys; hand them out first so the workers finish together.
            int block = p.Causal ? queryBlocks - 1 - item % queryBlocks : item % queryBlocks;
            int bh = item / queryBlocks;
            int i0 = block * p.Br;
            ForwardRows(p, bh, i0, Math.Min(p.Br, p.Tq - i0), Workspace.Get(floats));
        });
    }

    /// <summary>One query block of FA2: Br rows of O and L, the key blocks streamed past them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardRows(in Problem p, int bh, int i0, int rows, float* ws)
    {
        int d = p.D;
        float* q = p.Q + ((long)bh * p.Tq + i0) * d;
        float* vHead = p.KvHead(p.V, bh);
        float* o = p.O + ((long)bh * p.Tq + i0) * d;
        float* lse = p.Lse + (long)bh * p.Tq + i0;
        float* qs = ws;                    // (Br, D) scale · Q_i
        float* acc = qs + p.Br * d;        // (Br, D) unnormalised O_i
        float* s = acc + p.Br * d;         // (Br, Bc) S_ij, then P̃_ij
        float* m = s + p.Br * p.Bc;        // (Br) running max
        float* l = m + p.Br;               // (Br) running sum

        long t = FlashPhases.Start();
        RowOps.Scale(q, p.Scale, qs, rows * d);
        new Span<float>(acc, rows * d).Clear();
        new Span<float>(m, rows).Fill(float.NegativeInfinity);
        new Span<float>(l, rows).Clear();
        t = FlashPhases.Lap(FlashPhase.ForwardOther, t);

        // Keys past the last row's horizon are masked for every row of the block: those tiles are skipped.
        int keyEnd = p.Causal ? Math.Min(p.Tk, i0 + rows + p.Offset) : p.Tk;
        for (int j0 = 0; j0 < keyEnd; j0 += p.Bc)
        {
            int bc = Math.Min(p.Bc, keyEnd - j0);
            int ld = Math.Min(p.Bc, p.Tk - j0);                                              // the tile's width as stored
            TileGemm.Multiply(rows, bc, d, qs, d, 1, p.KeyTile(bh, j0), ld, s, bc, accumulate: false);   // S = (scale·Q_i) K_jᵀ
            t = FlashPhases.Lap(FlashPhase.ForwardQk, t, 2.0 * rows * bc * d);
            bool partial = p.Causal && j0 + bc - 1 > i0 + p.Offset;                          // the tile crosses the diagonal
            for (int r = 0; r < rows; r++)
            {
                float* row = s + r * bc;
                if (partial) MaskRow(row, bc, i0 + r + p.Offset - j0 + 1);
                float mNew = MathF.Max(m[r], RowOps.Max(row, bc));
                if (float.IsNegativeInfinity(mNew))
                {
                    new Span<float>(row, bc).Clear();
                    continue;
                }

                float sum = RowOps.ExpSum(row, bc, mNew);                                      // P̃ = exp(S − m_new)
                float alpha = MathF.Exp(m[r] - mNew);                                         // rescales what was summed under the old max
                l[r] = alpha * l[r] + sum;
                if (alpha != 1f) RowOps.Scale(acc + r * d, alpha, acc + r * d, d);

                m[r] = mNew;
            }

            t = FlashPhases.Lap(FlashPhase.ForwardSoftmax, t);
            TileGemm.Multiply(rows, d, bc, s, bc, 1, vHead + (long)j0 * d, d, acc, d, accumulate: true);   // O += P̃ V_j
            t = FlashPhases.Lap(FlashPhase.ForwardPv, t, 2.0 * rows * bc * d);
        }

        for (int r = 0; r < rows; r++)
        {
            RowOps.Scale(acc + r * d, 1f / l[r], o + r * d, d);                                // O = diag(ℓ)⁻¹ O
            lse[r] = m[r] + MathF.Log(l[r]);
        }

        FlashPhases.Lap(FlashPhase.ForwardOther, t);
    }

    // ------------------------------------------------------------------ forward, FlashAttention 1

    private static void ForwardFa1(Problem p, FlashOptions options)
    {
        int floats = 2 * p.Br * p.D + p.Br * p.Bc + 2 * p.Tq + 2 * p.Br;
        Parallel.For(0, p.B * p.H, new ParallelOptions { MaxDegreeOfParallelism = options.ThreadCount }, bh => Fa1Head(p, bh, Workspace.Get(floats)));
    }

    /// <summary>FA1's Algorithm 1 for one head: K_j, V_j in the outer loop; O_i, m_i, ℓ_i read, updated and written back in the inner.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Fa1Head(in Problem p, int bh, float* ws)
    {
        int d = p.D;
        float* vHead = p.KvHead(p.V, bh);
        float* qs = ws;                      // (Br, D)
        float* pv = qs + p.Br * d;           // (Br, D) P̃_ij V_j
        float* s = pv + p.Br * d;            // (Br, Bc)
        float* m = s + p.Br * p.Bc;          // (Tq) running max, in "slow memory"
        float* l = m + p.Tq;                 // (Tq) running sum
        float* tileMax = l + p.Tq;           // (Br) m̃_ij
        float* tileSum = tileMax + p.Br;     // (Br) ℓ̃_ij
        new Span<float>(m, p.Tq).Fill(float.NegativeInfinity);
        new Span<float>(l, p.Tq).Clear();

        for (int j0 = 0; j0 < p.Tk; j0 += p.Bc)
        {
            int bc = Math.Min(p.Bc, p.Tk - j0);
            float* kt = p.KeyTile(bh, j0);
            int firstRow = p.Causal ? Math.Max(0, j0 - p.Offset) : 0;                  // rows before it see none of this tile
            for (int i0 = firstRow / p.Br * p.Br; i0 < p.Tq; i0 += p.Br)
            {
                int rows = Math.Min(p.Br, p.Tq - i0);
                float* q = p.Q + ((long)bh * p.Tq + i0) * d;
                float* o = p.O + ((long)bh * p.Tq + i0) * d;
                RowOps.Scale(q, p.Scale, qs, rows * d);
                TileGemm.Multiply(rows, bc, d, qs, d, 1, kt, bc, s, bc, accumulate: false);
                bool partial = p.Causal && j0 + bc - 1 > i0 + p.Offset;
                for (int r = 0; r < rows; r++)
                {
                    float* row = s + r * bc;
                    if (partial) MaskRow(row, bc, i0 + r + p.Offset - j0 + 1);
                    float mt = RowOps.Max(row, bc);
                    if (float.IsNegativeInfinity(mt))
                    {
                        new Span<float>(row, bc).Clear();
                        tileMax[r] = mt;
                        tileSum[r] = 0;
                        continue;
                    }

                    tileMax[r] = mt;
                    tileSum[r] = RowOps.ExpSum(row, bc, mt);                                 // P̃_ij = exp(S_ij − m̃_ij), ℓ̃_ij
                }

                TileGemm.Multiply(rows, d, bc, s, bc, 1, vHead + (long)j0 * d, d, pv, d, accumulate: false);
                for (int r = 0; r < rows; r++)
                {
                    int i = i0 + r;
                    float mt = tileMax[r];
                    float mNew = MathF.Max(m[i], mt);
                    if (float.IsNegativeInfinity(mNew)) continue;
                    float lt = tileSum[r];
                    float keep = MathF.Exp(m[i] - mNew) * l[i];                               // ℓ_i e^{m_i − m_new}
                    float add = float.IsNegativeInfinity(mt) ? 0f : MathF.Exp(mt - mNew);      // e^{m̃_ij − m_new}
                    float lNew = keep + add * lt;
                    var oRow = new Span<float>(o + r * d, d);
                    // O_i ← diag(ℓ_new)⁻¹ (diag(ℓ_i) e^{m_i − m_new} O_i + e^{m̃_ij − m_new} P̃_ij V_j)
                    TensorPrimitives.Multiply(oRow, keep / lNew, oRow);
                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(pv + r * d, d), add / lNew, oRow, oRow);
                    m[i] = mNew;
                    l[i] = lNew;
                }
            }
        }

        float* lse = p.Lse + (long)bh * p.Tq;
        for (int i = 0; i < p.Tq; i++) lse[i] = m[i] + MathF.Log(l[i]);
    }

    // ------------------------------------------------------------------ backward

    private static void Backward(Problem p, float* dO, float* dQ, float* dK, float* dV, int strides, FlashOptions options)
    {
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.ThreadCount };
        int d = p.D;

        long dqSize = (long)p.B * p.H * p.Tq * d;
        float* deltaPtr = Allocate((long)p.B * p.H * p.Tq);
        float* copies = strides == 1 ? null : Allocate(strides * dqSize);
        try
        {
            BackwardCore(p, dO, dQ, dK, dV, strides, parallel, deltaPtr, copies, dqSize);
        }
        finally
        {
            NativeMemory.Free(deltaPtr);
            NativeMemory.Free(copies);
        }
    }

    private static void BackwardCore(Problem p, float* dO, float* dQ, float* dK, float* dV, int strides, ParallelOptions parallel, float* deltaPtr, float* copies, long dqSize)
    {
        int d = p.D;

        // D_i = rowsum(dO_i ⊙ O_i) = Σ_j P_ij dP_ij: the softmax Jacobian's correction term, n numbers per head.
        Parallel.For(0, p.B * p.H, parallel, bh =>
        {
            long start = FlashPhases.Start();
            for (int i = 0; i < p.Tq; i++)
            {
                long at = ((long)bh * p.Tq + i) * d;
                deltaPtr[(long)bh * p.Tq + i] = TensorPrimitives.Dot(new ReadOnlySpan<float>(dO + at, d), new ReadOnlySpan<float>(p.O + at, d));
            }

            FlashPhases.Lap(FlashPhase.BackwardOther, start);
        });

        // With several strides per kv head, each keeps its own dQ (summed below); with one, dQ is written in place.
        if (copies is not null) NativeMemory.Clear(copies, (nuint)(strides * dqSize * sizeof(float)));
        int floats = p.Br * d + 2 * p.Br * p.Bc + 2 * d * p.Bc;
        Parallel.For(0, p.B * p.G * strides, parallel, item =>
        {
            int stride = item % strides;
            int bg = item / strides;
            float* dq = strides == 1 ? dQ : copies + stride * dqSize;
            BackwardKeys(p, bg, stride, strides, dO, deltaPtr, dq, dK, dV, Workspace.Get(floats));
        });

        long sum = FlashPhases.Start();
        for (int c = 0; copies is not null && c < strides; c++)
        {
            var total = new Span<float>(dQ, checked((int)dqSize));
            TensorPrimitives.Add(total, new ReadOnlySpan<float>(copies + c * dqSize, (int)dqSize), total);
        }

        FlashPhases.Lap(FlashPhase.BackwardOther, sum);
    }

    /// <summary>Key blocks stride, stride + strides, … of kv head bg: dK_j and dV_j accumulate in place over every query block
    /// of every query head that shares this kv head; dQ_i receives each tile's contribution.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardKeys(in Problem p, int bg, int stride, int strides, float* dO, float* delta, float* dQ, float* dK, float* dV, float* ws)
    {
        int d = p.D;
        int b = bg / p.G, g = bg % p.G;
        float* kHead = p.K + (long)bg * p.Tk * d;
        float* vHead = p.V + (long)bg * p.Tk * d;
        float* qs = ws;                      // (Br, D) scale · Q_i
        float* pt = qs + p.Br * d;           // (Br, Bc) P_ij
        float* ds = pt + p.Br * p.Bc;        // (Br, Bc) dP_ij, then scale · dS_ij
        float* kt = ds + p.Br * p.Bc;        // (D, Bc) K_jᵀ
        float* vt = kt + d * p.Bc;           // (D, Bc) V_jᵀ

        for (int j0 = stride * p.Bc; j0 < p.Tk; j0 += strides * p.Bc)
        {
            int bc = Math.Min(p.Bc, p.Tk - j0);
            float* kj = kHead + (long)j0 * d;
            float* dk = dK + ((long)bg * p.Tk + j0) * d;
            float* dv = dV + ((long)bg * p.Tk + j0) * d;
            long t = FlashPhases.Start();
            TileGemm.Transpose(bc, d, kj, d, kt);
            TileGemm.Transpose(bc, d, vHead + (long)j0 * d, d, vt);
            t = FlashPhases.Lap(FlashPhase.BackwardOther, t);
            int firstRow = p.Causal ? Math.Max(0, j0 - p.Offset) : 0;
            for (int h = g * p.Group; h < (g + 1) * p.Group; h++)
            {
                int bh = b * p.H + h;
                for (int i0 = firstRow / p.Br * p.Br; i0 < p.Tq; i0 += p.Br)
                {
                    int rows = Math.Min(p.Br, p.Tq - i0);
                    long rowAt = (long)bh * p.Tq + i0;
                    float* q = p.Q + rowAt * d;
                    float* dOi = dO + rowAt * d;
                    RowOps.Scale(q, p.Scale, qs, rows * d);
                    t = FlashPhases.Lap(FlashPhase.BackwardOther, t);
                    double flops = 2.0 * rows * bc * d;
                    TileGemm.Multiply(rows, bc, d, qs, d, 1, kt, bc, pt, bc, accumulate: false);      // S_ij
                    t = FlashPhases.Lap(FlashPhase.BackwardQk, t, flops);
                    bool partial = p.Causal && j0 + bc - 1 > i0 + p.Offset;
                    for (int r = 0; r < rows; r++)
                    {
                        float* row = pt + r * bc;
                        if (partial) MaskRow(row, bc, i0 + r + p.Offset - j0 + 1);
                        RowOps.ExpSum(row, bc, p.Lse[rowAt + r]);                                   // P_ij = exp(S_ij − L_i)
                    }

                    t = FlashPhases.Lap(FlashPhase.BackwardP, t);
                    TileGemm.Multiply(bc, d, rows, pt, 1, bc, dOi, d, dv, d, accumulate: true);      // dV_j += P_ijᵀ dO_i
                    t = FlashPhases.Lap(FlashPhase.BackwardDv, t, flops);
                    TileGemm.Multiply(rows, bc, d, dOi, d, 1, vt, bc, ds, bc, accumulate: false);    // dP_ij = dO_i V_jᵀ
                    t = FlashPhases.Lap(FlashPhase.BackwardDp, t, flops);
                    for (int r = 0; r < rows; r++)
                    {
                        RowOps.SoftmaxGrad(ds + r * bc, pt + r * bc, bc, delta[rowAt + r], p.Scale);   // scale · dS_ij = scale · P ⊙ (dP − D_i)
                    }

                    t = FlashPhases.Lap(FlashPhase.BackwardDs, t);
                    TileGemm.Multiply(bc, d, rows, ds, 1, bc, q, d, dk, d, accumulate: true);        // dK_j += scale · dS_ijᵀ Q_i
                    t = FlashPhases.Lap(FlashPhase.BackwardDk, t, flops);
                    TileGemm.Multiply(rows, d, bc, ds, bc, 1, kj, d, dQ + rowAt * d, d, accumulate: true);   // dQ_i += scale · dS_ij K_j
                    t = FlashPhases.Lap(FlashPhase.BackwardDq, t, flops);
                }
            }
        }
    }

    // ------------------------------------------------------------------ shared

    /// <summary>Sets the entries of a score row from <paramref name="visible"/> on to −∞ (keys in the query's future).</summary>
    private static void MaskRow(float* row, int length, int visible)
    {
        for (int c = Math.Max(0, visible); c < length; c++) row[c] = float.NegativeInfinity;
    }

    private static float* Allocate(long floats) => (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);

    private static Tensor Dense(Tensor t) => t.is_contiguous() ? t.alias() : t.contiguous();

    /// <summary>The first element of a contiguous fp32 CPU tensor; valid while the tensor lives.</summary>
    internal static float* Pointer(Tensor t) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(t.bytes));

    /// <summary>Sizes, pointers and the derived constants of one call.</summary>
    private struct Problem
    {
        public int B, H, G, Group, Tq, Tk, D, Br, Bc, Offset;
        public bool Causal;
        public float Scale;
        public float* Q, K, V, O, Lse, Kt;

        /// <summary>The transposed tile K_jᵀ (D, min(Bc, Tk − j0)) of key block j0 for query head bh (forward only).</summary>
        public readonly float* KeyTile(int bh, int j0)
        {
            int keyBlocks = (Tk + Bc - 1) / Bc;
            long bg = (long)(bh / H) * G + bh % H / Group;
            return Kt + (bg * keyBlocks + j0 / Bc) * D * Bc;
        }

        /// <summary>Key or value head read by query head bh = b·H + h.</summary>
        public readonly float* KvHead(float* kv, int bh) => kv + ((long)(bh / H) * G + bh % H / Group) * Tk * D;

        public static Problem Of(Tensor q, Tensor k, Tensor v, FlashOptions options)
        {
            ArgumentNullException.ThrowIfNull(q);
            ArgumentNullException.ThrowIfNull(k);
            ArgumentNullException.ThrowIfNull(v);
            if (q.dim() != 4 || k.dim() != 4 || v.dim() != 4)
            {
                throw new ArgumentException($"FlashAttention needs q (B, H, Tq, D), k and v (B, G, Tk, D); got ({string.Join(", ", q.shape)}), ({string.Join(", ", k.shape)}), ({string.Join(", ", v.shape)}).");
            }

            foreach (var (t, name) in new[] { (q, "q"), (k, "k"), (v, "v") })
            {
                if (t.dtype != ScalarType.Float32) throw new ArgumentException($"FlashAttention computes in fp32; {name} is {t.dtype}.", name);
                if (t.device_type != DeviceType.CPU) throw new ArgumentException($"FlashAttention runs on the CPU; {name} is on {t.device}.", name);
            }

            if (!k.shape.SequenceEqual(v.shape) || q.shape[0] != k.shape[0] || q.shape[3] != k.shape[3])
            {
                throw new ArgumentException($"k and v must have the same shape and share q's batch and head dimension: q ({string.Join(", ", q.shape)}), k ({string.Join(", ", k.shape)}), v ({string.Join(", ", v.shape)}).");
            }

            long h = q.shape[1], g = k.shape[1], tq = q.shape[2], tk = k.shape[2], d = q.shape[3];
            if (tq == 0 || tk == 0) throw new ArgumentException($"The sequence is empty (n = 0: {tq} queries, {tk} keys); attention needs at least one query and one key.", nameof(q));
            if (q.shape[0] == 0 || h == 0 || g == 0 || d == 0) throw new ArgumentException($"Empty batch, heads or head dimension: q ({string.Join(", ", q.shape)}), k ({string.Join(", ", k.shape)}).", nameof(q));
            if (h % g != 0) throw new ArgumentException($"The {h} query heads must be divisible by the {g} key/value heads (each kv head serves H / G query heads).", nameof(k));
            if (options.Causal && tq > tk) throw new ArgumentException($"Causal attention with {tq} queries over {tk} keys: the queries are the last Tq of the Tk positions, so Tq ≤ Tk.", nameof(q));
            if (tq > int.MaxValue / 2 || tk > int.MaxValue / 2 || q.numel() * sizeof(float) > int.MaxValue || k.numel() * sizeof(float) > int.MaxValue)
            {
                throw new ArgumentException($"A tensor of more than 2 GiB (q {string.Join("×", q.shape)}, k {string.Join("×", k.shape)}) is beyond this kernel's 32-bit spans.", nameof(q));
            }

            return new Problem
            {
                B = (int)q.shape[0], H = (int)h, G = (int)g, Group = (int)(h / g), Tq = (int)tq, Tk = (int)tk, D = (int)d,
                Br = options.QueryBlock, Bc = options.KeyBlock, Offset = (int)(tk - tq), Causal = options.Causal,
                Scale = (float)(options.Scale ?? 1.0 / Math.Sqrt(d)),
            };
        }
    }

    /// <summary>One pinned scratch buffer per worker thread, grown on demand and reused across calls.</summary>
    private static class Workspace
    {
        [ThreadStatic]
        private static float[]? t_buffer;

        public static float* Get(int floats)
        {
            if (t_buffer is null || t_buffer.Length < floats) t_buffer = GC.AllocateUninitializedArray<float>(floats, pinned: true);
            return (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(t_buffer));
        }
    }
}
