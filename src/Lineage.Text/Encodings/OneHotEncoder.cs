using System.Globalization;

namespace Lineage.Text.Encodings;

/// <summary>What transforming a value that was not seen in fitting does.</summary>
public enum UnknownCategories
{
    /// <summary>Throw, naming the row, the column and the value (scikit-learn's <c>handle_unknown='error'</c>).</summary>
    Error,
    /// <summary>Encode it as all zeros (<c>handle_unknown='ignore'</c>).</summary>
    Ignore,
}

/// <summary>
/// One-hot encoding: each categorical value becomes a vector as long as the number of categories with a single 1,
/// as scikit-learn's <c>OneHotEncoder</c> does (categories sorted per column, columns side by side, sparse output).
/// Any two different one-hot vectors are orthogonal: cosine(king, queen) = cosine(king, apple) = 0, so the encoding
/// knows nothing of similarity.
/// </summary>
public sealed class OneHotEncoder
{
    private Vocabulary[]? _categories;
    private int[]? _offsets;

    /// <summary>An unfitted encoder.</summary>
    public OneHotEncoder(UnknownCategories unknown = UnknownCategories.Error) => Unknown = unknown;

    /// <summary>What an unseen value does.</summary>
    public UnknownCategories Unknown { get; }

    /// <summary>The categories of each input column, sorted (code-point order).</summary>
    public IReadOnlyList<Vocabulary> Categories => _categories ?? throw new InvalidOperationException("This encoder is not fitted yet: call Fit first.");

    /// <summary>Output width: the total number of categories.</summary>
    public int Width => _offsets is null ? throw new InvalidOperationException("This encoder is not fitted yet: call Fit first.") : _offsets[^1];

    /// <summary>Output column names, <c>x{column}_{category}</c> as scikit-learn's <c>get_feature_names_out</c>.</summary>
    public IReadOnlyList<string> FeatureNames => [.. Categories.SelectMany((v, c) => v.Terms.Select(t => string.Create(CultureInfo.InvariantCulture, $"x{c}_{t}")))];

    /// <summary>Learns the categories of each column.</summary>
    /// <param name="rows">Rows of categorical values, all the same length.</param>
    /// <exception cref="ArgumentException">No rows, rows of different lengths, or a null value.</exception>
    public OneHotEncoder Fit(IReadOnlyList<IReadOnlyList<string>> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0) throw new ArgumentException("No rows to fit.", nameof(rows));
        int width = rows[0].Count;
        var seen = Enumerable.Range(0, width).Select(_ => new HashSet<string>(StringComparer.Ordinal)).ToArray();
        for (int r = 0; r < rows.Count; r++)
        {
            Check(rows, r, width);
            for (int c = 0; c < width; c++) seen[c].Add(rows[r][c]);
        }

        _categories = [.. seen.Select(s => new Vocabulary(s.Order(CodePointComparer.Instance)))];
        _offsets = new int[width + 1];
        for (int c = 0; c < width; c++) _offsets[c + 1] = _offsets[c] + _categories[c].Count;
        return this;
    }

    /// <summary>The one-hot rows: for each input row, one 1 per column at its category's position.</summary>
    /// <exception cref="ArgumentException">A row of the wrong length, or an unseen value with <see cref="UnknownCategories.Error"/>.</exception>
    public CsrMatrix<double> Transform(IReadOnlyList<IReadOnlyList<string>> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var categories = Categories;
        var pointers = new int[rows.Count + 1];
        var cols = new List<int>(rows.Count * categories.Count);
        for (int r = 0; r < rows.Count; r++)
        {
            Check(rows, r, categories.Count);
            for (int c = 0; c < categories.Count; c++)
            {
                int k = categories[c].IndexOf(rows[r][c]);
                if (k >= 0) cols.Add(_offsets![c] + k);
                else if (Unknown == UnknownCategories.Error)
                {
                    throw new ArgumentException($"Row {r}, column {c}: '{rows[r][c]}' is not one of the {categories[c].Count} categories seen in fitting.", nameof(rows));
                }
            }

            pointers[r + 1] = cols.Count;
        }

        var values = new double[cols.Count];
        Array.Fill(values, 1.0);
        return new CsrMatrix<double>(rows.Count, Width, pointers, [.. cols], values, trusted: true);
    }

    /// <summary>Fit, then transform.</summary>
    public CsrMatrix<double> FitTransform(IReadOnlyList<IReadOnlyList<string>> rows) => Fit(rows).Transform(rows);

    /// <summary>
    /// One-hot vectors of words over a vocabulary: one row per token, with a 1 in the token's column (an unknown word
    /// gives an all-zero row with <see cref="UnknownCategories.Ignore"/>, an error otherwise).
    /// </summary>
    public static CsrMatrix<double> Words(Vocabulary vocabulary, IReadOnlyList<string> tokens, UnknownCategories unknown = UnknownCategories.Error)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(tokens);
        var pointers = new int[tokens.Count + 1];
        var cols = new List<int>(tokens.Count);
        for (int t = 0; t < tokens.Count; t++)
        {
            int k = vocabulary.IndexOf(tokens[t]);
            if (k >= 0) cols.Add(k);
            else if (unknown == UnknownCategories.Error) throw new ArgumentException($"Token {t} '{tokens[t]}' is not in the vocabulary ({vocabulary}).", nameof(tokens));
            pointers[t + 1] = cols.Count;
        }

        var values = new double[cols.Count];
        Array.Fill(values, 1.0);
        return new CsrMatrix<double>(tokens.Count, vocabulary.Count, pointers, [.. cols], values, trusted: true);
    }

    private static void Check(IReadOnlyList<IReadOnlyList<string>> rows, int r, int width)
    {
        var row = rows[r] ?? throw new ArgumentException($"Row {r} is null.", nameof(rows));
        if (row.Count != width) throw new ArgumentException($"Row {r} has {row.Count} values; the encoder has {width} columns.", nameof(rows));
        for (int c = 0; c < width; c++)
        {
            if (row[c] is null) throw new ArgumentException($"Row {r}, column {c} is null.", nameof(rows));
        }
    }
}
