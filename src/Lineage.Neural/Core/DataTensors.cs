using Lineage.Data.Idx;
using static TorchSharp.torch;

namespace Lineage.Neural.Core;

/// <summary>Turns data-library arrays into tensors.</summary>
public static class DataTensors
{
    /// <summary>The first <paramref name="count"/> images as float32 (N, rows·cols) in [0, 1] and their labels as int64 (N).</summary>
    /// <exception cref="ArgumentOutOfRangeException">More images asked for than there are.</exception>
    public static (Tensor X, Tensor Y) Flattened(IdxImages images, byte[] labels, int count)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Math.Min(images.Count, labels.Length), nameof(count));
        var x = tensor(images.ToFloats(0, count), [count, images.PixelsPerImage]);
        var y = tensor(labels.AsSpan(0, count).ToArray().Select(b => (long)b).ToArray(), [count]);
        return (x, y);
    }
}
