using Lineage.Neural.Transformers.Training;
using Lineage.Data.Corpora;
using Lineage.Experiments.Transformers;

namespace Lineage.Experiments.Tests;

/// <summary>The text-to-text tasks' pieces: the translation task, chrF, the translation memory, span-corruption text.</summary>
public class TextToTextTests
{
    [Fact]
    public void ChrF_MatchesHandCountedNgrams_AndSacreBleusAveraging()
    {
        Assert.Equal(100, TextScores.ChrF(["Text bearbeiten"], ["Text bearbeiten"]), 9);
        Assert.Equal(0, TextScores.ChrF(["xyz"], ["abc"]), 9);
        Assert.Equal(0, TextScores.ChrF([], []), 9);

        // "abc" against "abd", spaces ignored: order 1 matches a, b (P = R = 2/3), order 2 matches ab (1/2), order 3 none;
        // orders 4–6 have no n-grams and do not count. F-β of equal P and R is P, so chrF = 100 · (2/3 + 1/2 + 0) / 3.
        Assert.Equal(100 * (2.0 / 3 + 0.5) / 3, TextScores.ChrF(["a bc"], ["abd"]), 9);

        // Corpus level: n-gram counts are summed over sentences before the F-scores, so a long sentence weighs more.
        double corpus = TextScores.ChrF(["abcdefgh", "x"], ["abcdefgh", "y"]);
        Assert.InRange(corpus, 80, 100);
        Assert.True(corpus > (TextScores.ChrF(["abcdefgh"], ["abcdefgh"]) + TextScores.ChrF(["x"], ["y"])) / 2);

        // Recall weighs more than precision (β = 2): a hypothesis missing characters loses more than one with extra ones.
        Assert.True(TextScores.ChrF(["abcdefghijkl"], ["abcdef"]) > TextScores.ChrF(["abc"], ["abcdef"]));
        Assert.Throws<ArgumentException>(() => TextScores.ChrF(["a"], []));
    }

    [Fact]
    public void Translate_KeepsShortPhrases_HoldsOutByEnglishText_WithT5sPrefix()
    {
        var help = new List<ParallelParagraph>();
        for (int i = 0; i < 300; i++)
        {
            help.Add(new("a.html", $"p{i}", $"Insert point {i}", $"Klebepunkt {i} einfügen"));
            help.Add(new("b.html", $"p{i}", $"Insert point {i}", $"Punkt {i} einfügen"));   // the same English on another page
        }

        help.Add(new("c.html", "long", string.Join(' ', Enumerable.Repeat("word", 9)), "Wort"));
        help.Add(new("c.html", "wide", "A " + new string('x', 70), "Breit"));

        var task = TextToTextTasks.Translate(help);
        Assert.Equal("translate English to German:", task.Prefix);
        Assert.Equal(600, task.Train.Count + task.Test.Count);                  // the 9-word and the 72-character phrases are left out
        Assert.InRange(task.Test.Count, 20, 120);
        Assert.StartsWith("translate English to German: Insert point ", task.Train[0].Input, StringComparison.Ordinal);
        var trainEnglish = task.Train.Select(p => p.Input).ToHashSet();
        Assert.DoesNotContain(task.Test, p => trainEnglish.Contains(p.Input));  // both translations of a phrase are on one side
    }

    [Fact]
    public void TranslationMemory_ReturnsTheClosestSourceByCharacterTrigrams()
    {
        TextPair P(string en, string de) => new("translate", "translate English to German: " + en, de);
        var memory = new TranslationMemory([P("Insert Point", "Klebepunkt einfügen"), P("Special characters", "Sonderzeichen"), P("Save", "Speichern")]);
        Assert.Equal("Sonderzeichen", memory.Closest("Special character").Target);
        Assert.Equal("Klebepunkt einfügen", memory.Closest("Insert Points").Target);
        Assert.Equal("Speichern", memory.Closest("Save").Target);
        Assert.Throws<ArgumentException>(() => new TranslationMemory([]));
    }

    [Fact]
    public void SpanTextLines_AreTheInputsWithoutPrefix_PlusGermanTargets_NoSpelledWordsOrLabels()
    {
        var translate = new TextTask("translate", "translate English to German:", "", [new("translate", "translate English to German: Save", "Speichern")], []);
        var tag = new TextTask("tag", "tag:", "", [new("tag", "tag: The jury said .", "at nn vbd .")], []);
        var pronounce = new TextTask("pronounce", "pronounce:", "", [new("pronounce", "pronounce: c a t", "K AE1 T")], []);
        Assert.Equal(["Save", "Speichern"], SpanText.Lines(translate, translate.Train));
        Assert.Equal(["The jury said ."], SpanText.Lines(tag, tag.Train));
        Assert.Empty(SpanText.Lines(pronounce, pronounce.Train));
    }

    [Fact]
    public void UnigramLoss_IsTheEntropyOfTheTargets_WhenTrainAndHeldOutMatch()
    {
        // A stream of one repeated token: targets are sentinels, that token and </s>, so the loss is far below uniform.
        var stream = Enumerable.Repeat(50, 400).ToArray();
        long[] sentinels = [4, 5, 6, 7];
        var held = T5Pretraining.HeldOut(stream, 24, sentinels, seed: 1);
        double loss = T5Pretraining.UnigramLoss(stream, held, 24, sentinels, seed: 1, vocabSize: 100);
        Assert.InRange(loss, 0.5, 2.0);
        Assert.True(loss < Math.Log(100));
    }
}
