// The classical rows of the lineage benchmark: each turns texts into a frozen feature matrix, fitted on the task's
// training texts only (vocabulary, IDF, word vectors), so nothing about the held-out texts leaks into the features.
//   onehot        binary presence of each word (CountVectorizer binary=True): the first step, a word is there or not;
//   bow           word counts: how often, still no order and no notion that two words are alike;
//   tfidf         counts weighted by rarity (IDF) and L2-normalised: frequent words stop dominating;
//   tfidf-12      1- and 2-grams: a little word order comes back, at the price of many more columns;
//   w2v-cbow      the mean of Word2Vec CBOW vectors of the words (Mikolov et al. 2013): words that occur in the same
//                 contexts get close vectors, so two texts with different but related words can be close;
//   w2v-skipgram  the same with skip-gram vectors;
//   glove         the same with GloVe vectors (Pennington et al. 2014), fitted to global co-occurrence counts.
// Every word-level row tokenises as scikit-learn's CountVectorizer does (lower-case, (?u)\b\w\w+\b), the word vectors too.
using Lineage.Text.Embeddings;
using Lineage.Text.Embeddings.Glove;
using Lineage.Text.Embeddings.Vectors;
using Lineage.Text.Embeddings.Word2Vec;
using Lineage.Text.Encodings;
using Lineage.Text.Tokenization;

namespace Lineage.Data.Benchmark;

/// <summary>A way to turn texts into frozen features: fitted once on training texts, then applied to any texts.</summary>
public interface ITextRepresentation
{
    /// <summary>Short id (<c>tfidf-12</c>).</summary>
    string Id { get; }

    /// <summary>What it is, in a few words.</summary>
    string Name { get; }

    /// <summary>The step of the lineage it stands for (its place in the story, e.g. "weighting").</summary>
    string LineageStep { get; }

    /// <summary>Fits the representation on training texts.</summary>
    void Fit(IReadOnlyList<string> texts, CancellationToken cancellation = default);

    /// <summary>The features (N, <see cref="Features"/>) of texts; call after <see cref="Fit"/>.</summary>
    CsrMatrix<double> Transform(IReadOnlyList<string> texts);

    /// <summary>Feature count (columns).</summary>
    int Features { get; }

    /// <summary>Numbers the representation learned from the training texts (IDF weights, word vectors); 0 when it only counts.</summary>
    long Parameters { get; }
}

/// <summary>The classical representations of the benchmark, by id.</summary>
public static class TextRepresentations
{
    /// <summary>Every classical representation's id, in lineage order.</summary>
    public static IReadOnlyList<string> All { get; } = ["onehot", "bow", "tfidf", "tfidf-12", "w2v-cbow", "w2v-skipgram", "glove"];

    /// <summary>A new, unfitted representation.</summary>
    /// <param name="id">One of <see cref="All"/>.</param>
    /// <param name="seed">Seeds the word-vector trainers.</param>
    /// <param name="threads">Word-vector training threads (1 is deterministic).</param>
    /// <exception cref="ArgumentException">Unknown id.</exception>
    public static ITextRepresentation Create(string id, int seed = 1, int threads = 1) => id switch
    {
        "onehot" => new CountRepresentation(id, "one-hot (word presence)", "one-hot", new CountVectorizerOptions { Binary = true }, tfidf: false),
        "bow" => new CountRepresentation(id, "bag of words (counts)", "bag of words", new CountVectorizerOptions(), tfidf: false),
        "tfidf" => new CountRepresentation(id, "TF-IDF, 1-grams", "TF-IDF", new CountVectorizerOptions(), tfidf: true),
        "tfidf-12" => new CountRepresentation(id, "TF-IDF, 1- and 2-grams", "TF-IDF n-grams", new CountVectorizerOptions { Analyzer = new TextAnalyzer(minN: 1, maxN: 2) }, tfidf: true),
        "w2v-cbow" => new WordVectorMean(id, "Word2Vec CBOW, mean of word vectors", "Word2Vec", WordVectorKind.Cbow, seed, threads),
        "w2v-skipgram" => new WordVectorMean(id, "Word2Vec skip-gram, mean of word vectors", "Word2Vec", WordVectorKind.SkipGram, seed, threads),
        "glove" => new WordVectorMean(id, "GloVe, mean of word vectors", "GloVe", WordVectorKind.Glove, seed, threads),
        _ => throw new ArgumentException($"Unknown representation '{id}' (expected one of {string.Join(", ", All)})."),
    };
}

/// <summary>Counting representations: one-hot presence, bag of words, TF-IDF with 1- or 1–2-grams (scikit-learn's defaults otherwise).</summary>
public sealed class CountRepresentation : ITextRepresentation
{
    private readonly CountVectorizerOptions _options;
    private readonly bool _tfidf;
    private CountVectorizer? _counts;
    private TfidfVectorizer? _weights;

    /// <summary>A representation counting with <paramref name="options"/>, TF-IDF-weighted when <paramref name="tfidf"/>.</summary>
    public CountRepresentation(string id, string name, string step, CountVectorizerOptions options, bool tfidf)
    {
        Id = id;
        Name = name;
        LineageStep = step;
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _tfidf = tfidf;
    }

    /// <inheritdoc />
    public string Id { get; }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public string LineageStep { get; }

    /// <inheritdoc />
    public int Features => _tfidf ? Fitted(_weights).Vocabulary.Count : Fitted(_counts).Vocabulary.Count;

    /// <inheritdoc />
    public long Parameters => _tfidf ? Fitted(_weights).Vocabulary.Count : 0;

    /// <inheritdoc />
    public void Fit(IReadOnlyList<string> texts, CancellationToken cancellation = default)
    {
        if (_tfidf) _weights = new TfidfVectorizer(_options).Fit(texts, cancellation: cancellation);
        else _counts = new CountVectorizer(_options).Fit(texts, cancellation: cancellation);
    }

    /// <inheritdoc />
    public CsrMatrix<double> Transform(IReadOnlyList<string> texts) => _tfidf ? Fitted(_weights).Transform(texts) : Fitted(_counts).Transform(texts);

    private T Fitted<T>(T? value) where T : class => value ?? throw new InvalidOperationException($"{Id}: call Fit first.");
}

/// <summary>Which word vectors <see cref="WordVectorMean"/> trains.</summary>
public enum WordVectorKind
{
    /// <summary>Word2Vec, continuous bag of words.</summary>
    Cbow,

    /// <summary>Word2Vec, skip-gram.</summary>
    SkipGram,

    /// <summary>GloVe.</summary>
    Glove,
}

/// <summary>
/// The mean of word vectors trained on the training texts (every occurrence of a known word counts, unknown words are
/// skipped, a text with no known word is the zero vector). 100 dimensions, Word2Vec's and GloVe's usual settings
/// (window 5 / 10, 5 negatives, min count 5, 5 / 10 epochs).
/// </summary>
public sealed class WordVectorMean : ITextRepresentation
{
    /// <summary>Vector size.</summary>
    public const int Dimensions = 100;

    private static readonly TextAnalyzer Words = new();
    private readonly WordVectorKind _kind;
    private readonly int _seed;
    private readonly int _threads;
    private WordVectors? _vectors;

    /// <summary>An unfitted representation.</summary>
    public WordVectorMean(string id, string name, string step, WordVectorKind kind, int seed, int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Id = id;
        Name = name;
        LineageStep = step;
        _kind = kind;
        _seed = seed;
        _threads = threads;
    }

    /// <inheritdoc />
    public string Id { get; }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public string LineageStep { get; }

    /// <summary>Words with a vector.</summary>
    public int VocabularySize => Fitted.Count;

    /// <inheritdoc />
    public int Features => Dimensions;

    /// <inheritdoc />
    public long Parameters => (long)Fitted.Count * Dimensions;

    private WordVectors Fitted => _vectors ?? throw new InvalidOperationException($"{Id}: call Fit first.");

    /// <summary>Uses vectors trained elsewhere (the tour's) instead of fitting.</summary>
    public void Use(WordVectors vectors)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        if (vectors.Dimensions != Dimensions) throw new ArgumentException($"{Id}: vectors of {vectors.Dimensions} dimensions, expected {Dimensions}.", nameof(vectors));
        _vectors = vectors;
    }

    /// <inheritdoc />
    public void Fit(IReadOnlyList<string> texts, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var lines = new System.Text.StringBuilder();
        foreach (var t in texts)
        {
            cancellation.ThrowIfCancellationRequested();
            lines.AppendJoin(' ', Words.Analyze(t)).Append('\n');
        }

        if (_kind == WordVectorKind.Glove)
        {
            var options = new GloveOptions { Dimensions = Dimensions, Window = 10, Epochs = 10, MinCount = 5, Seed = _seed, Threads = _threads, MemoryMb = 256 };
            var corpus = EmbeddingCorpus.FromText(lines.ToString(), new CorpusOptions(options.MinCount, 0, int.MaxValue));
            _vectors = GloveTrainer.Train(corpus, options, cancellation: cancellation).ToWordVectors();
        }
        else
        {
            var options = new Word2VecOptions
            {
                Architecture = _kind == WordVectorKind.Cbow ? Word2VecArchitecture.Cbow : Word2VecArchitecture.SkipGram,
                Dimensions = Dimensions, Window = 5, Negative = 5, Sample = 1e-3, MinCount = 5, Epochs = 5, Seed = _seed, Threads = _threads,
            };
            var corpus = EmbeddingCorpus.FromText(lines.ToString(), new CorpusOptions(options.MinCount));
            _vectors = Word2VecTrainer.Train(corpus, options, cancellation: cancellation).ToWordVectors();
        }
    }

    /// <inheritdoc />
    public CsrMatrix<double> Transform(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var v = Fitted;
        int d = v.Dimensions;
        var values = new double[(long)texts.Count * d];
        var mean = new double[d];
        for (int i = 0; i < texts.Count; i++)
        {
            Array.Clear(mean);
            int known = 0;
            foreach (var word in Words.Analyze(texts[i]))
            {
                int at = v.IndexOf(word);
                if (at < 0) continue;
                known++;
                var row = v.Vectors.AsSpan(at * d, d);
                for (int k = 0; k < d; k++) mean[k] += row[k];
            }

            if (known > 0)
            {
                for (int k = 0; k < d; k++) values[((long)i * d) + k] = mean[k] / known;
            }
        }

        return Dense(values, texts.Count, d);
    }

    /// <summary>A dense (rows, columns) array as a CSR matrix holding every column of every row.</summary>
    public static CsrMatrix<double> Dense(double[] values, int rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != (long)rows * columns) throw new ArgumentException($"{values.Length} values for {rows} × {columns}.", nameof(values));
        var pointers = new int[rows + 1];
        var indices = new int[values.Length];
        for (int r = 0; r < rows; r++)
        {
            pointers[r + 1] = (r + 1) * columns;
            for (int c = 0; c < columns; c++) indices[(r * columns) + c] = c;
        }

        return new CsrMatrix<double>(rows, columns, pointers, indices, values);
    }
}
