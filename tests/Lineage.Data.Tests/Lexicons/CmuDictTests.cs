using Lineage.Data.Lexicons;

namespace Lineage.Data.Tests.Lexicons;

public sealed class CmuDictTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Read_SkipsCommentsAndAlternatives()
    {
        _dir.WriteText("dict.txt", ";;; comment\nCAT  K AE1 T\nREAD  R IY1 D\nREAD(1)  R EH1 D\n");

        var first = CmuDict.Read(_dir.Path);
        var all = CmuDict.Read(_dir.Path, firstOnly: false);

        Assert.Equal(["CAT", "READ"], first.Select(e => e.Word));
        Assert.Equal("K AE1 T", CmuDict.Join(first[0]));
        Assert.Equal(["CAT", "READ", "READ"], all.Select(e => e.Word));
        Assert.Equal("R EH1 D", CmuDict.Join(all[2]));
    }

    [Theory]
    [InlineData("CAT\n", "no phonemes")]
    [InlineData("CAT  K ae1 T\n", "'ae1' is not an ARPAbet phoneme")]
    [InlineData(";;; only a comment\n", "no entries")]
    public void Read_BadFile_SaysWhatAndWhere(string text, string message)
    {
        _dir.WriteText("dict.txt", text);

        var e = Assert.Throws<InvalidDataException>(() => CmuDict.Read(_dir.Path));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_RealFile_HasTheKnownSize()
    {
        if (RealData.Folder("cmudict") is not { } folder) return;

        var all = CmuDict.Read(folder, firstOnly: false);
        var first = CmuDict.Read(folder);

        Assert.Equal(133_784, all.Count);
        Assert.Equal(first.Count, first.Select(e => e.Word).Distinct().Count());
        Assert.Contains(first, e => e.Word == "AARDVARK" && CmuDict.Join(e) == "AA1 R D V AA2 R K");
    }
}
