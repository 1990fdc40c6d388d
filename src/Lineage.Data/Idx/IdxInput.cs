using System.IO.Compression;

namespace Lineage.Data.Idx;

/// <summary>
/// The byte stream of one IDX file, gunzipped when the file starts with the gzip magic bytes 1F 8B (whatever its
/// name). Every failure of the gzip decoder comes out as an <see cref="InvalidDataException"/> that starts with the path.
/// </summary>
internal sealed class IdxInput : IDisposable
{
    /// <summary>
    /// No deflate stream expands more than 1032:1 (a 258-byte match coded in 2 bits), so a header that announces
    /// more than this many times the compressed size is truncated, and we can say so before allocating.
    /// </summary>
    internal const long MaxDeflateRatio = 1032;

    private readonly Stream _stream;

    private IdxInput(string path, Stream stream, bool isGzip, long fileLength)
    {
        Path = path;
        _stream = stream;
        IsGzip = isGzip;
        FileLength = fileLength;
    }

    /// <summary>The path as the caller gave it; every message starts with it.</summary>
    public string Path { get; }

    /// <summary>Whether the file is gzip-compressed.</summary>
    public bool IsGzip { get; }

    /// <summary>Size of the file on disk (compressed size when gzipped).</summary>
    public long FileLength { get; }

    /// <summary>Bytes of IDX data consumed so far (after decompression).</summary>
    public long Position { get; private set; }

    /// <summary>"the file" or "the decompressed data", for messages about where the data ends.</summary>
    public string DataName => IsGzip ? "the decompressed data" : "the file";

    public static IdxInput Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: file not found", path);
        }

        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            var length = file.Length;
            if (length == 0)
            {
                throw new InvalidDataException($"{path}: file is empty");
            }

            Span<byte> magic = stackalloc byte[2];
            var n = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
            file.Position = 0;
            var gzip = n == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
            Stream stream = gzip ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: false) : file;
            return new IdxInput(path, stream, gzip, length);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Reads until <paramref name="destination"/> is full or the data ends.</summary>
    /// <returns>The number of bytes read; less than the span's length only at the end of the data.</returns>
    public int Fill(Span<byte> destination)
    {
        var total = 0;
        try
        {
            while (total < destination.Length)
            {
                var n = _stream.Read(destination[total..]);
                if (n == 0)
                {
                    break;
                }

                total += n;
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw new InvalidDataException(
                $"{Path}: not a valid gzip stream ({e.Message.TrimEnd('.')}; {Position + total} bytes decompressed before the error)", e);
        }

        Position += total;
        return total;
    }

    /// <summary>Reads the rest of the data and counts it (used only to report trailing bytes).</summary>
    public long CountRemaining()
    {
        var buffer = new byte[1 << 16];
        long total = 0;
        int n;
        while ((n = Fill(buffer)) > 0)
        {
            total += n;
        }

        return total;
    }

    public void Dispose() => _stream.Dispose();
}
