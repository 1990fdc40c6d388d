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
    /// path (ordinal), one document each. Every document is decoded here and kept; <see cref="Open"/> reads them only
    /// when asked.
    /// </summary>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    /// <exception cref="InvalidDataException">Invalid UTF-8 with <see cref="InvalidUtf8.Reject"/> (file, line and byte offset given).</exception>
    public static DocumentSet Read(string path, InvalidUtf8 invalid = InvalidUtf8.Replace)
    {
        var source = Open(path, invalid);
        var texts = new string[source.Count];
        for (int d = 0; d < texts.Length; d++) texts[d] = source[d];
        return new DocumentSet(source.Names, texts, source.Bytes, source.InvalidSequences);
    }

    /// <summary>
    /// The documents of <paramref name="path"/> as <see cref="Read"/> finds them, each read and decoded only when it is
    /// asked for, so that a pass over them holds one document at a time (a folder) or the file's bytes (one file, one
    /// document per line), never every document as a string.
    /// </summary>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    public static DocumentSource Open(string path, InvalidUtf8 invalid = InvalidUtf8.Replace)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
        {
            var files = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(path, f))
                .Where(r => !r.Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('.')))
                .Order(StringComparer.Ordinal).ToArray();
            long bytes = files.Sum(rel => new FileInfo(Path.Combine(path, rel)).Length);
            return new DocumentSource(path, files, bytes, invalid);
        }

        if (File.Exists(path))
        {
            var data = File.ReadAllBytes(path);
            var starts = new List<int>();
            var ends = new List<int>();
            int at = data.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
            while (at < data.Length)
            {
                int nl = data.AsSpan(at).IndexOf((byte)'\n');
                int end = nl < 0 ? data.Length : at + nl;
                starts.Add(at);
                ends.Add(end > at && data[end - 1] == '\r' ? end - 1 : end);
                if (nl < 0) break;
                at = end + 1;
            }

            return new DocumentSource(path, data, [.. starts], [.. ends], invalid);
        }

        throw new FileNotFoundException($"No such file or folder: {path}", path);
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

/// <summary>
/// The documents of a file or folder (<see cref="DocumentReader.Open"/>), read and decoded each time one is asked for;
/// safe to read from several threads at once.
/// </summary>
public sealed class DocumentSource : IReadOnlyList<string>
{
    private readonly string _path;
    private readonly string[]? _files;
    private readonly byte[]? _data;
    private readonly int[]? _starts, _ends;
    private readonly InvalidUtf8 _invalid;
    private readonly int[] _replaced;

    internal DocumentSource(string folder, string[] files, long bytes, InvalidUtf8 invalid)
    {
        (_path, _files, Bytes, _invalid) = (folder, files, bytes, invalid);
        _replaced = new int[files.Length];
        Names = files;
    }

    internal DocumentSource(string file, byte[] data, int[] starts, int[] ends, InvalidUtf8 invalid)
    {
        (_path, _data, _starts, _ends, Bytes, _invalid) = (file, data, starts, ends, data.Length, invalid);
        _replaced = new int[starts.Length];
        Names = new LineNames(file, starts.Length);
    }

    /// <summary>Where each document comes from: a path relative to the folder, or file:line.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Bytes of the input: the folder's files, or the file.</summary>
    public long Bytes { get; }

    /// <summary>Invalid UTF-8 sequences replaced by U+FFFD in the documents read so far (each document counted once).</summary>
    public long InvalidSequences
    {
        get
        {
            long sum = 0;
            foreach (int n in _replaced) sum += Volatile.Read(in n);
            return sum;
        }
    }

    /// <summary>How many documents.</summary>
    public int Count => _replaced.Length;

    /// <summary>Document <paramref name="index"/>, read and decoded now.</summary>
    /// <exception cref="InvalidDataException">Invalid UTF-8 with <see cref="InvalidUtf8.Reject"/> (file, line and byte offset given).</exception>
    /// <exception cref="IOException">A file of the folder can no longer be read (the message names it).</exception>
    public string this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            long replaced = 0;
            string text;
            if (_files is not null)
            {
                var rel = _files[index];
                text = DocumentReader.Decode(File.ReadAllBytes(Path.Combine(_path, rel)), rel, _invalid, ref replaced);
            }
            else
            {
                int start = _starts![index];
                text = DocumentReader.Decode(_data.AsSpan(start, _ends![index] - start), Names[index], _invalid, ref replaced, start);
            }

            Volatile.Write(ref _replaced[index], (int)Math.Min(replaced, int.MaxValue));
            return text;
        }
    }

    /// <inheritdoc />
    public IEnumerator<string> GetEnumerator()
    {
        for (int d = 0; d < Count; d++) yield return this[d];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    // file:1, file:2, … made when asked for.
    private sealed class LineNames(string file, int count) : IReadOnlyList<string>
    {
        public int Count => count;

        public string this[int index] => (uint)index < (uint)count
            ? string.Create(CultureInfo.InvariantCulture, $"{file}:{index + 1}")
            : throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<string> GetEnumerator()
        {
            for (int i = 0; i < count; i++) yield return this[i];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
