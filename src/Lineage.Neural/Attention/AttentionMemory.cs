// Refusing work that cannot fit: every attention entry point estimates the bytes it will allocate and compares them with
// the memory the machine has free, so an n = 64k naive attention (128 GiB of scores) fails at once with the estimate in
// the message instead of being killed by the kernel's out-of-memory handler half-way.
using System.Globalization;

namespace Lineage.Neural.Attention;

/// <summary>Memory estimates and the guard that refuses requests which would not fit.</summary>
public static class AttentionMemory
{
    /// <summary>Fraction of the available memory a single request may use.</summary>
    public const double Headroom = 0.5;

    /// <summary>Bytes the machine can still give (Linux MemAvailable, else the GC's view of physical memory).</summary>
    public static long AvailableBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal)) continue;
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[1], CultureInfo.InvariantCulture) * 1024;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }

    /// <summary>Throws <see cref="InsufficientMemoryException"/> naming <paramref name="what"/> and the estimate when
    /// <paramref name="bytes"/> exceed <see cref="Headroom"/> of the available memory.</summary>
    public static void Ensure(long bytes, string what)
    {
        long available = AvailableBytes();
        if (bytes < 0 || bytes > Headroom * available)
        {
            throw new InsufficientMemoryException(string.Create(CultureInfo.InvariantCulture,
                $"{what} needs an estimated {Format(bytes)} but only {Format(available)} are available (at most {Headroom:P0} of it may be used: the machine is shared); refusing."));
        }
    }

    /// <summary>Bytes of the n×n score and probability matrices (and their gradients when <paramref name="backward"/>) of
    /// naive attention, in fp32, plus its output.</summary>
    public static long Naive(long batch, long heads, long queries, long keys, long headDim, bool backward)
    {
        double scores = (double)batch * heads * queries * keys * sizeof(float);
        double matrices = backward ? 4 : 2;                     // S and P; with autograd also dP and dS
        return (long)Math.Min(long.MaxValue / 2, matrices * scores + (double)batch * heads * queries * headDim * sizeof(float));
    }

    /// <summary>Bytes the FlashAttention kernel allocates: O and the log-sum-exp (forward), plus dQ, dK, dV, the row sums
    /// D = rowsum(dO ⊙ O) and partial dQ buffers (backward), plus per-thread tiles. Linear in n.</summary>
    public static long Flash(long batch, long heads, long kvHeads, long queries, long keys, long headDim, bool backward, int threads, int dqCopies, int queryBlock, int keyBlock)
    {
        long q = batch * heads * queries * headDim * sizeof(float);
        long kv = batch * kvHeads * keys * headDim * sizeof(float);
        long rows = batch * heads * queries * sizeof(float);
        long tiles = (long)threads * (4L * queryBlock * headDim + 2L * queryBlock * keyBlock + 2L * keyBlock * headDim + 2L * queries) * sizeof(float);
        long forward = q + rows + tiles;
        return backward ? forward + q + 2 * kv + rows + (dqCopies > 1 ? dqCopies * q : 0) : forward;
    }

    /// <summary>"1.5 GiB", "12.0 MiB".</summary>
    public static string Format(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.0} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.0} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
    };
}
