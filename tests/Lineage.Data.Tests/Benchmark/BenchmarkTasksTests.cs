using Lineage.Data.Benchmark;

namespace Lineage.Data.Tests.Benchmark;

/// <summary>The benchmark's tasks: synthetic help pages always; the real data sets when the cache has them (else the test returns early).</summary>
public sealed class BenchmarkTasksTests
{
    [Fact]
    public void HelpPair_TitleIsCutOutOfTheDocument()
    {
        const string Html = """
            <h1 id="hd_id1">Not Operator</h1>
            <p id="par_id1" class="paragraph">The <emph>Not Operator</emph> negates an expression by inverting the bit values of the operand.</p>
            <h2 id="hd_id2">Syntax:</h2>
            <p id="par_id2">Use not operator &amp; friends in any expression you like.</p>
            """;
        var pair = BenchmarkTasks.HelpPair("text/x.html", Html)!;
        Assert.Equal("Not Operator", pair.Query);
        Assert.DoesNotContain("not operator", pair.Document, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Syntax", pair.Document, StringComparison.Ordinal);
        Assert.Equal("The negates an expression by inverting the bit values of the operand. Use & friends in any expression you like.", pair.Document);
    }

    [Fact]
    public void HelpPair_NoTitleOrShortBody_IsNull()
    {
        Assert.Null(BenchmarkTasks.HelpPair("a", """<p id="par_1">one two three four five six seven eight nine</p>"""));
        Assert.Null(BenchmarkTasks.HelpPair("b", """<h1 id="hd_1">Title</h1><p id="par_1">too short</p>"""));
    }

    [Fact]
    public void Spam_Real_DeterministicDisjointStratified()
    {
        if (RealData.Folder("spamassassin") is not { } folder) return;
        var a = BenchmarkTasks.ReadSpam(folder, 1);
        var b = BenchmarkTasks.ReadSpam(folder, 1);
        Assert.True(a.Split.SameAs(b.Split));
        CheckClassification(a, 6046);
        Assert.Equal(["ham", "spam"], a.Labels);
        Assert.Equal((int)Math.Round(4150 * 0.2, MidpointRounding.AwayFromZero) + (int)Math.Round(1896 * 0.2, MidpointRounding.AwayFromZero), a.Test.Count);
        Assert.False(a.Split.SameAs(BenchmarkTasks.ReadSpam(folder, 2).Split));
    }

    [Fact]
    public void BrownGenres_Real_PassagesOfOneSampleStayOnOneSide()
    {
        if (RealData.Folder("brown") is not { } folder) return;
        var t = BenchmarkTasks.ReadBrownGenres(folder, 1);
        Assert.Equal(15, t.Labels.Count);
        CheckClassification(t, 500);
        Assert.Equal(500 * BenchmarkTasks.BrownPassages, t.Train.Count + t.Test.Count);
        var testSamples = t.Test.Select(i => i.Document).ToHashSet();
        Assert.DoesNotContain(t.Train, i => testSamples.Contains(i.Document));
        Assert.True(BenchmarkTasks.ReadBrownGenres(folder, 1).Split.SameAs(t.Split));
    }

    [Fact]
    public void LibreOfficeRetrieval_Real_QueriesAreNotInTheirDocuments()
    {
        if (RealData.Folder("libreoffice-help-en") is not { } folder) return;
        var t = BenchmarkTasks.ReadLibreOfficeRetrieval(folder, 1);
        var all = t.Train.Concat(t.Test).ToList();
        Assert.True(all.Count > 1000, $"{all.Count} pairs");
        Assert.Empty(t.Split.Train.Intersect(t.Split.Test));
        Assert.Equal(all.Count, t.Split.Train.Count + t.Split.Test.Count);
        Assert.InRange(t.Test.Count, all.Count * 0.19, all.Count * 0.21);
        Assert.DoesNotContain(all, p => p.Document.Contains(p.Query, StringComparison.OrdinalIgnoreCase));
        Assert.Equal(all.Count, all.Select(p => p.Query.ToUpperInvariant()).Distinct().Count());
        Assert.True(BenchmarkTasks.ReadLibreOfficeRetrieval(folder, 1).Split.SameAs(t.Split));
    }

    private static void CheckClassification(ClassificationTask t, int documents)
    {
        Assert.Equal(documents, t.Split.Train.Count + t.Split.Test.Count);
        Assert.Empty(t.Split.Train.Intersect(t.Split.Test));
        var test = t.Split.Test.ToHashSet();
        Assert.All(t.Test, i => Assert.Contains(i.Document, test));
        Assert.DoesNotContain(t.Train, i => test.Contains(i.Document));
        for (int c = 0; c < t.Labels.Count; c++)
        {
            Assert.Contains(t.Train, i => i.Label == c);
            Assert.Contains(t.Test, i => i.Label == c);
        }
    }
}
