// A byte-level language model on a recurrent network: embedding → RNN/LSTM/GRU → linear head.
//
// Paper:   the character-level RNN LM of Sutskever, Martens & Hinton 2011 and Graves 2013 ("Generating Sequences
//          With Recurrent Neural Networks", arXiv:1308.0850), here on bytes.
// Shapes:  B batch, T bytes, E embedding size, H hidden size, V = 256 byte values.
// Training uses libtorch's fused kernel by default (RecurrentLmConfig.Fused); the weights are the ones
//          Recurrent's equations use, so the fused and equation paths are interchangeable (RecurrentTests).
using Lineage.Neural.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.Sequence;

/// <summary>Hyper-parameters of <see cref="RecurrentLm"/>.</summary>
/// <param name="Cell">RNN, LSTM or GRU.</param>
/// <param name="Embedding">E: byte embedding size.</param>
/// <param name="Hidden">H: recurrent state size.</param>
/// <param name="Layers">Stacked recurrent layers.</param>
/// <param name="Fused">Use libtorch's fused kernel (faster; same weights and results).</param>
/// <param name="VocabSize">V: 256 byte values.</param>
public sealed record RecurrentLmConfig(CellKind Cell = CellKind.Lstm, int Embedding = 64, int Hidden = 256, int Layers = 1, bool Fused = true, int VocabSize = 256)
{
    /// <summary>Small enough for a unit test.</summary>
    public static RecurrentLmConfig Tiny(CellKind cell) => new(cell, Embedding: 8, Hidden: 16);

    /// <summary>The recurrent part's configuration (batch-first).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public RecurrentConfig Recurrent => new(Cell, Embedding, Hidden, Layers, Bidirectional: false, BatchFirst: true, Fused: Fused);
}

/// <summary>Byte ids (B, T) → next-byte logits (B, T, V) through a recurrent network; can also run step by step.</summary>
[Model("lstm-lm", Paper = "Hochreiter & Schmidhuber 1997")]
public sealed class RecurrentLm : nn.Module<Tensor, Tensor>, IHiddenStates
{
    private readonly Embedding embed;     // (V, E)
    private readonly Recurrent rnn;
    private readonly Linear head;         // H → V

    /// <summary>A tiny seeded LSTM language model and a fixed batch of bytes, for the registry's conformance tests.</summary>
    public static ModelSample Conformance()
    {
        manual_seed(19);
        var bytes = randint(0, 256, [2, 10]);
        return new(new RecurrentLm(RecurrentLmConfig.Tiny(CellKind.Lstm)), m => ((RecurrentLm)m).forward(bytes));
    }

    /// <summary>Creates the model (seed with torch.manual_seed first).</summary>
    public RecurrentLm(RecurrentLmConfig config) : base(nameof(RecurrentLm))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        embed = nn.Embedding(config.VocabSize, config.Embedding);
        rnn = new Recurrent(config.Recurrent.Validate());
        head = nn.Linear(config.Hidden, config.VocabSize);
        RegisterComponents();
    }

    /// <summary>Sizes.</summary>
    public RecurrentLmConfig Config { get; }

    /// <summary>The recurrent network (to switch <see cref="Recurrent.Fused"/>).</summary>
    public Recurrent Network => rnn;

    /// <summary>Next-byte logits (B, T, V) for byte ids (B, T), int64, from a zero state.</summary>
    public override Tensor forward(Tensor bytes) => Step(bytes, null).Logits;

    /// <inheritdoc />
    public int HiddenSize => Config.Hidden;

    /// <inheritdoc />
    public int? MaxLength => null;

    /// <summary>The top layer's hidden states (B, T, H) for byte ids (B, T), int64, from a zero state: the text's representation before the head.</summary>
    /// <exception cref="ArgumentException">Not a non-empty 2-D int64 tensor.</exception>
    public Tensor Hidden(Tensor ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.dim() != 2 || ids.dtype != ScalarType.Int64 || ids.shape[1] == 0)
            throw new ArgumentException($"{Config.Cell} LM input must be non-empty int64 (B, T) byte ids, not {ids.dtype} ({string.Join(", ", ids.shape)}).", nameof(ids));
        using var scope = NewDisposeScope();
        var (h, _) = rnn.Run(embed.forward(ids), null);
        return h.MoveToOuterDisposeScope();
    }

    /// <summary>Runs on from <paramref name="state"/> (zeros when null); returns the logits and the new state.</summary>
    /// <exception cref="ArgumentException">Not a non-empty 2-D int64 tensor.</exception>
    public (Tensor Logits, RecurrentState State) Step(Tensor bytes, RecurrentState? state)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.dim() != 2 || bytes.dtype != ScalarType.Int64 || bytes.shape[1] == 0)
            throw new ArgumentException($"{Config.Cell} LM input must be non-empty int64 (B, T) byte ids, not {bytes.dtype} ({string.Join(", ", bytes.shape)}).", nameof(bytes));
        var (h, s) = rnn.Run(embed.forward(bytes), state);                   // (B, T, H)
        return (head.forward(h), s);                                          // (B, T, V)
    }
}
