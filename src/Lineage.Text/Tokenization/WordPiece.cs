// WordPiece (Schuster & Nakajima 2012; Wu et al. 2016), BERT's vocabulary: a word is split greedily into the longest
// pieces of the vocabulary from the left, pieces after the first carrying the prefix "##". Encoding is Microsoft.ML.
// Tokenizers' BertTokenizer (BERT's basic tokenizer: lower case, accents stripped, punctuation split off, then WordPiece).
// Training is ours, the way Hugging Face's tokenizers library trains WordPiece: start from the characters (the first of
// a word bare, the others as "##c"), then merge the most frequent adjacent pair, as BPE does, until the vocabulary is
// full; the merge loop is the one byte-level BPE uses (PairMerges). The vocabulary file is BERT's vocab.txt.
using System.Globalization;
using System.Text;
using Lineage.Text.IO;
using Microsoft.ML.Tokenizers;

namespace Lineage.Text.Tokenization;

/// <summary>A WordPiece vocabulary (BERT's), trained on our text; encode and decode through Microsoft.ML.Tokenizers.</summary>
public sealed class WordPiece
{
    /// <summary>The vocabulary file in a model folder (one piece per line, id = line number).</summary>
    public const string FileName = "vocab.txt";

    /// <summary>BERT's special tokens, in id order 0–4.</summary>
    public static IReadOnlyList<string> Specials { get; } = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    /// <summary>[PAD].</summary>
    public const int PadId = 0;

    /// <summary>[UNK].</summary>
    public const int UnkId = 1;

    /// <summary>[CLS].</summary>
    public const int ClsId = 2;

    /// <summary>[SEP].</summary>
    public const int SepId = 3;

    /// <summary>[MASK].</summary>
    public const int MaskId = 4;

    private const string Continuation = "##";
    private readonly BertTokenizer _tokenizer;

    private WordPiece(BertTokenizer tokenizer, IReadOnlyList<string> pieces)
    {
        _tokenizer = tokenizer;
        Vocabulary = pieces;
    }

    /// <summary>The pieces, by id.</summary>
    public IReadOnlyList<string> Vocabulary { get; }

    /// <summary>Pieces in the vocabulary.</summary>
    public int VocabSize => Vocabulary.Count;

    /// <summary>Ids of <paramref name="text"/>'s pieces, without [CLS] and [SEP].</summary>
    public int[] Encode(string text) =>
        [.. _tokenizer.EncodeToIds(text ?? throw new ArgumentNullException(nameof(text)), addSpecialTokens: false)];

    /// <summary>The pieces of <paramref name="text"/> ("play", "##ing").</summary>
    public IReadOnlyList<string> Pieces(string text) => [.. Encode(text).Select(i => Vocabulary[i])];

    /// <summary>Text of <paramref name="ids"/> (pieces glued at "##", specials skipped).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id outside the vocabulary.</exception>
    public string Decode(IEnumerable<long> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = new StringBuilder();
        foreach (long id in ids)
        {
            if (id < 0 || id >= VocabSize) throw new ArgumentOutOfRangeException(nameof(ids), id, $"token id outside the vocabulary of {VocabSize}");
            if (id < Specials.Count) continue;
            var piece = Vocabulary[(int)id];
            if (piece.StartsWith(Continuation, StringComparison.Ordinal)) text.Append(piece.AsSpan(Continuation.Length));
            else text.Append(text.Length > 0 ? " " : "").Append(piece);
        }

        return text.ToString();
    }

    /// <summary>Loads <c>vocab.txt</c> from a folder (or the file itself).</summary>
    /// <exception cref="FileNotFoundException">No vocabulary file.</exception>
    /// <exception cref="InvalidDataException">The first five lines are not BERT's special tokens, or a piece repeats.</exception>
    public static WordPiece Load(string pathOrFolder)
    {
        ArgumentException.ThrowIfNullOrEmpty(pathOrFolder);
        string path = Directory.Exists(pathOrFolder) ? Path.Combine(pathOrFolder, FileName) : pathOrFolder;
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: WordPiece vocabulary not found", path);
        var pieces = File.ReadAllLines(path);
        for (int i = 0; i < Specials.Count; i++)
        {
            if (i >= pieces.Length || pieces[i] != Specials[i])
                throw new InvalidDataException($"{path}: line {i + 1} must be {Specials[i]} (BERT's special tokens come first), found '{(i < pieces.Length ? pieces[i] : "end of file")}'");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < pieces.Length; i++)
            if (!seen.Add(pieces[i])) throw new InvalidDataException($"{path}: line {i + 1}: the piece '{pieces[i]}' appears twice");
        return new WordPiece(Create(path), pieces);
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
        var basic = BasicTokenizer();
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var text in texts)
        {
            foreach (var word in BasicWords(basic, text)) counts[word] = counts.GetValueOrDefault(word) + 1;
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

    // BERT's basic tokenizer, as Microsoft.ML.Tokenizers runs it: the normalised words of a text.
    private static IEnumerable<string> BasicWords(BertTokenizer basic, string text)
    {
        if (string.IsNullOrWhiteSpace(text)) yield break;
        string normalized = basic.Normalizer?.Normalize(text) ?? text;
        foreach (var (offset, length) in basic.PreTokenizer!.PreTokenize(normalized)) yield return normalized.Substring(offset, length);
    }

    private static BertTokenizer BasicTokenizer()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("lineage-wordpiece-").FullName, FileName);
        File.WriteAllLines(path, Specials);
        try
        {
            return Create(path);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    private static BertTokenizer Create(string path) =>
        BertTokenizer.Create(path, new BertOptions { LowerCaseBeforeTokenization = true, ApplyBasicTokenization = true });
}
