using Lineage.Data.Catalog;

namespace Lineage.Data.Tests.Catalog;

/// <summary>Serves a fixed .tgz, unpacked with the real extractor, and counts the downloads; <see cref="Failure"/> makes it an unreachable registry.</summary>
internal sealed class FakeNpm(string tgz) : IPackageSource
{
    public int Downloads { get; private set; }

    public Exception? Failure { get; set; }

    public PackageContents Fetch(DatasetSpec spec, string workDir, Action<string> log, CancellationToken cancellation)
    {
        if (Failure is not null) throw Failure;
        Downloads++;
        var copy = Path.Combine(workDir, "tiny-data-1.0.0.tgz");
        File.Copy(tgz, copy);
        var root = Path.Combine(workDir, "root");
        NpmPackageSource.ExtractTarGz(copy, root, spec, cancellation);
        return new PackageContents(root, "1.0.0", DataManifest.Sha256Of(copy));
    }
}
