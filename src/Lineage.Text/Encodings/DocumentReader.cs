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
        using var source = Open(path, invalid);
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
            // The file is scanned for line ends in blocks and read again line by line when asked: only each line's
            // place is kept (12 bytes a document), not the file.
            var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            try
            {
                var lines = new LineIndex();
                long length = RandomAccess.GetLength(handle), start = 0, at = 0;
                byte previous = 0;
                var block = ArrayPool<byte>.Shared.Rent(1 << 20);
                try
                {
                    while (at < length)
                    {
                        int read = RandomAccess.Read(handle, block.AsSpan(0, (int)Math.Min(block.Length, length - at)), at);
                        if (read == 0) break;   // the file shrank: what was there is the input
                        if (at == 0 && block.AsSpan(0, read).StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) start = 3;
                        for (int i = 0; i < read;)
                        {
                            int nl = block.AsSpan(i, read - i).IndexOf((byte)'\n');
                            if (nl < 0) break;
                            long end = at + i + nl;
                            byte before = i + nl > 0 ? block[i + nl - 1] : previous;
                            if (end > start && before == '\r') end--;
                            lines.Add(path, start, end);
                            start = at + i + nl + 1;
                            i += nl + 1;
                        }

                        previous = block[read - 1];
                        at += read;
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(block);
                }

                if (start < at) lines.Add(path, start, previous == '\r' ? at - 1 : at);   // a last line with no newline
                return new DocumentSource(path, handle, at, lines, invalid);
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }

        throw new FileNotFoundException($"No such file or folder: {path}", path);
    }

    // Where each line of a file starts and how long it is, in pages of 65,536 lines: growing never copies, and leaves
    // no outgrown arrays for the garbage collector (at 12 million lines those were 280 MB).
    internal sealed class LineIndex
    {
        private const int PageBits = 16, PageSize = 1 << PageBits;
        private readonly List<long[]> _starts = [];
        private readonly List<int[]> _lengths = [];

        public int Count { get; private set; }

        public void Add(string path, long start, long end)
        {
            if (end - start > Array.MaxLength / 2) throw new InvalidDataException($"{path}:{Count + 1}: a line of {end - start:N0} bytes, more than one document can hold.");
            if (Count == int.MaxValue) throw new InvalidDataException($"{path}: more than {int.MaxValue:N0} lines.");
            if ((Count & (PageSize - 1)) == 0)
            {
                _starts.Add(new long[PageSize]);
                _lengths.Add(new int[PageSize]);
            }

            _starts[Count >> PageBits][Count & (PageSize - 1)] = start;
            _lengths[Count >> PageBits][Count & (PageSize - 1)] = (int)(end - start);
            Count++;
        }

        public (long Start, int Length) this[int line] => (_starts[line >> PageBits][line & (PageSize - 1)], _lengths[line >> PageBits][line & (PageSize - 1)]);
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
            return new string(chars, 0, DecodeInto(data, chars, name, invalid, ref replaced, baseOffset));
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    // Decode's work into chars (at least data.Length + 1 long: UTF-16 never needs more units than UTF-8 has bytes, nor
    // does U+FFFD for an invalid byte); returns the units written.
    internal static int DecodeInto(ReadOnlySpan<byte> data, Span<char> chars, string name, InvalidUtf8 invalid, ref long replaced, long baseOffset = 0)
    {
        int read = 0, written = 0;
        while (true)
        {
            var status = Utf8.ToUtf16(data[read..], chars[written..], out int r, out int w, replaceInvalidSequences: false);
            read += r;
            written += w;
            if (status == OperationStatus.Done) return written;
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
    }
}

/// <summary>
/// The documents of a file or folder (<see cref="DocumentReader.Open"/>), read and decoded each time one is asked for;
/// safe to read from several threads at once. A file's documents are read through a handle held until disposed.
/// </summary>
public sealed class DocumentSource : IReadOnlyList<string>, IDisposable
{
    private readonly string _path;
    private readonly string[]? _files;
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle? _file;
    private readonly DocumentReader.LineIndex? _lines;
    private readonly InvalidUtf8 _invalid;
    private readonly int[] _replaced;

    internal DocumentSource(string folder, string[] files, long bytes, InvalidUtf8 invalid)
    {
        (_path, _files, Bytes, _invalid) = (folder, files, bytes, invalid);
        _replaced = new int[files.Length];
        Names = files;
    }

    internal DocumentSource(string file, Microsoft.Win32.SafeHandles.SafeFileHandle handle, long bytes, DocumentReader.LineIndex lines, InvalidUtf8 invalid)
    {
        (_path, _file, _lines, Bytes, _invalid) = (file, handle, lines, bytes, invalid);
        _replaced = new int[lines.Count];
        Names = new LineNames(file, lines.Count);
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
            var buffer = new DocumentBuffer();
            return new string(Read(index, buffer));
        }
    }

    /// <summary>
    /// Document <paramref name="index"/>, read and decoded into <paramref name="buffer"/> (valid until its next use):
    /// a pass over the documents with one buffer allocates nothing per document.
    /// </summary>
    /// <exception cref="InvalidDataException">Invalid UTF-8 with <see cref="InvalidUtf8.Reject"/> (file, line and byte offset given).</exception>
    /// <exception cref="IOException">A file of the folder can no longer be read (the message names it).</exception>
    public ReadOnlySpan<char> Read(int index, DocumentBuffer buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        long replaced = 0, offset = 0;
        string name;
        int length;
        if (_files is not null)
        {
            name = _files[index];
            var path = Path.Combine(_path, name);
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            long size = RandomAccess.GetLength(handle);
            if (size > Array.MaxLength / 2) throw new IOException($"{path}: {size:N0} bytes, more than one document can hold.");
            length = ReadAll(handle, buffer.Bytes((int)size), 0);
        }
        else
        {
            name = Names[index];
            (offset, length) = _lines![index];
            int read = ReadAll(_file!, buffer.Bytes(length), offset);
            if (read < length) throw new IOException($"{name}: the file was shortened while being read.");
        }

        var chars = buffer.Chars(length + 1);
        int written = DocumentReader.DecodeInto(buffer.ByteSpan(length), chars, name, _invalid, ref replaced, offset);
        Volatile.Write(ref _replaced[index], (int)Math.Min(replaced, int.MaxValue));
        return chars[..written];
    }

    // Reads into all of `into` from `offset`, or up to the end of the file; returns the bytes read.
    private static int ReadAll(Microsoft.Win32.SafeHandles.SafeFileHandle handle, Span<byte> into, long offset)
    {
        int total = 0;
        while (total < into.Length)
        {
            int read = RandomAccess.Read(handle, into[total..], offset + total);
            if (read == 0) break;
            total += read;
        }

        return total;
    }

    /// <summary>Closes the file a one-file source reads from.</summary>
    public void Dispose() => _file?.Dispose();

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

/// <summary>Reusable space for <see cref="DocumentSource.Read(int, DocumentBuffer)"/>: one per thread; it grows to the longest document read.</summary>
public sealed class DocumentBuffer
{
    private byte[] _bytes = [];
    private char[] _chars = [];

    internal Span<byte> Bytes(int length)
    {
        if (_bytes.Length < length) _bytes = new byte[Math.Max(length, (int)Math.Min(Array.MaxLength, _bytes.Length * 2L))];
        return _bytes.AsSpan(0, length);
    }

    internal ReadOnlySpan<byte> ByteSpan(int length) => _bytes.AsSpan(0, length);

    internal Span<char> Chars(int length)
    {
        if (_chars.Length < length) _chars = new char[Math.Max(length, (int)Math.Min(Array.MaxLength, _chars.Length * 2L))];
        return _chars;
    }
}
