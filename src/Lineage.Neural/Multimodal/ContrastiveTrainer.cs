using System.Text.Json;
using Lineage.Neural.Core.Training;
using static TorchSharp.torch;

namespace Lineage.Neural.Multimodal;

/// <summary>
/// Trains a <see cref="DualEncoder"/> on matching image-caption batches with the library's <see cref="StepTrainer"/>
/// (Adam, gradient clipping, NaN check, atomic checkpoints, exact resume): the batch of step s is drawn from s alone.
/// </summary>
public static class ContrastiveTrainer
{
    /// <summary>Trains for <see cref="StepTrainingOptions.Steps"/> steps.</summary>
    /// <param name="model">The dual encoder; its objective (CLIP or SigLIP) picks the loss.</param>
    /// <param name="batch">Images (B, C, H, W) and token ids (B, T) of step s, pair i matching pair i; built inside the step's scope.</param>
    /// <param name="options">Steps, learning rate, checkpointing.</param>
    /// <param name="chunk">SigLIP: captions per block of the loss (0: the whole batch at once).</param>
    /// <param name="progress">Told after every step.</param>
    /// <param name="cancellation">Stops between steps, checkpointing first.</param>
    public static StepHistory Train(DualEncoder model, Func<long, (Tensor Images, Tensor Ids)> batch, StepTrainingOptions options, int chunk = 0,
        IProgress<StepReport>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        return StepTrainer.Train(model, step =>
        {
            var (images, ids) = batch(step);
            return model.Loss(images, ids, chunk);
        }, options, progress: progress, configuration: JsonSerializer.Serialize(model.Config), cancellation: cancellation);
    }
}
