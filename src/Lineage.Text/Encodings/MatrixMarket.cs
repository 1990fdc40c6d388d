using System.Globalization;
using System.Numerics;
using System.Text;
using Lineage.Text.IO;

namespace Lineage.Text.Encodings;

/// <summary>
/// The Matrix Market coordinate format (NIST): a header, "rows columns entries", then one "row column value" line
/// per stored value, 1-based. scipy's <c>mmread</c>, R's <c>Matrix::readMM</c> and MATLAB read it.
/// </summary>
public static class MatrixMarket
{
    /// <summary>Writes <paramref name="matrix"/> (values in round-trip precision) with comment lines after the header.</summary>
    public static void Write<T>(Stream stream, CsrMatrix<T> matrix, IEnumerable<string>? comments = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(matrix);
        using var w = Writer(stream);
        WriteHeader(w, matrix.Rows, matrix.Columns, matrix.Nnz, comments);
        for (int r = 0; r < matrix.Rows; r++)
        {
            var row = matrix.Row(r);
            WriteRow(w, r, row.Indices, row.Values);
        }
    }

    /// <summary>A writer for <see cref="WriteHeader"/> and <see cref="WriteRow{T}"/>: UTF-8 without a byte-order mark, "\n" line ends; leaves the stream open.</summary>
    public static StreamWriter Writer(Stream stream) => new(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };

    /// <summary>The header of a matrix written row by row: the banner, the comments and "rows columns entries".</summary>
    public static void WriteHeader(TextWriter writer, long rows, long columns, long entries, IEnumerable<string>? comments = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteLine("%%MatrixMarket matrix coordinate real general");
        foreach (var c in comments ?? []) writer.WriteLine($"% {c.ReplaceLineEndings(" ")}");
        writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{rows} {columns} {entries}"));
    }

    /// <summary>The entries of row <paramref name="row"/> (0-based), one "row column value" line each, 1-based.</summary>
    public static void WriteRow<T>(TextWriter writer, int row, ReadOnlySpan<int> indices, ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(writer);
        Span<char> buffer = stackalloc char[64];
        for (int k = 0; k < indices.Length; k++)
        {
            writer.Write(row + 1);
            writer.Write(' ');
            writer.Write(indices[k] + 1);
            writer.Write(' ');
            values[k].TryFormat(buffer, out int n, "R", CultureInfo.InvariantCulture);
            writer.Write(buffer[..n]);
            writer.Write('\n');
        }
    }

    /// <summary>The most rows <see cref="Read"/> accepts (its row pointers are allocated from the header).</summary>
    public const int MaxRows = 1 << 28;

    private static string Clip(string? s) => Printable.Clip(s, 80);

    /// <summary>Reads a coordinate real/integer general matrix into CSR (duplicate entries are summed).</summary>
    /// <exception cref="InvalidDataException">Not a Matrix Market coordinate file, or a malformed line (its number is given).</exception>
    public static CsrMatrix<double> Read(TextReader reader, string name = "matrix")
    {
        ArgumentNullException.ThrowIfNull(reader);
        var header = reader.ReadLine();
        if (header is null || !header.StartsWith("%%MatrixMarket matrix coordinate", StringComparison.OrdinalIgnoreCase) ||
            !(header.Contains("real", StringComparison.OrdinalIgnoreCase) || header.Contains("integer", StringComparison.OrdinalIgnoreCase)))
        {
            throw new InvalidDataException($"{name}: line 1 is not a Matrix Market header for a real or integer coordinate matrix: '{Clip(header)}'.");
        }

        int line = 1;
        string? text;
        do
        {
            text = reader.ReadLine();
            line++;
        } while (text is not null && (text.StartsWith('%') || text.Trim().Length == 0));

        var size = text?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (size is not { Length: 3 } || !int.TryParse(size[0], NumberStyles.None, CultureInfo.InvariantCulture, out int rows) ||
            !int.TryParse(size[1], NumberStyles.None, CultureInfo.InvariantCulture, out int columns) || !int.TryParse(size[2], NumberStyles.None, CultureInfo.InvariantCulture, out int entries))
        {
            throw new InvalidDataException($"{name}: line {line} should be 'rows columns entries' (three counts), got '{Clip(text)}'.");
        }

        // The row-pointer array is allocated from the header: bound it before trusting it.
        if (rows > MaxRows) throw new InvalidDataException($"{name}: line {line}: {rows} rows, more than this reader accepts ({MaxRows:N0}).");
        var triples = new List<(int R, int C, double V)>(Math.Min(entries, 1 << 20));
        while ((text = reader.ReadLine()) is not null)
        {
            line++;
            if (text.Trim().Length == 0 || text.StartsWith('%')) continue;
            var p = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (p.Length != 3 || !int.TryParse(p[0], CultureInfo.InvariantCulture, out int r) || !int.TryParse(p[1], CultureInfo.InvariantCulture, out int c) ||
                !double.TryParse(p[2], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || r < 1 || r > rows || c < 1 || c > columns)
            {
                throw new InvalidDataException($"{name}: line {line} is not 'row column value' within {rows}×{columns}: '{Clip(text)}'.");
            }

            if (!double.IsFinite(v)) throw new InvalidDataException($"{name}: line {line}: the value {p[2]} is not a finite number.");
            if (triples.Count == entries) throw new InvalidDataException($"{name}: line {line}: more entries than the {entries} the header promises.");

            triples.Add((r - 1, c - 1, v));
        }

        if (triples.Count != entries) throw new InvalidDataException($"{name}: the header promises {entries} entries, the file has {triples.Count} (truncated?).");
        triples.Sort((a, b) => a.R != b.R ? a.R.CompareTo(b.R) : a.C.CompareTo(b.C));
        var pointers = new int[rows + 1];
        var cols = new List<int>(triples.Count);
        var vals = new List<double>(triples.Count);
        for (int i = 0; i < triples.Count; i++)
        {
            var (r, c, v) = triples[i];
            if (i > 0 && triples[i - 1].R == r && triples[i - 1].C == c)
            {
                vals[^1] += v; // a repeated (row, column) adds up, as scipy does
                continue;
            }

            cols.Add(c);
            vals.Add(v);
            pointers[r + 1]++;
        }

        for (int r = 0; r < rows; r++) pointers[r + 1] += pointers[r];
        return new CsrMatrix<double>(rows, columns, pointers, [.. cols], [.. vals]);
    }
}
