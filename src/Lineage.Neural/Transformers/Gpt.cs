// GPT: the decoder archetype, in GPT-2's own module names, so a GPT-2 checkpoint loads with no name map.
// Paper:   Radford, Narasimhan, Salimans & Sutskever 2018, "Improving Language Understanding by Generative Pre-Training";
//          Radford, Wu, Child, Luan, Amodei & Sutskever 2019, "Language Models are Unsupervised Multitask Learners" (GPT-2).
//          Read beside karpathy/nanoGPT model.py and Hugging Face's modeling_gpt2.py.
// Lineage: BERT's encoder sees the whole sentence, so it cannot write one; GPT masks attention causally (token t sees
//          tokens ≤ t), trains on next-token prediction over raw text, and generates left to right, with a KV cache so
//          that each new token costs one position's work instead of re-reading the prefix.
// Shapes:  B batch, T tokens, C width (n_embd), H heads (n_head), D = C/H head width, V vocabulary, L layers (n_layer).
// How:     x = wte(ids) + wpe(positions); L × [x += attn(ln_1(x)); x += mlp(ln_2(x))] (pre-norm, GPT-2 §2.3);
//          logits = ln_f(x) · wteᵀ (tied output layer). attn: c_attn projects C → 3C (queries, keys, values side by
//          side), causal softmax(QKᵀ/√D)V per head, c_proj C → C. mlp: c_fc C → 4C, tanh GELU, c_proj 4C → C.
// Names:   wte, wpe, h.{i}.ln_1, h.{i}.attn.c_attn, h.{i}.attn.c_proj, h.{i}.ln_2, h.{i}.mlp.c_fc, h.{i}.mlp.c_proj,
//          ln_f: GPT-2's names under "transformer.", and GPT-2's Conv1D layout (weights stored in × out).
// Deviations: initialisation N(0, 0.02) for every weight, without GPT-2's 1/√(2L) scaling of the residual projections;
//          the optional untied lm_head is ours (GPT-2 always ties).
using System.Text.Json.Nodes;
using Lineage.Neural.Attention;
using Lineage.Neural.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.Transformers;

/// <summary>Size of a GPT decoder.</summary>
/// <param name="VocabSize">Tokens in the vocabulary.</param>
/// <param name="ContextLength">Longest sequence (learned positions).</param>
/// <param name="Layers">Transformer blocks.</param>
/// <param name="Heads">Attention heads.</param>
/// <param name="Dim">Width C.</param>
/// <param name="Dropout">Dropout in training.</param>
/// <param name="TieEmbeddings">Output layer shares the token embedding (GPT-2 does).</param>
public sealed record GptConfig(int VocabSize, int ContextLength = 128, int Layers = 4, int Heads = 4, int Dim = 128, double Dropout = 0.1, bool TieEmbeddings = true)
{
    /// <summary>Small enough for a unit test.</summary>
    public static GptConfig Tiny(int vocabSize) => new(vocabSize, ContextLength: 32, Layers: 2, Heads: 2, Dim: 32, Dropout: 0);
}

/// <summary>How <see cref="Gpt.Generate"/> picks each next token.</summary>
/// <param name="Temperature">Divides the logits; 0 means greedy (always the most likely token).</param>
/// <param name="TopK">Sample only among the k most likely tokens (0: all).</param>
/// <param name="TopP">Nucleus sampling: only among the most likely tokens whose probabilities sum to p (1: all).</param>
/// <param name="Seed">Seed of the sampling generator.</param>
public sealed record Sampling(double Temperature = 1.0, int TopK = 0, double TopP = 1.0, long Seed = 1)
{
    /// <summary>Always the most likely token.</summary>
    public static Sampling Greedy { get; } = new(Temperature: 0);
}

/// <summary>
/// GPT-2's <c>Conv1D</c>: a linear layer that stores its weight as (in, out) and computes x·W + b. GPT-2 checkpoints keep
/// this layout, so our attention and MLP projections keep it too.
/// </summary>
public sealed class Conv1D : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;

    /// <summary>A projection from <paramref name="inputs"/> to <paramref name="outputs"/> features, weight N(0, 0.02²), bias 0.</summary>
    public Conv1D(int inputs, int outputs) : base(nameof(Conv1D))
    {
        weight = nn.Parameter(empty(inputs, outputs));
        using (no_grad()) nn.init.normal_(weight, 0, 0.02);
        bias = nn.Parameter(zeros(outputs));
        RegisterComponents();
    }

    /// <summary>(…, in) → (…, out), as one addmm (the bias added inside the matrix product, as nn.Linear does).</summary>
    public override Tensor forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() == 2) return addmm(bias, x, weight, 1, 1);
        using var flat = x.reshape(-1, x.shape[^1]);
        using var y = addmm(bias, flat, weight, 1, 1);
        var shape = x.shape.ToArray();
        shape[^1] = weight.shape[1];
        return y.view(shape);
    }
}

/// <summary>
/// Causal self-attention (GPT-2's <c>GPT2Attention</c>): one projection to queries, keys and values, H heads that each see
/// only earlier positions, a projection back. With a <see cref="KvCache"/> the new positions' keys and values are appended
/// to the cached ones.
/// </summary>
public sealed class GptAttention : nn.Module<Tensor, Tensor>
{
    private readonly Conv1D c_attn;
    private readonly Conv1D c_proj;
    private readonly Dropout resid_dropout;
    private readonly int _heads;
    private readonly double _dropout;

    /// <summary>Attention over <paramref name="dim"/>-wide tokens in <paramref name="heads"/> heads.</summary>
    public GptAttention(int dim, int heads, double dropout) : base(nameof(GptAttention))
    {
        if (heads < 1 || dim % heads != 0) throw new ArgumentException($"The width ({dim}) must be divisible by the number of heads ({heads}).", nameof(heads));
        c_attn = new Conv1D(dim, 3 * dim);
        c_proj = new Conv1D(dim, dim);
        resid_dropout = nn.Dropout(dropout);
        (_heads, _dropout) = (heads, dropout);
        RegisterComponents();
    }

    /// <summary>Which computation runs (default: libtorch's fused kernel).</summary>
    public AttentionKernel Kernel { get; set; } = AttentionKernel.Sdpa;

    /// <summary>Attention over x (B, T, C) without a cache.</summary>
    public override Tensor forward(Tensor x) => forward(x, null, 0);

    /// <summary>Queries, keys and values of x (B, T, C), each (B, H, T, D).</summary>
    public (Tensor Q, Tensor K, Tensor V) QueryKeyValue(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        long b = x.shape[0], t = x.shape[1], c = x.shape[2];
        var qkv = c_attn.forward(x).reshape(b, t, 3, _heads, c / _heads).permute(2, 0, 3, 1, 4);   // (3, B, H, T, D)
        return (qkv[0], qkv[1], qkv[2]);
    }

    /// <summary>Attention of x (B, T, C), the positions after <paramref name="cache"/>'s (if any), extending it.</summary>
    public Tensor forward(Tensor x, KvCache? cache, int layer)
    {
        ArgumentNullException.ThrowIfNull(x);
        using var scope = NewDisposeScope();
        long b = x.shape[0], t = x.shape[1], c = x.shape[2];
        var (q, k, v) = QueryKeyValue(x);
        if (cache is not null) (k, v) = cache.Append(layer, k, v);
        var y = ScaledDotProduct.Attend(Kernel, q, k, v, null, causal: true, null, training ? _dropout : 0);   // (B, H, T, D)
        y = y.transpose(1, 2).reshape(b, t, c);                                                  // heads side by side
        return resid_dropout.forward(c_proj.forward(y)).MoveToOuterDisposeScope();
    }
}

/// <summary>GPT-2's feed-forward (<c>GPT2MLP</c>): C → 4C, tanh GELU ("gelu_new"), 4C → C, dropout.</summary>
public sealed class GptMlp : nn.Module<Tensor, Tensor>
{
    private readonly Conv1D c_fc;
    private readonly Conv1D c_proj;
    private readonly Dropout dropout;

    /// <summary>A feed-forward layer of width <paramref name="dim"/>.</summary>
    public GptMlp(int dim, double dropout) : base(nameof(GptMlp))
    {
        c_fc = new Conv1D(dim, 4 * dim);
        c_proj = new Conv1D(4 * dim, dim);
        this.dropout = nn.Dropout(dropout);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return dropout.forward(c_proj.forward(FeedForward.GeluTanh(c_fc.forward(x)))).MoveToOuterDisposeScope();
    }
}

/// <summary>One GPT-2 block (<c>GPT2Block</c>), pre-norm: x += attn(ln_1(x)); x += mlp(ln_2(x)).</summary>
public sealed class GptBlock : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm ln_1;
    private readonly GptAttention attn;
    private readonly LayerNorm ln_2;
    private readonly GptMlp mlp;

    /// <summary>A block of width <paramref name="dim"/>.</summary>
    public GptBlock(int dim, int heads, double dropout) : base(nameof(GptBlock))
    {
        ln_1 = nn.LayerNorm(dim);
        attn = new GptAttention(dim, heads, dropout);
        ln_2 = nn.LayerNorm(dim);
        mlp = new GptMlp(dim, dropout);
        RegisterComponents();
    }

    /// <summary>The block's attention (its kernel, its projections).</summary>
    public GptAttention Attention => attn;

    /// <summary>The first LayerNorm (what attention reads).</summary>
    public LayerNorm Ln1 => ln_1;

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => forward(x, null, 0);

    /// <summary>The block on x (B, T, C), extending <paramref name="cache"/> at <paramref name="layer"/> if given.</summary>
    public Tensor forward(Tensor x, KvCache? cache, int layer)
    {
        using var scope = NewDisposeScope();
        x = x + attn.forward(ln_1.forward(x), cache, layer);
        x = x + mlp.forward(ln_2.forward(x));
        return x.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The decoder archetype (Radford et al. 2018, 2019): token and learned position embeddings, a stack of pre-norm blocks
/// with causal self-attention, a final LayerNorm, next-token logits. Trained to predict each next token; generates left
/// to right, with a KV cache so that each new token costs one position's work.
/// </summary>
[Model("gpt", Paper = "Radford et al. 2019")]
public sealed class Gpt : nn.Module<Tensor, Tensor>, IHiddenStates
{
    private readonly Embedding wte;
    private readonly Embedding wpe;
    private readonly Dropout drop;
    private readonly ModuleList<GptBlock> h;
    private readonly LayerNorm ln_f;
    private readonly Linear? lm_head;

    /// <summary>A tiny seeded GPT and a fixed batch of ids, for the registry's conformance tests.</summary>
    public static ModelSample Conformance()
    {
        manual_seed(11);
        var ids = randint(0, 20, [2, 6]);
        return new(new Gpt(GptConfig.Tiny(20)), m => ((Gpt)m).forward(ids), (m, folder) => ((Gpt)m).Save(folder), Load);
    }

    /// <summary>A randomly initialised model (GPT-2's N(0, 0.02) for every weight).</summary>
    public Gpt(GptConfig config) : base(nameof(Gpt))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        wte = nn.Embedding(config.VocabSize, config.Dim);
        wpe = nn.Embedding(config.ContextLength, config.Dim);
        drop = nn.Dropout(config.Dropout);
        h = nn.ModuleList([.. Enumerable.Range(0, config.Layers).Select(_ => new GptBlock(config.Dim, config.Heads, config.Dropout))]);
        ln_f = nn.LayerNorm(config.Dim);
        if (!config.TieEmbeddings) lm_head = nn.Linear(config.Dim, config.VocabSize, hasBias: false);
        RegisterComponents();
        TransformerInit.Apply(this);                  // embeddings and lm_head N(0, 0.02); Conv1D initialises itself
    }

    /// <summary>The size.</summary>
    public GptConfig Config { get; }

    /// <summary>Sets the attention computation of every layer.</summary>
    public AttentionKernel Kernel
    {
        set
        {
            foreach (var block in h) block.Attention.Kernel = value;
        }
    }

    /// <summary>Next-token logits (B, T, V) for token ids (B, T).</summary>
    public override Tensor forward(Tensor idx) => forward(idx, null);

    /// <summary>
    /// Next-token logits (B, T, V) for token ids (B, T). With a cache, the ids are the new tokens after the
    /// <see cref="KvCache.Length"/> cached ones, and the cache is extended.
    /// </summary>
    /// <exception cref="ArgumentException">Ids out of the vocabulary, an empty sequence, or more tokens than the context.</exception>
    public Tensor forward(Tensor idx, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        var x = Embed(idx, cache?.Length ?? 0);
        for (int layer = 0; layer < h.Count; layer++) x = h[layer].forward(x, cache, layer);
        x = ln_f.forward(x);
        var logits = lm_head is null ? TiedEmbeddings.Logits(x, wte.weight!) : lm_head.forward(x);
        return logits.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public int HiddenSize => Config.Dim;

    /// <inheritdoc />
    public int? MaxLength => Config.ContextLength;

    /// <summary>What the output layer reads (B, T, C) for ids (B, T): the last block's output after the final layer norm.</summary>
    /// <exception cref="ArgumentException">Ids out of the vocabulary, an empty sequence, or more tokens than the context.</exception>
    public Tensor Hidden(Tensor ids)
    {
        using var scope = NewDisposeScope();
        var x = Embed(ids, 0);
        foreach (var block in h) x = block.forward(x);
        return ln_f.forward(x).MoveToOuterDisposeScope();
    }

    /// <summary>The queries, keys and values (B, H, T, D) that layer <paramref name="layer"/> attends with, for ids (B, T).</summary>
    public (Tensor Q, Tensor K, Tensor V) AttentionInputs(Tensor idx, int layer = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(layer, h.Count);
        using var scope = NewDisposeScope();
        var x = Embed(idx, 0);
        for (int i = 0; i < layer; i++) x = h[i].forward(x);
        var (q, k, v) = h[layer].Attention.QueryKeyValue(h[layer].Ln1.forward(x));
        return (q.contiguous().MoveToOuterDisposeScope(), k.contiguous().MoveToOuterDisposeScope(), v.contiguous().MoveToOuterDisposeScope());
    }

    // Token plus position embeddings (B, T, C) of ids at positions offset … offset + T − 1.
    private Tensor Embed(Tensor idx, long offset)
    {
        TokenIds.Check(idx, Config.VocabSize, nameof(idx));
        long t = idx.shape[1];
        if (offset + t > Config.ContextLength)
        {
            throw new ArgumentException($"{offset + t} tokens exceed the model's context of {Config.ContextLength}.", nameof(idx));
        }

        var positions = arange(offset, offset + t, dtype: ScalarType.Int64, device: idx.device);
        return drop.forward(wte.forward(idx) + wpe.forward(positions));
    }

    /// <summary>
    /// GPT-2's checkpoint names: ours under <c>transformer.</c> (older GPT-2 files leave the prefix out); a tied model
    /// stores no <c>lm_head</c>, and the causal-mask buffers of older files carry nothing to load.
    /// </summary>
    public static HfLayout Layout { get; } = new([new(@"^lm_head\.weight$", "lm_head.weight"), new(@"^(.+)$", "transformer.$1")])
    {
        DroppablePrefix = "transformer.",
        Ignored = k => k.EndsWith(".attn.bias", StringComparison.Ordinal) || k.EndsWith(".attn.masked_bias", StringComparison.Ordinal) || k == "lm_head.weight",
    };

    /// <summary>Writes this model into <paramref name="folder"/> as a GPT-2 checkpoint (config.json with GPT-2's keys, model.safetensors).</summary>
    /// <exception cref="NotSupportedException">The output layer is untied (GPT-2's layout has none).</exception>
    public void Save(string folder)
    {
        var c = Config;
        if (!c.TieEmbeddings) throw new NotSupportedException("Only GPTs with tied input/output embeddings map onto GPT-2's layout.");
        HfCheckpoint.Save(folder, this, Layout, new JsonObject
        {
            ["model_type"] = "gpt2",
            ["architectures"] = new JsonArray("GPT2LMHeadModel"),
            ["vocab_size"] = c.VocabSize,
            ["n_positions"] = c.ContextLength,
            ["n_ctx"] = c.ContextLength,
            ["n_embd"] = c.Dim,
            ["n_layer"] = c.Layers,
            ["n_head"] = c.Heads,
            ["n_inner"] = null,
            ["activation_function"] = "gelu_new",
            ["layer_norm_epsilon"] = 1e-5,
            ["resid_pdrop"] = c.Dropout,
            ["embd_pdrop"] = c.Dropout,
            ["attn_pdrop"] = c.Dropout,
            ["tie_word_embeddings"] = true,
        });
    }

    /// <summary>Loads a GPT-2-architecture folder (config.json + model.safetensors), ours or Hugging Face's.</summary>
    /// <exception cref="InvalidDataException">Another architecture, a bad config, or a missing, unexpected, misshapen or non-finite tensor (named).</exception>
    public static Gpt Load(string folder)
    {
        var configPath = Path.Combine(folder, HfCheckpoint.ConfigName);
        var config = HfCheckpoint.ReadConfig(folder, "GPT-2-layout models", "gpt2");
        var activation = HfCheckpoint.Optional(config, "activation_function", folder, "gelu_new");
        if (activation is not ("gelu_new" or "gelu_pytorch_tanh")) throw new InvalidDataException($"{configPath}: activation '{activation}' is not the tanh GELU this GPT uses.");
        int Get(string key) => HfCheckpoint.Required(config, key, folder);
        int dim = Get("n_embd"), n = HfCheckpoint.Optional(config, "n_inner", folder, 4 * dim);
        if (n != 4 * dim) throw new InvalidDataException($"{configPath}: n_inner {n} is not 4 × n_embd, the only width this GPT builds.");
        var gptConfig = new GptConfig(Get("vocab_size"), Get("n_positions"), Get("n_layer"), Get("n_head"), dim,
            Dropout: HfCheckpoint.Optional(config, "resid_pdrop", folder, 0.1), TieEmbeddings: true);
        if (dim % gptConfig.Heads != 0) throw new InvalidDataException($"{configPath}: n_embd {dim} is not a multiple of n_head {gptConfig.Heads}.");
        HfCheckpoint.Preflight(folder, Layout,
            ("transformer.wte.weight", [gptConfig.VocabSize, dim]),
            ("transformer.wpe.weight", [gptConfig.ContextLength, dim]),
            ($"transformer.h.{gptConfig.Layers - 1}.mlp.c_fc.weight", [dim, 4L * dim]));
        return HfCheckpoint.Build(folder, new Gpt(gptConfig), Layout);
    }

    /// <summary>Mean next-token cross-entropy of logits (B, T, V) against targets (B, T); −1 targets are ignored.</summary>
    public static Tensor Loss(Tensor logits, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), targets.reshape(-1), ignore_index: -1);
    }

    /// <summary>
    /// Continues <paramref name="prompt"/> by <paramref name="newTokens"/> tokens. With <paramref name="useCache"/> each step
    /// feeds only the newest token and reuses earlier keys and values (prompt + new tokens must fit the context);
    /// without it each step re-reads the last <see cref="GptConfig.ContextLength"/> tokens. Both give the same tokens.
    /// </summary>
    /// <returns>The prompt followed by the generated tokens.</returns>
    public long[] Generate(IReadOnlyList<long> prompt, int newTokens, Sampling sampling, bool useCache = true)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(sampling);
        if (prompt.Count == 0) throw new ArgumentException("The prompt is empty: give at least one token.", nameof(prompt));
        if (useCache && prompt.Count + newTokens > Config.ContextLength)
        {
            throw new ArgumentException($"Prompt ({prompt.Count}) + new tokens ({newTokens}) exceed the context of {Config.ContextLength} that cached generation can hold.", nameof(newTokens));
        }

        bool wasTraining = training;
        eval();
        try
        {
            using var noGrad = no_grad();
            using var generator = new Generator((ulong)sampling.Seed);
            using var cache = useCache ? new KvCache(h.Count) : null;
            var tokens = new List<long>(prompt);
            for (int step = 0; step < newTokens; step++)
            {
                using var scope = NewDisposeScope();
                Tensor input;
                if (useCache)
                {
                    input = step == 0 ? tensor(tokens.ToArray()).unsqueeze(0) : tensor(new[] { tokens[^1] }).unsqueeze(0);
                }
                else
                {
                    input = tensor(tokens.Skip(Math.Max(0, tokens.Count - Config.ContextLength)).ToArray()).unsqueeze(0);
                }

                var logits = forward(input, cache)[0, -1];                  // (V)
                tokens.Add(Pick(logits, sampling, generator));
            }

            return [.. tokens];
        }
        finally
        {
            train(wasTraining);
        }
    }

    private static long Pick(Tensor logits, Sampling s, Generator generator)
    {
        if (s.Temperature <= 0) return logits.argmax().item<long>();
        var scaled = logits / s.Temperature;
        if (s.TopK > 0 && s.TopK < scaled.shape[0])
        {
            var kth = scaled.topk(s.TopK).values[-1];
            scaled = scaled.masked_fill(scaled < kth, float.NegativeInfinity);
        }

        var probs = scaled.softmax(-1);
        if (s.TopP < 1.0)
        {
            var (sorted, order) = probs.sort(descending: true);
            var before = sorted.cumsum(0) - sorted;                         // mass of the tokens ranked above each one
            sorted = sorted.masked_fill(before >= s.TopP, 0);               // the top token always stays
            probs = zeros_like(probs).scatter(0, order, sorted);
        }

        return multinomial(probs, 1, generator: generator).item<long>();
    }
}
