using System.Text.Json;
using Lineage.Neural.Core.Training;
using static TorchSharp.torch;

namespace Lineage.Neural.Sequence;

/// <summary>
/// Which byte-level language model and its sizes, and how it is trained; stored as JSON in its checkpoints so that
/// <c>lineage … sample</c> rebuilds the model and <c>--resume</c> refuses a checkpoint of another shape.
/// </summary>
/// <param name="Model">"rnn", "lstm", "gru" or "bytenet".</param>
/// <param name="Recurrent">Sizes of a recurrent model (null for ByteNet).</param>
/// <param name="ByteNet">Sizes of ByteNet (null for the recurrent models).</param>
/// <param name="Batch">Windows per step.</param>
/// <param name="Length">Bytes per window (sequence length).</param>
/// <param name="Seed">Seeds initialisation and batches.</param>
public sealed record ByteLmSpec(string Model, RecurrentLmConfig? Recurrent, ByteNetConfig? ByteNet, int Batch, int Length, int Seed)
{
    /// <summary>The models this spec can build.</summary>
    public static IReadOnlyList<string> Models { get; } = ["rnn", "lstm", "gru", "bytenet"];

    /// <summary>A recurrent spec.</summary>
    public static ByteLmSpec ForRecurrent(CellKind cell, int embedding, int hidden, int layers, int batch, int length, int seed) =>
        new(cell.ToString().ToLowerInvariant(), new RecurrentLmConfig(cell, embedding, hidden, layers), null, batch, length, seed);

    /// <summary>A ByteNet spec.</summary>
    public static ByteLmSpec ForByteNet(int channels, int repeats, int batch, int length, int seed) =>
        new("bytenet", null, new ByteNetConfig(Channels: channels, Repeats: repeats), batch, length, seed);

    /// <summary>Returns this spec, or throws naming the bad field.</summary>
    public ByteLmSpec Validate()
    {
        if (!Models.Contains(Model)) throw new ArgumentException($"Unknown model '{Model}'; expected one of {string.Join(", ", Models)}.", nameof(Model));
        if ((Model == "bytenet") != (ByteNet is not null) || (Model == "bytenet") == (Recurrent is not null))
            throw new ArgumentException($"Model '{Model}' needs exactly its own configuration.", nameof(Model));
        ArgumentOutOfRangeException.ThrowIfLessThan(Batch, 1, nameof(Batch));
        ArgumentOutOfRangeException.ThrowIfLessThan(Length, 1, nameof(Length));
        ByteNet?.Validate();
        Recurrent?.Recurrent.Validate();
        return this;
    }

    /// <summary>A freshly initialised model (seeded from <see cref="Seed"/>).</summary>
    public nn.Module<Tensor, Tensor> Create()
    {
        Validate();
        TorchSharp.torch.manual_seed(Seed);
        return ByteNet is not null ? new ByteNet(ByteNet) : new RecurrentLm(Recurrent!);
    }

    /// <summary>The spec as JSON (the checkpoint's configuration).</summary>
    public string ToJson() => JsonSerializer.Serialize(this);

    /// <summary>Reads the spec stored in a checkpoint written by <see cref="Train"/>.</summary>
    /// <exception cref="InvalidDataException">Not a checkpoint of a byte-level language model.</exception>
    public static ByteLmSpec FromCheckpoint(string path)
    {
        var json = StepTrainer.ReadConfiguration(path)
            ?? throw new InvalidDataException($"{path}: the checkpoint does not say which model wrote it");
        try
        {
            return (JsonSerializer.Deserialize<ByteLmSpec>(json) ?? throw new InvalidDataException($"{path}: empty model configuration")).Validate();
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: not a byte-level language model checkpoint ({e.Message})", e);
        }
    }

    /// <summary>
    /// Trains <paramref name="model"/> (made by <see cref="Create"/>) on <paramref name="corpus"/> with
    /// <see cref="StepTrainer"/>, evaluating held-out bits per byte on up to 16 windows every
    /// <see cref="StepTrainingOptions.EvaluateEvery"/> steps.
    /// </summary>
    /// <exception cref="ArgumentException">The corpus is too short for the sequence length.</exception>
    public StepHistory Train(nn.Module<Tensor, Tensor> model, ByteCorpus corpus, StepTrainingOptions options,
        IProgress<StepReport>? progress = null, CancellationToken cancellation = default)
    {
        Validate();
        return ByteLm.Train(model, corpus, Batch, Length, Seed, options, progress, ToJson(), cancellation);
    }
}
