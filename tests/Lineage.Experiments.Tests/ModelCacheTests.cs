using Lineage.Data.Catalog;

namespace Lineage.Experiments.Tests;

public class ModelCacheTests
{
    private static readonly DataManifest Data = new(1, "d", "npm: d@1", "1", DateTime.UnixEpoch, [new ManifestFile("a", 1, "aa")]);

    private sealed record Settings(int Hidden, double Rate);

    [Fact]
    public void Entry_SameInputs_SameKey_AndAnyChange_AnotherKey()
    {
        var cache = new ModelCache("/tmp/unused");
        var key = cache.Entry("x", new Settings(8, 0.1), [Data]).Key;
        Assert.Equal(key, cache.Entry("x", new Settings(8, 0.1), [Data]).Key);
        Assert.NotEqual(key, cache.Entry("x", new Settings(9, 0.1), [Data]).Key);
        Assert.NotEqual(key, cache.Entry("y", new Settings(8, 0.1), [Data]).Key);
        Assert.NotEqual(key, cache.Entry("x", new Settings(8, 0.1), [Data with { Files = [new ManifestFile("a", 1, "ab")] }]).Key);
    }

    [Fact]
    public void Store_ThenCanReuse_UnlessReuseIsOff()
    {
        using var dir = new TempFolder();
        var entry = new ModelCache(dir.Path).Entry("x", new Settings(8, 0.1), [Data]);
        Assert.False(entry.CanReuse);
        entry.Store(folder => File.WriteAllText(Path.Combine(folder, "model.bin"), "weights"));
        Assert.True(entry.CanReuse);
        Assert.Equal("weights", File.ReadAllText(entry.Path("model.bin")));
        Assert.False(new ModelCache(dir.Path, reuse: false).Entry("x", new Settings(8, 0.1), [Data]).CanReuse);
    }

    [Fact]
    public void Store_FailingWriter_LeavesNoEntry()
    {
        using var dir = new TempFolder();
        var entry = new ModelCache(dir.Path).Entry("x", new Settings(8, 0.1), [Data]);
        Assert.Throws<IOException>(() => entry.Store(_ => throw new IOException("disk full")));
        Assert.False(entry.CanReuse);
        Assert.Empty(Directory.GetDirectories(Path.Combine(dir.Path, "x"), ".staging-*"));
    }
}
