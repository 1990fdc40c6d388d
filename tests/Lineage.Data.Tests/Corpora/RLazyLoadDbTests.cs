using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Lineage.Data.Corpora;

namespace Lineage.Data.Tests.Corpora;

public class RLazyLoadDbTests
{
    // A writer of R's XDR serialisation, for building small lazy-load databases (what R's makeLazyLoadDB writes).
    private sealed class Xdr : IDisposable
    {
        private readonly MemoryStream _out = new();

        public void Dispose() => _out.Dispose();

        public Xdr()
        {
            _out.Write("X\n"u8);
            Int(3);
            Int(0x040201);
            Int(0x030500);
            Int(5);
            _out.Write("UTF-8"u8);
        }

        public Xdr Int(int v)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteInt32BigEndian(b, v);
            _out.Write(b);
            return this;
        }

        public Xdr Chars(string? s, bool latin1 = false)
        {
            Int(9 | ((latin1 ? 4 : 8) << 12));
            if (s is null) return Int(-1);
            var bytes = latin1 ? Encoding.Latin1.GetBytes(s) : Encoding.UTF8.GetBytes(s);
            Int(bytes.Length);
            _out.Write(bytes);
            return this;
        }

        public Xdr Strings(params string?[] values)
        {
            Int(16).Int(values.Length);
            foreach (var v in values) Chars(v);
            return this;
        }

        // names = c(...) as the attribute pairlist of the vector just written (the symbol 'names' written out, or referenced).
        public Xdr Names(bool symbolSeen, params string[] names)
        {
            Int(2 | (1 << 10));
            if (symbolSeen) Int((1 << 8) | 255);
            else Int(1).Chars("names");
            Strings(names);
            return Int(254);
        }

        public byte[] Bytes() => _out.ToArray();
    }

    private static byte[] Zlib(byte[] plain)
    {
        using var packed = new MemoryStream();
        var size = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(size, plain.Length);
        packed.Write(size);
        using (var z = new ZLibStream(packed, CompressionLevel.Optimal, leaveOpen: true)) z.Write(plain);
        return packed.ToArray();
    }

    // A database of character vectors; `compressed` is what the index's 'compressed' element says (1 = zlib).
    private static void WriteDb(string folder, IReadOnlyList<(string Name, string?[] Lines)> objects, int compressed = 1)
    {
        using var rdb = new MemoryStream();
        var places = new List<(int Offset, int Length)>();
        foreach (var (_, lines) in objects)
        {
            var chunk = Zlib(new Xdr().Strings(lines).Bytes());
            places.Add(((int)rdb.Length, chunk.Length));
            rdb.Write(chunk);
        }

        File.WriteAllBytes(Path.Combine(folder, "Rdata.rdb"), rdb.ToArray());
        var index = new Xdr();
        index.Int(19 | (1 << 9)).Int(3);                                  // list(variables = , references = , compressed = )
        index.Int(19 | (1 << 9)).Int(objects.Count);                      // variables: name → c(offset, length)
        foreach (var (offset, length) in places) index.Int(13).Int(2).Int(offset).Int(length);
        index.Names(false, [.. objects.Select(o => o.Name)]);
        index.Int(19).Int(0);                                             // references: list()
        index.Int(compressed == 1 ? 10 : 13).Int(1).Int(compressed);      // TRUE, or 2L / 3L for bzip2 / xz
        index.Names(true, "variables", "references", "compressed");
        using var file = File.Create(Path.Combine(folder, "Rdata.rdx"));
        using var gz = new GZipStream(file, CompressionLevel.Optimal);
        gz.Write(index.Bytes());
    }

    [Fact]
    public void Open_Read_CharacterVectors_WithNaAndEncodings()
    {
        using var dir = new TempDirectory();
        WriteDb(dir.Path, [("emma", ["EMMA", "", "By Jane Austen", null]), ("persuasion", ["Persuasion", "Sir Walter Elliot, of Kellynch-hall…"])]);
        var db = RLazyLoadDb.Open(dir.Path);
        Assert.Equal(["emma", "persuasion"], db.Names);
        Assert.Equal(new string?[] { "EMMA", "", "By Jane Austen", null }, db.ReadStrings("emma").AsEnumerable());
        Assert.Equal("Sir Walter Elliot, of Kellynch-hall…", db.ReadStrings("persuasion")[1]);

        var latin1 = RSerializationProbe(new Xdr().Int(16).Int(1).Chars("Café", latin1: true).Bytes());
        Assert.Equal("Café", Assert.Single(Assert.IsType<RStrings>(latin1).Values));
    }

    private static RValue RSerializationProbe(byte[] serialized)
    {
        using var dir = new TempDirectory();
        // Wrap one serialised object in a database of its own, as R would store it.
        File.WriteAllBytes(Path.Combine(dir.Path, "Rdata.rdb"), Zlib(serialized));
        var index = new Xdr();
        index.Int(19 | (1 << 9)).Int(3).Int(19 | (1 << 9)).Int(1).Int(13).Int(2).Int(0).Int(Zlib(serialized).Length).Names(false, "x");
        index.Int(19).Int(0).Int(10).Int(1).Int(1).Names(true, "variables", "references", "compressed");
        using (var gz = new GZipStream(File.Create(Path.Combine(dir.Path, "Rdata.rdx")), CompressionLevel.Optimal)) gz.Write(index.Bytes());
        return RLazyLoadDb.Open(dir.Path).Read("x");
    }

    [Fact]
    public void BadInput_GivesErrorsNamingTheProblem()
    {
        using var dir = new TempDirectory();
        Assert.Contains("Rdata.rdx", Assert.Throws<FileNotFoundException>(() => RLazyLoadDb.Open(dir.Path)).Message, StringComparison.Ordinal);

        WriteDb(dir.Path, [("mobydick", ["Call me Ishmael."])]);
        var missing = Assert.Throws<KeyNotFoundException>(() => RLazyLoadDb.Open(dir.Path).Read("emma"));
        Assert.Contains("mobydick", missing.Message, StringComparison.Ordinal);      // lists what there is

        var rdb = Path.Combine(dir.Path, "Rdata.rdb");
        File.WriteAllBytes(rdb, File.ReadAllBytes(rdb)[..10]);                       // cut short
        Assert.Contains("past the end", Assert.Throws<InvalidDataException>(() => RLazyLoadDb.Open(dir.Path).Read("mobydick")).Message, StringComparison.Ordinal);

        WriteDb(dir.Path, [("mobydick", ["Call me Ishmael."])], compressed: 3);
        Assert.Contains("xz", Assert.Throws<InvalidDataException>(() => RLazyLoadDb.Open(dir.Path)).Message, StringComparison.Ordinal);

        File.WriteAllBytes(Path.Combine(dir.Path, "Rdata.rdx"), "not gzip"u8.ToArray());
        Assert.Contains("gzipped", Assert.Throws<InvalidDataException>(() => RLazyLoadDb.Open(dir.Path)).Message, StringComparison.Ordinal);

        var notXdr = Assert.Throws<InvalidDataException>(() => RSerializationProbe("A\n\0\0\0\u0003\0\0\0\0\0\0\0\0"u8.ToArray()));
        Assert.Contains("XDR", notXdr.Message, StringComparison.Ordinal);
        var truncated = new Xdr().Int(16).Int(3).Chars("only one").Bytes();
        Assert.Contains("malformed", Assert.Throws<InvalidDataException>(() => RSerializationProbe(truncated)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Novels_AustenInPublicationOrder_MobyDickWithoutGutenbergBoilerplate()
    {
        using var dir = new TempDirectory();
        WriteDb(dir.Path, [.. new[] { "emma", "mansfieldpark", "northangerabbey", "persuasion", "prideprejudice", "sensesensibility" }
            .Select(n => (n, new string?[] { n.ToUpperInvariant(), "", "Chapter 1" }))]);
        var books = RNovels.Austen(dir.Path);
        Assert.Equal(["Sense and Sensibility", "Pride and Prejudice", "Mansfield Park", "Emma", "Northanger Abbey", "Persuasion"], books.Select(b => b.Title));
        Assert.Equal("EMMA\n\nChapter 1", books[3].Text);

        Assert.Equal("Call me Ishmael.", RNovels.StripGutenberg("The Project Gutenberg EBook\n*** START OF THIS PROJECT GUTENBERG EBOOK MOBY DICK ***\n\nCall me Ishmael.\n\nEnd of Project Gutenberg's Moby Dick\nlicence"));
        Assert.Equal("Call me Ishmael.", RNovels.StripGutenberg("*** START OF THE BOOK ***\nCall me Ishmael.\n*** END OF THE BOOK ***"));
        Assert.Equal("No markers.", RNovels.StripGutenberg("No markers."));
    }

    [Fact]
    public void RealPackages_AustenAndMobyDick()
    {
        if (RealData.Folder("austen") is { } austen)
        {
            var books = RNovels.Austen(austen);
            Assert.Equal(6, books.Count);
            Assert.Equal(73_422, books.Sum(b => b.Text.Split('\n').Length));                      // austen_books() has 73,422 lines
            Assert.StartsWith("SENSE AND SENSIBILITY", books[0].Text, StringComparison.Ordinal);
            Assert.Contains("It is a truth universally acknowledged", books[1].Text, StringComparison.Ordinal);
        }

        if (RealData.Folder("mobydick") is { } moby)
        {
            var novel = RNovels.MobyDick(moby);
            Assert.Contains("Call me Ishmael.", novel.Text, StringComparison.Ordinal);
            Assert.EndsWith("only found another\norphan.", novel.Text, StringComparison.Ordinal);
            Assert.DoesNotContain("Project Gutenberg-tm", novel.Text, StringComparison.Ordinal);
            Assert.InRange(novel.Text.Length, 1_150_000, 1_250_000);
        }
    }
}
