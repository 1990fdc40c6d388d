using Lineage.Neural.Transformers.Training;
using System.CommandLine;
using System.Globalization;
using Lineage.Data.Catalog;
using Lineage.Data.Corpora;
using Lineage.Data.Labelled;
using Lineage.Data.Lexicons;
using Lineage.Experiments.Transformers;
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Transformers;
using Lineage.Text.Tokenization;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Cli.Commands;

/// <summary>
/// <c>lineage t5 generate|eval</c> and <c>lineage bert|roberta generate|eval</c> on model folders in Hugging Face's layout
/// (the tour writes them: out/tour/transformers.t5/model, out/tour/transformers.bert/{bert,roberta}; so do the pretrain and
/// finetune commands of <see cref="TransformerTrainingCommands"/>, which these commands list).
/// </summary>
[CliCommand(90)]
internal static class EncoderDecoderCommands
{
    /// <summary>The top-level commands, in <c>lineage --help</c> order: bert, roberta, t5.</summary>
    public static IEnumerable<Command> CreateAll() => [Encoder("bert"), Encoder("roberta"), T5()];

    public static Command T5()
    {
        var model = new Option<string?>("--model", "-m") { Description = "T5 folder (config.json, model.safetensors, spiece.model); default: <out>/t5/multitask if 't5 finetune' wrote it, else the tour's <out>/tour/transformers.t5/model." };
        var input = new Option<string>("--input", "-i") { Description = "Input text with its task prefix, e.g. \"pronounce: l i n e a g e\" or \"tag: The dog ran .\".", Required = true };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most tokens to write.", DefaultValueFactory = _ => 40 };
        var generate = new Command("generate", "Write the answer to one text-to-text input (greedy decoding).") { model, input, maxTokens };
        generate.SetAction(parse => Guard(() =>
        {
            GlobalOptions.Torch(parse);
            var (t5, spm) = LoadT5(ModelFolder(parse, model, ["t5", "multitask"], ["tour", "transformers.t5", "model"]));
            using var _ = t5;
            var ids = spm.Encode(parse.GetValue(input)!);
            if (ids.Length <= 1) throw new ArgumentException("The input is empty.");
            Console.WriteLine(spm.Decode(t5.Generate([.. ids.Select(i => (long)i)], parse.GetValue(maxTokens), SentencePiece.PadId, SentencePiece.EosId)));
            return 0;
        }));

        var count = new Option<int>("--count", "-n") { Description = "Held-out examples per task.", DefaultValueFactory = _ => 200 };
        var eval = new Command("eval", "Held-out scores of a T5 folder on the tour's four tasks (pronounce, tag, classify, translate).") { model, count };
        eval.SetAction((parse, cancellation) => Task.Run(() => Guard(() =>
        {
            GlobalOptions.Torch(parse);
            var (t5, spm) = LoadT5(ModelFolder(parse, model, ["t5", "multitask"], ["tour", "transformers.t5", "model"]));
            using var _ = t5;
            var store = new DataStore(DataStore.DefaultRoot(parse.GetValue(GlobalOptions.Data)));
            var tasks = T5Multitask.LoadTasks(d => store.Require(d, m => AnsiConsole.MarkupLine("[grey]{0}[/]", Markup.Escape(m)), cancellation));
            var table = TransformerTrainingCommands.TaskTable(t5, spm, tasks, parse.GetValue(count), parse.GetValue(GlobalOptions.Seed), cancellation);
            AnsiConsole.Write(table);
            return 0;
        }), CancellationToken.None));
        return new Command("t5", "T5 (encoder-decoder, text to text): pretrain (span corruption), finetune (the tour's four tasks), generate, eval.")
        {
            TransformerTrainingCommands.T5Pretrain(), TransformerTrainingCommands.T5Finetune(), generate, eval,
        };
    }

    public static Command Encoder(string name)
    {
        bool roberta = name == "roberta";
        string maskText = roberta ? "<mask>" : "[MASK]";
        var model = new Option<string?>("--model", "-m") { Description = $"Encoder folder (config.json, model.safetensors and the tokenizer); default: <out>/{name} if '{name} pretrain' wrote it, else the tour's <out>/tour/transformers.bert/{name}." };
        var text = new Option<string>("--text") { Description = $"A sentence with {maskText} where a word is missing.", Required = true };
        var top = new Option<int>("--top") { Description = "Guesses to show per mask.", DefaultValueFactory = _ => 5 };
        var generate = new Command("generate", $"Fill in the {maskText} tokens of a sentence (the masked-LM head's top guesses).") { model, text, top };
        generate.SetAction(parse => Guard(() =>
        {
            GlobalOptions.Torch(parse);
            var (bert, vocab, decode) = LoadEncoder(ModelFolder(parse, model, [name], ["tour", "transformers.bert", name]), roberta, $"lineage {name} pretrain (or lineage tour --only transformers.bert)");
            using var _ = bert;
            var parts = parse.GetValue(text)!.Split(maskText);
            if (parts.Length < 2) throw new ArgumentException($"The text has no {maskText} to fill in.");
            var ids = new List<long> { vocab.Cls };
            var masks = new List<int>();
            for (int i = 0; i < parts.Length; i++)
            {
                if (i > 0) { masks.Add(ids.Count); ids.Add(vocab.Mask); }
                ids.AddRange(vocab.Encode(roberta && i > 0 ? " " + parts[i].TrimStart() : parts[i]).Select(x => (long)x));
            }

            ids.Add(vocab.Sep);
            if (ids.Count > bert.Config.MaxLength) throw new ArgumentException($"The text is {ids.Count} tokens; this model reads at most {bert.Config.MaxLength}.");
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            bert.eval();
            var logits = bert.MlmLogits(bert.forward(tensor(ids.ToArray()).unsqueeze(0)))[0];
            foreach (var (at, n) in masks.Select((m, n) => (m, n)))
            {
                var (values, indices) = logits[at].softmax(-1).topk(parse.GetValue(top));
                var guesses = indices.data<long>().ToArray().Zip(values.data<float>().ToArray(), (id, p) => $"{decode(id)} ({p:0.00})");
                Console.WriteLine($"{maskText} {n + 1}: {string.Join(", ", guesses)}");
            }

            return 0;
        }));

        var file = new Option<string?>("--file") { Description = "A UTF-8 text to score, one document per line (default: Brown's held-out part)." };
        var eval = new Command("eval", "Masked-LM loss and accuracy of an encoder folder on held-out text (15 % of tokens masked, fixed seed).") { model, file };
        eval.SetAction((parse, cancellation) => Task.Run(() => Guard(() =>
        {
            GlobalOptions.Torch(parse);
            var (bert, vocab, _) = LoadEncoder(ModelFolder(parse, model, [name], ["tour", "transformers.bert", name]), roberta, $"lineage {name} pretrain (or lineage tour --only transformers.bert)");
            using var _ = bert;
            IEnumerable<string> lines;
            if (parse.GetValue(file) is { } path)
            {
                if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
                lines = File.ReadLines(path);
            }
            else
            {
                var store = new DataStore(DataStore.DefaultRoot(parse.GetValue(GlobalOptions.Data)));
                var brown = BrownCorpus.Read(store.Require(DataCatalog.Brown, m => AnsiConsole.MarkupLine("[grey]{0}[/]", Markup.Escape(m)), cancellation));
                lines = brown.Documents.Where(d => LabelledTextSet.SplitKey(d.Id) < 0.1).SelectMany(d => d.Sentences).Select(s => string.Join(' ', s.Select(w => w.Word)));
            }

            var masker = new MlmMasking(vocab.Size, vocab.Mask, vocab.Specials, MaskingSchedule.Static, parse.GetValue(GlobalOptions.Seed));
            var examples = lines.Where(l => l.Trim().Length > 0).Take(2000)
                .Select(l => (long[])[vocab.Cls, .. vocab.Encode(l).Take(bert.Config.MaxLength - 2).Select(x => (long)x), vocab.Sep])
                .Select((ids, i) => masker.Mask(ids, i)).Where(m => m.Labels.Any(x => x >= 0)).ToList();
            if (examples.Count == 0) throw new ArgumentException("No text to score.");
            using var noGrad = no_grad();
            bert.eval();
            double loss = 0;
            long tokens = 0, right = 0;
            foreach (var m in examples)
            {
                cancellation.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var logits = bert.MlmLogits(bert.forward(tensor(m.Input).unsqueeze(0)))[0];
                var at = Enumerable.Range(0, m.Labels.Length).Where(i => m.Labels[i] >= 0).Select(i => (long)i).ToArray();
                var chosen = logits.index_select(0, tensor(at));
                var labels = tensor(at.Select(i => m.Labels[i]).ToArray());
                loss += nn.functional.cross_entropy(chosen, labels, reduction: nn.Reduction.Sum).item<float>();
                right += chosen.argmax(-1).eq(labels).sum().item<long>();
                tokens += at.Length;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"masked-LM loss {loss / tokens:0.000} nats per masked token, {100.0 * right / tokens:0.0} % guessed right, on {tokens:N0} masked tokens of {examples.Count:N0} texts"));
            return 0;
        }), CancellationToken.None));
        string title = roberta ? "RoBERTa" : "BERT";
        var command = new Command(name, $"{title} (encoder, masked-LM): pretrain, finetune (a classifier), generate (fill in masks), eval{(roberta ? "" : ", embed (sentence vectors)")}.")
        {
            TransformerTrainingCommands.EncoderPretrain(name), TransformerTrainingCommands.EncoderFinetune(name), generate, eval,
        };
        if (!roberta) command.Subcommands.Add(PretrainedCommand.Embed());
        return command;
    }

    internal static (T5 Model, SentencePiece Spm) LoadT5(string folder, string howToMake = "lineage tour --only transformers.t5")
    {
        if (!File.Exists(Path.Combine(folder, "config.json"))) throw new FileNotFoundException($"{folder}: no config.json; make one with: {howToMake}", folder);
        var spm = SentencePiece.Load(folder);
        var t5 = Lineage.Neural.Transformers.T5.Load(folder);
        if (t5.Config.VocabSize != spm.VocabSize)
        {
            t5.Dispose();
            throw new InvalidDataException($"{folder}: the model has {t5.Config.VocabSize} token ids but spiece.model {spm.VocabSize}.");
        }

        return (t5, spm);
    }

    internal static (Bert Model, EncoderVocabulary Vocab, Func<long, string> Decode) LoadEncoder(string folder, bool roberta, string howToMake = "lineage tour --only transformers.bert")
    {
        if (!File.Exists(Path.Combine(folder, "config.json"))) throw new FileNotFoundException($"{folder}: no config.json; make one with: {howToMake}", folder);
        var (bert, isRoberta) = Bert.Load(folder);
        try
        {
            if (isRoberta != roberta) throw new InvalidDataException($"{folder}: holds a {(isRoberta ? "RoBERTa" : "BERT")} model; use 'lineage {(isRoberta ? "roberta" : "bert")}'.");
            EncoderVocabulary vocab;
            Func<long, string> decode;
            if (roberta)
            {
                var bpe = ByteLevelBpe.Load(folder);
                vocab = EncoderVocabulary.Roberta(bpe);
                decode = id => id < bpe.VocabSize ? bpe.Decode([(int)id]).Trim() : $"<special {id}>";
            }
            else
            {
                var wp = WordPiece.Load(folder);
                vocab = EncoderVocabulary.Bert(wp);
                decode = id => wp.Vocabulary[(int)id];
            }

            if (vocab.Size != bert.Config.VocabSize) throw new InvalidDataException($"{folder}: the model has {bert.Config.VocabSize} token ids but the tokenizer {vocab.Size}.");
            return (bert, vocab, decode);
        }
        catch
        {
            bert.Dispose();
            throw;
        }
    }

    // --model when given; else the CLI's own folder under --out when it holds a model, else the tour's (whose absence
    // the loader then reports, naming the command that trains one).
    private static string ModelFolder(ParseResult parse, Option<string?> model, string[] cli, string[] tour)
    {
        if (parse.GetValue(model) is { } given) return given;
        string root = parse.GetValue(GlobalOptions.Out)!;
        string own = Path.Combine([root, .. cli]);
        return File.Exists(Path.Combine(own, "config.json")) ? own : Path.Combine([root, .. tour]);
    }

    private static int Guard(Func<int> action) => CommandGuard.Run(action, "");
}
