using Lineage.Data.Corpora;

namespace Lineage.Data.Tests.Corpora;

public class LibreOfficeHelpTests
{
    private static string Page(params string[] paragraphs) =>
        "<html><body><div id=\"DisplayArea\">" + string.Join("\n", paragraphs) + "</div></body></html>";

    [Fact]
    public void ReadPairs_JoinsOnPageAndId_StripsTags_DecodesEntities_DropsUntranslatedAndRepeats()
    {
        using var dir = new TempDirectory();
        dir.WriteText("en/text/shared/a.html", Page(
            "<h1 id=\"hd_id1\" dir=\"auto\">Query <span class=\"emph\">Design</span> Bar</h1>",
            "<p id=\"par_id2\" class=\"paragraph\">Use the   icons &amp; the\n menus.</p>",
            "<p id=\"par_id3\">SUM(A1:A3)</p>",
            "<p id=\"par_id4\">Only in English</p>",
            "<p class=\"noid\">No id</p>",
            "<h2 id=\"hd_id5\">Query Design Bar</h2>"));
        dir.WriteText("de/text/shared/a.html", Page(
            "<h1 id=\"hd_id1\">Symbolleiste <span>Abfrageentwurf</span></h1>",
            "<p id=\"par_id2\">Verwenden Sie die Symbole &amp; Menüs.</p>",
            "<p id=\"par_id3\">SUM(A1:A3)</p>",
            "<h2 id=\"hd_id5\">Symbolleiste Abfrageentwurf</h2>"));
        dir.WriteText("en/text/swriter/only-english.html", Page("<p id=\"par_id9\">Not translated at all</p>"));

        var pairs = LibreOfficeHelp.ReadPairs(dir["en"], dir["de"]);

        Assert.Equal(2, pairs.Count);   // par_id3 is identical, par_id4 has no German, hd_id5 repeats hd_id1's pair, the swriter page has no counterpart
        Assert.Equal(new ParallelParagraph("shared/a.html", "hd_id1", "Query Design Bar", "Symbolleiste Abfrageentwurf"), pairs[0]);
        Assert.Equal(new ParallelParagraph("shared/a.html", "par_id2", "Use the icons & the menus.", "Verwenden Sie die Symbole & Menüs."), pairs[1]);
    }

    [Fact]
    public void ReadPairs_MissingFolders_AndNothingInCommon_AreClearErrors()
    {
        using var dir = new TempDirectory();
        dir.WriteText("en/text/a.html", Page("<p id=\"p1\">Save</p>"));
        Assert.Contains("help folder", Assert.Throws<DirectoryNotFoundException>(() => LibreOfficeHelp.ReadPairs(dir["en"], dir["de"])).Message);

        dir.WriteText("de/text/b.html", Page("<p id=\"p1\">Speichern</p>"));
        Assert.Contains("none of the 1 pages", Assert.Throws<InvalidDataException>(() => LibreOfficeHelp.ReadPairs(dir["en"], dir["de"])).Message);

        dir.WriteText("de/text/a.html", Page("<p id=\"p1\">Save</p>"));
        Assert.Contains("no translated paragraph", Assert.Throws<InvalidDataException>(() => LibreOfficeHelp.ReadPairs(dir["en"], dir["de"])).Message);
    }

    [Fact]
    public void RealHelp_GivesTensOfThousandsOfPairs()
    {
        if (RealData.Folder("libreoffice-help-en") is not { } en || RealData.Folder("libreoffice-help-de") is not { } de) return;
        var pairs = LibreOfficeHelp.ReadPairs(en, de);
        Assert.InRange(pairs.Count, 30_000, 60_000);   // 35,9xx on Debian 12's 7.4 help
        Assert.Contains(pairs, p => p.Source == "Special characters" && p.Target == "Sonderzeichen");
        Assert.All(pairs, p => Assert.True(p.Source != p.Target && !p.Source.Contains("<span", StringComparison.Ordinal) && !p.Target.Contains("</p>", StringComparison.Ordinal)));   // "&lt;/&gt;" is text
    }
}
