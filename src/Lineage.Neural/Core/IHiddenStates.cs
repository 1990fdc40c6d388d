// A language model's hidden states as a frozen text representation: the vectors its output head reads, one per input
// position. The lineage benchmark (issue 31) means them over a text to compare the recurrent, convolutional and
// attention language models through one featuriser.
using static TorchSharp.torch;

namespace Lineage.Neural.Core;

/// <summary>A token (or byte) language model that exposes the states its output head reads.</summary>
public interface IHiddenStates
{
    /// <summary>Width of a state: the feature count of a mean over positions.</summary>
    int HiddenSize { get; }

    /// <summary>The most positions one call may read (a transformer's context), or null when any length runs.</summary>
    int? MaxLength { get; }

    /// <summary>The states (B, T, <see cref="HiddenSize"/>) for ids (B, T), int64; position t depends on ids 0 … t only.</summary>
    Tensor Hidden(Tensor ids);
}
