// Behaviour cloning of a VlaPolicy on expert demonstrations (RT-2, Brohan et al. 2023; OpenVLA, Kim et al. 2024):
// cross-entropy on the action tokens (or the continuous head's regression loss), optionally after a first stage that
// answers scene questions (the curriculum). The tour's chapter and `lineage vla train` both call VlaTraining.Train.
// Lineage: the recipe beside its model (Vla.cs, VlaPolicy.cs); evaluation is in VlaEvaluation.cs.
// Shapes: N demonstration steps, B batch, S image side, A = 3 action dimensions.
// Deviations: frozen towers give the same features at every step, so they are computed once before the loop.
using System.Text.Json;
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Robotics.Sim;
using Lineage.Text.Determinism;
using static TorchSharp.torch;

namespace Lineage.Neural.Action;

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

/// <summary>The VLA training recipe: behaviour cloning, with an optional question-answering stage first (see <see cref="Train"/>).</summary>
public static class VlaTraining
{
    /// <summary>
    /// Behaviour cloning: cross-entropy on the action tokens (or the regression loss of the continuous head) of random
    /// demonstration steps; with a curriculum, the first <see cref="VlaTrainingOptions.QuestionSteps"/> steps answer
    /// scene questions instead. Adam, gradient clipping, NaN check and atomic checkpoints come from <see cref="StepTrainer"/>.
    /// </summary>
    /// <exception cref="ArgumentException">No demonstrations, or a curriculum without questions.</exception>
    public static StepHistory Train(this VlaPolicy policy, Demonstrations demos, IReadOnlyList<SceneQuestion>? questions, VlaTrainingOptions options,
        Func<double>? evaluate = null, IProgress<StepReport>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(demos);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (demos.Steps.Count == 0) throw new ArgumentException("The demonstration set is empty.", nameof(demos));
        if (demos.Table != policy.Table) throw new ArgumentException($"The demonstrations were recorded on another table ({demos.Table}) than the policy's ({policy.Table}).", nameof(demos));
        if (options.QuestionSteps > 0 && (questions is null || questions.Count == 0)) throw new ArgumentException("A curriculum needs scene questions.", nameof(questions));
        var steps = demos.Steps;
        int a = policy.Model.Config.ActionDims;
        var actionTokens = new long[steps.Count * a];
        var targets = new float[steps.Count * a];
        for (int i = 0; i < steps.Count; i++)
        {
            var l = steps[i].Label;
            float[] v = [l.Dx, l.Dy, l.Grip];
            var b = Vla.BinsToTokens(policy.Actions.Encode(v));
            var n = policy.Actions.Normalize(v);
            for (int k = 0; k < a; k++) (actionTokens[i * a + k], targets[i * a + k]) = (b[k], n[k]);
        }

        var texts = steps.Select(s => s.Instruction).Distinct().ToList();
        var textIndex = texts.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i, StringComparer.Ordinal);
        using var textIds = policy.Instructions(texts);
        using var tokenTensor = tensor(actionTokens, [steps.Count, a]);
        using var targetTensor = tensor(targets, [steps.Count, a]);
        using var textOf = tensor(steps.Select(s => (long)textIndex[s.Instruction]).ToArray());
        using var stateTensor = VlaPolicy.StateBatch([.. steps.Select(s => s.State)]);
        using var questionStates = options.QuestionSteps > 0 ? VlaPolicy.StateBatch([.. questions!.Select(q => q.State)]) : null;
        using var frames = VlaPolicy.Frames([.. steps.Select(s => s.Image)], policy.Table.Size);                     // (N, S, S, 3) uint8, kept once
        using var questionFrames = options.QuestionSteps > 0 ? VlaPolicy.Frames([.. questions!.Select(q => q.Image)], policy.Table.Size) : null;
        using var questionIds = options.QuestionSteps > 0 ? policy.Instructions([.. questions!.Select(q => q.Question)]) : null;
        using var answerIds = options.QuestionSteps > 0 ? tensor(questions!.Select(q => (long)q.Answer).ToArray()) : null;
        // Frozen towers give the same features at every step: compute them once, so a step runs only projectors and decoder.
        bool cached = policy.Model.Config.FreezeVision && policy.Model.Config.FreezeText;
        using var frameFeatures = cached ? Features(policy, frames) : null;
        using var textFeatures = cached ? TowerText(policy, textIds) : null;
        using var questionFeatures = cached && questionFrames is not null ? Features(policy, questionFrames) : null;
        using var questionWords = cached && questionIds is not null ? TowerText(policy, questionIds) : null;
        // A grounding model grounds each step's instruction in its episode's first frame, and a question in its own frame.
        using var grounding = policy.Model.Config.Grounding ? policy.GroundInChunks(VlaPolicy.EpisodeStarts(steps), [.. steps.Select(s => s.Instruction)]) : null;
        using var questionGrounding = policy.Model.Config.Grounding && options.QuestionSteps > 0 ? policy.GroundInChunks([.. questions!.Select(q => q.Image)], [.. questions!.Select(q => q.Question)]) : null;
        policy.Model.train();
        return StepTrainer.Train(policy.Model, step =>
        {
            var rng = new Random(StableSeed.Of(options.Seed, step));
            if (step < options.QuestionSteps)
            {
                var pick = tensor(Enumerable.Range(0, options.Batch).Select(_ => (long)rng.Next(questions!.Count)).ToArray());
                var qIds = questionIds!.index_select(0, pick);
                var qGround = questionGrounding?.index_select(0, pick);
                var qPrefix = cached
                    ? policy.Model.PrefixFromFeatures(questionFeatures!.index_select(0, pick), questionStates!.index_select(0, pick), questionWords!.index_select(0, pick), qIds, qGround)
                    : policy.Model.Prefix(VlaPolicy.ToFloat(questionFrames!.index_select(0, pick)), questionStates!.index_select(0, pick), qIds, qGround);
                return policy.Model.AnswerLoss(qPrefix, answerIds!.index_select(0, pick));
            }

            var index = tensor(Enumerable.Range(0, options.Batch).Select(_ => (long)rng.Next(steps.Count)).ToArray());
            var which = textOf.index_select(0, index);
            var text = textIds.index_select(0, which);
            var state = stateTensor.index_select(0, index);
            var ground = grounding?.index_select(0, index);
            var prefix = cached
                ? policy.Model.PrefixFromFeatures(frameFeatures!.index_select(0, index), state, textFeatures!.index_select(0, which), text, ground)
                : policy.Model.Prefix(VlaPolicy.ToFloat(frames.index_select(0, index)), state, text, ground);
            return policy.Model.Config.Head == ActionHead.Tokens
                ? policy.Model.TokenLoss(prefix, tokenTensor.index_select(0, index))
                : policy.Model.RegressionLoss(prefix, targetTensor.index_select(0, index));
        }, new StepTrainingOptions(options.Steps, options.LearningRate, GradClip: 1.0, EvaluateEvery: options.EvaluateEvery,
            CheckpointPath: options.CheckpointPath, CheckpointEvery: 200, Resume: options.Resume, WarmupSteps: options.WarmupSteps, CosineDecay: options.CosineDecay,
            StageStart: options.QuestionSteps),   // the action stage gets its own warm-up and decay
            evaluate, progress, JsonSerializer.Serialize(policy.Model.Config), cancellation);
    }

    /// <summary>The image tower's features of uint8 frames (N, S, S, 3), computed in chunks without gradient.</summary>
    private static Tensor Features(VlaPolicy policy, Tensor frames) => NoGcRegion.Run(() =>
    {
        using var noGrad = no_grad();
        policy.Model.eval();
        var chunks = new List<Tensor>();
        for (long start = 0; start < frames.shape[0]; start += 256)
        {
            using var scope = NewDisposeScope();
            chunks.Add(policy.Model.ImageFeatures(VlaPolicy.ToFloat(frames.narrow(0, start, Math.Min(256, frames.shape[0] - start)))).MoveToOuterDisposeScope());
        }

        var all = cat(chunks, 0);
        foreach (var c in chunks) c.Dispose();
        return all;
    });

    private static Tensor TowerText(VlaPolicy policy, Tensor ids)
    {
        using var noGrad = no_grad();
        policy.Model.eval();
        return policy.Model.TextFeatures(ids);
    }

    /// <summary>Scene questions with their answers' indices in <paramref name="answers"/>.</summary>
    public static List<SceneQuestion> Questions(TabletopConfig table, IReadOnlyList<Sprite> pool, IReadOnlyList<TaskKind> kinds, IReadOnlyList<string> answers, int count, int seed)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        ArgumentNullException.ThrowIfNull(answers);
        var index = answers.Select((a, i) => (a, i)).ToDictionary(p => p.a, p => p.i, StringComparer.Ordinal);
        var rng = new Random(StableSeed.Of(seed, 555));
        var list = new List<SceneQuestion>(count);
        for (int i = 0; i < count; i++)
        {
            var scene = Tabletop.Random(table, pool, kinds[i % kinds.Count], StableSeed.Of(seed, 556, i));
            var (q, a) = SceneText.Ask(scene, rng);
            list.Add(new SceneQuestion(scene.Render(), scene.State(), q, index[a]));
        }

        return list;
    }
}
