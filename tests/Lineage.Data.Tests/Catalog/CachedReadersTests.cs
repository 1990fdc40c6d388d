using Lineage.Data.Catalog;
using Lineage.Data.Corpora;
using Lineage.Data.Labelled;

namespace Lineage.Data.Tests.Catalog;

/// <summary>Issue 29: the readers of cached data sets read the files the manifest lists, never a file dropped into the folder.</summary>
public sealed class CachedReadersTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    // Writes files into a folder and a manifest that lists them (the readers check the file set, the store checks the bytes).
    private string Cached(string id, params (string Path, string Text)[] files)
    {
        var folder = _temp[id];
        var listed = new List<ManifestFile>();
        foreach (var (path, text) in files)
        {
            var full = _temp.WriteText($"{id}/{path}", text);
            listed.Add(new ManifestFile(path, new FileInfo(full).Length, DataManifest.Sha256Of(full)));
        }
        new DataManifest(DataManifest.CurrentSchema, id, "test", "1", DateTime.UtcNow, listed).Write(Path.Combine(folder, DataManifest.FileName));
        return folder;
    }

    private const string Md5 = "0123456789abcdef0123456789abcdef";

    [Fact]
    public void SpamAssassin_ExtraEmailInTheCache_IsNotRead()
    {
        var folder = Cached("spamassassin", [.. SpamAssassinReader.Groups.Select(g => ($"{g}/00001.{Md5}.txt", $"Subject: {g}\n\nbody of {g}\n"))]);
        _temp.WriteText($"spamassassin/spam-1/00002.{Md5}.txt", "Subject: planted\n\nplanted\n");
        var set = SpamAssassinReader.Read(folder);
        Assert.Equal(5, set.Documents.Count);
        Assert.DoesNotContain(set.Documents, d => d.Text.Contains("planted", StringComparison.Ordinal));

        File.Delete(Path.Combine(folder, DataManifest.FileName));                        // a folder the user made: every *.txt
        Assert.Equal(6, SpamAssassinReader.Read(folder).Documents.Count);
    }

    [Fact]
    public void SpamAssassin_BrokenManifest_IsAnErrorNotAFallBackToTheListing()
    {
        var folder = Cached("spamassassin", [.. SpamAssassinReader.Groups.Select(g => ($"{g}/00001.{Md5}.txt", "x"))]);
        File.WriteAllText(Path.Combine(folder, DataManifest.FileName), "{ \"files\": 3 }");
        var e = Assert.Throws<InvalidDataException>(() => SpamAssassinReader.Read(folder));
        Assert.Contains(DataManifest.FileName, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sotu_ExtraSpeechInTheCache_IsNotRead()
    {
        var folder = Cached("sotu", ("1790_washington.txt", "Fellow-Citizens"), ("1791_washington.txt", "In vain"));
        _temp.WriteText("sotu/1792_planted.txt", "planted");
        Assert.Equal(["Fellow-Citizens", "In vain"], EnglishBundle.SotuParagraphs(folder));
    }

    [Fact]
    public void LibreOfficeHelp_ExtraPageOnEitherSide_IsNotRead()
    {
        static string Page(string text) => $"<html><body><p id=\"par_id1\">{text}</p></body></html>";
        var en = Cached("en", ("text/shared/a.html", Page("Open a file")));
        var de = Cached("de", ("text/shared/a.html", Page("Eine Datei öffnen")));
        _temp.WriteText("en/text/shared/b.html", Page("Planted English"));
        _temp.WriteText("de/text/shared/b.html", Page("Planted German"));
        var pairs = LibreOfficeHelp.ReadPairs(en, de);
        Assert.Equal([("Open a file", "Eine Datei öffnen")], pairs.Select(p => (p.Source, p.Target)));
    }
}
