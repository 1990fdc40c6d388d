// Peak memory and allocator policy for the benchmarks (Linux with glibc; elsewhere the peak is unknown and the policy
// calls do nothing). Two questions need two opposite allocator policies:
//  - "how much memory does this pass add at its peak?" wants freed memory to leave the resident set at once, so the
//    high-water mark (VmHWM, reset through /proc/self/clear_refs) counts the pass's own allocations: Measure() serves
//    blocks of 64 KiB and more from fresh mappings while the pass runs;
//  - "how long does this pass take?" wants freed memory kept for reuse, as any long-running program has it: otherwise
//    every pass pays the kernel's page faults for its large tensors again (glibc maps blocks above 32 MiB afresh and
//    unmaps them on free). On a virtual machine a fault costs about 10 µs a page (measured on our 2-core VMs, against
//    well under 1 µs on bare metal), which made a 16k-token pass 10× slower than its arithmetic and bent the scaling
//    exponents. Retained() keeps every freed block in the heap while timing; for blocks above 64 MiB that needs one
//    malloc arena, since the other arenas map those afresh.
// Both policies reach every thread's allocations only when the process has one malloc arena, which can only be set
// at start (GLIBC_TUNABLES=glibc.malloc.arena_max=1); the tour starts its scaling chapter's process so
// (Lineage.Experiments.OneArenaProcess).
// Kept memory for a whole process (KeptMemoryTunables) is what the tour gives each chapter's process
// (Lineage.Experiments.ChapterProcess). Measured 2026-12-05 on a 2-core VM, each chapter in a process of its own, glibc's
// default against kept memory: the adding problem 251 → 127 s, ByteNet 50 → 29 s, BERT 142 → 112 s, GPT 37 → 27 s.
// In the tour's former one long process the same setting made training chapters 1.3–2.4× slower (2026-12-04: ViT
// 562 → 754 s, the adding problem 111 → 260 s), so it is set per chapter process, never for the CLI as a whole.
// RetainedByDefault honours mmap_max=0 wherever it is set.
using System.Globalization;
using System.Runtime.InteropServices;

namespace Lineage.Neural.Core;

/// <summary>The process's resident memory (Linux VmRSS / VmHWM) and the glibc allocator policy used while measuring.</summary>
public static partial class PeakMemory
{
    private const int TrimThreshold = -1;      // glibc's M_TRIM_THRESHOLD
    private const int MmapThreshold = -3;      // M_MMAP_THRESHOLD
    private const int MmapMax = -4;            // M_MMAP_MAX
    private const int DefaultMmapMax = 65536;  // glibc's default
    private const int DynamicMmapThreshold = 32 << 20;   // where glibc's dynamic threshold ends (64-bit)
    private const int FreshThreshold = 64 * 1024;        // the smallest block a peak pass maps afresh

    /// <summary>
    /// glibc settings that keep freed memory in the heap for the whole process (no fresh mappings, no trimming): what the
    /// tour starts each chapter's process with.
    /// </summary>
    public const string KeptMemoryTunables = "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736";

    /// <summary>
    /// glibc settings for a process that measures peak memory: every block of 64 KiB and more is a fresh mapping from the
    /// start (a fixed threshold, so glibc never raises it), so none ever lands in the heap's free lists. Measure's passes
    /// can then only be served fresh mappings, whose pages leave the resident set when freed; a block reused from the free
    /// lists stays resident after it is freed, so the high-water mark counted every block the pass happened to place
    /// there (Swin's 224 px pass measured 25.4 MB in one process and 37 MB in another, 2026-12-07). Time such a process's
    /// passes only after its peaks (Retained puts large blocks in the heap).
    /// </summary>
    public const string FreshMappingTunables = "glibc.malloc.mmap_max=65536:glibc.malloc.mmap_threshold=65536";

    /// <summary>Whether freed memory is kept by default in this process (started with GLIBC_TUNABLES glibc.malloc.mmap_max=0, as the tour's chapter processes are).</summary>
    public static bool RetainedByDefault { get; } = StartedWith("glibc.malloc.mmap_max=0");

    /// <summary>
    /// The fixed mmap threshold this process was started with (GLIBC_TUNABLES glibc.malloc.mmap_threshold) or has set since
    /// (<see cref="FreshMappingsFromNow"/>), or null (glibc's dynamic one): what the policy returns to after a pass.
    /// </summary>
    private static int? s_threshold = StartedValue("glibc.malloc.mmap_threshold");

    /// <summary>
    /// From now on every block of 64 KiB and more is a fresh mapping, as in a process started with
    /// <see cref="FreshMappingTunables"/>: for a command that measures peaks in the process the user started (glibc's
    /// dynamic threshold would otherwise rise to 32 MiB after the first large free, and later large blocks land in the heap's
    /// free lists, where Measure's passes reuse them). Blocks already in the free lists stay there, so call it before the
    /// large allocations. False where this is not glibc, or the process keeps freed memory by default (<see cref="RetainedByDefault"/>).
    /// </summary>
    public static bool FreshMappingsFromNow()
    {
        if (RetainedByDefault || !(Set(MmapMax, DefaultMmapMax) && Set(MmapThreshold, FreshThreshold))) return false;
        s_threshold = FreshThreshold;
        return true;
    }

    /// <summary>
    /// Adds glibc settings (<c>a=1:b=2</c>) to the <c>GLIBC_TUNABLES</c> of a process about to start, after what it already
    /// has (in <paramref name="environment"/>, else in this process's environment); a setting already named there is kept.
    /// </summary>
    public static void AddTunables(IDictionary<string, string?> environment, string tunables)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(tunables);
        if (!environment.TryGetValue("GLIBC_TUNABLES", out var current)) current = Environment.GetEnvironmentVariable("GLIBC_TUNABLES");
        var parts = (current ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).ToList();
        foreach (var tunable in tunables.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string name = tunable.Split('=')[0];
            if (!parts.Any(p => p.Split('=')[0] == name)) parts.Add(tunable);
        }

        environment["GLIBC_TUNABLES"] = string.Join(':', parts);
    }

    /// <summary>Whether the process was started on Linux with this glibc setting in GLIBC_TUNABLES (e.g. <c>glibc.malloc.arena_max=1</c>).</summary>
    public static bool StartedWith(string tunable) => OperatingSystem.IsLinux() &&
        (Environment.GetEnvironmentVariable("GLIBC_TUNABLES") ?? "").Split(':').Contains(tunable);

    private static int? StartedValue(string name)
    {
        if (!OperatingSystem.IsLinux()) return null;
        foreach (var part in (Environment.GetEnvironmentVariable("GLIBC_TUNABLES") ?? "").Split(':'))
            if (part.StartsWith(name + "=", StringComparison.Ordinal) &&
                int.TryParse(part.AsSpan(name.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int value))
                return value;
        return null;
    }

    [LibraryImport("libc.so.6", EntryPoint = "mallopt")]
    private static partial int MallOpt(int parameter, int value);

    [LibraryImport("libc.so.6", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);

    /// <summary>Current resident bytes (VmRSS), or 0 where /proc is unavailable.</summary>
    public static long Resident() => Read("VmRSS:");

    /// <summary>Peak resident bytes since start or the last reset (VmHWM), or 0 where /proc is unavailable.</summary>
    public static long Peak() => Read("VmHWM:");

    /// <summary>
    /// Returns freed heap memory to the system (glibc's malloc_trim), so a later peak counts new allocations, then resets
    /// the peak to the current resident size; false when the kernel does not allow it.
    /// </summary>
    public static bool ResetPeak()
    {
        Trim();
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Bytes by which the resident-set high-water mark exceeded the resident set before <paramref name="action"/>, with
    /// blocks of 64 KiB and more served by fresh mappings during it (so freed memory leaves the resident set at once);
    /// −1 where this is not Linux with /proc. Afterwards the process's default policy is back (see <see cref="Retained"/>).
    /// </summary>
    public static long Measure(System.Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        bool policy = Set(MmapMax, DefaultMmapMax) && Set(MmapThreshold, FreshThreshold);
        bool supported = ResetPeak();
        long before = Resident();
        try
        {
            action();
        }
        finally
        {
            if (policy) Restore();
        }

        return supported && before > 0 ? Math.Max(0, Peak() - before) : -1;
    }

    /// <summary>
    /// Bytes by which the resident set after <paramref name="action"/> exceeds the one before it, freed heap returned to
    /// the system on both sides and blocks of 64 KiB and more served by fresh mappings during it: what the action leaves
    /// alive (for a forward pass, the activations it saves for backward), not its temporaries; −1 where this is not Linux
    /// with /proc. Afterwards the process's default policy is back.
    /// </summary>
    public static long Held(System.Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        bool policy = Set(MmapMax, DefaultMmapMax) && Set(MmapThreshold, FreshThreshold);
        Trim();
        long before = Resident(), after;
        try
        {
            action();
        }
        finally
        {
            Trim();
            after = Resident();
            if (policy) Restore();
        }

        return before > 0 ? after - before : -1;
    }

    /// <summary>
    /// Keeps freed memory in the heap (no fresh mappings, no trimming) until disposed, so repeated passes reuse their
    /// pages instead of faulting them in again; disposing restores the process's default policy (and, where that is glibc's
    /// usual one, returns the kept memory).
    /// Time the passes after the first inside this scope.
    /// </summary>
    public static IDisposable Retained()
    {
        bool policy = Set(MmapMax, 0) && Set(TrimThreshold, int.MaxValue);
        return new Scope(policy);
    }

    private static bool Set(int parameter, int value)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return MallOpt(parameter, value) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;   // not glibc
        }
    }

    private static void Restore()
    {
        Set(MmapThreshold, s_threshold ?? DynamicMmapThreshold);
        if (RetainedByDefault)
        {
            Set(MmapMax, 0);
            Set(TrimThreshold, int.MaxValue);
            return;
        }

        Set(MmapMax, DefaultMmapMax);
        Set(TrimThreshold, 2 * DynamicMmapThreshold);
        Trim();
    }

    private static void Trim()
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            _ = MallocTrim(0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // not glibc: the peak then includes reused free memory
        }
    }

    private static long Read(string key)
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path)) return 0;
        foreach (var line in File.ReadLines(path))
            if (line.StartsWith(key, StringComparison.Ordinal))
                return long.Parse(line.AsSpan(key.Length).Trim().ToString().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        return 0;
    }

    private sealed class Scope(bool policy) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            if (policy) Restore();
        }
    }
}
