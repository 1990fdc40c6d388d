namespace Lineage.Data.Corpora;

/// <summary>
/// Plain-text corpora: UTF-8, one sentence or paragraph per line. Lines are read lazily, so a corpus larger than
/// memory can be streamed into a tokenizer or an embedding trainer.
/// </summary>
public static class ProseCorpus
{
    /// <summary>
    /// Reads the non-blank lines of a UTF-8 text file, each trimmed of surrounding whitespace. Lines end at LF or
    /// CRLF; a leading byte-order mark is skipped.
    /// </summary>
    /// <param name="path">The text file.</param>
    /// <returns>A lazy sequence of lines; the file is opened when enumeration starts and closed when it ends.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist (thrown at once, not on enumeration).</exception>
    /// <exception cref="InvalidDataException">
    /// Thrown during enumeration when a byte sequence is not valid UTF-8; the message gives the path, the byte offset
    /// in the file and the line number.
    /// </exception>
    public static IEnumerable<string> ReadLines(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: file not found", path);
        }

        return ReadLinesCore(path);
    }

    private static IEnumerable<string> ReadLinesCore(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        var buffer = new byte[1 << 16];
        var filled = 0;          // bytes of buffer in use
        long bufferOffset = 0;   // file offset of buffer[0]
        long lineNumber = 0;
        var atEnd = false;
        while (!atEnd)
        {
            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2); // one line longer than the buffer
            }

            var n = stream.Read(buffer, filled, buffer.Length - filled);
            atEnd = n == 0;
            var scanFrom = filled;
            filled += n;
            var start = 0;
            while (true)
            {
                var newline = Array.IndexOf(buffer, (byte)'\n', scanFrom, filled - scanFrom);
                if (newline < 0 && !(atEnd && start < filled))
                {
                    break;
                }

                var end = newline < 0 ? filled : newline;
                lineNumber++;
                var line = DecodeLine(buffer, start, end, bufferOffset, lineNumber, path);
                if (line.Length > 0)
                {
                    yield return line;
                }

                start = end + 1;
                scanFrom = start;
                if (newline < 0)
                {
                    break;
                }
            }

            if (start > 0)
            {
                var keep = Math.Max(0, filled - start);
                Buffer.BlockCopy(buffer, Math.Min(start, filled), buffer, 0, keep);
                bufferOffset += filled - keep;
                filled = keep;
            }
        }
    }

    private static string DecodeLine(byte[] buffer, int start, int end, long bufferOffset, long lineNumber, string path)
    {
        var bytes = buffer.AsSpan(start, end - start);
        var offset = bufferOffset + start;
        if (offset == 0 && bytes.StartsWith(StrictUtf8.Bom))
        {
            bytes = bytes[StrictUtf8.Bom.Length..];
            offset = StrictUtf8.Bom.Length;
        }

        if (!bytes.IsEmpty && bytes[^1] == (byte)'\r')
        {
            bytes = bytes[..^1];
        }

        return StrictUtf8.Decode(bytes, path, offset, lineNumber).Trim();
    }
}
