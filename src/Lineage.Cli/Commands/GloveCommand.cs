using System.CommandLine;
using System.Globalization;
using Lineage.Text.Embeddings.Glove;
using Lineage.Text.Embeddings.Vectors;
using Spectre.Console;

namespace Lineage.Cli.Commands;

/// <summary><c>lineage glove train CORPUS --out FILE …</c>: co-occurrence counting and AdaGrad fitting; writes W + W̃.</summary>
[CliCommand(50)]
internal static class GloveCommand
{
    public static Command Create()
    {
        var corpus = new Argument<string>("corpus") { Description = "Plain text file: tokens separated by white space, lines of any length." };
        var format = EmbeddingCommandHelpers.FormatOption("glove");
        var dim = new Option<int>("--dim") { Description = "Vector size.", DefaultValueFactory = _ => 100 };
        var window = new Option<int>("--window") { Description = "Context words on each side (weighted 1/distance).", DefaultValueFactory = _ => 10 };
        var xMax = new Option<double>("--x-max") { Description = "Counts at or above x_max get full weight.", DefaultValueFactory = _ => 100 };
        var alpha = new Option<double>("--alpha") { Description = "Exponent of the weighting function.", DefaultValueFactory = _ => 0.75 };
        var eta = new Option<double>("--eta") { Description = "AdaGrad's initial learning rate.", DefaultValueFactory = _ => 0.05 };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the co-occurrence entries.", DefaultValueFactory = _ => 15 };
        var minCount = new Option<int>("--min-count") { Description = "Ignore words seen fewer times.", DefaultValueFactory = _ => 5 };
        var maxVocab = new Option<int>("--max-vocab") { Description = "Keep at most this many words (0: all).", DefaultValueFactory = _ => 0 };
        var memory = new Option<int>("--memory-mb") { Description = "Memory budget of co-occurrence counting; beyond it sorted shards spill to disk.", DefaultValueFactory = _ => 1024 };
        var train = new Command("train", "Count co-occurrences and fit GloVe; writes W + W̃.")
        {
            corpus, format, dim, window, xMax, alpha, eta, epochs, minCount, maxVocab, memory,
        };
        train.SetAction((parse, cancellation) => Task.Run(() =>
        {
            var outFile = EmbeddingCommandHelpers.OutFile(parse, parse.GetValue(corpus));
            if (outFile is null)
            {
                return 2;
            }

            return EmbeddingCommandHelpers.RunTraining(parse, "glove", progress =>
            {
                var vectorFormat = EmbeddingCommandHelpers.Format(parse.GetValue(format)!);
                var options = new GloveOptions
                {
                    Dimensions = parse.GetValue(dim),
                    Window = parse.GetValue(window),
                    XMax = parse.GetValue(xMax),
                    Alpha = parse.GetValue(alpha),
                    LearningRate = parse.GetValue(eta),
                    Epochs = parse.GetValue(epochs),
                    MinCount = parse.GetValue(minCount),
                    MaxVocab = parse.GetValue(maxVocab),
                    MemoryMb = parse.GetValue(memory),
                    Threads = EmbeddingCommandHelpers.Threads(parse),
                    Seed = parse.GetValue(GlobalOptions.Seed),
                }.Validate();
                var model = GloveTrainer.Train(parse.GetValue(corpus)!, options, progress, cancellation);
                VectorFiles.Save(model.ToWordVectors(), outFile, vectorFormat);
                AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                    $"{model.Vocabulary.Count:N0} words × {options.Dimensions} → {Markup.Escape(outFile)}: {model.Entries:N0} co-occurrence entries counted in {model.CountSeconds:0.0} s ({model.SpilledShards} shards spilled), {options.Epochs} epochs in {model.TrainSeconds:0.0} s, final cost {model.EpochCosts[^1]:0.0000}"));
                return 0;
            });
        }, CancellationToken.None));
        return new Command("glove", "GloVe word embeddings (Pennington et al. 2014).") { train };
    }
}
