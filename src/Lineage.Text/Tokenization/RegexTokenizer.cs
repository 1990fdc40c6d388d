namespace Lineage.Text.Tokenization;

/// <summary>
/// Splits text into tokens with a regular expression. The default reproduces scikit-learn's
/// <c>CountVectorizer</c>: lower-case, then every run of two or more word characters (<c>(?u)\b\w\w+\b</c>).
/// A thin front for the word unigrams of <see cref="TextAnalyzer"/>, which does the work (Python's <c>\w</c>,
/// <c>str.lower</c> and code points included).
/// </summary>
/// <param name="Pattern">Token pattern (Python syntax; <c>(?u)</c> is implied and accepted).</param>
/// <param name="Lowercase">Lower-case the text first, as Python's <c>str.lower</c>.</param>
public sealed record RegexTokenizer(string Pattern = RegexTokenizer.DefaultPattern, bool Lowercase = true)
{
    /// <summary>scikit-learn's default <c>token_pattern</c>.</summary>
    public const string DefaultPattern = @"(?u)\b\w\w+\b";

    private TextAnalyzer? _analyzer;

    /// <summary>The tokens of <paramref name="text"/>, in order.</summary>
    /// <exception cref="ArgumentException">The pattern is not a valid regular expression.</exception>
    public IEnumerable<string> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Iterate(text);
    }

    private IEnumerable<string> Iterate(string text)
    {
        _analyzer ??= new TextAnalyzer(AnalyzerKind.Word, 1, 1, Lowercase, Pattern);
        foreach (var token in _analyzer.Analyze(text)) yield return token;
    }
}
