// WordPiece (Schuster & Nakajima 2012; Wu et al. 2016), BERT's vocabulary: a word is split greedily into the longest
// pieces of the vocabulary from the left, pieces after the first carrying the prefix "##".
// Encoding is BERT's own (Google's tokenization.py, Hugging Face's BasicTokenizer + WordpieceTokenizer, uncased):
// drop U+0000, U+FFFD and control/format characters (category C*, but tab, CR and LF are white space), white space
// (Zs, tab, CR, LF) becomes a space, CJK ideographs become words of their own, each word is lower-cased, decomposed (NFD)
// and loses its non-spacing marks, punctuation (ASCII !–/ :–@ [–` {–~ and category P*) is split off; a word over 100
// code points, or one the vocabulary cannot cover, is [UNK]. The five special tokens written in the text are kept whole.
// Deviation from the earlier version: that one called Microsoft.ML.Tokenizers 3.0.0's BertTokenizer, which differs from
// BERT on tab/CR/LF (removed, so words join), symbols such as $ + = < > ^ | ~ € and emoji (dropped), '_' (kept in the
// word), format characters such as U+200B (kept), Hangul (recomposed after NFD, so [UNK]) and accents (kept unless
// RemoveNonSpacingMarks); docs/encodings.md, "Checked against Microsoft.ML.Tokenizers", has the comparison.
// Training is ours, the way Hugging Face's tokenizers library trains WordPiece: start from the characters (the first of
// a word bare, the others as "##c"), then merge the most frequent adjacent pair, as BPE does, until the vocabulary is
// full; the merge loop is the one byte-level BPE uses (PairMerges). The vocabulary file is BERT's vocab.txt.
using System.Globalization;
using System.Text;
using Lineage.Text.IO;

namespace Lineage.Text.Tokenization;

/// <summary>A WordPiece vocabulary (BERT's): trained on our text, or a pretrained <c>vocab.txt</c>; encodes as BERT (uncased) does.</summary>
public sealed class WordPiece
{
    /// <summary>The vocabulary file in a model folder (one piece per line, id = line number).</summary>
    public const string FileName = "vocab.txt";

    /// <summary>BERT's special tokens; a vocabulary <see cref="Train"/> writes has them as ids 0–4, in this order.</summary>
    public static IReadOnlyList<string> Specials { get; } = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    /// <summary>[PAD] in a vocabulary <see cref="Train"/> wrote (a pretrained one: <see cref="PadTokenId"/>).</summary>
    public const int PadId = 0;

    /// <summary>[UNK] in a vocabulary <see cref="Train"/> wrote (a pretrained one: <see cref="UnknownTokenId"/>).</summary>
    public const int UnkId = 1;

    /// <summary>[CLS] in a vocabulary <see cref="Train"/> wrote (a pretrained one: <see cref="ClsTokenId"/>).</summary>
    public const int ClsId = 2;

    /// <summary>[SEP] in a vocabulary <see cref="Train"/> wrote (a pretrained one: <see cref="SepTokenId"/>).</summary>
    public const int SepId = 3;

    /// <summary>[MASK] in a vocabulary <see cref="Train"/> wrote (a pretrained one: <see cref="MaskTokenId"/>).</summary>
    public const int MaskId = 4;

    /// <summary>BERT's longest word in code points; a longer one is [UNK].</summary>
    public const int MaxCharsPerWord = 100;

    private const string Continuation = "##";
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _first;   // pieces that start a word
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _next;    // "##x" pieces, keyed by "x"
    private readonly Dictionary<string, int> _specials;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);

    private WordPiece(IReadOnlyList<string> pieces)
    {
        Vocabulary = pieces;
        var first = new Dictionary<string, int>(StringComparer.Ordinal);
        var next = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < pieces.Count; i++)
        {
            var p = pieces[i];
            if (p.Length > Continuation.Length && p.StartsWith(Continuation, StringComparison.Ordinal)) next.TryAdd(p[Continuation.Length..], i);
            first.TryAdd(p, i);
        }

        _first = first.GetAlternateLookup<ReadOnlySpan<char>>();
        _next = next.GetAlternateLookup<ReadOnlySpan<char>>();
        _specials = Specials.ToDictionary(s => s, s => first[s], StringComparer.Ordinal);
        PadTokenId = _specials["[PAD]"];
        UnknownTokenId = _specials["[UNK]"];
        ClsTokenId = _specials["[CLS]"];
        SepTokenId = _specials["[SEP]"];
        MaskTokenId = _specials["[MASK]"];
    }

    /// <summary>The pieces, by id.</summary>
    public IReadOnlyList<string> Vocabulary { get; }

    /// <summary>Pieces in the vocabulary.</summary>
    public int VocabSize => Vocabulary.Count;

    /// <summary>The id of [PAD] in this vocabulary (0 in BERT's and ours).</summary>
    public int PadTokenId { get; }

    /// <summary>The id of [UNK] in this vocabulary (100 in BERT's, 1 in ours).</summary>
    public int UnknownTokenId { get; }

    /// <summary>The id of [CLS] in this vocabulary (101 in BERT's, 2 in ours).</summary>
    public int ClsTokenId { get; }

    /// <summary>The id of [SEP] in this vocabulary (102 in BERT's, 3 in ours).</summary>
    public int SepTokenId { get; }

    /// <summary>The id of [MASK] in this vocabulary (103 in BERT's, 4 in ours).</summary>
    public int MaskTokenId { get; }

    /// <summary>Ids of <paramref name="text"/>'s pieces, without [CLS] and [SEP].</summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        var words = new List<string>();
        int from = 0;
        while (from < text.Length)
        {
            // The special tokens written in the text stay whole, as in Hugging Face's tokenizer (exact, case-sensitive).
            int at = -1, special = -1, length = 0;
            for (int i = text.IndexOf('[', from); i >= 0 && at < 0; i = text.IndexOf('[', i + 1))
            {
                foreach (var (token, id) in _specials)
                {
                    if (string.CompareOrdinal(text, i, token, 0, token.Length) == 0) (at, special, length) = (i, id, token.Length);
                }
            }

            int end = at < 0 ? text.Length : at;
            words.Clear();
            Basic(text.AsSpan(from, end - from), words);
            foreach (var word in words) ids.AddRange(EncodeWord(word));
            if (at < 0) break;
            ids.Add(special);
            from = at + length;
        }

        return [.. ids];
    }

    /// <summary>The pieces of <paramref name="text"/> ("play", "##ing").</summary>
    public IReadOnlyList<string> Pieces(string text) => [.. Encode(text).Select(i => Vocabulary[i])];

    /// <summary>Text of <paramref name="ids"/> (pieces glued at "##", the five specials skipped).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id outside the vocabulary.</exception>
    public string Decode(IEnumerable<long> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = new StringBuilder();
        foreach (long id in ids)
        {
            if (id < 0 || id >= VocabSize) throw new ArgumentOutOfRangeException(nameof(ids), id, $"token id outside the vocabulary of {VocabSize}");
            if (id == PadTokenId || id == UnknownTokenId || id == ClsTokenId || id == SepTokenId || id == MaskTokenId) continue;
            var piece = Vocabulary[(int)id];
            if (piece.StartsWith(Continuation, StringComparison.Ordinal)) text.Append(piece.AsSpan(Continuation.Length));
            else text.Append(text.Length > 0 ? " " : "").Append(piece);
        }

        return text.ToString();
    }

    /// <summary>Loads <c>vocab.txt</c> from a folder (or the file itself): ours, or a pretrained BERT vocabulary.</summary>
    /// <exception cref="FileNotFoundException">No vocabulary file.</exception>
    /// <exception cref="InvalidDataException">One of BERT's five special tokens is missing, or a piece repeats.</exception>
    public static WordPiece Load(string pathOrFolder)
    {
        ArgumentException.ThrowIfNullOrEmpty(pathOrFolder);
        string path = Directory.Exists(pathOrFolder) ? Path.Combine(pathOrFolder, FileName) : pathOrFolder;
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: WordPiece vocabulary not found", path);
        var pieces = File.ReadAllLines(path);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < pieces.Length; i++)
            if (!seen.Add(pieces[i])) throw new InvalidDataException($"{path}: line {i + 1}: the piece '{pieces[i]}' appears twice");
        foreach (var special in Specials)
            if (!seen.Contains(special)) throw new InvalidDataException($"{path}: BERT's special token {special} is not in the vocabulary");
        return new WordPiece(pieces);
    }

    /// <summary>Learns a vocabulary of at most <paramref name="vocabSize"/> pieces and writes it to <paramref name="folder"/>/vocab.txt atomically.</summary>
    /// <param name="texts">Training text.</param>
    /// <param name="folder">Where vocab.txt goes.</param>
    /// <param name="vocabSize">Most pieces, the five specials included.</param>
    /// <param name="minCount">Characters seen fewer times are left out (words holding them become [UNK]); merges stop below this count.</param>
    /// <param name="cancellation">Checked between merges.</param>
    /// <exception cref="ArgumentException">No words in the text, or a vocabulary too small for the alphabet.</exception>
    public static WordPiece Train(IEnumerable<string> texts, string folder, int vocabSize, int minCount = 2, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var text in texts)
        {
            foreach (var word in BasicTokens(text)) counts[word] = counts.GetValueOrDefault(word) + 1;
        }

        if (counts.Count == 0) throw new ArgumentException("No words to learn a vocabulary from.", nameof(texts));
        var charCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (word, n) in counts)
        {
            var symbols = Symbols(word);
            foreach (var s in symbols) charCounts[s] = charCounts.GetValueOrDefault(s) + n;
        }

        var alphabet = charCounts.Where(kv => kv.Value >= minCount).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
        int merges = vocabSize - Specials.Count - alphabet.Count;
        if (merges < 0)
            throw new ArgumentException($"A vocabulary of {vocabSize} cannot hold the {Specials.Count} specials and the {alphabet.Count} characters seen at least {minCount} times.", nameof(vocabSize));
        var known = alphabet.ToHashSet(StringComparer.Ordinal);
        var words = counts.Keys.Where(w => Symbols(w).All(known.Contains)).Order(StringComparer.Ordinal).ToArray();
        var learnt = PairMerges.Learn([.. words.Select(Symbols)], [.. words.Select(w => counts[w])], merges, minCount,
            (l, r) => l + r[Continuation.Length..], cancellation);
        var pieces = Specials.Concat(alphabet).Concat(learnt.Select(m => m.Left + m.Right[Continuation.Length..])).Distinct(StringComparer.Ordinal).ToList();
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, FileName);
        AtomicFile.WriteAllText(path, string.Concat(pieces.Select(p => p + "\n")));
        return Load(path);
    }

    // "word" → ["w", "##o", "##r", "##d"] (by text element, so a surrogate pair stays whole).
    private static List<string> Symbols(string word)
    {
        var symbols = new List<string>();
        var e = StringInfo.GetTextElementEnumerator(word);
        while (e.MoveNext()) symbols.Add(symbols.Count == 0 ? e.GetTextElement() : Continuation + e.GetTextElement());
        return symbols;
    }

    /// <summary>
    /// BERT's basic tokenizer (uncased): the cleaned, lower-cased, accent-stripped words and punctuation marks of
    /// <paramref name="text"/>, CJK ideographs one per word; the pieces WordPiece then splits.
    /// </summary>
    public static IReadOnlyList<string> BasicTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = new List<string>();
        Basic(text, tokens);
        return tokens;
    }

    private static void Basic(ReadOnlySpan<char> text, List<string> into)
    {
        var word = new StringBuilder();
        Span<char> utf16 = stackalloc char[2];
        foreach (var rune in text.EnumerateRunes())   // a lone surrogate arrives as U+FFFD and is dropped
        {
            int cp = rune.Value;
            if (cp is '\t' or '\n' or '\r' || Rune.IsWhiteSpace(rune) && !Rune.IsControl(rune))
            {
                Flush(word, into);
                continue;
            }

            if (cp is 0 or 0xFFFD || IsControl(rune)) continue;
            if (IsCjk(cp))
            {
                Flush(word, into);
                into.Add(rune.ToString());
                continue;
            }

            word.Append(utf16[..rune.EncodeToUtf16(utf16)]);
        }

        Flush(word, into);
    }

    // One white-space-separated token: lower case, NFD without non-spacing marks, then split at punctuation.
    private static void Flush(StringBuilder word, List<string> into)
    {
        if (word.Length == 0) return;
        // Python's str.lower() (Rust's in Hugging Face's fast tokenizer is the same full case mapping), not .NET's
        // invariant lower case: U+0130 (İ) becomes "i" + U+0307, and Σ ending a word becomes ς (Final_Sigma).
        var token = PythonText.Lower(word.ToString());
        word.Clear();
        // Through Nfkd, not string.Normalize, which does nothing in the CLI's invariant globalization mode.
        if (!System.Text.Ascii.IsValid(token)) token = Nfkd.DecomposeCanonical(token);
        var part = new StringBuilder(token.Length);
        Span<char> utf16 = stackalloc char[2];
        foreach (var rune in token.EnumerateRunes())
        {
            if (Rune.GetUnicodeCategory(rune) == UnicodeCategory.NonSpacingMark) continue;
            if (IsPunctuation(rune))
            {
                if (part.Length > 0) into.Add(part.ToString());
                part.Clear();
                into.Add(rune.ToString());
            }
            else
            {
                part.Append(utf16[..rune.EncodeToUtf16(utf16)]);
            }
        }

        if (part.Length > 0) into.Add(part.ToString());
    }

    // Greedy longest-match-first over the word's code points; the whole word is [UNK] when a position has no piece.
    private int[] EncodeWord(string word)
    {
        if (_cache.TryGetValue(word, out var cached)) return cached;
        int[] ids;
        if (word.EnumerateRunes().Count() > MaxCharsPerWord)
        {
            ids = [UnknownTokenId];
        }
        else
        {
            var found = new List<int>();
            var span = word.AsSpan();
            int start = 0;
            while (start < span.Length)
            {
                int end = span.Length, id = -1;
                while (end > start)
                {
                    var lookup = start == 0 ? _first : _next;
                    if (lookup.TryGetValue(span[start..end], out id)) break;
                    end--;
                    if (end > start && char.IsLowSurrogate(span[end])) end--;   // cut between code points only
                    id = -1;
                }

                if (id < 0)
                {
                    found = [UnknownTokenId];
                    break;
                }

                found.Add(id);
                start = end;
            }

            ids = [.. found];
        }

        if (_cache.Count < 1 << 20) _cache[word] = ids;
        return ids;
    }

    // Python's unicodedata.category(c).startswith("C"): control, format, surrogate, private use, unassigned.
    private static bool IsControl(Rune r) => Rune.GetUnicodeCategory(r) is UnicodeCategory.Control or UnicodeCategory.Format
        or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;

    // BERT's punctuation: every non-letter, non-digit ASCII printable character, and Unicode category P*.
    private static bool IsPunctuation(Rune r)
    {
        int cp = r.Value;
        if (cp is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126) return true;
        return Rune.GetUnicodeCategory(r) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    // BERT's "Chinese characters": the CJK Unified Ideographs blocks and their extensions and compatibility blocks.
    private static bool IsCjk(int cp) => cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF
        or >= 0x2A700 and <= 0x2B73F or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF
        or >= 0x2F800 and <= 0x2FA1F;
}
