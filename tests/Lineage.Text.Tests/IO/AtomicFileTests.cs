using Lineage.Text.IO;
using Lineage.Text.Tests.Embeddings;

namespace Lineage.Text.Tests.IO;

public class AtomicFileTests
{
    [Fact]
    public void Write_CreatesMissingFolder_ByDefault_AndLeavesNoTemporaryFile()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "a", "b", "f.txt");
        AtomicFile.WriteAllText(path, "héllo");
        Assert.Equal("héllo", File.ReadAllText(path));
        Assert.Equal(5 + 1, File.ReadAllBytes(path).Length);   // UTF-8 without a BOM
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void Write_RefusesMissingFolder_WhenAsked()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "no", "f.bin");
        Assert.Throws<DirectoryNotFoundException>(() => AtomicFile.Write(path, s => s.WriteByte(1), createFolder: false));
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "no")));
    }

    [Fact]
    public void Write_ThatFails_KeepsTheOldContent_AndRemovesTheTemporaryFile()
    {
        using var dir = new TempFolder();
        var path = dir["f.bin"];
        AtomicFile.WriteAllBytes(path, [1, 2, 3]);
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write([9, 9, 9, 9]);
            throw new InvalidOperationException("half-way");
        }));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Write_ReplacesAnExistingFile()
    {
        using var dir = new TempFolder();
        var path = dir["f.txt"];
        AtomicFile.WriteAllText(path, "old, longer content");
        AtomicFile.WriteAllText(path, "new");
        Assert.Equal("new", File.ReadAllText(path));
    }
}
