using Lineage.Data.Catalog;
using Lineage.Data.Corpora;
using Lineage.Experiments.Embeddings;
using Lineage.Experiments.Results;
using Lineage.Text.Embeddings;
using Lineage.Text.Embeddings.Vectors;
using Lineage.Text.Embeddings.Word2Vec;

namespace Lineage.Experiments.Tests;

/// <summary>The embeddings chapter: its quick run, and its claim on the default corpus.</summary>
public class EmbeddingsTests
{
    [Fact]
    public void QuickRun_WritesTablesAndPlots_AndSaysTheQueenClaimIsNotChecked()
    {
        if (!TestPaths.Has(DataCatalog.Brown)) return;               // run-tests fetches it first
        using var dir = new TempFolder();
        var outDir = Path.Combine(dir.Path, "tour");
        var results = TourRunner.Run(new TourOptions(outDir, TestPaths.DataRoot, Seed: 7, Threads: 2, Quick: true, Only: "embeddings", Retrain: true),
            SilentProgress.Instance, CancellationToken.None);
        var e = Assert.Single(results.Experiments);
        Assert.True(e.Status == ExperimentStatus.Passed, e.Error);
        Assert.Empty(e.Claims);                                       // quick: no claim is faked
        Assert.Contains(e.Notes, n => n.Contains("NOT checked", StringComparison.Ordinal));
        Assert.InRange(e.Metrics["corpus_words"], 900_000, 1_100_000);
        Assert.True(e.Metrics["word2vec_words_per_second"] > 0);
        Assert.Contains(e.Tables, t => t.Title.StartsWith("Our analogy set", StringComparison.Ordinal));
        Assert.All(e.Plots, p => Assert.True(File.Exists(Path.Combine(outDir, p.File)), p.File));
        Assert.Contains(e.Plots, p => p.File.EndsWith("pca-word2vec.png", StringComparison.Ordinal));
    }

    [Fact]
    public void AnalogySet_IsEmbeddedAndWellFormed()
    {
        var lines = WordEmbeddingsExperiment.ReadAnalogySet();
        Assert.Equal(5, lines.Count(l => l.StartsWith(':')));
        Assert.All(lines.Where(l => l.Length > 0 && !l.StartsWith(':') && !l.StartsWith('#')), l => Assert.Equal(4, l.Split(' ').Length));
    }

    [Fact]
    public void Pca2_RecoversTheDominantDirection()
    {
        // Points on a line along (1, 1, 0) plus a small second direction: PC1 separates them by position on the line.
        var rows = Enumerable.Range(0, 6).Select(i => new float[] { i, i, i % 2 * 0.1f }).ToList();
        var projected = WordEmbeddingsExperiment.Pca2(rows);
        var xs = projected.Select(p => Math.Abs(p.X)).ToList();
        Assert.True(xs[0] > xs[2] && xs[5] > xs[3]);
        Assert.True(projected.All(p => Math.Abs(p.Y) < 0.2));
    }

    /// <summary>
    /// The chapter's claim on the default corpus (GCIDE + WordNet + SOTU + Brown, ~8.7 M words). The tour trains
    /// skip-gram for 5 epochs (minutes); to keep CI short this test trains CBOW for 3 epochs (about a minute on
    /// 2 cores), which on this corpus also puts queen first.
    /// </summary>
    [Fact]
    [Trait("Category", "Slow")]
    public void KingMinusManPlusWoman_HasQueenInTop5_OnTheDefaultCorpus()
    {
        var specs = new[] { DataCatalog.Gcide, DataCatalog.WordNet, DataCatalog.StateOfTheUnion, DataCatalog.Brown };
        if (!specs.All(TestPaths.Has)) return;                       // run-tests fetches them first
        var store = new DataStore(TestPaths.DataRoot);
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "corpus.txt");
        EnglishBundle.Write(path,
        [
            ("gcide", EnglishBundle.GcideParagraphs(store.PathOf(DataCatalog.Gcide)), 0),
            ("wordnet", EnglishBundle.WordNetSynsets(store.PathOf(DataCatalog.WordNet)), 0),
            ("sotu", EnglishBundle.SotuParagraphs(store.PathOf(DataCatalog.StateOfTheUnion)), 0),
            ("brown", EnglishBundle.BrownSentences(store.PathOf(DataCatalog.Brown)), 0),
        ]);
        var model = Word2VecTrainer.Train(path, new Word2VecOptions
        {
            Architecture = Word2VecArchitecture.Cbow, Epochs = 3, Threads = Environment.ProcessorCount, Seed = 7,
        });
        var vectors = model.ToWordVectors();
        var top5 = vectors.MostSimilar(["king", "woman"], ["man"], topN: 5).Select(s => s.Word).ToList();
        Assert.True(top5.Contains("queen"), $"top 5 of king − man + woman: {string.Join(", ", top5)}");
        var report = VectorEvaluation.EvaluateAnalogies(vectors, WordEmbeddingsExperiment.ReadAnalogySet(), "lineage-analogies.txt", restrictVocab: 30_000);
        Assert.True(report.Total.Accuracy > 0.25, $"analogy accuracy {report.Total.Accuracy:P1}");
    }
}
