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
public sealed record BertConfig(int VocabSize, int MaxLength = 128, int Layers = 4, int Heads = 4, int Dim = 128, double Dropout = 0.1, int TypeVocab = 2)
{
    /// <summary>Small enough for a unit test.</summary>
    public static BertConfig Tiny(int vocabSize) => new(vocabSize, MaxLength: 32, Layers: 2, Heads: 2, Dim: 32, Dropout: 0);
}

/// <summary>
/// The encoder archetype (Devlin et al. 2019): token + position + segment embeddings, LayerNorm, a stack of post-norm
/// blocks whose self-attention sees the whole sequence in both directions (only padding is masked). Heads: masked-language
/// model (logits over the vocabulary at every position, output layer tied to the token embedding), next-sentence
/// prediction and classification from the first token ([CLS]) through a tanh pooler. RoBERTa (Liu et al. 2019) is the
/// same network trained differently (<see cref="MlmMasking"/>).
/// </summary>
public sealed class Bert : nn.Module<Tensor, Tensor>
{
    private readonly Embedding word_embeddings;
    private readonly LearnedPositions position_embeddings;
    private readonly Embedding token_type_embeddings;
    private readonly LayerNorm embeddings_ln;
    private readonly Dropout drop;
    private readonly ModuleList<TransformerBlock> layer;
    private readonly Linear mlm_dense;
    private readonly LayerNorm mlm_ln;
    private readonly Parameter mlm_bias;
    private readonly Linear pooler;
    private readonly Linear nsp;

    /// <summary>A randomly initialised encoder.</summary>
    public Bert(BertConfig config) : base(nameof(Bert))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        word_embeddings = nn.Embedding(config.VocabSize, config.Dim);
        position_embeddings = new LearnedPositions(config.MaxLength, config.Dim);
        token_type_embeddings = nn.Embedding(config.TypeVocab, config.Dim);
        embeddings_ln = nn.LayerNorm(config.Dim, eps: 1e-12);
        drop = nn.Dropout(config.Dropout);
        layer = nn.ModuleList([.. Enumerable.Range(0, config.Layers).Select(_ => new TransformerBlock(
            new BlockConfig(config.Dim, config.Heads, 4 * config.Dim, config.Dropout, PreNorm: false)))]);
        mlm_dense = nn.Linear(config.Dim, config.Dim);
        mlm_ln = nn.LayerNorm(config.Dim, eps: 1e-12);
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
        foreach (var block in layer) x = block.forward(x, padding, false, null, null, null, null, null, 0);
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>Masked-language-model logits (B, T, V) from hidden states; the output layer is the token embedding.</summary>
    public Tensor MlmLogits(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var h = mlm_ln.forward(nn.functional.gelu(mlm_dense.forward(hidden)));
        return (TiedEmbeddings.Logits(h, word_embeddings.weight!) + mlm_bias).MoveToOuterDisposeScope();
    }

    /// <summary>The pooled [CLS] vector (B, C): tanh(W·h₀ + b), the input of next-sentence and classification heads.</summary>
    public Tensor Pooled(Tensor hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        using var scope = NewDisposeScope();
        return pooler.forward(hidden[.., 0]).tanh().MoveToOuterDisposeScope();
    }

    /// <summary>Next-sentence-prediction logits (B, 2): is sentence B the one that followed A (1) or a random one (0)?</summary>
    public Tensor NspLogits(Tensor hidden) => nsp.forward(Pooled(hidden));

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
