// Our side of bench/pytorch/compare.sh: one of the tour's four trained networks (GPT byte-LM, LSTM byte-LM, ViT, CLIP),
// built and seeded as the tour builds it, trained for N steps through the library's own trainer (StepTrainer for the
// language models and CLIP, ScheduledTrainer for ViT: what `lineage` runs), on batches fixed in advance. Before training
// it writes the initial weights (safetensors, our parameter names) and the batches, so that bench/pytorch/twins.py can
// train PyTorch's twin of the same network from the same weights on the same batches. Prints one JSON line.
//
//   dotnet bench/pytorch/Lineage.Twins.Benchmarks/bin/Release/net10.0/Lineage.Twins.Benchmarks.dll MODEL DIR [STEPS] [WARMUP]
//
// Throughput counts the steps after WARMUP (their first steps allocate), from the trainer's progress reports, which
// come after each step's loss has reached the host; peak RSS is the process's VmHWM.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Multimodal;
using Lineage.Neural.Sequence;
using Lineage.Neural.Transformers;
using Lineage.Neural.Vision;
using TorchSharp;
using static TorchSharp.torch;

if (args.Length < 2 || !Twins.Models.Contains(args[0]))
{
    Console.Error.WriteLine($"usage: Lineage.Twins.Benchmarks {{{string.Join('|', Twins.Models)}}} DIR [STEPS] [WARMUP]");
    return 2;
}

int steps = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 30;
int warmup = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 5;
Directory.CreateDirectory(args[1]);
Console.WriteLine(Twins.Run(args[0], args[1], steps, warmup).ToJsonString());
return 0;

/// <summary>The four networks and how each is trained.</summary>
internal static class Twins
{
    public static readonly string[] Models = ["gpt", "lstm", "vit", "clip"];

    private const int Seed = 1337;
    private const int ClipVocab = 512;   // the emoji captions' word vocabulary is of this order; its size only sets the embedding rows

    public static JsonObject Run(string model, string dir, int steps, int warmup)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, warmup + 2);
        var data = new Random(Seed);
        var spec = new JsonObject { ["model"] = model, ["steps"] = steps, ["warmup"] = warmup, ["seed"] = Seed };
        var stamps = new Stamps();
        StepHistory? history = null;
        List<double> losses;
        long perStep;
        string unit;
        switch (model)
        {
            case "gpt":
            case "lstm":
            {
                // The sequence chapter's batches: 16 windows of 192 bytes, Adam 3e-3, clip 1; one libtorch thread (its ThreadCap).
                const int batch = 16, length = 192;
                torch.set_num_threads(1);
                nn.Module<Tensor, Tensor> net;
                if (model == "gpt")
                {
                    var config = new GptConfig(VocabSize: 256, ContextLength: 256, Layers: 4, Heads: 4, Dim: 64, Dropout: 0);   // GptByteSettings.Default
                    Seeding.Seed(Seed);
                    net = new Gpt(config);
                    spec["config"] = JsonSerializer.SerializeToNode(config);
                }
                else
                {
                    var lm = ByteLmSpec.ForRecurrent(CellKind.Lstm, embedding: 48, hidden: 192, layers: 1, batch, length, Seed);   // ByteLmSettings.Default
                    net = lm.Create();
                    spec["config"] = new JsonObject { ["embedding"] = 48, ["hidden"] = 192 };
                }
                var x = new long[steps * batch * length];
                var y = new long[x.Length];
                var text = new byte[1 << 20];
                data.NextBytes(text);
                for (int i = 0; i < steps * batch; i++)
                {
                    int start = data.Next(text.Length - length - 1);
                    for (int t = 0; t < length; t++)
                    {
                        x[i * length + t] = text[start + t];
                        y[i * length + t] = text[start + t + 1];
                    }
                }
                using var xs = tensor(x, [steps, batch, length]);
                using var ys = tensor(y, [steps, batch, length]);
                spec.Merge(new() { ["threads"] = 1, ["batch"] = batch, ["length"] = length, ["lr"] = 3e-3, ["clip"] = 1.0 });
                Export(dir, model, net, new() { ["x"] = xs, ["y"] = ys }, spec);
                history = StepTrainer.Train(net, s => ByteLm.Loss(net.forward(xs[s]), ys[s]), new StepTrainingOptions(steps, 3e-3, GradClip: 1.0), progress: stamps);
                (perStep, unit) = (batch * length, "tokens");
                net.Dispose();
                break;
            }
            case "vit":
            {
                // VitSettings.Default: patch 4, width 64, 4 blocks, 4 heads, MLP ×2; AdamW 2e-3 (wd 0.05), 300 warm-up steps, batch 128; two threads.
                const int batch = 128;
                torch.set_num_threads(2);
                var config = new VitConfig(Patch: 4, Dim: 64, Layers: 4, Heads: 4, MlpRatio: 2);
                Seeding.Seed(Seed);
                using var vit = new Vit(config);
                long n = (long)steps * batch;
                using var images = rand([n, 1, 28, 28], generator: new Generator(Seed));
                using var labels = randint(0, 10, [n], generator: new Generator(Seed + 1));
                var options = new ClassifierTrainingOptions(Epochs: 1, BatchSize: batch, LearningRate: 2e-3, WeightDecay: 0.05, Seed: Seed);
                // ScheduledTrainer's order for epoch 1, written out for the twin.
                var order = Enumerable.Range(0, (int)n).Select(i => (long)i).ToArray();
                new Random(options.Seed + 1).Shuffle(order);
                using var orderTensor = tensor(order);
                spec.Merge(new() { ["threads"] = 2, ["batch"] = batch, ["lr"] = 2e-3, ["weight_decay"] = 0.05, ["warmup_steps"] = 300, ["config"] = JsonSerializer.SerializeToNode(config) });
                Export(dir, model, vit, new() { ["images"] = images, ["labels"] = labels, ["order"] = orderTensor }, spec);
                using var testX = images.narrow(0, 0, batch);
                using var testY = labels.narrow(0, 0, batch);
                var trained = ScheduledTrainer.Train(vit, images, labels, testX, testY, options, warmupSteps: 300, progress: stamps, maxSteps: steps);
                losses = trained.StepLosses;
                (perStep, unit) = (batch, "images");
                return Report(spec, stamps, losses, perStep, unit, warmup);
            }
            default:
            {
                // ContrastiveSettings.Default: 32 × 32 RGB, patch 4, width 48, 2 + 2 blocks, context 16, E 48; Adam 2e-3, clip 1, batch 128; two threads.
                const int batch = 128, context = 16;
                torch.set_num_threads(2);
                var config = new DualEncoderConfig(new VitConfig(ImageSize: 32, Channels: 3, Patch: 4, Dim: 48, Layers: 2, Heads: 4, MlpRatio: 2, Classes: 0),
                    new TextConfig(ClipVocab, context, 48, 2, 4), 48, ContrastiveObjective.Clip);
                Seeding.Seed(Seed);
                using var clip = new DualEncoder(config);
                using var images = rand([steps, batch, 3, 32, 32], generator: new Generator(Seed));
                var ids = new long[steps * batch * context];
                for (int i = 0; i < steps * batch; i++)
                {
                    int words = data.Next(1, context - 1);                      // [BOS] words [EOS] [PAD]…
                    ids[i * context] = CaptionTokenizer.Bos;
                    for (int w = 1; w <= words; w++) ids[i * context + w] = data.Next(4, ClipVocab);
                    ids[i * context + words + 1] = CaptionTokenizer.Eos;
                }
                using var idTensor = tensor(ids, [steps, batch, context]);
                spec.Merge(new() { ["threads"] = 2, ["batch"] = batch, ["lr"] = 2e-3, ["clip"] = 1.0, ["config"] = JsonSerializer.SerializeToNode(config) });
                Export(dir, model, clip, new() { ["images"] = images, ["ids"] = idTensor }, spec);
                history = ContrastiveTrainer.Train(clip, s => (images[s], idTensor[s]), new StepTrainingOptions(steps, 2e-3, GradClip: 1.0), progress: stamps);
                (perStep, unit) = (batch, "images");
                break;
            }
        }

        losses = history!.Losses;
        return Report(spec, stamps, losses, perStep, unit, warmup);
    }

    private static JsonObject Report(JsonObject spec, Stamps stamps, List<double> losses, long perStep, string unit, int warmup)
    {
        int steps = losses.Count;
        double seconds = stamps.Seconds[steps - 1] - stamps.Seconds[warmup - 1];
        return new JsonObject
        {
            ["impl"] = "lineage",
            ["model"] = spec["model"]!.GetValue<string>(),
            ["threads"] = torch.get_num_threads(),
            ["steps"] = steps,
            ["unit"] = unit,
            ["per_second"] = (steps - warmup) * perStep / seconds,
            ["ms_per_step"] = 1000 * seconds / (steps - warmup),
            ["loss_first"] = losses[0],
            ["loss_last"] = losses[^1],
            ["peak_rss_mib"] = PeakMemory.Peak() / 1048576.0,
        };
    }

    // Initial weights under our parameter names, the batches, and the settings, for twins.py.
    private static void Export(string dir, string model, nn.Module net, Dictionary<string, Tensor> batches, JsonObject spec)
    {
        File.WriteAllText(Path.Combine(dir, $"{model}.json"), spec.ToJsonString());
        var weights = net.state_dict().ToDictionary(p => p.Key, p => p.Value);
        Safetensors.Save(Path.Combine(dir, $"{model}.init.safetensors"), weights);
        Safetensors.Save(Path.Combine(dir, $"{model}.batches.safetensors"), batches);
    }

    private static void Merge(this JsonObject target, JsonObject source)
    {
        foreach (var (k, v) in source.ToList())
        {
            source.Remove(k);
            target[k] = v;
        }
    }

    /// <summary>The wall-clock time of each step's report (after its loss reached the host).</summary>
    private sealed class Stamps : IProgress<StepReport>
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        public List<double> Seconds { get; } = [];

        public void Report(StepReport value) => Seconds.Add(_clock.Elapsed.TotalSeconds);
    }
}
