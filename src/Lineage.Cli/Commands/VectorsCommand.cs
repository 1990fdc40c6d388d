using System.CommandLine;
using System.Globalization;
using Lineage.Text.Embeddings.Vectors;
using Spectre.Console;

namespace Lineage.Cli.Commands;

/// <summary><c>lineage vectors similar|analogy|eval FILE …</c>: query and evaluate a vector file (word2vec text/binary or GloVe).</summary>
[CliCommand(60)]
internal static class VectorsCommand
{
    public static Command Create()
    {
        var top = new Option<int>("--top") { Description = "How many neighbours to show.", DefaultValueFactory = _ => 10 };

        var file1 = FileArgument();
        var words = new Argument<string[]>("words") { Description = "One or more words; their neighbours are shown (several words: their mean).", Arity = ArgumentArity.OneOrMore };
        var similar = new Command("similar", "Nearest neighbours by cosine similarity.") { file1, words, top };
        similar.SetAction(parse => Guard(() =>
        {
            var v = VectorFiles.Load(parse.GetValue(file1)!);
            Show(v.MostSimilar(parse.GetValue(words)!, null, parse.GetValue(top)));
            return 0;
        }));

        var file2 = FileArgument();
        var abc = new Argument<string[]>("a b c") { Description = "a is to b as c is to ? (e.g. man king woman → queen): ranks b − a + c.", Arity = new ArgumentArity(3, 3) };
        var cosmul = new Option<bool>("--cosmul") { Description = "Rank by 3CosMul (Levy & Goldberg 2014) instead of 3CosAdd." };
        var analogy = new Command("analogy", "Solve a : b :: c : ? by vector offset.") { file2, abc, top, cosmul };
        analogy.SetAction(parse => Guard(() =>
        {
            var v = VectorFiles.Load(parse.GetValue(file2)!);
            var w = parse.GetValue(abc)!;
            Show(parse.GetValue(cosmul)
                ? v.MostSimilarCosMul([w[1], w[2]], [w[0]], parse.GetValue(top))
                : v.MostSimilar([w[1], w[2]], [w[0]], parse.GetValue(top)));
            return 0;
        }));

        var file3 = FileArgument();
        var analogies = new Option<string?>("--analogies") { Description = "Analogy file in the questions-words format (\": section\" lines, then \"a b c d\")." };
        var pairs = new Option<string?>("--pairs") { Description = "Word-pair similarity file: word1 TAB word2 TAB score." };
        var restrict = new Option<int>("--restrict-vocab") { Description = "Only the N most frequent words are candidates (as gensim).", DefaultValueFactory = _ => 300_000 };
        var eval = new Command("eval", "Analogy accuracy per section (3CosAdd) and word-pair Spearman ρ, computed as gensim does.") { file3, analogies, pairs, restrict };
        eval.SetAction(parse => Guard(() =>
        {
            var v = VectorFiles.Load(parse.GetValue(file3)!);
            if (parse.GetValue(analogies) is null && parse.GetValue(pairs) is null)
            {
                AnsiConsole.MarkupLine("[red]error:[/] give --analogies FILE and/or --pairs FILE.");
                return 2;
            }

            if (parse.GetValue(analogies) is { } a)
            {
                var report = VectorEvaluation.EvaluateAnalogies(v, a, parse.GetValue(restrict));
                var table = new Table().AddColumns("section", "correct", "questions", "accuracy");
                foreach (var s in report.Sections.Append(report.Total))
                {
                    table.AddRow(Markup.Escape(s.Section), s.Correct.ToString(CultureInfo.InvariantCulture),
                        (s.Correct + s.Incorrect).ToString(CultureInfo.InvariantCulture), s.Accuracy.ToString("P1", CultureInfo.InvariantCulture));
                }

                AnsiConsole.Write(table);
                AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"skipped (word outside the vocabulary): {report.OovRatio:P1}"));
            }

            if (parse.GetValue(pairs) is { } p)
            {
                var r = VectorEvaluation.EvaluateWordPairs(v, p, parse.GetValue(restrict));
                AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                    $"word pairs: Spearman ρ {r.Spearman:0.000}, Pearson r {r.Pearson:0.000} over {r.Pairs} pairs ({r.OovRatio:P1} skipped)"));
            }

            return 0;
        }));

        return new Command("vectors", "Query and evaluate word vectors (word2vec text/binary, GloVe text, fastText .vec).") { similar, analogy, eval };
    }

    private static Argument<string> FileArgument() => new("file") { Description = "Vector file: .bin is word2vec binary; text with a \"count dim\" header is word2vec text; otherwise GloVe text." };

    private static void Show(IReadOnlyList<ScoredWord> words)
    {
        var table = new Table().AddColumns("#", "word", "score");
        int i = 1;
        foreach (var w in words)
        {
            table.AddRow((i++).ToString(CultureInfo.InvariantCulture), Markup.Escape(w.Word), w.Score.ToString("0.0000", CultureInfo.InvariantCulture));
        }

        AnsiConsole.Write(table);
    }

    private static int Guard(Func<int> action) => CommandGuard.Run(action);
}
