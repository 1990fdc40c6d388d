using Lineage.Neural.Transformers.Training;
using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Lineage.Data.Catalog;
using Lineage.Data.Corpora;
using Lineage.Data.Labelled;
using Lineage.Experiments.Transformers;
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Sequence;
using Lineage.Neural.Transformers;
using Lineage.Text.Tokenization;
using Spectre.Console;

namespace Lineage.Cli.Commands;

/// <summary>
/// <c>lineage bert|roberta pretrain|finetune</c> and <c>lineage t5 pretrain|finetune</c>: the tour's training functions
/// (<see cref="EncoderTraining"/>, <see cref="T5Pretraining"/>, <see cref="T5Multitask.Train"/>) on a folder in
/// Hugging Face's layout, with atomic checkpoints (Ctrl-C keeps the last one; --resume continues from it).
/// </summary>
internal static class TransformerTrainingCommands
{
    private const string CheckpointName = TrainingFolders.CheckpointName;

    /// <summary>Tokens kept per pre-training document, as in the experiment.</summary>
    private const int DocumentTokens = 256;

    private static readonly string[] EncoderTokenizerFiles = [WordPiece.FileName, "vocab.json", "merges.txt"];

    /// <summary><c>lineage bert|roberta pretrain</c>.</summary>
    public static Command EncoderPretrain(string name)
    {
        bool roberta = name == "roberta";
        var d = BertRobertaSettings.Default(0);
        var model = new Option<string?>("--model", "-m") { Description = $"Model folder to write (default: <out>/{name})." };
        var text = new Option<string?>("--text") { Description = "A UTF-8 text file; documents are its blank-line-separated paragraphs, the last 10 % held out (default: the SpamAssassin training e-mails and Brown, the training e-mails held out, as the tour)." };
        var steps = new Option<int>("--steps") { Description = "Training steps in all (a resumed run continues up to this).", DefaultValueFactory = _ => roberta ? d.RobertaSteps : d.BertSteps };
        var rate = new Option<double>("--lr") { Description = "Adam's learning rate.", DefaultValueFactory = _ => roberta ? 2 * d.BertLearningRate : d.BertLearningRate };
        var batch = new Option<int>("--batch") { Description = "Sequences per step.", DefaultValueFactory = _ => roberta ? 2 * d.BertBatch : d.BertBatch };
        var resume = new Option<bool>("--resume") { Description = "Continue from the folder's checkpoint (weights, optimiser, step) if there is one." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace the folder and all it holds (classifiers included), only once the new model is trained." };
        var vocab = new Option<int>("--vocab") { Description = roberta ? "Ids in all: byte-level BPE tokens plus <s>, <pad>, <mask>." : "WordPiece vocabulary size.", DefaultValueFactory = _ => d.Vocabulary };
        var layers = new Option<int>("--layers") { Description = "Encoder blocks.", DefaultValueFactory = _ => d.Layers };
        var heads = new Option<int>("--heads") { Description = "Attention heads.", DefaultValueFactory = _ => d.Heads };
        var dim = new Option<int>("--dim") { Description = "Width.", DefaultValueFactory = _ => d.Dim };
        var length = new Option<int>("--length") { Description = "Tokens per sequence, specials included.", DefaultValueFactory = _ => d.Length };
        string recipe = roberta ? "byte-level BPE, packed windows, masks drawn anew every step, no next-sentence prediction"
            : "WordPiece, sentence pairs with next-sentence prediction, masks drawn once (80/10/10)";
        var pretrain = new Command("pretrain", $"Train a vocabulary and a masked-LM encoder the {(roberta ? "RoBERTa" : "BERT")} way ({recipe}); checkpoints are atomic, Ctrl-C keeps the last one.")
        {
            model, text, steps, rate, batch, resume, overwrite, vocab, layers, heads, dim, length,
        };
        pretrain.SetAction((parse, token) => MainThread.Run(cancellation =>
        {
            var folder = parse.GetValue(model) ?? Path.Combine(parse.GetValue(GlobalOptions.Out)!, name);
            return Guard(() =>
            {
                GlobalOptions.Torch(parse);
                int seed = parse.GetValue(GlobalOptions.Seed);
                var (trainText, heldText) = EncoderTexts(parse, text, cancellation);
                var (work, resuming) = TrainingFolders.Start(folder, parse.GetValue(resume), parse.GetValue(overwrite));
                EncoderVocabulary v;
                if (roberta)
                {
                    var bpe = resuming && File.Exists(Path.Combine(work, "merges.txt"))
                        ? ByteLevelBpe.Load(work)
                        : GptCommand.Status("training the byte-level BPE vocabulary", () => ByteLevelBpe.Train(trainText, parse.GetValue(vocab) - 3, cancellation: cancellation));
                    if (!resuming) bpe.Save(work);
                    v = EncoderVocabulary.Roberta(bpe);
                }
                else
                {
                    var wp = resuming && File.Exists(Path.Combine(work, WordPiece.FileName))
                        ? WordPiece.Load(work)
                        : GptCommand.Status("training the WordPiece vocabulary", () => WordPiece.Train(trainText, work, parse.GetValue(vocab), cancellation: cancellation));
                    v = EncoderVocabulary.Bert(wp);
                }

                var r = roberta
                    ? EncoderRecipe.Roberta(v, parse.GetValue(batch), parse.GetValue(steps), parse.GetValue(rate))
                    : EncoderRecipe.Bert(v, parse.GetValue(batch), parse.GetValue(steps), parse.GetValue(rate));
                var data = GptCommand.Status(roberta ? "packing the documents" : "building sentence pairs and masks",
                    () => EncoderTraining.Prepare(r, trainText, heldText, parse.GetValue(length), DocumentTokens, seed));
                var config = r.Config(parse.GetValue(length), parse.GetValue(layers), parse.GetValue(heads), parse.GetValue(dim));
                Seeding.Seed(seed);
                using var bert = new Bert(config);
                var options = new StepTrainingOptions(r.Steps, r.LearningRate, GradClip: 1.0, EvaluateEvery: Math.Min(50, r.Steps),
                    CheckpointPath: Path.Combine(work, CheckpointName), CheckpointEvery: 50, Resume: resuming);
                AnsiConsole.MarkupLine("{0}: {1:N0} parameters, {2} {3:N0} ({4}), {5:N0} held-out examples; folder {6}", r.Name, bert.parameters().Sum(p => p.numel()),
                    v.Name, v.Size, roberta ? $"{data.TrainingSize:N0} training tokens" : $"{data.TrainingSize:N0} sentence pairs", data.HeldOutCount, Markup.Escape(folder));
                var history = Train(parse, options.Steps, progress => EncoderTraining.Pretrain(bert, data, options, progress, JsonSerializer.Serialize(config), cancellation));
                bert.Save(work, roberta, padId: (int)v.Pad);
                TrainingFolders.Finish(work, folder);
                var (mlm, nsp) = EncoderTraining.Evaluate(bert, data);
                AnsiConsole.MarkupLine("{0} steps in {1:0.0} s; held-out masked-LM loss {2} nats per masked token (uniform guessing: {3}){4}; wrote {5}",
                    history.Losses.Count, history.TrainSeconds, F(mlm, "0.000"), F(Math.Log(v.Size), "0.00"),
                    roberta ? "" : $", next-sentence accuracy {F(100 * nsp, "0.0")} %", Markup.Escape(Path.Combine(folder, "model.safetensors")));
                return 0;
            }, folder);
        }, token));
        return pretrain;
    }

    /// <summary><c>lineage bert|roberta finetune</c>.</summary>
    public static Command EncoderFinetune(string name)
    {
        bool roberta = name == "roberta";
        var d = BertRobertaSettings.Default(0);
        var model = new Option<string?>("--model", "-m") { Description = $"The pre-trained folder to start from (default: <out>/{name})." };
        var output = new Option<string?>("--out-model") { Description = "Where the fine-tuned classifier goes (default: <model>/classifier)." };
        var labelled = new Option<string?>("--labelled") { Description = "A UTF-8 file of 'label<TAB>text' lines, 20 % held out by a hash of the text (default: SpamAssassin, spam vs ham, with the encodings chapter's split)." };
        var steps = new Option<int>("--steps") { Description = "Fine-tuning steps in all (a resumed run continues up to this).", DefaultValueFactory = _ => d.FineTuneSteps };
        var rate = new Option<double>("--lr") { Description = "Adam's learning rate.", DefaultValueFactory = _ => d.FineTuneLearningRate };
        var batch = new Option<int>("--batch") { Description = "Texts per step.", DefaultValueFactory = _ => 32 };
        var resume = new Option<bool>("--resume") { Description = "Continue from the classifier's checkpoint (an interrupted run's, else the classifier folder's) if there is one." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace a classifier already in --out-model, only once the new one is trained." };
        var length = new Option<int?>("--length") { Description = "Tokens read per text, specials included (default: the model's maximum)." };
        var finetune = new Command("finetune", "Fine-tune a pre-trained folder with a classification head on its first token; reports held-out accuracy and writes the classifier in Hugging Face's sequence-classification layout (only when done: Ctrl-C keeps what was there).")
        {
            model, output, labelled, steps, rate, batch, resume, overwrite, length,
        };
        finetune.SetAction((parse, token) => MainThread.Run(cancellation =>
        {
            var folder = parse.GetValue(model) ?? Path.Combine(parse.GetValue(GlobalOptions.Out)!, name);
            var target = parse.GetValue(output) ?? Path.Combine(folder, "classifier");
            return Guard(() =>
            {
                GlobalOptions.Torch(parse);
                int seed = parse.GetValue(GlobalOptions.Seed);
                var (bert, v, _) = EncoderDecoderCommands.LoadEncoder(folder, roberta, $"lineage {name} pretrain");
                using var _ = bert;
                int tokens = parse.GetValue(length) ?? bert.Config.MaxLength;
                if (tokens < 3 || tokens > bert.Config.MaxLength) throw new ArgumentException($"--length {tokens}: this model reads 3 to {bert.Config.MaxLength} tokens.");
                LabelledTexts data;
                if (parse.GetValue(labelled) is { } path)
                {
                    if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
                    data = LabelledTexts.FromTsv(path);
                }
                else
                {
                    data = LabelledTexts.Spam(SpamAssassinReader.Read(Require(parse, DataCatalog.SpamAssassin, cancellation), bodyOnly: true));
                }

                var trainIds = data.TrainTexts.Select(t => EncoderTraining.ClassifierInput(v, t, tokens)).ToList();
                var testIds = data.TestTexts.Select(t => EncoderTraining.ClassifierInput(v, t, tokens)).ToList();
                var (work, resuming) = TrainingFolders.Start(target, parse.GetValue(resume), parse.GetValue(overwrite), other: "--out-model folder");
                Seeding.Seed(seed);
                var classifier = new EncoderClassifier(bert, data.Labels.Count);
                using var head = classifier.Head;
                var options = new StepTrainingOptions(parse.GetValue(steps), parse.GetValue(rate), GradClip: 1.0,
                    CheckpointPath: Path.Combine(work, CheckpointName), CheckpointEvery: 50, Resume: resuming);
                AnsiConsole.MarkupLine("{0} classifier: {1} labels ({2}), {3:N0} training and {4:N0} held-out texts of at most {5} tokens; from {6}",
                    roberta ? "RoBERTa" : "BERT", data.Labels.Count, Markup.Escape(string.Join(", ", data.Labels)), trainIds.Count, testIds.Count, tokens, Markup.Escape(folder));
                string configuration = JsonSerializer.Serialize(new { Encoder = bert.Config, data.Labels });
                var history = Train(parse, options.Steps, progress => EncoderTraining.FineTune(classifier, trainIds, data.TrainLabels, v.Pad, parse.GetValue(batch), seed,
                    options, null, progress, configuration, cancellation));
                double accuracy = EncoderTraining.Accuracy(classifier, testIds, data.TestLabels, v.Pad);
                double majority = data.TestLabels.GroupBy(x => x).Max(g => g.Count()) / (double)data.TestLabels.Count;
                bert.SaveClassifier(work, head, data.Labels, roberta, padId: (int)v.Pad);
                foreach (var file in EncoderTokenizerFiles.Where(f => File.Exists(Path.Combine(folder, f))))
                    File.Copy(Path.Combine(folder, file), Path.Combine(work, file), overwrite: true);
                TrainingFolders.Finish(work, target);
                AnsiConsole.MarkupLine("{0} steps in {1:0.0} s; held-out accuracy {2} % on {3:N0} texts (majority label: {4} %); wrote {5}",
                    history.Losses.Count, history.TrainSeconds, F(100 * accuracy, "0.0"), testIds.Count, F(100 * majority, "0.0"), Markup.Escape(Path.Combine(target, "model.safetensors")));
                return 0;
            }, target);
        }, token));
        return finetune;
    }

    /// <summary><c>lineage t5 pretrain</c>: span corruption on a text.</summary>
    public static Command T5Pretrain()
    {
        var m = T5MultitaskSettings.Default(0).Model;
        var model = new Option<string?>("--model", "-m") { Description = "Model folder to write (default: <out>/t5)." };
        var text = new Option<string?>("--text") { Description = "A UTF-8 text file, its last 10 % held out (default: the Brown corpus)." };
        var steps = new Option<int>("--steps") { Description = "Training steps in all (a resumed run continues up to this).", DefaultValueFactory = _ => 500 };
        var rate = new Option<double>("--lr") { Description = "Adam's peak learning rate (linear warm-up over the first 10 % of steps, at most 100).", DefaultValueFactory = _ => 1e-3 };
        var batch = new Option<int>("--batch") { Description = "Windows per step.", DefaultValueFactory = _ => 32 };
        var resume = new Option<bool>("--resume") { Description = "Continue from the folder's checkpoint (weights, optimiser, step) if there is one." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace the folder and all it holds (classifiers included), only once the new model is trained." };
        var vocab = new Option<int>("--vocab") { Description = "SentencePiece pieces, specials and sentinels included.", DefaultValueFactory = _ => 3000 };
        var (layers, heads, dim, hidden) = T5SizeOptions(m);
        var length = new Option<int>("--length") { Description = "Tokens per window before corruption (15 % of them dropped in spans of mean length 3).", DefaultValueFactory = _ => 64 };
        var pretrain = new Command("pretrain", "Train a SentencePiece vocabulary (with sentinels) and a T5 by span corruption on a text; checkpoints are atomic, Ctrl-C keeps the last one.")
        {
            model, text, steps, rate, batch, resume, overwrite, vocab, layers, heads, dim, hidden, length,
        };
        pretrain.SetAction((parse, token) => MainThread.Run(cancellation =>
        {
            var folder = parse.GetValue(model) ?? Path.Combine(parse.GetValue(GlobalOptions.Out)!, "t5");
            return Guard(() =>
            {
                GlobalOptions.Torch(parse);
                int seed = parse.GetValue(GlobalOptions.Seed), window = parse.GetValue(length), size = parse.GetValue(vocab);
                if (window < 4) throw new ArgumentException($"--length {window}: a window needs at least 4 tokens.");
                var (trainText, heldText) = GptCommand.Texts(parse, text, cancellation);   // a text split 90/10, or Brown, as `lineage gpt` reads it
                var (work, resuming) = TrainingFolders.Start(folder, parse.GetValue(resume), parse.GetValue(overwrite));
                int sentinels = Math.Max(T5Pretraining.SentinelsFor(window), Math.Min(100, size / 10));
                var spm = resuming && File.Exists(Path.Combine(work, SentencePiece.FileName))
                    ? SentencePiece.Load(work)
                    : GptCommand.Status("training the SentencePiece vocabulary (spm_train)", () => SentencePiece.Train(trainText.Split('\n'), work, size, sentinels, seed, cancellation));
                var train = GptCommand.Status("encoding the text", () => T5Pretraining.Stream(spm, trainText.Split('\n')));
                var held = T5Pretraining.Stream(spm, heldText.Split('\n'));
                var config = Size(parse, m, layers, heads, dim, hidden) with { VocabSize = spm.VocabSize };
                Seeding.Seed(seed);
                using var t5 = new T5(config);
                int steps_ = parse.GetValue(steps);
                var options = new StepTrainingOptions(steps_, parse.GetValue(rate), GradClip: 1.0, EvaluateEvery: Math.Min(50, steps_),
                    CheckpointPath: Path.Combine(work, CheckpointName), CheckpointEvery: 50, Resume: resuming, WarmupSteps: Math.Min(100, steps_ / 10));
                AnsiConsole.MarkupLine("T5: {0:N0} parameters, {1:N0} pieces ({2} sentinels), {3:N0} training tokens, {4:N0} held out; folder {5}",
                    t5.parameters().Sum(p => p.numel()), spm.VocabSize, spm.Sentinels, train.Length, held.Length, Markup.Escape(folder));
                var history = Train(parse, steps_, progress => T5Pretraining.Train(t5, spm, train, held, window, parse.GetValue(batch), seed, options, progress,
                    JsonSerializer.Serialize(config), cancellation));
                t5.Save(work);
                TrainingFolders.Finish(work, folder);
                var last = history.Evaluations.LastOrDefault();
                AnsiConsole.MarkupLine("{0} steps in {1:0.0} s; held-out span-corruption loss {2} nats per target token; wrote {3}", history.Losses.Count, history.TrainSeconds,
                    last is null ? "–" : F(last.Value, "0.000"), Markup.Escape(Path.Combine(folder, "model.safetensors")));
                return 0;
            }, folder);
        }, token));
        return pretrain;
    }

    /// <summary><c>lineage t5 finetune</c>: the tour's multitask text-to-text training, from a pre-trained folder or from scratch.</summary>
    public static Command T5Finetune()
    {
        var d = T5MultitaskSettings.Default(0);
        var model = new Option<string?>("--model", "-m") { Description = "The pre-trained T5 folder to start from (default: <out>/t5; ignored with --scratch)." };
        var output = new Option<string?>("--out-model") { Description = "Where the fine-tuned folder goes (default: <model>/multitask)." };
        var scratch = new Option<bool>("--scratch") { Description = "Start from random weights with a vocabulary trained on the tasks' text and span corruption on their text first, as the tour does." };
        var pretrainSteps = new Option<int>("--pretrain-steps") { Description = "With --scratch: span-corruption steps on the tasks' text before the task steps (0: none).", DefaultValueFactory = _ => d.PretrainSteps };
        var steps = new Option<int>("--steps") { Description = "Task steps (a resumed run continues up to this).", DefaultValueFactory = _ => d.Steps };
        var rate = new Option<double>("--lr") { Description = "Adam's peak learning rate (warm-up over 10 % of the steps, at most 100, then a cosine decay).", DefaultValueFactory = _ => d.LearningRate };
        var batch = new Option<int>("--batch") { Description = "Examples per step (one task per step).", DefaultValueFactory = _ => d.Batch };
        var resume = new Option<bool>("--resume") { Description = "Continue from the output's checkpoint (an interrupted run's, else the output folder's) if there is one." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace a model already in --out-model, only once the new one is trained." };
        var vocab = new Option<int>("--vocab") { Description = "SentencePiece pieces (with --scratch).", DefaultValueFactory = _ => d.Vocabulary };
        var (layers, heads, dim, hidden) = T5SizeOptions(d.Model);
        var count = new Option<int>("--count", "-n") { Description = "Held-out examples scored per task at the end.", DefaultValueFactory = _ => 200 };
        var finetune = new Command("finetune", "Train a T5 on the tour's four text-to-text tasks (pronounce, tag, classify, translate) mixed in turns; reports each task's held-out score. The output folder is written only when done (Ctrl-C keeps what was there).")
        {
            model, output, scratch, pretrainSteps, steps, rate, batch, resume, overwrite, vocab, layers, heads, dim, hidden, count,
        };
        finetune.SetAction((parse, token) => MainThread.Run(cancellation =>
        {
            var folder = parse.GetValue(model) ?? Path.Combine(parse.GetValue(GlobalOptions.Out)!, "t5");
            var target = parse.GetValue(output) ?? Path.Combine(folder, "multitask");
            return Guard(() =>
            {
                GlobalOptions.Torch(parse);
                int seed = parse.GetValue(GlobalOptions.Seed), steps_ = parse.GetValue(steps);
                bool fromScratch = parse.GetValue(scratch);
                int pretraining = fromScratch ? parse.GetValue(pretrainSteps) : 0;   // a pre-trained folder has had its span corruption
                if (pretraining < 0) throw new ArgumentException($"--pretrain-steps {pretraining}: must be 0 or more.");
                var settings = d with { Seed = seed, Steps = steps_, LearningRate = parse.GetValue(rate), Batch = parse.GetValue(batch), Evaluated = parse.GetValue(count), PretrainSteps = pretraining };
                T5? pretrained = null;
                SentencePiece? spm = null;
                if (!fromScratch) (pretrained, spm) = EncoderDecoderCommands.LoadT5(folder, "lineage t5 pretrain");
                try
                {
                    var tasks = GptCommand.Status("reading CMUdict, Brown, SpamAssassin and the LibreOffice help", () => T5Multitask.LoadTasks(spec => Require(parse, spec, cancellation)));
                    var (work, resuming) = TrainingFolders.Start(target, parse.GetValue(resume), parse.GetValue(overwrite), other: "--out-model folder");
                    if (fromScratch)
                    {
                        spm = resuming && File.Exists(Path.Combine(work, SentencePiece.FileName))
                            ? SentencePiece.Load(work)
                            : GptCommand.Status("training the SentencePiece vocabulary (spm_train)", () => T5Multitask.TrainVocabulary(tasks, work, parse.GetValue(vocab), seed, cancellation, settings.Sentinels));
                        Seeding.Seed(seed);
                    }
                    else if (!string.Equals(Path.GetFullPath(spm!.Path), Path.GetFullPath(Path.Combine(work, SentencePiece.FileName)), StringComparison.Ordinal))
                    {
                        File.Copy(spm.Path, Path.Combine(work, SentencePiece.FileName), overwrite: true);
                    }

                    using var t5 = pretrained ?? new T5(Size(parse, d.Model, layers, heads, dim, hidden) with { VocabSize = spm!.VocabSize });
                    pretrained = null;   // owned by t5 now
                    var options = T5Multitask.Options(settings, Path.Combine(work, CheckpointName), resuming) with { CheckpointEvery = 50 };
                    AnsiConsole.MarkupLine("T5: {0:N0} parameters, {1:N0} pieces, {2}; training pairs {3}; folder {4}", t5.parameters().Sum(p => p.numel()), spm!.VocabSize,
                        fromScratch ? "from scratch" : $"from {Markup.Escape(folder)}", string.Join(", ", tasks.Select(t => $"{t.Name} {t.Train.Count:N0}")), Markup.Escape(target));
                    var history = Train(parse, options.Steps, progress => T5Multitask.Train(t5, spm, tasks, settings, options, progress, JsonSerializer.Serialize(t5.Config), cancellation));
                    t5.Save(work);
                    TrainingFolders.Finish(work, target);
                    AnsiConsole.MarkupLine("{0} steps in {1:0.0} s; wrote {2}", history.Losses.Count, history.TrainSeconds, Markup.Escape(Path.Combine(target, "model.safetensors")));
                    AnsiConsole.Write(TaskTable(t5, spm, tasks, settings.Evaluated, seed, cancellation));
                }
                finally
                {
                    pretrained?.Dispose();
                }

                return 0;
            }, target);
        }, token));
        return finetune;
    }

    /// <summary>Held-out scores of a T5 on each task, as a table (shared with <c>lineage t5 eval</c>).</summary>
    public static Table TaskTable(T5 t5, SentencePiece spm, IReadOnlyList<TextTask> tasks, int count, int seed, CancellationToken cancellation)
    {
        var settings = T5MultitaskSettings.Default(seed);
        var table = new Table().AddColumns("prefix", "held out", "score", "baseline");
        foreach (var task in tasks)
        {
            cancellation.ThrowIfCancellationRequested();
            var test = T5Multitask.Sample(task.Test, count, settings.Seed);
            var score = T5Multitask.Score(task.Name, test, T5Multitask.Generate(t5, spm, test, settings), T5Multitask.CommonTarget(task), task.Train);
            table.AddRow(Markup.Escape(task.Prefix), test.Count.ToString(CultureInfo.InvariantCulture), Markup.Escape(score.Headline), Markup.Escape(score.Baseline));
        }

        return table;
    }

    private static (Option<int> Layers, Option<int> Heads, Option<int> Dim, Option<int> Hidden) T5SizeOptions(T5Config m) =>
        (new Option<int>("--layers") { Description = "Encoder and decoder blocks (each).", DefaultValueFactory = _ => m.Layers },
         new Option<int>("--heads") { Description = "Attention heads.", DefaultValueFactory = _ => m.Heads },
         new Option<int>("--dim") { Description = "Width.", DefaultValueFactory = _ => m.Dim },
         new Option<int>("--hidden") { Description = "Feed-forward width.", DefaultValueFactory = _ => m.Hidden });

    private static T5Config Size(ParseResult parse, T5Config m, Option<int> layers, Option<int> heads, Option<int> dim, Option<int> hidden) =>
        m with { Layers = parse.GetValue(layers), Heads = parse.GetValue(heads), Dim = parse.GetValue(dim), Hidden = parse.GetValue(hidden) };

    // The step trainer under the CLI's progress bar (none when quiet or not interactive).
    private static StepHistory Train(ParseResult parse, int steps, Func<IProgress<StepReport>?, StepHistory> train) =>
        VisionCommand.WithBar(parse, steps, report => train(new Progress<StepReport>(r => report(r.Step, "training"))));

    // Pre-training documents for the encoders: with --text, its paragraphs cut into pieces of DocumentTokens / 2 words, the
    // last 10 % held out; otherwise the tour's text (the SpamAssassin training e-mails and Brown; held out: the other e-mails).
    private static (List<string> Train, List<string> HeldOut) EncoderTexts(ParseResult parse, Option<string?> textOption, CancellationToken cancellation)
    {
        if (parse.GetValue(textOption) is { } path)
        {
            var all = GptCommand.ReadText(path);
            var documents = all.Replace("\r", "", StringComparison.Ordinal).Split("\n\n")
                .SelectMany(p => p.Split((char[])[' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries).Chunk(DocumentTokens / 2).Select(w => string.Join(' ', w)))
                .Where(p => p.Length > 0).ToList();
            int held = Math.Max(1, documents.Count / 10);
            if (documents.Count < 2) throw new ArgumentException($"{path}: too little text (one document); give it more paragraphs.");
            return (documents[..^held], documents[^held..]);
        }

        var spam = LabelledTexts.Spam(SpamAssassinReader.Read(Require(parse, DataCatalog.SpamAssassin, cancellation), bodyOnly: true));
        var brown = BrownCorpus.Read(Require(parse, DataCatalog.Brown, cancellation));
        var train = spam.TrainTexts.Concat(brown.Documents.Select(d => string.Join(' ', d.Sentences.SelectMany(x => x).Select(w => w.Word))))
            .Select(t => TextToTextTasks.FirstWords(t, DocumentTokens)).ToList();
        return (train, [.. spam.TestTexts.Select(t => TextToTextTasks.FirstWords(t, DocumentTokens))]);
    }

    private static string Require(ParseResult parse, DatasetSpec spec, CancellationToken cancellation) =>
        new DataStore(DataStore.DefaultRoot(parse.GetValue(GlobalOptions.Data))).Require(spec, m => AnsiConsole.MarkupLine("[grey]{0}[/]", Markup.Escape(m)), cancellation);

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static int Guard(Func<int> action, string folder) => CommandGuard.Run(action,
        () => File.Exists(TrainingFolders.CheckpointOf(folder)) ? $"The last checkpoint is {TrainingFolders.CheckpointOf(folder)}; continue with --resume." : "No checkpoint was written yet.");
}
