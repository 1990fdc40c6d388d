namespace Lineage.Neural.Core.Training;

/// <summary>The loss became NaN or infinite; names the step, the value and the last good checkpoint.</summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="step">Step whose loss was not finite.</param>
    /// <param name="loss">The loss value.</param>
    /// <param name="lastCheckpoint">Last checkpoint written, or null.</param>
    public TrainingDivergedException(long step, double loss, string? lastCheckpoint)
        : base($"Training diverged at step {step}: loss is {loss}. " +
               (lastCheckpoint is null ? "No checkpoint was written yet." : $"Last good checkpoint: {lastCheckpoint}.") +
               " Lower the learning rate or check the inputs for NaN.")
    {
        Step = step;
        Loss = loss;
        LastCheckpoint = lastCheckpoint;
    }

    /// <summary>Required by the analyzers; prefer the descriptive constructor.</summary>
    public TrainingDivergedException() { }

    /// <summary>Required by the analyzers; prefer the descriptive constructor.</summary>
    public TrainingDivergedException(string message) : base(message) { }

    /// <summary>Required by the analyzers; prefer the descriptive constructor.</summary>
    public TrainingDivergedException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Step whose loss was not finite.</summary>
    public long Step { get; }

    /// <summary>The loss value.</summary>
    public double Loss { get; }

    /// <summary>Last checkpoint written, or null.</summary>
    public string? LastCheckpoint { get; }
}
