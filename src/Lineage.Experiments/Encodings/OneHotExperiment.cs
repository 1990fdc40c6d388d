using System.Globalization;
using Lineage.Experiments.Report;
using Lineage.Experiments.Results;
using Lineage.Text.Encodings;

namespace Lineage.Experiments.Encodings;

/// <summary>
/// One-hot vectors of the words of real e-mails: as long as the vocabulary, almost all zeros, and mutually orthogonal,
/// so "king" is exactly as far from "queen" as from "apple".
/// </summary>
public sealed class OneHotExperiment : IExperiment
{
    /// <summary>The three words the notes compare.</summary>
    public static readonly string[] Words = ["king", "queen", "apple"];

    /// <inheritdoc />
    public ExperimentInfo Info { get; } = new(
        Id: "encodings.onehot",
        Family: Family.Encodings,
        Title: "One-hot vectors are as long as the vocabulary and know no similarity",
        Summary: "The vocabulary of the SpamAssassin training e-mails; each word a vector with a single 1. Length, memory dense vs sparse, and cosines between words.",
        Paper: Papers.Harris1954,
        Budget: TimeSpan.FromSeconds(5),
        QuickBudget: TimeSpan.FromSeconds(15));

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var data = SpamSplit.Load(context);
        var result = context.Result();
        var counts = new CountVectorizer();
        counts.Fit(data.TrainTexts, context.Threads, context.Cancellation);
        var missing = Words.Where(w => !counts.Vocabulary.Contains(w)).ToList();
        if (missing.Count > 0)
        {
            // Orthogonality holds for any vocabulary; give the missing words a column so that the claim can name them.
            counts.Fit([.. data.TrainTexts, string.Join(' ', missing)], context.Threads, context.Cancellation);
            result.Note($"Not in the training e-mails, added as one extra document: {string.Join(", ", missing)}.");
        }

        var vocabulary = counts.Vocabulary;
        context.Cancellation.ThrowIfCancellationRequested();

        // The whole training corpus as a sequence of one-hot rows, one per token.
        var analyzer = counts.Options.Analyzer;
        var tokens = data.TrainTexts.SelectMany(analyzer.Analyze).ToList();
        var oneHot = OneHotEncoder.Words(vocabulary, tokens).Cast<float>();
        var words = OneHotEncoder.Words(vocabulary, Words, Text.Encodings.UnknownCategories.Ignore);
        var present = Words.Select(vocabulary.Contains).ToArray();

        double kingQueen = words.Row(0).Cosine(words.Row(1));
        double kingApple = words.Row(0).Cosine(words.Row(2));
        double kingKing = words.Row(0).Cosine(words.Row(0));
        result.Metric("vocabulary_size", vocabulary.Count)
              .Metric("vector_length", oneHot.Columns)
              .Metric("tokens", oneHot.Rows)
              .Metric("nonzeros_per_vector", (double)oneHot.Nnz / Math.Max(1, oneHot.Rows))
              .Metric("dense_megabytes", oneHot.DenseBytes / 1e6)
              .Metric("sparse_megabytes", oneHot.SparseBytes / 1e6)
              .Metric("cosine_king_queen", kingQueen)
              .Metric("cosine_king_apple", kingApple);
        result.Claim("a one-hot vector is exactly as long as the vocabulary (length − vocabulary size)", oneHot.Columns - vocabulary.Count, "= 0", oneHot.Columns == vocabulary.Count)
              .Claim("each one-hot vector holds a single non-zero value", (double)oneHot.Nnz / oneHot.Rows, "= 1", oneHot.Nnz == oneHot.Rows)
              .ClaimAtLeast("dense one-hot storage of the corpus is over 1,000× its sparse storage (ratio)", (double)oneHot.DenseBytes / oneHot.SparseBytes, 1000)
              .Claim("cosine(king, queen) = 0: distinct words are orthogonal", kingQueen, "= 0", kingQueen == 0 && present[0] && present[1])
              .Claim("cosine(king, apple) = 0 = cosine(king, queen): no word is closer than another", kingApple, "= 0", kingApple == 0 && kingApple == kingQueen && present[2])
              .Claim("cosine(king, king) = 1", kingKing, "= 1", kingKing == 1);

        result.Table("The three words as one-hot vectors", ["word", "in the vocabulary", "column of its 1", "corpus count", "length"],
            Words.Select(w => (IReadOnlyList<string>)[w, vocabulary.Contains(w) ? "yes" : "no", vocabulary.IndexOf(w).ToString(CultureInfo.InvariantCulture),
                tokens.Count(t => t == w).ToString("N0", CultureInfo.InvariantCulture), vocabulary.Count.ToString("N0", CultureInfo.InvariantCulture)]));
        Plots.Bars(context.OutputFile("memory.png"), "One-hot encoding of the training e-mails: memory", "megabytes",
            ["dense float32", "sparse CSR"], [oneHot.DenseBytes / 1e6, oneHot.SparseBytes / 1e6]);
        result.Plot(context.RelativeOutput("memory.png"), string.Create(CultureInfo.InvariantCulture,
            $"{oneHot.Rows:N0} tokens × {oneHot.Columns:N0} words: dense {oneHot.DenseBytes / 1e9:0.0} GB (never allocated) vs sparse {oneHot.SparseBytes / 1e6:0.0} MB"));
        result.Note("Every pair of distinct one-hot vectors has cosine 0 and Euclidean distance √2, so the encoding says nothing about " +
                    "which words are related. Word2Vec and GloVe (next chapter) learn short dense vectors in which they are.");
        return result;
    }
}
