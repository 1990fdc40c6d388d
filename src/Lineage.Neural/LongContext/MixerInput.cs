using static TorchSharp.torch;

namespace Lineage.Neural.LongContext;

/// <summary>Input checks shared by the mixers.</summary>
internal static class MixerInput
{
    /// <summary>Throws unless x is floating point (B, T, C) with the given C; T may be 0.</summary>
    public static void Check(Tensor x, int dim, string mixer)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() != 3 || x.shape[2] != dim || !x.is_floating_point())
        {
            throw new ArgumentException($"{mixer} expects a floating-point (B, T, {dim}) input; got {x.dtype} ({string.Join(", ", x.shape)}).", nameof(x));
        }
    }

    /// <summary>Pads the time axis of (B, H, T, D) with zeros to a multiple of <paramref name="multiple"/>.</summary>
    public static Tensor PadTime(Tensor t, long multiple)
    {
        long n = t.shape[2], padded = (n + multiple - 1) / multiple * multiple;
        return padded == n ? t.alias() : nn.functional.pad(t, [0, 0, 0, padded - n]);
    }
}
