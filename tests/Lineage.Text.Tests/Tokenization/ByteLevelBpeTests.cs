using Lineage.Text.Tokenization;
using Microsoft.ML.Tokenizers;

namespace Lineage.Text.Tests.Tokenization;

public sealed class ByteLevelBpeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lineage-bpe-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly string[] Corpus =
    [
        "The lower the newer, the lowest the newest.",
        "Lower and newer: the low new widest wider wide.",
        "Ünïcödé and emoji 😀 survive byte-level tokens; so do tabs\tand\nnew lines.",
    ];

    [Fact]
    public void Training_MergesTheMostFrequentPairsFirst_AndEncodingRoundTrips()
    {
        var bpe = ByteLevelBpe.Train(Enumerable.Repeat(Corpus, 20).SelectMany(c => c), vocabSize: 320);
        Assert.InRange(bpe.VocabSize, 258, 320);
        Assert.Equal(ByteLevelBpe.EndOfTextToken, bpe.Tokens[bpe.EndOfText]);
        // The first merge is the commonest adjacent pair of byte-level characters within pre-tokens.
        var pairs = Corpus.SelectMany(ByteLevelBpe.PreTokenize).SelectMany(w => w.Zip(w.Skip(1), (a, b) => (a.ToString(), b.ToString())))
                          .GroupBy(p => p).Select(g => (g.Key, Count: g.Count())).ToList();
        int top = pairs.Max(p => p.Count);
        Assert.Contains(pairs, p => p.Count == top && p.Key == bpe.Merges[0]);
        foreach (var text in Corpus.Append("unseen wörds 🙂 too"))
        {
            var ids = bpe.Encode(text);
            Assert.Equal(text, bpe.Decode(ids));
        }

        Assert.True(bpe.Encode(Corpus[0]).Length < System.Text.Encoding.UTF8.GetByteCount(Corpus[0]) / 2);   // merges compress
    }

    [Fact]
    public void SavedFiles_LoadInMicrosoftMLTokenizers_WithTheSameIds()
    {
        var bpe = ByteLevelBpe.Train(Enumerable.Repeat(Corpus, 20).SelectMany(c => c), vocabSize: 300);
        bpe.Save(_dir);
        using var vocab = File.OpenRead(Path.Combine(_dir, "vocab.json"));
        using var merges = File.OpenRead(Path.Combine(_dir, "merges.txt"));
        var reference = CodeGenTokenizer.Create(vocab, merges, addPrefixSpace: false, addBeginOfSentence: false, addEndOfSentence: false);
        foreach (var text in Corpus.Append("unseen wörds 🙂 too"))
        {
            Assert.Equal(reference.EncodeToIds(text), bpe.Encode(text));
            Assert.Equal(text, reference.Decode(bpe.Encode(text)));
        }

        var loaded = ByteLevelBpe.Load(_dir);
        Assert.Equal(bpe.Merges, loaded.Merges);
        File.WriteAllText(Path.Combine(_dir, "merges.txt"), "#version: 0.2\na b\nbroken\n");
        Assert.Contains("line 3", Assert.Throws<InvalidDataException>(() => ByteLevelBpe.Load(_dir)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ByteLevelBpe.Train([""], 300));
        Assert.Throws<ArgumentException>(() => ByteLevelBpe.Train(Corpus, 100));
    }
}
