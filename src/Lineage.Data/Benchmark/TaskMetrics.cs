using Lineage.Text.Encodings;

namespace Lineage.Data.Benchmark;

/// <summary>A classifier's scores on held-out texts.</summary>
/// <param name="Accuracy">Fraction classified right.</param>
/// <param name="MacroF1">The unweighted mean of every class's F1 (a class never predicted nor present counts as 0).</param>
public sealed record ClassificationScores(double Accuracy, double MacroF1);

/// <summary>A retrieval run's scores: each query's one relevant document ranked among all documents.</summary>
/// <param name="RecallAt1">Share of queries whose document is ranked first.</param>
/// <param name="RecallAt10">Share whose document is in the top ten.</param>
/// <param name="Mrr">Mean reciprocal rank.</param>
public sealed record RetrievalScores(double RecallAt1, double RecallAt10, double Mrr);

/// <summary>The benchmark's metrics: accuracy and macro-F1; recall@k and MRR of cosine-similarity ranking.</summary>
public static class TaskMetrics
{
    /// <summary>Accuracy and macro-F1 (over all <paramref name="classes"/> classes, as the task defines them) of predictions.</summary>
    public static ClassificationScores Classification(IReadOnlyList<int> predicted, IReadOnlyList<int> truth, int classes)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(truth);
        if (predicted.Count != truth.Count) throw new ArgumentException($"{predicted.Count} predictions for {truth.Count} labels.", nameof(predicted));
        if (truth.Count == 0) throw new ArgumentException("No labels to score.", nameof(truth));
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        var tp = new int[classes];
        var fp = new int[classes];
        var fn = new int[classes];
        int right = 0;
        for (int i = 0; i < truth.Count; i++)
        {
            int p = predicted[i], t = truth[i];
            if ((uint)p >= classes || (uint)t >= classes) throw new ArgumentException($"Class {Math.Max(p, t)} is outside 0..{classes - 1}.", nameof(predicted));
            if (p == t)
            {
                right++;
                tp[t]++;
            }
            else
            {
                fp[p]++;
                fn[t]++;
            }
        }

        double f1 = 0;
        for (int k = 0; k < classes; k++) f1 += tp[k] == 0 ? 0 : 2.0 * tp[k] / ((2.0 * tp[k]) + fp[k] + fn[k]);
        return new ClassificationScores(right / (double)truth.Count, f1 / classes);
    }

    /// <summary>
    /// The 1-based rank of each query's relevant document: query i's answer is document i. A document scoring the same as
    /// the answer counts as ranked before it (pessimistic ties), so a query with no information ranks last, not by position.
    /// </summary>
    /// <param name="similarity">Scores (Q, D) row-major, Q = D.</param>
    /// <param name="queries">Q.</param>
    public static int[] Ranks(double[] similarity, int queries)
    {
        ArgumentNullException.ThrowIfNull(similarity);
        ArgumentOutOfRangeException.ThrowIfLessThan(queries, 1);
        if (similarity.Length != (long)queries * queries) throw new ArgumentException($"{similarity.Length} scores for {queries} queries × {queries} documents.", nameof(similarity));
        var ranks = new int[queries];
        for (int q = 0; q < queries; q++)
        {
            double answer = similarity[((long)q * queries) + q];
            int rank = 1;
            for (int d = 0; d < queries; d++)
            {
                if (d != q && !(similarity[((long)q * queries) + d] < answer)) rank++;
            }

            ranks[q] = rank;
        }

        return ranks;
    }

    /// <summary>Recall@1, recall@10 and MRR of ranks.</summary>
    public static RetrievalScores Retrieval(IReadOnlyList<int> ranks)
    {
        ArgumentNullException.ThrowIfNull(ranks);
        if (ranks.Count == 0) throw new ArgumentException("No ranks to score.", nameof(ranks));
        if (ranks.Any(r => r < 1)) throw new ArgumentException("Ranks start at 1.", nameof(ranks));
        return new RetrievalScores(ranks.Count(r => r == 1) / (double)ranks.Count, ranks.Count(r => r <= 10) / (double)ranks.Count, ranks.Average(r => 1.0 / r));
    }

    /// <summary>Cosine similarity (Q, D) of every query row against every document row (a zero row scores 0 with everything).</summary>
    public static double[] Cosine(CsrMatrix<double> queries, CsrMatrix<double> documents)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(documents);
        if (queries.Columns != documents.Columns) throw new ArgumentException($"Queries have {queries.Columns} features, documents {documents.Columns}.", nameof(documents));
        // Dense documents-by-feature lookup would be D × F; instead normalise both sides and take sparse dot products through a column index of the documents.
        var q = queries.NormalizeRows(RowNorm.L2);
        var docs = documents.NormalizeRows(RowNorm.L2);
        int nq = q.Rows, nd = docs.Rows;
        // Transpose the documents: for each column, the (document, value) pairs.
        var counts = new int[docs.Columns + 1];
        foreach (int col in docs.ColumnIndices) counts[col + 1]++;
        for (int j = 0; j < docs.Columns; j++) counts[j + 1] += counts[j];
        var docOf = new int[docs.Nnz];
        var valueOf = new double[docs.Nnz];
        var fill = (int[])counts.Clone();
        for (int r = 0; r < nd; r++)
        {
            var row = docs.Row(r);
            for (int p = 0; p < row.Count; p++)
            {
                int at = fill[row.Indices[p]]++;
                docOf[at] = r;
                valueOf[at] = row.Values[p];
            }
        }

        var result = new double[(long)nq * nd];
        for (int i = 0; i < nq; i++)
        {
            var row = q.Row(i);
            long baseAt = (long)i * nd;
            for (int p = 0; p < row.Count; p++)
            {
                int col = row.Indices[p];
                double qv = row.Values[p];
                for (int at = counts[col]; at < counts[col + 1]; at++) result[baseAt + docOf[at]] += qv * valueOf[at];
            }
        }

        return result;
    }
}
