// How attention is computed, as a registered kernel: each kernel is a class marked [Kernel("id", Order = n)] in its own
// file (NaiveKernel.cs, SdpaKernel.cs, FlashKernel.cs), found by reflection, so adding one edits no enum and no switch.
// A kernel says how it computes the masked form the models call (Compute), the form built from the mask's parts
// (Attend: the Flash kernel takes no mask tensor), and unmasked-or-causal self-attention (SelfAttend, the long-context
// chapter's dense mixer) with the memory that adds. The maths lives in ScaledDotProduct and the kernels' own files.
using System.Reflection;
using static TorchSharp.torch;

namespace Lineage.Neural.Attention;

/// <summary>Marks an <see cref="AttentionKernel"/> subclass (with a parameterless constructor) for the registry.</summary>
/// <param name="id">The lower-case id, e.g. "flash".</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class KernelAttribute(string id) : Attribute
{
    /// <summary>The id.</summary>
    public string Id { get; } = id;

    /// <summary>Position in listings, ascending; ties by id.</summary>
    public int Order { get; init; }

    /// <summary>A few words for listings such as the <c>--impl</c> help (e.g. "FA2"); empty for none.</summary>
    public string Note { get; init; } = "";
}

/// <summary>How attention is computed; all give the same numbers (tested to 1e-5). Kernels are stateless: two of the same class are equal.</summary>
public abstract class AttentionKernel : IEquatable<AttentionKernel>
{
    private static readonly Lazy<IReadOnlyList<AttentionKernel>> Kernels = new(Discover);

    /// <summary>softmax(QKᵀ/√d + mask)·V written out: the n×n score matrix is built and kept. The reference.</summary>
    public static AttentionKernel Naive => Get("naive");

    /// <summary>libtorch's fused <c>scaled_dot_product_attention</c>.</summary>
    public static AttentionKernel Sdpa => Get("sdpa");

    /// <summary>Lineage's FlashAttention kernel (Attention/FlashAttention.cs): tiles and an online softmax, O(n) memory.
    /// Causal or unmasked only; no attention dropout.</summary>
    public static AttentionKernel Flash => Get("flash");

    /// <summary>Every class marked <see cref="KernelAttribute"/>, by order.</summary>
    public static IReadOnlyList<AttentionKernel> All => Kernels.Value;

    /// <summary>The kernel named <paramref name="id"/> (any case, surrounding spaces ignored).</summary>
    /// <exception cref="ArgumentException">Not a known kernel; the message lists the known ones.</exception>
    public static AttentionKernel Get(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return All.FirstOrDefault(k => string.Equals(k.Id, id.Trim(), StringComparison.OrdinalIgnoreCase))
               ?? throw new ArgumentException($"Unknown attention kernel '{id}'; known: {string.Join(", ", All.Select(k => k.Id))}.");
    }

    /// <summary>The id of its <see cref="KernelAttribute"/>.</summary>
    public string Id => GetType().GetCustomAttribute<KernelAttribute>()?.Id ?? GetType().Name;

    /// <summary>The note of its <see cref="KernelAttribute"/> (may be empty).</summary>
    public string Note => GetType().GetCustomAttribute<KernelAttribute>()?.Note ?? "";

    /// <summary>The id with a capital initial, as benchmark lines show it ("Flash", "Sdpa").</summary>
    public string DisplayName => Id.Length == 0 ? Id : char.ToUpperInvariant(Id[0]) + Id[1..];

    /// <summary>Attention of q (B, H, Tq, D), k, v (B, H, Tk, D) under an additive mask (see <see cref="ScaledDotProduct.Mask"/>), shapes already checked.</summary>
    /// <exception cref="NotSupportedException">A mask or dropout the kernel cannot take.</exception>
    public abstract Tensor Compute(Tensor q, Tensor k, Tensor v, Tensor? mask, double dropout, double? scale);

    /// <summary>Attention from the mask's parts (padding, causal flag, bias); by default through <see cref="ScaledDotProduct.Mask"/> and <see cref="ScaledDotProduct.Compute"/>.</summary>
    /// <exception cref="NotSupportedException">Parts the kernel cannot take.</exception>
    public virtual Tensor Attend(Tensor q, Tensor k, Tensor v, Tensor? keyPadding, bool causal, Tensor? bias, double dropout, double? scale)
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        return ScaledDotProduct.Compute(this, q, k, v, ScaledDotProduct.Mask(q.shape[2], k.shape[2], keyPadding, causal, bias, q.dtype, q.device), dropout, scale);
    }

    /// <summary>Self-attention of q, k, v (B, H, n, D) with no padding and no bias, causal or over all pairs, by the kernel's cheapest route.</summary>
    public abstract Tensor SelfAttend(Tensor q, Tensor k, Tensor v, bool causal);

    /// <summary>Bytes that <see cref="SelfAttend"/> keeps for forward + backward beyond its inputs and output (the n × n terms where it builds them).</summary>
    public abstract long SelfAttendBytes(long batch, long heads, long n);

    /// <summary>The call <see cref="AttentionBenchmark"/> times for q, k, v (B, H, n, D): by default <see cref="SelfAttend"/>.</summary>
    /// <exception cref="InsufficientMemoryException">The kernel refuses a request that would not fit (its estimate in the message).</exception>
    public virtual Tensor Benchmarked(Tensor q, Tensor k, Tensor v, bool causal) => SelfAttend(q, k, v, causal);

    /// <inheritdoc />
    public bool Equals(AttentionKernel? other) => other is not null && other.GetType() == GetType();

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as AttentionKernel);

    /// <inheritdoc />
    public override int GetHashCode() => GetType().GetHashCode();

    /// <inheritdoc />
    public override string ToString() => Id;

    /// <summary>Same kernel.</summary>
    public static bool operator ==(AttentionKernel? a, AttentionKernel? b) => a is null ? b is null : a.Equals(b);

    /// <summary>Different kernels.</summary>
    public static bool operator !=(AttentionKernel? a, AttentionKernel? b) => !(a == b);

    private static IReadOnlyList<AttentionKernel> Discover()
    {
        var found = new List<(KernelAttribute Mark, AttentionKernel Kernel)>();
        foreach (var type in typeof(AttentionKernel).Assembly.GetTypes())
        {
            if (type.GetCustomAttribute<KernelAttribute>() is not { } mark) continue;
            if (type.IsAbstract || !typeof(AttentionKernel).IsAssignableFrom(type) || type.GetConstructor(Type.EmptyTypes) is null)
                throw new InvalidOperationException($"{type.Name} is marked [Kernel(\"{mark.Id}\")] but is not a concrete AttentionKernel with a public parameterless constructor.");
            found.Add((mark, (AttentionKernel)Activator.CreateInstance(type)!));
        }

        var duplicate = found.GroupBy(k => k.Mark.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidOperationException($"Two attention kernels share the id '{duplicate.Key}'.");
        return [.. found.OrderBy(k => k.Mark.Order).ThenBy(k => k.Mark.Id, StringComparer.Ordinal).Select(k => k.Kernel)];
    }
}
