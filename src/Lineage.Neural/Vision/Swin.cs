// Swin Transformer (Liu et al. 2021, "Swin Transformer: Hierarchical Vision Transformer using Shifted Windows",
// arXiv:2103.14030).
// Lineage: ViT's global attention costs O(N²) in the number of patches and has one resolution; Swin attends only inside
// M × M windows (cost linear in the image area), shifts the window grid by ⌊M/2⌋ in every other block so information
// crosses window borders, and merges 2 × 2 patches between stages: the resolution hierarchy of a CNN.
// Shapes: B batch, h × w patch grid of a stage, C its width, M window side, nW windows per image, H heads.
// Each block is the library's pre-LN TransformerBlock run on the windowed layout: LayerNorm, the MLP and the residual
// sums act token by token, so partitioning the (rolled) feature map into windows before the block and merging it back
// after gives exactly Swin's block; the relative position bias and the shift mask enter as the block's additive bias.
// Deviations from the paper / Hugging Face: tiny sizes; when a side is not a multiple of M the map is zero-padded before
// the block's LayerNorm (HF pads after it); the shift mask uses −∞ rather than −100, so masked pairs get exactly zero
// weight; no stochastic depth. When a stage's map is no larger than the window, the window shrinks to the map and the
// blocks do not shift (as in the official code).
using System.Text.Json;
using System.Text.Json.Nodes;
using Lineage.Neural.Core;
using Lineage.Neural.Transformers;
using Lineage.Neural.Attention;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.Vision;

/// <summary>Size of a <see cref="Swin"/>.</summary>
/// <param name="ImageSize">Image side in pixels (square).</param>
/// <param name="Channels">Input channels.</param>
/// <param name="Patch">Patch side of the embedding convolution.</param>
/// <param name="Dim">Width C of the first stage; each later stage doubles it.</param>
/// <param name="Depths">Blocks per stage.</param>
/// <param name="Heads">Attention heads per stage.</param>
/// <param name="Window">Window side M in patches.</param>
/// <param name="MlpRatio">Feed-forward width as a multiple of C.</param>
/// <param name="Classes">Classes of the head (0: no head, <see cref="Swin.forward"/> returns the pooled vector).</param>
public sealed record SwinConfig(int ImageSize = 28, int Channels = 1, int Patch = 2, int Dim = 32, int[]? Depths = null, int[]? Heads = null,
    int Window = 7, int MlpRatio = 2, int Classes = 10)
{
    /// <summary>Blocks per stage (default 2, 2).</summary>
    public int[] StageDepths => Depths ?? [2, 2];

    /// <summary>Heads per stage (default 2, 4).</summary>
    public int[] StageHeads => Heads ?? [2, 4];

    /// <summary>Small enough for a unit test: 8 × 8 patches, window 4, two stages.</summary>
    public static SwinConfig Tiny => new(ImageSize: 16, Channels: 1, Patch: 2, Dim: 8, Depths: [2, 1], Heads: [2, 2], Window: 4, MlpRatio: 2, Classes: 10);

    /// <summary>Width of stage <paramref name="s"/>.</summary>
    public int StageDim(int s) => Dim << s;

    /// <summary>Returns this config, or throws naming the bad field.</summary>
    public SwinConfig Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Patch, 1, nameof(Patch));
        if (Patch > ImageSize) throw new ArgumentException($"The patch ({Patch} px) is larger than the image ({ImageSize} px).", nameof(Patch));
        if (ImageSize % Patch != 0) throw new ArgumentException($"The patch side {Patch} does not divide the image side {ImageSize}.", nameof(Patch));
        if (StageDepths.Length == 0 || StageDepths.Length != StageHeads.Length) throw new ArgumentException($"Depths ({StageDepths.Length}) and Heads ({StageHeads.Length}) need one entry per stage.", nameof(Depths));
        for (int s = 0; s < StageHeads.Length; s++)
        {
            if (StageHeads[s] < 1 || StageDim(s) % StageHeads[s] != 0) throw new ArgumentException($"Stage {s}: width {StageDim(s)} is not divisible by {StageHeads[s]} heads.", nameof(Heads));
            ArgumentOutOfRangeException.ThrowIfLessThan(StageDepths[s], 1, nameof(Depths));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(Window, 1, nameof(Window));
        return this;
    }
}

/// <summary>
/// One Swin block: (shifted) window multi-head self-attention with a learned relative position bias, then the MLP, both
/// pre-LN with residuals. Runs on a (B, h·w, C) token map of side h × w.
/// </summary>
public sealed class SwinBlock : nn.Module<Tensor, Tensor>
{
    private readonly TransformerBlock block;
    private readonly Parameter relative_position_bias_table;
    private readonly long[] _relativeIndex;
    private readonly int _heads;

    /// <summary>A block of width <paramref name="dim"/> on windows of side <paramref name="window"/>, its grid shifted by <paramref name="shift"/> (0: not shifted).</summary>
    public SwinBlock(int dim, int heads, int window, int shift, int mlpRatio) : base(nameof(SwinBlock))
    {
        if (shift < 0 || shift >= window) throw new ArgumentOutOfRangeException(nameof(shift), shift, $"The shift must be in [0, {window}).");
        (Window, Shift, _heads) = (window, shift, heads);
        block = new TransformerBlock(new BlockConfig(dim, heads, mlpRatio * dim, Dropout: 0));
        relative_position_bias_table = nn.Parameter(randn((2 * window - 1) * (2 * window - 1), heads) * 0.02f);
        _relativeIndex = RelativePositionIndex(window);
        RegisterComponents();
    }

    /// <summary>Window side M.</summary>
    public int Window { get; }

    /// <summary>Cyclic shift of the window grid (⌊M/2⌋ in shifted blocks, else 0).</summary>
    public int Shift { get; }

    /// <summary>The inner transformer block (LayerNorms, attention, MLP).</summary>
    public TransformerBlock Inner => block;

    /// <summary>Sets the attention computation.</summary>
    public AttentionKernel Kernel { set => block.Kernel = value; }

    /// <summary>For each pair (i, j) of the M² positions of a window, the row of the bias table for offset (Δr, Δc): (Δr + M − 1)(2M − 1) + Δc + M − 1.</summary>
    public static long[] RelativePositionIndex(int window)
    {
        int t = window * window, side = 2 * window - 1;
        var index = new long[t * t];
        for (int i = 0; i < t; i++)
        {
            for (int j = 0; j < t; j++)
            {
                int dr = i / window - j / window + window - 1, dc = i % window - j % window + window - 1;
                index[i * t + j] = dr * side + dc;
            }
        }

        return index;
    }

    /// <summary>
    /// The region label of every position of the padded, rolled h × w map (Liu et al. 2021, §3.2): after a cyclic shift
    /// by s, a window on the bottom or right border holds patches from up to 4 regions that were not adjacent before the
    /// roll; positions attend only to positions with the same label in the same window.
    /// </summary>
    public static int[,] ShiftRegions(int height, int width, int window, int shift)
    {
        var label = new int[height, width];
        if (shift == 0) return label;
        for (int r = 0; r < height; r++)
        {
            int rr = r < height - window ? 0 : r < height - shift ? 1 : 2;
            for (int c = 0; c < width; c++)
            {
                int cc = c < width - window ? 0 : c < width - shift ? 1 : 2;
                label[r, c] = 3 * rr + cc;
            }
        }

        return label;
    }

    /// <summary>The block on tokens x (B, h·w, C) laid out row-major on an h × w grid.</summary>
    public Tensor forward(Tensor x, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() != 3 || x.shape[1] != (long)height * width) throw new ArgumentException($"Expected (B, {height}·{width}, C); got ({string.Join(", ", x.shape)}).", nameof(x));
        using var scope = NewDisposeScope();
        long b = x.shape[0], c = x.shape[2];
        int m = Window;
        int hp = (height + m - 1) / m * m, wp = (width + m - 1) / m * m;
        var map = x.reshape(b, height, width, c);                                           // (B, h, w, C)
        if (hp != height || wp != width) map = nn.functional.pad(map, [0, 0, 0, wp - width, 0, hp - height]);   // (B, hp, wp, C)
        if (Shift > 0) map = map.roll([-Shift, -Shift], [1, 2]);                            // cyclic shift up-left
        long nh = hp / m, nw = wp / m;
        var windows = map.reshape(b, nh, m, nw, m, c).permute(0, 1, 3, 2, 4, 5)
                         .reshape(b * nh * nw, m * m, c);                                    // (B·nW, M², C)
        var bias = Bias(hp, wp, b, x.device);                                                // (B·nW or 1, H, M², M²)
        var y = block.forward(windows, null, causal: false, bias);        // (B·nW, M², C)
        map = y.reshape(b, nh, nw, m, m, c).permute(0, 1, 3, 2, 4, 5).reshape(b, hp, wp, c);  // (B, hp, wp, C)
        if (Shift > 0) map = map.roll([Shift, Shift], [1, 2]);                              // undo the shift
        if (hp != height || wp != width) map = map.narrow(1, 0, height).narrow(2, 0, width);
        return map.reshape(b, (long)height * width, c).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => throw new NotSupportedException("Call forward(x, height, width): a Swin block needs its grid's side.");

    /// <summary>Relative position bias (1, H, M², M²), plus the shift mask when shifted, repeated over the batch.</summary>
    private Tensor Bias(int hp, int wp, long batch, Device device)
    {
        int t = Window * Window;
        var index = tensor(_relativeIndex, [t * t], device: device);
        var rel = relative_position_bias_table.index_select(0, index).reshape(t, t, _heads).permute(2, 0, 1).unsqueeze(0);   // (1, H, M², M²)
        if (Shift == 0) return rel;
        var regions = ShiftRegions(hp, wp, Window, Shift);
        int nh = hp / Window, nw = wp / Window;
        var mask = new float[nh * nw * t * t];
        for (int wy = 0; wy < nh; wy++)
        {
            for (int wx = 0; wx < nw; wx++)
            {
                int win = wy * nw + wx;
                for (int i = 0; i < t; i++)
                {
                    int li = regions[wy * Window + i / Window, wx * Window + i % Window];
                    for (int j = 0; j < t; j++)
                    {
                        int lj = regions[wy * Window + j / Window, wx * Window + j % Window];
                        if (li != lj) mask[(win * t + i) * t + j] = float.NegativeInfinity;
                    }
                }
            }
        }

        var shiftMask = tensor(mask, [nh * nw, 1, t, t], device: device);                   // (nW, 1, M², M²)
        return (rel + shiftMask).repeat(batch, 1, 1, 1);                                    // (B·nW, H, M², M²), batch-major like the windows
    }
}

/// <summary>Patch merging (Liu et al. 2021, §3.1): concatenate each 2 × 2 group of tokens (4C), LayerNorm, project to 2C; halves each side.</summary>
public sealed class PatchMerging : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm norm;
    private readonly Linear reduction;

    /// <summary>Merges tokens of width <paramref name="dim"/> into tokens of width 2·dim.</summary>
    public PatchMerging(int dim) : base(nameof(PatchMerging))
    {
        norm = nn.LayerNorm(4 * dim);
        reduction = nn.Linear(4 * dim, 2 * dim, hasBias: false);
        RegisterComponents();
    }

    /// <summary>x (B, h·w, C) on an h × w grid → (B, ⌈h/2⌉·⌈w/2⌉, 2C); an odd side is zero-padded.</summary>
    public Tensor forward(Tensor x, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(x);
        using var scope = NewDisposeScope();
        long b = x.shape[0], c = x.shape[2];
        var map = x.reshape(b, height, width, c);
        if (height % 2 == 1 || width % 2 == 1) map = nn.functional.pad(map, [0, 0, 0, width % 2, 0, height % 2]);
        var x0 = map[.., TensorIndex.Slice(0, null, 2), TensorIndex.Slice(0, null, 2)];      // (B, h/2, w/2, C) top-left
        var x1 = map[.., TensorIndex.Slice(1, null, 2), TensorIndex.Slice(0, null, 2)];      // bottom-left
        var x2 = map[.., TensorIndex.Slice(0, null, 2), TensorIndex.Slice(1, null, 2)];      // top-right
        var x3 = map[.., TensorIndex.Slice(1, null, 2), TensorIndex.Slice(1, null, 2)];      // bottom-right
        var merged = cat([x0, x1, x2, x3], -1);                                              // (B, h/2, w/2, 4C), HF's order
        merged = merged.reshape(b, -1, 4 * c);
        return reduction.forward(norm.forward(merged)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => throw new NotSupportedException("Call forward(x, height, width).");
}

/// <summary>One Swin stage: its blocks (alternately unshifted and shifted) and, except for the last stage, a patch merging.</summary>
public sealed class SwinStage : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<SwinBlock> blocks;
    private readonly PatchMerging? downsample;

    /// <summary>A stage on an <paramref name="side"/> × side grid.</summary>
    public SwinStage(int dim, int depth, int heads, int window, int side, int mlpRatio, bool merge) : base(nameof(SwinStage))
    {
        // A map no larger than the window: one window covers it, nothing to shift.
        int m = Math.Min(window, side);
        bool canShift = side > window;
        blocks = nn.ModuleList([.. Enumerable.Range(0, depth).Select(i => new SwinBlock(dim, heads, m, canShift && i % 2 == 1 ? m / 2 : 0, mlpRatio))]);
        if (merge) downsample = new PatchMerging(dim);
        Side = side;
        RegisterComponents();
    }

    /// <summary>Side of this stage's grid.</summary>
    public int Side { get; }

    /// <summary>The blocks.</summary>
    public IReadOnlyList<SwinBlock> Blocks => [.. blocks];

    /// <summary>Tokens (B, side², C) → the next stage's tokens.</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        foreach (var block in blocks) x = block.forward(x, Side, Side);
        if (downsample is not null) x = downsample.forward(x, Side, Side);
        return x.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The Swin Transformer: patch embedding + LayerNorm, stages of (shifted) window blocks joined by patch merging, a final
/// LayerNorm, average pooling over the tokens, and a linear classifier.
/// </summary>
[Model("swin", Paper = "Liu et al. 2021")]
public sealed class Swin : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d patch_embed;
    private readonly LayerNorm embed_norm;
    private readonly ModuleList<SwinStage> stages;
    private readonly LayerNorm norm;
    private readonly Linear? head;

    /// <summary>A tiny seeded Swin and a fixed batch of images, for the registry's conformance tests.</summary>
    public static ModelSample Conformance()
    {
        manual_seed(15);
        var images = randn(2, 1, 16, 16);
        return new(new Swin(SwinConfig.Tiny), m => ((Swin)m).forward(images), (m, folder) => ((Swin)m).Save(folder), Load);
    }

    /// <summary>A randomly initialised Swin.</summary>
    public Swin(SwinConfig config) : base(nameof(Swin))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config.Validate();
        patch_embed = nn.Conv2d(config.Channels, config.Dim, config.Patch, stride: config.Patch);
        embed_norm = nn.LayerNorm(config.Dim);
        var list = new List<SwinStage>();
        int side = config.ImageSize / config.Patch;
        int n = config.StageDepths.Length;
        for (int s = 0; s < n; s++)
        {
            list.Add(new SwinStage(config.StageDim(s), config.StageDepths[s], config.StageHeads[s], config.Window, side, config.MlpRatio, merge: s < n - 1));
            side = (side + 1) / 2;
        }

        stages = nn.ModuleList([.. list]);
        norm = nn.LayerNorm(config.StageDim(n - 1));
        if (config.Classes > 0) head = nn.Linear(config.StageDim(n - 1), config.Classes);
        RegisterComponents();
    }

    /// <summary>The settings.</summary>
    public SwinConfig Config { get; }

    /// <summary>Hugging Face's <c>SwinForImageClassification</c> names.</summary>
    public static HfLayout Layout { get; } = new(
    [
        new(@"^patch_embed\.(weight|bias)$", "swin.embeddings.patch_embeddings.projection.$1"),
        new(@"^embed_norm\.(weight|bias)$", "swin.embeddings.norm.$1"),
        new(@"^stages\.(\d+)\.blocks\.(\d+)\.relative_position_bias_table$", "swin.encoder.layers.$1.blocks.$2.attention.self.relative_position_bias_table"),
        .. BlockRules(),
        new(@"^stages\.(\d+)\.downsample\.reduction\.weight$", "swin.encoder.layers.$1.downsample.reduction.weight"),
        new(@"^stages\.(\d+)\.downsample\.norm\.(weight|bias)$", "swin.encoder.layers.$1.downsample.norm.$2"),
        new(@"^norm\.(weight|bias)$", "swin.layernorm.$1"),
        new(@"^head\.(weight|bias)$", "classifier.$1"),
    ]);

    // The inner pre-norm block of stage s, block b → swin.encoder.layers.{s}.blocks.{b}.…
    private static IEnumerable<NameRule> BlockRules()
    {
        const string p = @"^stages\.(\d+)\.blocks\.(\d+)\.block\.";
        const string h = "swin.encoder.layers.$1.blocks.$2.";
        foreach (var (ours, theirs) in new[]
        {
            (@"attn\.q", "attention.self.query"), (@"attn\.k", "attention.self.key"), (@"attn\.v", "attention.self.value"), (@"attn\.o", "attention.output.dense"),
            ("ln_1", "layernorm_before"), ("ln_2", "layernorm_after"), (@"mlp\.fc_in", "intermediate.dense"), (@"mlp\.fc_out", "output.dense"),
        })
        {
            yield return new(p + ours + @"\.(weight|bias)$", h + theirs + ".$3");
        }
    }

    /// <summary>Writes this model into <paramref name="folder"/> (config.json with SwinConfig's keys and ours, model.safetensors).</summary>
    public void Save(string folder)
    {
        var c = Config;
        HfCheckpoint.Save(folder, this, Layout, new JsonObject
        {
            ["model_type"] = "swin",
            ["architectures"] = new JsonArray("SwinForImageClassification"),
            ["image_size"] = c.ImageSize,
            ["patch_size"] = c.Patch,
            ["num_channels"] = c.Channels,
            ["embed_dim"] = c.Dim,
            ["depths"] = JsonSerializer.SerializeToNode(c.StageDepths),
            ["num_heads"] = JsonSerializer.SerializeToNode(c.StageHeads),
            ["window_size"] = c.Window,
            ["mlp_ratio"] = (double)c.MlpRatio,
            ["hidden_act"] = "gelu",
            ["num_labels"] = c.Classes,
            ["lineage_config"] = JsonSerializer.SerializeToNode(c),
        });
    }

    /// <summary>Loads a folder written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">Bad config or mismatched weights (the tensor is named).</exception>
    public static Swin Load(string folder) => HfCheckpoint.Build(folder, new Swin(HfCheckpoint.LineageConfig<SwinConfig>(folder, "swin")), Layout);


    /// <summary>The stages.</summary>
    public IReadOnlyList<SwinStage> Stages => [.. stages];

    /// <summary>Sets the attention computation of every block.</summary>
    public AttentionKernel Kernel
    {
        set
        {
            foreach (var s in stages) foreach (var b in s.Blocks) b.Kernel = value;
        }
    }

    /// <summary>The last stage's tokens after the final LayerNorm (B, side², C_last).</summary>
    public Tensor Encode(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4 || images.shape[1] != Config.Channels || images.shape[2] != Config.ImageSize || images.shape[3] != Config.ImageSize)
        {
            throw new ArgumentException($"Swin expects images (B, {Config.Channels}, {Config.ImageSize}, {Config.ImageSize}); got ({string.Join(", ", images.shape)}).", nameof(images));
        }

        using var scope = NewDisposeScope();
        var x = patch_embed.forward(images).flatten(2).transpose(1, 2);                    // (B, h·w, C)
        x = embed_norm.forward(x);
        foreach (var stage in stages) x = stage.forward(x);
        return norm.forward(x).MoveToOuterDisposeScope();
    }

    /// <summary>Class logits (B, K), or the average-pooled vector (B, C_last) without a head.</summary>
    public override Tensor forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        var pooled = Encode(images).mean([1L]);                                             // (B, C_last)
        return (head is null ? pooled : head.forward(pooled)).MoveToOuterDisposeScope();
    }
}
