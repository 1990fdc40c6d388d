// Sentence embeddings from a BERT folder: tokenise, encode a padded batch, pool.
// Paper:   Reimers & Gurevych 2019, "Sentence-BERT: Sentence Embeddings using Siamese BERT-Networks", arXiv:1908.10084
//          (mean pooling); read beside sentence-transformers' models/Pooling.py and models/Normalize.py.
// Lineage: the encoder of Transformers/Bert.cs used as the world uses a pretrained one: a fixed-size vector per text,
//          compared by cosine similarity.
// Shapes:  B texts, T tokens (the longest in the batch), C hidden.
// How:     ids = [CLS] WordPiece(text)[:N−2] [SEP], N = sentence-transformers' max_seq_length (sentence_bert_config.json; P when absent), with our WordPiece on the folder's vocab.txt
//          (BERT's uncased basic tokenizer: lower-case, accents stripped, CJK split; Lineage.Text.Tokenization.WordPiece); the batch is
//          padded with [PAD] and attention sees real tokens only; segment ids 0. Pooling: mean = Σ_t m_t h_t / Σ_t m_t;
//          cls = h_0; both then divided by their L2 norm (sentence-transformers' Normalize); none = no vector.
// Deviations: none known. The tokenizer is ours, not Microsoft.ML.Tokenizers' BertTokenizer, which joins words across tabs
//             and newlines and drops symbols such as $ and € (docs/encodings.md, "Checked against Microsoft.ML.Tokenizers").
using System.Text.Json;
using System.Text.Json.Nodes;
using Lineage.Neural.Core;
using Lineage.Neural.Transformers;
using Lineage.Text.IO;
using Lineage.Text.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Pretrained;

/// <summary>How token vectors become one sentence vector.</summary>
public enum Pooling
{
    /// <summary>The [CLS] token's vector, L2-normalised (arctic-embed).</summary>
    Cls,

    /// <summary>The mean of the real tokens' vectors (attention mask), L2-normalised (all-MiniLM, sentence-transformers' default).</summary>
    Mean,

    /// <summary>No sentence vector: the token vectors only.</summary>
    None,
}

/// <summary>One text's encoding.</summary>
/// <param name="Ids">Its token ids, [CLS] … [SEP].</param>
/// <param name="LastHiddenState">The encoder's output, one row of C values per token (padding removed).</param>
/// <param name="Embedding">The pooled, L2-normalised vector; null for <see cref="Pooling.None"/>.</param>
public sealed record SentenceEmbedding(IReadOnlyList<int> Ids, float[][] LastHiddenState, float[]? Embedding);

/// <summary>A BERT folder with its vocabulary, as a sentence encoder.</summary>
public sealed class SentenceEmbedder : IDisposable
{
    /// <summary>The tokenizer settings' file name (Hugging Face's).</summary>
    public const string TokenizerConfigName = "tokenizer_config.json";

    /// <summary>sentence-transformers' pooling settings, relative to the folder.</summary>
    public const string PoolingConfigName = "1_Pooling/config.json";

    /// <summary>sentence-transformers' length setting (<c>max_seq_length</c>).</summary>
    public const string SentenceConfigName = "sentence_bert_config.json";

    private SentenceEmbedder(Bert model, WordPiece tokenizer, Pooling pooling, int maxTokens)
    {
        MaxTokens = maxTokens;
        Model = model;
        Tokenizer = tokenizer;
        DefaultPooling = pooling;
    }

    /// <summary>The encoder (in evaluation mode).</summary>
    public Bert Model { get; }

    /// <summary>The WordPiece tokenizer of the folder's vocab.txt.</summary>
    public WordPiece Tokenizer { get; }

    /// <summary>The folder's pooling (1_Pooling/config.json), mean when it has none.</summary>
    public Pooling DefaultPooling { get; }

    /// <summary>The most tokens a text gets, [CLS] and [SEP] included: sentence_bert_config.json's <c>max_seq_length</c>, else the model's positions.</summary>
    public int MaxTokens { get; }

    /// <summary>Loads a BERT folder that holds vocab.txt (an imported pretrained model, <see cref="PretrainedModels"/>).</summary>
    /// <exception cref="InvalidDataException">Not a BERT folder, no vocab.txt, a vocabulary of another size, or a bad settings file (named).</exception>
    public static SentenceEmbedder Load(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var vocab = Path.Combine(folder, PretrainedModels.VocabName);
        if (!File.Exists(vocab)) throw new InvalidDataException($"{vocab}: missing (embedding needs the folder's WordPiece vocabulary).");
        bool lower = ReadJson(Path.Combine(folder, TokenizerConfigName)) is { } tc && tc["do_lower_case"] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : true;
        var pooling = ReadPooling(folder);
        // Our WordPiece encodes as uncased BERT does (Hugging Face strips accents whenever it lower-cases).
        if (!lower) throw new InvalidDataException($"{Path.Combine(folder, TokenizerConfigName)}: a cased vocabulary (do_lower_case false); embedding reads uncased BERT folders.");
        var tokenizer = WordPiece.Load(vocab);
        var (model, roberta) = Bert.Load(folder);
        if (roberta)
        {
            model.Dispose();
            throw new InvalidDataException($"{Path.Combine(folder, HfCheckpoint.ConfigName)}: a RoBERTa checkpoint; embedding reads WordPiece BERT folders.");
        }

        int words = File.ReadLines(vocab).Count();
        if (words != model.Config.VocabSize)
        {
            model.Dispose();
            throw new InvalidDataException($"{vocab}: {words} tokens, but the model has {model.Config.VocabSize}.");
        }

        int maxTokens = model.Config.MaxLength;
        var sentencePath = Path.Combine(folder, SentenceConfigName);
        if (ReadJson(sentencePath) is { } sentence && sentence["max_seq_length"] is JsonValue length)
        {
            if (!length.TryGetValue<int>(out maxTokens) || maxTokens < 2 || maxTokens > model.Config.MaxLength)
            {
                model.Dispose();
                throw new InvalidDataException($"{sentencePath}: 'max_seq_length' is {length.ToJsonString()}, not a length from 2 to {model.Config.MaxLength}.");
            }
        }

        model.eval();
        return new SentenceEmbedder(model, tokenizer, pooling, maxTokens);
    }

    /// <summary>[CLS] WordPiece(<paramref name="text"/>) [SEP], cut to <see cref="MaxTokens"/>.</summary>
    public IReadOnlyList<int> Tokenize(string text) => Tokenize(text, MaxTokens);

    /// <summary>[CLS] WordPiece(<paramref name="text"/>) [SEP], cut to <paramref name="maxTokens"/> (at most the model's positions).</summary>
    public IReadOnlyList<int> Tokenize(string text, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxTokens, Model.Config.MaxLength);
        var pieces = Tokenizer.Encode(text);
        int keep = Math.Min(pieces.Length, maxTokens - 2);
        var ids = new List<int>(keep + 2) { Tokenizer.ClsTokenId };
        for (int i = 0; i < keep; i++) ids.Add(pieces[i]);
        ids.Add(Tokenizer.SepTokenId);
        return ids;
    }

    /// <summary>The encoder's output (B, T, C) for a batch padded with [PAD] to its longest member, and the attention mask (B, T) (1 real, 0 padding).</summary>
    public (Tensor Hidden, Tensor Mask) Encode(IReadOnlyList<IReadOnlyList<int>> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0) throw new ArgumentException("The batch is empty.", nameof(batch));
        int t = batch.Max(x => x.Count);
        var ids = new long[batch.Count * t];
        var mask = new long[batch.Count * t];
        for (int b = 0; b < batch.Count; b++)
        {
            for (int i = 0; i < t; i++)
            {
                bool real = i < batch[b].Count;
                ids[(b * t) + i] = real ? batch[b][i] : Tokenizer.PadTokenId;
                mask[(b * t) + i] = real ? 1 : 0;
            }
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var idsT = tensor(ids, [batch.Count, t]);
        var maskT = tensor(mask, [batch.Count, t]);
        var hidden = Model.Encode(idsT, maskT.to(ScalarType.Bool), null);
        return (hidden.MoveToOuterDisposeScope(), maskT.MoveToOuterDisposeScope());
    }

    /// <summary>Sentence vectors (B, C) from hidden states (B, T, C) and the attention mask (B, T); null for <see cref="Pooling.None"/>.</summary>
    public static Tensor? Pool(Tensor hidden, Tensor mask, Pooling pooling)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(mask);
        if (pooling == Pooling.None) return null;
        using var scope = NewDisposeScope();
        Tensor v;
        if (pooling == Pooling.Cls)
        {
            v = hidden[.., 0];
        }
        else
        {
            var m = mask.to(hidden.dtype).unsqueeze(-1);
            // sentence-transformers clamps the token count at 1e-9 (an all-padding row gives 0, not NaN).
            v = (hidden * m).sum(1) / m.sum(1).clamp_min(1e-9);
        }

        // sentence-transformers' Normalize: v / max(‖v‖, 1e-12).
        return nn.functional.normalize(v, p: 2, dim: 1).MoveToOuterDisposeScope();
    }

    /// <summary>Encodes texts in batches of <paramref name="batchSize"/> (each padded to its longest text).</summary>
    public IReadOnlyList<SentenceEmbedding> Embed(IReadOnlyList<string> texts, Pooling pooling, int batchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var results = new List<SentenceEmbedding>(texts.Count);
        for (int start = 0; start < texts.Count; start += batchSize)
        {
            var ids = texts.Skip(start).Take(batchSize).Select(t => Tokenize(t)).ToList();
            using var scope = NewDisposeScope();
            var (hidden, mask) = Encode(ids);
            var pooled = Pool(hidden, mask, pooling);
            int c = (int)hidden.shape[2];
            var all = hidden.contiguous().data<float>().ToArray();
            var vectors = pooled?.contiguous().data<float>().ToArray();
            long t = hidden.shape[1];
            for (int b = 0; b < ids.Count; b++)
            {
                var rows = new float[ids[b].Count][];
                for (int i = 0; i < rows.Length; i++) rows[i] = all.AsSpan((int)(((b * t) + i) * c), c).ToArray();
                results.Add(new SentenceEmbedding(ids[b], rows, vectors?.AsSpan(b * c, c).ToArray()));
            }
        }

        return results;
    }

    /// <summary>Writes sentence-transformers' 1_Pooling/config.json for <paramref name="pooling"/>.</summary>
    public static void WritePooling(string folder, Pooling pooling, int dim)
    {
        AtomicFile.WriteAllText(Path.Combine(folder, PoolingConfigName), new JsonObject
        {
            ["word_embedding_dimension"] = dim,
            ["pooling_mode_cls_token"] = pooling == Pooling.Cls,
            ["pooling_mode_mean_tokens"] = pooling == Pooling.Mean,
            ["pooling_mode_max_tokens"] = false,
            ["pooling_mode_mean_sqrt_len_tokens"] = false,
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Writes sentence-transformers' sentence_bert_config.json: the tokens a text gets.</summary>
    public static void WriteMaxSeqLength(string folder, int maxSeqLength)
    {
        AtomicFile.WriteAllText(Path.Combine(folder, SentenceConfigName), new JsonObject
        {
            ["max_seq_length"] = maxSeqLength,
            ["do_lower_case"] = false,   // sentence-transformers' own switch; the tokenizer lower-cases (tokenizer_config.json)
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    // The folder's pooling: [CLS] or mean from 1_Pooling/config.json; mean when absent.
    private static Pooling ReadPooling(string folder)
    {
        var path = Path.Combine(folder, PoolingConfigName);
        if (ReadJson(path) is not { } config) return Pooling.Mean;
        bool Flag(string key) => config[key] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
        if (Flag("pooling_mode_cls_token")) return Pooling.Cls;
        if (Flag("pooling_mode_mean_tokens")) return Pooling.Mean;
        throw new InvalidDataException($"{path}: neither mean nor [CLS] pooling; only those two are supported.");
    }

    private static JsonObject? ReadJson(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message}).", e);
        }
    }

    /// <inheritdoc />
    public void Dispose() => Model.Dispose();
}
