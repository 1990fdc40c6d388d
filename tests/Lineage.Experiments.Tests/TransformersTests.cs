using Lineage.Neural.Transformers.Training;
using Lineage.Data.Catalog;
using Lineage.Experiments.Transformers;

namespace Lineage.Experiments.Tests;

/// <summary>The transformers chapter on real Brown text, quick sizes.</summary>
public class TransformersTests
{
    [Fact]
    public void GptByteLm_Quick_BeatsUniformBytes_AndCachedGenerationIsIdentical()
    {
        if (!TestPaths.Has(DataCatalog.Brown)) return;                   // run-tests fetches it first
        using var dir = new TempFolder();
        var experiment = new GptByteLmExperiment();
        var context = new ExperimentContext(experiment.Info, seed: 7, quick: true, new DataStore(TestPaths.DataRoot),
            new ModelCache(Path.Combine(dir.Path, "models")), dir.Path, SilentProgress.Instance, CancellationToken.None);
        var r = TourRunner.RunOne(experiment, context);
        Assert.InRange(r.Metrics["bits_per_byte"], 0, 7);
        Assert.Equal(40, r.Metrics["steps"]);
        Assert.True(r.Claims.Single(c => c.Statement.Contains("exactly the bytes", StringComparison.Ordinal)).Passed);
        Assert.True(r.Metrics["kv_cache_speedup"] > 1.0, $"cache speedup {r.Metrics["kv_cache_speedup"]}");   // the claim's 1.5× bar is for the real run
        Assert.Equal(2, r.Tables.Count);
    }

    private static (int ExitCode, string Output) Cli(params string[] args) =>
        TestPaths.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "lineage.dll"), "--threads", "1", "--data", TestPaths.DataRoot, .. args]);

    private static ExperimentContext Quick(IExperiment experiment, TempFolder dir) =>
        new(experiment.Info, seed: 7, quick: true, new DataStore(TestPaths.DataRoot), new ModelCache(Path.Combine(dir.Path, "models")),
            dir.Path, SilentProgress.Instance, CancellationToken.None);

    [Fact]
    public void Archetypes_MasksMeasuredOnTheModels_AllClaimsHold()
    {
        using var dir = new TempFolder();
        var r = new ArchetypesExperiment().Run(Quick(new ArchetypesExperiment(), dir));

        Assert.All(r.Claims, c => Assert.True(c.Passed, c.Statement));
        Assert.Equal(7, r.Claims.Count);
        Assert.Equal(0, r.Metrics["gpt_moved_by_later_tokens"], 5);
        Assert.Equal(3, r.Tables[0].Rows.Count);
    }

    [Fact]
    public void T5Multitask_Quick_SpanCorruptionThenFourRealTasks_ScoresEach()
    {
        if (!new[] { DataCatalog.Brown, DataCatalog.CmuDict, DataCatalog.SpamAssassin, DataCatalog.LibreOfficeHelpEnglish, DataCatalog.LibreOfficeHelpGerman }.All(TestPaths.Has)) return;
        using var dir = new TempFolder();
        var experiment = new T5MultitaskExperiment();
        var r = TourRunner.RunOne(experiment, Quick(experiment, dir));

        Assert.Equal(80, r.Metrics["steps"]);   // 20 of span corruption, 60 of the tasks
        Assert.InRange(r.Metrics["pronounce_phoneme_error_rate"], 0, 10);
        Assert.InRange(r.Metrics["tag_token_accuracy"], 0, 1);
        Assert.InRange(r.Metrics["classify_accuracy"], 0, 1);
        Assert.InRange(r.Metrics["translate_chrf"], 0, 100);
        Assert.InRange(r.Metrics["translate_copy_chrf"], 10, 40);      // many technical words are shared
        Assert.True(r.Metrics["translate_memory_chrf"] > r.Metrics["translate_copy_chrf"]);
        Assert.True(r.Metrics["span_loss_after_pretraining"] < Math.Log(r.Metrics["vocabulary"]), "20 steps of span corruption lower the loss below uniform");
        Assert.InRange(r.Metrics["span_unigram_loss"], 2, Math.Log(r.Metrics["vocabulary"]));
        Assert.Equal(["pronounce:", "tag:", "classify:", "translate English to German:"], r.Tables[0].Rows.Select(row => row[0]));
        Assert.True(File.Exists(Path.Combine(dir.Path, experiment.Info.Id, "vocabulary", "spiece.model")));
        using var t5 = Lineage.Neural.Transformers.T5.Load(Path.Combine(dir.Path, experiment.Info.Id, "model"));
        Assert.True(File.Exists(Path.Combine(dir.Path, experiment.Info.Id, "model", "spiece.model")));
        var (code, output) = Cli("t5", "generate", "-m", Path.Combine(dir.Path, experiment.Info.Id, "model"), "-i", "pronounce: l i n e a g e");
        Assert.True(code == 0, output);
    }

    [Fact]
    public void BertRoberta_Quick_PretrainsBothRecipes_FineTunes_AndComparesWithTfidf()
    {
        if (!TestPaths.Has(DataCatalog.Brown) || !TestPaths.Has(DataCatalog.SpamAssassin)) return;
        using var dir = new TempFolder();
        var experiment = new BertRobertaExperiment();
        var r = TourRunner.RunOne(experiment, Quick(experiment, dir));

        Assert.All(r.Claims, c => Assert.True(c.Passed, c.Statement));
        foreach (var key in new[] { "bert_finetuned_accuracy", "roberta_finetuned_accuracy", "scratch_finetuned_accuracy", "tfidf_accuracy" })
            Assert.InRange(r.Metrics[key], 0.5, 1);
        Assert.True(File.Exists(Path.Combine(dir.Path, experiment.Info.Id, "bert", "vocab.txt")));
        Assert.True(File.Exists(Path.Combine(dir.Path, experiment.Info.Id, "roberta", "merges.txt")));
        var (roberta, isRoberta) = Lineage.Neural.Transformers.Bert.Load(Path.Combine(dir.Path, experiment.Info.Id, "roberta"));
        roberta.Dispose();
        Assert.True(isRoberta);

        // The CLI reads the folders the experiment wrote.
        var (code, output) = Cli("bert", "generate", "-m", Path.Combine(dir.Path, experiment.Info.Id, "bert"), "--text", "the [MASK] said", "--top", "3");
        Assert.True(code == 0, output);
        Assert.Contains("[MASK] 1:", output, StringComparison.Ordinal);
        (code, output) = Cli("roberta", "eval", "-m", Path.Combine(dir.Path, experiment.Info.Id, "roberta"));
        Assert.True(code == 0, output);
        Assert.Contains("masked-LM loss", output, StringComparison.Ordinal);
        (code, output) = Cli("bert", "eval", "-m", Path.Combine(dir.Path, experiment.Info.Id, "roberta"));
        Assert.Equal(2, code);
        Assert.Contains("RoBERTa", output, StringComparison.Ordinal);
    }
}
