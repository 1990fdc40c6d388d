using System.Diagnostics;
using System.Globalization;

namespace Lineage.Cli;

/// <summary>
/// Phase timings of one CLI run on stderr, when LINEAGE_PHASES=1: each phase's wall and CPU seconds since the previous
/// mark, and the process's time before the first (runtime start-up and JIT of the command line). For finding where a cold
/// process loses against a warm loop (issue 32); silent otherwise.
/// </summary>
internal sealed class Phases
{
    private readonly Stopwatch _wall = Stopwatch.StartNew();
    private TimeSpan _cpu;
    private readonly bool _on;

    private Phases(bool on)
    {
        _on = on;
        if (!on) return;
        using var self = Process.GetCurrentProcess();
        _cpu = self.TotalProcessorTime;
        var sinceStart = DateTime.Now - self.StartTime;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"phase start-up: {sinceStart.TotalSeconds:0.000} s wall, {_cpu.TotalSeconds:0.000} s CPU"));
    }

    /// <summary>On when the environment variable LINEAGE_PHASES is 1.</summary>
    public static Phases FromEnvironment() => new(Environment.GetEnvironmentVariable("LINEAGE_PHASES") == "1");

    /// <summary>Ends the phase called <paramref name="name"/> (printing it) and starts the next.</summary>
    public void Mark(string name)
    {
        if (!_on) return;
        using var self = Process.GetCurrentProcess();
        var cpu = self.TotalProcessorTime;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"phase {name}: {_wall.Elapsed.TotalSeconds:0.000} s wall, {(cpu - _cpu).TotalSeconds:0.000} s CPU, {self.WorkingSet64 >> 20} MiB resident"));
        _cpu = cpu;
        _wall.Restart();
    }
}
