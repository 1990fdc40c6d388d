// The noise distribution of negative sampling, sampled in O(1) with Walker's alias method.
// Paper:   Mikolov et al. 2013b (arXiv:1310.4546), §2.2: noise words drawn from the unigram distribution raised to 3/4.
//          Walker 1977, "An Efficient Method for Generating Discrete Random Variables with General Distributions"
//          (ACM TOMS 3(3)); Vose 1991 (IEEE TSE 17(9)) for the linear-time construction used here.
// Why:     word2vec.c looks noise words up in a table of 10⁸ entries (ours had 10⁷: 40 MB). Every draw is then a random
//          read far outside the caches, and it was the second-largest stall of the skip-gram loop (19 % of the samples of
//          a profile, beside the 64-bit division that picked the slot). The alias table has one 8-byte slot per word
//          (0.5 MB for 60 k words, within a core's L2) and a draw is one multiply, one read and one compare. It also
//          follows count^0.75 exactly, where the table rounded every word's share to a multiple of 10⁻⁷.
// Shapes:  V words; one slot per word: (threshold, alias). Slot i keeps word i with probability threshold / 2³², else
//          gives alias[i]; each slot is chosen with probability 1/V.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Lineage.Text.Embeddings.Word2Vec;

/// <summary>Draws words with probability count^power / Σ count^power (word2vec: power 0.75), one table read per draw.</summary>
internal sealed class NoiseSampler
{
    private readonly ulong[] slots; // low 32 bits: threshold (keep the slot's own word when the fraction is below it); high: alias

    private NoiseSampler(ulong[] slots) => this.slots = slots;

    /// <summary>Number of words.</summary>
    public int Count => slots.Length;

    /// <summary>Builds the alias table of count^power (Vose's method: O(V), exact up to the 32-bit thresholds).</summary>
    public static NoiseSampler Build(long[] counts, double power = 0.75)
    {
        ArgumentNullException.ThrowIfNull(counts);
        if (counts.Length == 0)
        {
            throw new ArgumentException("No words to sample from.", nameof(counts));
        }

        int v = counts.Length;
        var weight = new double[v];
        double sum = 0;
        for (int w = 0; w < v; w++)
        {
            weight[w] = Math.Pow(counts[w], power);
            sum += weight[w];
        }

        // scaled[w] = V·p(w): slots whose word has more than 1/V donate their excess to the slots that have less.
        var scaled = new double[v];
        var small = new Stack<int>();
        var large = new Stack<int>();
        for (int w = 0; w < v; w++)
        {
            scaled[w] = weight[w] / sum * v;
            (scaled[w] < 1 ? small : large).Push(w);
        }

        var threshold = new double[v];
        var alias = new int[v];
        while (small.Count > 0 && large.Count > 0)
        {
            int s = small.Pop(), l = large.Peek();
            threshold[s] = scaled[s];
            alias[s] = l;
            scaled[l] -= 1 - scaled[s];
            if (scaled[l] < 1)
            {
                small.Push(large.Pop());
            }
        }

        // What is left holds (up to rounding) exactly 1/V: the slot keeps its own word.
        foreach (var w in large.Concat(small))
        {
            threshold[w] = 1;
            alias[w] = w;
        }

        var slots = new ulong[v];
        for (int w = 0; w < v; w++)
        {
            ulong t = (ulong)Math.Min(uint.MaxValue, Math.Round(threshold[w] * 4294967296.0));
            slots[w] = t | (ulong)(uint)alias[w] << 32;
        }

        return new NoiseSampler(slots);
    }

    /// <summary>One word from 32 random bits r: <see cref="Resolve"/>(<see cref="Slot"/>(r)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Draw(uint r) => Resolve(Slot(r));

    /// <summary>
    /// r·V: its high 32 bits are a slot, uniform over 0..V−1, its low 32 bits a fraction within the slot, uniform to
    /// within 1 in 2³²/V, that picks the slot's own word or its alias (<see cref="Resolve"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Slot(uint r) => (ulong)r * (uint)slots.Length;

    /// <summary>Asks for the cache line of a slot that <see cref="Resolve"/> will read (a hint: no effect on results).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void Prefetch(ulong slot)
    {
        if (Sse.IsSupported)
        {
            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(slots), (nint)(slot >> 32))));
        }
    }

    /// <summary>The word a value of <see cref="Slot"/> stands for.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Resolve(ulong slot)
    {
        ulong entry = Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(slots), (nint)(slot >> 32)); // slot >> 32 < V: in range
        return (uint)slot < (uint)entry ? (int)(slot >> 32) : (int)(entry >> 32);
    }

    /// <summary>The probability of each word implied by the table (for tests): Σ over slots of its share of each slot.</summary>
    public double[] Probabilities()
    {
        var p = new double[slots.Length];
        double perSlot = 1.0 / slots.Length;
        for (int i = 0; i < slots.Length; i++)
        {
            double keep = (uint)slots[i] / 4294967296.0;
            p[i] += perSlot * keep;
            p[(int)(slots[i] >> 32)] += perSlot * (1 - keep);
        }

        return p;
    }
}

/// <summary>
/// One worker's noise words, drawn two pairs ahead of their use so that neither read waits on memory: for the pair after
/// next, the random slots are drawn and their alias entries prefetched; for the next pair, those entries are resolved to
/// words and the words' output rows prefetched; this pair gets the words resolved one pair ago. Every pair still gets
/// its own fresh noise words, drawn as before from the same random stream; only the order of the reads changes.
/// </summary>
internal sealed unsafe class NoisePipeline
{
    private readonly NoiseSampler sampler;
    private readonly float* rows;
    private readonly int dim;
    private readonly ulong[] slots; // the pair after next: drawn slots
    private int[] targets;          // this pair: [0] the true word, [1..] noise words
    private int[] ahead;            // the next pair's noise words ([0] unused until it becomes this pair)

    /// <summary>Starts the pipeline for output rows [V×dim] at rows (pinned by the caller while the pipeline is used).</summary>
    public NoisePipeline(NoiseSampler sampler, float* rows, int dim, int negative, ref ulong rng)
    {
        this.sampler = sampler;
        this.rows = rows;
        this.dim = dim;
        slots = new ulong[negative];
        targets = new int[negative + 1];
        ahead = new int[negative + 1];
        DrawSlots(ref rng);
        Advance(ref rng);
    }

    /// <summary>The targets of the next pair: the true word, then <c>negative</c> noise words.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int[] Next(int word, ref ulong rng)
    {
        (targets, ahead) = (ahead, targets);
        targets[0] = word;
        Advance(ref rng);
        return targets;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Advance(ref ulong rng)
    {
        for (int d = 0; d < slots.Length; d++)
        {
            int w = sampler.Resolve(slots[d]);
            ahead[d + 1] = w;
            Simd.Prefetch(rows + (long)w * dim, dim);
        }

        DrawSlots(ref rng);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void DrawSlots(ref ulong rng)
    {
        for (int d = 0; d < slots.Length; d++)
        {
            rng = rng * 25214903917UL + 11;
            slots[d] = sampler.Slot((uint)(rng >> 32));
            sampler.Prefetch(slots[d]);
        }
    }
}
