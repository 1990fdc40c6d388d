using System.Diagnostics;
using Lineage.Experiments.Results;

namespace Lineage.Experiments.Tests;

/// <summary>
/// Each chapter of a CLI tour in a process of its own: the progress protocol, a process that dies or runs past its
/// limit, and the real CLI end to end.
/// </summary>
public class ChapterProcessTests
{
    private static IExperiment Cells => ExperimentRegistry.Select("sequence.cells")[0];

    private static TourOptions Options(string outDir) => new(outDir, TestPaths.DataRoot, Seed: 7, Threads: 1, Quick: true);

    /// <summary>A "process" that is a shell script: it prints what <paramref name="body"/> says, as a chapter would.</summary>
    private static (string Host, string Entry) Script(string folder, string body)
    {
        var path = Path.Combine(folder, "chapter.sh");
        File.WriteAllText(path, body);
        return ("/bin/sh", path);
    }

    [Fact]
    public void Writer_Lines_AreReplayed_AndAProcessThatDiesGivesAnErrorWithItsLastWords()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var dir = new TempFolder();
        var lines = new StringWriter();
        var writer = new ChapterProcess.Writer(lines);
        writer.Log("loading");
        using (var bar = writer.Start("steps", 100))
        {
            for (int i = 1; i <= 100; i++) bar.Report(i, $"step {i}");   // fast reports: throttled, the last one kept
        }

        var protocol = Path.Combine(dir.Path, "protocol.txt");
        File.WriteAllText(protocol, lines.ToString());
        Assert.True(lines.ToString().Split('\n').Length < 20, lines.ToString());
        var launcher = Script(dir.Path, $"cat '{protocol}'\necho 'a plain line'\necho 'native crash here' >&2\nexit 3\n");

        var seen = new RecordingProgress();
        var record = ChapterProcess.Run(launcher, Cells, Options(Path.Combine(dir.Path, "tour")), TimeSpan.FromSeconds(5), null, seen, CancellationToken.None);

        Assert.Equal(ExperimentStatus.Error, record.Status);
        Assert.Contains("exit code 3", record.Error, StringComparison.Ordinal);
        Assert.Contains("native crash here", record.Error, StringComparison.Ordinal);
        Assert.Equal("sequence.cells", record.Id);
        Assert.Equal(["loading", "a plain line"], seen.Messages);
        var (name, total, values, ended) = Assert.Single(seen.Bars);
        Assert.Equal("steps", name);
        Assert.Equal(100, total);
        Assert.Equal((100.0, "step 100"), values[^1]);
        Assert.True(ended);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "tour", ".sequence.cells.process")));
    }

    [Fact]
    public void ChapterProcesses_KeepFreedMemory_AndTheScalingChapterHasOneArena()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var dir = new TempFolder();
        var launcher = Script(dir.Path, "echo \"tunables $GLIBC_TUNABLES\"\n");
        var seen = new RecordingProgress();
        ChapterProcess.Run(launcher, Cells, Options(Path.Combine(dir.Path, "tour")), TimeSpan.FromSeconds(5), null, seen, CancellationToken.None);
        var scaling = ExperimentRegistry.Select("long-context.scaling")[0];
        ChapterProcess.Run(launcher, scaling, Options(Path.Combine(dir.Path, "tour")), TimeSpan.FromSeconds(5), null, seen, CancellationToken.None);

        var cells = seen.Messages[0].Split(' ')[1].Split(':');
        Assert.Contains("glibc.malloc.mmap_max=0", cells);
        Assert.DoesNotContain("glibc.malloc.arena_max=1", cells);
        Assert.Contains("glibc.malloc.arena_max=1", seen.Messages[1].Split(' ')[1].Split(':'));
    }

    [Theory]
    [InlineData("vision.complexity")]
    [InlineData("attention-kernels.flash")]
    [InlineData("lineage.tasks")]
    public void ChaptersThatMeasurePeaks_GetFreshMappings_InsteadOfKeptMemory(string id)
    {
        if (!OperatingSystem.IsLinux()) return;
        using var dir = new TempFolder();
        var launcher = Script(dir.Path, "echo \"tunables $GLIBC_TUNABLES\"\n");
        var seen = new RecordingProgress();
        var chapter = ExperimentRegistry.Select(id)[0];
        ChapterProcess.Run(launcher, chapter, Options(Path.Combine(dir.Path, "tour")), TimeSpan.FromSeconds(5), null, seen, CancellationToken.None);

        var tunables = seen.Messages[0].Split(' ')[1].Split(':');
        Assert.Contains("glibc.malloc.arena_max=1", tunables);
        Assert.Contains("glibc.malloc.mmap_threshold=65536", tunables);
        Assert.Contains("glibc.malloc.mmap_max=65536", tunables);
        Assert.DoesNotContain("glibc.malloc.mmap_max=0", tunables);   // the chapter's setting wins over the tour's default
    }

    [Fact]
    public void AProcessPastItsLimit_IsStopped_AndRecordedAsCancelled()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var dir = new TempFolder();
        var launcher = Script(dir.Path, "exec sleep 60\n");
        var clock = Stopwatch.StartNew();
        var record = ChapterProcess.Run(launcher, Cells, Options(Path.Combine(dir.Path, "tour")), TimeSpan.FromSeconds(1),
            TimeSpan.FromSeconds(1), new RecordingProgress(), CancellationToken.None);
        Assert.Equal(ExperimentStatus.Cancelled, record.Status);
        Assert.Contains("time limit", record.Error, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.5, ChapterProcess.Grace.TotalSeconds + 5);
    }

    [Fact]
    public void CliTour_RunsTheChapterInItsOwnProcess_AndKeepsItsReport()
    {
        using var dir = new TempFolder();
        var (code, output) = TestPaths.Run("dotnet", Path.Combine(AppContext.BaseDirectory, "lineage.dll"),
            "tour", "--quick", "--only", "sequence.cells", "-o", dir.Path, "--threads", "1");
        Assert.True(code == 0, output);
        Assert.Contains("sequence.cells: passed in", output, StringComparison.Ordinal);
        Assert.Contains("in its own process", output, StringComparison.Ordinal);
        var tour = Path.Combine(dir.Path, "tour");
        var record = Assert.Single(TourResults.TryRead(Path.Combine(tour, "results.json"))!.Experiments);
        Assert.Equal(ExperimentStatus.Passed, record.Status);
        Assert.NotEmpty(record.Claims);
        Assert.True(Directory.Exists(Path.Combine(tour, "sequence.cells")));
        Assert.All(record.Plots, p => Assert.True(File.Exists(Path.Combine(tour, p.File)), p.File));
        Assert.DoesNotContain(Directory.GetDirectories(tour), d => Path.GetFileName(d).StartsWith('.'));
    }

    private sealed class RecordingProgress : ITourProgress
    {
        public List<string> Messages { get; } = [];

        public List<(string Name, double Total, List<(double, string?)> Values, bool Ended)> Bars { get; } = [];

        public IProgressTask Start(string description, double total)
        {
            Bars.Add((description, total, [], false));
            return new Bar(this, Bars.Count - 1);
        }

        public void Log(string message) => Messages.Add(message);

        private sealed class Bar(RecordingProgress owner, int index) : IProgressTask
        {
            public void Report(double value, string? status = null) => owner.Bars[index].Values.Add((value, status));

            public void Dispose() => owner.Bars[index] = owner.Bars[index] with { Ended = true };
        }
    }
}
