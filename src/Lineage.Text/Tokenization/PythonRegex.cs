using System.Text;

namespace Lineage.Text.Tokenization;

/// <summary>
/// Rewrites a Python <c>re</c> pattern (str, Unicode) into a .NET pattern with the same meaning for the classes
/// that differ: <c>\w \W \b \B \s \S</c>. Python's <c>\w</c> is letters, numbers and <c>_</c>; .NET's adds combining
/// marks and connector punctuation and leaves out letter-like and other numbers. The rest of the syntax used in token
/// patterns (groups, quantifiers, classes, <c>\d</c>) means the same in both.
/// </summary>
public static class PythonRegex
{
    private const string Word = @"\p{L}\p{N}_";
    private const string Space = @"\s\x1c-\x1f";
    private const string Boundary = $@"(?:(?<=[{Word}])(?![{Word}])|(?<![{Word}])(?=[{Word}]))";
    private const string NotBoundary = $@"(?:(?<=[{Word}])(?=[{Word}])|(?<![{Word}])(?![{Word}]))";

    /// <summary>The .NET pattern for a Python pattern; a leading <c>(?u)</c> (Python's default for str) is dropped.</summary>
    public static string ToDotNet(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var p = pattern.StartsWith("(?u)", StringComparison.Ordinal) ? pattern[4..] : pattern;
        var sb = new StringBuilder(p.Length * 2);
        bool inClass = false;
        for (int i = 0; i < p.Length; i++)
        {
            char c = p[i];
            if (c == '\\' && i + 1 < p.Length)
            {
                char e = p[++i];
                sb.Append(inClass
                    ? e switch { 'w' => Word, 's' => Space, _ => $"\\{e}" }
                    : e switch
                    {
                        'w' => $"[{Word}]",
                        'W' => $"[^{Word}]",
                        's' => $"[{Space}]",
                        'S' => $"[^{Space}]",
                        'b' => Boundary,
                        'B' => NotBoundary,
                        _ => $"\\{e}",
                    });
                continue;
            }

            if (!inClass && c == '[')
            {
                inClass = true;
                sb.Append(c);
                // A ']' right after '[' or '[^' is a literal.
                if (i + 1 < p.Length && p[i + 1] == '^') sb.Append(p[++i]);
                if (i + 1 < p.Length && p[i + 1] == ']') sb.Append('\\').Append(p[++i]);
                continue;
            }

            if (inClass && c == ']') inClass = false;
            sb.Append(c);
        }

        return sb.ToString();
    }
}
