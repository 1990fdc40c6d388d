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
    /// <summary>The largest PAX or GNU long-name header accepted (real ones hold a path and a few times).</summary>
    internal const long MaxMetadataBytes = 1 << 20;

    /// <summary>
    /// Unpacks the regular-file entries of a tar stream that <paramref name="spec"/> keeps, under their package paths (a
    /// leading "./" dropped). Refused, before anything more is read: more entries or declared bytes than the limits, an entry
    /// whose path is absolute or has a ".." segment, a kept path that is a link or device or appears twice.
    /// </summary>
    internal static void ExtractTar(Stream tarStream, string archive, string root, DatasetSpec spec, ArchiveLimits limits, CancellationToken cancellation)
    {
        using var bounded = new BoundedReadStream(tarStream, limits.StreamBudget, archive);
        using var guarded = new TarHeaderGuard(bounded, MaxMetadataBytes, archive);
        using var tar = new TarReader(guarded);
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

/// <summary>
/// Follows a tar stream's headers as they pass and checks each one before the reader above sees it: .NET's
/// <see cref="System.Formats.Tar.TarReader"/> allocates a PAX or GNU long-name header's declared size before reading it
/// (a 1 KB archive declaring 1.9 GB did so), so metadata entries over <paramref name="maxMetadataBytes"/>, sizes that
/// do not parse and sparse entries (whose layout this guard does not follow) are refused here. A PAX <c>size</c> record
/// is honoured for the entry it precedes, so the guard stays on the headers.
/// </summary>
internal sealed class TarHeaderGuard(Stream inner, long maxMetadataBytes, string what) : Stream
{
    private long _position;                 // bytes handed up so far
    private long _nextHeader;               // offset of the next header block
    private long? _paxSize;                 // a PAX 'size' record for the next entry
    private byte[] _pending = [];           // a checked header (and metadata) not yet handed up
    private int _served;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty) return 0;
        if (_served == _pending.Length && _position == _nextHeader) Load();
        if (_served < _pending.Length)
        {
            int n = Math.Min(buffer.Length, _pending.Length - _served);
            _pending.AsSpan(_served, n).CopyTo(buffer);
            _served += n;
            _position += n;
            return n;
        }

        int read = inner.Read(buffer[..(int)Math.Min(buffer.Length, _nextHeader - _position)]);
        _position += read;
        return read;
    }

    // Reads and checks the header block at _nextHeader (with a metadata entry's data) into _pending.
    private void Load()
    {
        var header = new byte[512];
        int got = inner.ReadAtLeast(header, 512, throwOnEndOfStream: false);
        _served = 0;
        if (got < 512)
        {
            _pending = header[..got];                                               // truncated: the reader reports it
            _nextHeader = long.MaxValue;
            return;
        }

        if (header.All(b => b == 0))
        {
            _pending = header;
            _nextHeader += 512;
            return;
        }

        long size = ParseSize(header.AsSpan(124, 12));
        char type = (char)header[156];
        if (_paxSize is { } pax && type is not ('x' or 'g' or 'L' or 'K')) size = pax;
        if (type is not ('x' or 'g' or 'L' or 'K')) _paxSize = null;
        if (type == 'S') throw new InvalidDataException($"{what}: a sparse entry; refused.");
        long padded = checked(size + 511) / 512 * 512;
        if (type is 'x' or 'g' or 'L' or 'K')
        {
            if (size > maxMetadataBytes)
                throw new InvalidDataException($"{what}: a '{type}' metadata header of {size} bytes, more than {maxMetadataBytes}; refused.");
            var block = new byte[512 + padded];
            header.CopyTo(block, 0);
            int data = inner.ReadAtLeast(block.AsSpan(512), (int)padded, throwOnEndOfStream: false);
            _pending = block[..(512 + data)];
            if (type == 'x' && PaxSize(block.AsSpan(512, (int)Math.Min(size, data))) is { } next) _paxSize = next;
            if (type == 'g' && PaxSize(block.AsSpan(512, (int)Math.Min(size, data))) is not null)
                throw new InvalidDataException($"{what}: a global PAX header that sets every entry's size; refused.");
        }
        else
        {
            _pending = header;
        }

        _nextHeader = checked(_nextHeader + 512 + padded);
    }

    // The size field: octal ASCII (NUL or space terminated) or, with the high bit of its first byte set, base-256.
    private long ParseSize(ReadOnlySpan<byte> field)
    {
        if ((field[0] & 0x80) != 0)
        {
            if ((field[0] & 0x40) != 0) throw new InvalidDataException($"{what}: a header with a negative size; refused.");
            long v = field[0] & 0x3F;
            for (int i = 1; i < field.Length; i++)
            {
                if (v > (long.MaxValue >> 8)) throw new InvalidDataException($"{what}: a header whose size overflows; refused.");
                v = (v << 8) | field[i];
            }
            return v;
        }

        long value = 0;
        bool digits = false;
        foreach (var b in field)
        {
            if (b is (byte)' ' or 0) { if (digits) break; continue; }
            if (b is < (byte)'0' or > (byte)'7') throw new InvalidDataException($"{what}: a header whose size field is not octal; refused.");
            value = checked(value * 8 + (b - '0'));
            digits = true;
        }
        return value;
    }

    // The value of a 'size' record in PAX extended-header data ("<length> size=<decimal>\n" records), if any.
    private long? PaxSize(ReadOnlySpan<byte> data)
    {
        long? size = null;
        int at = 0;
        while (at < data.Length)
        {
            int space = data[at..].IndexOf((byte)' ');
            if (space <= 0 || !int.TryParse(data.Slice(at, space), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int length)
                || length <= space || at + length > data.Length)
                break;                                                             // malformed: the reader reports it
            var record = data.Slice(at + space + 1, length - space - 1);
            if (record.StartsWith("size="u8))
            {
                var digits = record[5..].TrimEnd((byte)'\n');
                if (!long.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long v))
                    throw new InvalidDataException($"{what}: a PAX size record that is not a number; refused.");
                size = v;
            }
            at += length;
        }
        return size;
    }

    public override void Flush() { }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
