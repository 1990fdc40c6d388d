using Lineage.Text.IO;
using Lineage.Text.Tests.Embeddings;

namespace Lineage.Text.Tests.IO;

/// <summary>Multi-file outputs replaced as a whole (issue 29), and files that carry their own checksum.</summary>
public class AtomicFolderTests
{
    [Fact]
    public void Replace_SwapsTheStagedFolderIn_AndLeavesNoCopyBehind()
    {
        using var dir = new TempFolder();
        var target = Path.Combine(dir.Path, "model");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "old.txt"), "old");
        var staging = AtomicFolder.StagingOf(target);
        Assert.Equal(Path.Combine(dir.Path, ".model.staging"), staging);
        Directory.CreateDirectory(staging);
        File.WriteAllText(Path.Combine(staging, "new.txt"), "new");

        AtomicFolder.Replace(staging, target);
        Assert.Equal(["new.txt"], Directory.GetFiles(target).Select(Path.GetFileName));
        Assert.Equal(["model"], Directory.GetDirectories(dir.Path).Select(Path.GetFileName));
        Assert.Throws<DirectoryNotFoundException>(() => AtomicFolder.Replace(staging, target));
        Assert.Equal("new", File.ReadAllText(Path.Combine(target, "new.txt")));   // a failed replace leaves the target
    }

    [Fact]
    public void Replace_IntoAFolderThatDoesNotExistYet_Works()
    {
        using var dir = new TempFolder();
        var staging = Path.Combine(dir.Path, ".m.staging");
        Directory.CreateDirectory(staging);
        File.WriteAllText(Path.Combine(staging, "a"), "a");
        AtomicFolder.Replace(staging, Path.Combine(dir.Path, "m"));
        Assert.True(File.Exists(Path.Combine(dir.Path, "m", "a")));
    }

    [Fact]
    public void ChecksummedFile_FindsAnyChangedByte_AndATruncation()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "c.bin");
        var content = Enumerable.Range(0, 5000).Select(i => (byte)(i * 7)).ToArray();
        ChecksummedFile.Write(path, s => s.Write(content));
        Assert.True(ChecksummedFile.HasTrailer(path));
        Assert.Equal(content.Length, ChecksummedFile.Verify(path, "test file"));
        var bytes = File.ReadAllBytes(path);
        foreach (var at in new[] { 0, 1234, content.Length - 1, content.Length + 20 })
        {
            var damaged = (byte[])bytes.Clone();
            damaged[at] ^= 0x40;
            File.WriteAllBytes(path, damaged);
            Assert.Throws<InvalidDataException>(() => ChecksummedFile.Verify(path, "test file"));
        }

        File.WriteAllBytes(path, bytes[..100]);
        Assert.Contains("no checksum trailer", Assert.Throws<InvalidDataException>(() => ChecksummedFile.Verify(path, "test file")).Message, StringComparison.Ordinal);
    }
}
