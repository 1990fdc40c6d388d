using System.Formats.Tar;

namespace Lineage.Data.Catalog;

/// <summary>
/// Bounds on unpacking one package archive (npm .tgz, the data tar of a .deb, a .nupkg): more entries or more bytes than
/// these refuse the archive before the disk fills. The largest real package (emoji-datasource-google 16.0.0) unpacks to
/// 78 MB in 3,809 entries; SpamAssassin's has 12,107 entries.
/// </summary>
/// <param name="MaxTotalBytes">Most bytes all entries together may declare (and the decompressed stream may yield, headers included).</param>
/// <param name="MaxEntries">Most entries the archive may hold, folders and skipped files included.</param>
public sealed record ArchiveLimits(long MaxTotalBytes, int MaxEntries)
{
    /// <summary>1 GiB and 100,000 entries.</summary>
    public static ArchiveLimits Default { get; } = new(1L << 30, 100_000);

    // What the decompressed stream may yield beyond the entries' data: 512-byte headers, padding and PAX records.
    internal long StreamBudget => MaxTotalBytes + (MaxEntries + 16L) * 4096;
}

/// <summary>A read-only stream that refuses to yield more than a budget: a decompression bomb stops at the bound.</summary>
internal sealed class BoundedReadStream(Stream inner, long budget, string what) : Stream
{
    private long _read;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => _read; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        _read += n;
        if (_read > budget) throw new InvalidDataException($"{what}: unpacks to more than {budget} bytes; refused.");
        return n;
    }

    public override void Flush() { }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>Bounded, link-free unpacking of tar streams and copies of archive entries.</summary>
internal static class ArchiveExtraction
{
    /// <summary>
    /// Unpacks the regular-file entries of a tar stream that <paramref name="spec"/> keeps, under their package paths (a
    /// leading "./" dropped). Refused, before anything more is read: more entries or declared bytes than the limits, an entry
    /// whose path is absolute or has a ".." segment, a kept path that is a link or device or appears twice.
    /// </summary>
    internal static void ExtractTar(Stream tarStream, string archive, string root, DatasetSpec spec, ArchiveLimits limits, CancellationToken cancellation)
    {
        using var bounded = new BoundedReadStream(tarStream, limits.StreamBudget, archive);
        using var tar = new TarReader(bounded);
        int entries = 0;
        long total = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (tar.GetNextEntry() is { } entry)
        {
            cancellation.ThrowIfCancellationRequested();
            if (++entries > limits.MaxEntries) throw new InvalidDataException($"{archive}: more than {limits.MaxEntries} entries; refused.");
            var path = entry.Name;
            while (path.StartsWith("./", StringComparison.Ordinal)) path = path[2..];
            path = path.TrimEnd('/');
            if (path.Length == 0 || path == ".") continue;                           // the archive's root folder
            if (Escapes(path)) throw new InvalidDataException($"{archive}: entry '{SafePaths.Escape(entry.Name)}' would be written outside the target folder; refused.");
            if (entry.Length < 0 || (total += entry.Length) > limits.MaxTotalBytes)
                throw new InvalidDataException($"{archive}: its entries declare more than {limits.MaxTotalBytes} bytes; refused.");
            bool kept = spec.CachePathOf(path) is not null;
            switch (entry.EntryType)
            {
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    if (!kept) continue;
                    var target = Claim(root, path, archive, seen);
                    using (var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write))
                    {
                        if (entry.DataStream is { } data) CopyExactly(data, output, entry.Length, $"{archive}: {SafePaths.Escape(path)}");
                    }
                    break;
                case TarEntryType.Directory or TarEntryType.GlobalExtendedAttributes or TarEntryType.ExtendedAttributes
                    or TarEntryType.LongLink or TarEntryType.LongPath:
                    break;
                case TarEntryType.SymbolicLink or TarEntryType.HardLink:
                    if (kept) throw new InvalidDataException($"{archive}: {SafePaths.Escape(path)} is a link (to '{SafePaths.Escape(entry.LinkName)}'); the cache keeps only regular files.");
                    break;
                default:
                    if (kept) throw new InvalidDataException($"{archive}: {SafePaths.Escape(path)} is a {entry.EntryType} entry, not a regular file.");
                    break;
            }
        }
    }

    /// <summary>True when a package path is absolute or climbs out of its folder ("..").</summary>
    internal static bool Escapes(string path) =>
        path.StartsWith('/') || path.StartsWith('\\') || Path.IsPathRooted(path)
        || path.Split('/', '\\').Any(s => s == "..");

    /// <summary>The target file of a kept entry: a safe path inside <paramref name="root"/>, not written before, its folder created.</summary>
    internal static string Claim(string root, string path, string archive, HashSet<string> seen)
    {
        var target = SafePaths.Inside(root, path, $"{archive}: entry");
        if (!seen.Add(path)) throw new InvalidDataException($"{archive}: {SafePaths.Escape(path)} appears twice; refused.");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        return target;
    }

    /// <summary>Copies exactly <paramref name="length"/> bytes; a source that yields more or fewer is refused.</summary>
    internal static void CopyExactly(Stream source, Stream output, long length, string what)
    {
        var buffer = new byte[1 << 16];
        long done = 0;
        while (true)
        {
            int want = (int)Math.Min(buffer.Length, length - done + 1);              // one byte more than declared shows a liar
            if (want <= 0) break;
            int n = source.Read(buffer, 0, want);
            if (n == 0) break;
            done += n;
            if (done > length) throw new InvalidDataException($"{what}: holds more than the {length} bytes its header declares; refused.");
            output.Write(buffer, 0, n);
        }

        if (done != length) throw new InvalidDataException($"{what}: ends after {done} of the {length} bytes its header declares.");
    }
}
