// The real tasks T5's text-to-text experiment mixes, each an (input, target) pair of strings whose input starts with
// the task's prefix, with a fixed train / held-out split that depends only on each item's id.
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Lineage.Data.Corpora;
using Lineage.Data.Labelled;
using Lineage.Data.Lexicons;

namespace Lineage.Neural.Transformers.Training;

/// <summary>One text-to-text example.</summary>
/// <param name="Task">The task's name ("pronounce", "tag", "classify").</param>
/// <param name="Input">The model's input, starting with the task prefix.</param>
/// <param name="Target">The text the model must write.</param>
public sealed record TextPair(string Task, string Input, string Target);

/// <summary>A task: its prefix, training and held-out pairs.</summary>
/// <param name="Name">Short name.</param>
/// <param name="Prefix">What the input starts with ("pronounce:").</param>
/// <param name="Source">Where the data comes from, for the report.</param>
/// <param name="Train">Training pairs.</param>
/// <param name="Test">Held-out pairs.</param>
public sealed record TextTask(string Name, string Prefix, string Source, IReadOnlyList<TextPair> Train, IReadOnlyList<TextPair> Test);

/// <summary>Builds the tasks from the real data sets.</summary>
public static partial class TextToTextTasks
{
    /// <summary>Share of items held out, by a hash of each item's id (<see cref="LabelledTextSet.SplitKey"/>).</summary>
    public const double TestFraction = 0.1;

    /// <summary>
    /// <c>pronounce: c a t</c> → <c>K AE1 T</c>: CMUdict's first pronunciation of alphabetic words of 3–12 letters, held
    /// out by word, so the held-out words are spellings the model never saw. The word is spelled letter by letter, so
    /// each letter is its own token (a word cut into subword pieces would hide its letters from a small model).
    /// </summary>
    public static TextTask Pronounce(IReadOnlyList<Pronunciation> dictionary)
    {
        ArgumentNullException.ThrowIfNull(dictionary);
        var pairs = dictionary.Where(e => e.Word.Length is >= 3 and <= 12 && e.Word.All(char.IsAsciiLetterUpper))
            .Select(e => (Id: e.Word, Pair: new TextPair("pronounce", "pronounce: " + Spell(e.Word), CmuDict.Join(e))));
        return Split("pronounce", "pronounce:", "CMUdict (words of 3–12 letters; held out by word)", pairs);
    }

    /// <summary>
    /// <c>tag: The jury said .</c> → <c>at nn vbd .</c>: Brown sentences of 3–15 words with their part-of-speech tags,
    /// reduced to the base tag (the title, headline and foreign-word suffixes -tl, -hl, -nc, -fw dropped); held out by document.
    /// </summary>
    public static TextTask Tag(BrownCorpus brown)
    {
        ArgumentNullException.ThrowIfNull(brown);
        var pairs = brown.Documents.SelectMany(d => d.Sentences.Where(s => s.Count is >= 3 and <= 15).Select((s, i) =>
            (Id: d.Id, Pair: new TextPair("tag", "tag: " + string.Join(' ', s.Select(w => w.Word)), string.Join(' ', s.Select(w => BaseTag(w.Tag)))))));
        return Split("tag", "tag:", "Brown corpus (sentences of 3–15 words; held out by document)", pairs);
    }

    /// <summary>
    /// <c>classify: &lt;the first 40 words of an e-mail body&gt;</c> → <c>spam</c> or <c>ham</c>: SpamAssassin, with the
    /// encodings chapter's split (so the TF-IDF baseline there is measured on the same held-out e-mails).
    /// </summary>
    public static TextTask Classify(LabelledTextSet spam, int words = 40)
    {
        ArgumentNullException.ThrowIfNull(spam);
        var (train, test) = spam.Split(SpamAssassinReader.TestFraction);
        TextPair Pair(LabelledDocument d) => new("classify", "classify: " + FirstWords(d.Text, words), d.Label);
        return new TextTask("classify", "classify:", $"SpamAssassin bodies (first {words} words; the encodings chapter's split)",
            [.. train.Documents.Select(Pair)], [.. test.Documents.Select(Pair)]);
    }

    /// <summary>
    /// <c>translate English to German: Insert Point</c> → <c>Klebepunkt einfügen</c>: LibreOffice help headings and
    /// paragraphs of 1–<paramref name="maxWords"/> English words (at most 60 characters; German at most 80), held out by
    /// the English text, so no held-out phrase was seen in training, even in another page.
    /// </summary>
    public static TextTask Translate(IReadOnlyList<ParallelParagraph> help, int maxWords = 8)
    {
        ArgumentNullException.ThrowIfNull(help);
        var pairs = help.Where(p => p.Source.Length <= 60 && p.Target.Length <= 80 && TextScores.Tokens(p.Source).Length <= maxWords)
            .Select(p => (Id: p.Source, Pair: new TextPair("translate", TranslatePrefix + " " + p.Source, p.Target)));
        return Split("translate", TranslatePrefix, $"LibreOffice help EN→DE (paragraphs of 1–{maxWords} words; held out by English text)", pairs);
    }

    /// <summary>The translation task's prefix, T5's own.</summary>
    public const string TranslatePrefix = "translate English to German:";

    /// <summary>"cat" → "c a t": lower case, one letter per token.</summary>
    public static string Spell(string word) => string.Join(' ', (word ?? throw new ArgumentNullException(nameof(word))).ToLowerInvariant().ToCharArray());

    /// <summary>A Brown tag without its -tl/-hl/-nc/-fw suffixes ("np-tl" → "np"); "--" and other punctuation tags stay.</summary>
    public static string BaseTag(string tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        int dash = tag.IndexOf('-', 1);
        return dash > 0 ? tag[..dash] : tag;
    }

    /// <summary>The first <paramref name="count"/> whitespace-separated words of <paramref name="text"/>, joined by single spaces.</summary>
    public static string FirstWords(string text, int count) =>
        string.Join(' ', Whitespace().Split(text ?? "").Where(w => w.Length > 0).Take(count));

    private static TextTask Split(string name, string prefix, string source, IEnumerable<(string Id, TextPair Pair)> items)
    {
        var train = new List<TextPair>();
        var test = new List<TextPair>();
        foreach (var (id, pair) in items) (LabelledTextSet.SplitKey(id) < TestFraction ? test : train).Add(pair);
        if (train.Count == 0 || test.Count == 0)
            throw new InvalidDataException($"task '{name}': {train.Count} training and {test.Count} held-out pairs; both must be non-empty");
        return new TextTask(name, prefix, source, train, test);
    }

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Whitespace();
}

/// <summary>Scores of generated outputs against the targets.</summary>
public static class TextScores
{
    /// <summary>Levenshtein distance between two token sequences.</summary>
    public static int EditDistance(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var prev = Enumerable.Range(0, b.Count + 1).ToArray();
        var cur = new int[b.Count + 1];
        for (int i = 1; i <= a.Count; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Count; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }

        return prev[b.Count];
    }

    /// <summary>Per-position agreement of two token sequences over the reference's length (missing or extra tokens count as wrong).</summary>
    public static (int Correct, int Total) Positional(IReadOnlyList<string> predicted, IReadOnlyList<string> reference)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(reference);
        int correct = 0;
        for (int i = 0; i < reference.Count && i < predicted.Count; i++) if (predicted[i] == reference[i]) correct++;
        return (correct, Math.Max(reference.Count, predicted.Count));
    }

    /// <summary>
    /// chrF (Popović 2015) at corpus level, as sacreBLEU 2 computes it: character n-grams of orders 1–<paramref name="order"/>
    /// with spaces removed; matches (clipped counts), hypothesis and reference n-grams summed over the corpus; an F-β per
    /// order (β = 2: recall weighs twice as much as precision), averaged over the orders that occur on both sides. 0–100.
    /// </summary>
    /// <exception cref="ArgumentException">The two lists differ in length.</exception>
    public static double ChrF(IReadOnlyList<string> hypotheses, IReadOnlyList<string> references, int order = 6, double beta = 2)
    {
        ArgumentNullException.ThrowIfNull(hypotheses);
        ArgumentNullException.ThrowIfNull(references);
        if (hypotheses.Count != references.Count)
            throw new ArgumentException($"{hypotheses.Count} hypotheses for {references.Count} references", nameof(hypotheses));
        var hyp = new long[order];
        var refs = new long[order];
        var match = new long[order];
        for (int s = 0; s < hypotheses.Count; s++)
        {
            string h = hypotheses[s].Replace(" ", "", StringComparison.Ordinal), r = references[s].Replace(" ", "", StringComparison.Ordinal);
            for (int n = 1; n <= order; n++)
            {
                var hc = CharGrams(h, n);
                var rc = CharGrams(r, n);
                hyp[n - 1] += Math.Max(0, h.Length - n + 1);
                refs[n - 1] += Math.Max(0, r.Length - n + 1);
                foreach (var (gram, count) in hc) if (rc.TryGetValue(gram, out var other)) match[n - 1] += Math.Min(count, other);
            }
        }

        double sum = 0, factor = beta * beta;
        int effective = 0;
        for (int n = 0; n < order; n++)
        {
            if (hyp[n] == 0 || refs[n] == 0) continue;
            effective++;
            double precision = (double)match[n] / hyp[n], recall = (double)match[n] / refs[n];
            if (precision + recall > 0) sum += (1 + factor) * precision * recall / (factor * precision + recall);
        }

        return effective == 0 ? 0 : 100 * sum / effective;
    }

    private static Dictionary<string, int> CharGrams(string text, int n)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i + n <= text.Length; i++) CollectionsMarshal.GetValueRefOrAddDefault(counts, text.Substring(i, n), out _)++;
        return counts;
    }

    /// <summary>Splits on spaces.</summary>
    public static string[] Tokens(string text) => (text ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>A fraction as "93.1 %".</summary>
    public static string Percent(double f) => (100 * f).ToString("0.0", CultureInfo.InvariantCulture) + " %";
}
