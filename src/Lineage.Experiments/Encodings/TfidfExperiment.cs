using System.Globalization;
using Lineage.Experiments.Report;
using Lineage.Experiments.Results;
using Lineage.Text.Encodings;

namespace Lineage.Experiments.Encodings;

/// <summary>
/// TF-IDF on real e-mails: the most common words get the lowest weights, and a linear classifier (ML.NET's SDCA
/// logistic regression) on TF-IDF features is compared with the same classifier on raw counts, on a fixed held-out split.
/// </summary>
public sealed class TfidfExperiment : IExperiment
{
    /// <summary>Held-out accuracy the TF-IDF spam classifier must reach.</summary>
    public const double AccuracyBar = 0.95;

    /// <inheritdoc />
    public ExperimentInfo Info { get; } = new(
        Id: "encodings.tfidf",
        Family: Family.Encodings,
        Title: "TF-IDF gives common words the lowest weights, and classifies spam",
        Summary: "scikit-learn-identical TF-IDF on the SpamAssassin training bodies: idf of the most and least common terms, the share of weight the commonest words keep, and logistic regression (SDCA) on counts vs TF-IDF.",
        Paper: Papers.Salton1988,
        Budget: TimeSpan.FromSeconds(10),
        QuickBudget: TimeSpan.FromSeconds(20));

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var data = SpamSplit.Load(context);
        var result = context.Result();
        int threads = context.Threads;
        var tfidf = new TfidfVectorizer();
        var counts = tfidf.Counts.FitTransform(data.TrainTexts, threads, context.Cancellation);   // counted once, weighted below
        var trainWeights = tfidf.Weights.FitTransform(counts);
        var vocabulary = tfidf.Vocabulary;
        var idf = tfidf.Weights.Idf;
        var tf = counts.ColumnSums();
        var df = counts.ColumnNonZeroCounts();
        context.Cancellation.ThrowIfCancellationRequested();

        // Weights: the commonest words' share of the tokens vs their share of the total TF-IDF weight.
        var byCount = Enumerable.Range(0, vocabulary.Count).OrderByDescending(j => tf[j]).ThenBy(j => j).ToArray();
        var weightSums = trainWeights.ColumnSums();
        const int Common = 10;
        double tokenShare = byCount.Take(Common).Sum(j => tf[j]) / tf.Sum();
        double weightShare = byCount.Take(Common).Sum(j => weightSums[j]) / weightSums.Sum();
        double rho = Spearman(tf, idf);
        result.Metric("vocabulary_size", vocabulary.Count)
              .Metric("train_documents", data.TrainTexts.Count)
              .Metric("test_documents", data.TestTexts.Count)
              .Metric("top10_token_share", tokenShare)
              .Metric("top10_weight_share", weightShare)
              .Metric("spearman_count_idf", rho);
        result.ClaimAtMost("the more often a term occurs, the lower its idf (Spearman ρ between corpus count and idf)", rho, -0.8)
              .ClaimAtMost($"the {Common} commonest words keep under half their share of the tokens in TF-IDF weight (weight share ÷ token share)", weightShare / tokenShare, 0.5);

        IReadOnlyList<string> Row(int j) => [vocabulary[j], tf[j].ToString("N0", CultureInfo.InvariantCulture), df[j].ToString("N0", CultureInfo.InvariantCulture),
                                             idf[j].ToString("0.000", CultureInfo.InvariantCulture)];
        var lowest = Enumerable.Range(0, vocabulary.Count).OrderBy(j => idf[j]).ThenBy(j => j).Take(Common);
        result.Table($"Lowest idf: the {Common} terms in the most e-mails", ["term", "count", "documents", "idf"], lowest.Select(Row));
        var rare = Enumerable.Range(0, vocabulary.Count).Where(j => vocabulary[j].All(char.IsAsciiLetter) && vocabulary[j].Length <= 15)
                             .OrderByDescending(j => idf[j]).ThenByDescending(j => tf[j]).ThenBy(j => j).Take(Common);
        result.Table($"Highest idf: words (letters only) in a single e-mail, the {Common} most repeated there", ["term", "count", "documents", "idf"], rare.Select(Row));

        var byDf = Enumerable.Range(0, vocabulary.Count).OrderBy(j => df[j]).ToArray();
        Plots.Lines(context.OutputFile("idf.png"), "idf falls as document frequency grows (SpamAssassin bodies)", "ln(documents containing the term)", "idf",
            new Series("smooth idf = ln((1+n)/(1+df)) + 1", byDf.Select(j => Math.Log(df[j])).ToList(), byDf.Select(j => idf[j]).ToList()));
        result.Plot(context.RelativeOutput("idf.png"), "idf against document frequency for every term of the vocabulary");

        // Classifier: the same trainer on counts, presence, and TF-IDF.
        context.Cancellation.ThrowIfCancellationRequested();
        var testCounts = tfidf.Counts.Transform(data.TestTexts, threads);
        var binary = new CountVectorizer(new CountVectorizerOptions { Binary = true }, vocabulary);
        var scores = new (string Name, BinaryScores Scores)[]
        {
            ("bag-of-words counts", LinearClassifier.TrainAndScore(counts, data.TrainSpam, testCounts, data.TestSpam, context.Seed)),
            ("binary presence", LinearClassifier.TrainAndScore(binary.Transform(data.TrainTexts, threads), data.TrainSpam, binary.Transform(data.TestTexts, threads), data.TestSpam, context.Seed)),
            ("TF-IDF (l2)", LinearClassifier.TrainAndScore(trainWeights, data.TrainSpam, tfidf.Weights.Transform(testCounts), data.TestSpam, context.Seed)),
        };
        foreach (var (name, s) in scores)
        {
            var key = name.Split(' ')[0].ToLowerInvariant().Replace("-", "_", StringComparison.Ordinal);
            result.Metric($"accuracy_{key}", s.Accuracy).Metric($"auc_{key}", s.Auc);
        }

        var bow = scores[0].Scores;
        var weighted = scores[2].Scores;
        result.ClaimAtLeast($"logistic regression on TF-IDF features reaches ≥ {AccuracyBar:P0} held-out accuracy", weighted.Accuracy, AccuracyBar)
              .ClaimAtLeast("TF-IDF beats raw counts with the same trainer (accuracy difference, points)", (weighted.Accuracy - bow.Accuracy) * 100, 0);
        result.Table("Spam vs ham, SDCA logistic regression (ML.NET), held-out split", ["features", "accuracy", "AUC", "F1 (spam)", "train seconds"],
            scores.Select(p => (IReadOnlyList<string>)[p.Name, p.Scores.Accuracy.ToString("P2", CultureInfo.InvariantCulture), p.Scores.Auc.ToString("0.0000", CultureInfo.InvariantCulture),
                p.Scores.F1.ToString("0.000", CultureInfo.InvariantCulture), p.Scores.Seconds.ToString("0.00", CultureInfo.InvariantCulture)]));
        Plots.Bars(context.OutputFile("accuracy.png"), "Held-out accuracy by feature type (same trainer)", "accuracy",
            [.. scores.Select(s => s.Name)], [.. scores.Select(s => s.Scores.Accuracy)]);
        result.Plot(context.RelativeOutput("accuracy.png"), "SDCA logistic regression on counts, presence and TF-IDF features");
        result.Note("Counts let long e-mails dominate and give \"the\" the same say as \"viagra\"; TF-IDF divides out what every document " +
                    "has and normalises length. All three are still bags: the order of words and any similarity between them are lost.");
        return result;
    }

    private static double Spearman(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        var ra = Ranks(a);
        var rb = Ranks(b);
        double ma = ra.Average(), mb = rb.Average(), num = 0, da = 0, db = 0;
        for (int i = 0; i < ra.Length; i++)
        {
            num += (ra[i] - ma) * (rb[i] - mb);
            da += (ra[i] - ma) * (ra[i] - ma);
            db += (rb[i] - mb) * (rb[i] - mb);
        }

        return num / Math.Sqrt(da * db);
    }

    // Average ranks (ties share the mean of their positions).
    private static double[] Ranks(IReadOnlyList<double> v)
    {
        var order = Enumerable.Range(0, v.Count).OrderBy(i => v[i]).ToArray();
        var ranks = new double[v.Count];
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j + 1 < order.Length && v[order[j + 1]] == v[order[i]]) j++;
            for (int k = i; k <= j; k++) ranks[order[k]] = (i + j) / 2.0;
            i = j + 1;
        }

        return ranks;
    }
}
