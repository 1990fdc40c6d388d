using System.Text.Json;
using Lineage.Data.Catalog;
using Lineage.Neural.Core;

namespace Lineage.Experiments.Tests;

/// <summary>
/// One RunSettings: its JSON round trip, the one meaning of <c>--threads 0</c>, experiments' thread caps, and the same
/// settings in a chapter's process as in the tour that started it.
/// </summary>
public class RunSettingsTests
{
    /// <summary>The experiments that ran on one libtorch thread before the caps were declared (each had TorchThreads.AtMost(1)).</summary>
    private static readonly string[] CappedAtOne =
    [
        "action.vla", "attention-kernels.flash", "lineage.tasks", "long-context.exactness", "long-context.lm", "long-context.recall", "long-context.scaling",
        "sequence.adding", "sequence.bytenet", "sequence.cells", "sequence.vanishing",
        "transformers.archetypes", "transformers.bert", "transformers.gpt", "transformers.t5",
    ];

    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Fact]
    public void Json_RoundTrips_EveryField()
    {
        var settings = new RunSettings { Seed = 7, Threads = 3, Device = "cpu", DataRoot = "/data/cache", Output = "somewhere", Quiet = true };
        var back = RunSettings.FromJson(settings.ToJson());
        Assert.Equal(settings, back);
        Assert.Equal(3, back.Threads);
        Assert.Equal("/data/cache", back.DataRoot);
        Assert.True(back.Quiet);
        Assert.Equal(new RunSettings().Seed, RunSettings.FromJson("{}").Seed);
        Assert.Throws<InvalidDataException>(() => RunSettings.FromJson("not json"));
    }

    [Fact]
    public void ThreadsZero_MeansOnePerCore_AndACapNeverRaisesTheCount()
    {
        Assert.Equal(Environment.ProcessorCount, new RunSettings { Threads = 0 }.Threads);
        Assert.Equal(Environment.ProcessorCount, new RunSettings().Threads);
        Assert.Equal(Environment.ProcessorCount, RunSettings.FromJson("""{"threads":0}""").Threads);
        Assert.Equal(Environment.ProcessorCount, new TourOptions("out", "data", Threads: 0).Threads);
        Assert.Throws<ArgumentOutOfRangeException>(() => new RunSettings { Threads = -1 });

        var four = new RunSettings { Threads = 4 };
        Assert.Equal(1, four.WithThreadCap(1).Threads);
        Assert.Equal(4, four.WithThreadCap(8).Threads);
        Assert.Equal(4, four.WithThreadCap(0).Threads);
        Assert.Same(four, four.WithThreadCap(4));

        TorchRuntime.Apply(new RunSettings { Threads = 0 });
        Assert.Equal(Environment.ProcessorCount, TorchRuntime.Threads);
    }

    [Fact]
    public void Device_IsCpu_AndAnyOtherNameIsRefusedInOneLine()
    {
        Assert.Equal("cpu", new RunSettings().Device);
        Assert.Equal("cpu", new RunSettings { Device = "CPU" }.Device);
        Assert.Equal("cpu", RunSettings.FromJson("""{"device":"cpu"}""").Device);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new RunSettings { Device = "cuda" });
        Assert.StartsWith("--device cuda: ", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Throws<InvalidDataException>(() => RunSettings.FromJson("""{"device":"cuda"}"""));
    }

    [Fact]
    public void ThreadCaps_AreTheOnesTheExperimentsHardCoded_EachWithItsReason()
    {
        var capped = ExperimentRegistry.All.Where(e => ThreadCapAttribute.Of(e.GetType()) is not null).Select(e => e.Info.Id).Order(StringComparer.Ordinal);
        Assert.Equal(CappedAtOne, capped);
        Assert.All(CappedAtOne, id =>
        {
            var cap = ExperimentRegistry.ThreadCap(id)!;
            Assert.Equal(1, cap.Threads);
            Assert.False(string.IsNullOrWhiteSpace(cap.Reason));
        });
    }

    [Fact]
    public void Context_CarriesTheSettings_CappedAsTheExperimentDeclares()
    {
        using var dir = new TempFolder();
        var data = new DataStore(TestPaths.DataRoot);
        var models = new ModelCache(Path.Combine(dir.Path, "models"));
        var two = new RunSettings { Seed = 11, Threads = 2, DataRoot = data.Root };
        ExperimentContext For(string id, RunSettings settings) =>
            new(ExperimentRegistry.Select(id)[0].Info, settings, quick: true, data, models, dir.Path, new NullProgress(), CancellationToken.None);

        var cells = For("sequence.cells", two);
        Assert.Equal(1, cells.Threads);
        Assert.Equal(11, cells.Seed);
        Assert.Equal(2, For("foundations.mlp", two).Threads);
        Assert.Equal(1, For("foundations.mlp", two with { Threads = 1 }).Threads);
    }

    [Fact]
    public void ChapterProcess_GetsTheTourSettingsAsJson_NotAsRebuiltOptions()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var dir = new TempFolder();
        var script = Path.Combine(dir.Path, "chapter.sh");
        File.WriteAllText(script, "printf '%s\\n' \"$LINEAGE_TOUR_CHILD\"\necho \"args: $*\"\n");
        var options = new TourOptions(Path.Combine(dir.Path, "tour"), TestPaths.DataRoot, Seed: 7, Threads: 1, Quick: true, Retrain: true);
        var seen = new NullProgress();
        ChapterProcess.Run(("/bin/sh", script), ExperimentRegistry.Select("foundations.mlp")[0], options, TimeSpan.FromSeconds(5), null, seen, CancellationToken.None);

        var request = JsonSerializer.Deserialize<ChapterRequest>(seen.Messages[0], Web)!;
        Assert.Equal(options.Settings, request.Settings);
        Assert.Equal(1, request.Settings.Threads);
        Assert.Equal(7, request.Settings.Seed);
        Assert.Equal("foundations.mlp", request.Id);
        Assert.True(request.Quick);
        Assert.True(request.Retrain);
        Assert.Equal("args: tour", seen.Messages[1]);   // no options rebuilt on the command line
    }

    [Fact]
    public void CliTour_ThreadsOne_ReachesTheExperimentInItsProcess()
    {
        if (!TestPaths.Has(DataCatalog.SpamAssassin)) return;
        using var dir = new TempFolder();
        var (code, output) = TestPaths.Run("dotnet", Path.Combine(AppContext.BaseDirectory, "lineage.dll"),
            "tour", "--quick", "--only", "encodings.onehot", "-o", dir.Path, "--threads", "1");
        Assert.True(code == 0, output);
        Assert.Contains("in its own process", output, StringComparison.Ordinal);
        Assert.Contains("encodings.onehot: 1 thread\n", output.ReplaceLineEndings("\n"), StringComparison.Ordinal);   // logged by the chapter's process
    }

    private sealed class NullProgress : ITourProgress
    {
        public List<string> Messages { get; } = [];

        public IProgressTask Start(string description, double total) => new Bar();

        public void Log(string message) => Messages.Add(message);

        private sealed class Bar : IProgressTask
        {
            public void Report(double value, string? status = null)
            {
            }

            public void Dispose()
            {
            }
        }
    }
}
