// Intrinsic evaluation as gensim does it, so numbers compare:
//   analogies in the questions-words format (": section" lines, then "a b c d"), answered by 3CosAdd among the
//   restrictVocab most frequent words, case-insensitively, skipping questions with a word outside that vocabulary;
//   word-pair similarity (word1 TAB word2 TAB human score) scored by Spearman's ρ against the cosines.
using System.Globalization;

namespace Lineage.Text.Embeddings.Vectors;

/// <summary>Accuracy on one section of an analogy file.</summary>
/// <param name="Section">Section name (the text after ": "), or "Total accuracy".</param>
/// <param name="Correct">Questions answered right.</param>
/// <param name="Incorrect">Questions answered wrong (only questions whose four words are in the vocabulary count).</param>
public sealed record AnalogySection(string Section, int Correct, int Incorrect)
{
    /// <summary>Correct / (Correct + Incorrect), or 0 when no question counted.</summary>
    public double Accuracy => Correct + Incorrect == 0 ? 0 : (double)Correct / (Correct + Incorrect);
}

/// <summary>Result of <see cref="VectorEvaluation.EvaluateAnalogies(WordVectors, string, int, bool)"/>.</summary>
/// <param name="Sections">Per-section results, in file order.</param>
/// <param name="Total">All sections together.</param>
/// <param name="OovRatio">Share of questions skipped because a word was outside the vocabulary.</param>
public sealed record AnalogyReport(IReadOnlyList<AnalogySection> Sections, AnalogySection Total, double OovRatio);

/// <summary>Result of <see cref="VectorEvaluation.EvaluateWordPairs"/>.</summary>
/// <param name="Pearson">Pearson correlation of cosines with human scores.</param>
/// <param name="Spearman">Spearman rank correlation.</param>
/// <param name="Pairs">Pairs scored.</param>
/// <param name="OovRatio">Share of pairs skipped because a word was unknown.</param>
public sealed record WordPairReport(double Pearson, double Spearman, int Pairs, double OovRatio);

/// <summary>Analogy and similarity benchmarks over <see cref="WordVectors"/>.</summary>
public static class VectorEvaluation
{
    /// <summary>Evaluates an analogy file (questions-words format) the way gensim's <c>evaluate_word_analogies</c> does.</summary>
    /// <param name="vectors">The vectors.</param>
    /// <param name="path">The analogy file.</param>
    /// <param name="restrictVocab">Only the first N words (most frequent) are candidates and count as known (gensim: 300,000).</param>
    /// <param name="caseInsensitive">Upper-case everything before comparing (gensim's default).</param>
    /// <exception cref="InvalidDataException">A question line does not have four words; the message names the line.</exception>
    public static AnalogyReport EvaluateAnalogies(WordVectors vectors, string path, int restrictVocab = 300_000, bool caseInsensitive = true)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: analogy file not found", path);
        }

        return EvaluateAnalogies(vectors, File.ReadLines(path), path, restrictVocab, caseInsensitive);
    }

    /// <summary>As <see cref="EvaluateAnalogies(WordVectors, string, int, bool)"/>, from lines already read.</summary>
    public static AnalogyReport EvaluateAnalogies(WordVectors vectors, IEnumerable<string> lines, string name, int restrictVocab = 300_000, bool caseInsensitive = true)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentNullException.ThrowIfNull(lines);
        int limit = vectors.Limit(restrictVocab);
        string Key(string w) => caseInsensitive ? w.ToUpperInvariant() : w;

        // Known words: the first `limit` rows; with case folding the most frequent spelling wins (as in gensim).
        var ok = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int r = 0; r < limit; r++)
        {
            ok.TryAdd(Key(vectors.Words[r]), r);
        }

        var u = vectors.Unit();
        int dim = vectors.Dimensions;
        var sections = new List<AnalogySection>();
        string? section = null;
        int correct = 0, incorrect = 0, oov = 0, questions = 0, lineNo = 0;
        var query = new float[dim];
        foreach (var raw in lines)
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (line.StartsWith(':'))
            {
                if (section is not null)
                {
                    sections.Add(new AnalogySection(section, correct, incorrect));
                }

                section = line[1..].Trim();
                correct = incorrect = 0;
                continue;
            }

            if (section is null)
            {
                throw new InvalidDataException($"{name}: line {lineNo}: a question before the first \": section\" line.");
            }

            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 4)
            {
                throw new InvalidDataException($"{name}: line {lineNo}: expected four words \"a b c d\", found {parts.Length}.");
            }

            questions++;
            var keys = parts.Select(Key).ToArray();
            if (!keys.All(ok.ContainsKey))
            {
                oov++;
                continue;
            }

            int a = ok[keys[0]], b = ok[keys[1]], c = ok[keys[2]];
            Array.Clear(query);
            for (int d = 0; d < dim; d++)
            {
                query[d] = u[b * dim + d] + u[c * dim + d] - u[a * dim + d];
            }

            double norm = Math.Sqrt(WordVectors.Dot(query, query));
            var top = vectors.Top(limit, 5, new HashSet<int> { a, b, c }, r => WordVectors.Dot(query, u.AsSpan(r * dim, dim)) / norm);
            var ignore = new HashSet<string>(keys[..3], StringComparer.Ordinal);
            string? predicted = top.Select(s => Key(s.Word)).FirstOrDefault(w => ok.ContainsKey(w) && !ignore.Contains(w));
            if (predicted == keys[3])
            {
                correct++;
            }
            else
            {
                incorrect++;
            }
        }

        if (section is not null)
        {
            sections.Add(new AnalogySection(section, correct, incorrect));
        }

        var total = new AnalogySection("Total accuracy", sections.Sum(s => s.Correct), sections.Sum(s => s.Incorrect));
        return new AnalogyReport(sections, total, questions == 0 ? 0 : (double)oov / questions);
    }

    /// <summary>
    /// Scores a word-pair file (word1, word2, human score; tab-separated; '#' comments) by the correlation of cosine
    /// similarity with the human scores, as gensim's <c>evaluate_word_pairs</c> (pairs with unknown words skipped).
    /// </summary>
    /// <exception cref="InvalidDataException">A line is not "word TAB word TAB number"; or fewer than 2 pairs are known.</exception>
    public static WordPairReport EvaluateWordPairs(WordVectors vectors, string path, int restrictVocab = 300_000, bool caseInsensitive = true)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: word-pair file not found", path);
        }

        int limit = vectors.Limit(restrictVocab);
        string Key(string w) => caseInsensitive ? w.ToUpperInvariant() : w;
        var ok = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int r = 0; r < limit; r++)
        {
            ok.TryAdd(Key(vectors.Words[r]), r);
        }

        var u = vectors.Unit();
        int dim = vectors.Dimensions, lineNo = 0, oov = 0, total = 0;
        var human = new List<double>();
        var model = new List<double>();
        foreach (var raw in File.ReadLines(path))
        {
            lineNo++;
            if (raw.StartsWith('#') || raw.Trim().Length == 0)
            {
                continue;
            }

            var parts = raw.Split('\t');
            if (parts.Length < 3 || !double.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var score))
            {
                throw new InvalidDataException($"{path}: line {lineNo}: expected \"word1<TAB>word2<TAB>score\", found \"{raw}\".");
            }

            total++;
            if (!ok.TryGetValue(Key(parts[0].Trim()), out var a) || !ok.TryGetValue(Key(parts[1].Trim()), out var b))
            {
                oov++;
                continue;
            }

            human.Add(score);
            model.Add(WordVectors.Dot(u.AsSpan(a * dim, dim), u.AsSpan(b * dim, dim)));
        }

        if (human.Count < 2)
        {
            throw new InvalidDataException($"{path}: only {human.Count} of {total} pairs have both words in the vocabulary; a correlation needs at least 2.");
        }

        return new WordPairReport(Pearson(human, model), Spearman(human, model), human.Count, total == 0 ? 0 : (double)oov / total);
    }

    /// <summary>Pearson's r.</summary>
    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Count; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }

        return sxx == 0 || syy == 0 ? 0 : sxy / Math.Sqrt(sxx * syy);
    }

    /// <summary>Spearman's ρ: Pearson's r of the ranks, ties given their average rank (as scipy).</summary>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y) => Pearson(Ranks(x), Ranks(y));

    private static double[] Ranks(IReadOnlyList<double> v)
    {
        var order = Enumerable.Range(0, v.Count).OrderBy(i => v[i]).ToArray();
        var ranks = new double[v.Count];
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j + 1 < order.Length && v[order[j + 1]] == v[order[i]])
            {
                j++;
            }

            for (int k = i; k <= j; k++)
            {
                ranks[order[k]] = (i + j) / 2.0 + 1;
            }

            i = j + 1;
        }

        return ranks;
    }
}
