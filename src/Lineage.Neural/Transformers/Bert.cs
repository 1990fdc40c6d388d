// BERT and RoBERTa: the encoder archetype, and the same network trained better.
// Paper:   Devlin, Chang, Lee & Toutanova 2019, "BERT: Pre-training of Deep Bidirectional Transformers for Language
//          Understanding", arXiv:1810.04805; Liu et al. 2019, "RoBERTa: A Robustly Optimized BERT Pretraining Approach",
//          arXiv:1907.11692. Read beside Hugging Face's modeling_bert.py.
// Lineage: word vectors give a word one meaning whatever its sentence; an LSTM reads context in one direction. BERT
//          attends over the whole sentence in both directions and learns by filling in masked words, so every token's
//          vector depends on its context. RoBERTa keeps the network and changes the training: dynamic masking, no
//          next-sentence task, one segment type.
// Shapes:  B batch, T tokens, C width (hidden_size), H heads, V vocabulary, L layers.
// How:     x = LN(word(ids) + position(0…T−1) + segment(types)); L × post-norm [x = ln_1(x + attn(x)); x = ln_2(x + mlp(x))],
//          attention masks only padding; heads: MLM logits = LN(GELU(dense(x))) · wordᵀ + b (tied), pooler tanh(W x₀ + b)
//          on [CLS], next-sentence logits from the pooler.
// Names:   ours → Hugging Face's BertForPreTraining / RobertaForMaskedLM by the rules in Layout below (one list for save
//          and load), or a bare BertModel's (EncoderLayout: no "bert." prefix, no pre-training heads, the pooler only where
//          the checkpoint has one); RoBERTa's position table has two unused leading rows in the file (padding_idx + 1 = 2).
//          Real checkpoints (all-MiniLM-L6-v2, arctic-embed-xs) load and match ONNX Runtime: see Pretrained/ and
//          docs/transformers.md, "Real checkpoints".
// Deviations: the feed-forward width is fixed at 4C.
using System.Text.Json.Nodes;
using Lineage.Neural.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.Transformers;

/// <summary>Size of a BERT/RoBERTa encoder.</summary>
/// <param name="VocabSize">Tokens in the vocabulary.</param>
/// <param name="MaxLength">Longest sequence (learned positions).</param>
/// <param name="Layers">Transformer blocks.</param>
/// <param name="Heads">Attention heads.</param>
/// <param name="Dim">Width C.</param>
/// <param name="Dropout">Dropout in training.</param>
/// <param name="TypeVocab">Segment types (2 for BERT's sentence A/B; RoBERTa uses 1).</param>
/// <param name="LayerNormEps">ε of every LayerNorm (Hugging Face's <c>layer_norm_eps</c>; BERT's 1e-12, RoBERTa's 1e-5).</param>
public sealed record BertConfig(int VocabSize, int MaxLength = 128, int Layers = 4, int Heads = 4, int Dim = 128, double Dropout = 0.1, int TypeVocab = 2, double LayerNormEps = 1e-12)
{
    /// <summary>Small enough for a unit test.</summary>
    public static BertConfig Tiny(int vocabSize) => new(vocabSize, MaxLength: 32, Layers: 2, Heads: 2, Dim: 32, Dropout: 0);
}

/// <summary>One BERT layer (<c>BertLayer</c>), post-norm as in the original Transformer: x = ln_1(x + attn(x)); x = ln_2(x + mlp(x)).</summary>
public sealed class BertLayer : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm ln_1;
    private readonly MultiHeadAttention attn;
    private readonly LayerNorm ln_2;
    private readonly FeedForward mlp;

    /// <summary>A layer of width <paramref name="dim"/> with a 4·C feed-forward (exact GELU) and LayerNorms of ε <paramref name="eps"/>.</summary>
    public BertLayer(int dim, int heads, double dropout, double eps = 1e-12) : base(nameof(BertLayer))
    {
        ln_1 = nn.LayerNorm(dim, eps: eps);
        attn = new MultiHeadAttention(dim, heads, dropout);
        ln_2 = nn.LayerNorm(dim, eps: eps);
        mlp = new FeedForward(dim, 4 * dim, Activation.Gelu, dropout);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => forward(x, null);

    /// <summary>The layer on x (B, T, C); <paramref name="padding"/> (B, T) bool marks real tokens, or null.</summary>
    public Tensor forward(Tensor x, Tensor? padding)
    {
        using var scope = NewDisposeScope();
        x = ln_1.forward(x + attn.forward(x, padding));
        x = ln_2.forward(x + mlp.forward(x));
        return x.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The encoder archetype (Devlin et al. 2019): token + position + segment embeddings, LayerNorm, a stack of post-norm
/// blocks whose self-attention sees the whole sequence in both directions (only padding is masked). Heads: masked-language
/// model (logits over the vocabulary at every position, output layer tied to the token embedding), next-sentence
/// prediction and classification from the first token ([CLS]) through a tanh pooler. RoBERTa (Liu et al. 2019) is the
/// same network trained differently (<see cref="MlmMasking"/>).
/// </summary>
[Model("bert", Paper = "Devlin et al. 2019")]
public sealed class Bert : nn.Module<Tensor, Tensor>
{
    private readonly Embedding word_embeddings;
    private readonly LearnedPositions position_embeddings;
    private readonly Embedding token_type_embeddings;
    private readonly LayerNorm embeddings_ln;
    private readonly Dropout drop;
    private readonly ModuleList<BertLayer> layer;
    private readonly Linear mlm_dense;
    private readonly LayerNorm mlm_ln;
    private readonly Parameter mlm_bias;
    private readonly Linear pooler;
    private readonly Linear nsp;

    /// <summary>A tiny seeded BERT and a fixed batch, for the registry's conformance tests: MLM and next-sentence logits side by side.</summary>
    public static ModelSample Conformance()
    {
        manual_seed(12);
        var ids = randint(0, 20, [2, 6]);
        var segments = tensor(new long[] { 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1 }, [2, 6]);
        return new(new Bert(BertConfig.Tiny(20)), m =>
        {
            var bert = (Bert)m;
            var hidden = bert.Encode(ids, null, segments);
            return cat([bert.MlmLogits(hidden).flatten(), bert.NspLogits(hidden).flatten()]);
        }, (m, folder) => ((Bert)m).Save(folder), folder => Load(folder).Model);
    }

    /// <summary>A randomly initialised encoder.</summary>
    public Bert(BertConfig config) : base(nameof(Bert))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        word_embeddings = nn.Embedding(config.VocabSize, config.Dim);
        position_embeddings = new LearnedPositions(config.MaxLength, config.Dim);
        token_type_embeddings = nn.Embedding(config.TypeVocab, config.Dim);
        embeddings_ln = nn.LayerNorm(config.Dim, eps: config.LayerNormEps);
        drop = nn.Dropout(config.Dropout);
        layer = nn.ModuleList([.. Enumerable.Range(0, config.Layers).Select(_ => new BertLayer(config.Dim, config.Heads, config.Dropout, config.LayerNormEps))]);
        mlm_dense = nn.Linear(config.Dim, config.Dim);
        mlm_ln = nn.LayerNorm(config.Dim, eps: config.LayerNormEps);
        mlm_bias = nn.Parameter(zeros(config.VocabSize));
        pooler = nn.Linear(config.Dim, config.Dim);
        nsp = nn.Linear(config.Dim, 2);
        RegisterComponents();
        TransformerInit.Apply(this);
    }

    /// <summary>The size.</summary>
    public BertConfig Config { get; }

    /// <summary>Hidden states (B, T, C) for ids (B, T), nothing padded, one segment.</summary>
    public override Tensor forward(Tensor ids) => Encode(ids, null, null);

    /// <summary>Hidden states (B, T, C).</summary>
    /// <param name="ids">Token ids (B, T), int64.</param>
    /// <param name="padding">(B, T) bool, true for real tokens; or null.</param>
    /// <param name="segments">(B, T) segment ids (0 for sentence A, 1 for B); or null for all 0.</param>
    /// <exception cref="ArgumentException">Ids outside the vocabulary, an empty or too long sequence.</exception>
    public Tensor Encode(Tensor ids, Tensor? padding, Tensor? segments)
    {
        TokenIds.Check(ids, Config.VocabSize, nameof(ids));
        using var scope = NewDisposeScope();
        long t = ids.shape[1];
        var positions = arange(t, dtype: ScalarType.Int64, device: ids.device);
        var types = segments ?? zeros_like(ids);
        var x = drop.forward(embeddings_ln.forward(word_embeddings.forward(ids) + position_embeddings.forward(positions) + token_type_embeddings.forward(types)));
        foreach (var block in layer) x = block.forward(x, padding);
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>Masked-language-model logits (B, T, V) from hidden states; the output layer is the token embedding.</summary>
    public Tensor MlmLogits(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var h = mlm_ln.forward(nn.functional.gelu(mlm_dense.forward(hidden)));
        return (TiedEmbeddings.Logits(h, word_embeddings.weight!) + mlm_bias).MoveToOuterDisposeScope();
    }

    /// <summary>The pooled [CLS] vector (B, C): tanh(W·h₀ + b), the input of next-sentence and classification heads.
    /// A checkpoint without a pooler (arctic-embed) loads with this layer at its initial values.</summary>
    public Tensor Pooled(Tensor hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        using var scope = NewDisposeScope();
        return pooler.forward(hidden[.., 0]).tanh().MoveToOuterDisposeScope();
    }

    /// <summary>Next-sentence-prediction logits (B, 2): is sentence B the one that followed A (1) or a random one (0)?</summary>
    public Tensor NspLogits(Tensor hidden) => nsp.forward(Pooled(hidden));

    // RoBERTa numbers positions from padding_idx + 1 = 2: its position table has two leading rows that are never used.
    private const int RobertaPositionOffset = 2;

    /// <summary>
    /// Hugging Face's names for this encoder: <c>BertForPreTraining</c>'s (<c>bert.…</c>, <c>cls.…</c>) or
    /// <c>RobertaForMaskedLM</c>'s (<c>roberta.…</c>, <c>lm_head.…</c>); with <paramref name="classifier"/>, the
    /// sequence-classification layout instead (<c>BertForSequenceClassification</c>: the pooler, then <c>classifier</c>;
    /// <c>RobertaForSequenceClassification</c>: <c>classifier.dense</c> → tanh → <c>classifier.out_proj</c> on the first
    /// token, which is exactly our pooler followed by the head), where the head's parameters are named <c>head.weight</c>
    /// and <c>head.bias</c> and the pre-training heads are not stored. Linear weights are (out, in) in both, as ours.
    /// </summary>
    public static HfLayout Layout(bool roberta, bool classifier = false)
    {
        string root = roberta ? "roberta" : "bert";
        string? Head(string bert, string? robertaName) => classifier ? null : roberta ? robertaName : bert;
        List<NameRule> rules =
        [
            new(@"^word_embeddings\.weight$", $"{root}.embeddings.word_embeddings.weight"),
            new(@"^position_embeddings\.wpe\.weight$", $"{root}.embeddings.position_embeddings.weight", roberta ? new LeadingRows(RobertaPositionOffset) : null),
            new(@"^token_type_embeddings\.weight$", $"{root}.embeddings.token_type_embeddings.weight"),
            new(@"^embeddings_ln\.(weight|bias)$", $"{root}.embeddings.LayerNorm.$1"),
            .. HfLayout.BlockRules("layer", $"{root}.encoder.layer.$1.", "attention.self.query", "attention.self.key", "attention.self.value",
                "attention.output.dense", "attention.output.LayerNorm", "output.LayerNorm", "intermediate.dense", "output.dense"),
            new(@"^pooler\.(weight|bias)$", classifier && roberta ? "classifier.dense.$1" : $"{root}.pooler.dense.$1"),
            new(@"^head\.(weight|bias)$", roberta ? "classifier.out_proj.$1" : "classifier.$1"),
            new(@"^mlm_dense\.(weight|bias)$", Head("cls.predictions.transform.dense.$1", "lm_head.dense.$1")),
            new(@"^mlm_ln\.(weight|bias)$", Head("cls.predictions.transform.LayerNorm.$1", "lm_head.layer_norm.$1")),
            new(@"^mlm_bias$", Head("cls.predictions.bias", "lm_head.bias")),
            new(@"^nsp\.(weight|bias)$", Head("cls.seq_relationship.$1", null)),
        ];
        return new HfLayout(rules)
        {
            // A bare BertModel / RobertaModel folder has the same names without the prefix.
            DroppablePrefix = root + ".",
            // A bare encoder (BertModel) or one without the heads loads; its heads keep their initial values.
            Optional = k => !classifier && (k.StartsWith("cls.", StringComparison.Ordinal) || k.StartsWith("lm_head.", StringComparison.Ordinal) || k.Contains(".pooler.", StringComparison.Ordinal)),
            // Buffers and the tied decoder carry nothing to load.
            Ignored = k => k.EndsWith("position_ids", StringComparison.Ordinal)
                || k is "cls.predictions.decoder.weight" or "cls.predictions.decoder.bias" or "lm_head.decoder.weight" or "lm_head.decoder.bias",
        };
    }

    /// <summary>
    /// A bare <c>BertModel</c>'s names (<c>embeddings.…</c>, <c>encoder.layer.…</c>, <c>pooler.dense.…</c>), as sentence
    /// encoders are published: the pre-training heads are not stored, the pooler only when <paramref name="pooler"/>.
    /// <see cref="Load"/> reads such a folder too.
    /// </summary>
    public static HfLayout EncoderLayout(bool pooler)
    {
        var full = Layout(roberta: false);
        List<NameRule> rules = [.. full.Rules.Select(r => r.Replacement switch
        {
            null => r,
            var name when name.StartsWith("bert.pooler.", StringComparison.Ordinal) => r with { Replacement = pooler ? name["bert.".Length..] : null },
            var name when name.StartsWith("bert.", StringComparison.Ordinal) => r with { Replacement = name["bert.".Length..] },
            _ => r with { Replacement = null },
        })];
        return new HfLayout(rules) { Ignored = full.Ignored };
    }

    /// <summary>Writes this encoder as a bare <c>BertModel</c> folder (<see cref="EncoderLayout"/>): config.json
    /// (<c>architectures: BertModel</c>) and model.safetensors, each atomically.</summary>
    /// <param name="folder">Created if needed.</param>
    /// <param name="pooler">Store the pooler (false for checkpoints that have none: its values would be untrained).</param>
    public void SaveEncoder(string folder, bool pooler)
    {
        var config = HfConfig(roberta: false, padId: 0);
        config["architectures"] = new JsonArray("BertModel");
        HfCheckpoint.Save(folder, this, EncoderLayout(pooler), config);
    }

    /// <summary>Writes this encoder into <paramref name="folder"/> as BERT (<paramref name="roberta"/> false) or RoBERTa.</summary>
    /// <param name="folder">Created if needed; config.json and model.safetensors are replaced atomically.</param>
    /// <param name="roberta">Use RoBERTa's names (a RoBERTa model has one segment type and no next-sentence head).</param>
    /// <param name="padId">The padding id (RoBERTa's <c>pad_token_id</c>).</param>
    public void Save(string folder, bool roberta = false, int padId = 0) =>
        HfCheckpoint.Save(folder, this, Layout(roberta), HfConfig(roberta, padId));

    /// <summary>Loads a BERT- or RoBERTa-layout folder; which one is read from config.json's <c>model_type</c>.</summary>
    /// <returns>The encoder and whether it is a RoBERTa checkpoint.</returns>
    /// <exception cref="InvalidDataException">Another architecture, a bad config, or a missing, unexpected, misshapen or non-finite tensor (named).</exception>
    public static (Bert Model, bool Roberta) Load(string folder)
    {
        var (config, roberta) = ReadHfConfig(HfCheckpoint.ReadConfig(folder, "BERT and RoBERTa", "bert", "roberta"), folder);
        return (HfCheckpoint.Build(folder, new Bert(config), Layout(roberta)), roberta);
    }

    /// <summary>
    /// Writes this encoder fine-tuned for classification with a linear <paramref name="head"/> on the pooled [CLS] vector,
    /// in Hugging Face's sequence-classification layout (see <see cref="Layout"/>); config.json names the labels.
    /// </summary>
    /// <exception cref="ArgumentException">The head is not a linear layer from C to one output per label.</exception>
    public void SaveClassifier(string folder, nn.Module<Tensor, Tensor> head, IReadOnlyList<string> labels, bool roberta = false, int padId = 0)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(labels);
        var hp = head.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        if (!hp.TryGetValue("weight", out var weight) || !hp.TryGetValue("bias", out _) || weight.shape.Length != 2 || weight.shape[0] != labels.Count || weight.shape[1] != Config.Dim)
            throw new ArgumentException($"The head must be a linear layer from {Config.Dim} to {labels.Count} (one output per label).", nameof(head));
        var config = HfConfig(roberta, padId);
        config["architectures"] = new JsonArray(roberta ? "RobertaForSequenceClassification" : "BertForSequenceClassification");
        (config["id2label"], config["label2id"]) = HfCheckpoint.Labels(labels);
        config["problem_type"] = "single_label_classification";
        HfCheckpoint.Save(folder, WithHead(this, head), Layout(roberta, classifier: true), config);
    }

    /// <summary>Loads a folder written by <see cref="SaveClassifier"/>: the encoder, a linear head with the saved weights, and the label names.</summary>
    /// <exception cref="InvalidDataException">Not a sequence-classification folder, labels missing, or a missing or misshapen tensor (named).</exception>
    public static (Bert Model, Linear Head, IReadOnlyList<string> Labels, bool Roberta) LoadClassifier(string folder)
    {
        var configPath = Path.Combine(folder, HfCheckpoint.ConfigName);
        var json = HfCheckpoint.ReadConfig(folder, "BERT and RoBERTa", "bert", "roberta");
        if (json["id2label"] is not JsonObject id2label || id2label.Count < 2)
            throw new InvalidDataException($"{configPath}: no 'id2label' with two or more labels; this folder is not a fine-tuned classifier.");
        var labels = new string[id2label.Count];
        for (int i = 0; i < labels.Length; i++)
            labels[i] = (string?)id2label[i.ToString(System.Globalization.CultureInfo.InvariantCulture)] ?? throw new InvalidDataException($"{configPath}: id2label has no label {i}.");
        var (config, roberta) = ReadHfConfig(json, folder);
        var model = new Bert(config);
        var head = nn.Linear(config.Dim, labels.Length);
        try
        {
            HfCheckpoint.Load(folder, WithHead(model, head), Layout(roberta, classifier: true));
            return (model, head, labels, roberta);
        }
        catch
        {
            model.Dispose();
            head.Dispose();
            throw;
        }
    }

    // The encoder's parameters and the head's under "head.".
    private static IReadOnlyList<(string, Parameter)> WithHead(Bert model, nn.Module head) =>
        [.. HfCheckpoint.Parameters(model), .. HfCheckpoint.Parameters(head).Select(p => ("head." + p.Name, p.Parameter))];

    // config.json of BertForPreTraining / RobertaForMaskedLM.
    private JsonObject HfConfig(bool roberta, int padId)
    {
        var c = Config;
        return new JsonObject
        {
            ["model_type"] = roberta ? "roberta" : "bert",
            ["architectures"] = new JsonArray(roberta ? "RobertaForMaskedLM" : "BertForPreTraining"),
            ["vocab_size"] = c.VocabSize,
            ["hidden_size"] = c.Dim,
            ["num_hidden_layers"] = c.Layers,
            ["num_attention_heads"] = c.Heads,
            ["intermediate_size"] = 4 * c.Dim,
            ["hidden_act"] = "gelu",
            ["hidden_dropout_prob"] = c.Dropout,
            ["attention_probs_dropout_prob"] = c.Dropout,
            ["max_position_embeddings"] = c.MaxLength + (roberta ? RobertaPositionOffset : 0),
            ["type_vocab_size"] = c.TypeVocab,
            ["layer_norm_eps"] = c.LayerNormEps,
            ["pad_token_id"] = padId,
            ["position_embedding_type"] = "absolute",
        };
    }

    // Our config from a BERT or RoBERTa config.json (read once, by the caller).
    private static (BertConfig Config, bool Roberta) ReadHfConfig(JsonObject config, string folder)
    {
        var configPath = Path.Combine(folder, HfCheckpoint.ConfigName);
        bool roberta = (string?)config["model_type"] == "roberta";
        var act = (string?)config["hidden_act"] ?? "gelu";
        if (act != "gelu") throw new InvalidDataException($"{configPath}: activation '{act}' is not the exact GELU this encoder uses.");
        int Get(string key) => HfCheckpoint.Required(config, key, folder);
        int dim = Get("hidden_size");
        if (Get("intermediate_size") != 4 * dim) throw new InvalidDataException($"{configPath}: intermediate_size {Get("intermediate_size")} is not 4 × hidden_size ({4 * dim}), the only width this encoder builds.");
        return (new BertConfig(Get("vocab_size"), Get("max_position_embeddings") - (roberta ? RobertaPositionOffset : 0), Get("num_hidden_layers"),
            Get("num_attention_heads"), dim, (double?)config["hidden_dropout_prob"] ?? 0.1, (int?)config["type_vocab_size"] ?? 2,
            Eps(config, configPath)), roberta);
    }

    // layer_norm_eps: Hugging Face's default (1e-12) when absent; a positive number otherwise.
    private static double Eps(JsonObject config, string configPath)
    {
        if (config["layer_norm_eps"] is not JsonValue value) return 1e-12;
        if (!value.TryGetValue<double>(out var eps) || !(eps > 0) || double.IsInfinity(eps))
            throw new InvalidDataException($"{configPath}: 'layer_norm_eps' is {value.ToJsonString()}, not a positive number.");
        return eps;
    }

    /// <summary>Mean cross-entropy of MLM logits (B, T, V) against labels (B, T) that are −1 everywhere but at masked positions.</summary>
    public static Tensor MlmLoss(Tensor logits, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), labels.reshape(-1), ignore_index: -1);
    }
}

/// <summary>When the masked positions are chosen.</summary>
public enum MaskingSchedule
{
    /// <summary>BERT: once per example, when the data is prepared; every epoch sees the same masks.</summary>
    Static,
    /// <summary>RoBERTa: anew every time an example is fed, so the model sees many maskings of each sentence.</summary>
    Dynamic,
}

/// <summary>
/// BERT's masking rule (Devlin et al. 2019, §3.1): choose 15 % of the real, non-special tokens; replace 80 % of those by
/// [MASK], 10 % by a random token, leave 10 % unchanged; the model must predict the original token at every chosen position.
/// </summary>
public sealed class MlmMasking
{
    private readonly HashSet<long> _special;
    private readonly Random _dynamic;

    /// <summary>A masker.</summary>
    /// <param name="vocabSize">Tokens in the vocabulary (random replacements are drawn from the non-special ones).</param>
    /// <param name="maskId">The [MASK] token.</param>
    /// <param name="specialIds">Tokens never chosen ([CLS], [SEP], [PAD], …).</param>
    /// <param name="schedule">Static (BERT) or dynamic (RoBERTa).</param>
    /// <param name="seed">Seed of every choice.</param>
    /// <param name="probability">Share of tokens chosen.</param>
    public MlmMasking(int vocabSize, long maskId, IEnumerable<long> specialIds, MaskingSchedule schedule, int seed, double probability = 0.15)
    {
        ArgumentNullException.ThrowIfNull(specialIds);
        (VocabSize, MaskId, Schedule, Seed, Probability) = (vocabSize, maskId, schedule, seed, probability);
        _special = [.. specialIds, maskId];
        _dynamic = new Random(seed);
    }

    /// <summary>Tokens in the vocabulary.</summary>
    public int VocabSize { get; }

    /// <summary>The [MASK] token.</summary>
    public long MaskId { get; }

    /// <summary>Static or dynamic.</summary>
    public MaskingSchedule Schedule { get; }

    /// <summary>Seed.</summary>
    public int Seed { get; }

    /// <summary>Share of tokens chosen.</summary>
    public double Probability { get; }

    /// <summary>
    /// Masks one example. Static masking draws from a generator seeded by (seed, <paramref name="exampleIndex"/>), so
    /// the same example always gets the same mask; dynamic masking draws from one running generator.
    /// </summary>
    /// <param name="ids">The example's tokens.</param>
    /// <param name="exampleIndex">Its index in the data set.</param>
    /// <returns>The model's input and the labels (the original token where chosen, −1 elsewhere).</returns>
    public (long[] Input, long[] Labels) Mask(IReadOnlyList<long> ids, int exampleIndex)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var rng = Schedule == MaskingSchedule.Static ? new Random(unchecked((Seed * 1_000_003) ^ exampleIndex)) : _dynamic;
        var input = ids.ToArray();
        var labels = Enumerable.Repeat(-1L, input.Length).ToArray();
        for (int i = 0; i < input.Length; i++)
        {
            if (_special.Contains(input[i]) || rng.NextDouble() >= Probability) continue;
            labels[i] = input[i];
            double r = rng.NextDouble();
            if (r < 0.8) input[i] = MaskId;
            else if (r < 0.9) input[i] = RandomToken(rng);
        }

        return (input, labels);
    }

    private long RandomToken(Random rng)
    {
        while (true)
        {
            long t = rng.NextInt64(VocabSize);
            if (!_special.Contains(t)) return t;
        }
    }
}
