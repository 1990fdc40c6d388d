using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Lineage.Text.IO;

namespace Lineage.Data.Catalog;

/// <summary>One cached file: its path in the data set's folder, size and SHA-256.</summary>
/// <param name="Path">Relative path, '/'-separated.</param>
/// <param name="Bytes">Size in bytes.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the content.</param>
public sealed record ManifestFile(string Path, long Bytes, string Sha256);

/// <summary>
/// What was fetched for a data set: written last into its cache folder (as <c>manifest.json</c>), so a
/// folder without a valid manifest is an interrupted fetch and is fetched again.
/// </summary>
/// <param name="Schema">Format version of this file.</param>
/// <param name="Id">Data set id.</param>
/// <param name="Source">Registry and package.</param>
/// <param name="PackageVersion">Version the registry gave.</param>
/// <param name="FetchedUtc">When it was fetched.</param>
/// <param name="Files">Every kept file.</param>
public sealed record DataManifest(int Schema, string Id, string Source, string PackageVersion, DateTime FetchedUtc, IReadOnlyList<ManifestFile> Files)
{
    /// <summary>The current manifest format.</summary>
    public const int CurrentSchema = 1;

    /// <summary>File name of the manifest inside a data set's folder.</summary>
    public const string FileName = "manifest.json";

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Total size of the files.</summary>
    public long TotalBytes => Files.Sum(f => f.Bytes);

    /// <summary>The largest manifest read (SpamAssassin's 6,046 files take 1 MB).</summary>
    public const long MaxBytes = 64L << 20;

    /// <summary>Reads a manifest; null when it does not exist.</summary>
    /// <exception cref="InvalidDataException">The file cannot be read, is not valid JSON, has fields of the wrong type, or is not a
    /// manifest this version understands (a file entry with an unsafe path, a negative size, a malformed SHA-256, a path listed twice);
    /// the message names the file.</exception>
    public static DataManifest? TryRead(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var info = new FileInfo(path);
        if (!info.Exists && info.LinkTarget is null) return null;
        if (SafePaths.IsLink(info)) throw new InvalidDataException($"{path}: not a valid data manifest (a symbolic link, not a file)");
        if (info.Length > MaxBytes) throw new InvalidDataException($"{path}: not a valid data manifest ({info.Length} bytes, more than {MaxBytes})");
        DataManifest? m;
        try
        {
            m = JsonSerializer.Deserialize<DataManifest>(File.ReadAllBytes(path), Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a valid data manifest ({SafePaths.Escape(e.Message)})", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{path}: the data manifest cannot be read ({SafePaths.Escape(e.Message)})", e);
        }
        catch (Exception e) when (e is NotSupportedException or ArgumentException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: not a valid data manifest ({SafePaths.Escape(e.Message)})", e);
        }
        if (m is null || m.Files is null || m.Id is null || m.Source is null || m.PackageVersion is null)
            throw new InvalidDataException($"{path}: not a valid data manifest (missing fields: id, source, packageVersion and files are required)");
        if (m.Schema != CurrentSchema)
            throw new InvalidDataException($"{path}: manifest schema {m.Schema} is not {CurrentSchema}");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < m.Files.Count; i++)
        {
            var f = m.Files[i];
            string? problem = f is null ? "null"
                : SafePaths.Problem(f.Path) is { } bad ? $"path '{SafePaths.Escape(f.Path)}' is refused ({bad})"
                : f.Path == FileName ? $"lists '{FileName}' itself"
                : !seen.Add(f.Path) ? $"'{SafePaths.Escape(f.Path)}' is listed twice"
                : f.Bytes < 0 ? $"'{SafePaths.Escape(f.Path)}' has a negative size"
                : !IsSha256(f.Sha256) ? $"'{SafePaths.Escape(f.Path)}' has no valid SHA-256 (64 lower-case hex digits)"
                : null;
            if (problem is not null) throw new InvalidDataException($"{path}: not a valid data manifest (files[{i}]: {problem})");
        }
        return m;
    }

    /// <summary>
    /// The files a data set folder's manifest lists, as '/'-separated paths relative to <paramref name="folder"/>; null when the
    /// folder has no manifest (a folder the user made). Readers of cached data sets take their files from this list, never
    /// from the folder's listing, so a file dropped into the cache is not read.
    /// </summary>
    /// <exception cref="InvalidDataException">The manifest is there but not valid.</exception>
    public static IReadOnlyList<string>? ListedFiles(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        return TryRead(System.IO.Path.Combine(folder, FileName))?.Files.Select(f => f.Path).ToList();
    }

    private static bool IsSha256(string? s) =>
        s is { Length: 64 } && s.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    /// <summary>Writes the manifest atomically.</summary>
    public void Write(string path) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Json));

    /// <summary>SHA-256 of a file as lower-case hex.</summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read.</exception>
    public static string Sha256Of(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
