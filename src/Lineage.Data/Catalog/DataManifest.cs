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

    /// <summary>Reads a manifest; null when it does not exist.</summary>
    /// <exception cref="InvalidDataException">The file is not a manifest this version understands.</exception>
    public static DataManifest? TryRead(string path)
    {
        if (!File.Exists(path)) return null;
        DataManifest? m;
        try
        {
            m = JsonSerializer.Deserialize<DataManifest>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a valid data manifest ({e.Message})", e);
        }
        if (m is null || m.Files is null || m.Id is null)
            throw new InvalidDataException($"{path}: not a valid data manifest (missing fields)");
        if (m.Schema != CurrentSchema)
            throw new InvalidDataException($"{path}: manifest schema {m.Schema} is not {CurrentSchema}");
        return m;
    }

    /// <summary>Writes the manifest atomically.</summary>
    public void Write(string path) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Json));

    /// <summary>SHA-256 of a file as lower-case hex.</summary>
    public static string Sha256Of(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
