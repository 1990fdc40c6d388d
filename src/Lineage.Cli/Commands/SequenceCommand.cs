using System.CommandLine;
using System.Globalization;
using System.Text;
using Lineage.Data.Catalog;
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Sequence;
using Spectre.Console;

namespace Lineage.Cli.Commands;

/// <summary><c>lineage rnn|lstm|gru|bytenet train|sample</c>: byte-level language models on the prose corpus or a text file.</summary>
[CliCommand(70)]
internal static class SequenceCommand
{
    /// <summary>One command per model.</summary>
    public static IEnumerable<Command> CreateAll() => ByteLmSpec.Models.Select(Create);

    private static Command Create(string model)
    {
        bool isByteNet = model == "bytenet";
        var hidden = new Option<int>("--hidden") { Description = isByteNet ? "Residual channels 2d." : "Hidden state size H.", DefaultValueFactory = _ => isByteNet ? 128 : 256 };
        var embedding = new Option<int>("--embedding") { Description = "Byte embedding size E (recurrent models).", DefaultValueFactory = _ => 64 };
        var layers = new Option<int>("--layers") { Description = isByteNet ? "Repeats of the dilation set 1, 2, 4, 8, 16." : "Stacked recurrent layers.", DefaultValueFactory = _ => isByteNet ? 2 : 1 };
        var length = new Option<int>("--seq-len") { Description = "Bytes per training window.", DefaultValueFactory = _ => 256 };
        var batch = new Option<int>("--batch") { Description = "Windows per step.", DefaultValueFactory = _ => 16 };
        var steps = new Option<int>("--steps") { Description = "Training steps in all (a resumed run continues up to this).", DefaultValueFactory = _ => 500 };
        var rate = new Option<double>("--lr") { Description = "Adam's learning rate.", DefaultValueFactory = _ => 3e-3 };
        var text = new Option<string?>("--text") { Description = "Train on this UTF-8 file (its last 10 % held out) instead of the Brown corpus." };
        var resume = new Option<bool>("--resume") { Description = "Continue from the checkpoint (weights, optimiser, step): an interrupted run's, else the model's own." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace a model already at --checkpoint, only once the new one is trained." };
        var checkpoint = new Option<string?>("--checkpoint") { Description = $"The model: a checkpoint file (default: <out>/{model}/checkpoint.bin)." };

        var train = new Command("train", $"Train a byte-level {Title(model)} language model; checkpoints are written every 50 steps beside the model, which is replaced only when done (Ctrl-C keeps it).")
        {
            hidden, embedding, layers, length, batch, steps, rate, text, resume, overwrite, checkpoint,
        };
        train.SetAction((parse, token) =>
        {
            int seed = parse.GetValue(GlobalOptions.Seed);
            var target = CheckpointPath(parse, checkpoint, model);
            var staged = Path.Combine(TrainingFolders.StagingOf(target), Path.GetFileName(target));
            return MainThread.Run(cancellation => Guard(() =>
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(target))!);
                var (path, resuming) = TrainingFolders.StartFile(target, parse.GetValue(resume), parse.GetValue(overwrite));
                var spec = isByteNet
                    ? ByteLmSpec.ForByteNet(parse.GetValue(hidden), parse.GetValue(layers), parse.GetValue(batch), parse.GetValue(length), seed)
                    : ByteLmSpec.ForRecurrent(Enum.Parse<CellKind>(model, ignoreCase: true), parse.GetValue(embedding), parse.GetValue(hidden),
                                              parse.GetValue(layers), parse.GetValue(batch), parse.GetValue(length), seed);
                var options = new StepTrainingOptions(parse.GetValue(steps), parse.GetValue(rate), GradClip: 1.0, EvaluateEvery: 50,
                    CheckpointPath: path, CheckpointEvery: 50, Resume: resuming);
                int code = Train(parse, spec, options, parse.GetValue(text), target, cancellation);
                TrainingFolders.FinishFile(path, target);
                return code;
            }, staged), token);
        });

        var prompt = new Option<string>("--prompt") { Description = "Text to continue.", DefaultValueFactory = _ => "The " };
        var count = new Option<int>("--length", "-n") { Description = "Bytes to generate.", DefaultValueFactory = _ => 300 };
        var temperature = new Option<double>("--temperature", "-t") { Description = "Softmax temperature (0: always the most likely byte).", DefaultValueFactory = _ => 0.8 };
        var sample = new Command("sample", $"Generate text from a trained {Title(model)} checkpoint.") { prompt, count, temperature, checkpoint };
        sample.SetAction(parse =>
        {
            var path = CheckpointPath(parse, checkpoint, model);
            return Guard(() => Sample(parse, parse.GetValue(prompt) ?? "", parse.GetValue(count), parse.GetValue(temperature), parse.GetValue(GlobalOptions.Seed), path, model), path);
        });
        return new Command(model, $"{Title(model)} byte-level language model: train, then sample.") { train, sample };
    }

    private static string Title(string model) => model == "bytenet" ? "ByteNet" : model.ToUpperInvariant();

    private static string CheckpointPath(ParseResult parse, Option<string?> checkpoint, string model) =>
        parse.GetValue(checkpoint) ?? Path.Combine(parse.GetValue(GlobalOptions.Out)!, model, "checkpoint.bin");

    private static int Train(ParseResult parse, ByteLmSpec spec, StepTrainingOptions options, string? textFile, string path, CancellationToken cancellation)
    {
        GlobalOptions.Torch(parse);
        var corpus = textFile is null ? Brown(parse, cancellation) : FromFile(textFile);
        using var model = spec.Create();
        long parameters = model.parameters().Sum(p => p.numel());
        AnsiConsole.MarkupLine("{0}: {1:N0} parameters; {2:N0} training bytes, {3:N0} held out; checkpoint {4}", Title(spec.Model), parameters,
            corpus.Train.Length, corpus.HeldOut.Length, Markup.Escape(path));
        StepHistory history;
        if (parse.GetValue(GlobalOptions.Quiet) || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            history = spec.Train(model, corpus, options, null, cancellation);
        }
        else
        {
            history = AnsiConsole.Progress().AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("training", maxValue: options.Steps);
                    return spec.Train(model, corpus, options, new Progress(task), cancellation);
                });
        }
        var last = history.Evaluations.LastOrDefault();
        AnsiConsole.MarkupLine("{0} steps in {1:0.0} s ({2:N0} bytes/s); held-out bits/byte {3}", history.Losses.Count, history.TrainSeconds,
            history.Losses.Count * (double)spec.Batch * spec.Length / Math.Max(1e-9, history.TrainSeconds),
            last is null ? "–" : last.Value.ToString("0.000", CultureInfo.InvariantCulture));
        return 0;
    }

    private static int Sample(ParseResult parse, string prompt, int length, double temperature, int seed, string path, string model)
    {
        GlobalOptions.Torch(parse);
        var spec = ByteLmSpec.FromCheckpoint(path);
        if (spec.Model != model)
            throw new InvalidDataException($"{path}: the checkpoint holds a {Title(spec.Model)} model, not {Title(model)}.");
        using var network = spec.Create();
        Checkpoint.Load(path, network, null);
        int context = spec.ByteNet?.ReceptiveField ?? spec.Length;
        var bytes = ByteLm.Sample(network, Encoding.UTF8.GetBytes(prompt), length, temperature, seed, context);
        Console.WriteLine(prompt + Encoding.UTF8.GetString(bytes));
        return 0;
    }

    private static ByteCorpus Brown(ParseResult parse, CancellationToken cancellation)
    {
        var store = new DataStore(DataStore.DefaultRoot(parse.GetValue(GlobalOptions.Data)));
        var dir = store.Require(DataCatalog.Brown, m => AnsiConsole.MarkupLine("[grey]{0}[/]", Markup.Escape(m)), cancellation);
        return ByteCorpus.FromBrown(dir);
    }

    private static ByteCorpus FromFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        var text = File.ReadAllText(path, new UTF8Encoding(false, throwOnInvalidBytes: true));
        int cut = (int)(text.Length * 0.9);
        return ByteCorpus.FromText(text[..cut], text[cut..], path);
    }

    private static int Guard(Func<int> action, string checkpoint) => CommandGuard.WithCheckpoint(action, checkpoint);

    private sealed class Progress(ProgressTask task) : IProgress<StepReport>
    {
        public void Report(StepReport value)
        {
            task.Value = value.Step;
            task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"step {value.Step}: {value.Loss / Math.Log(2):0.00} bits/byte"));
        }
    }
}
