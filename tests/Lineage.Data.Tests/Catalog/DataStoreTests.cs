using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using Lineage.Data.Catalog;

namespace Lineage.Data.Tests.Catalog;

public sealed class DataStoreTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>A tiny npm-style data set: package/data/*.txt are kept, package/README.md is not.</summary>
    private static DatasetSpec Spec(int expected = 3, string? artifactSha = null) => new(
        Id: "tiny", Title: "Tiny", Registry: Registry.Npm, Package: "tiny-data", Version: "1.0.0", Licence: "CC0-1.0",
        Description: "test", KeepPattern: @"^package/data/(?<keep>[a-z]+\.txt)$", ExpectedFileCount: expected, ArtifactSha256: artifactSha);


    private string MakeTarball()
    {
        var path = _temp["tiny-data-1.0.0.tgz"];
        using var file = File.Create(path);
        using var gz = new GZipStream(file, CompressionLevel.Fastest);
        using var tar = new TarWriter(gz, TarEntryFormat.Pax);
        foreach (var (name, text) in new[] { ("package/data/alpha.txt", "a"), ("package/data/beta.txt", "bb"), ("package/data/gamma.txt", "ccc"), ("package/README.md", "not kept") })
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)) };
            tar.WriteEntry(entry);
        }
        return path;
    }

    private (DataStore Store, FakeNpm Source) Store()
    {
        var source = new FakeNpm(MakeTarball());
        return (new DataStore(_temp["cache"], _ => source), source);
    }

    [Fact]
    public void Fetch_Twice_DownloadsOnceAndKeepsOnlyTheSelectedFiles()
    {
        var (store, source) = Store();
        var first = store.Fetch(Spec());
        var second = store.Fetch(Spec());
        Assert.Equal("fetched", first.Action);
        Assert.Equal("up to date", second.Action);
        Assert.Equal(1, source.Downloads);
        Assert.Equal(["alpha.txt", "beta.txt", "gamma.txt", "manifest.json"],
            Directory.GetFiles(store.PathOf(Spec())).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(DatasetState.Ok, store.Check(Spec()).State);
        Assert.Empty(Directory.GetDirectories(store.Root, ".staging-*"));
    }

    [Fact]
    public void Fetch_CorruptedFileOfTheSameSize_IsDetectedAndFetchedAgain()
    {
        var (store, source) = Store();
        store.Fetch(Spec());
        var file = Path.Combine(store.PathOf(Spec()), "beta.txt");
        File.WriteAllText(file, "bX");                                   // same size, other content
        var status = store.Check(Spec());
        Assert.Equal(DatasetState.Corrupt, status.State);
        Assert.Contains("beta.txt", status.Problem, StringComparison.Ordinal);
        var outcome = store.Fetch(Spec());
        Assert.StartsWith("re-fetched", outcome.Action, StringComparison.Ordinal);
        Assert.Equal(2, source.Downloads);
        Assert.Equal("bb", File.ReadAllText(file));
    }

    [Fact]
    public void Fetch_DeletedFileOrManifest_IsFetchedAgain()
    {
        var (store, source) = Store();
        store.Fetch(Spec());
        File.Delete(Path.Combine(store.PathOf(Spec()), "alpha.txt"));
        Assert.Equal(DatasetState.Corrupt, store.Check(Spec()).State);
        store.Fetch(Spec());
        File.WriteAllText(Path.Combine(store.PathOf(Spec()), DataManifest.FileName), "{ not json");
        Assert.Equal(DatasetState.Corrupt, store.Check(Spec()).State);
        store.Fetch(Spec());
        Assert.Equal(3, source.Downloads);
        Assert.Equal(DatasetState.Ok, store.Check(Spec()).State);
    }

    [Fact]
    public void Fetch_PackageWithFewerFilesThanExpected_ThrowsAndLeavesNothingBehind()
    {
        var (store, _) = Store();
        var e = Assert.Throws<InvalidDataException>(() => store.Fetch(Spec(expected: 4)));
        Assert.Contains("3 of the expected 4", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(store.PathOf(Spec())));
        Assert.Empty(Directory.GetDirectories(store.Root, ".staging-*"));
    }

    [Fact]
    public void Fetch_CountIsMinimum_AcceptsMorePages_RefusesFewer()
    {
        var (store, _) = Store();
        Assert.Equal(3, store.Fetch(Spec(expected: 2) with { CountIsMinimum = true }).Manifest.Files.Count);
        var e = Assert.Throws<InvalidDataException>(() => store.Fetch(Spec(expected: 4) with { Id = "tiny2", CountIsMinimum = true }));
        Assert.Contains("3 of the expected at least 4", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fetch_ArtifactWithAnotherChecksum_Throws()
    {
        var (store, _) = Store();
        var e = Assert.Throws<InvalidDataException>(() => store.Fetch(Spec(artifactSha: new string('0', 64))));
        Assert.Contains("SHA-256", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fetch_RegistryUnreachable_KeepsTheMessageAndTheOldCopy()
    {
        var (store, source) = Store();
        store.Fetch(Spec());
        File.Delete(Path.Combine(store.PathOf(Spec()), "alpha.txt"));
        source.Failure = new RegistryUnavailableException("npm pack tiny-data@1.0.0 failed: the npm registry is unreachable");
        var e = Assert.Throws<RegistryUnavailableException>(() => store.Fetch(Spec()));
        Assert.Contains("unreachable", e.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(store.PathOf(Spec()), "beta.txt")));   // what was there is not thrown away
    }

    [Fact]
    public void Check_ManifestFromAnotherPackage_IsOutdated()
    {
        var (store, source) = Store();
        store.Fetch(Spec());
        var moved = Spec() with { Version = "2.0.0" };
        Assert.Equal(DatasetState.Outdated, store.Check(moved).State);
        Assert.StartsWith("re-fetched", store.Fetch(moved).Action, StringComparison.Ordinal);
        Assert.Equal(2, source.Downloads);
    }

    [Fact]
    public void ExtractTarGz_NotAGzip_ThrowsNamingTheFile()
    {
        var bad = _temp.WriteText("bad.tgz", "this is not gzip");
        var e = Assert.Throws<InvalidDataException>(() => NpmPackageSource.ExtractTarGz(bad, _temp["x"], Spec()));
        Assert.Contains(bad, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Catalog_PatternsKeepTheRealPackagePaths()
    {
        Assert.Equal("train-images-idx3-ubyte.gz", DataCatalog.FashionMnist.CachePathOf("usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"));
        Assert.Null(DataCatalog.FashionMnist.CachePathOf("usr/share/doc/dataset-fashion-mnist/README.md.gz"));
        Assert.Equal("ca01", DataCatalog.Brown.CachePathOf("package/ca01"));
        Assert.Equal("spam-2/00001.317e78fa8ee2f54cd4890fdc09ba8176.txt",
            DataCatalog.SpamAssassin.CachePathOf("package/data/spam-2/00001.317e78fa8ee2f54cd4890fdc09ba8176.txt"));
        Assert.Null(DataCatalog.SpamAssassin.CachePathOf("package/data/spam-2/00001.317e78fa8ee2f54cd4890fdc09ba8176.json"));
        Assert.Throws<ArgumentException>(() => DataCatalog.Get("nope"));
    }

    [Fact]
    public void RealCache_EveryFetchedDataSetMatchesItsManifest()
    {
        var store = new DataStore(DataStore.DefaultRoot());
        foreach (var spec in DataCatalog.All)
        {
            var status = store.Check(spec);
            if (status.State == DatasetState.Missing) continue;          // not fetched on this machine
            Assert.True(status.State == DatasetState.Ok, $"{spec.Id}: {status.Problem}");
            Assert.Equal(spec.ExpectedFileCount, status.Manifest!.Files.Count);
        }
    }
}
