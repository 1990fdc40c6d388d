// A trained VLA as a tabletop policy: batches of rendered frames and instructions in, actions out; its training loop
// (behaviour cloning on demonstrations, optionally after a question-answering stage) and the closed-loop evaluation.
using System.Text.Json;
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Multimodal;
using Lineage.Robotics.Sim;
using Lineage.Text.Determinism;
using static TorchSharp.torch;

namespace Lineage.Neural.Action;

/// <summary>A question about a frame with its answer's index in <see cref="VlaPolicy.Answers"/>.</summary>
public sealed record SceneQuestion(byte[] Image, float[] State, string Question, int Answer);

/// <summary>How a <see cref="VlaPolicy"/> is trained.</summary>
/// <param name="Steps">Optimiser steps in all (question steps included).</param>
/// <param name="Batch">Examples per step.</param>
/// <param name="LearningRate">Adam's step size.</param>
/// <param name="QuestionSteps">Curriculum: the first steps train on scene questions, the rest on actions (0: actions only).</param>
/// <param name="Seed">Seeds the batches.</param>
/// <param name="CheckpointPath">Atomic checkpoints here, or null.</param>
/// <param name="Resume">Continue from the checkpoint when it exists.</param>
/// <param name="EvaluateEvery">Steps between evaluations (0: none).</param>
/// <param name="WarmupSteps">Linear learning-rate warm-up over this many steps (0: none).</param>
/// <param name="CosineDecay">Lower the learning rate along half a cosine to 0 after the warm-up.</param>
public sealed record VlaTrainingOptions(int Steps, int Batch = 64, double LearningRate = 1e-3, int QuestionSteps = 0, int Seed = 0,
    string? CheckpointPath = null, bool Resume = false, int EvaluateEvery = 0, int WarmupSteps = 0, bool CosineDecay = false)
{
    /// <summary>Returns these options, or throws naming the bad field.</summary>
    public VlaTrainingOptions Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Steps, 1, nameof(Steps));
        ArgumentOutOfRangeException.ThrowIfLessThan(Batch, 1, nameof(Batch));
        if (QuestionSteps < 0 || QuestionSteps >= Steps) throw new ArgumentOutOfRangeException(nameof(QuestionSteps), QuestionSteps, $"must be in [0, Steps = {Steps})");
        return this;
    }
}

/// <summary>One closed-loop episode's outcome.</summary>
public sealed record EpisodeOutcome(TaskKind Kind, string Instruction, bool Success, int Steps, int Clipped);

/// <summary>A VLA with its tokenizers and table: acts on rendered frames.</summary>
public sealed class VlaPolicy
{
    /// <summary>A policy over <paramref name="model"/>.</summary>
    /// <param name="model">The VLA.</param>
    /// <param name="text">The text towers' tokenizer.</param>
    /// <param name="table">The table it acts on.</param>
    /// <param name="answers">The one-token answers.</param>
    /// <param name="objects">The object names and categories the dual encoder was pretrained on; required when the model grounds its instructions.</param>
    /// <exception cref="ArgumentException">The tokenizer, table or answers do not fit the model.</exception>
    public VlaPolicy(Vla model, CaptionTokenizer text, TabletopConfig table, IReadOnlyList<string> answers, IReadOnlyList<ObjectName>? objects = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(answers);
        if (text.VocabSize != model.Config.Encoders.Text.VocabSize) throw new ArgumentException($"The text tokenizer has {text.VocabSize} tokens; the model's text tower has {model.Config.Encoders.Text.VocabSize}.", nameof(text));
        if (table.Size != model.Config.Encoders.Vision.ImageSize) throw new ArgumentException($"The table is {table.Size} pixels; the model's image tower takes {model.Config.Encoders.Vision.ImageSize}.", nameof(table));
        if (answers.Count != model.Config.Answers) throw new ArgumentException($"{answers.Count} answers; the model has {model.Config.Answers} answer tokens.", nameof(answers));
        if (model.Config.Grounding && (objects is null || objects.Count == 0)) throw new ArgumentException("A grounding VLA needs the object names its dual encoder was pretrained on.", nameof(objects));
        (Model, Text, Table, Answers, Objects) = (model, text, table.Validate(), answers, objects ?? []);
        Actions = ActionTokenizer.ForTabletop(table);
    }

    /// <summary>The object names and categories the grounding step knows (empty without grounding).</summary>
    public IReadOnlyList<ObjectName> Objects { get; }

    private readonly Dictionary<string, Tensor> _phrases = new(StringComparer.Ordinal);

    /// <summary>
    /// The grounding features (B, 8) of each text in its frame (<see cref="Vla.Ground"/>): the text's phrases
    /// (<see cref="Grounding.Phrases"/>), each embedded as the mean of its pretraining captions; null when the model does
    /// not ground.
    /// </summary>
    public Tensor? GroundingFeatures(IReadOnlyList<byte[]> frames, IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentNullException.ThrowIfNull(texts);
        if (!Model.Config.Grounding) return null;
        if (frames.Count != texts.Count) throw new ArgumentException($"{frames.Count} frames and {texts.Count} texts: need one frame per text.", nameof(texts));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Model.eval();
        int e = Model.Config.Encoders.EmbedDim;
        var phrases = zeros(texts.Count, Grounding.Roles, e);
        var present = zeros(texts.Count, Grounding.Roles);
        var named = new List<long>();
        for (int b = 0; b < texts.Count; b++)
        {
            var found = Grounding.Phrases(texts[b], Objects);
            if (found.Count > 0) named.Add(b);
            for (int r = 0; r < found.Count; r++)
            {
                phrases[b, r] = Phrase(found[r]);
                present[b, r] = 1f;
            }
        }

        // Only frames whose text names something are looked at (a window pass costs one image-tower run per window).
        var features = zeros(texts.Count, Grounding.Roles * Grounding.FeaturesPerRole);
        if (named.Count > 0)
        {
            var rows = tensor(named.ToArray());
            var fill = tensor(Tabletop.TableColour.Select(c => c / 255f).ToArray());
            features.index_copy_(0, rows, Model.Ground(ImageBatch([.. named.Select(b => frames[(int)b])], Table.Size), phrases.index_select(0, rows), present.index_select(0, rows), fill));
        }

        return features.MoveToOuterDisposeScope();
    }

    /// <summary>A phrase's embedding: the normalised mean of its captions' embeddings, kept per phrase.</summary>
    private Tensor Phrase(ObjectName[] phrase)
    {
        string key = string.Join('|', phrase.Select(o => o.Name));
        if (!_phrases.TryGetValue(key, out var embedding))
        {
            using var scope = NewDisposeScope();
            var captions = Model.EmbedTexts(Text.EncodeBatch(Grounding.Captions(phrase), Model.Config.Encoders.Text.Context));
            embedding = nn.functional.normalize(captions.mean([0]), dim: 0).DetachFromDisposeScope();
            _phrases[key] = embedding;
        }

        return embedding;
    }

    /// <summary>The first frame of each step's episode (the frame its instruction is grounded in).</summary>
    private static byte[][] EpisodeStarts(IReadOnlyList<DemoStep> steps)
    {
        var first = new Dictionary<int, byte[]>();
        foreach (var s in steps) first.TryAdd(s.Episode, s.Image);
        return [.. steps.Select(s => first[s.Episode])];
    }

    /// <summary>The model.</summary>
    public Vla Model { get; }

    /// <summary>The instruction tokenizer (the text tower's).</summary>
    public CaptionTokenizer Text { get; }

    /// <summary>The table the policy acts on.</summary>
    public TabletopConfig Table { get; }

    /// <summary>The action tokenizer for this table.</summary>
    public ActionTokenizer Actions { get; }

    /// <summary>The one-token answers, by index.</summary>
    public IReadOnlyList<string> Answers { get; }

    /// <summary>Frames (Size × Size × 3 bytes each) as a float batch (B, 3, S, S) in [0, 1].</summary>
    public static Tensor ImageBatch(IReadOnlyList<byte[]> images, int side)
    {
        using var scope = NewDisposeScope();
        return ToFloat(Frames(images, side)).MoveToOuterDisposeScope();
    }

    /// <summary>Frames as one uint8 tensor (B, S, S, 3), the compact form a training set is kept in.</summary>
    public static Tensor Frames(IReadOnlyList<byte[]> images, int side)
    {
        ArgumentNullException.ThrowIfNull(images);
        int bytes = side * side * 3;
        var data = new byte[(long)images.Count * bytes];
        for (int b = 0; b < images.Count; b++)
        {
            if (images[b].Length != bytes) throw new ArgumentException($"image {b}: {images[b].Length} bytes; expected {side} × {side} × 3 = {bytes}.", nameof(images));
            images[b].CopyTo(data, (long)b * bytes);
        }

        return tensor(data, [images.Count, side, side, 3]);
    }

    /// <summary>uint8 frames (B, S, S, 3) → float (B, 3, S, S) in [0, 1].</summary>
    public static Tensor ToFloat(Tensor frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        using var scope = NewDisposeScope();
        return frames.permute(0, 3, 1, 2).to(ScalarType.Float32).div(255f).MoveToOuterDisposeScope();
    }

    /// <summary>Instruction ids (B, T).</summary>
    public Tensor Instructions(IReadOnlyList<string> texts) => Text.EncodeBatch(texts, Model.Config.Encoders.Text.Context);

    /// <summary>States (4 numbers each, <see cref="Tabletop.State"/>) as a batch (B, 4).</summary>
    public static Tensor StateBatch(IReadOnlyList<float[]> states)
    {
        ArgumentNullException.ThrowIfNull(states);
        var data = new float[states.Count * VlaConfig.StateDims];
        for (int b = 0; b < states.Count; b++)
        {
            if (states[b].Length != VlaConfig.StateDims) throw new ArgumentException($"state {b}: {states[b].Length} numbers; expected {VlaConfig.StateDims}.", nameof(states));
            states[b].CopyTo(data, b * VlaConfig.StateDims);
        }

        return tensor(data, [states.Count, VlaConfig.StateDims]);
    }

    /// <summary>The policy's action for each (frame, state, instruction); always a valid action in the table's range.</summary>
    /// <param name="images">The current frames.</param>
    /// <param name="states">The robot's states.</param>
    /// <param name="instructions">The instructions.</param>
    /// <param name="groundIn">Frames the instructions are grounded in (a grounding model grounds each episode's instruction once, in
    /// its first frame); null: the current frames.</param>
    public TableAction[] Act(IReadOnlyList<byte[]> images, IReadOnlyList<float[]> states, IReadOnlyList<string> instructions, IReadOnlyList<byte[]>? groundIn = null) =>
        NoGcRegion.Run(() =>
        {
            using var grounding = GroundingFeatures(groundIn ?? images, instructions);
            return ActNow(images, states, instructions, grounding);
        });

    /// <summary><see cref="Act"/> with the grounding features already computed (null without grounding).</summary>
    private TableAction[] ActNow(IReadOnlyList<byte[]> images, IReadOnlyList<float[]> states, IReadOnlyList<string> instructions, Tensor? g)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(instructions);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Model.eval();
        var x = ImageBatch(images, Table.Size);
        var q = StateBatch(states);
        var t = Instructions(instructions);
        bool tokens = Model.Config.Head == ActionHead.Tokens;
        // Bins decode to their centres; the continuous head's [−1, 1] output is scaled back to the action's units.
        var raw = tokens ? Model.PredictBins(x, q, t, g).to(ScalarType.Float32).data<float>().ToArray() : Model.Regress(x, q, t, g).data<float>().ToArray();
        int a = Model.Config.ActionDims;
        var actions = new TableAction[images.Count];
        for (int b = 0; b < actions.Length; b++)
        {
            var row = raw.AsSpan(b * a, a).ToArray();
            var v = tokens ? Actions.Decode([.. row.Select(z => (int)z)]) : Actions.Denormalize(row);
            actions[b] = new TableAction(v[0], v[1], v[2]);
        }

        return actions;
    }

    /// <summary>The policy's answer to each question about a frame (the question's answer index is not used).</summary>
    public string[] Answer(IReadOnlyList<SceneQuestion> questions) => NoGcRegion.Run(() =>
    {
        ArgumentNullException.ThrowIfNull(questions);
        using var scope = NewDisposeScope();
        Model.eval();
        var frames = questions.Select(q => q.Image).ToList();
        var texts = questions.Select(q => q.Question).ToList();
        var idx = Model.PredictAnswers(ImageBatch(frames, Table.Size), StateBatch([.. questions.Select(q => q.State)]),
            Instructions(texts), GroundingFeatures(frames, texts)).data<long>().ToArray();
        return idx.Select(i => Answers[(int)i]).ToArray();
    });

    /// <summary>
    /// Behaviour cloning: cross-entropy on the action tokens (or the regression loss of the continuous head) of random
    /// demonstration steps; with a curriculum, the first <see cref="VlaTrainingOptions.QuestionSteps"/> steps answer
    /// scene questions instead. Adam, gradient clipping, NaN check and atomic checkpoints come from <see cref="StepTrainer"/>.
    /// </summary>
    /// <exception cref="ArgumentException">No demonstrations, or a curriculum without questions.</exception>
    public StepHistory Train(Demonstrations demos, IReadOnlyList<SceneQuestion>? questions, VlaTrainingOptions options,
        Func<double>? evaluate = null, IProgress<StepReport>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(demos);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (demos.Steps.Count == 0) throw new ArgumentException("The demonstration set is empty.", nameof(demos));
        if (demos.Table != Table) throw new ArgumentException($"The demonstrations were recorded on another table ({demos.Table}) than the policy's ({Table}).", nameof(demos));
        if (options.QuestionSteps > 0 && (questions is null || questions.Count == 0)) throw new ArgumentException("A curriculum needs scene questions.", nameof(questions));
        var steps = demos.Steps;
        int a = Model.Config.ActionDims;
        var actionTokens = new long[steps.Count * a];
        var targets = new float[steps.Count * a];
        for (int i = 0; i < steps.Count; i++)
        {
            var l = steps[i].Label;
            float[] v = [l.Dx, l.Dy, l.Grip];
            var b = Vla.BinsToTokens(Actions.Encode(v));
            var n = Actions.Normalize(v);
            for (int k = 0; k < a; k++) (actionTokens[i * a + k], targets[i * a + k]) = (b[k], n[k]);
        }

        var texts = steps.Select(s => s.Instruction).Distinct().ToList();
        var textIndex = texts.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i, StringComparer.Ordinal);
        using var textIds = Instructions(texts);
        using var tokenTensor = tensor(actionTokens, [steps.Count, a]);
        using var targetTensor = tensor(targets, [steps.Count, a]);
        using var textOf = tensor(steps.Select(s => (long)textIndex[s.Instruction]).ToArray());
        using var stateTensor = StateBatch([.. steps.Select(s => s.State)]);
        using var questionStates = options.QuestionSteps > 0 ? StateBatch([.. questions!.Select(q => q.State)]) : null;
        using var frames = Frames([.. steps.Select(s => s.Image)], Table.Size);                     // (N, S, S, 3) uint8, kept once
        using var questionFrames = options.QuestionSteps > 0 ? Frames([.. questions!.Select(q => q.Image)], Table.Size) : null;
        using var questionIds = options.QuestionSteps > 0 ? Instructions([.. questions!.Select(q => q.Question)]) : null;
        using var answerIds = options.QuestionSteps > 0 ? tensor(questions!.Select(q => (long)q.Answer).ToArray()) : null;
        // Frozen towers give the same features at every step: compute them once, so a step runs only projectors and decoder.
        bool cached = Model.Config.FreezeVision && Model.Config.FreezeText;
        using var frameFeatures = cached ? Features(frames) : null;
        using var textFeatures = cached ? TowerText(textIds) : null;
        using var questionFeatures = cached && questionFrames is not null ? Features(questionFrames) : null;
        using var questionWords = cached && questionIds is not null ? TowerText(questionIds) : null;
        // A grounding model grounds each step's instruction in its episode's first frame, and a question in its own frame.
        using var grounding = Model.Config.Grounding ? GroundInChunks(EpisodeStarts(steps), [.. steps.Select(s => s.Instruction)]) : null;
        using var questionGrounding = Model.Config.Grounding && options.QuestionSteps > 0 ? GroundInChunks([.. questions!.Select(q => q.Image)], [.. questions!.Select(q => q.Question)]) : null;
        Model.train();
        return StepTrainer.Train(Model, step =>
        {
            var rng = new Random(StableSeed.Of(options.Seed, step));
            if (step < options.QuestionSteps)
            {
                var pick = tensor(Enumerable.Range(0, options.Batch).Select(_ => (long)rng.Next(questions!.Count)).ToArray());
                var qIds = questionIds!.index_select(0, pick);
                var qGround = questionGrounding?.index_select(0, pick);
                var qPrefix = cached
                    ? Model.PrefixFromFeatures(questionFeatures!.index_select(0, pick), questionStates!.index_select(0, pick), questionWords!.index_select(0, pick), qIds, qGround)
                    : Model.Prefix(ToFloat(questionFrames!.index_select(0, pick)), questionStates!.index_select(0, pick), qIds, qGround);
                return Model.AnswerLoss(qPrefix, answerIds!.index_select(0, pick));
            }

            var index = tensor(Enumerable.Range(0, options.Batch).Select(_ => (long)rng.Next(steps.Count)).ToArray());
            var which = textOf.index_select(0, index);
            var text = textIds.index_select(0, which);
            var state = stateTensor.index_select(0, index);
            var ground = grounding?.index_select(0, index);
            var prefix = cached
                ? Model.PrefixFromFeatures(frameFeatures!.index_select(0, index), state, textFeatures!.index_select(0, which), text, ground)
                : Model.Prefix(ToFloat(frames.index_select(0, index)), state, text, ground);
            return Model.Config.Head == ActionHead.Tokens
                ? Model.TokenLoss(prefix, tokenTensor.index_select(0, index))
                : Model.RegressionLoss(prefix, targetTensor.index_select(0, index));
        }, new StepTrainingOptions(options.Steps, options.LearningRate, GradClip: 1.0, EvaluateEvery: options.EvaluateEvery,
            CheckpointPath: options.CheckpointPath, CheckpointEvery: 200, Resume: options.Resume, WarmupSteps: options.WarmupSteps, CosineDecay: options.CosineDecay,
            StageStart: options.QuestionSteps),   // the action stage gets its own warm-up and decay
            evaluate, progress, JsonSerializer.Serialize(Model.Config), cancellation);
    }

    /// <summary>The image tower's features of uint8 frames (N, S, S, 3), computed in chunks without gradient.</summary>
    private Tensor Features(Tensor frames) => NoGcRegion.Run(() =>
    {
        using var noGrad = no_grad();
        Model.eval();
        var chunks = new List<Tensor>();
        for (long start = 0; start < frames.shape[0]; start += 256)
        {
            using var scope = NewDisposeScope();
            chunks.Add(Model.ImageFeatures(ToFloat(frames.narrow(0, start, Math.Min(256, frames.shape[0] - start)))).MoveToOuterDisposeScope());
        }

        var all = cat(chunks, 0);
        foreach (var c in chunks) c.Dispose();
        return all;
    });

    /// <summary>Grounding features of many (frame, text) pairs, computed once per distinct pair, 256 at a time.</summary>
    private Tensor GroundInChunks(byte[][] frames, string[] texts) => NoGcRegion.Run(() =>
    {
        // Steps of one episode share their first frame and instruction: ground each distinct pair once.
        var distinct = new Dictionary<(byte[], string), int>(new FrameTextComparer());
        var index = new long[frames.Length];
        for (int i = 0; i < frames.Length; i++)
        {
            if (!distinct.TryGetValue((frames[i], texts[i]), out int d)) distinct[(frames[i], texts[i])] = d = distinct.Count;
            index[i] = d;
        }

        var pairs = distinct.Keys.ToList();
        var chunks = new List<Tensor>();
        foreach (var chunk in pairs.Chunk(256))
            chunks.Add(GroundingFeatures([.. chunk.Select(p => p.Item1)], [.. chunk.Select(p => p.Item2)])!);
        using var all = cat(chunks, 0);
        foreach (var c in chunks) c.Dispose();
        using var at = tensor(index);
        return all.index_select(0, at);
    });

    /// <summary>Frames by reference (an episode's steps share the array), texts by value.</summary>
    private sealed class FrameTextComparer : IEqualityComparer<(byte[] Frame, string Text)>
    {
        public bool Equals((byte[] Frame, string Text) x, (byte[] Frame, string Text) y) => ReferenceEquals(x.Frame, y.Frame) && string.Equals(x.Text, y.Text, StringComparison.Ordinal);

        public int GetHashCode((byte[] Frame, string Text) obj) => HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj.Frame), obj.Text);
    }

    private Tensor TowerText(Tensor ids)
    {
        using var noGrad = no_grad();
        Model.eval();
        return Model.TextFeatures(ids);
    }

    /// <summary>
    /// Runs every scene to the end with this policy, all episodes stepping together in batches; the simulator decides
    /// success. <paramref name="frame"/>, when given, is told each episode's frames (episode index, frame).
    /// </summary>
    public EpisodeOutcome[] RunEpisodes(IReadOnlyList<Tabletop> scenes, int batch = 256, Action<int, byte[]>? frame = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(scenes);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1, nameof(batch));
        // Each episode's instruction is grounded once, in its first frame.
        using var grounding = Model.Config.Grounding ? GroundInChunks([.. scenes.Select(s => s.Render())], [.. scenes.Select(s => s.Task.Text)]) : null;
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            var live = Enumerable.Range(0, scenes.Count).Where(i => !scenes[i].Finished).ToList();
            if (live.Count == 0) break;
            foreach (var chunk in live.Chunk(batch))
            {
                var images = chunk.Select(i => scenes[i].Render()).ToList();
                if (frame is not null) for (int j = 0; j < chunk.Length; j++) frame(chunk[j], images[j]);
                using var rows = tensor(chunk.Select(i => (long)i).ToArray());
                using var g = grounding?.index_select(0, rows);
                var actions = NoGcRegion.Run(() => ActNow(images, [.. chunk.Select(i => scenes[i].State())], [.. chunk.Select(i => scenes[i].Task.Text)], g));
                for (int j = 0; j < chunk.Length; j++) scenes[chunk[j]].Step(actions[j]);
            }
        }

        if (frame is not null) for (int i = 0; i < scenes.Count; i++) frame(i, scenes[i].Render());
        return [.. scenes.Select(s => new EpisodeOutcome(s.Task.Kind, s.Task.Text, s.Success, s.Steps, s.ClippedActions))];
    }

    /// <summary>Mean absolute error against the expert's clean actions on demonstration steps: dx and dy in pixels, and the share of wrong gripper commands.</summary>
    public (double MoveError, double GripError) ActionError(IReadOnlyList<DemoStep> steps, int batch = 256)
    {
        ArgumentNullException.ThrowIfNull(steps);
        if (steps.Count == 0) throw new ArgumentException("No steps to measure the action error on.", nameof(steps));
        double move = 0, grip = 0;
        using var grounding = Model.Config.Grounding ? GroundInChunks(EpisodeStarts(steps), [.. steps.Select(s => s.Instruction)]) : null;
        int offset = 0;
        foreach (var chunk in steps.Chunk(batch))
        {
            using var g = grounding?.narrow(0, offset, chunk.Length);
            var acts = NoGcRegion.Run(() => ActNow([.. chunk.Select(s => s.Image)], [.. chunk.Select(s => s.State)], [.. chunk.Select(s => s.Instruction)], g));
            offset += chunk.Length;
            for (int i = 0; i < chunk.Length; i++)
            {
                move += (Math.Abs(acts[i].Dx - chunk[i].Expert.Dx) + Math.Abs(acts[i].Dy - chunk[i].Expert.Dy)) / 2;
                grip += (acts[i].Grip > 0.5f) != (chunk[i].Expert.Grip > 0.5f) ? 1 : 0;
            }
        }

        return (move / steps.Count, grip / steps.Count);
    }
}

/// <summary>Confidence intervals of a success rate.</summary>
public static class Proportion
{
    /// <summary>The Wilson score interval (95% by default) of <paramref name="successes"/> out of <paramref name="n"/>.</summary>
    public static (double Low, double High) Wilson(int successes, int n, double z = 1.959964)
    {
        if (n <= 0) return (0, 1);
        double p = (double)successes / n, z2 = z * z;
        double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = z * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / (1 + z2 / n);
        return (Math.Max(0, centre - half), Math.Min(1, centre + half));
    }
}
