using System.Numerics;
using System.Runtime.InteropServices;

namespace Lineage.Text.Encodings;

/// <summary>Row normalisation of a sparse matrix (scikit-learn's <c>norm</c>).</summary>
public enum RowNorm
{
    /// <summary>Leave rows as they are.</summary>
    None,
    /// <summary>Divide each row by the sum of its absolute values.</summary>
    L1,
    /// <summary>Divide each row by its Euclidean length.</summary>
    L2,
}

/// <summary>The names of <see cref="RowNorm"/> values used by the CLI and the vectorizer file: <c>l1</c>, <c>l2</c>, <c>none</c>.</summary>
public static class RowNorms
{
    /// <summary>The name of a norm.</summary>
    public static string Name(RowNorm norm) => norm switch { RowNorm.L1 => "l1", RowNorm.L2 => "l2", _ => "none" };

    /// <summary>The norm of a name, or null for any other.</summary>
    public static RowNorm? Parse(string? name) => name switch { "l1" => RowNorm.L1, "l2" => RowNorm.L2, "none" => RowNorm.None, _ => null };
}

/// <summary>One row of a <see cref="CsrMatrix{T}"/>: its column indices (ascending) and values.</summary>
/// <typeparam name="T">float or double.</typeparam>
public readonly ref struct SparseRow<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A row from its parts.</summary>
    public SparseRow(ReadOnlySpan<int> indices, ReadOnlySpan<T> values)
    {
        Indices = indices;
        Values = values;
    }

    /// <summary>Column of each stored value, ascending.</summary>
    public ReadOnlySpan<int> Indices { get; }

    /// <summary>The stored values.</summary>
    public ReadOnlySpan<T> Values { get; }

    /// <summary>Number of stored values.</summary>
    public int Count => Indices.Length;

    /// <summary>Dot product of two sparse rows (a merge over the sorted indices).</summary>
    public T Dot(SparseRow<T> other)
    {
        T sum = T.Zero;
        int i = 0, j = 0;
        while (i < Indices.Length && j < other.Indices.Length)
        {
            int a = Indices[i], b = other.Indices[j];
            if (a == b) sum += Values[i++] * other.Values[j++];
            else if (a < b) i++;
            else j++;
        }

        return sum;
    }

    /// <summary>Dot product with a dense vector.</summary>
    public T Dot(ReadOnlySpan<T> dense)
    {
        T sum = T.Zero;
        for (int k = 0; k < Indices.Length; k++) sum += Values[k] * dense[Indices[k]];
        return sum;
    }

    /// <summary>Euclidean length.</summary>
    public T Norm() => T.Sqrt(Dot(this));

    /// <summary>Cosine similarity; 0 when either row is all zero.</summary>
    public T Cosine(SparseRow<T> other)
    {
        T n = Norm() * other.Norm();
        return n == T.Zero ? T.Zero : Dot(other) / n;
    }
}

/// <summary>
/// A sparse matrix in compressed sparse row form (as scipy's <c>csr_matrix</c>): row <c>i</c> holds the values
/// <c>Values[RowPointers[i]..RowPointers[i+1]]</c> at columns <c>ColumnIndices[…]</c>, ascending within each row.
/// Memory is proportional to the number of stored values, never to rows × columns. Immutable.
/// </summary>
/// <typeparam name="T">float (float32) or double (float64).</typeparam>
public sealed class CsrMatrix<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int[] _rowPointers;
    private readonly int[] _columns;
    private readonly T[] _values;

    /// <summary>A matrix from its three arrays, checked (the arrays are kept, not copied).</summary>
    /// <exception cref="ArgumentException">The arrays do not describe a valid CSR matrix with ascending, in-range columns.</exception>
    public CsrMatrix(int rows, int columns, int[] rowPointers, int[] columnIndices, T[] values)
    {
        ArgumentNullException.ThrowIfNull(rowPointers);
        ArgumentNullException.ThrowIfNull(columnIndices);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if (rowPointers.Length != rows + 1 || rowPointers[0] != 0 || rowPointers[rows] != columnIndices.Length || columnIndices.Length != values.Length)
        {
            throw new ArgumentException($"Inconsistent CSR arrays: {rows} rows need {rows + 1} row pointers starting at 0 and ending at the number of values " +
                                        $"(got {rowPointers.Length} pointers, {columnIndices.Length} indices, {values.Length} values).", nameof(rowPointers));
        }

        for (int r = 0; r < rows; r++)
        {
            int start = rowPointers[r], end = rowPointers[r + 1];
            if (end < start) throw new ArgumentException($"Row pointers decrease at row {r}.", nameof(rowPointers));
            for (int k = start; k < end; k++)
            {
                int c = columnIndices[k];
                if ((uint)c >= (uint)columns) throw new ArgumentException($"Row {r} has column {c}, outside 0..{columns - 1}.", nameof(columnIndices));
                if (k > start && c <= columnIndices[k - 1]) throw new ArgumentException($"Row {r}: columns must be strictly ascending ({columnIndices[k - 1]} then {c}).", nameof(columnIndices));
            }
        }

        Rows = rows;
        Columns = columns;
        _rowPointers = rowPointers;
        _columns = columnIndices;
        _values = values;
    }

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Number of columns.</summary>
    public int Columns { get; }

    /// <summary>Number of stored values.</summary>
    public int Nnz => _values.Length;

    /// <summary>Row offsets (length <see cref="Rows"/> + 1).</summary>
    public ReadOnlySpan<int> RowPointers => _rowPointers;

    /// <summary>Column of each stored value.</summary>
    public ReadOnlySpan<int> ColumnIndices => _columns;

    /// <summary>The stored values.</summary>
    public ReadOnlySpan<T> Values => _values;

    /// <summary>Bytes held by the three arrays.</summary>
    public long SparseBytes => (long)_rowPointers.Length * sizeof(int) + (long)_columns.Length * sizeof(int) + (long)_values.Length * Marshal.SizeOf<T>();

    /// <summary>Bytes a dense rows × columns array of <typeparamref name="T"/> would take.</summary>
    public long DenseBytes => (long)Rows * Columns * Marshal.SizeOf<T>();

    /// <summary>Row <paramref name="row"/>.</summary>
    public SparseRow<T> Row(int row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Rows);
        int start = _rowPointers[row], end = _rowPointers[row + 1];
        return new SparseRow<T>(_columns.AsSpan(start, end - start), _values.AsSpan(start, end - start));
    }

    /// <summary>The value at (row, column); zero when not stored.</summary>
    public T this[int row, int column]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(column);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(column, Columns);
            var r = Row(row);
            int k = r.Indices.BinarySearch(column);
            return k >= 0 ? r.Values[k] : T.Zero;
        }
    }

    /// <summary>Matrix × dense vector.</summary>
    public T[] Multiply(ReadOnlySpan<T> vector)
    {
        if (vector.Length != Columns) throw new ArgumentException($"The vector has {vector.Length} entries; the matrix has {Columns} columns.", nameof(vector));
        var result = new T[Rows];
        for (int r = 0; r < Rows; r++) result[r] = Row(r).Dot(vector);
        return result;
    }

    /// <summary>Sum of each column.</summary>
    public T[] ColumnSums()
    {
        var sums = new T[Columns];
        for (int k = 0; k < _values.Length; k++) sums[_columns[k]] += _values[k];
        return sums;
    }

    /// <summary>Number of rows with a non-zero value in each column (document frequency).</summary>
    public int[] ColumnNonZeroCounts()
    {
        var counts = new int[Columns];
        for (int k = 0; k < _values.Length; k++)
        {
            if (_values[k] != T.Zero) counts[_columns[k]]++;
        }

        return counts;
    }

    /// <summary>
    /// Each row divided by its l1 or l2 norm; all-zero rows stay zero. The sums run in column order, as scikit-learn's
    /// <c>normalize</c> does, so the result is bit-for-bit the same.
    /// </summary>
    public CsrMatrix<T> NormalizeRows(RowNorm norm)
    {
        var values = (T[])_values.Clone();
        NormalizeInPlace(_rowPointers, values, norm);
        return new CsrMatrix<T>(Rows, Columns, _rowPointers, _columns, values, trusted: true);
    }

    /// <summary>The row normalisation of <see cref="NormalizeRows"/>, on a values array this library owns.</summary>
    internal static void NormalizeInPlace(int[] rowPointers, T[] values, RowNorm norm)
    {
        if (norm == RowNorm.None) return;
        for (int r = 0; r + 1 < rowPointers.Length; r++)
        {
            int start = rowPointers[r], end = rowPointers[r + 1];
            T sum = T.Zero;
            for (int k = start; k < end; k++) sum += NormTerm(values[k], norm);
            DivideRow(values.AsSpan(start, end - start), sum, norm);
        }
    }

    /// <summary>A value's part of its row's norm: its square (L2) or its magnitude (L1).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static T NormTerm(T value, RowNorm norm) => norm == RowNorm.L2 ? value * value : T.Abs(value);

    /// <summary>Divides a row by its norm, given the sum of its values' <see cref="NormTerm"/>s (an all-zero row stays as it is).</summary>
    internal static void DivideRow(Span<T> row, T sum, RowNorm norm)
    {
        if (norm == RowNorm.None || sum == T.Zero) return;
        if (norm == RowNorm.L2) sum = T.Sqrt(sum);
        foreach (ref var v in row) v /= sum;
    }

    // The arrays themselves, for this library's own derived matrices (they are never written to).
    internal int[] RowPointerArray => _rowPointers;

    internal int[] ColumnArray => _columns;

    // Written to only by a step that owns the matrix outright (TF-IDF weighting of the counts it just made).
    internal T[] ValueArray => _values;

    /// <summary>The same matrix with another element type.</summary>
    public CsrMatrix<TOther> Cast<TOther>() where TOther : unmanaged, IFloatingPointIeee754<TOther>
    {
        var values = new TOther[_values.Length];
        for (int k = 0; k < values.Length; k++) values[k] = TOther.CreateChecked(_values[k]);
        return new CsrMatrix<TOther>(Rows, Columns, _rowPointers, _columns, values, trusted: true);
    }

    /// <summary>A dense row-major copy; refused above <paramref name="maxElements"/> elements (it is for small cases).</summary>
    /// <exception cref="InvalidOperationException">The dense array would be larger than <paramref name="maxElements"/>.</exception>
    public T[,] ToDense(long maxElements = 50_000_000)
    {
        if ((long)Rows * Columns > maxElements)
        {
            throw new InvalidOperationException($"A dense copy of this {Rows}×{Columns} matrix would hold {(long)Rows * Columns:N0} values " +
                                                $"({DenseBytes / 1e6:N0} MB); the limit is {maxElements:N0}. Work with the sparse rows instead.");
        }

        var dense = new T[Rows, Columns];
        for (int r = 0; r < Rows; r++)
        {
            for (int k = _rowPointers[r]; k < _rowPointers[r + 1]; k++) dense[r, _columns[k]] = _values[k];
        }

        return dense;
    }

    /// <summary>The rows <paramref name="rows"/>, in that order.</summary>
    public CsrMatrix<T> SelectRows(IReadOnlyList<int> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var pointers = new int[rows.Count + 1];
        for (int i = 0; i < rows.Count; i++) pointers[i + 1] = pointers[i] + Row(rows[i]).Count;
        var cols = new int[pointers[^1]];
        var vals = new T[pointers[^1]];
        for (int i = 0; i < rows.Count; i++)
        {
            var row = Row(rows[i]);
            row.Indices.CopyTo(cols.AsSpan(pointers[i]));
            row.Values.CopyTo(vals.AsSpan(pointers[i]));
        }

        return new CsrMatrix<T>(rows.Count, Columns, pointers, cols, vals, trusted: true);
    }

    // For arrays built by this library, already valid: skips the O(nnz) check.
    internal CsrMatrix(int rows, int columns, int[] rowPointers, int[] columnIndices, T[] values, bool trusted)
    {
        _ = trusted;
        Rows = rows;
        Columns = columns;
        _rowPointers = rowPointers;
        _columns = columnIndices;
        _values = values;
    }
}
