// CLIP (Radford et al. 2021, "Learning Transferable Visual Models From Natural Language Supervision", arXiv:2103.00020)
// and, with another loss and a bias, SigLIP (Zhai et al. 2023; see SigLip.cs).
// Lineage: a classifier (the vision chapter's ViT) knows only its fixed labels; a dual encoder maps images and sentences
// into one space, so a class is named by a sentence and retrieval works both ways.
// Shapes: B batch, D_i / D_t tower widths, E shared embedding width.
// Deviations: tiny towers (a ViT on 32 × 32 emoji or 28 × 28 Fashion-MNIST, a 2-layer word-level text transformer);
// the image tower's pooled output is the final-LayerNorm [CLS] vector (CLIP applies post_layernorm to it, the same).
using Lineage.Neural.Attention;
using Lineage.Neural.Transformers;
using Lineage.Neural.Vision;
using Lineage.Neural.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.Multimodal;

/// <summary>Which contrastive objective a <see cref="DualEncoder"/> trains with.</summary>
public enum ContrastiveObjective
{
    /// <summary>CLIP: symmetric InfoNCE (softmax over the batch in both directions), learnable temperature.</summary>
    Clip,
    /// <summary>SigLIP: an independent sigmoid per image-text pair, learnable temperature and bias.</summary>
    SigLip,
}

/// <summary>Size of a <see cref="DualEncoder"/>.</summary>
/// <param name="Vision">The image tower (a ViT without a head: <see cref="VitConfig.Classes"/> = 0).</param>
/// <param name="Text">The text tower.</param>
/// <param name="EmbedDim">Width E of the shared space.</param>
/// <param name="Objective">CLIP or SigLIP (decides the initial temperature and whether there is a bias).</param>
public sealed record DualEncoderConfig(VitConfig Vision, TextConfig Text, int EmbedDim = 64, ContrastiveObjective Objective = ContrastiveObjective.Clip)
{
    /// <summary>Small enough for a unit test.</summary>
    public static DualEncoderConfig Tiny(int vocabSize, ContrastiveObjective objective = ContrastiveObjective.Clip) => new(
        new VitConfig(ImageSize: 16, Channels: 3, Patch: 4, Dim: 16, Layers: 1, Heads: 2, Classes: 0),
        new TextConfig(vocabSize, Context: 8, Dim: 16, Layers: 1, Heads: 2), 16, objective);

    /// <summary>Returns this config, or throws naming the bad field.</summary>
    public DualEncoderConfig Validate()
    {
        ArgumentNullException.ThrowIfNull(Vision, nameof(Vision));
        ArgumentNullException.ThrowIfNull(Text, nameof(Text));
        if (Vision.Classes != 0) throw new ArgumentException($"The image tower must have no classification head (Classes = 0); got {Vision.Classes}.", nameof(Vision));
        ArgumentOutOfRangeException.ThrowIfLessThan(EmbedDim, 1, nameof(EmbedDim));
        Vision.Validate();
        Text.Validate();
        return this;
    }
}

/// <summary>
/// An image encoder and a text encoder with linear projections into one L2-normalised space, plus the learnable logit
/// scale (CLIP: log(1/0.07); SigLIP: log 10) and, for SigLIP, the learnable logit bias (−10). The towers are public
/// so that other models (a vision-language-action model) can reuse them: <see cref="EncodeImages"/> and
/// <see cref="EncodeTexts"/> give unit vectors in the shared space.
/// </summary>
[Model("clip", Paper = "Radford et al. 2021")]
public sealed class DualEncoder : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Vit vision_model;
    private readonly TextTransformer text_model;
    private readonly Linear visual_projection;
    private readonly Linear text_projection;
    private readonly Parameter logit_scale;
    private readonly Parameter? logit_bias;

    /// <summary>A tiny seeded CLIP and a fixed batch of image–caption pairs, for the registry's conformance tests.</summary>
    public static ModelSample Conformance()
    {
        manual_seed(20);
        var images = randn(2, 3, 16, 16);
        var ids = randint(3, 30, [2, 8]);
        return new(new DualEncoder(DualEncoderConfig.Tiny(30)), m => ((DualEncoder)m).forward(images, ids));
    }

    /// <summary>A randomly initialised dual encoder.</summary>
    public DualEncoder(DualEncoderConfig config) : base(nameof(DualEncoder))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config.Validate();
        vision_model = new Vit(config.Vision);
        text_model = new TextTransformer(config.Text);
        visual_projection = nn.Linear(config.Vision.Dim, config.EmbedDim, hasBias: false);
        text_projection = nn.Linear(config.Text.Dim, config.EmbedDim, hasBias: false);
        bool sig = config.Objective == ContrastiveObjective.SigLip;
        logit_scale = nn.Parameter(tensor(sig ? (float)Math.Log(10) : (float)Math.Log(1 / 0.07)));
        if (sig) logit_bias = nn.Parameter(tensor(-10f));
        RegisterComponents();
    }

    /// <summary>The settings.</summary>
    public DualEncoderConfig Config { get; }

    /// <summary>The image tower.</summary>
    public Vit VisionModel => vision_model;

    /// <summary>The text tower.</summary>
    public TextTransformer TextModel => text_model;

    /// <summary>The temperature t = exp(logit_scale), capped at 100 as in CLIP.</summary>
    public Tensor Scale => logit_scale.exp().clamp_max(100);

    /// <summary>SigLIP's bias b (null for CLIP).</summary>
    public Tensor? Bias => logit_bias;

    /// <summary>Sets the attention computation of both towers.</summary>
    public AttentionKernel Kernel
    {
        set
        {
            vision_model.Kernel = value;
            text_model.Kernel = value;
        }
    }

    /// <summary>Unit-length image embeddings (B, E) of images (B, C, H, W).</summary>
    public Tensor EncodeImages(Tensor images)
    {
        using var scope = NewDisposeScope();
        var e = visual_projection.forward(vision_model.Pooled(images));
        return nn.functional.normalize(e, dim: -1).MoveToOuterDisposeScope();
    }

    /// <summary>Unit-length text embeddings (B, E) of token ids (B, T).</summary>
    public Tensor EncodeTexts(Tensor ids)
    {
        using var scope = NewDisposeScope();
        var e = text_projection.forward(text_model.forward(ids));
        return nn.functional.normalize(e, dim: -1).MoveToOuterDisposeScope();
    }

    /// <summary>Image-text logits (B_img, B_txt): t · u·vᵀ (+ b for SigLIP).</summary>
    public override Tensor forward(Tensor images, Tensor ids)
    {
        using var scope = NewDisposeScope();
        var logits = Scale * EncodeImages(images).matmul(EncodeTexts(ids).t());
        if (logit_bias is not null) logits = logits + logit_bias;
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>The training loss of matching pairs (images[i], ids[i]) under this model's objective.</summary>
    public Tensor Loss(Tensor images, Tensor ids, int chunk = 0)
    {
        using var scope = NewDisposeScope();
        var u = EncodeImages(images);
        var v = EncodeTexts(ids);
        var loss = Config.Objective == ContrastiveObjective.Clip
            ? ContrastiveLosses.InfoNce(u, v, Scale)
            : ContrastiveLosses.Sigmoid(u, v, Scale, logit_bias!, chunk);
        return loss.MoveToOuterDisposeScope();
    }
}

/// <summary>The two contrastive losses on unit embeddings u (N, E) of images and v (N, E) of their captions.</summary>
public static class ContrastiveLosses
{
    /// <summary>
    /// CLIP's symmetric InfoNCE: s = t·u·vᵀ; L = ½ [CE(s, diag) + CE(sᵀ, diag)], each cross-entropy normalising over a whole
    /// row (every caption for one image) or column (every image for one caption) of the N × N matrix.
    /// </summary>
    public static Tensor InfoNce(Tensor u, Tensor v, Tensor scale)
    {
        CheckPairs(u, v);
        using var scope = NewDisposeScope();
        var logits = scale * u.matmul(v.t());                                          // (N, N)
        var target = arange(u.shape[0], dtype: ScalarType.Int64, device: u.device);
        var loss = 0.5f * (nn.functional.cross_entropy(logits, target) + nn.functional.cross_entropy(logits.t(), target));
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// SigLIP's pairwise sigmoid loss: L = −(1/N) Σ_i Σ_j log σ(z_ij (t·u_i·v_j + b)), z = +1 on the diagonal, −1 elsewhere.
    /// Computed over column blocks of <paramref name="chunk"/> captions (0: all at once), so at most N × chunk logits exist
    /// at a time; nothing normalises over the batch, so the blocks simply add up.
    /// </summary>
    public static Tensor Sigmoid(Tensor u, Tensor v, Tensor scale, Tensor bias, int chunk = 0)
    {
        CheckPairs(u, v);
        ArgumentNullException.ThrowIfNull(bias);
        long n = u.shape[0];
        long c = chunk <= 0 ? n : Math.Min(chunk, n);
        using var scope = NewDisposeScope();
        Tensor total = zeros(1, device: u.device);
        for (long start = 0; start < n; start += c)
        {
            long size = Math.Min(c, n - start);
            var logits = scale * u.matmul(v.narrow(0, start, size).t()) + bias;       // (N, c)
            var labels = -ones(n, size, device: u.device);
            labels = labels + 2 * eye(n, size, device: u.device).roll(start, 0);       // +1 where row i == column start + j
            total = total + nn.functional.logsigmoid(labels * logits).sum();
        }

        return (-total / n).squeeze().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// SigLIP's loss with its gradient, block by block, so that at most N × chunk logits and their autograd state exist at
    /// a time (the chunking the paper's memory claim rests on; a chunked forward alone still keeps every block for the
    /// backward pass). Each block's loss is back-propagated into detached copies of u, v, t and b at once and its graph
    /// freed; the summed gradients are then passed on to <paramref name="u"/>, <paramref name="v"/>, <paramref name="scale"/>
    /// and <paramref name="bias"/> in one backward call (through the encoders, when u and v come from them).
    /// </summary>
    /// <returns>The loss value.</returns>
    public static double SigmoidWithGradient(Tensor u, Tensor v, Tensor scale, Tensor bias, int chunk)
    {
        CheckPairs(u, v);
        ArgumentNullException.ThrowIfNull(scale);
        ArgumentNullException.ThrowIfNull(bias);
        long n = u.shape[0];
        long c = chunk <= 0 ? n : Math.Min(chunk, n);
        using var outer = NewDisposeScope();
        var ud = u.detach().requires_grad_(true);
        var vd = v.detach().requires_grad_(true);
        var sd = scale.detach().requires_grad_(true);
        var bd = bias.detach().requires_grad_(true);
        double total = 0;
        for (long start = 0; start < n; start += c)
        {
            using var scope = NewDisposeScope();
            long size = Math.Min(c, n - start);
            var logits = sd * ud.matmul(vd.narrow(0, start, size).t()) + bd;                  // (N, c)
            var labels = 2 * eye(n, size, device: u.device).roll(start, 0) - 1;              // +1 where row i == column start + j
            var loss = -nn.functional.logsigmoid(labels * logits).sum() / n;
            loss.backward();                                                                   // frees this block's graph
            total += loss.item<float>();
        }

        var pairs = new[] { (u, ud), (v, vd), (scale, sd), (bias, bd) }.Where(p => p.Item1.requires_grad && p.Item2.grad is not null).ToList();
        if (pairs.Count > 0) torch.autograd.backward(pairs.Select(p => p.Item1).ToList(), pairs.Select(p => p.Item2.grad!).ToList());
        return total;
    }

    private static void CheckPairs(Tensor u, Tensor v)
    {
        ArgumentNullException.ThrowIfNull(u);
        ArgumentNullException.ThrowIfNull(v);
        if (u.dim() != 2 || v.dim() != 2 || u.shape[0] != v.shape[0] || u.shape[1] != v.shape[1])
            throw new ArgumentException($"Image and text embeddings must both be (N, E) with the same N and E; got ({string.Join(", ", u.shape)}) and ({string.Join(", ", v.shape)}).");
    }
}
