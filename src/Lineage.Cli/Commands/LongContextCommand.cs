using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Lineage.Data.Catalog;
using Lineage.Data.Corpora;
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Neural.LongContext;
using Lineage.Neural.Sequence;
using Spectre.Console;
using static TorchSharp.torch;

namespace Lineage.Cli.Commands;

/// <summary><c>lineage longctx train|bench|recall --mixer …</c>: the long-context mixers in a byte-level decoder, their cost against n, and what they recall on synthetic tasks.</summary>
[CliCommand(110)]
internal static class LongContextCommand
{
    private static readonly int[] NeedleDistances = [16, 64, 256];
    private static readonly JsonSerializerOptions WebJson = new(JsonSerializerDefaults.Web);

    public static Command Create()
    {
        var mixerNames = string.Join("|", MixerRegistry.Ids);
        var mixer = new Option<string>("--mixer", "-m") { Description = $"The sequence mixer: {mixerNames} (full = dense attention, the baseline).", DefaultValueFactory = _ => "mamba" };

        var dim = new Option<int>("--dim") { Description = "Model width C.", DefaultValueFactory = _ => 64 };
        var layers = new Option<int>("--layers") { Description = "Blocks.", DefaultValueFactory = _ => 2 };
        var length = new Option<int>("--seq-len") { Description = "Bytes per training window.", DefaultValueFactory = _ => 384 };
        var batch = new Option<int>("--batch") { Description = "Windows per step.", DefaultValueFactory = _ => 8 };
        var steps = new Option<int>("--steps") { Description = "Training steps in all (a resumed run continues up to this).", DefaultValueFactory = _ => 200 };
        var rate = new Option<double>("--lr") { Description = "Adam's learning rate.", DefaultValueFactory = _ => 3e-3 };
        var text = new Option<string?>("--text") { Description = "Train on this UTF-8 file (its last 10 % held out) instead of the Treasury of David." };
        var resume = new Option<bool>("--resume") { Description = "Continue from the checkpoint (an interrupted run's, else the model's own) if it exists." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace a model already trained for this mixer, only once the new one is trained." };
        var shortConv = new Option<int>("--short-conv") { Description = "Kernel of a causal depthwise convolution before every mixer (0: none; 3 made MQAR learnable).", DefaultValueFactory = _ => 0 };
        var trainNoMlp = new Option<bool>("--no-mlp") { Description = "No MLP after the mixers (the Mamba paper's blocks)." };
        var trainNoPositions = new Option<bool>("--no-positions") { Description = "No positional encoding (the Mamba paper's models; Zoology's)." };
        var trainBlock = new Option<string>("--block")
        {
            Description = "zoology: each mixer in the block Zoology trains it in for MQAR (no positions; attention after a convolution of 3 with an MLP; Hyena with an MLP; " +
                          "Mamba alone), overriding --short-conv, --no-mlp and --no-positions; custom: those options as given.",
            DefaultValueFactory = _ => "custom",
        };
        trainBlock.AcceptOnlyFromAmong("custom", "zoology");
        var train = new Command("train", "Train a byte-level decoder with the chosen mixer on long documents (with planted needles); report bits/byte and needle recall. The model (<out>/longctx/<mixer>/checkpoint.bin) is replaced only when done.")
        {
            mixer, dim, layers, length, batch, steps, rate, text, resume, overwrite, shortConv, trainNoMlp, trainNoPositions, trainBlock,
        };
        train.SetAction((parse, token) => MainThread.Run(cancellation => Guard(resumable: true, () =>
        {
            GlobalOptions.Torch(parse, threadsByDefault: 1);   // small models: one thread is faster here
            var kind = MixerRegistry.Get(parse.GetValue(mixer)!).Id;
            int seed = parse.GetValue(GlobalOptions.Seed), len = parse.GetValue(length), d = parse.GetValue(dim);
            ArgumentOutOfRangeException.ThrowIfLessThan(len, 32, "--seq-len");
            var settings = new MixerSettings(Dim: d, Heads: Math.Max(1, d / 16), Seed: seed).With(new LongformerConfig { Window = 32, GlobalTokens = 4 },
                new BigBirdConfig { Block = 32, GlobalTokens = 4, RandomBlocks = 1 }, new ReformerConfig { Chunk = 32, Rounds = 2 },
                new LinformerConfig { MaxLength = len }, new MambaConfig { StateDim = 8, Expand = 1, ScanChunk = 16 });
            ArgumentOutOfRangeException.ThrowIfNegative(parse.GetValue(shortConv), "--short-conv");
            var config = new MixerLmConfig(kind, settings, Layers: parse.GetValue(layers), ShortConv: parse.GetValue(shortConv), Mlp: !parse.GetValue(trainNoMlp),
                Positions: !parse.GetValue(trainNoPositions));
            if (parse.GetValue(trainBlock) == "zoology")
            {
                var zoology = RecallBlock.Zoology(kind);
                config = config with { ShortConv = zoology.ShortConv, Mlp = zoology.Mlp, Positions = zoology.Positions };
            }

            Seeding.Seed(seed);
            using var lm = new MixerLm(config);                                     // checks the mixer before any data is fetched
            var corpus = parse.GetValue(text) is { } file ? FromFile(file) : Treasury(parse, cancellation);
            var target = Path.Combine(parse.GetValue(GlobalOptions.Out)!, "longctx", kind, "checkpoint.bin");
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(target))!);
            var (path, resuming) = TrainingFolders.StartFile(target, parse.GetValue(resume), parse.GetValue(overwrite), "--out folder");
            AnsiConsole.MarkupLine("{0} decoder: {1:N0} parameters; {2:N0} training bytes, {3:N0} held out; checkpoint {4}", kind,
                lm.parameters().Sum(p => p.numel()), corpus.Train.Length, corpus.HeldOut.Length, Markup.Escape(target));
            int total = parse.GetValue(steps);
            var options = new StepTrainingOptions(total, parse.GetValue(rate), GradClip: 1.0, EvaluateEvery: Math.Max(1, total / 4), CheckpointPath: path,
                CheckpointEvery: 50, Resume: resuming);
            var progress = new Progress<StepReport>(r =>
            {
                if (r.Step % 25 == 0 || r.Step == total) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"step {r.Step}/{total}: {r.Loss / Math.Log(2):0.000} bits/byte"));
            });
            var history = NeedleTask.Train(lm, corpus, parse.GetValue(batch), len, seed, options, progress, JsonSerializer.Serialize(config), cancellation);
            TrainingFolders.FinishFile(path, target);
            double bits = ByteLm.BitsPerByte(lm, corpus.HeldOut, len, len / 2, maxWindows: 32);
            AnsiConsole.MarkupLine("{0} steps in {1:0.0} s; held-out bits/byte {2:0.000}", history.Losses.Count, history.TrainSeconds, bits);
            foreach (int distance in NeedleDistances.Where(x => x + NeedleTask.NeedleLength + 1 <= len))
                AnsiConsole.MarkupLine("needle recall at {0} bytes: {1:0.00}", distance, NeedleTask.Accuracy(lm, corpus.HeldOut, len, distance, 64, seed));
            return 0;
        }), token));

        var lengths = new Option<string>("--lengths") { Description = "Comma-separated sequence lengths.", DefaultValueFactory = _ => "1024,2048,4096,8192,16384,32768,65536" };
        var timeCap = new Option<double>("--time-cap") { Description = "Skip lengths whose forward + backward would exceed this many seconds.", DefaultValueFactory = _ => 8 };
        var memoryCap = new Option<int>("--memory-cap-mib") { Description = "Skip lengths whose activation estimate exceeds this many MiB.", DefaultValueFactory = _ => 2560 };
        var bench = new Command("bench", "Time and peak memory of one forward + backward pass of the mixer (C = 32, batch 1) at each length; the fitted exponent.")
        {
            mixer, lengths, timeCap, memoryCap,
        };
        bench.SetAction(parse => Guard(resumable: false, () =>
        {
            // One libtorch thread unless --threads says otherwise: on a shared machine, spinning workers distort the timings.
            GlobalOptions.Torch(parse, threadsByDefault: 1);
            var kind = MixerRegistry.Get(parse.GetValue(mixer)!).Id;
            var ns = parse.GetValue(lengths)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) && n > 0 ? n
                    : throw new ArgumentException($"--lengths: '{s}' is not a positive whole number.")).ToArray();
            manual_seed(parse.GetValue(GlobalOptions.Seed));
            var points = MixerBenchmark.Run([kind], ns, n => randn(1, n, 32), parse.GetValue(timeCap), (long)parse.GetValue(memoryCap) << 20);
            var table = new Table().AddColumns("n", "seconds", "peak memory growth", "estimate", "note");
            foreach (var p in points)
                table.AddRow(p.N.ToString("N0", CultureInfo.InvariantCulture), p.Skipped is null ? p.Seconds.ToString("0.000", CultureInfo.InvariantCulture) : "–",
                    p.PeakBytes < 0 ? "–" : $"{p.PeakBytes / 1048576.0:0} MiB", MemoryGuard.Gib(p.EstimatedBytes), Markup.Escape(p.Skipped ?? ""));
            AnsiConsole.Write(table);
            double exponent = MixerBenchmark.Exponent(points.Where(p => p.Skipped is null).Select(p => (p.N, p.Seconds)));
            AnsiConsole.MarkupLine("{0}: time ∝ n^{1}", kind, double.IsFinite(exponent) ? exponent.ToString("0.00", CultureInfo.InvariantCulture) : "? (fewer than two lengths ran)");
            return 0;
        }));
        var recall = Recall(mixerNames);
        return new Command("longctx", "Long-context mixers (Longformer, BigBird, Reformer, Linformer, Hyena, Mamba; full attention as the baseline).") { train, bench, recall, RecallGridCommand() };
    }

    /// <summary><c>longctx recall</c>: train a 2-layer model with the mixer on MQAR, selective copying or induction heads; held-out accuracy.</summary>
    private static Command Recall(string mixerNames)
    {
        var mixer = new Option<string>("--mixer", "-m") { Description = $"The sequence mixer: {mixerNames} (linformer runs bidirectionally: no task's answer is in the input after it).", DefaultValueFactory = _ => "full" };
        var task = new Option<string>("--task") { Description = $"The task: {string.Join("|", RecallTasks.Ids)}.", DefaultValueFactory = _ => "mqar" };
        var width = new Option<int>("--width") { Description = "Model width C (Zoology's d_model).", DefaultValueFactory = _ => 64 };
        var length = new Option<int>("--seq-len") { Description = "Tokens per example N.", DefaultValueFactory = _ => 64 };
        var pairs = new Option<int>("--kv-pairs") { Description = "MQAR key-value pairs K (0: Zoology's N/16).", DefaultValueFactory = _ => 0 };
        var vocab = new Option<int>("--vocab") { Description = "Vocabulary (0: the task's default: 8192 for MQAR as Zoology, 16 for the Mamba tasks).", DefaultValueFactory = _ => 0 };
        var steps = new Option<int>("--steps") { Description = "Training steps, each on a fresh batch.", DefaultValueFactory = _ => 600 };
        var batch = new Option<int>("--batch") { Description = "Examples per step.", DefaultValueFactory = _ => 32 };
        var rate = new Option<double>("--lr") { Description = "AdamW's peak learning rate (10 % warm-up, cosine to 0).", DefaultValueFactory = _ => 3e-3 };
        var heads = new Option<int>("--heads") { Description = "Attention heads (Zoology: 1).", DefaultValueFactory = _ => 1 };
        var conv = new Option<int>("--short-conv") { Description = "Kernel of a causal depthwise convolution before every mixer (0: none).", DefaultValueFactory = _ => 0 };
        var layers = new Option<int>("--layers") { Description = "Blocks.", DefaultValueFactory = _ => 2 };
        var eval = new Option<int>("--eval") { Description = "Held-out examples scored.", DefaultValueFactory = _ => 256 };
        var copyTokens = new Option<int>("--copy-tokens") { Description = "Selective copying's data tokens M (0: the paper's 16).", DefaultValueFactory = _ => 0 };
        var noMlp = new Option<bool>("--no-mlp") { Description = "No MLP after the mixers (the Mamba paper's blocks; Zoology's figure-2 attention)." };
        var noPositions = new Option<bool>("--no-positions") { Description = "No positional encoding (the Mamba paper's models)." };
        var block = new Option<string>("--block")
        {
            Description = "zoology: each mixer in the block Zoology trains it in (no positions; attention after a convolution of 3 with an MLP; Hyena with an MLP; " +
                          "Mamba alone), overriding --short-conv, --no-mlp and --no-positions; custom: those options as given.",
            DefaultValueFactory = _ => "custom",
        };
        block.AcceptOnlyFromAmong("custom", "zoology");
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object." };
        var command = new Command("recall", "Train a small model with the mixer on a synthetic recall task (Zoology's MQAR, Mamba's selective copying or induction heads); report held-out accuracy.")
        {
            mixer, task, width, length, pairs, vocab, copyTokens, steps, batch, rate, heads, conv, layers, eval, noMlp, noPositions, block, json,
        };
        // On the calling thread with kept memory (MainThread): Mamba at N = 256, 51.3 s on a thread-pool thread, 13.9 s here.
        command.SetAction((parse, token) => MainThread.Run(cancellation => Guard(resumable: false, () =>
        {
            GlobalOptions.Torch(parse, threadsByDefault: 1);
            var kind = MixerRegistry.Get(parse.GetValue(mixer)!).Id;
            var problem = RecallTasks.Create(parse.GetValue(task)!, parse.GetValue(length), parse.GetValue(pairs), parse.GetValue(vocab), parse.GetValue(copyTokens));
            var options = new RecallTrainingOptions(kind, parse.GetValue(width), parse.GetValue(steps), parse.GetValue(rate), parse.GetValue(batch),
                parse.GetValue(layers), parse.GetValue(heads), EvalExamples: parse.GetValue(eval), Seed: parse.GetValue(GlobalOptions.Seed),
                ShortConv: parse.GetValue(conv), Mlp: !parse.GetValue(noMlp), Positions: !parse.GetValue(noPositions));
            if (parse.GetValue(block) == "zoology") options = options.With(RecallBlock.Zoology(kind));
            options = options.Validate();
            bool asJson = parse.GetValue(json);
            int total = options.Steps, every = Math.Max(1, total / 10);
            var progress = new Lineage.Experiments.SyncProgress<RecallProgress>(r =>
            {
                if (!asJson && (r.Step % every == 0 || r.Step == total))
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"step {r.Step}/{total}: loss {r.Loss:0.000}, lr {r.LearningRate:0.00e0}"));
            });
            var result = RecallTraining.Train(problem, options, progress, cancellation);
            if (asJson)
            {
                Console.WriteLine(JsonSerializer.Serialize(result, WebJson));
            }
            else
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{result.Task} N={result.Length} {result.Mixer}{(result.Causal ? "" : " (bidirectional)")} C={result.Width}: accuracy {result.Accuracy:0.000} (chance {result.Chance:0.0000}) " +
                    $"after {result.Steps} steps ({result.Examples:N0} examples, {result.TrainSeconds:0.0} s), {result.Parameters:N0} parameters, final loss {result.FinalLoss:0.000}"));
            }
            return 0;
        }), token));
        return command;
    }

    /// <summary><c>longctx recall-grid --from recall.jsonl</c>: plots (Zoology figure 2's layout) and a table of a sweep's cells.</summary>
    private static Command RecallGridCommand()
    {
        var from = new Option<string>("--from") { Description = "JSON lines of recall results (bench/recall/sweep.sh writes <out>/recall.jsonl; `longctx recall --json` prints one).", Required = true };
        var command = new Command("recall-grid", "Plot a recall sweep as Zoology's figure 2 (accuracy against width, one panel per N, the paper's points beside) and tabulate it; writes <out>/recall-grid/.") { from };
        command.SetAction(parse =>
        {
            var cells = Lineage.Experiments.LongContext.RecallGrid.Read(parse.GetValue(from)!);
            var folder = Path.Combine(parse.GetValue(GlobalOptions.Out)!, "recall-grid");
            var files = Lineage.Experiments.LongContext.RecallGrid.Write(cells, folder);
            Console.WriteLine($"{cells.Count} cells: {string.Join(", ", files.Select(f => Path.Combine(folder, f)))}");
            return 0;
        });
        return command;
    }

    private static ByteCorpus Treasury(ParseResult parse, CancellationToken cancellation)
    {
        var store = new DataStore(DataStore.DefaultRoot(parse.GetValue(GlobalOptions.Data)));
        var dir = store.Require(DataCatalog.TreasuryOfDavid, m => AnsiConsole.MarkupLine("[grey]{0}[/]", Markup.Escape(m)), cancellation);
        var docs = TreasuryOfDavid.Read(dir);
        var train = new StringBuilder();
        var heldOut = new StringBuilder();
        for (int i = 0; i < docs.Count; i++) (i % 10 == 9 ? heldOut : train).Append(docs[i].Text).Append("\n\n");
        return ByteCorpus.FromText(train.ToString(), heldOut.ToString(), "Treasury of David");
    }

    private static ByteCorpus FromFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        var text = File.ReadAllText(path, new UTF8Encoding(false, throwOnInvalidBytes: true));
        int cut = (int)(text.Length * 0.9);
        return ByteCorpus.FromText(text[..cut], text[cut..], path);
    }

    private static int Guard(bool resumable, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (OperationCanceledException)
        {
            AnsiConsole.MarkupLine(resumable ? "[yellow]stopped.[/] Continue with --resume." : "[yellow]stopped.[/]");
            return 130;
        }

    }
}
