// The scaling chapter's measurements in a child process whose glibc allocator has one arena.
//
// Why: the benchmark switches glibc's policy around its passes (fresh mappings while it measures peak memory, freed
// memory kept while it times; Lineage.Neural.Core.PeakMemory), and mallopt reaches only the main arena; threads that
// got arenas of their own keep them. The number of arenas can only be set when a process starts
// (GLIBC_TUNABLES=glibc.malloc.arena_max=1). Setting it for a whole tour made training chapters 1.3–2.4× slower in the
// tour's one long process (2026-12-04: the adding problem 111 → 260 s), so only this measurement gets such a process.
// Without one arena the chapter's memory claims failed (full attention's memory exponent 1.67 against ≥ 1.8, linear
// mixers skipped at 64k for memory); with it, 8/8.
using System.Diagnostics;
using System.Text.Json;
using Lineage.Data;
using Lineage.Neural.Core;
using Lineage.Neural.LongContext;

namespace Lineage.Experiments.LongContext;

/// <summary>Runs the scaling measurement in <c>lineage tour --only long-context.scaling</c> started with one malloc arena.</summary>
internal static class OneArenaProcess
{
    /// <summary>Set in the child: the file its measured points go to.</summary>
    public const string PointsVariable = "LINEAGE_SCALING_POINTS";

    private const string OneArena = "glibc.malloc.arena_max=1";

    // Skipped sizes carry NaN seconds.
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>Whether this process was started with one malloc arena (or is not on glibc, where the question does not arise).</summary>
    public static bool InThisProcess => !OperatingSystem.IsLinux() || PeakMemory.StartedWith(OneArena);

    /// <summary>In the child: writes the points where the parent asked (temp file, then rename).</summary>
    public static void Publish(IReadOnlyList<BenchPoint> points)
    {
        if (Environment.GetEnvironmentVariable(PointsVariable) is not { Length: > 0 } path) return;
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(points, Json));
    }

    /// <summary>
    /// The points measured by a child process started like this one (the same lineage.dll, data, seed) with one arena;
    /// null when this process cannot start one (not started as lineage.dll), so the caller measures in-process.
    /// </summary>
    /// <exception cref="InvalidOperationException">The child failed; its last output is in the message.</exception>
    public static IReadOnlyList<BenchPoint>? Measure(ExperimentContext context)
    {
        var entry = System.Reflection.Assembly.GetEntryAssembly()?.Location;
        var host = Environment.ProcessPath;
        if (entry is null || host is null || !string.Equals(Path.GetFileName(entry), "lineage.dll", StringComparison.OrdinalIgnoreCase)) return null;

        var work = Directory.CreateTempSubdirectory("lineage-scaling-");
        try
        {
            var points = Path.Combine(work.FullName, "points.json");
            var start = new ProcessStartInfo(host)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { entry, "tour", "--only", context.Info.Id, "--retrain", "-q", "-o", work.FullName,
                         "--seed", context.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data", context.Data.Root })
                start.ArgumentList.Add(arg);
            var tunables = Environment.GetEnvironmentVariable("GLIBC_TUNABLES");
            start.Environment["GLIBC_TUNABLES"] = string.IsNullOrEmpty(tunables) ? OneArena : $"{tunables}:{OneArena}";
            start.Environment[PointsVariable] = points;

            using var child = Process.Start(start) ?? throw new InvalidOperationException("Could not start the scaling measurement's process.");
            var output = child.StandardOutput.ReadToEndAsync();
            var errors = child.StandardError.ReadToEndAsync();
            using (context.Cancellation.Register(() =>
                   {
                       try { child.Kill(entireProcessTree: true); }
                       catch (InvalidOperationException) { }   // already gone
                   }))
            {
                child.WaitForExit();
            }

            context.Cancellation.ThrowIfCancellationRequested();
            if (!File.Exists(points))
            {
                var error = Path.Combine(work.FullName, "tour", context.Info.Id, "error.txt");
                string tail = (File.Exists(error) ? File.ReadAllText(error) : output.Result + errors.Result).Trim();
                throw new InvalidOperationException($"The scaling measurement's process (one malloc arena) exited with code {child.ExitCode} " +
                    $"and no results: …{tail[Math.Max(0, tail.Length - 2000)..]}");
            }

            return JsonSerializer.Deserialize<List<BenchPoint>>(File.ReadAllText(points), Json)
                   ?? throw new InvalidOperationException("The scaling measurement's process wrote no points.");
        }
        finally
        {
            try { work.Delete(recursive: true); }
            catch (IOException) { }
        }
    }
}
