// Word2Vec and GloVe on the general-English bundle (GCIDE + WordNet + State of the Union + Brown, ~8.6 M words):
//   seed → require data → model-cache lookup → build the corpus, train both (progress bars, cancellable)
//   → nearest neighbours, king − man + woman, our analogy set, a PCA plot of gender/royalty pairs → claims.
using System.Globalization;
using System.Text.Json;
using Lineage.Data.Catalog;
using Lineage.Data.Corpora;
using Lineage.Experiments.Report;
using Lineage.Experiments.Results;
using Lineage.Text.Embeddings;
using Lineage.Text.Embeddings.Glove;
using Lineage.Text.Embeddings.Vectors;
using Lineage.Text.Embeddings.Word2Vec;
using Lineage.Text.IO;

namespace Lineage.Experiments.Embeddings;

/// <summary>What the embeddings experiment trains with; part of the model-cache key.</summary>
/// <param name="Sources">Data set ids the corpus is built from.</param>
/// <param name="MaxWords">Corpus word limit (0: all).</param>
/// <param name="Word2Vec">Word2Vec options (threads and checkpoint excluded from the key by <see cref="ForKey"/>).</param>
/// <param name="Glove">GloVe options.</param>
public sealed record EmbeddingSettings(IReadOnlyList<string> Sources, long MaxWords, Word2VecOptions Word2Vec, GloveOptions Glove)
{
    /// <summary>The real run: the whole bundle; skip-gram with negative sampling, 5 epochs; GloVe 10 epochs.</summary>
    public static EmbeddingSettings Default(int seed) => new(
        ["gcide", "wordnet", "sotu", "brown"], 0,
        new Word2VecOptions { Dimensions = 100, Window = 5, Negative = 5, Sample = 1e-3, MinCount = 5, Epochs = 5, Seed = seed },
        new GloveOptions { Dimensions = 100, Window = 10, XMax = 100, Alpha = 0.75, Epochs = 10, MinCount = 5, Seed = seed, MemoryMb = 1024 });

    /// <summary>Smoke-test sizes: Brown alone (1 M words), 3 and 5 epochs; too small for the queen claim.</summary>
    public static EmbeddingSettings Quick(int seed) => new(
        ["brown"], 0,
        new Word2VecOptions { Dimensions = 50, Window = 5, Negative = 5, Sample = 1e-3, MinCount = 5, Epochs = 3, Seed = seed },
        new GloveOptions { Dimensions = 50, Window = 10, XMax = 100, Alpha = 0.75, Epochs = 5, MinCount = 5, Seed = seed, MemoryMb = 256 });

    /// <summary>The settings with machine-dependent values (threads) removed, for the cache key.</summary>
    public object ForKey() => new { Sources, MaxWords, Word2Vec = Word2Vec with { Threads = 0 }, Glove = Glove with { Threads = 0 } };
}

/// <summary>Corpus size and training costs, stored with the cached models.</summary>
public sealed record EmbeddingTrainingStats(long CorpusWords, long CorpusLines, Dictionary<string, long> WordsBySource, int Vocabulary,
    double Word2VecSeconds, double Word2VecWordsPerSecond, double GloveCountSeconds, double GloveTrainSeconds, int GloveEntries, List<double> GloveCosts, int Threads);

/// <summary>Word2Vec and GloVe learn king − man + woman ≈ queen from 8.6 M words of real English.</summary>
public sealed class WordEmbeddingsExperiment : IExperiment
{
    /// <summary>The claim's bar: queen within the first five answers.</summary>
    public const int QueenRankBar = 5;

    /// <summary>Words whose neighbours the report shows.</summary>
    public static readonly string[] ProbeWords = ["king", "woman", "france", "war", "music", "good", "ship", "eat"];

    /// <summary>Pairs in the PCA plot.</summary>
    public static readonly (string, string)[] GenderPairs =
        [("man", "woman"), ("king", "queen"), ("prince", "princess"), ("boy", "girl"), ("father", "mother"), ("husband", "wife"), ("brother", "sister"), ("son", "daughter"), ("uncle", "aunt")];

    /// <inheritdoc />
    public ExperimentInfo Info { get; } = new(
        Id: "embeddings.word2vec-glove",
        Family: Family.Embeddings,
        Title: "Word2Vec and GloVe learn king − man + woman ≈ queen",
        Summary: "Skip-gram with negative sampling and GloVe, both written in plain C# with SIMD, trained on 8.6 M words of real English " +
                 "(GCIDE, WordNet, State of the Union, Brown); nearest neighbours, analogies and a PCA view of the gender offset.",
        Paper: Papers.Mikolov2013,
        Budget: TimeSpan.FromMinutes(3.25),   // fresh-VM tour 2026-12-04: 175 s
        QuickBudget: TimeSpan.FromMinutes(1));

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Quick ? EmbeddingSettings.Quick(context.Seed) : EmbeddingSettings.Default(context.Seed);
        int threads = context.Threads;
        var specs = settings.Sources.Select(DataCatalog.Get).ToList();
        var dirs = specs.ToDictionary(s => s.Id, context.Require);
        var manifests = specs.Select(s => context.Data.Check(s).Manifest!).ToList();
        var result = context.Result();
        var cache = context.Models.Entry(Info.Id, settings.ForKey(), manifests);
        WordVectors w2v, glove;
        EmbeddingTrainingStats stats;
        if (cache.CanReuse)
        {
            w2v = VectorFiles.Load(cache.Path("word2vec.bin"), VectorFormat.Word2VecBinary);
            glove = VectorFiles.Load(cache.Path("glove.bin"), VectorFormat.Word2VecBinary);
            stats = JsonSerializer.Deserialize<EmbeddingTrainingStats>(File.ReadAllText(cache.Path("stats.json")))
                    ?? throw new InvalidDataException($"{cache.Path("stats.json")}: empty");
            result.Model = ModelOrigin.Reused;
            context.Progress.Log($"{Info.Id}: reusing the trained vectors {cache.Key} (same data, settings and code)");
        }
        else
        {
            (w2v, glove, stats) = Train(context, settings, dirs, threads);
            cache.Store(dir =>
            {
                VectorFiles.Save(w2v, Path.Combine(dir, "word2vec.bin"), VectorFormat.Word2VecBinary);
                VectorFiles.Save(glove, Path.Combine(dir, "glove.bin"), VectorFormat.Word2VecBinary);
                AtomicFile.WriteAllText(Path.Combine(dir, "stats.json"), JsonSerializer.Serialize(stats));
            });
            result.Model = ModelOrigin.Trained;
        }

        result.Metric("corpus_words", stats.CorpusWords)
              .Metric("vocabulary", stats.Vocabulary)
              .Metric("word2vec_train_seconds", stats.Word2VecSeconds)
              .Metric("word2vec_words_per_second", stats.Word2VecWordsPerSecond)
              .Metric("glove_count_seconds", stats.GloveCountSeconds)
              .Metric("glove_train_seconds", stats.GloveTrainSeconds)
              .Metric("glove_entries", stats.GloveEntries)
              .Metric("threads", stats.Threads);

        Analogy(context, result, w2v, glove);
        Neighbours(result, w2v, glove);
        AnalogySet(result, w2v, glove);
        Pca(context, result, w2v, "word2vec");
        Pca(context, result, glove, "glove");
        if (stats.GloveCosts.Count > 1)
        {
            Plots.Lines(context.OutputFile("glove-cost.png"), "GloVe: weighted least-squares cost per epoch", "epoch", "J / entries",
                new Series("cost", Enumerable.Range(1, stats.GloveCosts.Count).Select(e => (double)e).ToList(), stats.GloveCosts));
            result.Plot(context.RelativeOutput("glove-cost.png"), "GloVe's AdaGrad fit: mean weighted cost after each epoch");
        }

        result.Table("Corpus: words per source (lower-cased, letters and inner apostrophes)", ["source", "words"],
            stats.WordsBySource.Select(kv => (IReadOnlyList<string>)[kv.Key, kv.Value.ToString("N0", CultureInfo.InvariantCulture)]));
        result.Note("Both models are hand-written SGD loops over shared float arrays (Hogwild threads, System.Numerics SIMD), with no deep-learning library. " +
                    "docs/embeddings.md compares their speed and accuracy with fastText and gensim on the same corpus.");
        result.Note("Embeddings give one vector per word type: 'bank' of a river and 'bank' of money share it. The sequence and transformer chapters " +
                    "build vectors that depend on the context.");
        return result;
    }

    private static (WordVectors W2v, WordVectors Glove, EmbeddingTrainingStats Stats) Train(ExperimentContext context, EmbeddingSettings settings,
        Dictionary<string, string> dirs, int threads)
    {
        var corpusPath = context.OutputFile("corpus.txt");
        try
        {
            var sources = settings.Sources.Select(id => EnglishBundle.Source(id, dirs[id])).ToList();

            context.Progress.Log($"{context.Info.Id}: building the corpus from {string.Join(", ", settings.Sources)}");
            var summary = EnglishBundle.Write(corpusPath, sources, settings.MaxWords, context.Cancellation);
            var corpus = EmbeddingCorpus.FromFile(corpusPath, new CorpusOptions(settings.Word2Vec.MinCount), context.Cancellation);

            var w2vOptions = settings.Word2Vec with { Threads = threads };
            Word2VecModel w2v;
            using (var bar = context.Progress.Start("Word2Vec skip-gram", (double)corpus.Tokens.Length * w2vOptions.Epochs))
            {
                w2v = Word2VecTrainer.Train(corpus, w2vOptions, new SyncProgress<EmbeddingProgress>(p => bar.Report(p.WordsProcessed,
                    string.Create(CultureInfo.InvariantCulture, $"epoch {p.Epoch}/{p.Epochs}, {p.WordsPerSecond / 1000:0}k words/s, lr {p.Alpha:0.0000}"))), context.Cancellation);
            }

            var gloveOptions = settings.Glove with { Threads = threads };
            var gloveCorpus = EmbeddingCorpus.FromFile(corpusPath, new CorpusOptions(gloveOptions.MinCount, 0, int.MaxValue), context.Cancellation);
            GloveModel glove;
            using (var bar = context.Progress.Start("GloVe (count, then AdaGrad)", 1))
            {
                glove = GloveTrainer.Train(gloveCorpus, gloveOptions, new SyncProgress<EmbeddingProgress>(p => bar.Report((double)p.WordsProcessed / p.WordsTotal,
                    string.Create(CultureInfo.InvariantCulture, $"epoch {p.Epoch}/{p.Epochs}"))), context.Cancellation);
            }

            var stats = new EmbeddingTrainingStats(summary.Words, summary.Lines, summary.WordsBySource.ToDictionary(), corpus.Vocabulary.Count,
                w2v.TrainSeconds, w2v.WordsPerSecond, glove.CountSeconds, glove.TrainSeconds, glove.Entries, glove.EpochCosts, threads);
            return (w2v.ToWordVectors(), glove.ToWordVectors(), stats);
        }
        finally
        {
            File.Delete(corpusPath); // 50 MB, rebuilt from the data cache when needed
        }
    }

    private static string Rank(WordVectors v, string a, string b, string c, string expected, out int rank)
    {
        rank = 0;
        if (!new[] { a, b, c, expected }.All(v.Contains))
        {
            return "(a word is out of the vocabulary)";
        }

        var answers = v.MostSimilar([b, c], [a], topN: 100);
        rank = answers.Select(s => s.Word).ToList().IndexOf(expected) + 1;
        return string.Join(", ", answers.Take(5).Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Word} ({s.Score:0.00})")));
    }

    private static void Analogy(ExperimentContext context, ExperimentResult result, WordVectors w2v, WordVectors glove)
    {
        var rows = new List<IReadOnlyList<string>>();
        foreach (var (name, v) in new[] { ("word2vec", w2v), ("glove", glove) })
        {
            var top = Rank(v, "man", "king", "woman", "queen", out int rank);
            rows.Add([name, top, rank == 0 ? "not in top 100" : rank.ToString(CultureInfo.InvariantCulture)]);
            result.Metric($"{name}_queen_rank", rank == 0 ? 101 : rank);
            if (context.Quick)
            {
                continue;
            }

            result.ClaimAtMost($"{name}: queen is in the top {QueenRankBar} of king − man + woman (rank)", rank == 0 ? 101 : rank, QueenRankBar);
        }

        if (context.Quick)
        {
            result.Note("QUICK RUN: the queen claim is NOT checked. Brown alone (1 M words, 41 'queen') is too small to learn it (DATA.md); the real run trains on 8.6 M words.");
        }

        foreach (var (a, b, c, d) in new[] { ("man", "prince", "woman", "princess"), ("man", "husband", "woman", "wife"), ("man", "boy", "woman", "girl"), ("france", "paris", "italy", "rome") })
        {
            foreach (var (name, v) in new[] { ("word2vec", w2v), ("glove", glove) })
            {
                var top = Rank(v, a, b, c, d, out int rank);
                rows.Add([$"{name}: {b} − {a} + {c} (expect {d})", top, rank == 0 ? "not in top 100" : rank.ToString(CultureInfo.InvariantCulture)]);
            }
        }

        result.Table("king − man + woman and other analogies (3CosAdd, query words excluded)", ["model / query", "top 5 (cosine)", "rank of the expected word"], rows);
    }

    private static void Neighbours(ExperimentResult result, WordVectors w2v, WordVectors glove)
    {
        var rows = new List<IReadOnlyList<string>>();
        foreach (var word in ProbeWords)
        {
            string Near(WordVectors v) => v.Contains(word) ? string.Join(", ", v.MostSimilar(word, 6).Select(s => s.Word)) : "(not in the vocabulary)";
            rows.Add([word, Near(w2v), Near(glove)]);
        }

        result.Table("Nearest neighbours by cosine similarity", ["word", "word2vec", "glove"], rows);
    }

    private static void AnalogySet(ExperimentResult result, WordVectors w2v, WordVectors glove)
    {
        var lines = ReadAnalogySet();
        var reports = new[] { ("word2vec", w2v), ("glove", glove) }
            .Select(m => (m.Item1, VectorEvaluation.EvaluateAnalogies(m.Item2, lines, "lineage-analogies.txt", restrictVocab: 30_000))).ToList();
        var rows = new List<IReadOnlyList<string>>();
        var sections = reports[0].Item2.Sections.Select(s => s.Section).Append("Total accuracy").ToList();
        foreach (var section in sections)
        {
            var row = new List<string> { section };
            foreach (var (_, r) in reports)
            {
                var s = r.Sections.Append(r.Total).First(x => x.Section == section);
                row.Add(string.Create(CultureInfo.InvariantCulture, $"{s.Accuracy:P1} of {s.Correct + s.Incorrect}"));
            }

            rows.Add(row);
        }

        foreach (var (name, r) in reports)
        {
            result.Metric($"{name}_analogy_accuracy", r.Total.Accuracy).Metric($"{name}_analogy_oov", r.OovRatio);
        }

        result.Table("Our analogy set (src/Lineage.Experiments/Embeddings/lineage-analogies.txt; 3CosAdd among the 30,000 most frequent words, as gensim scores it)",
            ["section", "word2vec", "glove"], rows);
    }

    /// <summary>The analogy set written for this chapter (questions-words format).</summary>
    public static IReadOnlyList<string> ReadAnalogySet()
    {
        using var stream = typeof(WordEmbeddingsExperiment).Assembly.GetManifestResourceStream("Lineage.Experiments.Embeddings.lineage-analogies.txt")
            ?? throw new InvalidOperationException("the analogy set is not embedded in the assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n');
    }

    private static void Pca(ExperimentContext context, ExperimentResult result, WordVectors v, string name)
    {
        var pairs = GenderPairs.Where(p => v.Contains(p.Item1) && v.Contains(p.Item2)).ToList();
        if (pairs.Count < 2)
        {
            return;
        }

        var words = pairs.SelectMany(p => new[] { p.Item1, p.Item2 }).ToList();
        var projected = Pca2(words.Select(w => v[w].ToArray()).ToList());
        var points = words.Select((w, i) => (w, projected[i].X, projected[i].Y)).ToList();
        var links = Enumerable.Range(0, pairs.Count).Select(i => (2 * i, 2 * i + 1)).ToList();

        // How shared the male → female offset is in the full space: mean cosine between the pairs' difference vectors.
        var offsets = pairs.Select(p => Unit(v[p.Item2].ToArray().Zip(v[p.Item1].ToArray(), (f, m) => (double)f - m).ToArray())).ToList();
        double sum = 0;
        int count = 0;
        for (int i = 0; i < offsets.Count; i++)
        {
            for (int j = i + 1; j < offsets.Count; j++)
            {
                sum += offsets[i].Zip(offsets[j], (a, b) => a * b).Sum();
                count++;
            }
        }

        double meanCosine = sum / count;
        result.Metric($"{name}_gender_offset_mean_cosine", meanCosine);
        Plots.LabelledPairs(context.OutputFile($"pca-{name}.png"), $"{name}: gender and royalty pairs, first two principal components", points, links);
        result.Plot(context.RelativeOutput($"pca-{name}.png"), string.Create(CultureInfo.InvariantCulture,
            $"{name}: the {words.Count} vectors of male/female pairs on their first two principal components (lines join each pair). PCA shows the largest differences, which here are family vs royalty vs age; the gender offset is smaller but shared: in the full {v.Dimensions}-d space the pairs' difference vectors have a mean cosine of {meanCosine:0.00} with each other (0 would be unrelated)."));
    }

    private static double[] Unit(double[] x)
    {
        double n = Math.Sqrt(x.Sum(t => t * t));
        return n == 0 ? x : x.Select(t => t / n).ToArray();
    }

    /// <summary>Projection on the first two principal components (power iteration with deflation on the covariance).</summary>
    public static List<(double X, double Y)> Pca2(IReadOnlyList<float[]> rows)
    {
        int n = rows.Count, d = rows[0].Length;
        var mean = new double[d];
        foreach (var r in rows)
        {
            for (int j = 0; j < d; j++)
            {
                mean[j] += r[j] / (double)n;
            }
        }

        var x = rows.Select(r => r.Select((f, j) => f - mean[j]).ToArray()).ToList();
        var components = new List<double[]>();
        for (int c = 0; c < 2; c++)
        {
            var v = Enumerable.Range(0, d).Select(j => 1.0 / (j + 1 + c)).ToArray();
            for (int it = 0; it < 200; it++)
            {
                var next = new double[d];
                foreach (var r in x)
                {
                    double dot = 0;
                    for (int j = 0; j < d; j++)
                    {
                        dot += r[j] * v[j];
                    }

                    for (int j = 0; j < d; j++)
                    {
                        next[j] += dot * r[j];
                    }
                }

                foreach (var prev in components) // deflate: stay orthogonal to earlier components
                {
                    double p = 0;
                    for (int j = 0; j < d; j++)
                    {
                        p += next[j] * prev[j];
                    }

                    for (int j = 0; j < d; j++)
                    {
                        next[j] -= p * prev[j];
                    }
                }

                double norm = Math.Sqrt(next.Sum(t => t * t));
                if (norm == 0)
                {
                    break;
                }

                v = next.Select(t => t / norm).ToArray();
            }

            components.Add(v);
        }

        return x.Select(r => (r.Select((t, j) => t * components[0][j]).Sum(), r.Select((t, j) => t * components[1][j]).Sum())).ToList();
    }
}
