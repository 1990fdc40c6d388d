// Vision Transformer (Dosovitskiy et al. 2021, "An Image is Worth 16x16 Words", arXiv:2010.11929).
// Lineage: a CNN fixes locality and translation equivariance in advance; ViT cuts the image into patches, treats them as
// tokens and lets a plain transformer encoder learn which patches relate (global attention from the first layer).
// Shapes: B batch, C channels, H × W image, P patch side, N = HW/P² patches, T = N + 1 tokens, D width.
// Deviations from the paper: tiny sizes for a 2-core CPU (Fashion-MNIST, 28 × 28, P = 4 or 7); no dropout by default;
// the classification head is a single linear layer on the final [CLS] vector (the paper's fine-tuning head), not the
// pre-training MLP head. Positions are learned vectors (LearnedPositions, as BERT/GPT-2), one per token.
using System.Text.Json;
using System.Text.Json.Nodes;
using Lineage.Neural.Core;
using Lineage.Neural.Transformers;
using Lineage.Neural.Attention;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.Vision;

/// <summary>Size of a <see cref="Vit"/>.</summary>
/// <param name="ImageSize">Image side in pixels (square images).</param>
/// <param name="Channels">Input channels (1 for grey, 3 for RGB).</param>
/// <param name="Patch">Patch side P; must divide <paramref name="ImageSize"/>.</param>
/// <param name="Dim">Token width D.</param>
/// <param name="Layers">Encoder blocks.</param>
/// <param name="Heads">Attention heads.</param>
/// <param name="MlpRatio">Feed-forward width as a multiple of D.</param>
/// <param name="Classes">Classes of the classification head; 0 for an encoder without a head (CLIP's image tower).</param>
/// <param name="Dropout">Dropout in training.</param>
public sealed record VitConfig(int ImageSize = 28, int Channels = 1, int Patch = 4, int Dim = 64, int Layers = 4, int Heads = 4,
    int MlpRatio = 2, int Classes = 10, double Dropout = 0.0)
{
    /// <summary>Small enough for a unit test.</summary>
    public static VitConfig Tiny => new(ImageSize: 28, Channels: 1, Patch: 7, Dim: 16, Layers: 2, Heads: 2, MlpRatio: 2, Classes: 10);

    /// <summary>Patches per image side.</summary>
    public int Grid => ImageSize / Patch;

    /// <summary>Patches per image, N.</summary>
    public int Patches => Grid * Grid;

    /// <summary>Returns this config, or throws naming the bad field.</summary>
    public VitConfig Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ImageSize, 1, nameof(ImageSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(Channels, 1, nameof(Channels));
        ArgumentOutOfRangeException.ThrowIfLessThan(Patch, 1, nameof(Patch));
        if (Patch > ImageSize) throw new ArgumentException($"The patch ({Patch} px) is larger than the image ({ImageSize} px).", nameof(Patch));
        if (ImageSize % Patch != 0) throw new ArgumentException($"The patch side {Patch} does not divide the image side {ImageSize}.", nameof(Patch));
        ArgumentOutOfRangeException.ThrowIfLessThan(Layers, 1, nameof(Layers));
        if (Heads < 1 || Dim % Heads != 0) throw new ArgumentException($"Dim {Dim} must be divisible by Heads {Heads}.", nameof(Heads));
        ArgumentOutOfRangeException.ThrowIfLessThan(MlpRatio, 1, nameof(MlpRatio));
        ArgumentOutOfRangeException.ThrowIfNegative(Classes, nameof(Classes));
        return this;
    }
}

/// <summary>
/// The Vision Transformer: patch embedding (a P × P convolution with stride P), a learnable [CLS] token, learned position
/// embeddings, a stack of pre-LN transformer blocks, a final LayerNorm, and (when <see cref="VitConfig.Classes"/> &gt; 0)
/// a linear classifier on the [CLS] vector. Reusable as an image encoder: <see cref="Encode"/> gives every token,
/// <see cref="Pooled"/> the normalised [CLS] vector.
/// </summary>
[Model("vit", Paper = "Dosovitskiy et al. 2021")]
public sealed class Vit : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d patch_embed;
    private readonly Parameter cls_token;
    private readonly LearnedPositions pos_embed;
    private readonly ModuleList<TransformerBlock> blocks;
    private readonly LayerNorm norm;
    private readonly Linear? head;

    /// <summary>A tiny seeded ViT and a fixed batch of images, for the registry's conformance tests.</summary>
    public static ModelSample Conformance()
    {
        manual_seed(14);
        var images = randn(2, 1, 28, 28);
        return new(new Vit(VitConfig.Tiny), m => ((Vit)m).forward(images), (m, folder) => ((Vit)m).Save(folder), Load);
    }

    /// <summary>A randomly initialised ViT (truncated-normal-like 0.02 init for the [CLS] token and positions).</summary>
    public Vit(VitConfig config) : base(nameof(Vit))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config.Validate();
        patch_embed = nn.Conv2d(config.Channels, config.Dim, config.Patch, stride: config.Patch);
        cls_token = nn.Parameter(randn(1, 1, config.Dim) * 0.02f);
        pos_embed = new LearnedPositions(config.Patches + 1, config.Dim);
        blocks = nn.ModuleList([.. Enumerable.Range(0, config.Layers).Select(_ => new TransformerBlock(
            new BlockConfig(config.Dim, config.Heads, config.MlpRatio * config.Dim, config.Dropout)))]);
        norm = nn.LayerNorm(config.Dim, eps: 1e-6);
        if (config.Classes > 0) head = nn.Linear(config.Dim, config.Classes);
        RegisterComponents();
        using (no_grad())
        {
            foreach (var (name, p) in named_parameters())
            {
                if (name.StartsWith("pos_embed", StringComparison.Ordinal)) p.normal_(0, 0.02);
            }
        }
    }

    /// <summary>The settings.</summary>
    public VitConfig Config { get; }

    /// <summary>Hugging Face's <c>ViTForImageClassification</c> names for a ViT of this size (the position table is (1, N + 1, C) there).</summary>
    public static HfLayout Layout(VitConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        const string hf = "vit.";
        return new(
        [
            new(@"^cls_token$", hf + "embeddings.cls_token"),
            new(@"^pos_embed\.wpe\.weight$", hf + "embeddings.position_embeddings", new Reshaped([1, config.Patches + 1, config.Dim])),
            new(@"^patch_embed\.(weight|bias)$", hf + "embeddings.patch_embeddings.projection.$1"),
            .. HfLayout.BlockRules("blocks", hf + "encoder.layer.$1.", "attention.attention.query", "attention.attention.key", "attention.attention.value",
                "attention.output.dense", "layernorm_before", "layernorm_after", "intermediate.dense", "output.dense"),
            new(@"^norm\.(weight|bias)$", hf + "layernorm.$1"),
            new(@"^head\.(weight|bias)$", "classifier.$1"),
        ]);
    }

    /// <summary>Writes this model into <paramref name="folder"/> (config.json with ViTConfig's keys and ours, model.safetensors).</summary>
    public void Save(string folder)
    {
        var c = Config;
        HfCheckpoint.Save(folder, this, Layout(c), new JsonObject
        {
            ["model_type"] = "vit",
            ["architectures"] = new JsonArray("ViTForImageClassification"),
            ["image_size"] = c.ImageSize,
            ["patch_size"] = c.Patch,
            ["num_channels"] = c.Channels,
            ["hidden_size"] = c.Dim,
            ["num_hidden_layers"] = c.Layers,
            ["num_attention_heads"] = c.Heads,
            ["intermediate_size"] = c.MlpRatio * c.Dim,
            ["hidden_act"] = "gelu",
            ["layer_norm_eps"] = 1e-5,
            ["num_labels"] = c.Classes,
            ["lineage_config"] = JsonSerializer.SerializeToNode(c),
        });
    }

    /// <summary>Loads a folder written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">Bad config or mismatched weights (the tensor is named).</exception>
    public static Vit Load(string folder)
    {
        var config = HfCheckpoint.LineageConfig<VitConfig>(folder, "vit");
        return HfCheckpoint.Build(folder, new Vit(config), Layout(config));
    }


    /// <summary>Sets the attention computation (written out or fused) of every block.</summary>
    public AttentionKernel Kernel
    {
        set
        {
            foreach (var b in blocks) b.Kernel = value;
        }
    }

    /// <summary>The blocks, in order (for attention maps).</summary>
    public IReadOnlyList<TransformerBlock> Blocks => [.. blocks];

    /// <summary>Patch tokens plus [CLS], with positions: (B, T, D) before the first block.</summary>
    public Tensor Embed(Tensor images)
    {
        CheckImages(images);
        using var scope = NewDisposeScope();
        long b = images.shape[0];
        var patches = patch_embed.forward(images);                           // (B, D, H/P, W/P)
        patches = patches.flatten(2).transpose(1, 2);                        // (B, N, D), row-major patch order
        var cls = cls_token.expand(b, 1, Config.Dim);                        // (B, 1, D)
        var tokens = cat([cls, patches], 1);                                 // (B, T, D)
        var positions = arange(Config.Patches + 1, dtype: ScalarType.Int64, device: images.device);
        return (tokens + pos_embed.forward(positions)).MoveToOuterDisposeScope();   // + (T, D) broadcast
    }

    /// <summary>
    /// Every token after the first <paramref name="layers"/> blocks, (B, T, D); token 0 is [CLS]. All blocks: the same as
    /// <see cref="Encode"/> (final LayerNorm included); fewer: the residual stream there, as VLMs that read an inner
    /// layer (LLaVA, Prismatic/OpenVLA take the penultimate one) do; 0: <see cref="Embed"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not between 0 and the number of blocks.</exception>
    public Tensor Hidden(Tensor images, int layers)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layers);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(layers, Config.Layers);
        if (layers == Config.Layers) return Encode(images);
        using var scope = NewDisposeScope();
        var x = Embed(images);
        foreach (var block in blocks.Take(layers)) x = block.forward(x);
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>Every token after the encoder and the final LayerNorm: (B, T, D); token 0 is [CLS].</summary>
    public Tensor Encode(Tensor images)
    {
        using var scope = NewDisposeScope();
        var x = Embed(images);
        foreach (var block in blocks) x = block.forward(x);
        return norm.forward(x).MoveToOuterDisposeScope();
    }

    /// <summary>The final [CLS] vector (B, D): the image's representation.</summary>
    public Tensor Pooled(Tensor images)
    {
        using var scope = NewDisposeScope();
        return Encode(images).select(1, 0).MoveToOuterDisposeScope();
    }

    /// <summary>Class logits (B, K), or the pooled vector (B, D) when the model has no head.</summary>
    public override Tensor forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        var pooled = Pooled(images);
        return (head is null ? pooled : head.forward(pooled)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Each layer's attention weights averaged over heads, (L, B, T, T), recomputed from the blocks' own parameters on
    /// the same inputs the blocks see (pre-LN: LayerNorm, then q·kᵀ/√d, softmax).
    /// </summary>
    public Tensor AttentionWeights(Tensor images)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = Embed(images);
        var maps = new List<Tensor>();
        int heads = Config.Heads, d = Config.Dim / heads;
        foreach (var block in blocks)
        {
            var p = block.named_parameters().ToDictionary(n => n.name, n => (Tensor)n.parameter);
            var h = nn.functional.layer_norm(x, [Config.Dim], p["ln_1.weight"], p["ln_1.bias"]);
            long b = h.shape[0], t = h.shape[1];
            var q = nn.functional.linear(h, p["attn.q.weight"], p["attn.q.bias"]).reshape(b, t, heads, d).transpose(1, 2);   // (B, H, T, d)
            var k = nn.functional.linear(h, p["attn.k.weight"], p["attn.k.bias"]).reshape(b, t, heads, d).transpose(1, 2);
            var w = (q.matmul(k.transpose(-2, -1)) / Math.Sqrt(d)).softmax(-1);                                               // (B, H, T, T)
            maps.Add(w.mean([1L]));                                                                                           // (B, T, T)
            x = block.forward(x);
        }

        return stack(maps, 0).MoveToOuterDisposeScope();                     // (L, B, T, T)
    }

    /// <summary>
    /// Attention rollout (Abnar &amp; Zuidema 2020): Â_l = ½(A_l + I) row-normalised, R = Â_L ⋯ Â_1; the [CLS] row of R over
    /// the patches, as (B, H/P, W/P) maps that sum to 1 over the patches of each image.
    /// </summary>
    public Tensor AttentionRollout(Tensor images)
    {
        using var scope = NewDisposeScope();
        var weights = AttentionWeights(images);                             // (L, B, T, T)
        long t = weights.shape[2];
        var eye = torch.eye(t, device: weights.device).unsqueeze(0);
        Tensor? rollout = null;
        for (int l = 0; l < weights.shape[0]; l++)
        {
            var a = 0.5f * (weights[l] + eye);
            a = a / a.sum(-1, keepdim: true);
            rollout = rollout is null ? a : a.matmul(rollout);
        }

        var cls = rollout!.select(1, 0).narrow(1, 1, t - 1);                 // (B, N): [CLS] → patches
        cls = cls / cls.sum(1, keepdim: true);
        return cls.reshape(-1, Config.Grid, Config.Grid).MoveToOuterDisposeScope();
    }

    private void CheckImages(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4 || images.shape[1] != Config.Channels || images.shape[2] != Config.ImageSize || images.shape[3] != Config.ImageSize)
        {
            throw new ArgumentException(
                $"ViT expects images (B, {Config.Channels}, {Config.ImageSize}, {Config.ImageSize}); got ({string.Join(", ", images.shape)}).", nameof(images));
        }
    }
}
