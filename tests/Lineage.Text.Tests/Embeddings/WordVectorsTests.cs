using Lineage.Text.Embeddings;
using Lineage.Text.Embeddings.Vectors;

namespace Lineage.Text.Tests.Embeddings;

public class WordVectorsTests
{
    // A hand-made space in which king − man + woman is exactly queen: axes (royal, male, female, other).
    private static WordVectors Royal() => new(
        ["man", "woman", "king", "queen", "prince", "apple", "boy", "girl"],
        [
            0, 1, 0, 0.1f,
            0, 0, 1, 0.1f,
            1, 1, 0, 0.1f,
            1, 0, 1, 0.1f,
            0.8f, 1, 0, 0.3f,
            0, 0, 0, 1,
            0, 0.9f, 0, 0.2f,
            0, 0, 0.9f, 0.2f,
        ], 4);

    [Fact]
    public void MostSimilar_KingMinusManPlusWoman_IsQueen_AndExcludesQueryWords()
    {
        var v = Royal();
        var top = v.MostSimilar(["king", "woman"], ["man"], topN: 3);
        Assert.Equal("queen", top[0].Word);
        Assert.DoesNotContain(top, s => s.Word is "king" or "woman" or "man");
        Assert.Equal("queen", v.MostSimilarCosMul(["king", "woman"], ["man"], topN: 1)[0].Word);
        Assert.Equal("queen", v.Analogy("man", "king", "woman")[0].Word);
        Assert.True(top[0].Score >= top[1].Score);
    }

    [Fact]
    public void MostSimilar_SkipsANaNRow_InsteadOfLettingItPushOutRealNeighbours()
    {
        // Issue 29: a NaN score compares false with everything, so once in the min-heap it stayed at the top and the
        // heap dropped real neighbours. Vectors built in memory (not read from a file) can still hold one.
        var royal = Royal();
        var vectors = (float[])royal.Vectors.Clone();
        vectors[5 * 4] = float.NaN; // apple
        var v = new WordVectors(royal.Words, vectors, 4);
        var top = v.MostSimilar("king", topN: 6).Select(s => s.Word).ToList();
        Assert.Equal(royal.MostSimilar("king", topN: 7).Select(s => s.Word).Where(w => w != "apple"), top);
        Assert.All(v.MostSimilarCosMul(["king", "woman"], ["man"], topN: 6), s => Assert.False(double.IsNaN(s.Score)));
    }

    [Fact]
    public void Similarity_IsCosine_AndDoesntMatchFindsTheOddOne()
    {
        var v = Royal();
        Assert.Equal(1.0, v.Similarity("king", "king"), 6);
        double expected = 1.01 / (Math.Sqrt(2.01) * Math.Sqrt(1.01));
        Assert.Equal(expected, v.Similarity("king", "man"), 5);
        Assert.Equal("apple", v.DoesntMatch(["king", "queen", "prince", "apple"]));
        Assert.Throws<KeyNotFoundException>(() => v.MostSimilar("unicorn"));
    }

    [Fact]
    public void Constructor_DuplicateWord_Throws()
    {
        Assert.Contains("appears twice", Assert.Throws<ArgumentException>(() => new WordVectors(["a", "a"], [1, 2], 1)).Message);
    }

    [Fact]
    public void EvaluateAnalogies_PerSection_CaseInsensitive_RestrictedVocab()
    {
        using var dir = new TempFolder();
        var path = dir.Write("q.txt", """
            : gender
            man king woman queen
            MAN BOY WOMAN GIRL
            man king woman prince
            : oov
            man unicorn woman queen
            """);
        var report = VectorEvaluation.EvaluateAnalogies(Royal(), path);
        Assert.Equal(2, report.Sections.Count);
        Assert.Equal(new AnalogySection("gender", 2, 1), report.Sections[0]);
        Assert.Equal(new AnalogySection("oov", 0, 0), report.Sections[1]);
        Assert.Equal(2, report.Total.Correct);
        Assert.Equal(0.25, report.OovRatio, 6);

        // With only the 3 most frequent words known, every question is out of vocabulary.
        Assert.Equal(1.0, VectorEvaluation.EvaluateAnalogies(Royal(), path, restrictVocab: 3).OovRatio, 6);
    }

    [Fact]
    public void Spearman_MatchesScipyWithTies()
    {
        // Average ranks [1, 2.5, 2.5, 4, 5] and [2, 1, 3.5, 3.5, 5]: Σdxdy = 7.25, Σdx² = Σdy² = 9.5, ρ = 7.25 / 9.5
        // (scipy.stats.spearmanr([1, 2, 2, 3, 5], [2, 1, 4, 4, 9]) gives 0.763157894736842).
        Assert.Equal(7.25 / 9.5, VectorEvaluation.Spearman([1, 2, 2, 3, 5], [2, 1, 4, 4, 9]), 12);
    }

    [Fact]
    public void EvaluateWordPairs_SkipsUnknownPairs()
    {
        using var dir = new TempFolder();
        var path = dir.Write("pairs.tsv", "# comment\nking\tqueen\t8\nman\twoman\t6\nking\tapple\t1\nunicorn\tking\t5\n");
        var r = VectorEvaluation.EvaluateWordPairs(Royal(), path);
        Assert.Equal(3, r.Pairs);
        Assert.Equal(0.25, r.OovRatio, 6);
        Assert.InRange(r.Spearman, -1, 1);
        var bad = dir.Write("bad.tsv", "king queen 8\n");
        Assert.Contains("line 1", Assert.Throws<InvalidDataException>(() => VectorEvaluation.EvaluateWordPairs(Royal(), bad)).Message);
    }
}

public class EmbeddingCorpusTests
{
    [Fact]
    public void FromText_SortsByCount_AppliesMinCountAndMaxVocab_KeepsSentences()
    {
        var c = EmbeddingCorpus.FromText("b a a c\n\nc a  rare\tb\n", new CorpusOptions(MinCount: 2));
        Assert.Equal(["a", "b", "c"], c.Vocabulary.Words);
        Assert.Equal([3L, 2, 2], c.Vocabulary.Counts);
        Assert.Equal([1, 0, 0, 2, 2, 0, 1], c.Tokens);
        Assert.Equal([4, 7], c.SentenceEnds);
        Assert.Equal(8, c.RawTokenCount);
        var top1 = EmbeddingCorpus.FromText("b a a c\nc a b\n", new CorpusOptions(MinCount: 1, MaxVocab: 1));
        Assert.Equal(["a"], top1.Vocabulary.Words);
    }

    [Fact]
    public void FromStream_OneHugeLine_IsCutIntoSentences()
    {
        // 300,000 tokens and no newline: streamed in blocks, cut every MaxSentenceLength words.
        var text = string.Join(' ', Enumerable.Range(0, 300_000).Select(i => (i % 7).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var c = EmbeddingCorpus.FromText(text, new CorpusOptions(MinCount: 1, MaxSentenceLength: 1000));
        Assert.Equal(300_000, c.Tokens.Length);
        Assert.Equal(300, c.SentenceEnds.Length);
        Assert.Equal(7, c.Vocabulary.Count);
    }
}
