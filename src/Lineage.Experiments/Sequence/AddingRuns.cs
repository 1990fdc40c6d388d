using System.Globalization;
using System.Text.Json;
using Lineage.Data;
using Lineage.Experiments.Results;
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Sequence;
using TorchSharp;

namespace Lineage.Experiments.Sequence;

/// <summary>One adding-problem training run; part of the model-cache key.</summary>
/// <param name="Cell">RNN, LSTM or GRU.</param>
/// <param name="Length">T: sequence length.</param>
/// <param name="Hidden">H: hidden size.</param>
/// <param name="Batch">Sequences per step.</param>
/// <param name="MaxSteps">Step limit (the RNN always uses all of them).</param>
/// <param name="LearningRate">Adam's step size.</param>
/// <param name="StopBelow">Stop once held-out MSE is below this (the task counts as solved below 0.01).</param>
/// <param name="Seed">Seeds the initialisation and the batches.</param>
public sealed record AddingRun(CellKind Cell, int Length, int Hidden, int Batch, int MaxSteps, double LearningRate, double StopBelow, int Seed)
{
    /// <summary>Held-out MSE is measured this often (steps).</summary>
    public const int EvaluateEvery = 100;
}

/// <summary>Adding-problem models trained once and shared by the adding-problem and vanishing-gradient experiments
/// through the model cache (whichever runs first trains; the other reuses).</summary>
internal static class AddingRuns
{
    /// <summary>The cache folder both experiments use.</summary>
    public const string CacheId = "sequence.adding";

    /// <summary>The settings of the tour: lengths, sizes and step limits for the real and the quick run.</summary>
    public static AddingRun Settings(CellKind cell, int length, bool quick, int seed) => quick
        ? new AddingRun(cell, length, Hidden: 32, Batch: 32, MaxSteps: 400, LearningRate: 1e-2, StopBelow: 0.004, seed)
        : new AddingRun(cell, length, Hidden: 48, Batch: 64, MaxSteps: length switch { <= 50 => 1500, <= 100 => 2000, _ => 1000 }, LearningRate: 5e-3, StopBelow: 0.004, seed);

    /// <summary>Lengths of the table; the claims are made at <see cref="ClaimLength"/>.</summary>
    public static int[] Lengths(bool quick) => quick ? [10, 20, 40] : [50, 100, 200];

    /// <summary>The length at which LSTM and GRU must solve the task and the RNN must not.</summary>
    public static int ClaimLength(bool quick) => quick ? 20 : 100;

    /// <summary>LSTM forget-gate bias at initialisation (Gers et al. 2000; Jozefowicz et al. 2015): the standard remedy for
    /// a forget gate that starts half closed. The RNN and GRU have no such knob and keep PyTorch's initialisation.</summary>
    public const double ForgetBias = 1.0;

    /// <summary>A freshly initialised model for a run (the one training starts from).</summary>
    public static AddingModel Fresh(AddingRun run)
    {
        torch.manual_seed(run.Seed);
        return new AddingModel(run.Cell, run.Hidden, fused: true, forgetBias: ForgetBias);
    }

    /// <summary>The trained model and its learning curve, from the cache or trained now.</summary>
    public static (AddingModel Model, StepHistory History, ModelOrigin Origin) Trained(ExperimentContext context, AddingRun run)
    {
        var model = Fresh(run);
        var cache = context.Models.Entry(CacheId, run, []);
        var (history, origin) = cache.LoadOrTrain(model, () =>
        {
            var options = new StepTrainingOptions(run.MaxSteps, run.LearningRate, GradClip: 1.0, EvaluateEvery: AddingRun.EvaluateEvery,
                CheckpointPath: context.OutputFile($"checkpoint-{run.Cell}-{run.Length}.bin".ToLowerInvariant()), CheckpointEvery: 500, StopBelow: run.StopBelow);
            using var bar = context.Progress.Start($"adding problem: {run.Cell}, T = {run.Length}", run.MaxSteps);
            var progress = new SyncProgress<StepReport>(r =>
                bar.Report(r.Step, string.Create(CultureInfo.InvariantCulture, $"step {r.Step}, MSE {r.Loss:0.0000}")));
            return model.Train(run.Length, run.Batch, run.Seed, options, progress, context.Cancellation);
        });
        return (model, history, origin);
    }
}
