using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace Lineage.Text.Encodings;

/// <summary>What reading a document does with bytes that are not valid UTF-8 (scikit-learn's <c>decode_error</c>).</summary>
public enum InvalidUtf8
{
    /// <summary>Replace each invalid sequence by U+FFFD and go on (<c>'replace'</c>).</summary>
    Replace,
    /// <summary>Stop with an error naming the file and the byte offset (<c>'strict'</c>).</summary>
    Reject,
}

/// <summary>Documents read from disk, in order, with a name each (file path, or file:line).</summary>
/// <param name="Names">Where each document came from.</param>
/// <param name="Texts">The documents.</param>
/// <param name="Bytes">Bytes read.</param>
/// <param name="InvalidSequences">Invalid UTF-8 sequences replaced by U+FFFD.</param>
public sealed record DocumentSet(IReadOnlyList<string> Names, IReadOnlyList<string> Texts, long Bytes, long InvalidSequences);

/// <summary>Reads the input of <c>lineage encode</c>: a file with one document per line, or a folder with one document per file.</summary>
public static class DocumentReader
{
    /// <summary>
    /// A file: one document per line (<c>\n</c> or <c>\r\n</c>; a final newline does not start another document).
    /// A folder: every file under it, recursively, except hidden ones (name starting with '.'), ordered by relative
    /// path (ordinal), one document each.
    /// </summary>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    /// <exception cref="InvalidDataException">Invalid UTF-8 with <see cref="InvalidUtf8.Reject"/> (file, line and byte offset given).</exception>
    public static DocumentSet Read(string path, InvalidUtf8 invalid = InvalidUtf8.Replace)
    {
        ArgumentNullException.ThrowIfNull(path);
        var names = new List<string>();
        var texts = new List<string>();
        long bytes = 0, bad = 0;
        if (Directory.Exists(path))
        {
            var files = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(path, f))
                .Where(r => !r.Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('.')))
                .Order(StringComparer.Ordinal);
            foreach (var rel in files)
            {
                var data = File.ReadAllBytes(Path.Combine(path, rel));
                bytes += data.Length;
                names.Add(rel);
                texts.Add(Decode(data, rel, invalid, ref bad));
            }
        }
        else if (File.Exists(path))
        {
            var data = File.ReadAllBytes(path);
            bytes = data.Length;
            var span = data.AsSpan();
            if (span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) span = span[3..];
            int line = 0, offset = data.Length - span.Length;
            while (span.Length > 0)
            {
                line++;
                int nl = span.IndexOf((byte)'\n');
                var lineBytes = nl < 0 ? span : span[..nl];
                if (lineBytes.Length > 0 && lineBytes[^1] == '\r') lineBytes = lineBytes[..^1];
                string name = string.Create(CultureInfo.InvariantCulture, $"{path}:{line}");
                names.Add(name);
                texts.Add(Decode(lineBytes, name, invalid, ref bad, offset));
                if (nl < 0) break;
                offset += nl + 1;
                span = span[(nl + 1)..];
            }
        }
        else
        {
            throw new FileNotFoundException($"No such file or folder: {path}", path);
        }

        return new DocumentSet(names, texts, bytes, bad);
    }

    /// <summary>UTF-8 bytes to text, replacing or rejecting invalid sequences.</summary>
    /// <param name="data">The bytes.</param>
    /// <param name="name">Named in the error.</param>
    /// <param name="invalid">Replace or reject.</param>
    /// <param name="replaced">Incremented per replaced sequence.</param>
    /// <param name="baseOffset">Byte offset of <paramref name="data"/> in its file, for the error.</param>
    public static string Decode(ReadOnlySpan<byte> data, string name, InvalidUtf8 invalid, ref long replaced, long baseOffset = 0)
    {
        var chars = ArrayPool<char>.Shared.Rent(data.Length + 1);
        try
        {
            int read = 0, written = 0;
            while (true)
            {
                var status = Utf8.ToUtf16(data[read..], chars.AsSpan(written), out int r, out int w, replaceInvalidSequences: false);
                read += r;
                written += w;
                if (status == OperationStatus.Done) break;
                // InvalidData or NeedMoreData (truncated at the end): one maximal invalid subsequence.
                if (invalid == InvalidUtf8.Reject)
                {
                    throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                        $"{name}: invalid UTF-8 at byte {baseOffset + read} (0x{data[read]:X2}); use the 'replace' option to read it with U+FFFD in its place."));
                }

                Rune.DecodeFromUtf8(data[read..], out _, out int skip);
                read += Math.Max(1, skip);
                chars[written++] = '\uFFFD';
                replaced++;
            }

            return new string(chars, 0, written);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }
}
