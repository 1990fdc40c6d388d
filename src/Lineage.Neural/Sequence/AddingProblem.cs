// The adding problem (Hochreiter & Schmidhuber 1997, §5 experiment 4): a long-dependency test for recurrent nets.
//
// Each step t carries two numbers: a value v_t ~ U(0, 1) and a marker m_t ∈ {0, 1}. Exactly two markers are 1,
// one in the first half of the sequence and one in the second; the target is the sum of the two marked values.
// Predicting the mean (1.0) gives MSE 1/6 ≈ 0.167 (the variance of a sum of two U(0, 1)); solving it needs the
// first marked value carried across up to T steps, which is exactly what a vanishing gradient prevents.
// AddingModel.GradientNorms measures that gradient (Bengio, Simard & Frasconi 1994) for the sequence.vanishing chapter.
// Shapes: B batch, T length, H hidden size.
using Lineage.Neural.Core.Training;
using Lineage.Text.Determinism;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.Sequence;

/// <summary>Batches of the adding problem and the MSE of always predicting the mean.</summary>
public static class AddingProblem
{
    /// <summary>MSE of the constant prediction 1.0: Var(U + U') = 2/12.</summary>
    public const double MeanBaselineMse = 1.0 / 6.0;

    /// <summary>A batch that depends only on (<paramref name="seed"/>, <paramref name="step"/>).</summary>
    /// <returns>Inputs (B, T, 2) float32 (value, marker) and targets (B) float32.</returns>
    /// <exception cref="ArgumentOutOfRangeException">Length below 2 or batch below 1.</exception>
    public static (Tensor X, Tensor Y) Batch(int batch, int length, int seed, long step)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1, nameof(batch));
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 2, nameof(length));
        var rng = new Random(StableSeed.Of(seed, step, length));
        var x = new float[batch * length * 2];
        var y = new float[batch];
        int half = length / 2;
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < length; t++) x[(b * length + t) * 2] = rng.NextSingle();
            int first = rng.Next(half), second = half + rng.Next(length - half);
            x[(b * length + first) * 2 + 1] = 1;
            x[(b * length + second) * 2 + 1] = 1;
            y[b] = x[(b * length + first) * 2] + x[(b * length + second) * 2];
        }
        return (torch.tensor(x, [batch, length, 2]), torch.tensor(y, [batch]));
    }
}

/// <summary>A recurrent network reading the (value, marker) sequence and a linear read-out of its last state.</summary>
public sealed class AddingModel : nn.Module<Tensor, Tensor>
{
    private readonly Recurrent rnn;
    private readonly Linear head;      // H → 1

    /// <summary>Creates the model (seed with torch.manual_seed first).</summary>
    /// <param name="cell">RNN, LSTM or GRU.</param>
    /// <param name="hidden">H.</param>
    /// <param name="fused">Train with libtorch's fused kernel (same weights as the equations).</param>
    /// <param name="forgetBias">LSTM only: initial forget-gate bias (see <see cref="Recurrent.SetForgetBias"/>); null keeps PyTorch's.</param>
    public AddingModel(CellKind cell, int hidden, bool fused = true, double? forgetBias = null) : base(nameof(AddingModel))
    {
        rnn = new Recurrent(new RecurrentConfig(cell, 2, hidden, Fused: fused));
        if (forgetBias is { } fb && cell == CellKind.Lstm) rnn.SetForgetBias(fb);
        head = nn.Linear(hidden, 1);
        RegisterComponents();
    }

    /// <summary>The recurrent network.</summary>
    public Recurrent Network => rnn;

    /// <summary>Predicted sums (B) for inputs (B, T, 2).</summary>
    public override Tensor forward(Tensor x) => Predict(x, null);

    /// <summary>Predicted sums (B); with <paramref name="trace"/>, records every h_t of the recurrence (see <see cref="Recurrent.Run"/>).</summary>
    public Tensor Predict(Tensor x, IList<Tensor>? trace)
    {
        var (h, _) = rnn.Run(x, null, trace);                                  // (B, T, H)
        return head.forward(h.select(1, -1)).squeeze(-1);                     // (B)
    }

    /// <summary>Mean squared error on <paramref name="batches"/> fresh batches (seeds apart from training).</summary>
    public double Evaluate(int length, int batch, int seed, int batches = 4)
    {
        bool wasTraining = training;
        eval();
        using var noGrad = torch.no_grad();
        double sum = 0;
        for (int i = 0; i < batches; i++)
        {
            using var scope = torch.NewDisposeScope();
            var (x, y) = AddingProblem.Batch(batch, length, seed ^ 0x5EED, -1 - i);   // negative steps: never a training batch
            sum += nn.functional.mse_loss(forward(x), y).item<float>();
        }
        if (wasTraining) train();
        return sum / batches;
    }

    /// <summary>Trains on the adding problem with <see cref="StepTrainer"/>, evaluating held-out MSE as it goes.</summary>
    public StepHistory Train(int length, int batch, int seed, StepTrainingOptions options, IProgress<StepReport>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return StepTrainer.Train(this, step =>
        {
            var (x, y) = AddingProblem.Batch(batch, length, seed, step);
            return nn.functional.mse_loss(forward(x), y);
        }, options, () => Evaluate(length, 256, seed), progress, null, cancellation);
    }

    /// <summary>
    /// ‖∂loss/∂h_t‖ (the total derivative through the recurrence, read from each h_t's gradient on the equations path),
    /// averaged over a batch of 64 sequences that no training or evaluation batch uses, indexed by the distance T − 1 − t
    /// from the loss at the last step. Leaves the gradients at zero.
    /// </summary>
    /// <param name="length">T.</param>
    /// <param name="seed">Seeds the batch.</param>
    public double[] GradientNorms(int length, int seed)
    {
        using var scope = torch.NewDisposeScope();
        zero_grad();
        var (x, y) = AddingProblem.Batch(64, length, seed ^ 0x7A11, step: -100);
        var trace = new List<Tensor>();
        var loss = nn.functional.mse_loss(Predict(x, trace), y);
        loss.backward();
        var norms = new double[length];
        for (int t = 0; t < length; t++)
            norms[length - 1 - t] = trace[t].grad!.norm(1, keepdim: false).mean().item<float>();   // ‖·‖₂ per sequence, then mean
        zero_grad();
        return norms;
    }
}
