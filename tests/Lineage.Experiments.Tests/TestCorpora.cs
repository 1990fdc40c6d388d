namespace Lineage.Experiments.Tests;

/// <summary>Small seeded corpora for the CLI tests: each call gives the same text.</summary>
internal static class TestCorpora
{
    /// <summary><paramref name="lines"/> sentences of nine words, one per line (GPT's byte-level BPE learns 280 tokens from 1,500 of them).</summary>
    public static string Sentences(int lines = 1500)
    {
        string[] words = ["the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "the", "house", "today"];
        var rng = new Random(5);
        return string.Join('\n', Enumerable.Range(0, lines).Select(_ => string.Join(' ', Enumerable.Range(0, 9).Select(_ => words[rng.Next(words.Length)])) + "."));
    }

    /// <summary><paramref name="count"/> paragraphs of four short sentences: documents long enough for BERT's sentence pairs.</summary>
    public static string Paragraphs(int count)
    {
        string[] words = ["the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "house", "today", "big", "small", "red", "green"];
        var rng = new Random(5);
        return string.Join("\n\n", Enumerable.Range(0, count).Select(_ =>
            string.Join('\n', Enumerable.Range(0, 4).Select(_ => string.Join(' ', Enumerable.Range(0, 9).Select(_ => words[rng.Next(words.Length)])) + "."))));
    }

    /// <summary><paramref name="count"/> label&lt;TAB&gt;text lines whose label shows in the words.</summary>
    public static string Labelled(int count)
    {
        var rng = new Random(7);
        return string.Join('\n', Enumerable.Range(0, count).Select(i =>
        {
            string label = i % 2 == 0 ? "neg" : "pos";
            string[] cue = label == "pos" ? ["good", "great", "fine"] : ["bad", "awful", "poor"];
            return label + "\t" + string.Join(' ', Enumerable.Range(0, 8).Select(_ => rng.Next(2) == 0 ? cue[rng.Next(3)] : "the cat sat".Split(' ')[rng.Next(3)])) + $" {i}";
        }));
    }
}
