// The corpus as the embedding trainers see it: a vocabulary sorted by frequency and the text as word ids.
//
// The file is read once, streamed in 64 KiB blocks whatever its line lengths (a file that is one line of gigabytes
// is fine): tokens are runs of non-whitespace bytes, a newline ends a sentence. Words under min_count (or past
// max_vocab) are dropped from the id stream, as the original word2vec tool does, so windows span them.
// Memory: the vocabulary plus 4 bytes per corpus token; or, streamed (FromFile with a scratch folder), the vocabulary
// plus 4 bytes per sentence, the ids waiting in a scratch file that each pass reads in blocks.
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

/// <summary>
/// A tokenised corpus: the vocabulary and every kept token as an id, with sentence boundaries; held in memory, or
/// streamed from a scratch file (<see cref="IsStreamed"/>), read a block at a time by <see cref="OpenSentences"/>.
/// </summary>
public sealed class EmbeddingCorpus : IDisposable
{
    /// <summary>Longest token kept, in bytes; longer runs are cut (word2vec's MAX_STRING is 100).</summary>
    public const int MaxTokenBytes = 1024;

    private readonly int[]? _tokens;
    private readonly FileStream? _file;   // streamed: the kept ids, 4 bytes each, in order

    private EmbeddingCorpus(Vocabulary vocabulary, int[]? tokens, FileStream? file, long tokenCount, int[] sentenceEnds, int longestSentence, long rawTokens)
    {
        Vocabulary = vocabulary;
        _tokens = tokens;
        _file = file;
        TokenCount = tokenCount;
        SentenceEnds = sentenceEnds;
        LongestSentence = longestSentence;
        RawTokenCount = rawTokens;
    }

    /// <summary>The kept words.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>The corpus as word ids (dropped words removed).</summary>
    /// <exception cref="InvalidOperationException">The corpus is streamed: read it with <see cref="OpenSentences"/>.</exception>
    public int[] Tokens => _tokens ?? throw new InvalidOperationException("This corpus is streamed from a scratch file: read it with OpenSentences.");

    /// <summary>Whether the ids wait in a scratch file rather than in memory.</summary>
    public bool IsStreamed => _file is not null;

    /// <summary>Kept tokens (the length of the id stream).</summary>
    public long TokenCount { get; }

    /// <summary>Exclusive end index in the id stream of each sentence, ascending; the last equals <see cref="TokenCount"/>.</summary>
    public int[] SentenceEnds { get; }

    /// <summary>Words in the longest sentence.</summary>
    public int LongestSentence { get; }

    /// <summary>Tokens in the file before rare words were dropped.</summary>
    public long RawTokenCount { get; }

    /// <summary>A reader of the sentences, for one thread (each thread its own); sentences are cheapest read in order.</summary>
    public SentenceReader OpenSentences() => new(this);

    /// <summary>Deletes a streamed corpus's scratch file.</summary>
    public void Dispose() => _file?.Dispose();

    /// <summary>Reads a whitespace-tokenised UTF-8 text file into memory.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The corpus is empty, or every word is under <c>MinCount</c>.</exception>
    public static EmbeddingCorpus FromFile(string path, CorpusOptions options, CancellationToken cancellation = default) =>
        FromFile(path, options, scratchFolder: null, cancellation);

    /// <summary>
    /// Reads a whitespace-tokenised UTF-8 text file; with <paramref name="scratchFolder"/>, the ids go to a scratch file
    /// there (unnamed on Unix, deleted on <see cref="Dispose"/>) instead of memory, so memory follows the vocabulary and
    /// the number of sentences, not the corpus.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The corpus is empty, or every word is under <c>MinCount</c>.</exception>
    public static EmbeddingCorpus FromFile(string path, CorpusOptions options, string? scratchFolder, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: corpus file not found", path);
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Read(stream, options, path, scratchFolder, cancellation);
    }

    /// <summary>Tokenises a string (tests, small examples).</summary>
    public static EmbeddingCorpus FromText(string text, CorpusOptions options)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
        return FromStream(stream, options, "<text>", default);
    }

    /// <summary>Reads a whitespace-tokenised UTF-8 stream into memory; <paramref name="name"/> is used in error messages.</summary>
    public static EmbeddingCorpus FromStream(Stream stream, CorpusOptions options, string name, CancellationToken cancellation = default) =>
        Read(stream, options, name, scratchFolder: null, cancellation);

    private static EmbeddingCorpus Read(Stream stream, CorpusOptions options, string name, string? scratchFolder, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(options);
        if (options.MinCount < 1 || options.MaxVocab < 0 || options.MaxSentenceLength < 1)
        {
            throw new ArgumentException($"Bad corpus options {options}: MinCount ≥ 1, MaxVocab ≥ 0, MaxSentenceLength ≥ 1.", nameof(options));
        }

        // One pass: provisional ids in order of first occurrence, their counts, and the id stream with -1 for each line
        // end (in memory, or in a first scratch file).
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var lookup = ids.GetAlternateLookup<ReadOnlySpan<char>>();
        var counts = new List<long>();
        using var rawFile = scratchFolder is null ? null : new IntFile(scratchFolder);
        IIntStream raw = rawFile is null ? new IntBuffer(1 << 20) : rawFile;
        long rawTokens = 0;
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
            raw.Add(id);
            rawTokens++;
            tokenLength = 0;
        }

        void EndLine() => raw.Add(-1);

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
                    EndLine();
                }
                else if (tokenLength < MaxTokenBytes)
                {
                    token[tokenLength++] = b;
                }
            }
        }

        EndToken();
        EndLine();
        if (rawTokens == 0)
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

        // Second pass over the id stream: final ids, rare words dropped, sentences cut at line ends and at
        // MaxSentenceLength; into memory or a second scratch file.
        var finalFile = scratchFolder is null ? null : new IntFile(scratchFolder);
        IIntStream final = finalFile is null ? new IntBuffer((int)Math.Min(rawTokens, Array.MaxLength)) : finalFile;
        try
        {
            var cutter = new SentenceCutter(remap, options.MaxSentenceLength, final.Add);
            raw.ForEach(value =>
            {
                if (value < 0) cutter.LineEnd();
                else cutter.Token(value);
            }, cancellation);
            var ends = cutter.Finish();
            return finalFile is not null
                ? new EmbeddingCorpus(vocabulary, null, finalFile.Finish(), cutter.Kept, ends, cutter.Longest, rawTokens)
                : new EmbeddingCorpus(vocabulary, ((IntBuffer)final).AsSpan().ToArray(), null, cutter.Kept, ends, cutter.Longest, rawTokens);
        }
        catch
        {
            finalFile?.Dispose();
            throw;
        }
    }

    /// <summary>Turns provisional ids and line ends into kept ids and sentence ends (each kept id also goes to a sink).</summary>
    private sealed class SentenceCutter(int[] remap, int maxSentence, Action<int> sink)
    {
        private readonly IntBuffer _ends = new(1 << 12);
        private long _sentenceStart;

        public long Kept { get; private set; }

        public int Longest { get; private set; }

        public void LineEnd()
        {
            if (Kept > _sentenceStart) End();
        }

        public void Token(int provisional)
        {
            int id = remap[provisional];
            if (id < 0) return;   // dropped
            sink(id);
            Kept++;
            if (Kept - _sentenceStart == maxSentence) End();
        }

        public int[] Finish()
        {
            LineEnd();
            return _ends.AsSpan().ToArray();
        }

        private void End()
        {
            if (Kept > int.MaxValue) throw new InvalidDataException($"More than {int.MaxValue:N0} kept words: split the corpus.");
            _ends.Add((int)Kept);
            Longest = Math.Max(Longest, (int)(Kept - _sentenceStart));
            _sentenceStart = Kept;
        }
    }

    /// <summary>Ints appended, then read back in order: in memory (<see cref="IntBuffer"/>) or a scratch file (<see cref="IntFile"/>).</summary>
    private interface IIntStream
    {
        void Add(int value);

        void ForEach(Action<int> action, CancellationToken cancellation);
    }

    /// <summary>Ints appended to an unnamed scratch file through a 256 KiB buffer, then read back in blocks.</summary>
    private sealed class IntFile : IIntStream, IDisposable
    {
        private readonly FileStream _file;
        private readonly int[] _buffer = new int[1 << 16];
        private int _used;

        public IntFile(string folder)
        {
            _file = Lineage.Text.IO.ScratchFile.Create(folder, "corpus");
        }

        public void Add(int value)
        {
            if (_used == _buffer.Length) Flush();
            _buffer[_used++] = value;
        }

        private void Flush()
        {
            _file.Write(MemoryMarshal.AsBytes(_buffer.AsSpan(0, _used)));
            _used = 0;
        }

        /// <summary>Everything written, flushed, for reading; the file is the caller's to dispose.</summary>
        public FileStream Finish()
        {
            Flush();
            _file.Flush();
            return _file;
        }

        public void ForEach(Action<int> action, CancellationToken cancellation)
        {
            Finish();
            _file.Position = 0;
            int read;
            var bytes = MemoryMarshal.AsBytes(_buffer.AsSpan());
            while ((read = _file.Read(bytes)) > 0)
            {
                cancellation.ThrowIfCancellationRequested();
                if (read % sizeof(int) != 0) _file.ReadExactly(bytes[read..(read + sizeof(int) - read % sizeof(int))]);
                int n = (read + sizeof(int) - 1) / sizeof(int);
                for (int i = 0; i < n; i++) action(_buffer[i]);
            }
        }

        public void Dispose() => _file.Dispose();
    }

    /// <summary>A growable int array without List's per-Add checks and with cheap span access.</summary>
    private sealed class IntBuffer(int capacity) : IIntStream
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

        public void ForEach(Action<int> action, CancellationToken cancellation)
        {
            for (int i = 0; i < Count; i++)
            {
                if ((i & 0xFFFFF) == 0) cancellation.ThrowIfCancellationRequested();
                action(_items[i]);
            }
        }
    }

    /// <summary>
    /// One thread's reader of a corpus's sentences: a span over the ids in memory, or a block of the scratch file read
    /// with positioned reads (safe beside other threads' readers) whenever the sentence asked for is not in it.
    /// </summary>
    public sealed class SentenceReader
    {
        private readonly EmbeddingCorpus _corpus;
        private readonly int[]? _block;
        private long _blockStart, _blockEnd;   // token positions held in _block

        internal SentenceReader(EmbeddingCorpus corpus)
        {
            _corpus = corpus;
            if (corpus._file is not null) _block = new int[Math.Max(1 << 16, corpus.LongestSentence)];
        }

        /// <summary>The ids of sentence <paramref name="index"/> (valid until the next call).</summary>
        public ReadOnlySpan<int> Sentence(int index)
        {
            var ends = _corpus.SentenceEnds;
            int start = index == 0 ? 0 : ends[index - 1], end = ends[index];
            if (_block is null) return _corpus._tokens.AsSpan(start, end - start);
            if (start < _blockStart || end > _blockEnd)
            {
                int want = (int)Math.Min(_block.Length, _corpus.TokenCount - start);
                var bytes = MemoryMarshal.AsBytes(_block.AsSpan(0, want));
                int got = 0;
                while (got < bytes.Length)
                {
                    int n = RandomAccess.Read(_corpus._file!.SafeFileHandle, bytes[got..], (long)start * sizeof(int) + got);
                    if (n == 0) throw new IOException("The corpus's scratch file ended early: was it changed while in use?");
                    got += n;
                }

                (_blockStart, _blockEnd) = (start, start + want);
            }

            return _block.AsSpan((int)(start - _blockStart), end - start);
        }
    }
}
