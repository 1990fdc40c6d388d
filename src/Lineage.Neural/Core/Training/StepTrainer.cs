using System.Diagnostics;
using System.Text.Json;
using Lineage.Neural.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.Core.Training;

/// <summary>Settings of <see cref="StepTrainer"/>.</summary>
/// <param name="Steps">Optimiser steps in the whole run (a resumed run continues up to this).</param>
/// <param name="LearningRate">Adam's step size.</param>
/// <param name="GradClip">Clip the global gradient norm to this (0: no clipping).</param>
/// <param name="EvaluateEvery">Call the evaluation every this many steps and at the end (0: never).</param>
/// <param name="CheckpointPath">Where to write checkpoints (atomically), or null.</param>
/// <param name="CheckpointEvery">Steps between checkpoints; one is also written at the end.</param>
/// <param name="Resume">Continue from <paramref name="CheckpointPath"/> when it exists.</param>
/// <param name="StopBelow">Stop early once an evaluation is below this (NaN: never).</param>
/// <param name="MaxSeconds">Stop early once this much training time has passed (0: no limit); for equal-time comparisons.</param>
/// <param name="HoldGc">Run each step with the garbage collector held off (<see cref="NoGcRegion"/>), so that a collection
/// during a TorchSharp call cannot free a Scalar still in use. On by default (it cost nothing measurable: sequence.bytenet
/// 27.3 s without, 27.7 s with); off only to look at the race.</param>
/// <param name="WarmupSteps">Raise the learning rate linearly from 0 over this many steps (0: start at full rate).</param>
/// <param name="CosineDecay">After the warm-up, lower the learning rate along half a cosine to 0 at the last step
/// (<see cref="LearningRateSchedule.WarmupCosine"/>); off: constant after the warm-up.</param>
/// <param name="StageStart">Training in two stages: from this step on the schedule starts again (its own warm-up, and its
/// own cosine down to 0 at the last step), as each of LLaVA's two training stages has its own (0: one stage).</param>
public sealed record StepTrainingOptions(
    int Steps,
    double LearningRate = 1e-3,
    double GradClip = 1.0,
    int EvaluateEvery = 0,
    string? CheckpointPath = null,
    int CheckpointEvery = 100,
    bool Resume = false,
    double StopBelow = double.NaN,
    double MaxSeconds = 0,
    bool HoldGc = true,
    int WarmupSteps = 0,
    bool CosineDecay = false,
    int StageStart = 0)
{
    /// <summary>Returns these options, or throws naming the bad field.</summary>
    public StepTrainingOptions Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Steps, 1, nameof(Steps));
        ArgumentOutOfRangeException.ThrowIfNegative(EvaluateEvery, nameof(EvaluateEvery));
        ArgumentOutOfRangeException.ThrowIfLessThan(CheckpointEvery, 1, nameof(CheckpointEvery));
        ArgumentOutOfRangeException.ThrowIfNegative(WarmupSteps, nameof(WarmupSteps));
        if (StageStart < 0 || StageStart >= Steps) throw new ArgumentOutOfRangeException(nameof(StageStart), StageStart, $"must be in [0, Steps = {Steps})");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "must be a positive number");
        if (!(GradClip >= 0)) throw new ArgumentOutOfRangeException(nameof(GradClip), GradClip, "must be ≥ 0");
        if (Resume && CheckpointPath is null) throw new ArgumentException("Resume needs a CheckpointPath.", nameof(Resume));
        return this;
    }
}

/// <summary>Learning-rate schedules by step, shared by every trainer that uses one.</summary>
public static class LearningRateSchedule
{
    /// <summary>Linear warm-up over <paramref name="warmup"/> steps to <paramref name="peak"/>, constant after it.</summary>
    public static double Warmup(long step, long warmup, double peak) => step < warmup ? peak * (step + 1) / warmup : peak;

    /// <summary>The rate at step <paramref name="step"/> (0-based) of <paramref name="total"/>: linear warm-up over
    /// <paramref name="warmup"/> steps to <paramref name="peak"/>, then half a cosine to 0.</summary>
    public static double WarmupCosine(long step, long total, long warmup, double peak)
    {
        if (step < warmup) return Warmup(step, warmup, peak);
        double progress = (double)(step - warmup) / Math.Max(1, total - warmup);
        return peak * 0.5 * (1 + Math.Cos(Math.PI * Math.Min(1, progress)));
    }
}

/// <summary>An evaluation during training.</summary>
/// <param name="Step">Steps done when it was measured.</param>
/// <param name="Value">The evaluation's value (held-out loss, MSE, …).</param>
public sealed record EvalPoint(long Step, double Value);

/// <summary>The learning curve of a step-based run.</summary>
/// <param name="Losses">Training loss of every step, in order.</param>
/// <param name="Evaluations">Evaluations, in order.</param>
/// <param name="TrainSeconds">Wall time spent in training steps (evaluations and checkpoints excluded), summed over resumed runs.</param>
/// <param name="Stopped">Whether the run stopped early because an evaluation fell below <see cref="StepTrainingOptions.StopBelow"/>.</param>
public sealed record StepHistory(List<double> Losses, List<EvalPoint> Evaluations, double TrainSeconds = 0, bool Stopped = false)
{
    /// <summary>An empty history.</summary>
    public static StepHistory Empty() => new([], []);
}

/// <summary>
/// The training loop for models trained by steps on batches drawn from the step number (language models, synthetic
/// tasks): Adam, gradient clipping, one dispose scope per step, NaN check, periodic evaluation, atomic checkpoints
/// (weights, optimiser, RNG, history; <see cref="Checkpoint"/>) and exact resume. The caller supplies the loss of a
/// step; because its batch depends only on the step number, a resumed run reproduces the uninterrupted loss curve.
/// </summary>
public static class StepTrainer
{
    /// <summary>Trains <paramref name="model"/> for <see cref="StepTrainingOptions.Steps"/> steps.</summary>
    /// <param name="model">The model; its parameters are optimised.</param>
    /// <param name="loss">The scalar loss of step s (0-based), built inside the step's dispose scope.</param>
    /// <param name="options">Settings.</param>
    /// <param name="evaluate">Evaluation (e.g. held-out loss), called outside the step scope; may be null.</param>
    /// <param name="progress">Told after every step; may be null.</param>
    /// <param name="cancellation">Stops between steps; the steps done so far are checkpointed first (when there is a checkpoint path).</param>
    /// <param name="configuration">Serialised model configuration stored in the checkpoint and checked on resume, so
    /// that resuming with other sizes fails with a message naming them (null: not checked).</param>
    /// <exception cref="TrainingDivergedException">A loss was NaN or infinite; the last good checkpoint is kept.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    /// <exception cref="InvalidDataException">The checkpoint belongs to a model of another configuration or shape.</exception>
    public static StepHistory Train(nn.Module model, Func<long, Tensor> loss, StepTrainingOptions options,
        Func<double>? evaluate = null, IProgress<StepReport>? progress = null, string? configuration = null,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var optimizer = torch.optim.Adam(model.parameters(), options.LearningRate);
        var history = StepHistory.Empty();
        if (options.Resume && File.Exists(options.CheckpointPath))
        {
            var state = ReadMetadata(options.CheckpointPath!, configuration);
            Checkpoint.Load(options.CheckpointPath!, model, optimizer);
            history = state.History;
        }

        var clock = new Stopwatch();
        double seconds = history.TrainSeconds;
        bool stopped = history.Stopped;
        model.train();
        long saved = history.Losses.Count;
        for (long step = history.Losses.Count; step < options.Steps && !stopped; step++)
        {
            if (cancellation.IsCancellationRequested)
            {
                // Stopped between steps: keep the work done since the last checkpoint (written atomically), then stop.
                if (options.CheckpointPath is not null && step > saved)
                    Save(options.CheckpointPath, model, optimizer, history with { TrainSeconds = seconds }, configuration);
                cancellation.ThrowIfCancellationRequested();
            }
            double value;
            if (options.WarmupSteps > 0 || options.CosineDecay)
                foreach (var group in optimizer.ParamGroups) group.LearningRate = ScheduledRate(step, options);
            clock.Restart();
            double Step()
            {
                using var scope = torch.NewDisposeScope();                     // every temporary of this step dies here
                optimizer.zero_grad();
                var l = loss(step);
                l.backward();
                if (options.GradClip > 0) nn.utils.clip_grad_norm_(model.parameters(), options.GradClip);
                optimizer.step();
                return l.item<float>();                                        // leaves the scope as a number
            }

            value = options.HoldGc ? NoGcRegion.Run(Step) : Step();
            seconds += clock.Elapsed.TotalSeconds;
            if (!double.IsFinite(value))
                throw new TrainingDivergedException(step + 1, value, options.CheckpointPath is { } p && File.Exists(p) ? p : null);
            history.Losses.Add(value);
            long done = step + 1;
            if (evaluate is not null && options.EvaluateEvery > 0 && (done % options.EvaluateEvery == 0 || done == options.Steps))
            {
                double e = evaluate();
                model.train();
                history.Evaluations.Add(new EvalPoint(done, e));
                stopped = e < options.StopBelow;
            }
            if (options.MaxSeconds > 0 && seconds >= options.MaxSeconds) stopped = true;
            progress?.Report(new StepReport(done, options.Steps, value, 1));
            if (options.CheckpointPath is not null && (done % options.CheckpointEvery == 0 || done == options.Steps || stopped))
            {
                Save(options.CheckpointPath, model, optimizer, history with { TrainSeconds = seconds, Stopped = stopped }, configuration);
                saved = done;
            }
        }
        return history with { TrainSeconds = seconds, Stopped = stopped };
    }

    /// <summary>The learning rate of step <paramref name="step"/> (0-based) under the options' warm-up and decay.</summary>
    public static double ScheduledRate(long step, StepTrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        long at = step, total = options.Steps;
        if (options.StageStart > 0) (at, total) = step < options.StageStart ? (step, options.StageStart) : (step - options.StageStart, options.Steps - options.StageStart);
        return options.CosineDecay
            ? LearningRateSchedule.WarmupCosine(at, total, options.WarmupSteps, options.LearningRate)
            : LearningRateSchedule.Warmup(at, options.WarmupSteps, options.LearningRate);
    }

    /// <summary>The model configuration a checkpoint written by <see cref="Train"/> was saved with (null if none).</summary>
    /// <exception cref="InvalidDataException">Not such a checkpoint.</exception>
    public static string? ReadConfiguration(string path)
    {
        var info = Checkpoint.Peek(path);
        try
        {
            return JsonSerializer.Deserialize<Metadata>(info.Metadata)?.Configuration;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: the checkpoint was not written by the step trainer ({e.Message})", e);
        }
    }

    private sealed record Metadata(string? Configuration, StepHistory History);

    private static void Save(string path, nn.Module model, OptimizerHelper optimizer, StepHistory history, string? configuration) =>
        Checkpoint.Save(path, model, optimizer, new CheckpointInfo(history.Losses.Count, JsonSerializer.Serialize(new Metadata(configuration, history))));

    private static Metadata ReadMetadata(string path, string? configuration)
    {
        var info = Checkpoint.Peek(path);
        var metadata = JsonSerializer.Deserialize<Metadata>(info.Metadata)
            ?? throw new InvalidDataException($"{path}: checkpoint has no training history");
        if (configuration is not null && metadata.Configuration is not null && metadata.Configuration != configuration)
            throw new InvalidDataException($"{path}: the checkpoint was written with another configuration: {Differences(metadata.Configuration, configuration)}.");
        return metadata;
    }

    /// <summary>"Hidden: 32 in the checkpoint, 64 now; …" for two JSON configurations (or both whole when not JSON objects).</summary>
    private static string Differences(string saved, string current)
    {
        try
        {
            var a = Flatten(System.Text.Json.Nodes.JsonNode.Parse(saved), "");
            var b = Flatten(System.Text.Json.Nodes.JsonNode.Parse(current), "");
            var keys = a.Keys.Union(b.Keys).Where(k => a.GetValueOrDefault(k) != b.GetValueOrDefault(k)).ToList();
            if (keys.Count > 0)
                return string.Join("; ", keys.Select(k => $"{k}: {a.GetValueOrDefault(k) ?? "absent"} in the checkpoint, {b.GetValueOrDefault(k) ?? "absent"} now"));
        }
        catch (JsonException)
        {
        }
        return $"{saved} in the checkpoint, {current} now";
    }

    private static Dictionary<string, string?> Flatten(System.Text.Json.Nodes.JsonNode? node, string prefix)
    {
        var result = new Dictionary<string, string?>();
        if (node is System.Text.Json.Nodes.JsonObject obj)
        {
            foreach (var (key, value) in obj)
                foreach (var pair in Flatten(value, prefix.Length == 0 ? key : $"{prefix}.{key}")) result[pair.Key] = pair.Value;
        }
        else
        {
            result[prefix.Length == 0 ? "configuration" : prefix] = node?.ToJsonString();
        }
        return result;
    }
}
