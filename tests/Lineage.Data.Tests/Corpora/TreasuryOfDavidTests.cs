using System.IO.Compression;
using System.Text;
using Lineage.Data.Corpora;

namespace Lineage.Data.Tests.Corpora;

public class TreasuryOfDavidTests
{
    private static void WriteModule(string folder, params string[] chapters)
    {
        using var data = new MemoryStream();
        using var index = new MemoryStream();
        foreach (var chapter in chapters)
        {
            var plain = Encoding.UTF8.GetBytes(chapter);
            long start = data.Length;
            using (var z = new ZLibStream(data, CompressionLevel.Optimal, leaveOpen: true)) z.Write(plain);
            index.Write(BitConverter.GetBytes((uint)start));
            index.Write(BitConverter.GetBytes((uint)(data.Length - start)));
            index.Write(BitConverter.GetBytes((uint)plain.Length));
        }

        File.WriteAllBytes(Path.Combine(folder, "ot.czs"), index.ToArray());
        File.WriteAllBytes(Path.Combine(folder, "ot.czz"), data.ToArray());
    }

    [Fact]
    public void Read_DecompressesBlocks_StripsOsis_DropsNotes_NamesPsalms()
    {
        using var dir = new TempDirectory();
        WriteModule(dir.Path,
            "<milestone type=\"x-importer\"/>",
            "<div sID=\"a\" type=\"x-p\"/> Preface text &amp; more <div eID=\"a\" type=\"x-p\"/><div sID=\"b\"/>Second<div eID=\"b\"/>",
            "<chapter n=\"23\" osisID=\"Ps.23\"/><title type=\"x-s\">Psalm 23</title> The Lord<note>a footnote</note> is my shepherd.");
        var docs = TreasuryOfDavid.Read(dir.Path);
        Assert.Equal(2, docs.Count);                                    // the empty milestone block is skipped
        Assert.Equal("Preface", docs[0].Title);
        Assert.Equal("Preface text & more\nSecond", docs[0].Text);
        Assert.Equal("Psalm 23", docs[1].Title);
        Assert.Equal("Psalm 23\nThe Lord is my shepherd.", docs[1].Text);
    }

    [Fact]
    public void Read_BadIndex_NamesTheBlock()
    {
        using var dir = new TempDirectory();
        WriteModule(dir.Path, "<chapter n=\"1\"/>Blessed is the man");
        var index = File.ReadAllBytes(Path.Combine(dir.Path, "ot.czs"));
        BitConverter.GetBytes(99999u).CopyTo(index, 0);
        File.WriteAllBytes(Path.Combine(dir.Path, "ot.czs"), index);
        Assert.Contains("block 0", Assert.Throws<InvalidDataException>(() => TreasuryOfDavid.Read(dir.Path)).Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => TreasuryOfDavid.Read(Path.Combine(dir.Path, "missing")));
    }

    [Fact]
    public void RealModule_HasThePrefaceAnd150Psalms_About2MillionWords()
    {
        if (RealData.Folder("tdavid") is not { } folder) return;
        var docs = TreasuryOfDavid.Read(folder);
        Assert.Equal(151, docs.Count);
        Assert.Equal("Preface", docs[0].Title);
        Assert.Equal("Psalm 1", docs[1].Title);
        Assert.Equal("Psalm 150", docs[^1].Title);
        long words = docs.Sum(d => (long)d.Text.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.InRange(words, 1_900_000, 2_300_000);
        Assert.DoesNotContain(docs, d => d.Text.Contains('<', StringComparison.Ordinal));
        Assert.Contains("shepherd", docs[23].Text, StringComparison.Ordinal);
    }
}
