namespace Lineage.Text.Determinism;

/// <summary>
/// Seeds derived from several numbers that are the same in every process. (<see cref="HashCode.Combine{T1, T2}"/> is
/// randomised per process, so batches drawn from it would differ after a restart and a resumed run would not see the
/// batches of the uninterrupted one.)
/// </summary>
public static class StableSeed
{
    /// <summary>A 32-bit seed mixed from the parts (SplitMix64 steps).</summary>
    public static int Of(params long[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ulong h = 0x9E3779B97F4A7C15UL;
        foreach (long p in parts)
        {
            h ^= (ulong)p;
            h += 0x9E3779B97F4A7C15UL;
            h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9UL;
            h = (h ^ (h >> 27)) * 0x94D049BB133111EBUL;
            h ^= h >> 31;
        }

        return (int)(h & 0x7FFFFFFF);
    }
}
