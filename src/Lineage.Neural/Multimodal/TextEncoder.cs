// The text tower of CLIP and SigLIP: a word-level tokenizer and a small causal transformer read at its end-of-text token.
// Deviations from CLIP (Radford et al. 2021, §2.4): words instead of a 49,152-token BPE (the captions are short Unicode
// names and class names; a word outside the vocabulary becomes [UNK]), and a tiny width. As in CLIP the encoder is
// causal and the sentence is represented by the final LayerNorm's output at the [EOS] position.
using System.Text;
using System.Text.Json;
using Lineage.Neural.Attention;
using Lineage.Neural.Transformers;
using Lineage.Text.IO;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.Multimodal;

/// <summary>
/// Lower-cases text and splits it into words (letters and digits; every other character separates words, except that
/// '&amp;' is kept as a word). Ids: 0 [PAD], 1 [BOS], 2 [EOS], 3 [UNK], then the vocabulary. A caption longer than the
/// context is truncated: its first <c>context − 2</c> words are kept, then [EOS] (documented truncation).
/// </summary>
public sealed class CaptionTokenizer
{
    /// <summary>Special ids.</summary>
    public const int Pad = 0, Bos = 1, Eos = 2, Unk = 3;

    private readonly Dictionary<string, int> _ids;

    /// <summary>A tokenizer over these words (in id order after the four special tokens).</summary>
    public CaptionTokenizer(IReadOnlyList<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        Words = words;
        _ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < words.Count; i++) _ids[words[i]] = i + 4;
    }

    /// <summary>The vocabulary without the special tokens.</summary>
    public IReadOnlyList<string> Words { get; }

    /// <summary>Vocabulary size including the four special tokens.</summary>
    public int VocabSize => Words.Count + 4;

    /// <summary>Every word of <paramref name="captions"/> seen at least <paramref name="minCount"/> times, most frequent first.</summary>
    public static CaptionTokenizer Build(IEnumerable<string> captions, int minCount = 1)
    {
        ArgumentNullException.ThrowIfNull(captions);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var c in captions)
            foreach (var w in Split(c)) counts[w] = counts.GetValueOrDefault(w) + 1;
        return new CaptionTokenizer([.. counts.Where(p => p.Value >= minCount).OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key)]);
    }

    /// <summary>The words of a text, lower-cased.</summary>
    public static IEnumerable<string> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var word = new StringBuilder();
        foreach (char ch in text.ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(ch))
            {
                word.Append(ch);
                continue;
            }

            if (word.Length > 0) yield return word.ToString();
            word.Clear();
            if (ch == '&') yield return "&";
        }

        if (word.Length > 0) yield return word.ToString();
    }

    /// <summary>Ids of one text: [BOS] words… [EOS], then [PAD] up to <paramref name="context"/>; truncated to fit.</summary>
    public long[] Encode(string text, int context)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(context, 3, nameof(context));
        var ids = new long[context];
        ids[0] = Bos;
        int n = 1;
        foreach (var w in Split(text))
        {
            if (n == context - 1) break;                      // truncation: keep room for [EOS]
            ids[n++] = _ids.TryGetValue(w, out int id) ? id : Unk;
        }

        ids[n] = Eos;
        return ids;
    }

    /// <summary>A batch of texts as int64 ids (B, context).</summary>
    public Tensor EncodeBatch(IReadOnlyList<string> texts, int context)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var data = new long[texts.Count * context];
        for (int i = 0; i < texts.Count; i++) Encode(texts[i], context).CopyTo(data, i * context);
        return tensor(data, [texts.Count, context]);
    }

    /// <summary>Whether a text has words outside the vocabulary (they become [UNK]).</summary>
    public IReadOnlyList<string> Unknown(string text) => [.. Split(text).Where(w => !_ids.ContainsKey(w)).Distinct()];

    /// <summary>Writes the vocabulary as a JSON array (atomically).</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(Words));

    /// <summary>Reads a vocabulary written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">Not a JSON array of strings (the message names the file).</exception>
    public static CaptionTokenizer Load(string path)
    {
        try
        {
            return new CaptionTokenizer(JsonSerializer.Deserialize<List<string>>(File.ReadAllText(path)) ?? throw new InvalidDataException("null"));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a vocabulary (a JSON array of words): {e.Message}", e);
        }
    }
}

/// <summary>Size of a <see cref="TextTransformer"/>.</summary>
/// <param name="VocabSize">Tokens including the specials.</param>
/// <param name="Context">Longest token sequence.</param>
/// <param name="Dim">Width.</param>
/// <param name="Layers">Blocks.</param>
/// <param name="Heads">Heads.</param>
public sealed record TextConfig(int VocabSize, int Context = 16, int Dim = 64, int Layers = 2, int Heads = 4)
{
    /// <summary>Returns this config, or throws naming the bad field.</summary>
    public TextConfig Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(VocabSize, 5, nameof(VocabSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(Context, 3, nameof(Context));
        ArgumentOutOfRangeException.ThrowIfLessThan(Layers, 1, nameof(Layers));
        if (Heads < 1 || Dim % Heads != 0) throw new ArgumentException($"Dim {Dim} must be divisible by Heads {Heads}.", nameof(Heads));
        return this;
    }
}

/// <summary>CLIP's text tower: token + learned position embeddings, causal pre-LN blocks, a final LayerNorm, read at [EOS].</summary>
public sealed class TextTransformer : nn.Module<Tensor, Tensor>
{
    private readonly Embedding token_embedding;
    private readonly LearnedPositions position_embedding;
    private readonly ModuleList<TransformerBlock> layers;
    private readonly LayerNorm final_layer_norm;

    /// <summary>A randomly initialised text encoder.</summary>
    public TextTransformer(TextConfig config) : base(nameof(TextTransformer))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config.Validate();
        token_embedding = nn.Embedding(config.VocabSize, config.Dim);
        position_embedding = new LearnedPositions(config.Context, config.Dim);
        layers = nn.ModuleList([.. Enumerable.Range(0, config.Layers).Select(_ => new TransformerBlock(
            new BlockConfig(config.Dim, config.Heads, 4 * config.Dim, Dropout: 0)))]);
        final_layer_norm = nn.LayerNorm(config.Dim);
        RegisterComponents();
        using (no_grad())
        {
            foreach (var (_, p) in token_embedding.named_parameters()) p.normal_(0, 0.02);
            foreach (var (_, p) in position_embedding.named_parameters()) p.normal_(0, 0.01);
        }
    }

    /// <summary>The settings.</summary>
    public TextConfig Config { get; }

    /// <summary>Sets the attention computation of every block.</summary>
    public AttentionKernel Kernel
    {
        set
        {
            foreach (var b in layers) b.Kernel = value;
        }
    }

    /// <summary>The [EOS] feature of each text (B, D) from ids (B, T) as <see cref="CaptionTokenizer.EncodeBatch"/> makes them.</summary>
    public override Tensor forward(Tensor ids)
    {
        using var scope = NewDisposeScope();
        var x = Encode(ids);                                                               // (B, T, D)
        var eos = ids.eq(CaptionTokenizer.Eos).to(ScalarType.Int64).argmax(1);             // (B) first [EOS]
        return x[arange(ids.shape[0], device: ids.device), eos].MoveToOuterDisposeScope(); // (B, D)
    }

    /// <summary>Every token's feature after the final LayerNorm, (B, T, D) (a VLA reads the instruction this way).</summary>
    public Tensor Encode(Tensor ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.dim() != 2 || ids.shape[1] > Config.Context || ids.dtype != ScalarType.Int64)
            throw new ArgumentException($"Text ids must be int64 (B, ≤ {Config.Context}); got {ids.dtype} ({string.Join(", ", ids.shape)}).", nameof(ids));
        TokenIds.Check(ids, Config.VocabSize, nameof(ids));
        using var scope = NewDisposeScope();
        long t = ids.shape[1];
        var x = token_embedding.forward(ids) + position_embedding.forward(arange(t, dtype: ScalarType.Int64, device: ids.device));   // (B, T, D)
        var padding = ids.ne(CaptionTokenizer.Pad);                                        // (B, T) true for real tokens
        foreach (var block in layers) x = block.forward(x, padding, causal: true);
        return final_layer_norm.forward(x).MoveToOuterDisposeScope();
    }
}
