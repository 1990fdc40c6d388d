using System.Security.Cryptography;

namespace Lineage.Text.IO;

/// <summary>
/// Files that carry their own SHA-256, so a flipped byte is found before anything is parsed: the content, then a
/// 40-byte trailer of the marker <c>LNSHA256</c> and the SHA-256 of the content. Written through
/// <see cref="AtomicFile"/>, so a crash mid-write leaves the previous file as it was. Used for training checkpoints,
/// which a resumed run would otherwise load silently however damaged.
/// </summary>
public static class ChecksummedFile
{
    /// <summary>Bytes after the content: the marker and the hash.</summary>
    public const int TrailerLength = 8 + 32;

    private static ReadOnlySpan<byte> Marker => "LNSHA256"u8;

    /// <summary>Writes the content <paramref name="write"/> produces, then its trailer, atomically.</summary>
    /// <param name="path">Target file.</param>
    /// <param name="write">Writes the whole content to the stream it is given.</param>
    /// <param name="createFolder">As for <see cref="AtomicFile.Write"/>.</param>
    public static void Write(string path, Action<Stream> write, bool createFolder = true)
    {
        ArgumentNullException.ThrowIfNull(write);
        AtomicFile.Write(path, stream =>
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using (var hashing = new HashingStream(stream, hash))
            {
                write(hashing);
            }
            stream.Write(Marker);
            stream.Write(hash.GetHashAndReset());
        }, createFolder);
    }

    /// <summary>Whether the file ends with a trailer (it was written by <see cref="Write"/>), without checking the hash.</summary>
    public static bool HasTrailer(string path)
    {
        using var stream = File.OpenRead(path);
        if (stream.Length < TrailerLength) return false;
        stream.Seek(-TrailerLength, SeekOrigin.End);
        Span<byte> marker = stackalloc byte[8];
        stream.ReadExactly(marker);
        return marker.SequenceEqual(Marker);
    }

    /// <summary>Checks the trailer's hash against the content and returns the content's length.</summary>
    /// <param name="path">A file written by <see cref="Write"/>.</param>
    /// <param name="what">What the file is, for the message ("checkpoint").</param>
    /// <exception cref="InvalidDataException">No trailer, or the content does not match its hash (the message names the file).</exception>
    public static long Verify(string path, string what)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        long content = stream.Length - TrailerLength;
        if (content < 0) throw new InvalidDataException($"{path}: the {what} is truncated (shorter than its checksum trailer).");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        for (long left = content; left > 0;)
        {
            int n = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (n == 0) throw new InvalidDataException($"{path}: the {what} ended while being read.");
            hash.AppendData(buffer, 0, n);
            left -= n;
        }

        Span<byte> trailer = stackalloc byte[TrailerLength];
        stream.ReadExactly(trailer);
        if (!trailer[..8].SequenceEqual(Marker))
            throw new InvalidDataException($"{path}: the {what} has no checksum trailer: truncated, or not written by Lineage.");
        if (!trailer[8..].SequenceEqual(hash.GetHashAndReset()))
            throw new InvalidDataException($"{path}: the {what} does not match its SHA-256 checksum: the file is damaged (a changed or missing byte).");
        return content;
    }

    /// <summary>Forwards writes to the file and into the hash.</summary>
    private sealed class HashingStream(Stream inner, IncrementalHash hash) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            hash.AppendData(buffer);
            inner.Write(buffer);
        }

        public override void WriteByte(byte value) => Write([value]);

        // The file stream belongs to AtomicFile: closing this wrapper must not close it.
        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Flush();
            base.Dispose(disposing);
        }
    }
}
