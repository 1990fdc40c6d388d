using System.Text.RegularExpressions;

namespace Lineage.Text.Tokenization;

/// <summary>
/// Splits text into tokens with a regular expression. The default reproduces scikit-learn's
/// <c>CountVectorizer</c>: lower-case, then every run of two or more word characters (<c>(?u)\b\w\w+\b</c>).
/// </summary>
/// <param name="Pattern">Token pattern (.NET regex syntax; Python's <c>(?u)</c> flag is implied and accepted).</param>
/// <param name="Lowercase">Lower-case the text first (invariant culture).</param>
public sealed record RegexTokenizer(string Pattern = RegexTokenizer.DefaultPattern, bool Lowercase = true)
{
    /// <summary>scikit-learn's default <c>token_pattern</c>.</summary>
    public const string DefaultPattern = @"(?u)\b\w\w+\b";

    private Regex? _regex;

    /// <summary>The tokens of <paramref name="text"/>, in order.</summary>
    /// <exception cref="ArgumentException">The pattern is not a valid regular expression.</exception>
    public IEnumerable<string> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        _regex ??= Compile(Pattern);
        var input = Lowercase ? text.ToLowerInvariant() : text;
        for (var m = _regex.Match(input); m.Success; m = m.NextMatch()) yield return m.Value;
    }

    private static Regex Compile(string pattern)
    {
        // .NET's \w and \b are Unicode-aware already; drop Python's (?u) prefix, which .NET does not know.
        var dotnet = pattern.StartsWith("(?u)", StringComparison.Ordinal) ? pattern[4..] : pattern;
        try
        {
            return new Regex(dotnet, RegexOptions.CultureInvariant | RegexOptions.Compiled);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"Token pattern '{pattern}' is not a valid regular expression: {e.Message}", nameof(pattern), e);
        }
    }
}
