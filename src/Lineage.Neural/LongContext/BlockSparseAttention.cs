// Block-sparse attention: the computation Longformer and BigBird share. The sequence is cut into blocks of b tokens;
// each query block lists the K key blocks it may look at (its neighbours, the global blocks, BigBird's random ones);
// those K blocks are gathered into a (K·b)-long key strip and attention runs over the strip only, under a token-level
// mask. Memory and time are O(n · K · b) instead of O(n²). Rows of global queries (which see every key) are computed
// densely, O(g · n).
//
// The dense reference builds the same pattern as an n × n boolean mask over full attention; the tests check both give
// the same numbers (≤ 1e-5).
//
// Padding: a sequence whose length is not a multiple of b is padded with zero vectors to one; padded keys are masked
// for every real query (a padded query sees itself only, and its output is dropped), so the result equals attention
// over the unpadded sequence.
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.LongContext;

/// <summary>Which keys each query block may look at.</summary>
/// <param name="BlockSize">b, tokens per block.</param>
/// <param name="KeyBlocks">(query blocks, K) key-block indices; duplicates and out-of-range entries are marked invalid.</param>
/// <param name="Valid">(query blocks, K) whether each entry counts.</param>
/// <param name="GlobalQueries">The first this many positions attend to every key.</param>
public sealed record BlockPattern(int BlockSize, long[,] KeyBlocks, bool[,] Valid, long GlobalQueries)
{
    /// <summary>Builds a pattern from per-block candidate lists, dropping out-of-range entries and repeats.</summary>
    public static BlockPattern FromLists(int blockSize, IReadOnlyList<IReadOnlyList<long>> lists, long globalQueries)
    {
        ArgumentNullException.ThrowIfNull(lists);
        int nb = lists.Count, width = lists.Max(l => l.Count);
        var blocks = new long[nb, width];
        var valid = new bool[nb, width];
        for (int i = 0; i < nb; i++)
        {
            var seen = new HashSet<long>();
            for (int c = 0; c < lists[i].Count; c++)
            {
                long j = lists[i][c];
                bool ok = j >= 0 && j < nb && seen.Add(j);
                blocks[i, c] = ok ? j : 0;
                valid[i, c] = ok;
            }
        }

        return new BlockPattern(blockSize, blocks, valid, globalQueries);
    }
}

/// <summary>Attention restricted to a <see cref="BlockPattern"/>, computed over gathered key strips, and its dense reference.</summary>
public static class BlockSparseAttention
{
    /// <summary>A token-level rule: may query position p (tensor) see key position s (tensor)? Broadcasts p against s.</summary>
    public delegate Tensor TokenRule(Tensor p, Tensor s);

    /// <summary>
    /// Block-sparse attention of q, k, v (B, H, n, D), n already a multiple of the block size, over the pattern's key
    /// blocks, with <paramref name="rule"/> deciding per token pair; <paramref name="length"/> real tokens (the rest is padding).
    /// </summary>
    public static Tensor Attend(Tensor q, Tensor k, Tensor v, BlockPattern pattern, TokenRule rule, long length, bool causal, double scale)
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(v);
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(rule);
        using var scope = NewDisposeScope();
        long b = q.shape[0], h = q.shape[1], n = q.shape[2], d = q.shape[3], bs = pattern.BlockSize;
        long nb = n / bs, kw = pattern.KeyBlocks.GetLength(1);
        if (nb * bs != n || nb != pattern.KeyBlocks.GetLength(0))
            throw new ArgumentException($"Length {n} does not match the pattern: {pattern.KeyBlocks.GetLength(0)} blocks of {bs}.", nameof(pattern));
        var device = q.device;
        var index = tensor(Flatten(pattern.KeyBlocks), [nb, kw], device: device);                                  // (nb, K)
        var valid = tensor(Flatten(pattern.Valid), [nb, kw], device: device);                                      // (nb, K)
        var flat = index.reshape(-1);
        var kb = k.reshape(b, h, nb, bs, d).index_select(2, flat).reshape(b, h, nb, kw * bs, d);                  // (B, H, nb, K·b, D)
        var vb = v.reshape(b, h, nb, bs, d).index_select(2, flat).reshape(b, h, nb, kw * bs, d);
        var qb = q.reshape(b, h, nb, bs, d);                                                                        // (B, H, nb, b, D)
        var scores = qb.matmul(kb.transpose(-1, -2)) * scale;                                                       // (B, H, nb, b, K·b)
        var p = arange(n, device: device).reshape(nb, bs, 1);                                                       // query positions
        var s = (index.unsqueeze(-1) * bs + arange(bs, device: device)).reshape(nb, 1, kw * bs);                   // key positions
        var allowed = Allowed(rule, p, s, length, causal) & valid.unsqueeze(-1).expand(nb, kw, bs).reshape(nb, 1, kw * bs);
        scores = scores.masked_fill(allowed.logical_not(), float.NegativeInfinity);
        var y = scores.softmax(-1).matmul(vb).reshape(b, h, n, d);                                                  // (B, H, n, D)
        if (pattern.GlobalQueries > 0)
        {
            // Global queries see every key: their rows are computed densely, O(g · n).
            long g = Math.Min(pattern.GlobalQueries, n);
            var qg = q.narrow(2, 0, g);
            var sg = qg.matmul(k.transpose(-1, -2)) * scale;                                                        // (B, H, g, n)
            var pg = arange(g, device: device).reshape(g, 1);
            var kAll = arange(n, device: device).reshape(1, n);
            sg = sg.masked_fill(Allowed((pp, ss) => ones_like(pp * ss, ScalarType.Bool), pg, kAll, length, causal).logical_not(), float.NegativeInfinity);
            y = cat([sg.softmax(-1).matmul(v), y.narrow(2, g, n - g)], 2);
        }

        return y.MoveToOuterDisposeScope();
    }

    /// <summary>The same attention with the n × n mask built explicitly: the reference. q, k, v (B, H, n, D), n a multiple of the block size.</summary>
    public static Tensor Dense(Tensor q, Tensor k, Tensor v, BlockPattern pattern, TokenRule rule, long length, bool causal, double scale)
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(v);
        ArgumentNullException.ThrowIfNull(pattern);
        using var scope = NewDisposeScope();
        var mask = DenseMask(pattern, rule, q.shape[2], length, causal, q.device);                                  // (n, n) bool
        var scores = (q.matmul(k.transpose(-1, -2)) * scale).masked_fill(mask.logical_not(), float.NegativeInfinity);
        return scores.softmax(-1).matmul(v).MoveToOuterDisposeScope();
    }

    /// <summary>The pattern as an (n, n) boolean matrix: entry (p, s) is true when query p may see key s.</summary>
    public static Tensor DenseMask(BlockPattern pattern, TokenRule rule, long n, long length, bool causal, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(rule);
        using var scope = NewDisposeScope();
        long bs = pattern.BlockSize, nb = n / bs;
        var blockAllowed = new bool[nb * nb];
        for (long i = 0; i < nb; i++)
            for (int c = 0; c < pattern.KeyBlocks.GetLength(1); c++)
                if (pattern.Valid[i, c]) blockAllowed[i * nb + pattern.KeyBlocks[i, c]] = true;
        var blocks = tensor(blockAllowed, [nb, nb], device: device).repeat_interleave(bs, 0).repeat_interleave(bs, 1);   // (n, n)
        var p = arange(n, device: device).reshape(n, 1);
        var s = arange(n, device: device).reshape(1, n);
        var mask = blocks & Allowed(rule, p, s, length, causal);
        var global = Allowed((pp, ss) => ones_like(pp * ss, ScalarType.Bool), p, s, length, causal) & (p < pattern.GlobalQueries);
        return (mask | global).MoveToOuterDisposeScope();
    }

    /// <summary>The rule, plus causality and padding; a query always sees itself, so no row is empty.</summary>
    private static Tensor Allowed(TokenRule rule, Tensor p, Tensor s, long length, bool causal)
    {
        var ok = rule(p, s);
        if (causal) ok = ok & (s <= p);
        ok = ok & ((s < length) | (p >= length));
        return ok | (s == p);
    }

    private static T[] Flatten<T>(T[,] a)
    {
        var flat = new T[a.Length];
        int i = 0;
        foreach (var x in a) flat[i++] = x;
        return flat;
    }
}
