using System.Text;
using Lineage.Data.Corpora;

namespace Lineage.Data.Tests.Corpora;

public sealed class ProseCorpusTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void ReadLines_MixedLineEndingsBlankLinesAndBom_YieldsTrimmedNonBlankLines()
    {
        var path = _dir.WriteBytes("prose.txt", [0xEF, 0xBB, 0xBF, .. "First line.\r\n\r\n   \n  Second — café.  \nLast without newline"u8]);

        var lines = ProseCorpus.ReadLines(path).ToList();

        Assert.Equal(["First line.", "Second — café.", "Last without newline"], lines);
    }

    [Fact]
    public void ReadLines_EmptyFile_YieldsNothing()
    {
        var path = _dir.WriteBytes("empty.txt", []);

        Assert.Empty(ProseCorpus.ReadLines(path));
    }

    [Fact]
    public void ReadLines_LinesLongerThanTheReadBuffer_AreKeptWhole()
    {
        var longLine = new string('x', 200_000);
        var text = new StringBuilder();
        for (var i = 0; i < 3; i++)
        {
            text.Append(longLine).Append(i).Append('\n').Append("short ").Append(i).Append('\n');
        }

        var path = _dir.WriteText("long.txt", text.ToString());

        var lines = ProseCorpus.ReadLines(path).ToList();

        Assert.Equal(6, lines.Count);
        Assert.Equal(longLine + "2", lines[4]);
        Assert.Equal("short 2", lines[5]);
    }

    [Fact]
    public void ReadLines_InvalidUtf8_ThrowsWithPathByteOffsetAndLine()
    {
        // Byte 0xFF sits at offset 6 + 70,000 + 1 + 3 = 70,010, well past the first 64 KiB read.
        var path = _dir.WriteBytes(
            "bad.txt", [.. "Fine.\n"u8, .. Encoding.ASCII.GetBytes(new string('a', 70_000)), .. "\nab "u8, 0xFF, .. "c\n"u8]);

        var lines = ProseCorpus.ReadLines(path);

        var e = Assert.Throws<InvalidDataException>(() => lines.ToList());
        Assert.StartsWith($"{path}: not valid UTF-8 at byte offset 70010 (line 3)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadLines_TruncatedMultiByteSequenceAtEndOfLine_Throws()
    {
        var path = _dir.WriteBytes("cut.txt", [.. "caf"u8, 0xC3, .. "\nnext\n"u8]);

        var e = Assert.Throws<InvalidDataException>(() => ProseCorpus.ReadLines(path).ToList());

        Assert.StartsWith($"{path}: not valid UTF-8 at byte offset 3 (line 1)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadLines_MissingFile_ThrowsAtOnce()
    {
        var path = _dir["missing.txt"];

        var e = Assert.Throws<FileNotFoundException>(() => ProseCorpus.ReadLines(path));

        Assert.Equal(path, e.FileName);
    }
}
