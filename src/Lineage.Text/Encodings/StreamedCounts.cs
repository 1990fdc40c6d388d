namespace Lineage.Text.Encodings;

/// <summary>One row of a streamed matrix: its index, its columns in increasing order and its values (the caller may overwrite them).</summary>
public delegate void RowAction(int row, ReadOnlySpan<int> columns, Span<double> values);

/// <summary>
/// A count matrix that <see cref="CountVectorizer.FitStreamed(IReadOnlyList{string}, int, string?, CancellationToken)"/> did not hold in memory: its shape, its columns'
/// document frequencies and totals, and its rows, read back from scratch files one block at a time. Dispose it to
/// delete them.
/// </summary>
public sealed class StreamedCounts : IDisposable
{
    private readonly int[][] _maps;
    private readonly CountVectorizer.Spill[]? _spills;
    private readonly int[] _documentFrequencies;
    private readonly long[] _totals;

    // spills: the chunks' spills, each with its scratch file; null when the rows were dropped.
    internal StreamedCounts(int rows, int[] documentFrequencies, long[] totals, int[][] maps, CountVectorizer.Spill[]? spills)
    {
        Rows = rows;
        _documentFrequencies = documentFrequencies;
        _totals = totals;
        _maps = maps;
        _spills = spills;
        foreach (int df in documentFrequencies) Nnz += df;   // one entry per (document, kept term)
    }

    /// <summary>Documents (rows).</summary>
    public int Rows { get; }

    /// <summary>Kept terms (columns).</summary>
    public int Columns => _documentFrequencies.Length;

    /// <summary>Stored entries.</summary>
    public long Nnz { get; }

    /// <summary>Documents holding each column's term.</summary>
    public IReadOnlyList<int> DocumentFrequencies => _documentFrequencies;

    /// <summary>Occurrences of each column's term over the corpus (documents when binary).</summary>
    public IReadOnlyList<long> Totals => _totals;

    /// <summary>Whether the rows were kept (a scratch folder was given).</summary>
    public bool HasRows => _spills is not null;

    /// <summary>Bytes the matrix would take in memory as a <see cref="CsrMatrix{T}"/> of doubles.</summary>
    public long SparseBytes => (Rows + 1L) * sizeof(int) + Nnz * (sizeof(int) + sizeof(double));

    /// <summary>Gives every row in order; may be called more than once.</summary>
    /// <exception cref="InvalidOperationException">The rows were not kept.</exception>
    public void ForEachRow(RowAction action, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (_spills is null) throw new InvalidOperationException("The rows were not kept: FitStreamed was given no scratch folder.");
        var sorter = new CountVectorizer.RowSorter(Columns);
        int row = 0;
        for (int c = 0; c < _spills.Length; c++) _spills[c].ReadRows(_maps[c], sorter, ref row, action, cancellation);
        if (row != Rows) throw new InvalidDataException($"The scratch files gave {row:N0} rows of {Rows:N0}: were they changed while in use?");
    }

    /// <summary>Deletes the scratch files.</summary>
    public void Dispose()
    {
        foreach (var spill in _spills ?? []) spill.File?.Dispose();
    }
}
