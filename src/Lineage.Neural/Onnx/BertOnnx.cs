// BERT and RoBERTa (Transformers/Bert.cs) in ONNX, step by step beside Bert.Encode: input_ids, attention_mask
// (and for BERT token_type_ids), all int64 (batch, sequence), → last_hidden_state (batch, sequence, hidden), as Hugging
// Face's BertModel / RobertaModel ONNX exports name them. The pre-training heads (MLM, pooler, NSP) are not exported; a
// fine-tuned classifier folder (Bert.SaveClassifier) also gets logits (batch, labels) = head(tanh(pooler(x[:, 0]))).
// How:     x = LN_emb(word[ids] + position[0…T−1] + type[types]) (ε 1e-12); L × post-norm
//          [x = ln_1(x + attn(x, mask)); x = ln_2(x + mlp(x))] with exact GELU; the mask is −∞ on padded keys.
//          RoBERTa has one segment type: its type row 0 is added to every token, and there is no token_type_ids input.
// Deviations: none from Bert.Encode; every LayerNorm uses the config's ε (see BlockLayerNormEps).
using Lineage.Neural.Transformers;
using Onnx;
using TorchSharp;
using static Lineage.Neural.Onnx.OnnxBlocks;
using static TorchSharp.torch;

namespace Lineage.Neural.Onnx;

/// <summary>Exports a <see cref="Bert"/> (BERT or RoBERTa) encoder to ONNX: the hidden state of every token.</summary>
public static class BertOnnx
{
    /// <summary>ε of every LayerNorm of the encoder (embeddings and blocks): the config's (<c>layer_norm_eps</c>, BERT's 1e-12).</summary>
    public static double BlockLayerNormEps(BertConfig config) => config is null ? throw new ArgumentNullException(nameof(config)) : config.LayerNormEps;

    /// <summary>
    /// The graph of <paramref name="model"/>.Encode: inputs <c>input_ids</c>, <c>attention_mask</c> (1 for real tokens,
    /// 0 for padding) and, unless <paramref name="roberta"/>, <c>token_type_ids</c>; output <c>last_hidden_state</c>;
    /// with a classification <paramref name="head"/> (as <see cref="Bert.LoadClassifier"/> gives it) also <c>logits</c>,
    /// and the label names in order as the metadata entry <c>labels</c> (one per line).
    /// </summary>
    public static ModelProto Export(Bert model, bool roberta, nn.Module? head = null, IReadOnlyList<string>? labels = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        var c = model.Config;
        var parameters = OnnxGraph.ParametersOf(model);
        if (head is not null)
            foreach (var (name, p) in OnnxGraph.ParametersOf(head)) parameters["head." + name] = p;
        var g = new OnnxGraph(roberta ? "roberta" : "bert", parameters);
        var ids = g.Input("input_ids", I64, "batch", "sequence");
        var attentionMask = g.Input("attention_mask", I64, "batch", "sequence");
        var typeTable = g.Param("token_type_embeddings.weight");
        var types = roberta
            ? g.Gather(typeTable, g.Index(0))                                                             // (C): the one segment
            : g.Gather(typeTable, g.Input("token_type_ids", I64, "batch", "sequence"));                 // (B, T, C)

        var embeddings = g.Add(g.Add(g.Gather(g.Param("word_embeddings.weight"), ids), Positions(g, g.Param("position_embeddings.wpe.weight"), ids)), types);
        double eps = BlockLayerNormEps(c);
        var x = g.LayerNorm(embeddings, "embeddings_ln", eps);                                            // (B, T, C)
        var padding = PaddingMask(g, g.Cast(attentionMask, TensorProto.Types.DataType.Bool));             // (B, 1, 1, T)
        for (int i = 0; i < c.Layers; i++)
        {
            string p = $"layer.{i}";
            x = g.LayerNorm(g.Add(x, SelfAttention(g, x, p + ".attn", c.Heads, c.Dim, padding)), p + ".ln_1", eps);
            x = g.LayerNorm(g.Add(x, FeedForward(g, x, p + ".mlp", Activation.Gelu)), p + ".ln_2", eps);
        }

        g.Output(x, "last_hidden_state", F32, "batch", "sequence", c.Dim);
        var metadata = new Dictionary<string, string>
        {
            ["model_type"] = roberta ? "roberta" : "bert",
            ["max_sequence_length"] = c.MaxLength.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (head is not null)
        {
            // EncoderClassifier.Logits: head(Pooled(x)), Pooled = tanh(pooler(x[:, 0])).
            var pooled = g.Tanh(g.Linear(g.Gather(x, g.Index(0), axis: 1), "pooler"));                   // (B, C)
            var logits = g.Linear(pooled, "head");
            g.Output(logits, "logits", F32, "batch", parameters["head.weight"].shape[0]);
            if (labels is not null) metadata["labels"] = string.Join('\n', labels);
        }

        return g.ToModel(metadata);
    }
}
