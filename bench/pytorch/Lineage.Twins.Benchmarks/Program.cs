// Our side of bench/pytorch/compare.sh: one of the tour's four trained networks (GPT byte-LM, LSTM byte-LM, ViT, CLIP),
// built and seeded as the tour builds it, trained for N steps through the library's own trainer (StepTrainer for the
// language models and CLIP, ScheduledTrainer for ViT: what `lineage` runs), on batches fixed in advance. Before training
// it writes the initial weights (safetensors, our parameter names) and the batches, so that bench/pytorch/twins.py can
// train PyTorch's twin of the same network from the same weights on the same batches. Prints one JSON line.
//
//   dotnet bench/pytorch/Lineage.Twins.Benchmarks/bin/Release/net10.0/Lineage.Twins.Benchmarks.dll MODEL DIR [STEPS] [WARMUP]
//   dotnet …/Lineage.Twins.Benchmarks.dll ops [REPEATS] [THREADS]   the GPT and ViT steps' ops one by one (twins.py ops: PyTorch's)
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

if (args.Length >= 1 && args[0] == "ops")
{
    Console.WriteLine(Twins.Ops(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20,
        args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1).ToJsonString());
    return 0;
}
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

    private static int EnvInt(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), CultureInfo.InvariantCulture, out int value) && value > 0 ? value : fallback;

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
                // TWINS_BATCH and TWINS_LENGTH change the shape (bench/scale/run.sh: the step against batch and context).
                int batch = EnvInt("TWINS_BATCH", 16), length = EnvInt("TWINS_LENGTH", 192);
                torch.set_num_threads(1);
                nn.Module<Tensor, Tensor> net;
                if (model == "gpt")
                {
                    var config = new GptConfig(VocabSize: 256, ContextLength: Math.Max(256, length), Layers: 4, Heads: 4, Dim: 64, Dropout: 0);   // GptByteSettings.Default
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
                (perStep, unit) = (batch * length, "tokens");
                if (Phased)
                {
                    var report = Phases(net, s => ByteLm.Loss(net.forward(xs[s]), ys[s]), optim.Adam(net.parameters(), 3e-3), 1.0, steps, warmup, null);
                    net.Dispose();
                    return Finish(report, spec, perStep, unit);
                }
                history = StepTrainer.Train(net, s => ByteLm.Loss(net.forward(xs[s]), ys[s]), new StepTrainingOptions(steps, 3e-3, GradClip: 1.0), progress: stamps);
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
                if (Phased)
                {
                    var adamW = optim.AdamW(vit.parameters(), 2e-3, weight_decay: 0.05);
                    var report = Phases(vit, s =>
                    {
                        using var index = orderTensor.narrow(0, s * batch, batch);
                        return nn.functional.cross_entropy(vit.forward(images.index_select(0, index)), labels.index_select(0, index));
                    }, adamW, 0, steps, warmup, s => { foreach (var group in adamW.ParamGroups) group.LearningRate = LearningRateSchedule.Warmup(s, 300, 2e-3); });
                    return Finish(report, spec, batch, "images");
                }
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
                if (Phased)
                    return Finish(Phases(clip, s => clip.Loss(images[s], idTensor[s]), optim.Adam(clip.parameters(), 2e-3), 1.0, steps, warmup, null), spec, batch, "images");
                history = ContrastiveTrainer.Train(clip, s => (images[s], idTensor[s]), new StepTrainingOptions(steps, 2e-3, GradClip: 1.0), progress: stamps);
                (perStep, unit) = (batch, "images");
                break;
            }
        }

        losses = history!.Losses;
        return Report(spec, stamps, losses, perStep, unit, warmup);
    }

    /// <summary>
    /// The tour GPT's ops at its shapes (B 16, T 192, C 64, 4 heads) and the ViT's, on <paramref name="threads"/>
    /// threads, each forward + backward (the output dotted with a fixed gradient, then backward), mean milliseconds over
    /// <paramref name="repeats"/> after 3 warm-ups.
    /// </summary>
    public static JsonObject Ops(int repeats, int threads)
    {
        torch.set_num_threads(threads);
        const int b = 16, t = 192, c = 64, h = 4;
        var g = new Generator(Seed);
        Tensor R(params long[] shape) => randn(shape, generator: g).requires_grad_();
        var x = R(b * t, c); var wQkv = R(c, 3 * c); var bQkv = R(3 * c); var wFc = R(c, 4 * c); var bFc = R(4 * c);
        var x4 = R(b * t, 4 * c); var wProj = R(4 * c, c); var bProj = R(c);
        var x3 = R(b, t, c); var lnW = R(c); var lnB = R(c); var u = R(b, t, 4 * c);
        var qkv = R(b, t, 3 * c); var wte = R(256, c);
        var targets = randint(0, 256, [b * t], generator: g);
        // The tour ViT's (batch 128, 50 tokens of 64, 4 heads, MLP 128), for the same table.
        var images = randn([128, 1, 28, 28], generator: g); var patchW = R(64, 1, 4, 4); var patchB = R(64);
        var vx = R(128 * 50, 64); var vw = R(64, 64); var vb = R(64); var vu = R(128, 50, 128); var vq = R(128, 50, 3 * 64);
        var ops = new (string Name, Func<Tensor> Run)[]
        {
            ("mm only 3072x64 . 64x192", () => { using (no_grad()) { for (int i = 0; i < 10; i++) mm(x, wQkv).Dispose(); } return zeros(1).requires_grad_(); }),
            ("mm only 3072x256 . 256x64", () => { using (no_grad()) { for (int i = 0; i < 10; i++) mm(x4, wProj).Dispose(); } return zeros(1).requires_grad_(); }),
            ("mm only 64x3072 . 3072x256", () => { using (no_grad()) { for (int i = 0; i < 10; i++) mm(x.t(), x4).Dispose(); } return zeros(1).requires_grad_(); }),
            ("addmm 3072x64 . 64x192", () => addmm(bQkv, x, wQkv, 1, 1)),
            ("addmm 3072x64 . 64x256", () => addmm(bFc, x, wFc, 1, 1)),
            ("addmm 3072x256 . 256x64", () => addmm(bProj, x4, wProj, 1, 1)),
            ("layer_norm 16x192x64", () => nn.functional.layer_norm(x3, [c], lnW, lnB)),
            ("gelu tanh 16x192x256", () => nn.functional.gelu(u, TorchSharp.Modules.GELU.Approximate.tanh)),
            ("sdpa causal 16x4x192x16", () =>
            {
                var parts = qkv.reshape(b, t, 3, h, c / h).permute(2, 0, 3, 1, 4);
                return nn.functional.scaled_dot_product_attention(parts[0], parts[1], parts[2], null, 0, true).transpose(1, 2).reshape(b, t, c);
            }),
            ("tied logits + cross_entropy", () => nn.functional.cross_entropy(nn.functional.linear(x, wte), targets)),
            ("vit conv2d patch 128x1x28x28 -> 64", () => nn.functional.conv2d(images, patchW, patchB, strides: [4, 4])),
            ("vit linear 6400x64 . 64x64", () => nn.functional.linear(vx, vw, vb)),
            ("vit gelu 128x50x128", () => nn.functional.gelu(vu)),
            ("vit sdpa 128x4x50x16", () =>
            {
                var parts = vq.reshape(128, 50, 3, 4, 16).permute(2, 0, 3, 1, 4);
                return nn.functional.scaled_dot_product_attention(parts[0], parts[1], parts[2], null, 0, false);
            }),
        };
        var result = new JsonObject();
        var clock = new Stopwatch();
        foreach (var (name, run) in ops)
        {
            double total = 0;
            for (int i = 0; i < repeats + 3; i++)
            {
                using var scope = NewDisposeScope();
                clock.Restart();
                var y = run();
                var loss = (y * ones_like(y)).sum();
                loss.backward();
                if (i >= 3) total += clock.Elapsed.TotalMilliseconds;
            }
            result[name] = total / repeats;
        }
        return new JsonObject { ["impl"] = "lineage", ["ops_ms"] = result };
    }

    /// <summary>TWINS_PHASES=1: the same steps written out (StepTrainer's order), each phase timed, instead of the trainer.</summary>
    private static bool Phased => Environment.GetEnvironmentVariable("TWINS_PHASES") == "1";

    private static readonly string[] PhaseNames = ["zero_grad", "forward", "backward", "clip", "step", "item"];

    // Mean milliseconds per phase over the steps after the warm-up; libtorch's CPU ops return when done, so each phase's
    // time is its own.
    private static JsonObject Phases(nn.Module model, Func<long, Tensor> loss, optim.Optimizer optimizer, double clip, int steps, int warmup, Action<long>? before)
    {
        var totals = new double[PhaseNames.Length];
        var losses = new List<double>();
        var clock = new Stopwatch();
        model.train();
        for (long s = 0; s < steps; s++)
        {
            before?.Invoke(s);
            var times = new double[PhaseNames.Length];
            double value = NoGcRegion.Run(() =>
            {
                using var scope = NewDisposeScope();
                clock.Restart();
                optimizer.zero_grad();
                times[0] = clock.Elapsed.TotalMilliseconds;
                var l = loss(s);
                times[1] = clock.Elapsed.TotalMilliseconds;
                l.backward();
                times[2] = clock.Elapsed.TotalMilliseconds;
                if (clip > 0) nn.utils.clip_grad_norm_(model.parameters(), clip);
                times[3] = clock.Elapsed.TotalMilliseconds;
                optimizer.step();
                times[4] = clock.Elapsed.TotalMilliseconds;
                double v = l.item<float>();
                times[5] = clock.Elapsed.TotalMilliseconds;
                return v;
            });
            losses.Add(value);
            if (s < warmup) continue;
            for (int i = 0; i < times.Length; i++) totals[i] += times[i] - (i == 0 ? 0 : times[i - 1]);
        }
        var phases = new JsonObject();
        for (int i = 0; i < PhaseNames.Length; i++) phases[PhaseNames[i]] = totals[i] / (steps - warmup);
        return new JsonObject { ["phases_ms"] = phases, ["ms_per_step"] = totals.Sum() / (steps - warmup), ["loss_first"] = losses[0], ["loss_last"] = losses[^1] };
    }

    private static JsonObject Finish(JsonObject phases, JsonObject spec, long perStep, string unit)
    {
        double ms = phases["ms_per_step"]!.GetValue<double>();
        return new JsonObject
        {
            ["impl"] = "lineage",
            ["model"] = spec["model"]!.GetValue<string>(),
            ["threads"] = torch.get_num_threads(),
            ["steps"] = spec["steps"]!.GetValue<int>(),
            ["unit"] = unit,
            ["per_second"] = perStep * 1000 / ms,
            ["ms_per_step"] = ms,
            ["loss_first"] = phases["loss_first"]!.GetValue<double>(),
            ["loss_last"] = phases["loss_last"]!.GetValue<double>(),
            ["peak_rss_mib"] = PeakMemory.Peak() / 1048576.0,
            ["phases_ms"] = phases["phases_ms"]!.DeepClone(),
        };
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
            ["cpu_ms_per_step"] = 1000 * (stamps.CpuSeconds[steps - 1] - stamps.CpuSeconds[warmup - 1]) / (steps - warmup),
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

    /// <summary>The wall-clock and process CPU time of each step's report (after its loss reached the host).</summary>
    private sealed class Stamps : IProgress<StepReport>
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        public List<double> Seconds { get; } = [];

        public List<double> CpuSeconds { get; } = [];

        public void Report(StepReport value)
        {
            Seconds.Add(_clock.Elapsed.TotalSeconds);
            CpuSeconds.Add(Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds);
        }
    }
}
