using Lineage.Neural.Attention;
using Lineage.Neural.Core;
using Lineage.Neural.LongContext;
using Lineage.Neural.Transformers;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Tests.LongContext;

public class LongContextTests
{
    private static float MaxDiff(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    private static (Tensor Q, Tensor K, Tensor V) Qkv(long n, long d = 8, long heads = 2, long batch = 2)
        => (randn(batch, heads, n, d), randn(batch, heads, n, d), randn(batch, heads, n, d));

    [Theory]
    [InlineData(16, 4, 2, false)]
    [InlineData(16, 4, 2, true)]
    [InlineData(19, 4, 3, false)]   // n not a multiple of the window, global tokens spanning a block boundary
    [InlineData(19, 5, 0, true)]
    [InlineData(7, 12, 1, false)]   // window wider than the sequence
    [InlineData(1, 4, 2, true)]
    public void Longformer_Banded_EqualsDenseMaskedAttention(int n, int window, int global, bool causal)
    {
        using var threads = TorchThreads.AtMost(1);
        manual_seed(1);
        using var scope = NewDisposeScope();
        var (q, k, v) = Qkv(n);
        var banded = LongformerMixer.Attention(q, k, v, window, global, causal, dense: false);
        var dense = LongformerMixer.Attention(q, k, v, window, global, causal, dense: true);
        Assert.Equal(q.shape, banded.shape);
        Assert.True(MaxDiff(banded, dense) <= 1e-5, $"max diff {MaxDiff(banded, dense)}");
    }

    [Fact]
    public void Longformer_DenseMask_IsWindowPlusGlobal_AndTheBandIsNotAnNxNMatrix()
    {
        var pattern = LongformerMixer.Pattern(4, 2, 1, causal: false);
        using var mask = BlockSparseAttention.DenseMask(pattern, (p, s) => ((p - s).abs() <= 2) | (s < 1), 8, 8, causal: false);
        var m = mask.data<bool>().ToArray();
        for (int p = 0; p < 8; p++)
            for (int s = 0; s < 8; s++)
                Assert.Equal(Math.Abs(p - s) <= 2 || p < 1 || s < 1, m[p * 8 + s]);
        // Each query block gathers at most 3 window blocks + 1 global block: the strip is 4·b wide whatever n is.
        Assert.Equal(4, LongformerMixer.Pattern(1000, 2, 1, causal: false).KeyBlocks.GetLength(1));
    }

    [Theory]
    [InlineData(32, false)]
    [InlineData(32, true)]
    [InlineData(37, false)]
    [InlineData(37, true)]
    public void BigBird_BlockSparse_EqualsDenseMaskedAttention(int n, bool causal)
    {
        using var threads = TorchThreads.AtMost(1);
        manual_seed(2);
        using var scope = NewDisposeScope();
        var (q, k, v) = Qkv(n);
        var config = new BigBirdConfig { Block = 4, GlobalTokens = 4, RandomBlocks = 2 };
        var sparse = BigBirdMixer.Attention(q, k, v, config, causal, seed: 1, dense: false);
        var dense = BigBirdMixer.Attention(q, k, v, config, causal, seed: 1, dense: true);
        Assert.True(MaxDiff(sparse, dense) <= 1e-5, $"max diff {MaxDiff(sparse, dense)}");
        // The random blocks are really there: some query block sees a block that is neither neighbour nor global.
        var pattern = BigBirdMixer.Pattern(10, 4, 4, 2, causal, 1);
        bool random = false;
        for (int i = 0; i < 10; i++)
            for (int c = 0; c < pattern.KeyBlocks.GetLength(1); c++)
                random |= pattern.Valid[i, c] && pattern.KeyBlocks[i, c] > 0 && Math.Abs(pattern.KeyBlocks[i, c] - i) > 1;
        Assert.True(random);
    }

    [Theory]
    [InlineData(32, 4, 4, 2, false)]
    [InlineData(32, 4, 4, 2, true)]
    [InlineData(30, 8, 4, 3, true)]    // n not a multiple of the chunk
    [InlineData(6, 8, 2, 1, false)]    // one chunk
    public void Reformer_LshChunks_EqualDenseAttentionWithTheSameBuckets(int n, int chunk, int buckets, int rounds, bool causal)
    {
        using var threads = TorchThreads.AtMost(1);
        manual_seed(3);
        using var scope = NewDisposeScope();
        var (qk, _, v) = Qkv(n);
        var rotations = randn(8, rounds, buckets / 2);
        var hashes = LshAttention.Hash(qk, rotations);
        Assert.Equal(new long[] { 2, 2, rounds, n }, hashes.shape);
        Assert.True(hashes.max().item<long>() < buckets);
        var fast = LshAttention.Attend(qk, v, hashes, buckets, chunk, causal);
        var dense = LshAttention.Dense(qk, v, hashes, buckets, chunk, causal);
        Assert.True(MaxDiff(fast, dense) <= 1e-5, $"max diff {MaxDiff(fast, dense)}");
    }

    [Fact]
    public void Reformer_Hashing_PutsCloseVectorsInTheSameBucketMoreOften()
    {
        manual_seed(4);
        using var scope = NewDisposeScope();
        var x = randn(1, 1, 200, 16);
        var near = x + 0.05f * randn(1, 1, 200, 16);
        var far = randn(1, 1, 200, 16);
        var rotations = randn(16, 4, 4);
        var h = LshAttention.Hash(x, rotations);
        double sameNear = (h == LshAttention.Hash(near, rotations)).to(ScalarType.Float32).mean().item<float>();
        double sameFar = (h == LshAttention.Hash(far, rotations)).to(ScalarType.Float32).mean().item<float>();
        Assert.True(sameNear > 0.8 && sameFar < 0.3, $"near {sameNear}, far {sameFar}");
    }

    [Fact]
    public void Reversible_GradientsEqualThoseOfThePlainStack()
    {
        using var threads = TorchThreads.AtMost(1);
        manual_seed(5);
        var config = MixerLmConfig.Tiny("reformer") with { Layers = 3 };
        var blocks = Enumerable.Range(0, 3).Select(i => new MixerBlock("reformer", config.Mixing with { Seed = i })).ToList();
        var x = randn(2, 13, 16);
        var target = randn(2, 13, 16);

        Dictionary<string, Tensor> Grads(Func<Tensor, IReadOnlyList<MixerBlock>, Tensor> run, out Tensor input, out Tensor output)
        {
            foreach (var b in blocks) b.zero_grad();
            input = x.detach().clone().requires_grad_(true);
            output = run(input, blocks);
            (output - target).pow(2).sum().backward();
            var result = new Dictionary<string, Tensor>();
            for (int i = 0; i < blocks.Count; i++)
                foreach (var (name, p) in blocks[i].named_parameters()) result[$"{i}.{name}"] = p.grad!.clone();
            return result;
        }

        var plain = Grads(Reversible.Plain, out var plainIn, out var plainOut);
        var reversible = Grads(Reversible.Stack, out var revIn, out var revOut);
        Assert.True(MaxDiff(plainOut, revOut) <= 1e-5);
        Assert.True(MaxDiff(plainIn.grad!, revIn.grad!) <= 1e-4, $"input grad diff {MaxDiff(plainIn.grad!, revIn.grad!)}");
        Assert.Equal(plain.Keys.Order(), reversible.Keys.Order());
        foreach (var (name, g) in plain)
        {
            float scale = Math.Max(1f, g.abs().max().item<float>());
            Assert.True(MaxDiff(g, reversible[name]) <= 1e-4 * scale, $"{name}: {MaxDiff(g, reversible[name])}");
        }
    }

    [Fact]
    public void ReversibleLm_GivesThePlainLmsLogits_AndTrainsEveryParameter()
    {
        using var threads = TorchThreads.AtMost(1);
        manual_seed(13);
        using var scope = NewDisposeScope();
        using var reversible = new MixerLm(MixerLmConfig.Tiny("reformer") with { Reversible = true });
        var ids = randint(0, 256, [2, 21], dtype: ScalarType.Int64);
        var logits = reversible.forward(ids);
        var plain = reversible.Head(Reversible.Plain(reversible.Embed(ids), reversible.Blocks));
        Assert.True(MaxDiff(logits, plain) <= 1e-5);
        nn.functional.cross_entropy(logits.reshape(-1, 256), ids.reshape(-1)).backward();
        Assert.All(reversible.named_parameters(), p => Assert.True(p.parameter.grad is not null, $"{p.name} has no gradient"));
    }

    [Fact]
    public void Reversible_ActivationMemory_StaysFlatAsLayersAreAdded()
    {
        using var threads = TorchThreads.AtMost(1);
        manual_seed(6);
        var config = new MixerSettings(Dim: 64, Heads: 2).With(new ReformerConfig { Chunk = 64, Buckets = 8, Rounds = 1 });
        var blocks = Enumerable.Range(0, 6).Select(i => new MixerBlock("reformer", config with { Seed = i })).ToList();
        // Saved activations are what the forward pass leaves alive for backward: measure the resident memory the forward
        // pass leaves behind (freed heap returned to the system before and after it, large blocks in fresh mappings during
        // it: PeakMemory.Held). A peak measurement was tried first and proved noisy (CI saw ±40 MiB from the heap's state).
        long Growth(int layers, bool reversible)
        {
            using var scope = NewDisposeScope();
            var x = randn(1, 4096, 64).requires_grad_(true);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Tensor? y = null;
            long growth = PeakMemory.Held(() =>
                y = reversible ? Reversible.Stack(x, blocks.Take(layers).ToList()) : Reversible.Plain(x, blocks.Take(layers).ToList()));
            y!.sum().backward();
            return growth;
        }

        Growth(1, true);                      // warm-up: allocator pools
        Growth(1, false);
        long plain1 = Growth(1, false), plain6 = Growth(6, false);
        long rev1 = Growth(1, true), rev6 = Growth(6, true);
        Assert.True(plain6 - plain1 > 50L << 20, $"the plain stack should grow with depth: {plain1 >> 20} → {plain6 >> 20} MiB");
        Assert.True(rev6 - rev1 < (plain6 - plain1) / 5, $"reversible {rev1 >> 20} → {rev6 >> 20} MiB, plain {plain1 >> 20} → {plain6 >> 20} MiB");
    }

    [Fact]
    public void Linformer_ErrorAgainstFullAttention_ShrinksWithK_AndIsExactAtKEqualN()
    {
        manual_seed(7);
        using var scope = NewDisposeScope();
        var (q, k, v) = Qkv(64);
        var full = nn.functional.scaled_dot_product_attention(q, k, v);
        double Error(int kk) { var p = LinformerMixer.MeanPooling(kk, 64); return ((LinformerMixer.Attention(q, k, v, p, p) - full).norm() / full.norm()).item<float>(); }
        Assert.True(Error(64) <= 1e-5);
        Assert.True(Error(8) > Error(32), $"{Error(8)} vs {Error(32)}");
        using var mixer = new LinformerMixer(MixerSettings.Tiny(causal: false), LinformerConfig.Tiny);
        Assert.Equal(new long[] { 2, 10, 16 }, mixer.forward(randn(2, 10, 16)).shape);
        Assert.Contains("64 columns", Assert.Throws<ArgumentException>(() => mixer.forward(randn(1, 65, 16))).Message, StringComparison.Ordinal);
        Assert.Contains("future", Assert.Throws<ArgumentException>(() => new MixerLm(MixerLmConfig.Tiny("linformer"))).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(64)]
    public void Hyena_FftConvolution_EqualsDirectConvolution(int n)
    {
        manual_seed(8);
        using var scope = NewDisposeScope();
        var u = randn(2, 3, n);
        var h = randn(3, n);
        Assert.True(MaxDiff(HyenaMixer.FftConv(u, h), HyenaMixer.DirectConv(u, h)) <= 1e-5 * Math.Max(1, n / 8.0));
        using var mixer = new HyenaMixer(MixerSettings.Tiny(), HyenaConfig.Tiny);
        var x = randn(2, n, 16);
        Assert.True(MaxDiff(mixer.Mix(x, useFft: true), mixer.Mix(x, useFft: false)) <= 1e-5);
    }

    [Fact]
    public void Mamba_ChunkedScan_EqualsSequentialScan_AnyLength()
    {
        using var threads = TorchThreads.AtMost(1);
        manual_seed(9);
        using var scope = NewDisposeScope();
        foreach (int n in new[] { 1, 5, 16, 37 })
        {
            var a = rand(2, n, 3, 4) * 0.5f + 0.5f;
            var b = randn(2, n, 3, 4);
            Assert.True(MaxDiff(MambaMixer.ChunkedScan(a, b, 4), MambaMixer.SequentialScan(a, b)) <= 1e-5, $"n = {n}");
        }

        using var mixer = new MambaMixer(MixerSettings.Tiny(), MambaConfig.Tiny);
        var x = randn(2, 23, 16);
        mixer.Scan = ScanKind.Sequential;
        var reference = mixer.forward(x);
        mixer.Scan = ScanKind.Chunked;
        Assert.True(MaxDiff(mixer.forward(x), reference) <= 1e-5);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(2, 2)]
    public void Mamba_FusedScan_EqualsSequential_InValuesAndEveryGradient(int batch, int threads)
    {
        // The fused kernel (SelectiveScan.cs) against the reference loop: the mixer's output and the gradient of every
        // parameter and of the input, for lengths 1, 7 and 33, on one and two worker threads.
        using var cap = TorchThreads.AtMost(threads);
        foreach (int n in new[] { 1, 7, 33 })
        {
            manual_seed(21);
            using var scope = NewDisposeScope();
            using var mixer = new MambaMixer(MixerSettings.Tiny(), MambaConfig.Tiny);
            var x = randn(batch, n, 16);
            var dy = randn(batch, n, 16);
            var outputs = new Dictionary<ScanKind, (Tensor Y, Tensor Dx, Dictionary<string, Tensor> Grads)>();
            foreach (var kind in new[] { ScanKind.Sequential, ScanKind.Fused })
            {
                mixer.Scan = kind;
                mixer.zero_grad();
                var leaf = x.detach().requires_grad_();
                var y = mixer.forward(leaf);
                y.backward([dy]);
                outputs[kind] = (y.detach(), leaf.grad!.clone(), mixer.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone()));
            }

            var (refY, refDx, refGrads) = outputs[ScanKind.Sequential];
            var (y2, dx2, grads2) = outputs[ScanKind.Fused];
            Assert.True(MaxDiff(y2, refY) <= 1e-5, $"n = {n}: output {MaxDiff(y2, refY)}");
            Assert.True(MaxDiff(dx2, refDx) <= 1e-4, $"n = {n}: dx {MaxDiff(dx2, refDx)}");
            foreach (var (name, grad) in refGrads)
                Assert.True(MaxDiff(grads2[name], grad) <= 1e-4 * Math.Max(1, grad.abs().max().item<float>()), $"n = {n}: {name} {MaxDiff(grads2[name], grad)}");
        }
    }

    [Fact]
    public void SelectiveScan_RefusesShapesThatDoNotFit_NamingThem()
    {
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() => SelectiveScan.Forward(randn(2, 5, 4), randn(2, 5, 4), randn(4, 3), randn(2, 5, 2), randn(2, 5, 2)));
        Assert.Contains("A (4, 3), B (2, 5, 2)", e.Message, StringComparison.Ordinal);
        Assert.Contains("fp32", Assert.Throws<ArgumentException>(() => SelectiveScan.Forward(randn(2, 5, 4, dtype: ScalarType.Float64), randn(2, 5, 4), randn(4, 3), randn(2, 5, 3), randn(2, 5, 3))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mamba_StepByStep_EqualsFullForward_WithConstantState()
    {
        using var threads = TorchThreads.AtMost(1);
        manual_seed(10);
        using var scope = NewDisposeScope();
        using var mixer = new MambaMixer(MixerSettings.Tiny(), MambaConfig.Tiny);
        var x = randn(2, 30, 16);
        var full = mixer.forward(x);
        var state = mixer.NewState(2);
        long size = state.Elements;
        var outputs = new List<Tensor>();
        for (int t = 0; t < 30; t++)
        {
            (var y, state) = mixer.Step(x.select(1, t), state);
            outputs.Add(y);
            Assert.Equal(size, state.Elements);
        }

        Assert.True(MaxDiff(stack(outputs, 1), full) <= 1e-5, $"{MaxDiff(stack(outputs, 1), full)}");
    }

    [Fact]
    public void TheLm_WithAShortConvolution_StaysCausal_AndTrainsTheConvolution()
    {
        using var threads = TorchThreads.AtMost(1);
        manual_seed(12);
        using var scope = NewDisposeScope();
        using var plain = new MixerLm(MixerLmConfig.Tiny("full"));
        using var lm = new MixerLm(MixerLmConfig.Tiny("full") with { ShortConv = 3 });
        int dim = lm.Config.Mixing.Dim;
        Assert.Equal(plain.parameters().Sum(p => p.numel()) + lm.Config.Layers * (dim * 3 + dim), lm.parameters().Sum(p => p.numel()));
        var a = tensor(new long[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 }).unsqueeze(0);
        var b = tensor(new long[] { 1, 2, 3, 4, 5, 6, 99, 99, 99, 99, 99 }).unsqueeze(0);
        var la = lm.forward(a);
        Assert.True(MaxDiff(la[0, ..6], lm.forward(b)[0, ..6]) <= 1e-5, "later tokens changed earlier logits");
        nn.functional.cross_entropy(la.reshape(-1, 256), b.reshape(-1)).backward();
        Assert.All(lm.named_parameters().Where(p => p.name.Contains("short_conv", StringComparison.Ordinal)),
            p => Assert.True(p.parameter.grad is not null, $"{p.name} has no gradient"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MixerLm(MixerLmConfig.Tiny("full") with { ShortConv = -1 }));
    }

    [Fact]
    public void TheLm_InMambasOwnBlock_HasNoPositionsAndNoMlp()
    {
        // Without positions a token embeds the same wherever it stands; without the MLP a block is the mixer alone.
        using var threads = TorchThreads.AtMost(1);
        manual_seed(13);
        using var scope = NewDisposeScope();
        using var plain = new MixerLm(MixerLmConfig.Tiny("mamba"));
        using var bare = new MixerLm(MixerLmConfig.Tiny("mamba") with { Mlp = false, Positions = false });
        var ids = tensor(new long[] { 5, 5, 5 }).unsqueeze(0);
        var e = bare.Embed(ids);
        Assert.True(MaxDiff(e[0, 0], e[0, 2]) <= 0, "a token's embedding moved with its position");
        var p = plain.Embed(ids);
        Assert.True(MaxDiff(p[0, 0], p[0, 2]) > 1e-4, "positions were not added");
        Assert.All(bare.Blocks, b => Assert.False(b.HasMlp));
        Assert.True(bare.parameters().Sum(x => x.numel()) < plain.parameters().Sum(x => x.numel()));
        Assert.Equal([1L, 3, 256], bare.forward(ids).shape);
    }

    [Theory]
    [InlineData("full")]
    [InlineData("longformer")]
    [InlineData("bigbird")]
    [InlineData("reformer")]
    [InlineData("hyena")]
    [InlineData("mamba")]
    [InlineData("flash")]
    public void EveryCausalMixer_InTheLm_IsCausal_TrainsEveryParameter_AndRoundTrips(string kind)
    {
        using var threads = TorchThreads.AtMost(1);
        manual_seed(11);
        using var scope = NewDisposeScope();
        using var lm = new MixerLm(MixerLmConfig.Tiny(kind));
        var a = tensor(new long[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 }).unsqueeze(0);
        var b = tensor(new long[] { 1, 2, 3, 4, 5, 6, 99, 99, 99, 99, 99 }).unsqueeze(0);
        var la = lm.forward(a);
        Assert.Equal(new long[] { 1, 11, 256 }, la.shape);
        // Reformer's chunk boundaries depend on every token's bucket, so later tokens can change which earlier keys a
        // query sees (documented in Reformer.cs); its future keys and values themselves are masked.
        if (kind != "reformer") Assert.True(MaxDiff(la[0, ..6], lm.forward(b)[0, ..6]) <= 1e-5, "later tokens changed earlier logits");
        var loss = nn.functional.cross_entropy(la.reshape(-1, 256), b.reshape(-1));
        loss.backward();
        Assert.All(lm.named_parameters(), p => Assert.True(p.parameter.grad is not null, $"{p.name} has no gradient"));
        var path = Path.Combine(Path.GetTempPath(), $"mixerlm-{kind}-{Environment.ProcessId}.bin");
        try
        {
            lm.save(path);
            using var copy = new MixerLm(MixerLmConfig.Tiny(kind));
            copy.load(path);
            Assert.Equal(0f, MaxDiff(copy.forward(a), la));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("full")]
    [InlineData("longformer")]
    [InlineData("bigbird")]
    [InlineData("reformer")]
    [InlineData("linformer")]
    [InlineData("hyena")]
    [InlineData("mamba")]
    [InlineData("flash")]
    public void BadInput_EmptySequence_WrongShape_NaN_AndMemory(string kind)
    {
        manual_seed(12);
        using var scope = NewDisposeScope();
        var mixer = MixerRegistry.Create(kind, MixerSettings.Tiny(causal: MixerRegistry.Get(kind).CanBeCausal));
        Assert.Equal(new long[] { 2, 0, 16 }, mixer.forward(zeros(2, 0, 16)).shape);                     // n = 0: an empty output
        Assert.Contains("(B, T, 16)", Assert.Throws<ArgumentException>(() => mixer.forward(zeros(2, 5, 15))).Message, StringComparison.Ordinal);
        // NaN propagates as in dense attention, never hidden: the last position sees the NaN token. (In attention it
        // reaches earlier positions too, as in libtorch's kernel: a masked weight of 0 times a NaN value is NaN.)
        var x = randn(1, 12, 16);
        x[0, 3, 0] = tensor(float.NaN);
        var y = mixer.forward(x);
        Assert.True(y[0, 11].isnan().any().item<bool>(), "a NaN input was hidden");
        // (Hyena's FFT spreads it to every position: the transform of a vector holding a NaN is all NaN.) A recurrence keeps it causal:
        if (kind == "mamba") Assert.False(y[0, ..3].isnan().any().item<bool>(), "NaN leaked into earlier positions of a recurrence");
        long limit = MemoryGuard.LimitBytes;
        try
        {
            MemoryGuard.LimitBytes = 1 << 12;
            var e = Assert.Throws<InsufficientMemoryException>(() => mixer.forward(zeros(4, 60, 16)));
            Assert.Contains("GiB", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            MemoryGuard.LimitBytes = limit;
        }

        Assert.Equal(kind, MixerRegistry.Get($" {kind.ToUpperInvariant()} ").Id);
        Assert.Contains("known: full, longformer", Assert.Throws<ArgumentException>(() => MixerRegistry.Get("lstm")).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, 37)]
    [InlineData(false, 70)]
    public void FlashMixer_EqualsDenseAttention_OutputAndGradients(bool causal, int n)
    {
        // The same weights through the written-out n × n attention and through the tiled kernel (n not a multiple of
        // the 64-row tiles): outputs and every parameter's gradient agree.
        manual_seed(13);
        using var scope = NewDisposeScope();
        var config = MixerSettings.Tiny(causal) with { Dim = 32, Heads = 4 };
        using var dense = new FullAttentionMixer(config);
        using var flash = new FullAttentionMixer(config) { Kernel = AttentionKernel.Flash };
        flash.load_state_dict(dense.state_dict());
        var x = randn(2, n, 32);
        var yd = dense.forward(x);
        var yf = flash.forward(x);
        Assert.True(MaxDiff(yd, yf) <= 1e-5, $"outputs differ by {MaxDiff(yd, yf)}");
        var w = randn(2, n, 32);
        (yd * w).sum().backward();
        (yf * w).sum().backward();
        var gradients = flash.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!);
        foreach (var (name, p) in dense.named_parameters())
        {
            Assert.True(MaxDiff(p.grad!, gradients[name]) <= 1e-4, $"{name}: gradients differ by {MaxDiff(p.grad!, gradients[name])}");
        }

        Assert.Equal(0, flash.EstimateBytes(1, 4096) * 4 - flash.EstimateBytes(1, 16384));   // O(n): four times the tokens, four times the bytes
    }
}
