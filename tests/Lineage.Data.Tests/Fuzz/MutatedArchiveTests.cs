using System.Text;
using Lineage.Data.Catalog;
using Lineage.Fuzz;
using Lineage.Tests.Fuzz;

namespace Lineage.Data.Tests.Fuzz;

/// <summary>
/// Issue 29's property test for the data cache's readers: the manifest (<see cref="DataManifest.TryRead"/>) and the three
/// package formats Lineage unpacks (npm tarballs, .deb, .nupkg with an assembly's embedded resources), each from a valid
/// file (<see cref="ArchiveSeeds"/>, the afl-fuzz seeds) mutated thousands of times from a random seed each run (CsCheck
/// prints it on a failure). The only outcomes allowed are a result or the reader's own <see cref="InvalidDataException"/>
/// naming the file: never another exception, a file written outside the target, or more bytes than the limits allow.
/// </summary>
public sealed class MutatedArchiveTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly DatasetSpec Spec = ArchiveSeeds.Kept();

    private static readonly ArchiveLimits Limits = ArchiveSeeds.Limits();

    // Extracts into a fresh folder and checks what any outcome must respect: only regular files, all inside the folder,
    // within the byte limit.
    private Action<string> Extract(Action<string, string> extract) => path =>
    {
        var root = _dir["root"];
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        Directory.CreateDirectory(root);
        try
        {
            extract(path, root);
        }
        finally
        {
            long total = 0;
            foreach (var file in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories))
            {
                var info = new FileInfo(file);
                Assert.Null(info.LinkTarget);
                Assert.StartsWith(Path.GetFullPath(root) + Path.DirectorySeparatorChar, Path.GetFullPath(file), StringComparison.Ordinal);
                if (!info.Attributes.HasFlag(FileAttributes.Directory)) total += info.Length;
            }

            Assert.InRange(total, 0, Limits.MaxTotalBytes);
        }
    };

    [Fact]
    public void Manifest_OnlyReadsOrRefuses()
    {
        var valid = ArchiveSeeds.Manifest(_dir["seed-manifest.json"]);
        Assert.NotNull(DataManifest.TryRead(_dir["seed-manifest.json"]));
        Mutations.LoadOrRefuse(_dir["manifest.json"], valid, path => _ = DataManifest.TryRead(path), 3000);
    }

    [Fact]
    public void NpmTarballs_OnlyExtractOrRefuse()
    {
        foreach (var (name, bytes) in ArchiveSeeds.Tgz())
            Mutations.LoadOrRefuse(_dir[name], bytes, Extract((path, root) => NpmPackageSource.ExtractTarGz(path, root, Spec, Limits)), 700);
    }

    [Fact]
    public void Nupkg_TheSeedsAssemblyGivesItsResources_AndMutationsOnlyExtractOrRefuse()
    {
        foreach (var (name, bytes) in ArchiveSeeds.Nupkg())
        {
            // The unmutated package: its assembly's embedded resources come out as virtual files, byte for byte.
            var seed = _dir.WriteBytes("seed-" + name, bytes);
            var root = _dir["seed-root-" + name];
            NuGetPackageSource.ExtractNupkg(seed, root, Spec, Limits);
            foreach (var (resource, text) in ArchiveSeeds.Resources)
                Assert.Equal(text, File.ReadAllText(Path.Combine(root, "lib/net10.0/Tiny.Data.dll", resource), Encoding.UTF8));
            Assert.Equal("bb", File.ReadAllText(Path.Combine(root, "content/beta.txt")));

            Mutations.LoadOrRefuse(_dir[name], bytes, Extract((path, r) => NuGetPackageSource.ExtractNupkg(path, r, Spec, Limits)), 1000);
        }
    }

    [Fact]
    public void Deb_OnlyExtractsOrRefuses()
    {
        if (!File.Exists("/usr/bin/dpkg-deb")) return;   // Debian and Ubuntu have it; the .deb data sets need it
        var bytes = ArchiveSeeds.Deb(_dir["seed-tree"], _dir["seed.deb"]);
        Mutations.LoadOrRefuse(_dir["tiny.deb"], bytes, Extract((path, root) => AptPackageSource.ExtractDeb(path, root, Spec, Limits)), 300);
    }
}
