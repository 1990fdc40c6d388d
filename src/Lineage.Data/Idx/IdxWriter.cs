using System.Buffers.Binary;
using System.IO.Compression;
using Lineage.Text.IO;

namespace Lineage.Data.Idx;

/// <summary>
/// Writes IDX image and label files in the layout <see cref="IdxReader"/> reads, optionally gzipped. Each file is
/// written atomically (a temporary file in the same folder, then renamed over the target), so a reader never sees
/// half of one.
/// </summary>
public static class IdxWriter
{
    /// <summary>Writes images as an IDX file: magic 0x00000803, count, rows, columns (big-endian), then the pixels.</summary>
    /// <param name="path">Target file; its folder is created if needed, an existing file is replaced.</param>
    /// <param name="images">The images to write.</param>
    /// <param name="gzip">Whether to gzip the file (the name is not changed; add <c>.gz</c> yourself).</param>
    public static void WriteImages(string path, IdxImages images, bool gzip)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(images);
        var header = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(header, IdxReader.ImagesMagic);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), images.Count);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), images.Rows);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), images.Columns);
        Write(path, header, images.Pixels, gzip);
    }

    /// <summary>Writes labels as an IDX file: magic 0x00000801, count (big-endian), then one byte per label.</summary>
    /// <param name="path">Target file; its folder is created if needed, an existing file is replaced.</param>
    /// <param name="labels">The labels; at least one.</param>
    /// <param name="gzip">Whether to gzip the file.</param>
    /// <exception cref="ArgumentException"><paramref name="labels"/> is empty (the reader rejects a count of 0).</exception>
    public static void WriteLabels(string path, byte[] labels, bool gzip)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Length == 0)
        {
            throw new ArgumentException("An IDX label file needs at least one label.", nameof(labels));
        }

        var header = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, IdxReader.LabelsMagic);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), labels.Length);
        Write(path, header, labels, gzip);
    }

    private static void Write(string path, byte[] header, byte[] body, bool gzip) =>
        AtomicFile.Write(path, file =>
        {
            if (!gzip)
            {
                file.Write(header);
                file.Write(body);
                return;
            }

            using var compressed = new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true);
            compressed.Write(header);
            compressed.Write(body);
        });
}
