// A vision-language-action model in the line of RT-2 (Brohan et al. 2023, arXiv:2307.15818) and OpenVLA (Kim et al.
// 2024, arXiv:2406.09246): a pretrained image encoder, a projector into the decoder's width, and a causal decoder that
// reads image tokens + instruction tokens and writes the action as tokens, one 256-bin token per action dimension
// (RT-1's discretisation, Brohan et al. 2022). Trained with cross-entropy on the action tokens only.
// Lineage: CLIP/SigLIP learned to match images and text; a VLA reuses that vision (and language) knowledge to act.
// Shapes: B batch, S image side, G = S/P patch grid, M merge factor, I = (G/M)² image tokens, T instruction tokens,
// K decoder tokens, D decoder width, V = 3 specials + 256 bins + answers.
// Deviations (docs/action.md): tiny sizes; the instruction is read by our CLIP's text tower (OpenVLA feeds the instruction
// to its Llama 2 through the LLM's own tokenizer; our decoder has no web-scale language pretraining, so the pretrained
// language side is CLIP's text tower); the patch tokens are merged M × M before the projector (a pixel-shuffle, as
// several small VLMs do) so the decoder sees I = 16 image tokens, not 64, each with its centre's coordinates appended;
// the patch tokens are read from a chosen layer of the tower (VisionLayer); the action bins are new tokens appended to a
// small vocabulary instead of OpenVLA's 256 least-used Llama tokens (a vocabulary of our own has no unused tokens).
// Options beyond OpenVLA, for the experiments: a continuous head (MSE, Huber or L1 on the normalised action) and
// one-token answers to scene questions (the curriculum's first stage).
using Lineage.Neural.Multimodal;
using Lineage.Neural.Transformers;
using Lineage.Neural.Vision;
using Lineage.Robotics.Sim;
using Lineage.Neural.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.Action;

/// <summary>How the model outputs an action.</summary>
public enum ActionHead
{
    /// <summary>RT-2/OpenVLA: one 256-bin token per dimension, decoded greedily; cross-entropy.</summary>
    Tokens,
    /// <summary>A linear head on the decoder's state at [BOS] regressing the normalised action.</summary>
    Continuous,
}

/// <summary>The regression loss of the continuous head.</summary>
public enum RegressionLoss
{
    /// <summary>Mean squared error.</summary>
    Mse,
    /// <summary>Huber (1964): quadratic within δ, linear beyond.</summary>
    Huber,
    /// <summary>Mean absolute error.</summary>
    L1,
}

/// <summary>Size and options of a <see cref="Vla"/>.</summary>
/// <param name="Encoders">The image and text towers (a CLIP/SigLIP dual encoder's; its projections are not used).</param>
/// <param name="Dim">Decoder width D.</param>
/// <param name="Layers">Decoder blocks.</param>
/// <param name="Heads">Decoder heads.</param>
/// <param name="Merge">Patch tokens merged M × M into one image token.</param>
/// <param name="Answers">One-token answers to scene questions (0: none).</param>
/// <param name="Head">Token or continuous action output.</param>
/// <param name="Loss">The continuous head's loss.</param>
/// <param name="HuberDelta">Huber's δ on the normalised action (range [−1, 1]).</param>
/// <param name="FreezeVision">Keep the image tower's weights fixed.</param>
/// <param name="FreezeText">Keep the text tower's weights fixed.</param>
/// <param name="ActionDims">Action dimensions (dx, dy, grip).</param>
/// <param name="Proprio">Read the robot's own state (gripper position, closed, holding) as one more prefix token.</param>
/// <param name="VisionLayer">Read the image tower's patch tokens after this many blocks (0: the patch embeddings with
/// their positions; null: after the last block and the final LayerNorm). VLMs often read an inner layer (LLaVA and
/// Prismatic/OpenVLA the penultimate one); see docs/action.md for what we measured.</param>
/// <param name="Grounding">Read one more prefix token: where the dual encoder finds the objects the instruction names
/// (<see cref="Vla.Ground"/>, MOO-style). Needs both towers frozen, and keeps the dual encoder's projections.</param>
/// <param name="GroundWindow">Side of the windows the grounding step looks through, in pixels.</param>
/// <param name="GroundStride">Step between windows, in pixels.</param>
public sealed record VlaConfig(DualEncoderConfig Encoders, int Dim = 64, int Layers = 2, int Heads = 4, int Merge = 2, int Answers = 0,
    ActionHead Head = ActionHead.Tokens, RegressionLoss Loss = RegressionLoss.Mse, double HuberDelta = 0.2,
    bool FreezeVision = true, bool FreezeText = true, int ActionDims = 3, bool Proprio = true, int? VisionLayer = null,
    bool Grounding = false, int GroundWindow = 24, int GroundStride = 8)
{
    /// <summary>Numbers in the proprioceptive state (<see cref="Tabletop.State"/>).</summary>
    public const int StateDims = Tabletop.StateDims;

    /// <summary>Special decoder tokens; the action bins start at <see cref="FirstBin"/>.</summary>
    public const int Pad = 0, Bos = 1, Eos = 2, FirstBin = 3;

    /// <summary>The first answer token.</summary>
    public const int FirstAnswer = FirstBin + ActionTokenizer.Bins;

    /// <summary>Decoder vocabulary: specials, 256 bins, answers.</summary>
    public int VocabSize => FirstAnswer + Answers;

    /// <summary>Image tokens the decoder reads, I = (G/M)².</summary>
    public int ImageTokens => (Encoders.Vision.Grid / Merge) * (Encoders.Vision.Grid / Merge);

    /// <summary>Longest decoder sequence: image + state + grounding + instruction + [BOS] + one token per action dimension.</summary>
    public int Context => ImageTokens + (Proprio ? 1 : 0) + (Grounding ? 1 : 0) + Encoders.Text.Context + 1 + ActionDims;

    /// <summary>Grounding windows along one side of the image.</summary>
    public int GroundWindowsPerSide => (Encoders.Vision.ImageSize - GroundWindow) / GroundStride + 1;

    /// <summary>Returns this config, or throws naming the bad field.</summary>
    public VlaConfig Validate()
    {
        ArgumentNullException.ThrowIfNull(Encoders, nameof(Encoders));
        Encoders.Validate();
        if (Merge < 1 || Encoders.Vision.Grid % Merge != 0) throw new ArgumentException($"Merge {Merge} must divide the patch grid {Encoders.Vision.Grid}.", nameof(Merge));
        if (Dim < 1 || Heads < 1 || Dim % Heads != 0) throw new ArgumentException($"Dim {Dim} must be a positive multiple of Heads {Heads}.", nameof(Dim));
        ArgumentOutOfRangeException.ThrowIfLessThan(Layers, 1, nameof(Layers));
        ArgumentOutOfRangeException.ThrowIfNegative(Answers, nameof(Answers));
        ArgumentOutOfRangeException.ThrowIfLessThan(ActionDims, 1, nameof(ActionDims));
        if (!(HuberDelta > 0)) throw new ArgumentOutOfRangeException(nameof(HuberDelta), HuberDelta, "must be > 0");
        if (VisionLayer is { } l && (l < 0 || l > Encoders.Vision.Layers)) throw new ArgumentOutOfRangeException(nameof(VisionLayer), l, $"must be between 0 and the image tower's {Encoders.Vision.Layers} blocks");
        if (Grounding)
        {
            if (!FreezeVision || !FreezeText) throw new ArgumentException("Grounding reads the dual encoder as pretrained: it needs both towers frozen.", nameof(Grounding));
            if (GroundWindow < 1 || GroundWindow > Encoders.Vision.ImageSize) throw new ArgumentOutOfRangeException(nameof(GroundWindow), GroundWindow, $"must be between 1 and the image side {Encoders.Vision.ImageSize}");
            ArgumentOutOfRangeException.ThrowIfLessThan(GroundStride, 1, nameof(GroundStride));
        }

        return this;
    }
}

/// <summary>
/// The VLA: image tower → merged patch tokens → MLP projector; text tower → linear projector; a causal pre-LN decoder
/// over [image tokens, instruction tokens, [BOS], action tokens] with its own token embedding and an untied output layer
/// (as Llama 2, OpenVLA's language model: with GPT-2's tied embeddings our small decoder learned to repeat the dx token as
/// dy, since a token's own embedding is its highest-scoring output until training unlearns it).
/// </summary>
[Model("vla", Paper = "Brohan et al. 2023 (RT-2); Kim et al. 2024 (OpenVLA)")]
public sealed class Vla : nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor>
{
    private readonly Vit vision_model;
    private readonly TextTransformer text_model;
    private readonly Sequential projector;
    private readonly Linear text_projector;
    private readonly Linear? state_projector;
    private readonly Linear? visual_projection;
    private readonly Linear? text_projection;
    private readonly Parameter? logit_scale;
    private readonly Linear? grounding_projector;
    private readonly Embedding embed_tokens;
    private readonly LearnedPositions embed_positions;
    private readonly ModuleList<TransformerBlock> layers;
    private readonly LayerNorm norm;
    private readonly Linear? action_head;
    private readonly Linear lm_head;

    /// <summary>A tiny seeded VLA (frozen CLIP towers, a 1-layer decoder) and a fixed batch, for the registry's conformance tests.</summary>
    public static ModelSample Conformance()
    {
        manual_seed(21);
        var config = new VlaConfig(new DualEncoderConfig(new VitConfig(ImageSize: 32, Channels: 3, Patch: 8, Dim: 16, Layers: 1, Heads: 2, MlpRatio: 2, Classes: 0),
            new TextConfig(30, Context: 8, Dim: 16, Layers: 1, Heads: 2), 16), Dim: 16, Layers: 1, Heads: 2, Merge: 2);
        var images = rand(2, 3, 32, 32);
        var state = rand(2, VlaConfig.StateDims);
        var text = randint(3, 30, [2, 8]);
        var tokens = randint(0, 256, [2, 3]);
        return new(new Vla(config), m => ((Vla)m).forward(images, state, text, tokens));
    }

    /// <summary>A randomly initialised model (see <see cref="LoadEncoders"/> to start from a trained CLIP/SigLIP).</summary>
    public Vla(VlaConfig config) : base(nameof(Vla))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config.Validate();
        var v = config.Encoders.Vision;
        vision_model = new Vit(v);
        text_model = new TextTransformer(config.Encoders.Text);
        projector = nn.Sequential(
            ("fc1", nn.Linear(config.Merge * config.Merge * v.Dim + 2, config.Dim)),
            ("act", nn.GELU()),
            ("fc2", nn.Linear(config.Dim, config.Dim)));
        text_projector = nn.Linear(config.Encoders.Text.Dim, config.Dim);
        if (config.Proprio) state_projector = nn.Linear(VlaConfig.StateDims, config.Dim);
        if (config.Grounding)
        {
            // The dual encoder's projections into its shared space and its temperature, as CLIP names them.
            visual_projection = nn.Linear(v.Dim, config.Encoders.EmbedDim, hasBias: false);
            text_projection = nn.Linear(config.Encoders.Text.Dim, config.Encoders.EmbedDim, hasBias: false);
            logit_scale = nn.Parameter(tensor((float)Math.Log(1 / 0.07)));
            grounding_projector = nn.Linear(Grounding.Roles * Grounding.FeaturesPerRole, config.Dim);
        }

        embed_tokens = nn.Embedding(config.VocabSize, config.Dim);
        embed_positions = new LearnedPositions(config.Context, config.Dim);
        layers = nn.ModuleList([.. Enumerable.Range(0, config.Layers).Select(_ => new TransformerBlock(
            new BlockConfig(config.Dim, config.Heads, 4 * config.Dim, Dropout: 0, Activation: Activation.GeluTanh)))]);
        norm = nn.LayerNorm(config.Dim);
        if (config.Head == ActionHead.Continuous) action_head = nn.Linear(config.Dim, config.ActionDims);
        lm_head = nn.Linear(config.Dim, config.VocabSize, hasBias: false);
        RegisterComponents();
        TransformerInit.Apply(layers);
        using (no_grad())
        {
            // GPT-2's N(0, 0.02) for the token embedding and the positions; with libtorch's default N(0, 1) the
            // positions would swamp the projected image tokens and the decoder would learn to ignore the image.
            embed_tokens.weight!.normal_(0, 0.02);
            foreach (var p in embed_positions.parameters()) p.normal_(0, 0.02);
        }
        ApplyFreezing();
    }

    /// <summary>The settings.</summary>
    public VlaConfig Config { get; }

    /// <summary>The image tower.</summary>
    public Vit VisionModel => vision_model;

    /// <summary>The text tower.</summary>
    public TextTransformer TextModel => text_model;

    /// <summary>Copies both towers' weights from a trained dual encoder of the same sizes.</summary>
    /// <exception cref="ArgumentException">The dual encoder's towers have other sizes.</exception>
    public void LoadEncoders(DualEncoder encoders)
    {
        ArgumentNullException.ThrowIfNull(encoders);
        if (encoders.Config.Vision != Config.Encoders.Vision || encoders.Config.Text != Config.Encoders.Text)
            throw new ArgumentException($"The dual encoder's towers ({encoders.Config.Vision}, {encoders.Config.Text}) differ from this VLA's ({Config.Encoders.Vision}, {Config.Encoders.Text}).", nameof(encoders));
        vision_model.load_state_dict(encoders.VisionModel.state_dict());
        text_model.load_state_dict(encoders.TextModel.state_dict());
        if (Config.Grounding)
        {
            var state = encoders.state_dict();
            using var noGrad = no_grad();
            visual_projection!.weight!.copy_(state["visual_projection.weight"]);
            text_projection!.weight!.copy_(state["text_projection.weight"]);
            logit_scale!.copy_(state["logit_scale"]);
        }

        ApplyFreezing();
    }

    /// <summary>
    /// The decoder's prefix: I projected image tokens, the projected state token (with <see cref="VlaConfig.Proprio"/>),
    /// then T projected instruction tokens, (B, P, D), and its padding mask (B, P), true for real tokens.
    /// </summary>
    /// <param name="images">(B, 3, S, S) in [0, 1].</param>
    /// <param name="state">(B, 4) proprioceptive state (<see cref="Tabletop.State"/>); ignored without <see cref="VlaConfig.Proprio"/>.</param>
    /// <param name="text">Instruction ids (B, T) from the towers' <see cref="CaptionTokenizer"/>.</param>
    /// <param name="grounding">(B, <see cref="Grounding.Roles"/> · <see cref="Grounding.FeaturesPerRole"/>) from <see cref="Ground"/>; required with <see cref="VlaConfig.Grounding"/>.</param>
    public (Tensor Tokens, Tensor Padding) Prefix(Tensor images, Tensor state, Tensor text, Tensor? grounding = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(text);
        if (images.shape[0] != text.shape[0] || state.shape[0] != text.shape[0]) throw new ArgumentException($"{images.shape[0]} images, {state.shape[0]} states and {text.shape[0]} instructions: need one of each per example.", nameof(text));
        using var scope = NewDisposeScope();
        var (tokens, padding) = PrefixFromFeatures(ImageFeatures(images), state, TextFeatures(text), text, grounding);
        return (tokens.MoveToOuterDisposeScope(), padding.MoveToOuterDisposeScope());
    }

    /// <summary>The image tower's patch features (B, G², Dv), [CLS] dropped; without gradient when the tower is frozen.</summary>
    public Tensor ImageFeatures(Tensor images)
    {
        using var scope = NewDisposeScope();
        using (Config.FreezeVision ? no_grad() : null) return vision_model.Hidden(images, Config.VisionLayer ?? Config.Encoders.Vision.Layers).narrow(1, 1, Config.Encoders.Vision.Patches).MoveToOuterDisposeScope();
    }

    /// <summary>The text tower's token features (B, T, Dt); without gradient when the tower is frozen.</summary>
    public Tensor TextFeatures(Tensor text)
    {
        using var scope = NewDisposeScope();
        using (Config.FreezeText ? no_grad() : null) return text_model.Encode(text).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The prefix from tower features (<see cref="ImageFeatures"/>, <see cref="TextFeatures"/>): with frozen towers a
    /// training set's features are computed once and each step runs only the projectors and the decoder.
    /// </summary>
    public (Tensor Tokens, Tensor Padding) PrefixFromFeatures(Tensor patches, Tensor state, Tensor words, Tensor text, Tensor? grounding = null)
    {
        ArgumentNullException.ThrowIfNull(patches);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(text);
        using var scope = NewDisposeScope();
        var v = Config.Encoders.Vision;
        long b = patches.shape[0];
        int g = v.Grid, m = Config.Merge, h = g / m;
        var merged = patches.reshape(b, h, m, h, m, v.Dim).permute(0, 1, 3, 2, 4, 5).reshape(b, h * h, m * m * v.Dim);   // (B, I, M²·Dv)
        // Each image token also carries its centre (x, y) in [0, 1], the units of the state token's gripper position
        // (CoordConv, Liu et al. 2018), so "where" is one linear read-out away.
        var centre = (arange(h, dtype: ScalarType.Float32, device: patches.device) + 0.5f) / h;
        var coords = stack([centre.unsqueeze(1).expand(h, h), centre.unsqueeze(0).expand(h, h)], -1).reshape(1, h * h, 2).flip(-1);  // (x, y) per token
        merged = cat([merged, coords.expand(b, h * h, 2)], -1);
        var parts = new List<Tensor> { projector.forward(merged) };
        var masks = new List<Tensor> { ones(b, h * h, dtype: ScalarType.Bool, device: patches.device) };
        if (state_projector is not null)
        {
            parts.Add(state_projector.forward(state).unsqueeze(1));                                                       // (B, 1, D)
            masks.Add(ones(b, 1, dtype: ScalarType.Bool, device: patches.device));
        }

        if (grounding_projector is not null)
        {
            if (grounding is null) throw new ArgumentException("This VLA grounds its instruction: pass the grounding features (Vla.Ground; VlaPolicy computes them).", nameof(grounding));
            if (grounding.shape.Length != 2 || grounding.shape[0] != b || grounding.shape[1] != Grounding.Roles * Grounding.FeaturesPerRole)
                throw new ArgumentException($"Grounding features of shape [{string.Join(", ", grounding.shape)}]; expected [{b}, {Grounding.Roles * Grounding.FeaturesPerRole}].", nameof(grounding));
            parts.Add(grounding_projector.forward(grounding).unsqueeze(1));
            masks.Add(ones(b, 1, dtype: ScalarType.Bool, device: patches.device));
        }
        else if (grounding is not null) throw new ArgumentException("This VLA has no grounding token (VlaConfig.Grounding is off).", nameof(grounding));

        parts.Add(text_projector.forward(words));
        masks.Add(text.ne(CaptionTokenizer.Pad));
        return (cat(parts, 1).MoveToOuterDisposeScope(), cat(masks, 1).MoveToOuterDisposeScope());
    }

    /// <summary>The decoder's final states (B, K, D) at the K decoder tokens that follow the prefix.</summary>
    public Tensor Decode(Tensor prefix, Tensor padding, Tensor tokens)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(padding);
        TokenIds.Check(tokens, Config.VocabSize, nameof(tokens));
        using var scope = NewDisposeScope();
        long b = prefix.shape[0], k = tokens.shape[1], n = prefix.shape[1] + k;
        if (n > Config.Context) throw new ArgumentException($"{n} tokens exceed the decoder's context of {Config.Context}.", nameof(tokens));
        var x = cat([prefix, embed_tokens.forward(tokens)], 1) + embed_positions.forward(arange(n, dtype: ScalarType.Int64, device: prefix.device));
        var mask = cat([padding, ones(b, k, dtype: ScalarType.Bool, device: prefix.device)], 1);
        foreach (var block in layers) x = block.forward(x, mask, causal: true);
        return norm.forward(x.narrow(1, n - k, k)).MoveToOuterDisposeScope();
    }

    /// <summary>Next-token logits (B, K, V) over the decoder tokens (B, K) that follow image, state and instruction.</summary>
    public override Tensor forward(Tensor images, Tensor state, Tensor text, Tensor tokens)
    {
        using var scope = NewDisposeScope();
        var (prefix, padding) = Prefix(images, state, text);
        return lm_head.forward(Decode(prefix, padding, tokens)).MoveToOuterDisposeScope();
    }

    /// <summary>Cross-entropy of the action tokens: the decoder reads [BOS] t₁ … t_{A−1} and predicts t₁ … t_A.</summary>
    /// <param name="images">(B, 3, S, S).</param>
    /// <param name="state">(B, 4).</param>
    /// <param name="text">(B, T).</param>
    /// <param name="actionTokens">(B, A) decoder ids of the action bins, <see cref="BinsToTokens"/>.</param>
    /// <param name="grounding">The grounding features, with <see cref="VlaConfig.Grounding"/>.</param>
    public Tensor TokenLoss(Tensor images, Tensor state, Tensor text, Tensor actionTokens, Tensor? grounding = null)
    {
        using var scope = NewDisposeScope();
        return TokenLoss(Prefix(images, state, text, grounding), actionTokens).MoveToOuterDisposeScope();
    }

    /// <summary><see cref="TokenLoss(Tensor, Tensor, Tensor, Tensor, Tensor?)"/> from a prefix already computed.</summary>
    public Tensor TokenLoss((Tensor Tokens, Tensor Padding) prefix, Tensor actionTokens)
    {
        ArgumentNullException.ThrowIfNull(actionTokens);
        RequireHead(ActionHead.Tokens);
        using var scope = NewDisposeScope();
        var input = cat([BosTokens(actionTokens.shape[0], actionTokens.device), actionTokens.narrow(1, 0, Config.ActionDims - 1)], 1);
        var logits = lm_head.forward(Decode(prefix.Tokens, prefix.Padding, input));   // (B, A, V)
        return nn.functional.cross_entropy(logits.reshape(-1, Config.VocabSize), actionTokens.reshape(-1)).MoveToOuterDisposeScope();
    }

    /// <summary>Cross-entropy of one-token answers, given as answer indices (B), to questions (B, T) about the images.</summary>
    public Tensor AnswerLoss(Tensor images, Tensor state, Tensor text, Tensor answers, Tensor? grounding = null)
    {
        using var scope = NewDisposeScope();
        return AnswerLoss(Prefix(images, state, text, grounding), answers).MoveToOuterDisposeScope();
    }

    /// <summary><see cref="AnswerLoss(Tensor, Tensor, Tensor, Tensor, Tensor?)"/> from a prefix already computed.</summary>
    public Tensor AnswerLoss((Tensor Tokens, Tensor Padding) prefix, Tensor answers)
    {
        ArgumentNullException.ThrowIfNull(answers);
        using var scope = NewDisposeScope();
        return nn.functional.cross_entropy(AnswerLogits(prefix), answers).MoveToOuterDisposeScope();
    }

    /// <summary>Decoder ids of action bins (bin b is token <see cref="VlaConfig.FirstBin"/> + b).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A bin outside 0–255.</exception>
    public static long[] BinsToTokens(IReadOnlyList<int> bins)
    {
        ArgumentNullException.ThrowIfNull(bins);
        var tokens = new long[bins.Count];
        for (int i = 0; i < bins.Count; i++)
        {
            if (bins[i] is < 0 or >= ActionTokenizer.Bins) throw new ArgumentOutOfRangeException(nameof(bins), bins[i], $"bin {i} is outside 0–{ActionTokenizer.Bins - 1}.");
            tokens[i] = VlaConfig.FirstBin + bins[i];
        }

        return tokens;
    }

    /// <summary>The continuous head's loss against normalised actions (B, A) in [−1, 1].</summary>
    public Tensor RegressionLoss(Tensor images, Tensor state, Tensor text, Tensor targets, Tensor? grounding = null)
    {
        using var scope = NewDisposeScope();
        return RegressionLoss(Prefix(images, state, text, grounding), targets).MoveToOuterDisposeScope();
    }

    /// <summary><see cref="RegressionLoss(Tensor, Tensor, Tensor, Tensor, Tensor?)"/> from a prefix already computed.</summary>
    public Tensor RegressionLoss((Tensor Tokens, Tensor Padding) prefix, Tensor targets)
    {
        using var scope = NewDisposeScope();
        var predicted = Regress(prefix);
        var loss = Config.Loss switch
        {
            Action.RegressionLoss.Mse => nn.functional.mse_loss(predicted, targets),
            Action.RegressionLoss.Huber => nn.functional.huber_loss(predicted, targets, delta: Config.HuberDelta),
            _ => nn.functional.l1_loss(predicted, targets),
        };
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>The continuous head's normalised action (B, A).</summary>
    public Tensor Regress(Tensor images, Tensor state, Tensor text, Tensor? grounding = null)
    {
        using var scope = NewDisposeScope();
        return Regress(Prefix(images, state, text, grounding)).MoveToOuterDisposeScope();
    }

    /// <summary><see cref="Regress(Tensor, Tensor, Tensor, Tensor?)"/> from a prefix already computed.</summary>
    public Tensor Regress((Tensor Tokens, Tensor Padding) prefix)
    {
        RequireHead(ActionHead.Continuous);
        using var scope = NewDisposeScope();
        return action_head!.forward(DecodeBos(prefix)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Greedy action tokens (B, A) as bins 0–255: A decoding steps, each restricted to the 256 bin tokens (constrained
    /// decoding, so the output always decodes to an action).
    /// </summary>
    public Tensor PredictBins(Tensor images, Tensor state, Tensor text, Tensor? grounding = null)
    {
        RequireHead(ActionHead.Tokens);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (prefix, padding) = Prefix(images, state, text, grounding);
        var tokens = BosTokens(images.shape[0], images.device);
        var firstBin = tensor((long)VlaConfig.FirstBin, device: images.device);                        // a tensor, not a Scalar, in the loop
        for (int k = 0; k < Config.ActionDims; k++)
        {
            var hidden = Decode(prefix, padding, tokens).select(1, -1);                                  // (B, D)
            var logits = lm_head.forward(hidden).narrow(1, VlaConfig.FirstBin, ActionTokenizer.Bins);
            tokens = cat([tokens, logits.argmax(1, keepdim: true).add(firstBin)], 1);
        }

        return tokens.narrow(1, 1, Config.ActionDims).sub(firstBin).MoveToOuterDisposeScope();
    }

    /// <summary>The most likely answer (index into the answer list) to each question.</summary>
    public Tensor PredictAnswers(Tensor images, Tensor state, Tensor text, Tensor? grounding = null)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return AnswerLogits(Prefix(images, state, text, grounding)).argmax(1).MoveToOuterDisposeScope();
    }

    /// <summary>Unit-length embeddings (N, E) of captions (N, T) in the dual encoder's shared space (with <see cref="VlaConfig.Grounding"/>).</summary>
    public Tensor EmbedTexts(Tensor ids)
    {
        RequireGrounding();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return nn.functional.normalize(text_projection!.forward(text_model.forward(ids)), dim: -1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Where the dual encoder finds each phrase (B, <see cref="Grounding.FeaturesPerRole"/> · R): every image is seen
    /// through W × W windows every <see cref="VlaConfig.GroundStride"/> pixels, the rest painted <paramref name="fill"/>;
    /// each window's image embedding is compared with each phrase's text embedding, and a softmax over the windows at the
    /// encoder's temperature gives the phrase's expected window centre. Per role: x, y as fractions of the side, the best
    /// window's cosine, and <paramref name="present"/>; all four are 0 for an absent phrase. No gradient.
    /// </summary>
    /// <param name="images">(B, 3, S, S) in [0, 1].</param>
    /// <param name="phrases">(B, R, E) unit-length phrase embeddings (<see cref="EmbedTexts"/>).</param>
    /// <param name="present">(B, R): 1 where the instruction has that phrase, else 0.</param>
    /// <param name="fill">The background colour (3) in [0, 1].</param>
    /// <param name="chunk">Images whose windows are encoded at once.</param>
    public Tensor Ground(Tensor images, Tensor phrases, Tensor present, Tensor fill, int chunk = 16)
    {
        RequireGrounding();
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(phrases);
        ArgumentNullException.ThrowIfNull(present);
        ArgumentNullException.ThrowIfNull(fill);
        int side = Config.Encoders.Vision.ImageSize, w = Config.GroundWindow, stride = Config.GroundStride, per = Config.GroundWindowsPerSide;
        long b = images.shape[0];
        if (images.shape.Length != 4 || images.shape[2] != side || images.shape[3] != side) throw new ArgumentException($"Images of shape [{string.Join(", ", images.shape)}]; expected [B, 3, {side}, {side}].", nameof(images));
        if (phrases.shape.Length != 3 || phrases.shape[0] != b || phrases.shape[2] != Config.Encoders.EmbedDim) throw new ArgumentException($"Phrases of shape [{string.Join(", ", phrases.shape)}]; expected [{b}, R, {Config.Encoders.EmbedDim}].", nameof(phrases));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var masks = zeros(per * per, 1, side, side, device: images.device);
        var starts = Enumerable.Range(0, per).Select(i => i * stride).ToArray();
        for (int r = 0; r < per; r++)
            for (int c = 0; c < per; c++)
                masks[r * per + c, TensorIndex.Colon, TensorIndex.Slice(starts[r], starts[r] + w), TensorIndex.Slice(starts[c], starts[c] + w)] = 1f;
        var background = fill.reshape(1, 3, 1, 1).to(images.device) * (1 - masks);              // (N, 3, S, S)
        var embeddings = new List<Tensor>();
        for (long start = 0; start < b; start += chunk)
        {
            long n = Math.Min(chunk, b - start);
            var views = (images.narrow(0, start, n).unsqueeze(1) * masks.unsqueeze(0) + background.unsqueeze(0)).reshape(n * per * per, 3, side, side);
            embeddings.Add(nn.functional.normalize(visual_projection!.forward(vision_model.Pooled(views)), dim: -1).reshape(n, per * per, -1));
        }

        var windows = cat(embeddings, 0);                                                        // (B, N, E)
        var similarity = einsum("bre,bne->brn", phrases, windows);                               // (B, R, N)
        var weights = (similarity * logit_scale!.exp().clamp_max(100)).softmax(-1);
        var centre = (tensor(starts, dtype: ScalarType.Float32, device: images.device) + w / 2f) / side;
        var cx = centre.repeat(per);                                                             // window n = r · per + c: x from c
        var cy = centre.repeat_interleave(per);
        var x = (weights * cx).sum(-1);
        var y = (weights * cy).sum(-1);
        var best = similarity.amax(-1);
        var features = stack([x, y, best, ones_like(x)], -1) * present.unsqueeze(-1);            // (B, R, 4)
        return features.reshape(b, -1).MoveToOuterDisposeScope();
    }

    /// <summary>Maps decoder token ids back to bins.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A token that is not an action bin (the message names it).</exception>
    public static int[] TokensToBins(IReadOnlyList<long> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var bins = new int[tokens.Count];
        for (int i = 0; i < tokens.Count; i++)
        {
            long b = tokens[i] - VlaConfig.FirstBin;
            if (b is < 0 or >= ActionTokenizer.Bins)
                throw new ArgumentOutOfRangeException(nameof(tokens), tokens[i], $"token {i} (id {tokens[i]}) is not an action token (ids {VlaConfig.FirstBin}–{VlaConfig.FirstBin + ActionTokenizer.Bins - 1}).");
            bins[i] = (int)b;
        }

        return bins;
    }

    /// <summary>A column of [BOS] ids (B, 1).</summary>
    private static Tensor BosTokens(long batch, Device device) => full(batch, 1, VlaConfig.Bos, dtype: ScalarType.Int64, device: device);

    /// <summary>The decoder's final state (B, D) at [BOS] right after the prefix.</summary>
    private Tensor DecodeBos((Tensor Tokens, Tensor Padding) prefix)
    {
        using var scope = NewDisposeScope();
        return Decode(prefix.Tokens, prefix.Padding, BosTokens(prefix.Tokens.shape[0], prefix.Tokens.device)).squeeze(1).MoveToOuterDisposeScope();
    }

    /// <summary>Logits (B, answers) of the answer tokens at [BOS].</summary>
    private Tensor AnswerLogits((Tensor Tokens, Tensor Padding) prefix)
    {
        if (Config.Answers == 0) throw new InvalidOperationException("This VLA has no answer tokens (Answers = 0).");
        using var scope = NewDisposeScope();
        return lm_head.forward(DecodeBos(prefix)).narrow(1, VlaConfig.FirstAnswer, Config.Answers).MoveToOuterDisposeScope();
    }

    /// <summary>Turns gradients of the towers off or on as the config says.</summary>
    private void ApplyFreezing()
    {
        foreach (var p in vision_model.parameters()) p.requires_grad = !Config.FreezeVision;
        foreach (var p in text_model.parameters()) p.requires_grad = !Config.FreezeText;
        foreach (var p in new nn.Module?[] { visual_projection, text_projection }.OfType<nn.Module>().SelectMany(m => m.parameters())) p.requires_grad = false;
        if (logit_scale is not null) logit_scale.requires_grad = false;
    }

    private void RequireGrounding()
    {
        if (!Config.Grounding) throw new InvalidOperationException("This VLA has no grounding step (VlaConfig.Grounding is off).");
    }

    private void RequireHead(ActionHead head)
    {
        if (Config.Head != head) throw new InvalidOperationException($"This VLA has a {Config.Head} action head, not {head}.");
    }
}
