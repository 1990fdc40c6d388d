using Lineage.Text.Tokenization;

namespace Lineage.Text.Tests.Tokenization;

public class RegexTokenizerTests
{
    [Fact]
    public void Tokenize_DefaultPattern_MatchesScikitLearn()
    {
        // sklearn: CountVectorizer().build_analyzer()("The dog's 2 bites, a Man!") == ['the', 'dog', 'bites', 'man']
        Assert.Equal(["the", "dog", "bites", "man"], new RegexTokenizer().Tokenize("The dog's 2 bites, a Man!"));
    }

    [Fact]
    public void Tokenize_UnicodeWords_AreKept() =>
        Assert.Equal(["über", "café"], new RegexTokenizer().Tokenize("Über café"));

    [Fact]
    public void Tokenize_CaseKept_WhenLowercaseIsOff() =>
        Assert.Equal(["King", "Queen"], new RegexTokenizer(Lowercase: false).Tokenize("King Queen"));

    [Fact]
    public void Tokenize_InvalidPattern_ThrowsNamingIt()
    {
        var e = Assert.Throws<ArgumentException>(() => new RegexTokenizer("(unclosed").Tokenize("x").ToList());
        Assert.Contains("(unclosed", e.Message, StringComparison.Ordinal);
    }
}
