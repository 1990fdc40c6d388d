using System.Text.Json;
using System.Text.Json.Nodes;
using Lineage.Neural.Core;
using Lineage.Text.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Transformers;

/// <summary>
/// T5 weights in the Hugging Face layout (<c>T5ForConditionalGeneration</c>, T5 v1.0: ReLU feed-forward, tied output
/// layer): <c>config.json</c> and <c>model.safetensors</c> with names such as
/// <c>encoder.block.{i}.layer.0.SelfAttention.q.weight</c>, <c>decoder.block.{i}.layer.1.EncDecAttention.o.weight</c>,
/// <c>…layer.{1|2}.DenseReluDense.wi.weight</c>; the relative position bias lives in block 0 of each stack. Linear weights
/// are (out, in) in both, so the mapping is a renaming.
/// </summary>
public static class T5Pretrained
{
    /// <summary>Writes <paramref name="t5"/> into <paramref name="folder"/>.</summary>
    public static void Save(string folder, T5 t5)
    {
        ArgumentNullException.ThrowIfNull(t5);
        Directory.CreateDirectory(folder);
        var c = t5.Config;
        var config = new JsonObject
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
        };
        HfFolder.WriteConfig(folder, config);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var p = t5.named_parameters().ToDictionary(x => x.name, x => (Tensor)x.parameter);
        Safetensors.Save(Path.Combine(folder, "model.safetensors"), Names(c).ToDictionary(n => n.Theirs, n => p[n.Ours]),
            new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>Loads a T5-layout folder.</summary>
    /// <exception cref="InvalidDataException">Another architecture or variant, a bad config, or a missing, unexpected or misshapen tensor (named).</exception>
    public static T5 Load(string folder)
    {
        var configPath = Path.Combine(folder, HfFolder.ConfigName);
        var config = HfFolder.ReadConfig(folder, "T5", "t5");
        var ff = (string?)config["feed_forward_proj"] ?? "relu";
        if (ff != "relu") throw new InvalidDataException($"{configPath}: feed_forward_proj '{ff}' (T5 v1.1 and later) is not the ReLU feed-forward of T5 v1.0 this model builds.");
        if ((bool?)config["tie_word_embeddings"] == false) throw new InvalidDataException($"{configPath}: an untied output layer (T5 v1.1) is not supported; T5 v1.0 ties it.");
        int Get(string key) => HfFolder.Required(config, key, folder);
        int dim = Get("d_model"), heads = Get("num_heads");
        if (Get("d_kv") * heads != dim) throw new InvalidDataException($"{configPath}: d_kv × num_heads ({Get("d_kv")} × {heads}) must equal d_model ({dim}).");
        int layers = Get("num_layers");
        if (((int?)config["num_decoder_layers"] ?? layers) != layers) throw new InvalidDataException($"{configPath}: num_decoder_layers must equal num_layers.");
        var t5Config = new T5Config(Get("vocab_size"), layers, heads, dim, Get("d_ff"), (double?)config["dropout_rate"] ?? 0.1,
            (int?)config["relative_attention_num_buckets"] ?? 32, (int?)config["relative_attention_max_distance"] ?? 128);

        var weightsPath = Path.Combine(folder, "model.safetensors");
        var hf = Safetensors.Load(weightsPath);
        var t5 = new T5(t5Config);
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var p = t5.named_parameters().ToDictionary(x => x.name, x => x.parameter);
            var used = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (ours, theirs) in Names(t5Config))
            {
                if (!hf.TryGetValue(theirs, out var value)) throw new InvalidDataException($"{weightsPath}: tensor '{theirs}' is missing.");
                used.Add(theirs);
                HfFolder.Set(p[ours], value, theirs, weightsPath);
            }

            // The tied output layer and the stacks' copies of the shared embedding carry nothing new.
            HfFolder.RejectUnexpected(hf.Keys, used, k => k is "lm_head.weight" or "encoder.embed_tokens.weight" or "decoder.embed_tokens.weight", weightsPath);
            return t5;
        }
        catch
        {
            t5.Dispose();
            throw;
        }
        finally
        {
            foreach (var t in hf.Values) t.Dispose();
        }
    }

    // Our parameter name → Hugging Face's.
    private static IEnumerable<(string Ours, string Theirs)> Names(T5Config c)
    {
        yield return ("shared.weight", "shared.weight");
        yield return ("encoder_relative_bias.relative_attention_bias.weight", "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight");
        yield return ("decoder_relative_bias.relative_attention_bias.weight", "decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight");
        yield return ("encoder_final_norm.weight", "encoder.final_layer_norm.weight");
        yield return ("decoder_final_norm.weight", "decoder.final_layer_norm.weight");
        string[] qkvo = ["q", "k", "v", "o"];
        for (int i = 0; i < c.Layers; i++)
        {
            foreach (var stack in new[] { "encoder", "decoder" })
            {
                string ours = $"{stack}.{i}.", theirs = $"{stack}.block.{i}.layer.";
                bool decoder = stack == "decoder";
                foreach (var m in qkvo) yield return ($"{ours}attn.{m}.weight", $"{theirs}0.SelfAttention.{m}.weight");
                yield return ($"{ours}ln_1.weight", $"{theirs}0.layer_norm.weight");
                if (decoder)
                {
                    foreach (var m in qkvo) yield return ($"{ours}cross_attn.{m}.weight", $"{theirs}1.EncDecAttention.{m}.weight");
                    yield return ($"{ours}ln_cross.weight", $"{theirs}1.layer_norm.weight");
                }

                int ffn = decoder ? 2 : 1;
                yield return ($"{ours}mlp.fc_in.weight", $"{theirs}{ffn}.DenseReluDense.wi.weight");
                yield return ($"{ours}mlp.fc_out.weight", $"{theirs}{ffn}.DenseReluDense.wo.weight");
                yield return ($"{ours}ln_2.weight", $"{theirs}{ffn}.layer_norm.weight");
            }
        }
    }
}
