using Lineage.Text.Tokenization;

namespace Lineage.Text.Tests.Tokenization;

public class DefaultTokenScannerTests
{
    // ASCII word and non-word characters, a letter with an accent, a combining mark, an astral letter (𝐁, a word
    // character), an emoji (not one), lone high and low surrogates, digits and the underscore.
    private static readonly string[] Pieces = ["a", "Z", "7", "_", " ", ".", "-", "\n", "é", "\u0301", "𝐁", "😀", "\uD835", "\uDC01", "ab", "xyz "];

    private static List<(int, int)> Tokens(string text, bool scalar, bool wide = false)
    {
        var b = new AnalyzerBuffers();
        if (scalar) DefaultTokenScanner.ScanScalar(text, b);
        else DefaultTokenScanner.Scan(text, b, wide && System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated);
        return [.. Enumerable.Range(0, b.TokenCount).Select(t => (b.Starts[t], b.Lengths[t]))];
    }

    [Fact]
    public void VectorScan_EqualsScalarReference_OnRandomTexts()
    {
        var random = new Random(11);
        for (int trial = 0; trial < 3_000; trial++)
        {
            // Mostly ASCII (the vector path) with some rarer pieces (the per-unit path), lengths around the 64-unit windows.
            int pieces = random.Next(0, 80);
            var text = string.Concat(Enumerable.Range(0, pieces).Select(_ => random.Next(4) == 0 ? Pieces[random.Next(Pieces.Length)] : Pieces[random.Next(8)]));
            var reference = Tokens(text, scalar: true);
            Assert.Equal(reference, Tokens(text, scalar: false));
            Assert.Equal(reference, Tokens(text, scalar: false, wide: true));   // 512-bit vectors, where the processor has them
        }
    }

    [Theory]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(128)]
    public void RunsAcrossAndAtWindowEdges(int length)
    {
        var word = new string('w', length);
        Assert.Equal([(0, length)], Tokens(word, scalar: false));
        Assert.Equal([(1, length - 1)], Tokens(" " + word[1..], scalar: false));
        var split = new string('a', 63) + " " + new string('b', 64) + "𝐁" + " x";   // a pair straddling the second window's end
        Assert.Equal(Tokens(split, scalar: true), Tokens(split, scalar: false));
        Assert.Equal([(0, 63), (64, 66)], Tokens(split, scalar: false));
        Assert.Empty(Tokens("𝐁", scalar: false));                                  // one code point in two units: not a token
        Assert.Equal([(0, 4)], Tokens("𝐁𝐁", scalar: false));
    }
}
