// Each experiment of a tour started from the CLI runs in a process of its own.
//
// Why: in one long process the later training chapters ran far slower than alone (2026-12-04, fresh-clone tours: ViT
// 658-754 s in the tour against 330-560 s alone), and a chapter's native memory (libtorch's allocations, glibc's arenas
// and their fragmentation) stayed with the process for every chapter after it. A process per chapter starts each one
// from the same clean state, gives all its memory back when it ends, and keeps a native crash (a libtorch abort, a
// segfault) from ending the tour: it becomes that chapter's error. The cost is one process start per chapter (about a
// second). Each process keeps its freed memory (PeakMemory.KeptMemoryTunables), which one long process could not afford.
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Lineage.Experiments.Results;
using Lineage.Neural.Core;

namespace Lineage.Experiments;

/// <summary>
/// What a chapter's process is to run, handed to it as JSON in <see cref="ChapterProcess.ChildVariable"/>: the tour's
/// settings as they are, not rebuilt as command-line options.
/// </summary>
/// <param name="Id">The experiment's id.</param>
/// <param name="OutputDirectory">The process's own output folder (its tour goes in <c>tour/</c> under it).</param>
/// <param name="Quick">Tiny sizes for a smoke test.</param>
/// <param name="Retrain">Train even when the model cache has a matching model.</param>
/// <param name="Settings">The tour's run settings (seed, threads, data cache).</param>
public sealed record ChapterRequest(string Id, string OutputDirectory, bool Quick, bool Retrain, RunSettings Settings)
{
    /// <summary>The one-experiment tour the chapter's process runs.</summary>
    public TourOptions Tour => new(Path.Combine(OutputDirectory, "tour"), Settings with { Output = OutputDirectory }, Quick, Id, Retrain);
}

/// <summary>Runs one experiment in a child <c>lineage tour</c> process and relays its progress.</summary>
public static partial class ChapterProcess
{
    /// <summary>
    /// Set in a chapter's process to its <see cref="ChapterRequest"/> as JSON: it runs that one experiment itself and writes
    /// progress as protocol lines.
    /// </summary>
    public const string ChildVariable = "LINEAGE_TOUR_CHILD";

    /// <summary>Set to 1 to run every experiment in the tour's own process (what tests and embedders get anyway).</summary>
    public const string InProcessVariable = "LINEAGE_TOUR_IN_PROCESS";

    /// <summary>Start of a progress line on a chapter process's standard output; the rest of the line is JSON.</summary>
    public const string LinePrefix = "@lineage-progress ";

    /// <summary>
    /// Time a chapter's process gets to stop by itself after Ctrl-C or its time limit before it is killed (less than the
    /// CLI's 15-second termination timeout, so that the tour can still write its results after Ctrl-C).
    /// </summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Whether this process is a chapter's process.</summary>
    public static bool IsChild => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(ChildVariable));

    /// <summary>In a chapter's process, what the tour asked it to run; null in any other process.</summary>
    /// <exception cref="InvalidDataException">The variable does not hold a request; the message says so.</exception>
    public static ChapterRequest? Request()
    {
        var json = Environment.GetEnvironmentVariable(ChildVariable);
        if (string.IsNullOrEmpty(json)) return null;
        try
        {
            return JsonSerializer.Deserialize<ChapterRequest>(json, Json) is { Id.Length: > 0, Settings: not null } request ? request
                : throw new InvalidDataException($"{ChildVariable} holds no chapter request.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{ChildVariable} is not a chapter request: {e.Message}", e);
        }
    }

    /// <summary>
    /// A chapter's process: runs the request's one experiment on the request's settings, its progress written to
    /// <paramref name="output"/> as protocol lines (the tour prints the table). Returns the exit code: 130 after Ctrl-C, else 0.
    /// </summary>
    public static int RunChild(ChapterRequest request, TextWriter output, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(request);
        TourRunner.Run(request.Tour, new Writer(output), cancellation);
        return cancellation.IsCancellationRequested ? 130 : 0;
    }

    /// <summary>
    /// The host and lineage.dll to start chapters with, or null when experiments run in this process: not started as
    /// lineage.dll (tests), already a chapter's process, or <see cref="InProcessVariable"/> set.
    /// </summary>
    public static (string Host, string Entry)? Launcher()
    {
        if (IsChild || Environment.GetEnvironmentVariable(InProcessVariable) == "1") return null;
        var entry = System.Reflection.Assembly.GetEntryAssembly()?.Location;
        var host = Environment.ProcessPath;
        return entry is null || host is null || !string.Equals(Path.GetFileName(entry), "lineage.dll", StringComparison.OrdinalIgnoreCase)
            ? null : (host, entry);
    }

    /// <summary>
    /// Runs <paramref name="experiment"/> in a chapter process, relays its bars and messages to
    /// <paramref name="progress"/>, moves its output folder into the tour folder and returns its record, timed from
    /// the process's start. A process that ends without a record (crash, kill) gives an error or cancelled record
    /// with the end of its output.
    /// </summary>
    /// <param name="launcher">From <see cref="Launcher"/>.</param>
    /// <param name="experiment">The experiment.</param>
    /// <param name="options">The tour's settings (seed, threads, data, quick, retrain), handed to the process as JSON.</param>
    /// <param name="budget">Its budget in this mode.</param>
    /// <param name="limit">When the process is stopped (its own limit plus <see cref="Grace"/>); null for none.</param>
    /// <param name="progress">Where bars and messages go.</param>
    /// <param name="cancellation">Ctrl-C: the process is asked to stop (SIGINT), then killed after <see cref="Grace"/>.</param>
    public static ExperimentRecord Run((string Host, string Entry) launcher, IExperiment experiment, TourOptions options, TimeSpan budget,
        TimeSpan? limit, ITourProgress progress, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(options);
        var info = experiment.Info;
        ArgumentNullException.ThrowIfNull(progress);
        var outDir = Path.GetFullPath(options.OutputDirectory);
        var work = Path.Combine(outDir, $".{info.Id}.process");
        if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
        var start = new ProcessStartInfo(launcher.Host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(launcher.Entry);
        start.ArgumentList.Add("tour");
        var request = new ChapterRequest(info.Id, work, options.Quick, options.Retrain, options.Settings);
        start.Environment[ChildVariable] = JsonSerializer.Serialize(request, Json);
        // Freed memory stays in the heap for the chapter's life: steps reuse their pages instead of faulting them in again
        // (measured: the adding problem 251 → 127 s, ByteNet 50 → 29 s; see PeakMemory). A user's own settings win.
        // The chapter's own settings first, so they win over this default (a chapter that measures peak memory asks for
        // fresh mappings instead).
        if (experiment is INeedsProcessSettings settings) settings.Prepare(start.Environment);
        PeakMemory.AddTunables(start.Environment, PeakMemory.KeptMemoryTunables);

        var clock = Stopwatch.StartNew();
        var relay = new Relay(progress);
        var errors = new StringBuilder();
        int? exitCode = null;
        string? stopped = null;
        try
        {
            using var child = Process.Start(start) ?? throw new InvalidOperationException($"Could not start a process for {info.Id}.");
            child.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is null) return;
                lock (errors)
                {
                    errors.AppendLine(e.Data);
                    if (errors.Length > 16_000) errors.Remove(0, errors.Length - 8_000);
                }
            };
            child.BeginErrorReadLine();
            var reader = Task.Run(() =>
            {
                while (child.StandardOutput.ReadLine() is { } line) relay.Line(line);
            }, CancellationToken.None);

            using var timeUp = limit is { } l ? new CancellationTokenSource(l) : new CancellationTokenSource();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation, timeUp.Token);
            using (stop.Token.Register(() => Interrupt(child)))
            {
                long? asked = null;
                while (!child.WaitForExit(500))
                {
                    if (!stop.IsCancellationRequested) continue;
                    asked ??= Stopwatch.GetTimestamp();
                    if (Stopwatch.GetElapsedTime(asked.Value) > Grace) Kill(child);
                }

                child.WaitForExit();
            }

            stopped = cancellation.IsCancellationRequested ? "stopped by the user"
                : timeUp.IsCancellationRequested ? $"its process was stopped at its time limit ({limit!.Value.TotalMinutes:0.#} min)" : null;
            reader.Wait(TimeSpan.FromSeconds(10), CancellationToken.None);   // the rest of its output, after it ended
            exitCode = child.ExitCode;
        }
        finally
        {
            relay.Dispose();
        }

        var elapsed = clock.Elapsed;
        try
        {
            var record = TourResults.TryRead(Path.Combine(work, "tour", "results.json"))?.Experiments.FirstOrDefault(r => r.Id == info.Id);
            if (record is null)
            {
                string tail;
                lock (errors) tail = errors.ToString().Trim();
                if (tail.Length > 2000) tail = "…" + tail[^2000..];
                var why = stopped ?? $"its process ended with exit code {exitCode}{Signal(exitCode)} and no result";
                var status = stopped is null ? ExperimentStatus.Error : ExperimentStatus.Cancelled;
                return Failed(info, budget, elapsed, status, tail.Length == 0 ? why : $"{why}: {tail}");
            }

            var folder = Path.Combine(outDir, info.Id);
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            var made = Path.Combine(work, "tour", info.Id);
            if (Directory.Exists(made)) Directory.Move(made, folder);
            return record with { WallSeconds = Math.Round(elapsed.TotalSeconds, 2), OverBudget = elapsed > budget };
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>A record for an experiment whose process gave none.</summary>
    private static ExperimentRecord Failed(ExperimentInfo info, TimeSpan budget, TimeSpan wall, ExperimentStatus status, string error) =>
        new(info.Id, Families.Of(info.Family).Slug, info.Title, info.Paper.ToString(), info.Paper.Url, status,
            Math.Round(wall.TotalSeconds, 2), budget.TotalSeconds, wall > budget, "none",
            new Dictionary<string, double>(), [], [], [], [], error);

    private static string Signal(int? code) => code is > 128 and < 160 ? $" (signal {code - 128})" : "";

    // Ask first (SIGINT: the chapter stops between steps and writes its results), kill only when it does not.
    private static void Interrupt(Process child)
    {
        try
        {
            if (OperatingSystem.IsWindows() || SendSignal(child.Id, 2) != 0) Kill(child);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    private static void Kill(Process child)
    {
        try { child.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }   // already gone
    }

    [LibraryImport("libc.so.6", EntryPoint = "kill")]
    private static partial int SendSignal(int pid, int signal);

    /// <summary>One protocol line: a bar started, moved or ended, or a message.</summary>
    /// <param name="Op">"start", "report", "end" or "log".</param>
    /// <param name="Bar">Which bar (start, report, end).</param>
    /// <param name="Text">Description (start), status (report) or message (log).</param>
    /// <param name="Value">Total (start) or value (report).</param>
    private sealed record Message(string Op, int Bar = 0, string? Text = null, double Value = 0);

    /// <summary>
    /// A chapter process's progress: every bar and message as a line on standard output. Reports of a bar are sent at
    /// most ten times a second (the last one always), so a loop that reports every step does not flood the pipe.
    /// </summary>
    public sealed class Writer : ITourProgress
    {
        private readonly TextWriter output;
        private readonly Lock gate = new();
        private int bars;

        /// <summary>Writes to <paramref name="output"/>.</summary>
        public Writer(TextWriter output) => this.output = output;

        /// <inheritdoc />
        public IProgressTask Start(string description, double total)
        {
            int id;
            lock (gate) id = ++bars;
            Send(new Message("start", id, description, total));
            return new Bar(this, id);
        }

        /// <inheritdoc />
        public void Log(string message) => Send(new Message("log", Text: message));

        private void Send(Message message)
        {
            var line = LinePrefix + JsonSerializer.Serialize(message, Json);
            lock (gate)
            {
                output.WriteLine(line);
                output.Flush();
            }
        }

        private sealed class Bar(Writer writer, int id) : IProgressTask
        {
            private long lastSent;
            private (double Value, string? Status)? pending;

            public void Report(double value, string? status = null)
            {
                long now = Stopwatch.GetTimestamp();
                if (Stopwatch.GetElapsedTime(lastSent, now) < TimeSpan.FromMilliseconds(100))
                {
                    pending = (value, status ?? pending?.Status);
                    return;
                }

                pending = null;
                lastSent = now;
                writer.Send(new Message("report", id, status, value));
            }

            public void Dispose()
            {
                if (pending is { } p) writer.Send(new Message("report", id, p.Status, p.Value));
                writer.Send(new Message("end", id));
            }
        }
    }

    /// <summary>The tour's side: replays a chapter process's lines on the tour's progress; other lines become messages.</summary>
    private sealed class Relay(ITourProgress progress) : IDisposable
    {
        private readonly Dictionary<int, IProgressTask> bars = [];
        private readonly Lock gate = new();

        public void Line(string line)
        {
            lock (gate)
            {
                Message? m = null;
                if (line.StartsWith(LinePrefix, StringComparison.Ordinal))
                {
                    try { m = JsonSerializer.Deserialize<Message>(line.AsSpan(LinePrefix.Length), Json); }
                    catch (JsonException) { m = null; }
                }

                switch (m)
                {
                    case null:
                        if (line.Length > 0) progress.Log(line);
                        break;
                    case { Op: "start" }:
                        bars[m.Bar] = progress.Start(m.Text ?? "", m.Value);
                        break;
                    case { Op: "report" } when bars.TryGetValue(m.Bar, out var bar):
                        bar.Report(m.Value, m.Text);
                        break;
                    case { Op: "end" } when bars.Remove(m.Bar, out var ended):
                        ended.Dispose();
                        break;
                    case { Op: "log" }:
                        progress.Log(m.Text ?? "");
                        break;
                }
            }
        }

        public void Dispose()
        {
            lock (gate)
            {
                foreach (var bar in bars.Values) bar.Dispose();
                bars.Clear();
            }
        }
    }
}
