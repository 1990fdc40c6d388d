using System.Buffers;
using System.Text.Unicode;

namespace Lineage.Data.Corpora;

/// <summary>
/// UTF-8 decoding that refuses invalid bytes and says where they are: the corpora are text we train on, and a
/// silent U+FFFD would become a vocabulary entry.
/// </summary>
internal static class StrictUtf8
{
    /// <summary>The UTF-8 byte-order mark, skipped at the start of a file.</summary>
    internal static ReadOnlySpan<byte> Bom => [0xEF, 0xBB, 0xBF];

    /// <summary>Decodes <paramref name="bytes"/>, throwing if any sequence is not valid UTF-8.</summary>
    /// <param name="bytes">The bytes to decode.</param>
    /// <param name="path">The file, for the message.</param>
    /// <param name="fileOffset">Offset of <paramref name="bytes"/> in the file, so the message gives the file offset.</param>
    /// <param name="line">1-based line of <paramref name="bytes"/>' start, or 0 to count lines inside <paramref name="bytes"/>.</param>
    /// <exception cref="InvalidDataException">Invalid UTF-8; the message names the path, byte offset and line.</exception>
    public static string Decode(ReadOnlySpan<byte> bytes, string path, long fileOffset, long line)
    {
        var chars = ArrayPool<char>.Shared.Rent(Math.Max(1, bytes.Length));
        try
        {
            var status = Utf8.ToUtf16(bytes, chars, out var read, out var written, replaceInvalidSequences: false);
            if (status != OperationStatus.Done)
            {
                var badLength = Math.Min(4, bytes.Length - read);
                var bad = Convert.ToHexString(bytes.Slice(read, badLength));
                var lineNumber = line > 0 ? line : 1 + bytes[..read].Count((byte)'\n');
                throw new InvalidDataException(
                    $"{path}: not valid UTF-8 at byte offset {fileOffset + read} (line {lineNumber}): bytes {bad}");
            }

            return new string(chars, 0, written);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    /// <summary>Reads a whole file as strict UTF-8, skipping a leading byte-order mark.</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="InvalidDataException">Invalid UTF-8; the message names the path and byte offset.</exception>
    public static string ReadAllText(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var skip = bytes.AsSpan().StartsWith(Bom) ? Bom.Length : 0;
        return Decode(bytes.AsSpan(skip), path, skip, 0);
    }
}
