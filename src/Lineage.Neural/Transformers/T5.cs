// T5: the encoder-decoder archetype, every task as text to text.
// Paper:   Raffel, Shazeer, Roberts, Lee, Narang, Matena, Zhou, Li & Liu 2020, "Exploring the Limits of Transfer Learning
//          with a Unified Text-to-Text Transformer", JMLR 21, arXiv:1910.10683 (T5 v1.0). Read beside Hugging Face's
//          modeling_t5.py.
// Lineage: BERT reads and GPT writes; T5 does both with one network: a bidirectional encoder reads the input (with a
//          task prefix such as "translate English to German:"), a causal decoder writes the answer while attending to
//          the encoder's states, so translation, summarising and classification share one model and one loss.
// Shapes:  B batch, S input tokens, T target tokens, C width (d_model), H heads, F feed-forward units (d_ff), V vocabulary.
// How:     encoder: x = shared(ids); L × pre-norm [x += attn(rms(x)) + relative bias; x += mlp(rms(x))]; rms.
//          decoder: the same with causal self-attention, plus x += cross_attn(rms(x), encoder states) between the two;
//          logits = rms(x)/√C · sharedᵀ. Positions enter only as a learned per-head bias on the scores, bucketed by
//          offset (RelativePositionBias), owned by block 0 of each stack and shared by the others.
// Names:   ours → Hugging Face's T5ForConditionalGeneration by the rules in Layout below (one list for save and load).
// Deviations: none in the forward pass (T5 v1.0: ReLU feed-forward, no biases, unscaled scores, tied output layer);
//          v1.1's gated GELU and untied output layer are refused on load.
using System.Text.Json.Nodes;
using Lineage.Neural.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.Transformers;

/// <summary>Size of a T5 encoder-decoder.</summary>
/// <param name="VocabSize">Tokens in the vocabulary (sentinels included).</param>
/// <param name="Layers">Blocks in the encoder and in the decoder.</param>
/// <param name="Heads">Attention heads.</param>
/// <param name="Dim">Width C.</param>
/// <param name="Hidden">Feed-forward units.</param>
/// <param name="Dropout">Dropout in training.</param>
/// <param name="Buckets">Relative position buckets.</param>
/// <param name="MaxDistance">Offset beyond which buckets stop growing.</param>
public sealed record T5Config(int VocabSize, int Layers = 3, int Heads = 4, int Dim = 128, int Hidden = 512, double Dropout = 0.1, int Buckets = 32, int MaxDistance = 128)
{
    /// <summary>Small enough for a unit test.</summary>
    public static T5Config Tiny(int vocabSize) => new(vocabSize, Layers: 2, Heads: 2, Dim: 32, Hidden: 64, Dropout: 0, Buckets: 16, MaxDistance: 32);
}

/// <summary>
/// One T5 block (<c>T5Block</c>), pre-norm with RMSNorm and no biases: x += attn(ln_1(x)) (with the stack's position
/// bias); in the decoder x += cross_attn(ln_cross(x), encoder states); x += mlp(ln_2(x)) (ReLU).
/// </summary>
public sealed class T5Block : nn.Module<Tensor, Tensor>
{
    private readonly RmsNorm ln_1;
    private readonly MultiHeadAttention attn;
    private readonly RmsNorm? ln_cross;
    private readonly MultiHeadAttention? cross_attn;
    private readonly RmsNorm ln_2;
    private readonly FeedForward mlp;

    /// <summary>An encoder block, or with <paramref name="decoder"/> a decoder block with cross-attention.</summary>
    public T5Block(T5Config config, bool decoder) : base(nameof(T5Block))
    {
        ArgumentNullException.ThrowIfNull(config);
        ln_1 = new RmsNorm(config.Dim);
        attn = new MultiHeadAttention(config.Dim, config.Heads, config.Dropout, bias: false, scale: 1.0);
        if (decoder)
        {
            ln_cross = new RmsNorm(config.Dim);
            cross_attn = new MultiHeadAttention(config.Dim, config.Heads, config.Dropout, bias: false, scale: 1.0);
        }

        ln_2 = new RmsNorm(config.Dim);
        mlp = new FeedForward(config.Dim, config.Hidden, Activation.Relu, config.Dropout, bias: false);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => Encode(x, null, null);

    /// <summary>An encoder block on x (B, S, C): bidirectional self-attention with the relative <paramref name="bias"/>.</summary>
    public Tensor Encode(Tensor x, Tensor? padding, Tensor? bias)
    {
        using var scope = NewDisposeScope();
        x = x + attn.forward(ln_1.forward(x), padding, causal: false, bias);
        x = x + mlp.forward(ln_2.forward(x));
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>A decoder block on x (B, T, C): causal self-attention (extending <paramref name="cache"/> at
    /// <paramref name="layer"/> if given), then cross-attention over <paramref name="memory"/> (B, S, C).</summary>
    public Tensor Decode(Tensor x, Tensor? bias, Tensor memory, Tensor? memoryPadding, KvCache? cache, int layer)
    {
        if (cross_attn is null) throw new InvalidOperationException("An encoder block has no cross-attention.");
        using var scope = NewDisposeScope();
        x = x + attn.forward(ln_1.forward(x), null, causal: true, bias, cache, layer);
        x = x + cross_attn.Cross(ln_cross!.forward(x), memory, memoryPadding);
        x = x + mlp.forward(ln_2.forward(x));
        return x.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The encoder-decoder archetype, T5 (Raffel et al. 2020): every task is text to text. A bidirectional encoder reads the
/// input (with a task prefix such as "translate English to German:"); a causal decoder writes the output while attending
/// to the encoder's states. Positions enter only as a learned relative bias on the attention scores (no position
/// embeddings); pre-norm RMSNorm blocks, no biases, ReLU feed-forward, one embedding shared by encoder, decoder and
/// output layer (rescaled by 1/√C, as T5 v1.0 does).
/// </summary>
[Model("t5", Paper = "Raffel et al. 2020")]
public sealed class T5 : nn.Module<Tensor, Tensor>
{
    private readonly Embedding shared;
    private readonly RelativePositionBias encoder_relative_bias;
    private readonly ModuleList<T5Block> encoder;
    private readonly RmsNorm encoder_final_norm;
    private readonly RelativePositionBias decoder_relative_bias;
    private readonly ModuleList<T5Block> decoder;
    private readonly RmsNorm decoder_final_norm;
    private readonly Dropout drop;

    /// <summary>A tiny seeded T5 and a fixed input and target prefix, for the registry's conformance tests.</summary>
    public static ModelSample Conformance()
    {
        manual_seed(13);
        var input = randint(0, 24, [2, 7]);
        var target = randint(0, 24, [2, 4]);
        return new(new T5(T5Config.Tiny(24)), m =>
        {
            var t5 = (T5)m;
            return t5.Decode(target, t5.Encode(input, null), null);
        }, (m, folder) => ((T5)m).Save(folder), Load);
    }

    /// <summary>A randomly initialised model.</summary>
    public T5(T5Config config) : base(nameof(T5))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        shared = nn.Embedding(config.VocabSize, config.Dim);
        encoder_relative_bias = new RelativePositionBias(config.Heads, bidirectional: true, config.Buckets, config.MaxDistance);
        encoder = nn.ModuleList([.. Enumerable.Range(0, config.Layers).Select(_ => new T5Block(config, decoder: false))]);
        encoder_final_norm = new RmsNorm(config.Dim);
        decoder_relative_bias = new RelativePositionBias(config.Heads, bidirectional: false, config.Buckets, config.MaxDistance);
        decoder = nn.ModuleList([.. Enumerable.Range(0, config.Layers).Select(_ => new T5Block(config, decoder: true))]);
        decoder_final_norm = new RmsNorm(config.Dim);
        drop = nn.Dropout(config.Dropout);
        RegisterComponents();
        Initialise();
    }

    // T5's initialisation (Hugging Face's T5PreTrainedModel._init_weights, factor 1): attention scores are not divided by
    // √d_kv, so the query projection starts 1/√d_kv smaller instead; every other weight ~ N(0, 1/fan_in), the shared
    // embedding ~ N(0, 1). With libtorch's defaults the unscaled scores start too sharp and the decoder learns to
    // ignore the encoder for a long time (a 10-token copy task stalls at 3.7 nats after 400 steps).
    private void Initialise()
    {
        using var noGrad = no_grad();
        double d = Config.Dim, dkv = Config.Dim / Config.Heads;
        foreach (var (name, p) in named_parameters())
        {
            double? std = name switch
            {
                "shared.weight" => 1.0,
                _ when name.EndsWith(".q.weight", StringComparison.Ordinal) => 1 / Math.Sqrt(d * dkv),
                _ when name.EndsWith(".k.weight", StringComparison.Ordinal) || name.EndsWith(".v.weight", StringComparison.Ordinal) => 1 / Math.Sqrt(d),
                _ when name.EndsWith(".o.weight", StringComparison.Ordinal) => 1 / Math.Sqrt(d),
                _ when name.EndsWith("fc_in.weight", StringComparison.Ordinal) => 1 / Math.Sqrt(d),
                _ when name.EndsWith("fc_out.weight", StringComparison.Ordinal) => 1 / Math.Sqrt(Config.Hidden),
                _ when name.EndsWith("relative_attention_bias.weight", StringComparison.Ordinal) => 1 / Math.Sqrt(d),
                _ => null,
            };
            if (std is { } s) nn.init.normal_(p, 0, s);
        }
    }

    /// <summary>The size.</summary>
    public T5Config Config { get; }

    /// <summary>Use <see cref="Encode"/> and <see cref="Decode"/>; this overload encodes ids (B, S) without padding.</summary>
    public override Tensor forward(Tensor ids) => Encode(ids, null);

    /// <summary>Encoder states (B, S, C) for input ids (B, S).</summary>
    /// <param name="ids">Input ids, int64 (B, S).</param>
    /// <param name="padding">(B, S) bool, true for real tokens; or null.</param>
    public Tensor Encode(Tensor ids, Tensor? padding)
    {
        Check(ids);
        using var scope = NewDisposeScope();
        long s = ids.shape[1];
        var bias = encoder_relative_bias.forward(s, s);
        var x = drop.forward(shared.forward(ids));
        foreach (var block in encoder) x = block.Encode(x, padding, bias);
        return drop.forward(encoder_final_norm.forward(x)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Next-token logits (B, T, V) of the decoder for target-side ids (B, T) (shifted right: they start with the start
    /// token), attending to <paramref name="memory"/>. With a cache the ids are the new positions after the cached ones.
    /// </summary>
    public Tensor Decode(Tensor ids, Tensor memory, Tensor? memoryPadding, KvCache? cache = null)
    {
        Check(ids);
        ArgumentNullException.ThrowIfNull(memory);
        using var scope = NewDisposeScope();
        long offset = cache?.Length ?? 0, t = ids.shape[1];
        var bias = decoder_relative_bias.forward(t, offset + t, queryOffset: offset);
        var x = drop.forward(shared.forward(ids));
        for (int layer = 0; layer < decoder.Count; layer++) x = decoder[layer].Decode(x, bias, memory, memoryPadding, cache, layer);
        x = drop.forward(decoder_final_norm.forward(x)) * (float)(1.0 / Math.Sqrt(Config.Dim));
        return TiedEmbeddings.Logits(x, shared.weight!).MoveToOuterDisposeScope();
    }

    /// <summary>Teacher-forced loss: cross-entropy of the decoder's predictions of <paramref name="targets"/> (B, T), −1 ignored.</summary>
    /// <param name="input">Input ids (B, S).</param>
    /// <param name="inputPadding">(B, S) bool or null.</param>
    /// <param name="targets">Target ids (B, T), padded with −1.</param>
    /// <param name="startId">The decoder's start token (T5 uses the pad token).</param>
    public Tensor Loss(Tensor input, Tensor? inputPadding, Tensor targets, long startId)
    {
        ArgumentNullException.ThrowIfNull(targets);
        using var scope = NewDisposeScope();
        var memory = Encode(input, inputPadding);
        // Shift right: the decoder reads start, y1, …, y(T−1) and predicts y1 … yT.
        var decoderInput = cat([full([targets.shape[0], 1], startId, ScalarType.Int64), targets[.., ..^1].clamp_min(0)], 1);
        var logits = Decode(decoderInput, memory, inputPadding);
        return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), targets.reshape(-1), ignore_index: -1).MoveToOuterDisposeScope();
    }

    /// <summary>Greedy decoding of one input, with the decoder's KV cache; stops at <paramref name="endId"/> or after <paramref name="maxTokens"/>.</summary>
    /// <returns>The generated ids, without the start token and without the end token.</returns>
    public long[] Generate(IReadOnlyList<long> input, int maxTokens, long startId, long endId)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Count == 0) throw new ArgumentException("The input is empty.", nameof(input));
        bool wasTraining = training;
        eval();
        try
        {
            using var noGrad = no_grad();
            using var outer = NewDisposeScope();
            var memory = Encode(tensor(input.ToArray()).unsqueeze(0), null);
            using var cache = new KvCache(decoder.Count);
            var output = new List<long>();
            long next = startId;
            for (int step = 0; step < maxTokens; step++)
            {
                using var scope = NewDisposeScope();
                var logits = Decode(tensor(new[] { next }).unsqueeze(0), memory, null, cache);
                next = logits[0, -1].argmax().item<long>();
                if (next == endId) break;
                output.Add(next);
            }

            return [.. output];
        }
        finally
        {
            train(wasTraining);
        }
    }

    /// <summary>
    /// Greedy decoding of a batch of inputs at once (padded with <paramref name="padId"/> and masked), with the decoder's
    /// KV cache; each output stops at <paramref name="endId"/> or after <paramref name="maxTokens"/>. Gives the same
    /// tokens as <see cref="Generate"/> on each input alone.
    /// </summary>
    /// <returns>Per input, the generated ids without the start and end tokens.</returns>
    public long[][] GenerateBatch(IReadOnlyList<IReadOnlyList<long>> inputs, int maxTokens, long startId, long endId, long padId)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0) return [];
        if (inputs.Any(i => i.Count == 0)) throw new ArgumentException("An input is empty.", nameof(inputs));
        bool wasTraining = training;
        eval();
        try
        {
            using var noGrad = no_grad();
            using var outer = NewDisposeScope();
            int b = inputs.Count, s = inputs.Max(i => i.Count);
            var ids = new long[b * s];
            var real = new bool[b * s];
            for (int r = 0; r < b; r++)
            {
                for (int c = 0; c < s; c++)
                {
                    bool isReal = c < inputs[r].Count;
                    ids[r * s + c] = isReal ? inputs[r][c] : padId;
                    real[r * s + c] = isReal;
                }
            }

            var padding = tensor(real).reshape(b, s);
            var memory = Encode(tensor(ids).reshape(b, s), padding);
            using var cache = new KvCache(decoder.Count);
            var outputs = Enumerable.Range(0, b).Select(_ => new List<long>()).ToArray();
            var done = new bool[b];
            var next = Enumerable.Repeat(startId, b).ToArray();
            for (int step = 0; step < maxTokens && done.Contains(false); step++)
            {
                using var scope = NewDisposeScope();
                var logits = Decode(tensor(next).reshape(b, 1), memory, padding, cache);
                next = logits[.., -1].argmax(-1).data<long>().ToArray();
                for (int r = 0; r < b; r++)
                {
                    if (done[r]) continue;
                    if (next[r] == endId) done[r] = true;
                    else outputs[r].Add(next[r]);
                }
            }

            return [.. outputs.Select(o => o.ToArray())];
        }
        finally
        {
            train(wasTraining);
        }
    }

    /// <summary>
    /// Hugging Face's <c>T5ForConditionalGeneration</c> names (<c>encoder.block.{i}.layer.0.SelfAttention.q.weight</c>,
    /// <c>decoder.block.{i}.layer.1.EncDecAttention.o.weight</c>, <c>…layer.{1|2}.DenseReluDense.wi.weight</c>); the relative
    /// position bias lives in block 0 of each stack. Linear weights are (out, in) in both, so this is a renaming. The tied
    /// output layer and the stacks' copies of the shared embedding carry nothing to load.
    /// </summary>
    public static HfLayout Layout { get; } = new(
    [
        new(@"^shared\.weight$", "shared.weight"),
        new(@"^(encoder|decoder)_relative_bias\.relative_attention_bias\.weight$", "$1.block.0.layer.0.SelfAttention.relative_attention_bias.weight"),
        new(@"^(encoder|decoder)_final_norm\.weight$", "$1.final_layer_norm.weight"),
        new(@"^(encoder|decoder)\.(\d+)\.attn\.([qkvo])\.weight$", "$1.block.$2.layer.0.SelfAttention.$3.weight"),
        new(@"^(encoder|decoder)\.(\d+)\.ln_1\.weight$", "$1.block.$2.layer.0.layer_norm.weight"),
        new(@"^decoder\.(\d+)\.cross_attn\.([qkvo])\.weight$", "decoder.block.$1.layer.1.EncDecAttention.$2.weight"),
        new(@"^decoder\.(\d+)\.ln_cross\.weight$", "decoder.block.$1.layer.1.layer_norm.weight"),
        new(@"^encoder\.(\d+)\.mlp\.fc_in\.weight$", "encoder.block.$1.layer.1.DenseReluDense.wi.weight"),
        new(@"^encoder\.(\d+)\.mlp\.fc_out\.weight$", "encoder.block.$1.layer.1.DenseReluDense.wo.weight"),
        new(@"^encoder\.(\d+)\.ln_2\.weight$", "encoder.block.$1.layer.1.layer_norm.weight"),
        new(@"^decoder\.(\d+)\.mlp\.fc_in\.weight$", "decoder.block.$1.layer.2.DenseReluDense.wi.weight"),
        new(@"^decoder\.(\d+)\.mlp\.fc_out\.weight$", "decoder.block.$1.layer.2.DenseReluDense.wo.weight"),
        new(@"^decoder\.(\d+)\.ln_2\.weight$", "decoder.block.$1.layer.2.layer_norm.weight"),
    ])
    {
        Ignored = k => k is "lm_head.weight" or "encoder.embed_tokens.weight" or "decoder.embed_tokens.weight",
    };

    /// <summary>Writes this model into <paramref name="folder"/> as a T5 v1.0 checkpoint.</summary>
    public void Save(string folder)
    {
        var c = Config;
        HfCheckpoint.Save(folder, this, Layout, new JsonObject
        {
            ["model_type"] = "t5",
            ["architectures"] = new JsonArray("T5ForConditionalGeneration"),
            ["vocab_size"] = c.VocabSize,
            ["d_model"] = c.Dim,
            ["d_kv"] = c.Dim / c.Heads,
            ["d_ff"] = c.Hidden,
            ["num_layers"] = c.Layers,
            ["num_decoder_layers"] = c.Layers,
            ["num_heads"] = c.Heads,
            ["relative_attention_num_buckets"] = c.Buckets,
            ["relative_attention_max_distance"] = c.MaxDistance,
            ["dropout_rate"] = c.Dropout,
            ["layer_norm_epsilon"] = 1e-6,
            ["feed_forward_proj"] = "relu",
            ["tie_word_embeddings"] = true,
            ["is_encoder_decoder"] = true,
            ["pad_token_id"] = 0,
            ["eos_token_id"] = 1,
            ["decoder_start_token_id"] = 0,
        });
    }

    /// <summary>Loads a T5-layout folder (T5 v1.0).</summary>
    /// <exception cref="InvalidDataException">Another architecture or variant, a bad config, or a missing, unexpected, misshapen or non-finite tensor (named).</exception>
    public static T5 Load(string folder)
    {
        var configPath = Path.Combine(folder, HfCheckpoint.ConfigName);
        var config = HfCheckpoint.ReadConfig(folder, "T5", "t5");
        var ff = HfCheckpoint.Optional(config, "feed_forward_proj", folder, "relu");
        if (ff != "relu") throw new InvalidDataException($"{configPath}: feed_forward_proj '{ff}' (T5 v1.1 and later) is not the ReLU feed-forward of T5 v1.0 this model builds.");
        if (!HfCheckpoint.Optional(config, "tie_word_embeddings", folder, true)) throw new InvalidDataException($"{configPath}: an untied output layer (T5 v1.1) is not supported; T5 v1.0 ties it.");
        int Get(string key) => HfCheckpoint.Required(config, key, folder);
        int dim = Get("d_model"), heads = Get("num_heads");
        if (Get("d_kv") * heads != dim) throw new InvalidDataException($"{configPath}: d_kv × num_heads ({Get("d_kv")} × {heads}) must equal d_model ({dim}).");
        int layers = Get("num_layers");
        if (HfCheckpoint.Optional(config, "num_decoder_layers", folder, layers) != layers) throw new InvalidDataException($"{configPath}: num_decoder_layers must equal num_layers.");
        var t5Config = new T5Config(Get("vocab_size"), layers, heads, dim, Get("d_ff"), HfCheckpoint.Optional(config, "dropout_rate", folder, 0.1),
            HfCheckpoint.Optional(config, "relative_attention_num_buckets", folder, 32), HfCheckpoint.Optional(config, "relative_attention_max_distance", folder, 128));
        HfCheckpoint.Preflight(folder, Layout,
            ("shared.weight", [t5Config.VocabSize, dim]),
            ($"encoder.block.{layers - 1}.layer.1.DenseReluDense.wi.weight", [t5Config.Hidden, dim]),
            ($"decoder.block.{layers - 1}.layer.2.DenseReluDense.wi.weight", [t5Config.Hidden, dim]));
        return HfCheckpoint.Build(folder, new T5(t5Config), Layout);
    }

    private void Check(Tensor ids) => TokenIds.Check(ids, Config.VocabSize, nameof(ids));
}

/// <summary>
/// T5's pre-training objective (Raffel et al. 2020, §3.1.4): drop about 15 % of the tokens in spans of mean length 3;
/// the input keeps the rest with one sentinel per dropped span; the target lists each sentinel followed by its span, then a
/// final sentinel.
/// </summary>
public static class SpanCorruption
{
    /// <summary>Corrupts <paramref name="tokens"/>.</summary>
    /// <param name="tokens">The original tokens.</param>
    /// <param name="sentinels">Sentinel ids in order (&lt;extra_id_0&gt;, &lt;extra_id_1&gt;, …); enough for every span plus one.</param>
    /// <param name="rng">Random choices.</param>
    /// <param name="noiseDensity">Share of tokens dropped.</param>
    /// <param name="meanSpan">Mean span length.</param>
    public static (long[] Input, long[] Target) Corrupt(IReadOnlyList<long> tokens, IReadOnlyList<long> sentinels, Random rng, double noiseDensity = 0.15, double meanSpan = 3.0)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(sentinels);
        ArgumentNullException.ThrowIfNull(rng);
        int n = tokens.Count;
        int noise = Math.Clamp((int)Math.Round(n * noiseDensity), n > 1 ? 1 : 0, Math.Max(0, n - 1));
        int spans = Math.Max(noise == 0 ? 0 : 1, (int)Math.Round(noise / meanSpan));
        if (spans + 1 > sentinels.Count) throw new ArgumentException($"{spans} spans need {spans + 1} sentinels; {sentinels.Count} given.", nameof(sentinels));
        if (noise == 0) return ([.. tokens], [sentinels[0]]);

        // Split the noise and the kept tokens each into `spans` non-empty runs, then interleave kept, noise, kept, noise, …
        var noiseLengths = Partition(noise, spans, rng);
        var keepLengths = Partition(n - noise, spans, rng);
        var input = new List<long>();
        var target = new List<long>();
        int at = 0;
        for (int s = 0; s < spans; s++)
        {
            for (int i = 0; i < keepLengths[s]; i++) input.Add(tokens[at++]);
            input.Add(sentinels[s]);
            target.Add(sentinels[s]);
            for (int i = 0; i < noiseLengths[s]; i++) target.Add(tokens[at++]);
        }

        target.Add(sentinels[spans]);
        return ([.. input], [.. target]);
    }

    // `total` items into `parts` non-empty groups, uniformly at random.
    private static int[] Partition(int total, int parts, Random rng)
    {
        if (total < parts) throw new ArgumentException($"Cannot split {total} tokens into {parts} non-empty spans.", nameof(total));
        var cuts = Enumerable.Range(1, total - 1).OrderBy(_ => rng.Next()).Take(parts - 1).Order().ToList();
        cuts.Insert(0, 0);
        cuts.Add(total);
        return [.. Enumerable.Range(0, parts).Select(i => cuts[i + 1] - cuts[i])];
    }
}
