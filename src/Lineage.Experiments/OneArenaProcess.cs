// The processes of the chapters that measure peak memory (long-context scaling, vision complexity) start with one
// glibc malloc arena.
//
// Why: the benchmark switches glibc's policy around its passes (fresh mappings while it measures peak memory, freed
// memory kept while it times; Lineage.Neural.Core.PeakMemory), and mallopt reaches only the main arena; threads that
// got arenas of their own keep them. The number of arenas can only be set when a process starts
// (GLIBC_TUNABLES=glibc.malloc.arena_max=1). Setting it for a whole tour made training chapters 1.3–2.4× slower
// (2026-12-04, one long process: the adding problem 111 → 260 s), so only these chapters' processes get it (ChapterProcess starts each
// chapter in a process of its own). Without one arena the scaling chapter's memory claims failed (full attention's memory
// exponent 1.67 against ≥ 1.8, linear mixers skipped at 64k for memory); with it, 8/8. The complexity chapter, in a
// process that keeps freed memory (ChapterProcess), measured Swin's memory exponent 1.40 against ≤ 1.25 with several
// arenas, 0.86 with one (2026-12-05).
using Lineage.Neural.Core;

namespace Lineage.Experiments;

/// <summary>One malloc arena for the processes of chapters that measure peak memory (long-context scaling, vision complexity).</summary>
internal static class OneArenaProcess
{
    private const string OneArena = "glibc.malloc.arena_max=1";

    /// <summary>Whether this process was started with one malloc arena (or is not on glibc, where the question does not arise).</summary>
    public static bool InThisProcess => !OperatingSystem.IsLinux() || PeakMemory.StartedWith(OneArena);

    /// <summary>Adds one arena to the <c>GLIBC_TUNABLES</c> of a process about to start, keeping what else it sets.</summary>
    public static void Prepare(IDictionary<string, string?> environment) => PeakMemory.AddTunables(environment, OneArena);

    /// <summary>
    /// One arena and every large block a fresh mapping from the start (<see cref="PeakMemory.FreshMappingTunables"/>), in
    /// place of the tour's kept memory: for a chapter that measures peaks with <see cref="PeakMemory.Measure"/>, whose
    /// passes would otherwise be served from free lists that stay resident (vision.complexity, 2026-12-07).
    /// </summary>
    public static void PrepareForPeaks(IDictionary<string, string?> environment)
    {
        Prepare(environment);
        PeakMemory.AddTunables(environment, PeakMemory.FreshMappingTunables);
    }
}
