using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Lineage.Data.Catalog;
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Sequence;
using Lineage.Neural.Transformers;
using Lineage.Text.Tokenization;
using Spectre.Console;

namespace Lineage.Cli.Commands;

/// <summary>
/// <c>lineage gpt pretrain|finetune|generate|eval</c>: a GPT over byte-level BPE tokens. A trained model is a folder in
/// Hugging Face's GPT-2 layout: config.json, model.safetensors, vocab.json and merges.txt.
/// </summary>
[CliCommand(80)]
internal static class GptCommand
{
    private const string CheckpointName = TrainingFolders.CheckpointName;

    public static Command Create()
    {
        var model = new Option<string?>("--model", "-m") { Description = "Model folder (default: <out>/gpt)." };
        var text = new Option<string?>("--text") { Description = "A UTF-8 text file, its last 10 % held out (default: the Brown corpus)." };
        var steps = new Option<int>("--steps") { Description = "Training steps in all (a resumed run continues up to this).", DefaultValueFactory = _ => 500 };
        var rate = new Option<double>("--lr") { Description = "Adam's learning rate.", DefaultValueFactory = _ => 1e-3 };
        var batch = new Option<int>("--batch") { Description = "Windows per step.", DefaultValueFactory = _ => 16 };
        var resume = new Option<bool>("--resume") { Description = "Continue from the folder's checkpoint (weights, optimiser, step) if there is one." };
        var vocab = new Option<int>("--vocab") { Description = "Byte-level BPE vocabulary size.", DefaultValueFactory = _ => 4000 };
        var layers = new Option<int>("--layers") { Description = "Transformer blocks.", DefaultValueFactory = _ => 4 };
        var heads = new Option<int>("--heads") { Description = "Attention heads.", DefaultValueFactory = _ => 4 };
        var dim = new Option<int>("--dim") { Description = "Width.", DefaultValueFactory = _ => 128 };
        var context = new Option<int>("--context") { Description = "Tokens of context (training window).", DefaultValueFactory = _ => 128 };

        var overwrite = new Option<bool>("--overwrite") { Description = "Replace the folder and all it holds (classifiers included), only once the new model is trained." };
        var pretrain = new Command("pretrain", "Train a byte-level BPE vocabulary and a GPT on a text; checkpoints are atomic, Ctrl-C keeps the last one, and a model already in the folder is kept until the new one is done.")
        {
            model, text, steps, rate, batch, resume, overwrite, vocab, layers, heads, dim, context,
        };
        pretrain.SetAction((parse, token) => MainThread.Run(cancellation => Guard(() =>
        {
            GlobalOptions.Torch(parse);
            var folder = Folder(parse, model);
            var (work, resuming) = TrainingFolders.Start(folder, parse.GetValue(resume), parse.GetValue(overwrite));
            var (trainText, heldText) = Texts(parse, text, cancellation);
            var bpe = resuming && File.Exists(Path.Combine(work, "merges.txt"))
                ? ByteLevelBpe.Load(work)
                : Status("training the byte-level BPE vocabulary", () => ByteLevelBpe.Train([.. Lines(trainText)], parse.GetValue(vocab), cancellation: cancellation));
            if (!resuming) bpe.Save(work);
            var config = new GptConfig(bpe.VocabSize, parse.GetValue(context), parse.GetValue(layers), parse.GetValue(heads), parse.GetValue(dim), Dropout: 0);
            Seeding.Seed(parse.GetValue(GlobalOptions.Seed));
            using var gpt = new Gpt(config);
            int code = Train(parse, gpt, bpe, work, folder, trainText, heldText, steps, rate, batch, resuming, cancellation);
            TrainingFolders.Finish(work, folder);
            return code;
        }), token));

        var finetune = new Command("finetune", "Continue training a GPT folder on another text (same vocabulary); the new weights replace the folder's only when done (Ctrl-C keeps the old ones and the finetune's last checkpoint, which --resume continues).")
        {
            model, text, steps, rate, batch, resume,
        };
        finetune.SetAction((parse, token) => MainThread.Run(cancellation =>
        {
            var folder = Folder(parse, model);
            return CommandGuard.Run(() =>
            {
                GlobalOptions.Torch(parse);
                if (parse.GetValue(text) is null) throw new ArgumentException("finetune needs --text FILE: the text to adapt the model to.");
                var (gpt, bpe) = LoadFolder(folder);
                using var _ = gpt;
                var (trainText, heldText) = Texts(parse, text, cancellation);
                var (work, resuming) = TrainingFolders.StartUpdate(folder, parse.GetValue(resume));
                int code = Train(parse, gpt, bpe, work, folder, trainText, heldText, steps, rate, batch, resuming, cancellation);
                TrainingFolders.FinishUpdate(work, folder);
                return code;
            }, () => Stopped(folder, TrainingFolders.UpdateStagingOf(folder)));
        }, token));

        var prompt = new Option<string>("--prompt") { Description = "Text to continue.", DefaultValueFactory = _ => "The " };
        var count = new Option<int>("--length", "-n") { Description = "Tokens to generate.", DefaultValueFactory = _ => 60 };
        var temperature = new Option<double>("--temperature", "-t") { Description = "Softmax temperature (0: greedy).", DefaultValueFactory = _ => 0.8 };
        var topK = new Option<int>("--top-k") { Description = "Sample among the k most likely tokens (0: all).", DefaultValueFactory = _ => 0 };
        var topP = new Option<double>("--top-p") { Description = "Sample among the most likely tokens whose probabilities sum to p (1: all).", DefaultValueFactory = _ => 1.0 };
        var noCache = new Option<bool>("--no-cache") { Description = "Re-read the whole sequence for every token instead of using the KV cache (same tokens, slower)." };
        var generate = new Command("generate", "Continue a prompt with a trained GPT folder.") { model, prompt, count, temperature, topK, topP, noCache };
        generate.SetAction(parse => Guard(() =>
        {
            GlobalOptions.Torch(parse);
            var (gpt, bpe) = LoadFolder(Folder(parse, model));
            using var _ = gpt;
            var input = bpe.Encode(parse.GetValue(prompt) ?? "");
            if (input.Length == 0) throw new ArgumentException("The prompt is empty.");
            var sampling = new Sampling(parse.GetValue(temperature), parse.GetValue(topK), parse.GetValue(topP), parse.GetValue(GlobalOptions.Seed));
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var ids = gpt.Generate([.. input.Select(i => (long)i)], parse.GetValue(count), sampling, useCache: !parse.GetValue(noCache));
            Console.WriteLine(bpe.Decode(ids.Select(i => (int)i)));
            if (!parse.GetValue(GlobalOptions.Quiet))
                AnsiConsole.MarkupLine("[grey]{0} tokens in {1:0.00} s ({2})[/]", ids.Length - input.Length, clock.Elapsed.TotalSeconds, parse.GetValue(noCache) ? "no cache" : "KV cache");
            return 0;
        }));

        var eval = new Command("eval", "Held-out perplexity of a GPT folder on a text (its last 10 %), or on Brown's held-out part.") { model, text };
        eval.SetAction((parse, token) => MainThread.Run(cancellation => Guard(() =>
        {
            GlobalOptions.Torch(parse);
            var (gpt, bpe) = LoadFolder(Folder(parse, model));
            using var _ = gpt;
            var (_, heldText) = Texts(parse, text, cancellation);
            var ids = bpe.Encode(heldText);
            double ppl = TokenLm.Perplexity(gpt, ids);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"held-out perplexity {ppl:0.00} per token ({Math.Log2(ppl) * ids.Length / Encoding.UTF8.GetByteCount(heldText):0.000} bits per byte) on {ids.Length:N0} tokens"));
            return 0;
        }), token));

        return new Command("gpt", "GPT (decoder-only transformer) over byte-level BPE: pretrain, finetune, generate, eval.") { pretrain, finetune, generate, eval };
    }

    private static int Train(ParseResult parse, Gpt gpt, ByteLevelBpe bpe, string folder, string target, string trainText, string heldText,
        Option<int> steps, Option<double> rate, Option<int> batch, bool resume, CancellationToken cancellation)
    {
        var train = Status("encoding the text", () => bpe.Encode(trainText));
        var held = bpe.Encode(heldText);
        var checkpoint = Path.Combine(folder, CheckpointName);
        var options = new StepTrainingOptions(parse.GetValue(steps), parse.GetValue(rate), GradClip: 1.0, EvaluateEvery: 50,
            CheckpointPath: checkpoint, CheckpointEvery: 50, Resume: resume);
        AnsiConsole.MarkupLine("GPT: {0:N0} parameters, {1:N0} training tokens, {2:N0} held out; folder {3}",
            gpt.parameters().Sum(p => p.numel()), train.Length, held.Length, Markup.Escape(target));
        string configuration = JsonSerializer.Serialize(gpt.Config);
        int seed = parse.GetValue(GlobalOptions.Seed);
        StepHistory history;
        if (parse.GetValue(GlobalOptions.Quiet) || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            history = TokenLm.Train(gpt, train, held, parse.GetValue(batch), seed, options, null, configuration, cancellation);
        }
        else
        {
            history = AnsiConsole.Progress().AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("training", maxValue: options.Steps);
                    var progress = new Progress<StepReport>(r => task.Value = r.Step);
                    return TokenLm.Train(gpt, train, held, parse.GetValue(batch), seed, options, progress, configuration, cancellation);
                });
        }

        gpt.Save(folder);
        var last = history.Evaluations.LastOrDefault();
        AnsiConsole.MarkupLine("{0} steps in {1:0.0} s; held-out perplexity {2}; wrote {3}", history.Losses.Count, history.TrainSeconds,
            last is null ? "–" : last.Value.ToString("0.00", CultureInfo.InvariantCulture), Markup.Escape(Path.Combine(target, "model.safetensors")));
        return 0;
    }

    private static (Gpt Gpt, ByteLevelBpe Bpe) LoadFolder(string folder)
    {
        if (!File.Exists(Path.Combine(folder, "config.json"))) throw new FileNotFoundException($"{folder}: no config.json; train one with 'lineage gpt pretrain' first.", Path.Combine(folder, "config.json"));
        if (!File.Exists(Path.Combine(folder, "merges.txt"))) throw new FileNotFoundException($"{folder}: no merges.txt (the tokenizer).", Path.Combine(folder, "merges.txt"));
        var bpe = ByteLevelBpe.Load(folder);
        var gpt = Gpt.Load(folder);
        if (gpt.Config.VocabSize != bpe.VocabSize)
        {
            gpt.Dispose();
            throw new InvalidDataException($"{folder}: the model has {gpt.Config.VocabSize} token ids but the tokenizer {bpe.VocabSize}.");
        }

        return (gpt, bpe);
    }

    private static string Folder(ParseResult parse, Option<string?> model) =>
        parse.GetValue(model) ?? Path.Combine(parse.GetValue(GlobalOptions.Out)!, "gpt");

    // --text split 90/10 by characters, or Brown's byte corpus (also what `t5 pretrain` trains on).
    internal static (string Train, string HeldOut) Texts(ParseResult parse, Option<string?> textOption, CancellationToken cancellation)
    {
        if (parse.GetValue(textOption) is { } path)
        {
            var all = ReadText(path);
            int cut = (int)(all.Length * 0.9);
            return (all[..cut], all[cut..]);
        }

        var store = new DataStore(DataStore.DefaultRoot(parse.GetValue(GlobalOptions.Data)));
        var corpus = ByteCorpus.FromBrown(store.Require(DataCatalog.Brown, m => AnsiConsole.MarkupLine("[grey]{0}[/]", Markup.Escape(m)), cancellation));
        return (Encoding.UTF8.GetString(corpus.Train), Encoding.UTF8.GetString(corpus.HeldOut));
    }

    private static string[] Lines(string text) => text.Split('\n');

    // A UTF-8 text file that exists and is not blank, or an error naming the problem.
    internal static string ReadText(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        var all = File.ReadAllText(path, new UTF8Encoding(false, throwOnInvalidBytes: true));
        if (all.Trim().Length == 0) throw new ArgumentException($"{path}: the file is empty.");
        return all;
    }

    internal static T Status<T>(string what, Func<T> work)
    {
        AnsiConsole.MarkupLine("[grey]{0}…[/]", Markup.Escape(what));
        return work();
    }

    private static int Guard(Func<int> action) => CommandGuard.Run(action, "The last checkpoint is kept; continue with --resume.");

    // After Ctrl-C in a finetune: the folder is as it was; the finetune's checkpoint, if any, is in its staging folder.
    private static string Stopped(string folder, string staging) => File.Exists(Path.Combine(staging, CheckpointName))
        ? $"{folder} is as it was; the finetune's last checkpoint is {Path.Combine(staging, CheckpointName)}; continue with --resume."
        : $"{folder} is as it was; no checkpoint was written yet.";
}
