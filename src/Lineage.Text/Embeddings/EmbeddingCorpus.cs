// The corpus as the embedding trainers see it: a vocabulary sorted by frequency and the text as word ids.
//
// The file is read once, streamed in 64 KiB blocks whatever its line lengths (a file that is one line of gigabytes
// is fine): tokens are runs of non-whitespace bytes, a newline ends a sentence. Words under min_count (or past
// max_vocab) are dropped from the id stream, as the original word2vec tool does, so windows span them.
// Memory: the vocabulary plus 4 bytes per corpus token.
using System.Runtime.InteropServices;
using System.Text;

namespace Lineage.Text.Embeddings;

/// <summary>A vocabulary sorted by descending count (ties: first occurrence first), with each word's count.</summary>
public sealed class Vocabulary
{
    private readonly Dictionary<string, int> _index;

    /// <summary>Builds a vocabulary from words already sorted by descending count.</summary>
    /// <exception cref="ArgumentException">Lengths differ or a word appears twice.</exception>
    public Vocabulary(IReadOnlyList<string> words, IReadOnlyList<long> counts)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(counts);
        if (words.Count != counts.Count)
        {
            throw new ArgumentException($"{words.Count} words but {counts.Count} counts.", nameof(counts));
        }

        Words = [.. words];
        Counts = [.. counts];
        _index = new Dictionary<string, int>(Words.Length, StringComparer.Ordinal);
        for (int i = 0; i < Words.Length; i++)
        {
            if (!_index.TryAdd(Words[i], i))
            {
                throw new ArgumentException($"The word '{Words[i]}' appears twice in the vocabulary.", nameof(words));
            }
        }
    }

    /// <summary>Words, most frequent first.</summary>
    public string[] Words { get; }

    /// <summary>Corpus count of each word.</summary>
    public long[] Counts { get; }

    /// <summary>Number of words.</summary>
    public int Count => Words.Length;

    /// <summary>Sum of the counts.</summary>
    public long TotalCount => Counts.Sum();

    /// <summary>Id of a word, or -1.</summary>
    public int IndexOf(string word) => _index.TryGetValue(word, out var i) ? i : -1;
}

/// <summary>Which words to keep when building a vocabulary.</summary>
/// <param name="MinCount">Words seen fewer times are dropped (word2vec's <c>min_count</c>).</param>
/// <param name="MaxVocab">Keep at most this many of the most frequent words; 0 for no limit.</param>
/// <param name="MaxSentenceLength">Sentences (lines) longer than this are cut into pieces (word2vec uses 1000).</param>
public sealed record CorpusOptions(int MinCount = 5, int MaxVocab = 0, int MaxSentenceLength = 1000);

/// <summary>A tokenised corpus: the vocabulary and every kept token as an id, with sentence boundaries.</summary>
public sealed class EmbeddingCorpus
{
    /// <summary>Longest token kept, in bytes; longer runs are cut (word2vec's MAX_STRING is 100).</summary>
    public const int MaxTokenBytes = 1024;

    internal EmbeddingCorpus(Vocabulary vocabulary, int[] tokens, int[] sentenceEnds, long rawTokens)
    {
        Vocabulary = vocabulary;
        Tokens = tokens;
        SentenceEnds = sentenceEnds;
        RawTokenCount = rawTokens;
    }

    /// <summary>The kept words.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>The corpus as word ids (dropped words removed).</summary>
    public int[] Tokens { get; }

    /// <summary>Exclusive end index in <see cref="Tokens"/> of each sentence, ascending; the last equals Tokens.Length.</summary>
    public int[] SentenceEnds { get; }

    /// <summary>Tokens in the file before rare words were dropped.</summary>
    public long RawTokenCount { get; }

    /// <summary>Reads a whitespace-tokenised UTF-8 text file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The corpus is empty, or every word is under <c>MinCount</c>.</exception>
    public static EmbeddingCorpus FromFile(string path, CorpusOptions options, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: corpus file not found", path);
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return FromStream(stream, options, path, cancellation);
    }

    /// <summary>Tokenises a string (tests, small examples).</summary>
    public static EmbeddingCorpus FromText(string text, CorpusOptions options)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
        return FromStream(stream, options, "<text>", default);
    }

    /// <summary>Reads a whitespace-tokenised UTF-8 stream; <paramref name="name"/> is used in error messages.</summary>
    public static EmbeddingCorpus FromStream(Stream stream, CorpusOptions options, string name, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(options);
        if (options.MinCount < 1 || options.MaxVocab < 0 || options.MaxSentenceLength < 1)
        {
            throw new ArgumentException($"Bad corpus options {options}: MinCount ≥ 1, MaxVocab ≥ 0, MaxSentenceLength ≥ 1.", nameof(options));
        }

        // One pass: provisional ids in order of first occurrence, their counts, the id stream and line ends.
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var lookup = ids.GetAlternateLookup<ReadOnlySpan<char>>();
        var counts = new List<long>();
        var stream32 = new IntBuffer(1 << 20);
        var lineEnds = new IntBuffer(1 << 12);
        var chars = new char[MaxTokenBytes + 4];
        var token = new byte[MaxTokenBytes];
        int tokenLength = 0;
        var block = new byte[1 << 16];
        long blocks = 0;

        void EndToken()
        {
            if (tokenLength == 0)
            {
                return;
            }

            int n = Encoding.UTF8.GetChars(token.AsSpan(0, tokenLength), chars);
            var span = chars.AsSpan(0, n);
            if (!lookup.TryGetValue(span, out int id))
            {
                id = ids.Count;
                lookup[span] = id;
                counts.Add(0);
            }

            CollectionsMarshal.AsSpan(counts)[id]++;
            stream32.Add(id);
            tokenLength = 0;
        }

        int read;
        while ((read = stream.Read(block, 0, block.Length)) > 0)
        {
            if ((++blocks & 63) == 0)
            {
                cancellation.ThrowIfCancellationRequested();
            }

            for (int i = 0; i < read; i++)
            {
                byte b = block[i];
                if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\v' or (byte)'\f')
                {
                    EndToken();
                }
                else if (b == (byte)'\n')
                {
                    EndToken();
                    lineEnds.Add(stream32.Count);
                }
                else if (tokenLength < MaxTokenBytes)
                {
                    token[tokenLength++] = b;
                }
            }
        }

        EndToken();
        lineEnds.Add(stream32.Count);
        if (stream32.Count == 0)
        {
            throw new InvalidDataException($"{name}: the corpus is empty (no tokens).");
        }

        // Sort by descending count, ties by first occurrence, then apply min_count and max_vocab.
        var byProvisional = new string[ids.Count];
        foreach (var (w, id) in ids)
        {
            byProvisional[id] = w;
        }

        var order = Enumerable.Range(0, ids.Count).Where(i => counts[i] >= options.MinCount)
            .OrderByDescending(i => counts[i]).ThenBy(i => i).ToArray();
        if (options.MaxVocab > 0 && order.Length > options.MaxVocab)
        {
            order = order[..options.MaxVocab];
        }

        if (order.Length == 0)
        {
            long max = counts.Count == 0 ? 0 : counts.Max();
            throw new InvalidDataException(
                $"{name}: every word occurs fewer than min_count = {options.MinCount} times (the most frequent occurs {max} times); lower min_count or use a bigger corpus.");
        }

        var remap = new int[ids.Count];
        Array.Fill(remap, -1);
        for (int i = 0; i < order.Length; i++)
        {
            remap[order[i]] = i;
        }

        var vocabulary = new Vocabulary(order.Select(i => byProvisional[i]).ToArray(), order.Select(i => counts[i]).ToArray());
        var raw = stream32.AsSpan();
        var kept = new int[raw.Length];
        var ends = new IntBuffer(lineEnds.Count + 16);
        int k = 0, line = 0, sentenceStart = 0;
        var lineEndSpan = lineEnds.AsSpan();
        for (int i = 0; i <= raw.Length; i++)
        {
            while (line < lineEndSpan.Length && lineEndSpan[line] == i)
            {
                if (k > sentenceStart)
                {
                    ends.Add(k);
                    sentenceStart = k;
                }

                line++;
            }

            if (i == raw.Length)
            {
                break;
            }

            int id = remap[raw[i]];
            if (id >= 0)
            {
                kept[k++] = id;
                if (k - sentenceStart == options.MaxSentenceLength)
                {
                    ends.Add(k);
                    sentenceStart = k;
                }
            }
        }

        if (k > sentenceStart)
        {
            ends.Add(k);
        }

        return new EmbeddingCorpus(vocabulary, kept[..k], ends.AsSpan().ToArray(), raw.Length);
    }

    /// <summary>A growable int array without List's per-Add checks and with cheap span access.</summary>
    private sealed class IntBuffer(int capacity)
    {
        private int[] _items = new int[Math.Max(16, capacity)];

        public int Count { get; private set; }

        public void Add(int value)
        {
            if (Count == _items.Length)
            {
                Array.Resize(ref _items, checked(_items.Length * 2));
            }

            _items[Count++] = value;
        }

        public ReadOnlySpan<int> AsSpan() => _items.AsSpan(0, Count);
    }
}
