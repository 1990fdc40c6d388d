using Lineage.Neural.Attention;
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
/// The decoder archetype (Radford et al. 2018, 2019): token and learned position embeddings, a stack of pre-norm blocks
/// with causal self-attention, a final LayerNorm, next-token logits. Trained to predict each next token; generates left
/// to right, with a KV cache so that each new token costs one position's work.
/// </summary>
public sealed class Gpt : nn.Module<Tensor, Tensor>
{
    private readonly Embedding wte;
    private readonly LearnedPositions wpe;
    private readonly Dropout drop;
    private readonly ModuleList<TransformerBlock> h;
    private readonly LayerNorm ln_f;
    private readonly Linear? lm_head;

    /// <summary>A randomly initialised model.</summary>
    public Gpt(GptConfig config) : base(nameof(Gpt))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        wte = nn.Embedding(config.VocabSize, config.Dim);
        wpe = new LearnedPositions(config.ContextLength, config.Dim);
        drop = nn.Dropout(config.Dropout);
        h = nn.ModuleList([.. Enumerable.Range(0, config.Layers).Select(_ => new TransformerBlock(
            new BlockConfig(config.Dim, config.Heads, 4 * config.Dim, config.Dropout, PreNorm: true, Activation: Activation.GeluTanh)))]);
        ln_f = nn.LayerNorm(config.Dim);
        if (!config.TieEmbeddings) lm_head = nn.Linear(config.Dim, config.VocabSize, hasBias: false);
        RegisterComponents();
        TransformerInit.Apply(this);                  // GPT-2's N(0, 0.02)
    }

    /// <summary>The size.</summary>
    public GptConfig Config { get; }

    /// <summary>Sets the attention computation of every layer.</summary>
    public AttentionKernel Kernel
    {
        set
        {
            foreach (var block in h) block.Kernel = value;
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
        TokenIds.Check(idx, Config.VocabSize, nameof(idx));
        long offset = cache?.Length ?? 0;
        long t = idx.shape[1];
        if (offset + t > Config.ContextLength)
        {
            throw new ArgumentException($"{offset + t} tokens exceed the model's context of {Config.ContextLength}.", nameof(idx));
        }

        using var scope = NewDisposeScope();
        var positions = arange(offset, offset + t, dtype: ScalarType.Int64, device: idx.device);
        var x = drop.forward(wte.forward(idx) + wpe.forward(positions));
        for (int layer = 0; layer < h.Count; layer++) x = h[layer].forward(x, null, true, null, null, null, null, cache, layer);
        x = ln_f.forward(x);
        var logits = lm_head is null ? TiedEmbeddings.Logits(x, wte.weight!) : lm_head.forward(x);
        return logits.MoveToOuterDisposeScope();
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
