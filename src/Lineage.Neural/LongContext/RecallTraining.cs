// Training a mixer on a synthetic recall task (Tasks/): the chapter's decoder (MixerLm's embeddings, blocks, norm and tied
// head) over the task's vocabulary, with any mixer, scored only where the task scores.
// Paper:   the recipe follows Zoology's figure-2 runs (Arora et al. 2023, arXiv:2312.04927; HazyResearch/zoology
//          zoology/train.py): 2 layers, AdamW with weight decay 0.1, a learning-rate sweep, cross-entropy on the scored
//          positions only, accuracy on held-out examples.
// Lineage: MixerLm is the same stack for bytes; RecallModel differs in two ways only: the vocabulary is the task's, and a
//          mixer that cannot be causal (Linformer) runs bidirectionally, which is honest on these tasks because no
//          scored target appears in the input at or after its own position (see RecallTask.cs).
// Shapes:  B examples per step, N tokens, C = width, V the task's vocabulary, P scored positions in the batch.
// How:     x = embedding(tokens) + 0.1 · sinusoids; blocks (pre-norm mixer + MLP); final LayerNorm; logits tied to the
//          embedding, computed only at the P scored positions (the others have no loss, and V may be 8,192).
//          Each step draws a fresh batch from (seed, step) (Zoology draws 100k examples once and runs 64 epochs; a CPU
//          run sees fewer, always new); the learning rate warms up linearly over the first 10 % of steps and follows
//          half a cosine to 0; gradients are clipped to norm 1; one dispose scope per step.
// Deviations: from Zoology's runs: far fewer examples, sinusoidal positions for every mixer (Zoology: learned positions
//          for attention, none for the others), our pre-norm block with an MLP after every mixer (Zoology's figure-2
//          attention runs have no MLP), no dropout; and, when ShortConv > 0, a causal depthwise convolution (kernel K)
//          before every mixer alike (Zoology's figure-2 attention has none; Based's BaseConv and Hyena's short filter
//          are this idea). With it, one attention layer sees the key beside each value, and MQAR at N = 64, C = 64 is
//          learned in 600 steps of 32 (0.98, docs/long-context.md); without it, not in 3,000.
using System.Diagnostics;
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Transformers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.LongContext;

/// <summary>The chapter's decoder over a task's vocabulary, with logits at chosen positions only.</summary>
public sealed class RecallModel : nn.Module<Tensor, Tensor>
{
    private readonly Embedding wte;
    private readonly ModuleList<MixerBlock> h;
    private readonly LayerNorm ln_f;

    /// <summary>A randomly initialised model (seed libtorch first).</summary>
    /// <param name="mixer">A <see cref="MixerRegistry"/> id; a mixer that cannot be causal runs bidirectionally.</param>
    /// <param name="settings">Width and the mixers' options (<see cref="MixerSettings.Causal"/> is set here).</param>
    /// <param name="vocabSize">The task's vocabulary.</param>
    /// <param name="layers">Blocks.</param>
    /// <param name="shortConv">Kernel of a causal depthwise convolution before every mixer (0: none; see <see cref="MixerBlock"/>).</param>
    /// <param name="withMlp">An MLP after every mixer (false: the Mamba paper's blocks).</param>
    /// <param name="withPositions">Sinusoidal positions added to the embeddings (false: none, as the Mamba paper's models and Zoology's non-attention ones).</param>
    /// <exception cref="ArgumentException">An unknown mixer or bad sizes.</exception>
    public RecallModel(string mixer, MixerSettings settings, int vocabSize, int layers = 2, int shortConv = 0, bool withMlp = true, bool withPositions = true) : base(nameof(RecallModel))
    {
        ArgumentNullException.ThrowIfNull(settings);
        var registered = MixerRegistry.Get(mixer);
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabSize, 2, nameof(vocabSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(layers, 1, nameof(layers));
        Causal = registered.CanBeCausal;
        settings = (settings with { Causal = Causal }).Validate();
        Dim = settings.Dim;
        VocabSize = vocabSize;
        wte = nn.Embedding(vocabSize, settings.Dim);
        h = nn.ModuleList([.. Enumerable.Range(0, layers).Select(i => new MixerBlock(registered.Id, settings with { Seed = settings.Seed + 7919 * i }, shortConv, withMlp))]);
        WithPositions = withPositions;
        ln_f = nn.LayerNorm(settings.Dim);
        RegisterComponents();
        using (no_grad()) nn.init.normal_(wte.weight!, 0, 0.02);
    }

    /// <summary>Whether the mixer runs causally (false for Linformer).</summary>
    public bool Causal { get; }

    /// <summary>Width C.</summary>
    public int Dim { get; }

    /// <summary>Whether sinusoidal positions are added to the embeddings.</summary>
    public bool WithPositions { get; }

    /// <summary>V.</summary>
    public int VocabSize { get; }

    /// <summary>Logits (B, T, V) for token ids (B, T).</summary>
    public override Tensor forward(Tensor idx)
    {
        using var scope = NewDisposeScope();
        return TiedEmbeddings.Logits(Hidden(idx), wte.weight!).MoveToOuterDisposeScope();
    }

    /// <summary>Logits (P, V) at the flat positions <paramref name="positions"/> (b · T + t, int64) of token ids (B, T).</summary>
    public Tensor Logits(Tensor idx, Tensor positions)
    {
        ArgumentNullException.ThrowIfNull(positions);
        using var scope = NewDisposeScope();
        var hidden = Hidden(idx);
        var picked = hidden.reshape(-1, Dim).index_select(0, positions);
        return TiedEmbeddings.Logits(picked, wte.weight!).MoveToOuterDisposeScope();
    }

    /// <summary>The normed hidden states (B, T, C).</summary>
    private Tensor Hidden(Tensor idx)
    {
        TokenIds.Check(idx, VocabSize, nameof(idx));
        var x = wte.forward(idx);
        if (WithPositions)
        {
            using var pos = SinusoidalPositions.Encode(idx.shape[1], Dim, device: idx.device);
            x = x + pos * MixerLm.PositionScale;
        }

        foreach (var block in h) x = block.forward(x);
        return ln_f.forward(x);
    }
}

/// <summary>What <see cref="RecallTraining.Train"/> trains.</summary>
/// <param name="Mixer">A <see cref="MixerRegistry"/> id.</param>
/// <param name="Width">Model width C (Zoology's d_model).</param>
/// <param name="Steps">Optimiser steps.</param>
/// <param name="LearningRate">AdamW's peak step size.</param>
/// <param name="Batch">Examples per step.</param>
/// <param name="Layers">Blocks (Zoology and Mamba: 2).</param>
/// <param name="Heads">Attention heads (Zoology: 1); the width must be divisible by it.</param>
/// <param name="WeightDecay">AdamW's decoupled weight decay (Zoology: 0.1).</param>
/// <param name="EvalExamples">Held-out examples scored at the end.</param>
/// <param name="Seed">Seeds initialisation, batches and the held-out set.</param>
/// <param name="ShortConv">Kernel of a causal depthwise convolution before every mixer (0: none, Zoology's attention).</param>
/// <param name="Mlp">An MLP after every mixer (false: the Mamba paper's blocks, Zoology's figure-2 attention).</param>
/// <param name="Positions">Sinusoidal positions (false: none, as the Mamba paper's models).</param>
public sealed record RecallTrainingOptions(string Mixer, int Width, int Steps = 600, double LearningRate = 3e-3, int Batch = 32, int Layers = 2,
    int Heads = 1, double WeightDecay = 0.1, int EvalExamples = 256, int Seed = 1, int ShortConv = 0, bool Mlp = true, bool Positions = true)
{
    /// <summary>These options with <paramref name="block"/>'s convolution, MLP and positions.</summary>
    public RecallTrainingOptions With(RecallBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        return this with { ShortConv = block.ShortConv, Mlp = block.Mlp, Positions = block.Positions };
    }

    /// <summary>Returns these options, or throws naming the bad field.</summary>
    public RecallTrainingOptions Validate()
    {
        MixerRegistry.Get(Mixer);
        ArgumentOutOfRangeException.ThrowIfLessThan(Width, 1, nameof(Width));
        ArgumentOutOfRangeException.ThrowIfLessThan(Steps, 1, nameof(Steps));
        ArgumentOutOfRangeException.ThrowIfLessThan(Batch, 1, nameof(Batch));
        ArgumentOutOfRangeException.ThrowIfLessThan(Layers, 1, nameof(Layers));
        ArgumentOutOfRangeException.ThrowIfLessThan(Heads, 1, nameof(Heads));
        ArgumentOutOfRangeException.ThrowIfLessThan(EvalExamples, 1, nameof(EvalExamples));
        ArgumentOutOfRangeException.ThrowIfNegative(ShortConv, nameof(ShortConv));
        if (Width % Heads != 0) throw new ArgumentException($"Width ({Width}) must be divisible by Heads ({Heads}).", nameof(Heads));
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "must be a positive number");
        if (!(WeightDecay >= 0) || !double.IsFinite(WeightDecay)) throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "must be ≥ 0");
        return this;
    }
}

/// <summary>The block around a recall model's mixer: a short convolution before it, an MLP after it, positions in the embeddings.</summary>
/// <param name="ShortConv">Kernel of a causal depthwise convolution before the mixer (0: none).</param>
/// <param name="Mlp">An MLP after the mixer.</param>
/// <param name="Positions">Sinusoidal positions added to the embeddings.</param>
public sealed record RecallBlock(int ShortConv, bool Mlp, bool Positions)
{
    /// <summary>
    /// The block Zoology trains each mixer in (HazyResearch/zoology, experiments/models_repo.py): no positional encoding for
    /// any model (max_position_embeddings = 0); attention and its sparse and low-rank variants in a Transformer block (MLP)
    /// after a short convolution of 3 (the BaseConv hybrid); Hyena in a Transformer block with its own short filter only;
    /// Mamba in its own block, with no MLP and no convolution beyond its own. Measured (2026-12-07, selective copying N = 32,
    /// 4 tokens, 400 steps): Mamba in this block 0.860, with the chapter's former MLP and positions 0.069, with either alone
    /// 0.077 (positions) and 0.085 (MLP); full attention on MQAR N = 64 without positions 0.996, with them 0.980.
    /// </summary>
    public static RecallBlock Zoology(string mixer) => MixerRegistry.Get(mixer).Id switch
    {
        "mamba" => new RecallBlock(0, Mlp: false, Positions: false),
        "hyena" => new RecallBlock(0, Mlp: true, Positions: false),
        _ => new RecallBlock(3, Mlp: true, Positions: false),
    };

    /// <summary>The block every mixer had in the chapter before 2026-12-07: a convolution of 3, an MLP, sinusoidal positions.</summary>
    public static RecallBlock Chapter { get; } = new(3, Mlp: true, Positions: true);
}

/// <summary>One step of a recall run, for progress reports.</summary>
/// <param name="Step">Steps done.</param>
/// <param name="Steps">Steps in all.</param>
/// <param name="Loss">This step's loss (nats per scored position).</param>
/// <param name="LearningRate">This step's rate.</param>
public sealed record RecallProgress(int Step, int Steps, double Loss, double LearningRate);

/// <summary>The outcome of a recall run.</summary>
/// <param name="Task">Task id.</param>
/// <param name="Mixer">Mixer id.</param>
/// <param name="Width">C.</param>
/// <param name="Length">N.</param>
/// <param name="Causal">Whether the mixer ran causally.</param>
/// <param name="Accuracy">Held-out accuracy over the scored positions.</param>
/// <param name="Chance">A uniform guess's accuracy.</param>
/// <param name="FinalLoss">Mean training loss over the last tenth of the steps.</param>
/// <param name="Steps">Steps trained.</param>
/// <param name="Examples">Training examples seen.</param>
/// <param name="Parameters">Trainable parameters.</param>
/// <param name="TrainSeconds">Wall time of the training steps.</param>
/// <param name="LearningRate">AdamW's peak rate (NaN in results written before it was recorded).</param>
/// <param name="ShortConv">Kernel of the convolution before every mixer (0: none).</param>
/// <param name="Mlp">Whether the blocks had an MLP.</param>
/// <param name="Positions">Whether the embeddings had positions.</param>
public sealed record RecallResult(string Task, string Mixer, int Width, int Length, bool Causal, double Accuracy, double Chance, double FinalLoss,
    int Steps, long Examples, long Parameters, double TrainSeconds, double LearningRate = double.NaN, int ShortConv = 0, bool Mlp = true, bool Positions = true);

/// <summary>Trains and scores a <see cref="RecallModel"/> on a recall task.</summary>
public static class RecallTraining
{
    /// <summary>Stream of the held-out examples (training batches use the step number, from 0).</summary>
    public const long HeldOutStream = -1;

    /// <summary>
    /// The mixers' settings for a recall run of width <paramref name="width"/> at <paramref name="length"/> tokens: the
    /// long-context LM's sparse patterns (Longformer window 32 with 4 global tokens, BigBird blocks of 32, Reformer chunks
    /// of 32), Linformer projected to 32 rows (its state does not grow with N), Hyena's short convolution of 4, and
    /// Mamba as in the paper (state 16, expansion 2, as Zoology's Mamba runs).
    /// </summary>
    public static MixerSettings Settings(int width, int length, int heads = 1, int seed = 1) =>
        new MixerSettings(Dim: width, Heads: heads, Seed: seed).With(new LongformerConfig { Window = 32, GlobalTokens = 4 },
            new BigBirdConfig { Block = 32, GlobalTokens = 4, RandomBlocks = 1 }, new ReformerConfig { Chunk = 32, Rounds = 2 },
            new LinformerConfig { MaxLength = length, ProjectedLength = Math.Min(32, length) }, new HyenaConfig { ConvKernel = 4 },
            new MambaConfig { StateDim = 16, Expand = 2, ConvKernel = 4, ScanChunk = 32 });

    /// <summary>Trains a new model with <paramref name="options"/> on <paramref name="task"/> and scores it on held-out examples.</summary>
    /// <exception cref="ArgumentException">Bad options or an unknown mixer.</exception>
    /// <exception cref="OperationCanceledException">Cancelled (between steps).</exception>
    /// <exception cref="TrainingDivergedException">A loss was NaN or infinite.</exception>
    public static RecallResult Train(IRecallTask task, RecallTrainingOptions options, IProgress<RecallProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Seeding.Seed(options.Seed);
        using var model = new RecallModel(options.Mixer, Settings(options.Width, task.Length, options.Heads, options.Seed), task.VocabSize, options.Layers, options.ShortConv, options.Mlp, options.Positions);
        var optimizer = torch.optim.AdamW(model.parameters(), options.LearningRate, weight_decay: options.WeightDecay);
        int warmup = Math.Max(1, options.Steps / 10);
        var losses = new List<double>(options.Steps);
        var clock = new Stopwatch();
        model.train();
        for (int step = 0; step < options.Steps; step++)
        {
            cancellation.ThrowIfCancellationRequested();
            double rate = LearningRateSchedule.WarmupCosine(step, options.Steps, warmup, options.LearningRate);
            foreach (var group in optimizer.ParamGroups) group.LearningRate = rate;
            var batch = RecallTasks.Examples(task, options.Batch, options.Seed, step);
            clock.Start();
            double value = NoGcRegion.Run(() =>
            {
                using var scope = NewDisposeScope();                        // every temporary of this step dies here
                var (x, positions, targets) = Tensors(batch);
                optimizer.zero_grad();
                var loss = nn.functional.cross_entropy(model.Logits(x, positions), targets);
                loss.backward();
                nn.utils.clip_grad_norm_(model.parameters(), 1.0);
                optimizer.step();
                return (double)loss.item<float>();
            });
            clock.Stop();
            if (!double.IsFinite(value)) throw new TrainingDivergedException(step + 1, value, null);
            losses.Add(value);
            progress?.Report(new RecallProgress(step + 1, options.Steps, value, rate));
        }

        var heldOut = RecallTasks.Examples(task, options.EvalExamples, options.Seed, HeldOutStream);
        double accuracy = Accuracy(model, heldOut);
        int tail = Math.Max(1, losses.Count / 10);
        return new RecallResult(task.Id, MixerRegistry.Get(options.Mixer).Id, options.Width, task.Length, model.Causal, accuracy, task.Chance,
            losses.Skip(losses.Count - tail).Average(), options.Steps, (long)options.Steps * options.Batch, model.parameters().Sum(p => p.numel()),
            clock.Elapsed.TotalSeconds,
            options.LearningRate, options.ShortConv, options.Mlp, options.Positions);
    }

    /// <summary>Held-out accuracy of <paramref name="model"/>: argmax at every scored position of <paramref name="examples"/>.</summary>
    public static double Accuracy(RecallModel model, IReadOnlyList<RecallExample> examples, int batch = 64)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(examples);
        using var evalMode = EvalMode.Of(model);
        using var noGrad = no_grad();
        var predictions = new List<int[]>(examples.Count);
        for (int from = 0; from < examples.Count; from += batch)
        {
            using var scope = NewDisposeScope();
            var chunk = examples.Skip(from).Take(batch).ToArray();
            var (x, positions, _) = Tensors(chunk);
            var best = model.Logits(x, positions).argmax(1).data<long>().ToArray();
            int n = chunk[0].Inputs.Length, i = 0;
            foreach (var ex in chunk)
            {
                var p = Enumerable.Repeat(-1, n).ToArray();
                for (int t = 0; t < n; t++) if (ex.Scored[t]) p[t] = (int)best[i++];
                predictions.Add(p);
            }
        }

        return RecallTasks.Accuracy(examples, predictions);
    }

    /// <summary>Token ids (B, N), the flat indices b · N + t of the scored positions (P), and their targets (P).</summary>
    public static (Tensor Inputs, Tensor Positions, Tensor Targets) Tensors(IReadOnlyList<RecallExample> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int n = batch[0].Inputs.Length;
        var x = new long[batch.Count * n];
        var positions = new List<long>();
        var targets = new List<long>();
        for (int b = 0; b < batch.Count; b++)
        {
            var ex = batch[b];
            if (ex.Inputs.Length != n) throw new ArgumentException($"Example {b} has {ex.Inputs.Length} tokens, the first {n}.", nameof(batch));
            for (int t = 0; t < n; t++)
            {
                x[b * n + t] = ex.Inputs[t];
                if (!ex.Scored[t]) continue;
                positions.Add(b * n + t);
                targets.Add(ex.Targets[t]);
            }
        }

        return (tensor(x, [batch.Count, n]), tensor(positions.ToArray()), tensor(targets.ToArray()));
    }
}
