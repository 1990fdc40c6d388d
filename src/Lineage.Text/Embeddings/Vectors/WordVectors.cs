// Word vectors you can query, in the manner of gensim's KeyedVectors: nearest neighbours by cosine, analogies by
// 3CosAdd (Mikolov et al. 2013c, "Linguistic Regularities in Continuous Space Word Representations") and 3CosMul
// (Levy & Goldberg 2014, "Linguistic Regularities in Sparse and Explicit Word Representations"), odd-one-out.
using System.Numerics;

namespace Lineage.Text.Embeddings.Vectors;

/// <summary>A word and its score (cosine similarity, or the 3CosMul objective).</summary>
public readonly record struct ScoredWord(string Word, double Score);

/// <summary>An immutable table of word vectors (row i belongs to word i; most frequent words first when trained).</summary>
public sealed class WordVectors
{
    private readonly Dictionary<string, int> _index;
    private float[]? _unit;

    /// <summary>Wraps words and a row-major [Count × Dimensions] array (not copied).</summary>
    /// <exception cref="ArgumentException">Sizes disagree, or a word appears twice.</exception>
    public WordVectors(IReadOnlyList<string> words, float[] vectors, int dimensions, IReadOnlyList<long>? counts = null)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(vectors);
        if (dimensions < 1 || vectors.LongLength != (long)words.Count * dimensions)
        {
            throw new ArgumentException($"{words.Count} words × {dimensions} dimensions needs {(long)words.Count * dimensions} floats, got {vectors.LongLength}.", nameof(vectors));
        }

        Words = [.. words];
        Vectors = vectors;
        Dimensions = dimensions;
        Counts = counts is null ? null : [.. counts];
        _index = new Dictionary<string, int>(Words.Length, StringComparer.Ordinal);
        for (int i = 0; i < Words.Length; i++)
        {
            if (!_index.TryAdd(Words[i], i))
            {
                throw new ArgumentException($"The word '{Words[i]}' appears twice (rows {_index[Words[i]]} and {i}).", nameof(words));
            }
        }
    }

    /// <summary>Words, in row order.</summary>
    public string[] Words { get; }

    /// <summary>Row-major vectors [Count × Dimensions].</summary>
    public float[] Vectors { get; }

    /// <summary>Corpus counts when known (from training), else null.</summary>
    public long[]? Counts { get; }

    /// <summary>Vector size.</summary>
    public int Dimensions { get; }

    /// <summary>Number of words.</summary>
    public int Count => Words.Length;

    /// <summary>Whether the word has a vector.</summary>
    public bool Contains(string word) => _index.ContainsKey(word);

    /// <summary>Row of a word, or -1.</summary>
    public int IndexOf(string word) => _index.TryGetValue(word, out var i) ? i : -1;

    /// <summary>The vector of a word.</summary>
    /// <exception cref="KeyNotFoundException">The word is not in the vocabulary.</exception>
    public ReadOnlySpan<float> this[string word] => Vectors.AsSpan(Row(word) * Dimensions, Dimensions);

    /// <summary>Cosine similarity of two words.</summary>
    public double Similarity(string a, string b)
    {
        var u = Unit();
        return Dot(u.AsSpan(Row(a) * Dimensions, Dimensions), u.AsSpan(Row(b) * Dimensions, Dimensions));
    }

    /// <summary>
    /// The words closest by cosine to the mean of the positive words' unit vectors minus the negative ones'
    /// (gensim's <c>most_similar</c>; with positive [king, woman] and negative [man] this is 3CosAdd). Query words are excluded.
    /// </summary>
    /// <param name="positive">Words that pull.</param>
    /// <param name="negative">Words that push.</param>
    /// <param name="topN">How many to return.</param>
    /// <param name="restrictVocab">Search only the first N rows (the most frequent words); 0 for all.</param>
    /// <exception cref="KeyNotFoundException">A query word is not in the vocabulary.</exception>
    public IReadOnlyList<ScoredWord> MostSimilar(IEnumerable<string> positive, IEnumerable<string>? negative = null, int topN = 10, int restrictVocab = 0)
    {
        var (pos, neg) = Rows(positive, negative);
        var query = new float[Dimensions];
        var u = Unit();
        foreach (var (rows, weight) in new[] { (pos, 1f), (neg, -1f) })
        {
            foreach (var r in rows)
            {
                var v = u.AsSpan(r * Dimensions, Dimensions);
                for (int d = 0; d < Dimensions; d++)
                {
                    query[d] += weight * v[d];
                }
            }
        }

        Normalise(query);
        var exclude = new HashSet<int>(pos.Concat(neg));
        return Top(Limit(restrictVocab), topN, exclude, row => Dot(query, u.AsSpan(row * Dimensions, Dimensions)));
    }

    /// <summary>Nearest neighbours of one word (the word itself excluded).</summary>
    public IReadOnlyList<ScoredWord> MostSimilar(string word, int topN = 10) => MostSimilar([word], null, topN);

    /// <summary>
    /// 3CosMul (Levy &amp; Goldberg 2014; gensim's <c>most_similar_cosmul</c>): maximise Π cos⁺ / (Π cos⁻ + ε) with
    /// cosines shifted to [0, 1] by (1 + cos) / 2, which keeps one large similarity from dominating the sum.
    /// </summary>
    public IReadOnlyList<ScoredWord> MostSimilarCosMul(IEnumerable<string> positive, IEnumerable<string>? negative = null, int topN = 10, int restrictVocab = 0)
    {
        var (pos, neg) = Rows(positive, negative);
        var u = Unit();
        var exclude = new HashSet<int>(pos.Concat(neg));
        return Top(Limit(restrictVocab), topN, exclude, row =>
        {
            var x = u.AsSpan(row * Dimensions, Dimensions);
            double num = 1, den = 1;
            foreach (var p in pos)
            {
                num *= (1 + Dot(x, u.AsSpan(p * Dimensions, Dimensions))) / 2;
            }

            foreach (var n in neg)
            {
                den *= (1 + Dot(x, u.AsSpan(n * Dimensions, Dimensions))) / 2;
            }

            return num / (den + 1e-6);
        });
    }

    /// <summary>The analogy a : b :: c : ? by 3CosAdd (b − a + c), best first.</summary>
    public IReadOnlyList<ScoredWord> Analogy(string a, string b, string c, int topN = 5) => MostSimilar([b, c], [a], topN);

    /// <summary>The word least similar to the mean of all of them (gensim's <c>doesnt_match</c>).</summary>
    /// <exception cref="ArgumentException">Fewer than two of the words are known.</exception>
    public string DoesntMatch(IEnumerable<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        var known = words.Where(Contains).Distinct().ToList();
        if (known.Count < 2)
        {
            throw new ArgumentException("DoesntMatch needs at least two words that have vectors.", nameof(words));
        }

        var u = Unit();
        var mean = new float[Dimensions];
        foreach (var w in known)
        {
            var v = u.AsSpan(IndexOf(w) * Dimensions, Dimensions);
            for (int d = 0; d < Dimensions; d++)
            {
                mean[d] += v[d];
            }
        }

        Normalise(mean);
        return known.MinBy(w => Dot(mean, u.AsSpan(IndexOf(w) * Dimensions, Dimensions)))!;
    }

    /// <summary>Unit-length copies of the vectors (computed once).</summary>
    internal float[] Unit()
    {
        if (_unit is not null)
        {
            return _unit;
        }

        var unit = (float[])Vectors.Clone();
        for (int r = 0; r < Count; r++)
        {
            Normalise(unit.AsSpan(r * Dimensions, Dimensions));
        }

        return _unit = unit;
    }

    internal int Limit(int restrictVocab) => restrictVocab <= 0 ? Count : Math.Min(restrictVocab, Count);

    internal IReadOnlyList<ScoredWord> Top(int rows, int topN, ISet<int> exclude, Func<int, double> score)
    {
        // A bounded min-heap keeps the best topN.
        var heap = new PriorityQueue<int, double>(topN + 1);
        for (int r = 0; r < rows; r++)
        {
            if (exclude.Contains(r))
            {
                continue;
            }

            double s = score(r);
            if (double.IsNaN(s))
            {
                // A NaN would stick in the heap (it compares false with everything) and push out real neighbours.
                continue;
            }

            if (heap.Count < topN)
            {
                heap.Enqueue(r, s);
            }
            else if (topN > 0 && heap.TryPeek(out _, out var worst) && s > worst)
            {
                heap.DequeueEnqueue(r, s);
            }
        }

        var result = new List<ScoredWord>(heap.Count);
        while (heap.TryDequeue(out var r, out var s))
        {
            result.Add(new ScoredWord(Words[r], s));
        }

        result.Reverse();
        return result;
    }

    internal static double Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        int w = Vector<float>.Count, i = 0;
        var acc = Vector<float>.Zero;
        for (; i <= x.Length - w; i += w)
        {
            acc += new Vector<float>(x[i..]) * new Vector<float>(y[i..]);
        }

        double sum = Vector.Sum(acc);
        for (; i < x.Length; i++)
        {
            sum += x[i] * y[i];
        }

        return sum;
    }

    private static void Normalise(Span<float> v)
    {
        double n = Math.Sqrt(Dot(v, v));
        if (n > 0)
        {
            for (int d = 0; d < v.Length; d++)
            {
                v[d] = (float)(v[d] / n);
            }
        }
    }

    private int Row(string word) => _index.TryGetValue(word, out var i) ? i
        : throw new KeyNotFoundException($"The word '{word}' is not in the vocabulary ({Count} words).");

    private (List<int> Pos, List<int> Neg) Rows(IEnumerable<string> positive, IEnumerable<string>? negative)
    {
        ArgumentNullException.ThrowIfNull(positive);
        var pos = positive.Select(Row).ToList();
        var neg = (negative ?? []).Select(Row).ToList();
        if (pos.Count + neg.Count == 0)
        {
            throw new ArgumentException("Give at least one positive or negative word.", nameof(positive));
        }

        return (pos, neg);
    }
}
