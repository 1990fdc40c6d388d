namespace Lineage.Neural.LongContext;

/// <summary>Refuses a request whose estimated activation memory exceeds a limit, with the estimate in the message.</summary>
public static class MemoryGuard
{
    /// <summary>The limit in bytes; default half of the memory available to the process.</summary>
    public static long LimitBytes { get; set; } = Math.Max(1L << 30, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2);

    /// <summary>Throws <see cref="InsufficientMemoryException"/> when <paramref name="bytes"/> exceed <see cref="LimitBytes"/>.</summary>
    public static void Check(string what, long batch, long n, long bytes)
    {
        if (bytes > LimitBytes)
        {
            throw new InsufficientMemoryException(
                $"{what} at batch {batch} and n = {n} needs an estimated {Gib(bytes)} of activations for forward + backward, " +
                $"more than the limit of {Gib(LimitBytes)} (MemoryGuard.LimitBytes); use a shorter sequence or another mixer.");
        }
    }

    /// <summary>Bytes as GiB with two decimals.</summary>
    public static string Gib(long bytes) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.00} GiB");
}
