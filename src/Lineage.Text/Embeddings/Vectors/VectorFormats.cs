// The three file formats word vectors travel in:
//   word2vec text   "V D\n" then "word f1 … fD\n" per word (also fastText's .vec files);
//   word2vec binary "V D\n" then "word " + D little-endian float32 (+ an optional "\n") per word (word2vec.c, gensim);
//   GloVe text      "word f1 … fD\n" per word, no header (Stanford GloVe).
// Errors name the line (text) or byte offset (binary) and what was expected there.
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Lineage.Text.IO;

namespace Lineage.Text.Embeddings.Vectors;

/// <summary>A vector file format.</summary>
public enum VectorFormat
{
    /// <summary>word2vec text format (with a "count dimensions" header); fastText's .vec.</summary>
    Word2VecText,

    /// <summary>word2vec binary format.</summary>
    Word2VecBinary,

    /// <summary>GloVe text format (no header).</summary>
    GloveText,
}

/// <summary>Reads and writes word vectors in word2vec (text, binary) and GloVe formats.</summary>
public static class VectorFiles
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <summary>Saves in the given format, atomically (temporary file, then rename).</summary>
    /// <exception cref="DirectoryNotFoundException">The output folder does not exist.</exception>
    public static void Save(WordVectors vectors, string path, VectorFormat format)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        AtomicFile.Write(path, stream =>
        {
            if (format == VectorFormat.Word2VecBinary)
            {
                WriteBinary(vectors, stream);
            }
            else
            {
                using var w = new StreamWriter(stream, Utf8, 1 << 16, leaveOpen: true) { NewLine = "\n" };
                if (format == VectorFormat.Word2VecText)
                {
                    w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{vectors.Count} {vectors.Dimensions}"));
                }

                var sb = new StringBuilder();
                for (int r = 0; r < vectors.Count; r++)
                {
                    sb.Clear().Append(vectors.Words[r]);
                    var v = vectors.Vectors.AsSpan(r * vectors.Dimensions, vectors.Dimensions);
                    foreach (var f in v)
                    {
                        sb.Append(' ').Append(f.ToString("G9", CultureInfo.InvariantCulture));
                    }

                    w.WriteLine(sb);
                }
            }
        }, createFolder: false);
    }

    /// <summary>
    /// Loads a file, detecting the format from its content (<see cref="Detect"/>): the extension alone never decides, so a
    /// text file named <c>.bin</c> is still read as text.
    /// </summary>
    public static WordVectors Load(string path) => Load(path, Detect(path));

    /// <summary>
    /// The format <see cref="Load(string)"/> uses, from the file's first bytes: no "count dimensions" header is GloVe text;
    /// after a header, the first word's values (to the end of its line, at most 4·D bytes) are word2vec text when they are
    /// all characters of decimal numbers and spaces, and word2vec binary otherwise (raw float32s almost never are).
    /// </summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static VectorFormat Detect(string path)
    {
        using var stream = OpenRead(path);
        var head = new byte[1 << 16];
        int n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var bytes = head.AsSpan(0, n);
        int newline = bytes.IndexOf((byte)'\n');
        if (newline < 0 || !TryHeader(Utf8.GetString(bytes[..newline]), out _, out var dim))
        {
            return VectorFormat.GloveText;
        }

        var body = bytes[(newline + 1)..];
        int space = body.IndexOf((byte)' ');
        if (space < 0)
        {
            // No complete first word in the sample: a binary file's first vector would follow a word; call it text.
            return VectorFormat.Word2VecText;
        }

        // The first entry's values: up to the end of its line for text, its 4·D bytes for binary.
        var values = body[(space + 1)..];
        values = values[..(int)Math.Min(values.Length, 4L * dim)];
        int end = values.IndexOf((byte)'\n');
        if (end > 0)
        {
            values = values[..end];
        }

        foreach (var c in values)
        {
            if (!(c is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t' or (byte)'.' or (byte)'-' or (byte)'+' or (byte)'e' or (byte)'E'
                  or (byte)'n' or (byte)'a' or (byte)'N' or (byte)'i' or (byte)'f' or (byte)'I' or (byte)'t' or (byte)'y' or (>= (byte)'0' and <= (byte)'9')))
            {
                return VectorFormat.Word2VecBinary;
            }
        }

        return VectorFormat.Word2VecText;
    }

    /// <summary>Loads a file in the given format.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Malformed: the message names the line or byte offset.</exception>
    public static WordVectors Load(string path, VectorFormat format)
    {
        using var stream = OpenRead(path);
        return format switch
        {
            VectorFormat.Word2VecBinary => ReadBinary(stream, path),
            VectorFormat.Word2VecText => ReadText(stream, path, header: true),
            _ => ReadText(stream, path, header: false),
        };
    }

    private static FileStream OpenRead(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return File.Exists(path)
            ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16)
            : throw new FileNotFoundException($"{path}: vector file not found", path);
    }

    private static void WriteBinary(WordVectors vectors, Stream stream)
    {
        var header = Utf8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{vectors.Count} {vectors.Dimensions}\n"));
        stream.Write(header);
        var floats = new byte[vectors.Dimensions * 4];
        for (int r = 0; r < vectors.Count; r++)
        {
            stream.Write(Utf8.GetBytes(vectors.Words[r] + " "));
            var v = vectors.Vectors.AsSpan(r * vectors.Dimensions, vectors.Dimensions);
            if (BitConverter.IsLittleEndian)
            {
                MemoryMarshal.AsBytes(v).CopyTo(floats);
            }
            else
            {
                for (int d = 0; d < v.Length; d++)
                {
                    System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(floats.AsSpan(d * 4), v[d]);
                }
            }

            stream.Write(floats);
            stream.WriteByte((byte)'\n');
        }
    }

    private static (int Count, int Dimensions) ParseHeader(string? line, string path) =>
        TryHeader(line, out var count, out var dim)
            ? (count, dim)
            : throw new InvalidDataException($"{path}: line 1: expected the header \"<word count> <dimensions>\", found \"{Clip(line)}\".");

    private static bool TryHeader(string? line, out int count, out int dim)
    {
        count = 0;
        dim = 0;
        var parts = (line ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out count)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out dim)
            && dim >= 1;
    }

    private static WordVectors ReadText(Stream stream, string path, bool header)
    {
        using var reader = new StreamReader(stream, Utf8, detectEncodingFromByteOrderMarks: true, 1 << 16);
        int declared = -1, dim = -1;
        long lineNo = 0;
        if (header)
        {
            lineNo++;
            (declared, dim) = ParseHeader(reader.ReadLine(), path);
        }

        var words = new List<string>(Math.Max(0, Math.Min(declared, 1 << 20)));
        var values = new List<float>();
        var seen = new Dictionary<string, long>(StringComparer.Ordinal);
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            var span = line.AsSpan().TrimEnd();
            if (span.IsEmpty)
            {
                continue;
            }

            if (declared >= 0 && words.Count == declared)
            {
                throw new InvalidDataException($"{path}: line {lineNo}: the header declares {declared} words but the file has more.");
            }

            int space = span.IndexOf(' ');
            if (space <= 0)
            {
                throw new InvalidDataException($"{path}: line {lineNo}: expected \"word v1 … vD\", found \"{Clip(line)}\".");
            }

            var word = span[..space].ToString();
            if (!seen.TryAdd(word, lineNo))
            {
                throw new InvalidDataException($"{path}: line {lineNo}: duplicate word '{word}' (first on line {seen[word]}).");
            }

            var rest = span[(space + 1)..];
            int n = 0;
            foreach (var range in rest.Split(' '))
            {
                var item = rest[range];
                if (item.IsEmpty)
                {
                    continue;
                }

                if (!float.TryParse(item, NumberStyles.Float, CultureInfo.InvariantCulture, out var f))
                {
                    throw new InvalidDataException($"{path}: line {lineNo}, value {n + 1} of '{word}': \"{Clip(item.ToString())}\" is not a number.");
                }

                if (!float.IsFinite(f))
                {
                    throw new InvalidDataException($"{path}: line {lineNo}, value {n + 1} of '{word}' is {item.ToString()}: a vector file holds finite numbers only.");
                }

                values.Add(f);
                n++;
            }

            if (dim < 0)
            {
                dim = n; // GloVe: the first line sets the size
            }

            if (n != dim)
            {
                throw new InvalidDataException($"{path}: line {lineNo}: '{word}' has {n} values, expected {dim}.");
            }

            words.Add(word);
        }

        if (declared >= 0 && words.Count != declared)
        {
            throw new InvalidDataException($"{path}: the header declares {declared} words but the file ends after {words.Count} (line {lineNo}).");
        }

        if (words.Count == 0)
        {
            throw new InvalidDataException($"{path}: no vectors in the file.");
        }

        return new WordVectors(words, [.. values], dim);
    }

    private static WordVectors ReadBinary(Stream stream, string path)
    {
        var input = new BufferedStream(stream, 1 << 16);
        long offset = 0;
        var headerBytes = new List<byte>();
        int b;
        while ((b = input.ReadByte()) >= 0 && b != '\n')
        {
            headerBytes.Add((byte)b);
            if (headerBytes.Count > 100)
            {
                break;
            }
        }

        offset = headerBytes.Count + 1;
        var (count, dim) = ParseHeader(Utf8.GetString([.. headerBytes]), path);
        // Check the declared sizes against the file before allocating: each entry takes at least one byte of word, a
        // space and 4·D bytes of floats; and the floats must fit one array.
        long entry = 2 + 4L * dim, after = stream.Length - offset;
        if ((long)count * dim * 4 > Array.MaxLength)
        {
            throw new InvalidDataException($"{path}: line 1: the header declares {count} words × {dim} dimensions, {(long)count * dim * 4:N0} bytes of floats: more than one array holds (is it a word2vec binary file?).");
        }

        if (count * entry > after)
        {
            throw new InvalidDataException($"{path}: line 1: the header declares {count} words × {dim} dimensions (at least {count * entry:N0} bytes) but only {after:N0} bytes follow it: truncated, or not a word2vec binary file.");
        }

        var words = new string[count];
        var values = new float[(long)count * dim];
        var bytes = MemoryMarshal.AsBytes(values.AsSpan());
        var seen = new Dictionary<string, int>(count, StringComparer.Ordinal);
        var wordBytes = new List<byte>(64);
        for (int i = 0; i < count; i++)
        {
            wordBytes.Clear();
            long wordOffset = offset;
            while (true)
            {
                b = input.ReadByte();
                if (b < 0)
                {
                    throw new InvalidDataException($"{path}: byte {offset}: the file ends inside word {i + 1} of {count} (truncated).");
                }

                offset++;
                if (b == ' ')
                {
                    break;
                }

                if (b == '\n' && wordBytes.Count == 0)
                {
                    wordOffset = offset; // the newline that ends the previous vector
                    continue;
                }

                wordBytes.Add((byte)b);
                if (wordBytes.Count > 4096)
                {
                    throw new InvalidDataException($"{path}: byte {wordOffset}: word {i + 1} is longer than 4096 bytes: not a word2vec binary file.");
                }
            }

            var word = Utf8.GetString([.. wordBytes]);
            if (!seen.TryAdd(word, i))
            {
                throw new InvalidDataException($"{path}: byte {wordOffset}: duplicate word '{word}' (entries {seen[word] + 1} and {i + 1}).");
            }

            words[i] = word;
            var target = bytes.Slice(checked(i * dim * 4), dim * 4);
            int got = input.ReadAtLeast(target, target.Length, throwOnEndOfStream: false);
            if (got < target.Length)
            {
                throw new InvalidDataException($"{path}: byte {offset + got}: the file ends inside the vector of '{word}' (word {i + 1} of {count}; {got} of {target.Length} bytes): truncated.");
            }

            offset += got;
            if (!BitConverter.IsLittleEndian)
            {
                for (int d = 0; d < dim; d++)
                {
                    values[i * dim + d] = System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(target.Slice(d * 4, 4));
                }
            }

            for (int d = 0; d < dim; d++)
            {
                if (!float.IsFinite(values[i * dim + d]))
                {
                    throw new InvalidDataException($"{path}: byte {offset - got + 4L * d}: value {d + 1} of '{word}' is {values[i * dim + d].ToString(CultureInfo.InvariantCulture)}: a vector file holds finite numbers only (corrupt?).");
                }
            }
        }

        return new WordVectors(words, values, dim);
    }

    private static string Clip(string? s) => s is null ? "" : s.Length <= 60 ? s : s[..60] + "…";
}
