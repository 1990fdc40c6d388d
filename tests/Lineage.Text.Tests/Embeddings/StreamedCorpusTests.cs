using System.Text;
using Lineage.Text.Embeddings;
using Lineage.Text.Embeddings.Word2Vec;

namespace Lineage.Text.Tests.Embeddings;

/// <summary>A corpus streamed from a scratch file against the same corpus in memory.</summary>
public class StreamedCorpusTests
{
    // Rare words (dropped by min_count), empty lines, a line longer than the sentence cap, one with no newline at the end.
    private static string Text()
    {
        var sb = new StringBuilder(EmbeddingTestData.ClassCorpus(9000));   // ~95,000 words: more than one 65,536-id block
        sb.Append("\n\nrare1 the cat rare2\n").Append(string.Join(' ', Enumerable.Repeat("the dog eats the cake", 700))).Append("\nthe cow");
        return sb.ToString();
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(7)]
    public void Streamed_EqualsInMemory_WordForWord(int maxSentence)
    {
        using var dir = new TempFolder();
        var file = dir.Write("corpus.txt", Text());
        var options = new CorpusOptions(MinCount: 3, MaxSentenceLength: maxSentence);
        using var memory = EmbeddingCorpus.FromFile(file, options);
        using var streamed = EmbeddingCorpus.FromFile(file, options, dir.Path);
        Assert.False(memory.IsStreamed);
        Assert.True(streamed.IsStreamed);
        Assert.Equal(memory.Vocabulary.Words, streamed.Vocabulary.Words);
        Assert.Equal(memory.Vocabulary.Counts, streamed.Vocabulary.Counts);
        Assert.Equal((memory.TokenCount, memory.RawTokenCount), (streamed.TokenCount, streamed.RawTokenCount));
        Assert.Equal(memory.Tokens.Length, memory.TokenCount);
        Assert.Equal(memory.SentenceEnds, streamed.SentenceEnds);
        var a = memory.OpenSentences();
        var b = streamed.OpenSentences();
        for (int s = 0; s < memory.SentenceEnds.Length; s++) Assert.True(a.Sentence(s).SequenceEqual(b.Sentence(s)), $"sentence {s}");
        Assert.True(b.Sentence(0).SequenceEqual(a.Sentence(0)));   // back to the start: read again
        Assert.Throws<InvalidOperationException>(() => streamed.Tokens);
        Assert.Empty(Directory.GetFiles(dir.Path, ".*"));   // the scratch file has no name
    }

    [Fact]
    public void Word2Vec_OnAStreamedCorpus_LearnsTheSameVectors()
    {
        using var dir = new TempFolder();
        var file = dir.Write("corpus.txt", Text());
        var options = new Word2VecOptions { Dimensions = 16, Window = 3, MinCount = 3, Epochs = 2, Threads = 1, Seed = 5 };
        var memory = Word2VecTrainer.Train(file, options);
        var streamed = Word2VecTrainer.Train(file, dir.Path, options);
        Assert.Equal(memory.Syn0, streamed.Syn0);   // one thread: the same updates in the same order
        Assert.Equal(["corpus.txt"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));   // the scratch file is gone
        Assert.Throws<FileNotFoundException>(() => Word2VecTrainer.Train(dir["missing.txt"], dir.Path, options));
    }
}
