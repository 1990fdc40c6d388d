using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Lineage.Data.Catalog;

namespace Lineage.Data.Tests.Catalog;

/// <summary>Issue 29: a cached data set is exactly the files its manifest lists, and the manifest is what the catalogue expects.</summary>
public sealed class CacheIntegrityTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static DatasetSpec Spec(int expected = 3, IReadOnlyDictionary<string, string>? known = null) => new(
        Id: "tiny", Title: "Tiny", Registry: Registry.Npm, Package: "tiny-data", Version: "1.0.0", Licence: "CC0-1.0",
        Description: "test", KeepPattern: @"^package/data/(?<keep>[a-z]+\.txt)$", ExpectedFileCount: expected, KnownFileSha256: known);

    private static string Sha(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));


    private string Tarball()
    {
        var path = _temp["tiny-data-1.0.0.tgz"];
        using var file = File.Create(path);
        using var gz = new GZipStream(file, CompressionLevel.Fastest);
        using var tar = new TarWriter(gz, TarEntryFormat.Pax);
        foreach (var (name, text) in new[] { ("package/data/alpha.txt", "a"), ("package/data/beta.txt", "bb"), ("package/data/gamma.txt", "ccc") })
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) });
        return path;
    }

    private (DataStore Store, FakeNpm Source, string Folder) Fetched(DatasetSpec? spec = null)
    {
        var source = new FakeNpm(Tarball());
        var store = new DataStore(_temp["cache"], _ => source);
        store.Fetch(spec ?? Spec());
        return (store, source, store.PathOf(spec ?? Spec()));
    }

    private static void RewriteManifest(string folder, Func<string, string> edit)
    {
        var path = Path.Combine(folder, DataManifest.FileName);
        File.WriteAllText(path, edit(File.ReadAllText(path)));
    }

    [Fact]
    public void Check_ExtraFile_IsCorruptNamingIt_AndFetchReplacesTheFolder()
    {
        var (store, source, folder) = Fetched();
        File.WriteAllText(Path.Combine(folder, "zeta.txt"), "dropped in");
        File.WriteAllText(Path.Combine(folder, "omega.txt"), "and another");
        var status = store.Check(Spec());
        Assert.Equal(DatasetState.Corrupt, status.State);
        Assert.Equal("extra file omega.txt (not in the manifest), and 1 more", status.Problem);

        var outcome = store.Fetch(Spec());
        Assert.StartsWith("re-fetched (extra file omega.txt", outcome.Action, StringComparison.Ordinal);
        Assert.Equal(2, source.Downloads);
        Assert.False(File.Exists(Path.Combine(folder, "zeta.txt")));
        Assert.Equal(DatasetState.Ok, store.Check(Spec()).State);
    }

    [Fact]
    public void Check_ExtraFileInASubfolder_AndAnExtraSymlink_AreCorrupt()
    {
        var (store, _, folder) = Fetched();
        Directory.CreateDirectory(Path.Combine(folder, "sub"));
        Assert.Equal(DatasetState.Ok, store.Check(Spec()).State);                 // an empty folder holds nothing to read
        File.WriteAllText(Path.Combine(folder, "sub", "x.txt"), "x");
        Assert.Equal("extra file sub/x.txt (not in the manifest)", store.Check(Spec()).Problem);
        File.Delete(Path.Combine(folder, "sub", "x.txt"));
        File.CreateSymbolicLink(Path.Combine(folder, "sub", "link.txt"), "/etc/hostname");
        Assert.Equal("extra symbolic link sub/link.txt (not in the manifest)", store.Check(Spec()).Problem);
    }

    [Fact]
    public void Check_ListedFileReplacedBySymlink_IsCorrupt()
    {
        var (store, _, folder) = Fetched();
        var beta = Path.Combine(folder, "beta.txt");
        var copy = _temp.WriteText("elsewhere/beta.txt", "bb");                  // same bytes, but outside the cache
        File.Delete(beta);
        File.CreateSymbolicLink(beta, copy);
        Assert.Equal("beta.txt: a symbolic link, not a regular file", store.Check(Spec()).Problem);
    }

    [Fact]
    public void Check_NamesTheFirstBadFileAndWhatIsWrong()
    {
        var (store, _, folder) = Fetched();
        File.WriteAllText(Path.Combine(folder, "gamma.txt"), "cccc");
        Assert.Equal("gamma.txt: 4 bytes, the manifest says 3", store.Check(Spec()).Problem);
        File.WriteAllText(Path.Combine(folder, "gamma.txt"), "cXc");
        Assert.Equal("gamma.txt: SHA-256 differs from the manifest", store.Check(Spec()).Problem);
        File.Delete(Path.Combine(folder, "alpha.txt"));
        Assert.Equal("alpha.txt: missing", store.Check(Spec()).Problem);
    }

    [Fact]
    public void Check_ManifestWithNoFiles_IsCorrupt_TheCatalogueCountIsHonoured()
    {
        var (store, _, folder) = Fetched();
        foreach (var f in new[] { "alpha.txt", "beta.txt", "gamma.txt" }) File.Delete(Path.Combine(folder, f));
        var manifest = DataManifest.TryRead(Path.Combine(folder, DataManifest.FileName))!;
        (manifest with { Files = [] }).Write(Path.Combine(folder, DataManifest.FileName));
        var status = store.Check(Spec());
        Assert.Equal(DatasetState.Corrupt, status.State);
        Assert.Equal("manifest.json: lists 0 files, the catalogue expects 3", status.Problem);
        Assert.Equal("manifest.json: lists 0 files, the catalogue expects at least 1", store.Check(Spec(expected: 1) with { CountIsMinimum = true }).Problem);
    }

    [Fact]
    public void Check_ManifestContradictingAKnownChecksum_IsCorrupt()
    {
        var known = new Dictionary<string, string> { ["beta.txt"] = Sha("bb") };
        var (store, _, folder) = Fetched(Spec(known: known));
        Assert.Equal(DatasetState.Ok, store.Check(Spec(known: known)).State);

        // Both the file and its manifest entry changed consistently: only the catalogue can tell.
        File.WriteAllText(Path.Combine(folder, "beta.txt"), "BB");
        RewriteManifest(folder, m => m.Replace(Sha("bb"), Sha("BB"), StringComparison.Ordinal));
        Assert.Equal($"manifest.json: records SHA-256 {Sha("BB")} for beta.txt, the catalogue's is {Sha("bb")}", store.Check(Spec(known: known)).Problem);

        var absent = new Dictionary<string, string> { ["delta.txt"] = Sha("d") };
        Assert.Equal("manifest.json: does not list delta.txt, which the catalogue names", store.Check(Spec(known: absent)).Problem);
    }

    [Theory]
    [InlineData("\"bytes\": 1,", "\"bytes\": \"1\",", "$.files[0].bytes")]
    [InlineData("\"bytes\": 1,", "\"bytes\": 1.5,", "$.files[0].bytes")]
    [InlineData("\"schema\": 1,", "\"schema\": [1],", "$.schema")]
    [InlineData("\"path\": \"alpha.txt\"", "\"path\": \"../../outside.txt\"", "files[0]: path '../../outside.txt' is refused")]
    [InlineData("\"path\": \"alpha.txt\"", "\"path\": \"/etc/passwd\"", "files[0]: path '/etc/passwd' is refused (an absolute path")]
    [InlineData("\"path\": \"alpha.txt\"", "\"path\": \"beta.txt\"", "files[1]: 'beta.txt' is listed twice")]
    [InlineData("\"bytes\": 1,", "\"bytes\": -1,", "files[0]: 'alpha.txt' has a negative size")]
    [InlineData("\"files\": [", "\"files\": [null, ", "files[0]: null")]
    public void TryRead_WrongTypesOrUnsafeEntries_AreOneInvalidDataExceptionNamingTheManifest(string from, string to, string expected)
    {
        var (store, _, folder) = Fetched();
        RewriteManifest(folder, m =>
        {
            Assert.Contains(from, m, StringComparison.Ordinal);
            var at = m.IndexOf(from, StringComparison.Ordinal);
            return m[..at] + to + m[(at + from.Length)..];
        });
        var path = Path.Combine(folder, DataManifest.FileName);
        var e = Assert.Throws<InvalidDataException>(() => DataManifest.TryRead(path));
        Assert.StartsWith(path + ": not a valid data manifest", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        var status = store.Check(Spec());
        Assert.Equal(DatasetState.Corrupt, status.State);
        Assert.Equal(e.Message, status.Problem);
    }

    [Fact]
    public void TryRead_ControlBytesInTheManifest_AreEscapedInTheMessage()
    {
        var (_, _, folder) = Fetched();
        var path = Path.Combine(folder, DataManifest.FileName);
        File.WriteAllBytes(path, [.. "{ \"schema\": 1, \"id\": "u8, 0x1b, .. "[31m\u0007 }"u8]);
        var e = Assert.Throws<InvalidDataException>(() => DataManifest.TryRead(path));
        Assert.StartsWith(path, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(e.Message, c => char.IsControl(c));
    }

    [Fact]
    public void TryRead_ManifestAsASymlink_IsRefused()
    {
        var (store, _, folder) = Fetched();
        var path = Path.Combine(folder, DataManifest.FileName);
        var elsewhere = _temp["manifest-copy.json"];
        File.Move(path, elsewhere);
        File.CreateSymbolicLink(path, elsewhere);
        var e = Assert.Throws<InvalidDataException>(() => DataManifest.TryRead(path));
        Assert.Contains("symbolic link", e.Message, StringComparison.Ordinal);
        Assert.Equal(DatasetState.Corrupt, store.Check(Spec()).State);
    }

    [Fact]
    public void Check_UnreadableFile_IsCorruptNamingIt()
    {
        if (OperatingSystem.IsWindows() || Environment.UserName == "root") return;   // root reads every file: nothing to test
        var (store, _, folder) = Fetched();
        var beta = Path.Combine(folder, "beta.txt");
        File.SetUnixFileMode(beta, UnixFileMode.None);
        try
        {
            Assert.StartsWith("beta.txt: cannot be read", store.Check(Spec()).Problem, StringComparison.Ordinal);
            File.SetUnixFileMode(Path.Combine(folder, DataManifest.FileName), UnixFileMode.None);
            var e = Assert.Throws<InvalidDataException>(() => DataManifest.TryRead(Path.Combine(folder, DataManifest.FileName)));
            Assert.Contains("cannot be read", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.SetUnixFileMode(beta, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.SetUnixFileMode(Path.Combine(folder, DataManifest.FileName), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    [Fact]
    public void Require_ExtraFileAndRegistryUnreachable_ThrowsInsteadOfHandingTheFolderOver()
    {
        var (store, source, folder) = Fetched();
        File.WriteAllText(Path.Combine(folder, "zeta.txt"), "dropped in");
        source.Failure = new RegistryUnavailableException("npm pack tiny-data@1.0.0 failed: the npm registry is unreachable");
        var log = new List<string>();
        Assert.Throws<RegistryUnavailableException>(() => store.Require(Spec(), log.Add));
        Assert.Contains("tiny: extra file zeta.txt (not in the manifest); fetching again", log);
    }

    [Fact]
    public void ListedFiles_AreTheManifestsNotTheFolders()
    {
        var (_, _, folder) = Fetched();
        File.WriteAllText(Path.Combine(folder, "zeta.txt"), "dropped in");
        Assert.Equal(["alpha.txt", "beta.txt", "gamma.txt"], DataManifest.ListedFiles(folder));
        Assert.Null(DataManifest.ListedFiles(_temp.Path));
    }
}
