using Lineage.Text.Tokenization;

namespace Lineage.Text.Tests.Tokenization;

public sealed class WordPieceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lineage-wp-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static IEnumerable<string> Text()
    {
        string[] words = ["The", "player", "played", "playing", "plays", "a", "game", "gaming", "games", "quickly", "slowly", "today"];
        var rng = new Random(3);
        for (int i = 0; i < 500; i++) yield return string.Join(' ', Enumerable.Range(0, 6).Select(_ => words[rng.Next(words.Length)])) + ", ok.";
    }

    [Fact]
    public void Train_FrequentWordsBecomeOnePiece_UnseenWordsSplitIntoContinuations()
    {
        var wp = WordPiece.Train(Text(), _dir, vocabSize: 80);

        Assert.Equal(WordPiece.Specials, wp.Vocabulary.Take(5));
        Assert.True(wp.VocabSize <= 80);
        Assert.Equal(["the", "player", "played", "games", ",", "ok", "."], wp.Pieces("The PLAYER played games, ok."));
        // "gamer" was never seen: it is built from pieces, the later ones marked "##".
        var gamer = wp.Pieces("gamer");
        Assert.True(gamer.Count > 1);
        Assert.All(gamer.Skip(1), p => Assert.StartsWith("##", p, StringComparison.Ordinal));
        Assert.Equal("gamer", wp.Decode(wp.Encode("gamer").Select(i => (long)i)));
        Assert.Equal("the player , ok .", wp.Decode(wp.Encode("The player, ok.").Select(i => (long)i)));
        // A character never seen makes its word unknown, as in BERT.
        Assert.Equal([WordPiece.UnkId], wp.Encode("zebra"));
    }

    [Fact]
    public void Load_ReadsWhatTrainWrote_AndRejectsBadFiles()
    {
        var wp = WordPiece.Train(Text(), _dir, vocabSize: 60);
        var again = WordPiece.Load(_dir);
        Assert.Equal(wp.Vocabulary, again.Vocabulary);
        Assert.Equal(wp.Encode("playing games today"), again.Encode("playing games today"));

        File.WriteAllLines(Path.Combine(_dir, WordPiece.FileName), ["[PAD]", "[CLS]", "[SEP]", "[MASK]", "a"]);
        Assert.Contains("[UNK] is not in the vocabulary", Assert.Throws<InvalidDataException>(() => WordPiece.Load(_dir)).Message, StringComparison.Ordinal);
        // A pretrained vocabulary keeps its specials where they are (BERT's: [UNK] 100, [CLS] 101, ...).
        File.WriteAllLines(Path.Combine(_dir, WordPiece.FileName), ["[PAD]", "[unused0]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "##b"]);
        var bert = WordPiece.Load(_dir);
        Assert.Equal((0, 2, 3, 4, 5), (bert.PadTokenId, bert.UnknownTokenId, bert.ClsTokenId, bert.SepTokenId, bert.MaskTokenId));
        Assert.Equal([6, 7, 2, 3], bert.Encode("AB c[CLS]"));
        File.WriteAllLines(Path.Combine(_dir, WordPiece.FileName), [.. WordPiece.Specials, "a", "##b", "a"]);
        Assert.Contains("'a' appears twice", Assert.Throws<InvalidDataException>(() => WordPiece.Load(_dir)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => WordPiece.Train(["", " "], _dir, 50));
        Assert.Throws<ArgumentException>(() => WordPiece.Train(Text(), _dir, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => wp.Decode([wp.VocabSize]));
    }
}
