// Valid data-cache files for the fuzz seeds and the property tests of issue 29 (tests/Lineage.Data.Tests links this file):
// a manifest, npm tarballs, a .deb and .nupkg packages, each made by the writer Lineage or .NET itself uses. The .nupkg
// holds a real .NET assembly with embedded resources, written here with System.Reflection.Metadata (a few hundred bytes,
// small enough for afl-fuzz to mutate), so that mutations reach the PE and metadata reader that ExtractNupkg uses.
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Security.Cryptography;
using System.Text;
using Lineage.Data.Catalog;

namespace Lineage.Fuzz;

/// <summary>Small valid files of the data cache: what Lineage fetches and keeps.</summary>
internal static class ArchiveSeeds
{
    /// <summary>The embedded resources of <see cref="TinyAssembly"/> in the seed package: (name, text).</summary>
    public static readonly (string Name, string Text)[] Resources = [("Tiny.Data.model", "weights"), ("Tiny.Data.vocab", "a\nb\n")];

    /// <summary>What the archive readers keep from these packages (and the hostile-archive tests' paths): a new spec each call.</summary>
    public static DatasetSpec Kept() => new(
        Id: "tiny", Title: "Tiny", Registry: Registry.Npm, Package: "tiny-data", Version: "1.0.0", Licence: "CC0-1.0", Description: "fuzz",
        KeepPattern: @"^package/data/(?<keep>[a-z]+\.txt)$|^usr/share/tiny/(?<keep>[a-z]+\.txt)$|^content/(?<keep>[a-z]+\.txt)$|^lib/[^/]+/[^/]+\.dll/(?<keep>[A-Za-z.]+)$",
        ExpectedFileCount: 1);

    /// <summary>The small limits the archive readers run under here: 1 MiB, 64 entries.</summary>
    public static ArchiveLimits Limits() => new(MaxTotalBytes: 1 << 20, MaxEntries: 64);

    /// <summary>A manifest of two files, written by <see cref="DataManifest.Write"/> to <paramref name="path"/>; its bytes.</summary>
    public static byte[] Manifest(string path)
    {
        static string Sha(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
        var manifest = new DataManifest(DataManifest.CurrentSchema, "tiny", "npm: tiny-data@1.0.0", "1.0.0", new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc),
            [new ManifestFile("data/alpha.txt", 1, Sha("a")), new ManifestFile("data/beta.txt", 2, Sha("bb"))]);
        manifest.Write(path);
        return File.ReadAllBytes(path);
    }

    /// <summary>Three npm-style tarballs (package/data/alpha.txt, beta.txt, README.md) in three tar formats.</summary>
    public static IEnumerable<(string Name, byte[] Bytes)> Tgz() =>
    [
        // Stored (uncompressed) deflate blocks let mutations reach the tar headers; one compressed seed keeps inflate in play.
        ("pax-stored.tgz", Gzip(Tar(TarEntryFormat.Pax, "package/data"), CompressionLevel.NoCompression)),
        ("ustar-stored.tgz", Gzip(Tar(TarEntryFormat.Ustar, "package/data"), CompressionLevel.NoCompression)),
        ("gnu-fastest.tgz", Gzip(Tar(TarEntryFormat.Gnu, "package/data"), CompressionLevel.Fastest)),
    ];

    /// <summary>A .deb built by <c>dpkg-deb</c> from a tree in <paramref name="tree"/> (usr/share/tiny/alpha.txt, beta.txt), written to <paramref name="deb"/>; its bytes.</summary>
    /// <exception cref="InvalidOperationException">dpkg-deb is missing or failed.</exception>
    public static byte[] Deb(string tree, string deb)
    {
        Directory.CreateDirectory(Path.Combine(tree, "DEBIAN"));
        File.WriteAllText(Path.Combine(tree, "DEBIAN/control"), "Package: tiny\nVersion: 1.0\nArchitecture: all\nMaintainer: fuzz <f@example.org>\nDescription: fuzz seed\n");
        Directory.CreateDirectory(Path.Combine(tree, "usr/share/tiny"));
        File.WriteAllText(Path.Combine(tree, "usr/share/tiny/alpha.txt"), "a");
        File.WriteAllText(Path.Combine(tree, "usr/share/tiny/beta.txt"), "bb");
        // -Znone: the data member is a plain tar, so mutations reach the tar reader rather than a compressor.
        using var p = Process.Start(new ProcessStartInfo("dpkg-deb", ["--root-owner-group", "-Znone", "-b", tree, deb]) { RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException("dpkg-deb did not start");
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException("dpkg-deb -b failed: " + p.StandardError.ReadToEnd());
        return File.ReadAllBytes(deb);
    }

    /// <summary>
    /// Two .nupkg packages (stored and deflated): a nuspec, content/alpha.txt and beta.txt, and lib/net10.0/Tiny.Data.dll,
    /// a .NET assembly that embeds <see cref="Resources"/>.
    /// </summary>
    public static IEnumerable<(string Name, byte[] Bytes)> Nupkg() =>
        [("stored.nupkg", Zip(CompressionLevel.NoCompression)), ("deflated.nupkg", Zip(CompressionLevel.Fastest))];

    /// <summary>
    /// A .NET library assembly named <paramref name="name"/> with no types but &lt;Module&gt; and with
    /// <paramref name="resources"/> embedded (each at its offset in the CLI header's resource directory: a 4-byte length,
    /// then the bytes, 8-aligned). Deterministic: the same arguments give the same bytes.
    /// </summary>
    public static byte[] TinyAssembly(string name, IReadOnlyList<(string Name, byte[] Bytes)> resources)
    {
        var metadata = new MetadataBuilder();
        metadata.AddModule(0, metadata.GetOrAddString(name + ".dll"), metadata.GetOrAddGuid(new Guid("5f1b7e0c-29a4-4d7e-9c11-0b7a3d2e6f10")), default, default);
        metadata.AddAssembly(metadata.GetOrAddString(name), new Version(1, 0, 0, 0), default, default, default, AssemblyHashAlgorithm.Sha1);
        metadata.AddTypeDefinition(default, default, metadata.GetOrAddString("<Module>"), default,
            MetadataTokens.FieldDefinitionHandle(1), MetadataTokens.MethodDefinitionHandle(1));
        var blobs = new BlobBuilder();
        foreach (var (resource, bytes) in resources)
        {
            metadata.AddManifestResource(ManifestResourceAttributes.Public, metadata.GetOrAddString(resource), default, (uint)blobs.Count);
            blobs.WriteInt32(bytes.Length);
            blobs.WriteBytes(bytes);
            blobs.Align(8);
        }

        var pe = new ManagedPEBuilder(PEHeaderBuilder.CreateLibraryHeader(), new MetadataRootBuilder(metadata), new BlobBuilder(),
            managedResources: blobs, deterministicIdProvider: _ => new BlobContentId(Guid.Empty, 0x4C696E65));
        var image = new BlobBuilder();
        pe.Serialize(image);
        return image.ToArray();
    }

    private static byte[] Zip(CompressionLevel level)
    {
        using var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            var dll = TinyAssembly("Tiny.Data", [.. Resources.Select(r => (r.Name, Encoding.UTF8.GetBytes(r.Text)))]);
            foreach (var (name, bytes) in new[]
                     {
                         ("tiny.nuspec", "<package><metadata><id>tiny</id></metadata></package>"u8.ToArray()), ("content/alpha.txt", "a"u8.ToArray()),
                         ("content/beta.txt", "bb"u8.ToArray()), ("lib/net10.0/Tiny.Data.dll", dll),
                     })
            {
                using var w = zip.CreateEntry(name, level).Open();
                w.Write(bytes);
            }
        }

        return stream.ToArray();
    }

    private static byte[] Tar(TarEntryFormat format, string prefix)
    {
        using var stream = new MemoryStream();
        using (var tar = new TarWriter(stream, format, leaveOpen: true))
        {
            foreach (var (name, text) in new[] { ($"{prefix}/alpha.txt", "a"), ($"{prefix}/beta.txt", "bb"), ("package/README.md", "no") })
            {
                TarEntry entry = format switch
                {
                    TarEntryFormat.Ustar => new UstarTarEntry(TarEntryType.RegularFile, name),
                    TarEntryFormat.Gnu => new GnuTarEntry(TarEntryType.RegularFile, name),
                    _ => new PaxTarEntry(TarEntryType.RegularFile, name),
                };
                entry.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text));
                tar.WriteEntry(entry);
            }
        }

        return stream.ToArray();
    }

    private static byte[] Gzip(byte[] data, CompressionLevel level)
    {
        using var stream = new MemoryStream();
        using (var gz = new GZipStream(stream, level, leaveOpen: true)) gz.Write(data);
        return stream.ToArray();
    }
}
