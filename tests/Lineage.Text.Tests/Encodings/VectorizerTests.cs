using System.Text;
using Lineage.Text.Encodings;
using Lineage.Text.Tokenization;

namespace Lineage.Text.Tests.Encodings;

public class VectorizerTests
{
    private static readonly string[] Docs = ["the dog bites the man", "the man bites the dog", "", "!!", "a cat"];

    [Fact]
    public void Count_VocabularySortedByCodePoint_EmptyDocumentsGiveEmptyRows()
    {
        var v = new CountVectorizer();
        var x = v.FitTransform(Docs);
        Assert.Equal(["bites", "cat", "dog", "man", "the"], v.Vocabulary.Terms);
        Assert.Equal((5, 5), (x.Rows, x.Columns));
        Assert.Equal(2.0, x[0, 4]);
        Assert.Equal(0, x.Row(2).Count);
        Assert.Equal(0, x.Row(3).Count);
        Assert.Equal(1.0, x.Row(0).Cosine(x.Row(1)), 12);                     // order is lost
        Assert.Equal(-1, v.Vocabulary.IndexOf("a"));                           // one letter: not a token
    }

    [Fact]
    public void Count_Binary_MinMaxDf_AndMaxFeatures()
    {
        var binary = new CountVectorizer(new CountVectorizerOptions { Binary = true }).FitTransform(Docs);
        Assert.Equal(1.0, binary[0, 4]);
        var common = new CountVectorizer(new CountVectorizerOptions { MinDf = DocumentFrequency.Documents(2) });
        common.Fit(Docs);
        Assert.Equal(["bites", "dog", "man", "the"], common.Vocabulary.Terms);
        Assert.Equal(1, common.PrunedTerms);
        var rare = new CountVectorizer(new CountVectorizerOptions { MaxDf = DocumentFrequency.Fraction(0.3) });
        rare.Fit(Docs);
        Assert.Equal(["cat"], rare.Vocabulary.Terms);
        var top = new CountVectorizer(new CountVectorizerOptions { MaxFeatures = 2 });
        top.Fit(Docs);
        Assert.Equal(["bites", "the"], top.Vocabulary.Terms);                  // the ×4, then bites/dog/man tie at 2: code point order
        foreach (var fitted in new[] { common, rare, top })
        {
            // The fit hands its own hash table, renumbered, to the vocabulary: every kept term finds its column, pruned ones none.
            foreach (var (column, term) in fitted.Vocabulary.Terms.Index()) Assert.Equal(column, fitted.Vocabulary.IndexOf(term));
            foreach (var pruned in new[] { "cat", "dog", "man" }.Except(fitted.Vocabulary.Terms)) Assert.Equal(-1, fitted.Vocabulary.IndexOf(pruned));
        }
    }

    [Fact]
    public void BadInput_GivesClearErrors()
    {
        var empty = Assert.Throws<ArgumentException>(() => new CountVectorizer().FitTransform([]));
        Assert.Contains("empty", empty.Message, StringComparison.Ordinal);
        var noTokens = Assert.Throws<ArgumentException>(() => new CountVectorizer().FitTransform(["", "a b c", "!!"]));
        Assert.Contains("Empty vocabulary", noTokens.Message, StringComparison.Ordinal);
        var stopOnly = Assert.Throws<ArgumentException>(() =>
            new CountVectorizer(new CountVectorizerOptions { Analyzer = new TextAnalyzer(stopWords: ["the", "dog"]) }).FitTransform(["the dog", "dog the"]));
        Assert.Contains("stop words", stopOnly.Message, StringComparison.Ordinal);
        var pruned = Assert.Throws<ArgumentException>(() =>
            new CountVectorizer(new CountVectorizerOptions { MinDf = DocumentFrequency.Documents(3) }).FitTransform(Docs));
        Assert.Contains("no terms remain", pruned.Message, StringComparison.Ordinal);
        var crossed = Assert.Throws<ArgumentException>(() =>
            new CountVectorizer(new CountVectorizerOptions { MinDf = DocumentFrequency.Documents(3), MaxDf = DocumentFrequency.Documents(2) }).FitTransform(Docs));
        Assert.Contains("max_df", crossed.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => new CountVectorizer().Transform(Docs));
        Assert.Throws<FormatException>(() => DocumentFrequency.Parse("-3"));
        Assert.Throws<FormatException>(() => DocumentFrequency.Parse("1.5"));
    }

    [Fact]
    public void Transform_UnknownTerms_AreCountedOrRejected()
    {
        var v = new CountVectorizer();
        v.Fit(Docs);
        var x = v.Transform(["the zebra and the dog"], out long unknown);
        Assert.Equal(2, unknown);                                              // zebra, and
        Assert.Equal(3.0, x.Row(0).Values.ToArray().Sum());
        var strict = new CountVectorizer(new CountVectorizerOptions { Unknown = UnknownTerms.Error }, v.Vocabulary);
        var e = Assert.Throws<InvalidDataException>(() => strict.Transform(["dog", "the zebra"]));
        Assert.Contains("Document 1", e.Message, StringComparison.Ordinal);
        Assert.Contains("zebra", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Threads_DoNotChangeTheResult()
    {
        var rng = new Random(3);
        var words = Enumerable.Range(0, 500).Select(i => $"w{i}").ToArray();
        var docs = Enumerable.Range(0, 700).Select(_ => string.Join(' ', Enumerable.Range(0, rng.Next(0, 40)).Select(_ => words[rng.Next(words.Length)]))).ToArray();
        var opts = new CountVectorizerOptions { Analyzer = new TextAnalyzer(maxN: 2), MinDf = DocumentFrequency.Documents(2) };
        var one = new TfidfVectorizer(opts).FitTransform(docs, 1);
        var four = new TfidfVectorizer(opts).FitTransform(docs, 4);
        Assert.Equal(one.RowPointers.ToArray(), four.RowPointers.ToArray());
        Assert.Equal(one.ColumnIndices.ToArray(), four.ColumnIndices.ToArray());
        Assert.Equal(one.Values.ToArray(), four.Values.ToArray());
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(3, false)]
    [InlineData(1, true)]
    [InlineData(3, true)]
    public void FitTransform_IdfFromTheCounters_EqualsIdfFromTheCountMatrix(int threads, bool binary)
    {
        // The vectorizer hands its own document frequencies to the weighting; after pruning they must still be
        // those of the count matrix's columns, as TfidfTransformer.Fit finds them.
        var rng = new Random(5);
        var words = Enumerable.Range(0, 300).Select(i => $"w{i}").ToArray();
        var docs = Enumerable.Range(0, 400).Select(_ => string.Join(' ', Enumerable.Range(0, rng.Next(0, 30)).Select(_ => words[rng.Next(words.Length)]))).ToArray();
        var opts = new CountVectorizerOptions { MinDf = DocumentFrequency.Documents(2), MaxDf = DocumentFrequency.Fraction(0.05), MaxFeatures = 200, Binary = binary };
        var vectorizer = new TfidfVectorizer(opts);
        var weighted = vectorizer.FitTransform(docs, threads);
        var counts = new CountVectorizer(opts).FitTransform(docs, threads);
        var reference = new TfidfTransformer().Fit(counts);
        Assert.True(vectorizer.Vocabulary.Count is > 0 and <= 200);
        Assert.Equal(reference.Idf, vectorizer.Weights.Idf);
        Assert.Equal(reference.Transform(counts).Values.ToArray(), weighted.Values.ToArray());
    }

    [Fact]
    public void FitTransformOverwriting_SameWeightsAsACopy_TheCountsHoldThemAfter()
    {
        var rng = new Random(9);
        var docs = Enumerable.Range(0, 200).Select(_ => string.Join(' ', Enumerable.Range(0, rng.Next(0, 20)).Select(_ => $"t{rng.Next(50)}"))).ToArray();
        var options = new TfidfOptions(SublinearTf: true);
        var counts = new CountVectorizer().FitTransform(docs);
        var copied = new TfidfTransformer(options).FitTransform(counts);
        var countsAgain = new CountVectorizer().FitTransform(docs);
        var overwriting = new TfidfTransformer(options);
        var inPlace = overwriting.FitTransformOverwriting(countsAgain);
        Assert.Equal(copied.Values.ToArray(), inPlace.Values.ToArray());
        Assert.Equal(copied.ColumnIndices.ToArray(), inPlace.ColumnIndices.ToArray());
        Assert.Equal(copied.Values.ToArray(), countsAgain.Values.ToArray());   // documented: the counts' values are the weights now
        Assert.NotEqual(copied.Values.ToArray(), counts.Values.ToArray());      // the copying path leaves its input alone
    }

    [Fact]
    public void Tfidf_KnownValues_SmoothAndRaw()
    {
        var docs = new[] { "a b", "a c", "a" }.Select(d => d.Replace("a", "aa", StringComparison.Ordinal).Replace("b", "bb", StringComparison.Ordinal).Replace("c", "cc", StringComparison.Ordinal)).ToArray();
        var smooth = new TfidfVectorizer(weighting: new TfidfOptions(Norm: RowNorm.None));
        smooth.Fit(docs);
        Assert.Equal(1.0, smooth.Weights.Idf[0], 15);                          // aa in all 3: ln(4/4) + 1
        Assert.Equal(Math.Log(4.0 / 2) + 1, smooth.Weights.Idf[1], 15);
        var raw = new TfidfVectorizer(weighting: new TfidfOptions(SmoothIdf: false, SublinearTf: true));
        var x = raw.FitTransform(["xx xx yy", "yy"]);
        double wx = (Math.Log(2) + 1) * (Math.Log(2.0 / 1) + 1), wy = 1.0;
        Assert.Equal(wx / Math.Sqrt(wx * wx + wy * wy), x[0, 0], 15);
    }

    [Fact]
    public void OneHot_CategoriesSorted_UnknownErrorOrZeros_WordsOrthogonal()
    {
        var rows = new[] { new[] { "red", "s" }, ["blue", "m"], ["red", "l"] };
        var enc = new OneHotEncoder();
        var x = enc.FitTransform(rows);
        Assert.Equal(["x0_blue", "x0_red", "x1_l", "x1_m", "x1_s"], enc.FeatureNames);
        Assert.Equal([1, 4], x.Row(0).Indices.ToArray());
        var e = Assert.Throws<ArgumentException>(() => enc.Transform([["green", "s"]]));
        Assert.Contains("green", e.Message, StringComparison.Ordinal);
        Assert.Equal([4], new OneHotEncoder(UnknownCategories.Ignore).Fit(rows).Transform([["green", "s"]]).Row(0).Indices.ToArray());
        Assert.Throws<ArgumentException>(() => enc.Transform([["red"]]));

        var vocab = new Vocabulary(["apple", "king", "queen"]);
        var w = OneHotEncoder.Words(vocab, ["king", "queen", "apple", "king"]);
        Assert.Equal(0.0, w.Row(0).Cosine(w.Row(1)));
        Assert.Equal(0.0, w.Row(0).Cosine(w.Row(2)));
        Assert.Equal(1.0, w.Row(0).Cosine(w.Row(3)));
        Assert.Throws<ArgumentException>(() => OneHotEncoder.Words(vocab, ["pear"]));
    }
}

public class VocabularyOrderTests
{
    [Fact]
    public void SortByCodePoint_AgreesWithPythonsOrder_ForPrefixesAndAstralCharacters()
    {
        string[] bmp = ["b", "ab", "abcde", "abcdd", "abcd", "a", "z", "é", "abcdef", "zz"];
        Assert.Equal(bmp.Order(StringComparer.Ordinal), CountVectorizer.SortByCodePoint(bmp).Select(i => bmp[i]));
        string[] astral = ["\uFFFD", "𝐁", "a", "\uE000x"];                     // U+1D401 sorts after U+FFFD in Python
        Assert.Equal(["a", "\uE000x", "\uFFFD", "𝐁"], CountVectorizer.SortByCodePoint(astral).Select(i => astral[i]));
    }

    private static readonly string[] Alphabet = ["a", "b", "c", "x", "z", "0", "9", "é", "_", "\u7FFF", "\u8000", "\uD7FF", "\uFFFD", "\uE000", "𝐁", "😀"];

    [Fact]
    public void TermTable_AddingAPieceOfItsOwnTerm_WhileItsCharactersGrow_CopiesItFirst()
    {
        // Term(id) is a span of the table's native characters; adding a term made from it must copy it before the
        // characters move to a larger block and the old one is unmapped (3 MB here: a mapping of its own on Linux).
        var table = new TermTable();
        var long_ = new string('x', 1_500_000);
        int first = table.GetOrAdd(long_);
        int second = table.GetOrAdd(table.Term(first)[..1_499_999]);
        Assert.Equal(long_, table.TermString(first));
        Assert.Equal(long_[..1_499_999], table.TermString(second));
        Assert.Equal(second, table.Find(long_.AsSpan(0, 1_499_999)));
    }

    [Fact]
    public void CodePointKey_FourUnitsAtOnce_EqualsTheUnitByUnitKey()
    {
        // The fast path (four units below U+8000 read as one word) against the digits one by one, across its boundary.
        static ulong Digit(char c) => c < 0xD800 ? c : c >= 0xE000 ? (ulong)c - 0x800 : (ulong)c + 0x2000;
        var random = new Random(3);
        char[] units = ['a', 'z', '\u00E9', '\u7FFF', '\u8000', '\uD7FF', '\uD835', '\uDC01', '\uE000', '\uFFFF', '\u0001'];
        for (int n = 0; n < 2_000; n++)
        {
            var term = new string(Enumerable.Range(0, random.Next(0, 11)).Select(_ => units[random.Next(units.Length)]).ToArray());
            foreach (int offset in new[] { 0, 4, 8 })
            {
                ulong expected = 0;
                for (int k = offset; k < offset + 4; k++) expected = (expected << 16) | (k < term.Length ? Digit(term[k]) : 0);
                Assert.Equal(expected, CountVectorizer.CodePointKey(term, offset));
            }
        }
    }

    [Fact]
    public void SortByCodePoint_AgreesWithPythonsOrder_OnTermsSharingLongPrefixes()
    {
        // Runs of equal 4-unit keys are sorted on the next 4 units, and so on: URLs, numbers, astral characters (after
        // U+E000–U+FFFF in code-point order) and one very long term (thousands of levels deep: the stack must hold).
        var random = new Random(7);
        var terms = new HashSet<string>(StringComparer.Ordinal) { new string('a', 20_000), new string('a', 20_000) + "b", new string('a', 19_999) };
        while (terms.Count < 5_000)
        {
            var prefix = random.Next(3) switch { 0 => "http://www.example.com/", 1 => "1234", _ => "" };
            var tail = string.Concat(Enumerable.Range(0, random.Next(0, 9)).Select(_ => Alphabet[random.Next(Alphabet.Length)]));
            terms.Add(prefix + tail);
        }

        var array = terms.ToArray();
        Assert.Equal(array.Order(CodePointComparer.Instance), CountVectorizer.SortByCodePoint(array).Select(i => array[i]));
        string[] withNul = ["b\0", "b", "a\0b", "a"];                          // U+0000 clashes with "ended": the comparer sorts these
        Assert.Equal(["a", "a\0b", "b", "b\0"], CountVectorizer.SortByCodePoint(withNul).Select(i => withNul[i]));
    }
}
