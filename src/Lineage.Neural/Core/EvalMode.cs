using static TorchSharp.torch;

namespace Lineage.Neural.Core;

/// <summary>
/// Puts a module in evaluation mode (dropout off) until disposed, then back in the mode it was in, also when the
/// evaluation throws: <c>using var _ = EvalMode.Of(model);</c> instead of remembering <c>model.training</c> by hand.
/// </summary>
public readonly struct EvalMode : IDisposable
{
    private readonly nn.Module _module;
    private readonly bool _wasTraining;

    private EvalMode(nn.Module module)
    {
        _module = module;
        _wasTraining = module.training;
        module.eval();
    }

    /// <summary>Evaluation mode for <paramref name="module"/> until the result is disposed.</summary>
    public static EvalMode Of(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return new EvalMode(module);
    }

    /// <inheritdoc />
    public void Dispose() => _module?.train(_wasTraining);
}
