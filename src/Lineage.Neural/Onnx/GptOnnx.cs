// GPT (Transformers/Gpt.cs) in ONNX, step by step beside Gpt.forward: input_ids (batch, sequence) → logits
// (batch, sequence, vocab). No KV cache: the exported graph is the full forward over the given tokens.
// How:     x = wte[ids] + wpe[0…T−1]; L × [x += attn(ln_1(x)); x += mlp(ln_2(x))]; logits = ln_f(x)·wteᵀ.
//          attn: c_attn (Conv1D) → (B, T, 3, H, D) → permute (3, B, H, T, D) → q, k, v; causal softmax(q·kᵀ/√D)·v;
//          c_proj. mlp: c_fc, tanh GELU, c_proj. Every LayerNorm has ε = 1e-5 (nn.LayerNorm's default, GPT-2's).
// Deviations: a sequence longer than the context (n_positions) fails in ONNX Runtime (the position slice is short)
//          instead of Gpt's named ArgumentException; ids outside the vocabulary fail in Gather.
using Lineage.Neural.Transformers;
using Onnx;
using static Lineage.Neural.Onnx.OnnxBlocks;
using static TorchSharp.torch;

namespace Lineage.Neural.Onnx;

/// <summary>Exports a <see cref="Gpt"/> to ONNX: next-token logits for every position.</summary>
public static class GptOnnx
{
    /// <summary>The graph of <paramref name="model"/>'s forward: <c>input_ids</c> int64 (batch, sequence) → <c>logits</c> (batch, sequence, vocab).</summary>
    public static ModelProto Export(Gpt model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        var c = model.Config;
        var g = new OnnxGraph("gpt", OnnxGraph.ParametersOf(model));
        var ids = g.Input("input_ids", I64, "batch", "sequence");

        var x = g.Add(g.Gather(g.Param("wte.weight"), ids), Positions(g, g.Param("wpe.weight"), ids));    // (B, T, C)
        var causal = CausalMask(g, ids);                                                                    // (T, T)
        for (int i = 0; i < c.Layers; i++)
        {
            string p = $"h.{i}";
            x = g.Add(x, Attention(g, g.LayerNorm(x, p + ".ln_1", TorchLayerNormEps), p + ".attn", c.Heads, c.Dim, causal));
            x = g.Add(x, Mlp(g, g.LayerNorm(x, p + ".ln_2", TorchLayerNormEps), p + ".mlp"));
        }

        x = g.LayerNorm(x, "ln_f", TorchLayerNormEps);
        var logits = g.MatMul(x, g.Transpose(g.Param("wte.weight"), 1, 0));                                 // tied: x·wteᵀ, (B, T, V)
        g.Output(logits, "logits", F32, "batch", "sequence", c.VocabSize);
        return g.ToModel(new Dictionary<string, string>
        {
            ["model_type"] = "gpt2",
            ["vocab_size"] = c.VocabSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["max_sequence_length"] = c.ContextLength.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
    }

    // GptAttention: c_attn → (B, T, 3, H, D) → (3, B, H, T, D); causal attention; c_proj.
    private static string Attention(OnnxGraph g, string x, string prefix, int heads, int dim, string causal)
    {
        var qkv = g.Transpose(g.Reshape(g.Conv1D(x, prefix + ".c_attn"), 0, 0, 3, heads, dim / heads), 2, 0, 3, 1, 4);
        var (q, k, v) = (g.Gather(qkv, g.Index(0)), g.Gather(qkv, g.Index(1)), g.Gather(qkv, g.Index(2)));    // each (B, H, T, D)
        return g.Conv1D(AttendHeads(g, q, k, v, dim / heads, causal, dim), prefix + ".c_proj");
    }

    // GptMlp: c_fc, tanh GELU ("gelu_new"), c_proj.
    private static string Mlp(OnnxGraph g, string x, string prefix) =>
        g.Conv1D(g.GeluTanh(g.Conv1D(x, prefix + ".c_fc")), prefix + ".c_proj");
}
