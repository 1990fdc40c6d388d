using Lineage.Text.Tokenization;

namespace Lineage.Text.Tests.Tokenization;

public sealed class SentencePieceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lineage-spm-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static IEnumerable<string> Text()
    {
        string[] words = ["the", "cat", "sat", "on", "a", "mat", "dog", "ran", "to", "house", "red", "green", "tree", "under", "quickly"];
        var rng = new Random(7);
        for (int i = 0; i < 3000; i++) yield return string.Join(' ', Enumerable.Range(0, 8).Select(_ => words[rng.Next(words.Length)])) + ".";
        yield return "translate English to German: house";
        yield return "pronounce: cat";
    }

    [Fact]
    public void Train_ThenLoad_RoundTripsTextWithT5Ids()
    {
        if (SentencePiece.FindTrainer() is null) Assert.Fail("spm_train is not installed; run tools/bootstrap.sh as root (apt-get install sentencepiece).");

        var spm = SentencePiece.Train(Text(), _dir, vocabSize: 120, sentinels: 3);
        var again = SentencePiece.Load(_dir);

        Assert.True(File.Exists(Path.Combine(_dir, SentencePiece.FileName)));
        Assert.Equal(3, spm.Sentinels);
        Assert.Equal(4, spm.SentinelId(0));
        Assert.Equal(spm.VocabSize, again.VocabSize);
        var ids = spm.Encode("the cat sat under the tree.");
        Assert.Equal(SentencePiece.EosId, ids[^1]);
        Assert.Equal(ids, again.Encode("the cat sat under the tree."));
        Assert.Equal("the cat sat under the tree.", spm.Decode(ids.Select(i => (long)i)));
        Assert.Contains("▁the", spm.Pieces("the cat"));
        // A sentinel is one piece, never split.
        Assert.Contains(spm.SentinelId(1), spm.Encode("cat " + SentencePiece.SentinelText(1) + " mat"));
        Assert.Contains(SentencePiece.SentinelText(1), spm.Pieces("cat " + SentencePiece.SentinelText(1) + " mat"));
    }

    [Fact]
    public void Decode_StopsAtEndOfSequence_RejectsOutOfRange()
    {
        if (SentencePiece.FindTrainer() is null) Assert.Fail("spm_train is not installed");
        var spm = SentencePiece.Train(Text(), _dir, vocabSize: 100);

        var cat = spm.Encode("cat");
        Assert.Equal("cat", spm.Decode([.. cat.Select(i => (long)i), .. spm.Encode("dog").Select(i => (long)i)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => spm.Decode([spm.VocabSize]));
    }

    [Fact]
    public void Train_BlankText_Throws_Load_Garbage_SaysNotAModel()
    {
        if (SentencePiece.FindTrainer() is null) Assert.Fail("spm_train is not installed");
        Assert.Throws<ArgumentException>(() => SentencePiece.Train(["", "  "], _dir, vocabSize: 100));
        var manyCharacters = Enumerable.Range(0, 400).Select(i => new string((char)(0x4E00 + i), 3) + " " + new string((char)(0x4E00 + i), 2));
        var small = Assert.Throws<ArgumentException>(() => SentencePiece.Train(manyCharacters, _dir, vocabSize: 50));
        Assert.Contains("too small for this text", small.Message, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(_dir, SentencePiece.FileName), "not a protobuf at all");
        var e = Assert.Throws<InvalidDataException>(() => SentencePiece.Load(_dir));
        Assert.Contains("spiece.model", e.Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => SentencePiece.Load(Path.Combine(_dir, "missing")));
    }
}
