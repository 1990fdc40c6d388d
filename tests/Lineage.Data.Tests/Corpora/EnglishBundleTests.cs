using System.IO.Compression;
using System.Text;
using Lineage.Data.Catalog;
using Lineage.Data.Corpora;

namespace Lineage.Data.Tests.Corpora;

public class EnglishBundleTests
{
    [Fact]
    public void Normalise_LowerCasesAndKeepsWordsWithInnerApostrophes()
    {
        Assert.Equal("the king's men don't say hi", EnglishBundle.Normalise("The KING'S men -- don't say \"hi\" 42!"));
        Assert.Equal("", EnglishBundle.Normalise(" 1913 ... "));
    }

    [Fact]
    public void GcideParagraphs_StripPronunciationAndBracketedTags()
    {
        using var dir = new TempDirectory();
        var text = "Queen \\Queen\\, n. [AS. cw[=e]n.]\n   The wife of a king.\n   [1913 Webster]\n\nKing \\King\\, n.\n   A chief ruler.\n";
        using (var gz = new GZipStream(File.Create(dir["gcide.dict.dz"]), CompressionLevel.Fastest))
        {
            gz.Write(Encoding.UTF8.GetBytes(text));
        }

        var lines = EnglishBundle.GcideParagraphs(dir.Path).Select(EnglishBundle.Normalise).ToList();
        Assert.Equal(["queen n the wife of a king", "king n a chief ruler"], lines);
    }

    [Fact]
    public void WordNetSynsets_GiveLemmasThenGloss()
    {
        using var dir = new TempDirectory();
        dir.WriteText("data.noun", "  1 This software and database is being provided\n" +
            "10566072 18 n 02 queen 0 queen_regnant 0 002 @ 10567035 n 0000 | the only fertile female; \"long live the queen\"  \n");
        foreach (var pos in new[] { "verb", "adj", "adv" })
        {
            dir.WriteText($"data.{pos}", "");
        }

        var lines = EnglishBundle.WordNetSynsets(dir.Path).Select(EnglishBundle.Normalise).ToList();
        Assert.Equal(["queen queen regnant the only fertile female long live the queen"], lines);
        dir.WriteText("data.verb", "garbage\n");
        Assert.Contains("data.verb: line 1", Assert.Throws<InvalidDataException>(() => EnglishBundle.WordNetSynsets(dir.Path).ToList()).Message);
    }

    [Fact]
    public void Write_HonoursTheWordLimitPerSource_Atomically()
    {
        using var dir = new TempDirectory();
        var path = dir["bundle.txt"];
        var summary = EnglishBundle.Write(path,
        [
            ("a", Enumerable.Repeat("one two three four", 100), 300),
            ("b", Enumerable.Repeat("Five, six!", 100), 100),
        ], maxWords: 40);
        Assert.Equal(32, summary.WordsBySource["a"]); // quota 30, whole lines of 4
        Assert.Equal(10, summary.WordsBySource["b"]); // quota 10
        Assert.Equal("five six", File.ReadLines(path).Last());
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void RealData_BundleSourcesAreReadable()
    {
        var store = new DataStore(DataStore.DefaultRoot());
        if (store.Check(DataCatalog.WordNet).State != DatasetState.Ok)
        {
            return; // not fetched on this machine (./run-tests fetches it)
        }

        var synsets = EnglishBundle.WordNetSynsets(store.PathOf(DataCatalog.WordNet)).ToList();
        Assert.Equal(117_659, synsets.Count);
        Assert.Contains(synsets, s => s.StartsWith("queen ", StringComparison.Ordinal) && s.Contains("a female sovereign ruler", StringComparison.Ordinal));
    }
}
