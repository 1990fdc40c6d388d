using Lineage.Text.Tokenization;

namespace Lineage.Text.Tests.Encodings;

public class AnalyzerTests
{
    [Fact]
    public void Default_IsScikitLearns_LowercaseTwoOrMoreWordCharacters()
    {
        var terms = new TextAnalyzer().Analyze("The cat, a DOG & x_y 42 7 I'm");
        Assert.Equal(["the", "cat", "dog", "x_y", "42"], terms);
    }

    [Fact]
    public void StripAccents_AsScikitLearn_AfterLowercasing()
    {
        var unicode = new TextAnalyzer(stripAccents: AccentStripping.Unicode);
        var ascii = new TextAnalyzer(stripAccents: AccentStripping.Ascii);
        Assert.Equal(["ecole", "naive", "fiance", "straße", "ελληνικα"], unicode.Analyze("ÉCOLE naïve ﬁancé straße Ελληνικά"));
        Assert.Equal(["ecole", "naive", "fiance", "strae"], ascii.Analyze("ÉCOLE naïve ﬁancé straße Ελληνικά"));   // ß and Greek are not ASCII
        // The outputs scikit-learn 1.2.1 gives: Devanagari vowel signs are marks, not \w, so words split around them.
        Assert.Equal(["नद"], unicode.Analyze("हिन्दी"));
        Assert.Empty(ascii.Analyze("हिन्दी"));
        Assert.Equal(["plain", "ascii"], unicode.Analyze("plain ascii"));
        Assert.Equal(["ab", "cd"], unicode.Analyze("a\u0301b \ud800 cd"));      // a lone surrogate neither crashes nor joins words
        Assert.NotEqual(unicode, new TextAnalyzer());
        Assert.Contains("strip accents (unicode)", unicode.ToString(), StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TextAnalyzer(stripAccents: (AccentStripping)9));
    }

    [Fact]
    public void Nfkd_ThroughIcu_EqualsDotNets()
    {
        // The lineage command runs in .NET's invariant globalization mode and normalises through the system's ICU.
        const string text = "Ångström ﬁ Ⅻ ǅ Ｆｕｌｌ ﷺ 한국어 e\u0301 ῷ";
        var icu = Nfkd.WithIcu(text);
        if (icu is null) return;                                                  // no libicuuc on this machine
        Assert.Equal(text.Normalize(System.Text.NormalizationForm.FormKD), icu);
        Assert.Equal("a\ud800b", Nfkd.WithIcu("a\ud800b"));                         // a lone surrogate stays
    }

    [Fact]
    public void WordNgrams_UnigramsFirstThenBigrams_JoinedByOneSpace()
    {
        var terms = new TextAnalyzer(minN: 1, maxN: 2).Analyze("dog bites man");
        Assert.Equal(["dog", "bites", "man", "dog bites", "bites man"], terms);
        Assert.Equal(["dog bites", "bites man"], new TextAnalyzer(minN: 2, maxN: 3).Analyze("dog bites man").Take(2));
        Assert.Equal(["dog bites man"], new TextAnalyzer(minN: 3, maxN: 5).Analyze("dog bites man"));
    }

    [Fact]
    public void StopWords_AreRemovedBeforeNgrams()
    {
        var terms = new TextAnalyzer(maxN: 2, stopWords: ["the"]).Analyze("the dog and the man");
        Assert.Equal(["dog", "and", "man", "dog and", "and man"], terms);
    }

    [Fact]
    public void CharWordBounded_PadsEachWord_AndCountsAShortWordOnce()
    {
        Assert.Equal([" a ", " ab", "ab "], new TextAnalyzer(AnalyzerKind.CharWordBounded, 3, 3).Analyze("a ab"));
        Assert.Equal([" a", "a ", " a "], new TextAnalyzer(AnalyzerKind.CharWordBounded, 2, 4).Analyze("a"));
    }

    [Fact]
    public void Characters_CollapseRunsOfWhiteSpaceOnly()
    {
        // "\t" alone stays a tab (Python's \s\s+ needs two); "  " becomes one space.
        Assert.Equal(["a\t", "\tb", "b ", " c"], new TextAnalyzer(AnalyzerKind.Characters, 2, 2).Analyze("a\tb  c"));
    }

    [Fact]
    public void Lowercase_IsPythons_FinalSigmaAndDottedCapitalI()
    {
        Assert.Equal("σοφος", PythonText.Lower("ΣΟΦΟΣ"));          // Python: 'ΣΟΦΟΣ'.lower() == 'σοφος'
        Assert.Equal("σ", PythonText.Lower("Σ"));                  // no cased letter before: not final
        Assert.Equal("ας β", PythonText.Lower("ΑΣ Β"));
        Assert.Equal("i\u0307stanbul", PythonText.Lower("İstanbul"));
        // After lower-casing, İ's combining dot is not \w, so Python's tokens are "stanbul" alone.
        Assert.Equal(["stanbul"], new TextAnalyzer().Analyze("İstanbul"));
    }

    [Fact]
    public void WordCharacters_ArePythons_LettersNumbersAndUnderscore_InCodePoints()
    {
        // ½ and ² are numbers (No): \w in Python. 😀 is a symbol. 𝐁𝐨 are astral letters, one code point each.
        Assert.Equal(["½²", "𝐁𝐨"], new TextAnalyzer().Analyze("½² 😀😀 𝐁𝐨 𝐁"));
        // A custom pattern gets Python's \w too, including astral letters.
        Assert.Equal(["½²", "𝐁𝐨", "𝐁"], new TextAnalyzer(tokenPattern: @"(?u)\b\w+\b").Analyze("½² 😀😀 𝐁𝐨 𝐁"));
    }

    [Fact]
    public void Pattern_WithOneGroup_YieldsTheGroup_AndTwoGroupsAreRefused()
    {
        Assert.Equal(["a", "b"], new TextAnalyzer(tokenPattern: @"x(\w)").Analyze("xa xb"));
        var e = Assert.Throws<ArgumentException>(() => new TextAnalyzer(tokenPattern: @"(a)(b)"));
        Assert.Contains("more than one capturing group", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new TextAnalyzer(tokenPattern: "(unclosed"));
        Assert.Throws<ArgumentException>(() => new TextAnalyzer(minN: 2, maxN: 1));
    }

    [Fact]
    public void VeryLongTokens_AndEmptyDocuments_AreFine()
    {
        var longWord = new string('a', 1_000_000);
        Assert.Equal([longWord], new TextAnalyzer().Analyze(longWord + " !"));
        Assert.Empty(new TextAnalyzer().Analyze(""));
        Assert.Empty(new TextAnalyzer(AnalyzerKind.Characters, 2, 3).Analyze("a"));
    }
}
