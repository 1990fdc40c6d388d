using System.CommandLine;
using System.Globalization;
using Lineage.Data;
using Lineage.Data.Catalog;
using Lineage.Data.Images;
using Lineage.Experiments.Multimodal;
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Multimodal;
using Lineage.Neural.Vision;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Cli.Commands;

/// <summary>
/// <c>lineage vit|swin train|eval</c> on Fashion-MNIST, <c>lineage clip|siglip train|eval</c> on Twemoji + Google emoji, and
/// <c>lineage clip|siglip search "QUERY" --images FOLDER</c>. Models are written as folders (config.json + model.safetensors
/// with Hugging Face names, + vocab.json for CLIP/SigLIP) under <c>&lt;out&gt;/&lt;model&gt;/model</c>; training checkpoints
/// (atomic, every epoch or 100 steps) under <c>&lt;out&gt;/&lt;model&gt;/checkpoint.bin</c>, resumed with --resume.
/// </summary>
[CliCommand(120)]
internal static class VisionCommand
{
    /// <summary>The four commands.</summary>
    public static IEnumerable<Command> CreateAll() => [Classifier("vit"), Classifier("swin"), Contrastive("clip"), Contrastive("siglip")];

    private static readonly Option<bool> Resume = new("--resume") { Description = "Continue from the checkpoint (weights, optimiser, progress): an interrupted run's, else the model folder's." };
    private static readonly Option<bool> Overwrite = new("--overwrite") { Description = "Replace a model already in the model folder, only once the new one is trained." };
    private static readonly Option<string?> ModelFolder = new("--model") { Description = "Model folder (default: <out>/<model>/model)." };

    private static string Folder(ParseResult parse, string model) => Path.Combine(parse.GetValue(GlobalOptions.Out)!, model);

    private static Command Classifier(string name)
    {
        string title = name == "vit" ? "ViT" : "Swin";
        var epochs = new Option<int>("--epochs") { Description = "Passes over the 60,000 training images.", DefaultValueFactory = _ => 5 };
        var rate = new Option<double>("--lr") { Description = "AdamW's peak learning rate (300 warm-up steps, then cosine decay).", DefaultValueFactory = _ => 2e-3 };
        var examples = new Option<int>("--train-examples") { Description = "Training images used (the first N).", DefaultValueFactory = _ => 60_000 };
        var testExamples = new Option<int>("--test-examples") { Description = "Test images scored after each epoch (the first N).", DefaultValueFactory = _ => 10_000 };
        var train = new Command("train", $"Train a {title} on Fashion-MNIST; a checkpoint is written after every epoch beside the model folder, which is replaced only at the end (Ctrl-C keeps it).") { epochs, rate, examples, testExamples, Resume, Overwrite, ModelFolder };
        train.SetAction((parse, token) => MainThread.Run(cancellation => TrainGuard(() =>
        {
            GlobalOptions.Torch(parse);
            var folder = parse.GetValue(ModelFolder) ?? Path.Combine(Folder(parse, name), "model");
            var (work, resuming) = TrainingFolders.Start(folder, parse.GetValue(Resume), parse.GetValue(Overwrite));
            var (xTrain, yTrain, xTest, yTest) = Fashion(parse, parse.GetValue(examples), cancellation, parse.GetValue(testExamples));
            manual_seed(parse.GetValue(GlobalOptions.Seed));
            nn.Module<Tensor, Tensor> model = name == "vit"
                ? new Vit(new VitConfig(Patch: 4, Dim: 64, Layers: 4, Heads: 4, MlpRatio: 2))
                : new Swin(new SwinConfig(Patch: 2, Dim: 32, Depths: [2, 2], Heads: [2, 4], Window: 7, MlpRatio: 2));
            var checkpoint = Path.Combine(work, TrainingFolders.CheckpointName);
            var options = new ClassifierTrainingOptions(parse.GetValue(epochs), 128, parse.GetValue(rate), WeightDecay: 0.05, Seed: parse.GetValue(GlobalOptions.Seed),
                EvalBatchSize: 1000, CheckpointPath: checkpoint, Resume: resuming);
            AnsiConsole.MarkupLine("{0}: {1:N0} parameters, {2:N0} training images; checkpoint {3}", title, model.parameters().Sum(p => p.numel()), xTrain.shape[0], Markup.Escape(checkpoint));
            long steps = options.Epochs * ((xTrain.shape[0] + 127) / 128);
            var history = WithBar(parse, steps, report => ScheduledTrainer.Train(model, xTrain, yTrain, xTest, yTest, options, 300,
                new Reporter(r => report(r.Step, string.Create(CultureInfo.InvariantCulture, $"epoch {r.Epoch}, loss {r.Loss:0.000}"))), cancellation: cancellation));
            foreach (var e in history.Epochs)
                AnsiConsole.MarkupLine("epoch {0}: test accuracy {1:P2}, {2:0} s", e.Epoch, e.TestAccuracy, e.Seconds);
            if (model is Vit vit) vit.Save(work);
            else ((Swin)model).Save(work);
            TrainingFolders.Finish(work, folder);
            AnsiConsole.MarkupLine("model folder: {0}", Markup.Escape(folder));
            return 0;
        }, () => ModelOf(parse, name)), token));

        var eval = new Command("eval", $"Test accuracy of a {title} model folder on the 10,000 Fashion-MNIST test images (or the first --test-examples).") { ModelFolder, testExamples };
        eval.SetAction(parse => Guard(() =>
        {
            GlobalOptions.Torch(parse);
            var folder = parse.GetValue(ModelFolder) ?? Path.Combine(Folder(parse, name), "model");
            using nn.Module<Tensor, Tensor> model = name == "vit" ? Vit.Load(folder) : Swin.Load(folder);
            var (_, _, xTest, yTest) = Fashion(parse, 1, CancellationToken.None, parse.GetValue(testExamples));
            var (loss, accuracy) = ClassifierTrainer.Evaluate(model, xTest, yTest, 1000);
            AnsiConsole.MarkupLine("{0} ({1}): test accuracy {2:P2}, loss {3:0.000}", title, Markup.Escape(folder), accuracy, loss);
            return 0;
        }, ""));
        return new Command(name, $"{title} on Fashion-MNIST: train, then eval.") { train, eval };
    }

    private static Command Contrastive(string name)
    {
        var objective = name == "clip" ? ContrastiveObjective.Clip : ContrastiveObjective.SigLip;
        string title = name == "clip" ? "CLIP" : "SigLIP";
        var steps = new Option<int>("--steps") { Description = "Training steps in all (a resumed run continues up to this).", DefaultValueFactory = _ => 500 };
        var batch = new Option<int>("--batch") { Description = "Image-caption pairs per step.", DefaultValueFactory = _ => 128 };
        var rate = new Option<double>("--lr") { Description = "Adam's learning rate.", DefaultValueFactory = _ => 2e-3 };
        var train = new Command("train", $"Train {title} on Twemoji + Google emoji captions; checkpoints every 100 steps beside the model folder, which is replaced only at the end (Ctrl-C keeps it).") { steps, batch, rate, Resume, Overwrite, ModelFolder };
        train.SetAction((parse, token) => MainThread.Run(cancellation => TrainGuard(() =>
        {
            GlobalOptions.Torch(parse);
            var folder = parse.GetValue(ModelFolder) ?? Path.Combine(Folder(parse, name), "model");
            var (work, resuming) = TrainingFolders.Start(folder, parse.GetValue(Resume), parse.GetValue(Overwrite));
            int seed = parse.GetValue(GlobalOptions.Seed);
            using var pairs = Emoji(parse, seed, cancellation);
            var tokenizer = CaptionTokenizer.Build(pairs.Train.Select(i => pairs.Emoji[i].Caption));
            var s = ContrastiveSettings.Default;
            manual_seed(seed);
            using var model = new DualEncoder(new DualEncoderConfig(s.Vision, new TextConfig(tokenizer.VocabSize, s.Context, s.TextDim, s.TextLayers, 4), s.EmbedDim, objective));
            var checkpoint = Path.Combine(work, TrainingFolders.CheckpointName);
            using var ids = tokenizer.EncodeBatch(pairs.Emoji.Select(e => e.Caption).ToList(), s.Context);
            var options = new StepTrainingOptions(parse.GetValue(steps), parse.GetValue(rate), GradClip: 1.0, CheckpointPath: checkpoint, CheckpointEvery: 100, Resume: resuming);
            AnsiConsole.MarkupLine("{0}: {1:N0} parameters, {2:N0} training emoji (2 drawings each); checkpoint {3}", title, model.parameters().Sum(p => p.numel()), pairs.Train.Count, Markup.Escape(checkpoint));
            var history = WithBar(parse, options.Steps, report => ContrastiveTrainer.Train(model, pairs.Batches(ids, parse.GetValue(batch), seed), options, s.Chunk,
                new Reporter(r => report(r.Step, string.Create(CultureInfo.InvariantCulture, $"loss {r.Loss:0.000}"))), cancellation));
            ModelFolders.SaveDualEncoder(work, model, tokenizer);
            TrainingFolders.Finish(work, folder);
            AnsiConsole.MarkupLine("{0} steps in {1:0} s; model folder: {2}", history.Losses.Count, history.TrainSeconds, Markup.Escape(folder));
            Report(EmojiEvaluation.Evaluate(model, pairs, tokenizer, s.Context), pairs.HeldOut.Count);
            return 0;
        }, () => ModelOf(parse, name)), token));

        var eval = new Command("eval", $"Held-out retrieval (recall@1/@5 both ways) and category prompts of a {title} model folder.") { ModelFolder };
        eval.SetAction(parse => Guard(() =>
        {
            GlobalOptions.Torch(parse);
            var folder = parse.GetValue(ModelFolder) ?? Path.Combine(Folder(parse, name), "model");
            using var model = ModelFolders.LoadDualEncoder(folder, out var tokenizer);
            using var pairs = Emoji(parse, parse.GetValue(GlobalOptions.Seed), CancellationToken.None, model.Config.Vision.ImageSize);
            Report(EmojiEvaluation.Evaluate(model, pairs, tokenizer, model.Config.Text.Context), pairs.HeldOut.Count);
            return 0;
        }, ""));

        var query = new Argument<string>("query") { Description = "What to look for, in words (\"red apple\")." };
        var images = new Option<string>("--images") { Description = "Folder of images (PNG, JPEG, WebP, GIF, BMP) to search.", Required = true };
        var top = new Option<int>("--top", "-k") { Description = "How many matches to print.", DefaultValueFactory = _ => 5 };
        var search = new Command("search", $"Rank the images of a folder by {title} similarity to a text query.") { query, images, top, ModelFolder };
        search.SetAction(parse => Guard(() =>
        {
            GlobalOptions.Torch(parse);
            var folder = parse.GetValue(ModelFolder) ?? Path.Combine(Folder(parse, name), "model");
            using var model = ModelFolders.LoadDualEncoder(folder, out var tokenizer);
            var text = parse.GetValue(query) ?? "";
            if (tokenizer.Unknown(text) is { Count: > 0 } unknown)
                AnsiConsole.MarkupLine("[yellow]note:[/] words the model never saw become [[UNK]]: {0}", Markup.Escape(string.Join(", ", unknown)));
            var files = ImageLoader.ListFolder(parse.GetValue(images)!);
            int side = model.Config.Vision.ImageSize;
            var decoded = files.Select(f => ImageLoader.Load(f, side)).ToList();
            using var scope = NewDisposeScope();
            var x = ImageTensors.Normalize(ImageTensors.FromRgb(decoded), 0.5f, 0.5f);
            if (model.Config.Vision.Channels == 1) x = x.mean([1L], keepdim: true);
            var u = Retrieval.EmbedImages(model, x);
            var v = Retrieval.EmbedTexts(model, tokenizer.EncodeBatch([text], model.Config.Text.Context));
            var scores = u.matmul(v.t()).squeeze(1).data<float>().ToArray();
            var table = new Table().AddColumns("rank", "image", "similarity");
            foreach (var (file, score, rank) in files.Zip(scores).OrderByDescending(p => p.Second).Take(parse.GetValue(top)).Select((p, i) => (p.First, p.Second, i + 1)))
                table.AddRow(rank.ToString(CultureInfo.InvariantCulture), Markup.Escape(file), score.ToString("0.000", CultureInfo.InvariantCulture));
            AnsiConsole.Write(table);
            return 0;
        }, ""));
        return new Command(name, $"{title} dual encoder on emoji captions: train, eval, search.") { train, eval, search };
    }

    private static void Report(Dictionary<string, double> m, int heldOut)
    {
        var table = new Table().AddColumns("held-out emoji", "image→text R@1", "R@5", "text→image R@1", "R@5", "category", "category (unseen sub-categories)");
        table.AddRow(heldOut.ToString(CultureInfo.InvariantCulture), P(m["i2t_r1"]), P(m["i2t_r5"]), P(m["t2i_r1"]), P(m["t2i_r5"]), P(m["category_heldout"]), P(m["category_unseen_subcategory"]));
        AnsiConsole.Write(table);
    }

    private static string P(double v) => v.ToString("P1", CultureInfo.InvariantCulture);

    // The model folder a train command writes, for the message after Ctrl-C (its checkpoint is in the staging folder).
    private static string ModelOf(ParseResult parse, string name) =>
        TrainingFolders.CheckpointOf(parse.GetValue(ModelFolder) ?? Path.Combine(Folder(parse, name), "model"));

    private static (Tensor XTrain, Tensor YTrain, Tensor XTest, Tensor YTest) Fashion(ParseResult parse, int train, CancellationToken cancellation, int test = 10_000)
    {
        var store = new DataStore(DataStore.DefaultRoot(parse.GetValue(GlobalOptions.Data)));
        var dir = store.Require(DataCatalog.FashionMnist, m => AnsiConsole.MarkupLine("[grey]{0}[/]", Markup.Escape(m)), cancellation);
        var (trainImages, trainLabels) = FashionMnist.Read(dir, train: true);
        var (testImages, testLabels) = FashionMnist.Read(dir, train: false);
        using var rawTrain = ImageTensors.FromIdx(trainImages, train);
        if (test < 1) throw new ArgumentException($"--test-examples {test}: must be at least 1.");
        int tested = Math.Min(test, testImages.Count);
        using var rawTest = ImageTensors.FromIdx(testImages, tested);
        return (ImageTensors.Normalize(rawTrain, ImageTensors.FashionMean, ImageTensors.FashionStd), tensor(trainLabels.Take(train).Select(b => (long)b).ToArray()),
                ImageTensors.Normalize(rawTest, ImageTensors.FashionMean, ImageTensors.FashionStd), tensor(testLabels.Take(tested).Select(b => (long)b).ToArray()));
    }

    private static EmojiPairs Emoji(ParseResult parse, int seed, CancellationToken cancellation, int side = 32)
    {
        var store = new DataStore(DataStore.DefaultRoot(parse.GetValue(GlobalOptions.Data)));
        void Log(string m) => AnsiConsole.MarkupLine("[grey]{0}[/]", Markup.Escape(m));
        var twitter = store.Require(DataCatalog.Twemoji, Log, cancellation);
        var google = store.Require(DataCatalog.GoogleEmoji, Log, cancellation);
        return EmojiPairs.Load(twitter, google, [store.Check(DataCatalog.Twemoji).Manifest!, store.Check(DataCatalog.GoogleEmoji).Manifest!], side, 0, seed, cancellation);
    }

    internal static T WithBar<T>(ParseResult parse, long total, Func<Action<long, string>, T> run)
    {
        if (parse.GetValue(GlobalOptions.Quiet) || !AnsiConsole.Profile.Capabilities.Interactive) return run((_, _) => { });
        return AnsiConsole.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("training", maxValue: total);
                return run((step, text) =>
                {
                    task.Value = step;
                    task.Description = Markup.Escape(text);
                });
            });
    }

    private static int Guard(Func<int> action, string checkpoint) => CommandGuard.WithCheckpoint(action, checkpoint);

    private static int TrainGuard(Func<int> action, Func<string> checkpoint) => CommandGuard.Run(action,
        () => File.Exists(checkpoint()) ? $"The last checkpoint is {checkpoint()}; continue with --resume." : "No checkpoint was written yet.");

    private sealed class Reporter(Action<StepReport> report) : IProgress<StepReport>
    {
        public void Report(StepReport value) => report(value);
    }
}
