// Lineage.Fuzz: the afl++ harness of issue 29. One target per reader; each reads one input from stdin and hands it to the
// reader the way Lineage reads such a file. The reader's documented error (InvalidDataException) is a clean outcome;
// anything else escapes, and SharpFuzz reports it to afl-fuzz as a crash. Run through tools/fuzz.sh.
//   dotnet Lineage.Fuzz.dll TARGET                 one input from stdin (under afl-fuzz: SharpFuzz's fork server)
//   dotnet Lineage.Fuzz.dll seeds OUTDIR [TARGET]  valid seed files, made by our own writers, in OUTDIR/TARGET/
//   dotnet Lineage.Fuzz.dll replay TARGET PATH...  runs files (or every file of folders) and prints each outcome
//   dotnet Lineage.Fuzz.dll assemblies TARGET      the Lineage assemblies the target exercises (to instrument)
//   dotnet Lineage.Fuzz.dll list                   the targets
using SharpFuzz;

namespace Lineage.Fuzz;

internal static class Program
{
    private static int Main(string[] args)
    {
        switch (args)
        {
            case ["list"]:
                foreach (var t in Targets.All) Console.WriteLine($"{t.Name,-20} {t.Reads}");
                return 0;
            case ["seeds", var dir]:
                return Seeds.Write(dir, Targets.All);
            case ["seeds", var dir, var name] when Targets.Find(name) is { } one:
                return Seeds.Write(dir, [one]);
            case ["assemblies", var name] when Targets.Find(name) is { } t:
                Console.WriteLine(string.Join(' ', t.Assemblies));
                return 0;
            case ["replay", var name, .. var paths] when Targets.Find(name) is { } t && paths.Length > 0:
                return Replay(t, paths);
            case [var name] when Targets.Find(name) is { } t:
                Scratch.Name = t.Name;
                Fuzzer.OutOfProcess.Run(stream => t.Run(ReadAll(stream)));
                return 0;
            default:
                Console.Error.WriteLine("usage: Lineage.Fuzz TARGET | seeds OUTDIR [TARGET] | replay TARGET PATH... | assemblies TARGET | list");
                Console.Error.WriteLine("targets: " + string.Join(", ", Targets.All.Select(t => t.Name)));
                return 2;
        }
    }

    // The innermost Lineage method on the stack: where the reader let the exception out.
    private static string Where(Exception e)
    {
        var frame = (e.StackTrace ?? "").Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("at Lineage.", StringComparison.Ordinal) && !l.StartsWith("at Lineage.Fuzz.", StringComparison.Ordinal));
        if (frame is null) return "?";
        int source = frame.IndexOf(" in ", StringComparison.Ordinal);
        return (source < 0 ? frame : frame[..source])[3..];
    }

    private static string Clip(string message)
    {
        var line = message.ReplaceLineEndings(" ");
        return string.Concat((line.Length <= 200 ? line : line[..200] + "…").Select(c => char.IsControl(c) ? '?' : c));
    }

    private static byte[] ReadAll(Stream stream)
    {
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    // Runs saved inputs (afl-fuzz's crashes/ and hangs/) outside afl-fuzz: "loaded", the refusals, or the exception that escaped.
    private static int Replay(Target target, string[] paths)
    {
        Scratch.Name = target.Name + "-replay";
        Targets.Record = true;
        var files = paths.SelectMany(p => Directory.Exists(p) ? [.. Directory.GetFiles(p).Where(f => !f.EndsWith("README.txt", StringComparison.Ordinal)).Order(StringComparer.Ordinal)] : new[] { p }).ToList();
        int crashes = 0;
        foreach (var file in files)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            string outcome;
            try
            {
                Targets.Refusals.Clear();
                target.Run(File.ReadAllBytes(file));
                outcome = Targets.Refusals.Count == 0 ? "loaded" : "refused: " + string.Join(" | ", Targets.Refusals);
            }
#pragma warning disable CA1031 // a replay reports every escaping exception, whatever its type
            catch (Exception e)
#pragma warning restore CA1031
            {
                crashes++;
                outcome = $"CRASH {e.GetType().FullName} @ {Where(e)} | {Clip(e.Message)}";
            }

            Console.WriteLine($"{file}\t{clock.ElapsedMilliseconds} ms\t{outcome}");
        }

        Scratch.Delete();
        return crashes == 0 ? 0 : 1;
    }
}
