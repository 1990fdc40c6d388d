// FlashAttention 3's "incoherent processing" (Shah et al. 2024, §3.3, after QuIP, Chee et al. 2023): multiply queries and keys
// by the same random orthogonal matrix M before quantising. (QM)(KM)ᵀ = Q M Mᵀ Kᵀ = QKᵀ, so attention is unchanged in exact
// arithmetic, but an outlier channel is spread over all channels, so the quantisation scale is no longer set by one huge value.
// M = diag(s) H_d / √d with s random ±1 and H_d the Sylvester–Hadamard matrix; x M costs O(d log d) by the fast
// Walsh–Hadamard transform instead of a d × d product.
// Shapes: rows of length d (a power of two: 32, 64, 128); tensors (…, d).
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Attention;

/// <summary>A random Hadamard rotation M = diag(s) H / √d of dimension d (a power of two).</summary>
public sealed class RandomHadamard
{
    private readonly float[] _signs;

    /// <summary>A rotation with signs drawn from <paramref name="seed"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="dim"/> is not a power of two.</exception>
    public RandomHadamard(int dim, int seed)
    {
        if (dim < 1 || (dim & (dim - 1)) != 0) throw new ArgumentException($"A Hadamard rotation needs a power-of-two dimension; got {dim}.", nameof(dim));
        var random = new Random(seed);
        _signs = [.. Enumerable.Range(0, dim).Select(_ => random.Next(2) == 0 ? -1f : 1f)];
    }

    /// <summary>d.</summary>
    public int Dim => _signs.Length;

    /// <summary>row ← row · M in place.</summary>
    public void Apply(Span<float> row)
    {
        if (row.Length != Dim) throw new ArgumentException($"Row of length {row.Length} for a rotation of dimension {Dim}.", nameof(row));
        for (int i = 0; i < row.Length; i++) row[i] *= _signs[i];
        for (int half = 1; half < row.Length; half *= 2)                   // fast Walsh–Hadamard transform (butterflies)
        {
            for (int start = 0; start < row.Length; start += 2 * half)
            {
                for (int i = start; i < start + half; i++)
                {
                    float a = row[i], b = row[i + half];
                    row[i] = a + b;
                    row[i + half] = a - b;
                }
            }
        }

        float norm = 1f / MathF.Sqrt(row.Length);
        for (int i = 0; i < row.Length; i++) row[i] *= norm;
    }

    /// <summary>x · M over the last dimension of an fp32 tensor (…, d); a new tensor.</summary>
    public Tensor Apply(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.shape[^1] != Dim) throw new ArgumentException($"Last dimension {x.shape[^1]} does not match the rotation's {Dim}.", nameof(x));
        var data = x.to(ScalarType.Float32).contiguous().data<float>().ToArray();
        for (int at = 0; at < data.Length; at += Dim) Apply(data.AsSpan(at, Dim));
        return tensor(data, x.shape);
    }

    /// <summary>M as a (d, d) matrix (for tests and plots).</summary>
    public Tensor Matrix() => Apply(eye(Dim));
}
