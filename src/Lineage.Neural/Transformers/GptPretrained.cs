using System.Text.Json;
using System.Text.Json.Nodes;
using Lineage.Neural.Core;
using Lineage.Text.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Transformers;

/// <summary>
/// GPT weights in the Hugging Face layout: a folder with <c>config.json</c> (GPT-2's keys) and <c>model.safetensors</c>
/// with GPT-2's parameter names, so a GPT-2-architecture checkpoint loads here and ours loads there. GPT-2 stores its
/// projections as Conv1D weights (in × out) and fuses queries, keys and values into one <c>c_attn</c>; the mapping
/// transposes and splits them.
/// </summary>
public static class GptPretrained
{
    /// <summary>Writes <paramref name="gpt"/> into <paramref name="folder"/> (created if needed).</summary>
    public static void Save(string folder, Gpt gpt)
    {
        ArgumentNullException.ThrowIfNull(gpt);
        Directory.CreateDirectory(folder);
        var c = gpt.Config;
        if (!c.TieEmbeddings) throw new NotSupportedException("Only GPTs with tied input/output embeddings map onto GPT-2's layout.");
        var config = new JsonObject
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
        };
        HfFolder.WriteConfig(folder, config);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var p = gpt.named_parameters().ToDictionary(x => x.name, x => (Tensor)x.parameter);
        var hf = new Dictionary<string, Tensor>
        {
            ["transformer.wte.weight"] = p["wte.weight"],
            ["transformer.wpe.weight"] = p["wpe.wpe.weight"],
            ["transformer.ln_f.weight"] = p["ln_f.weight"],
            ["transformer.ln_f.bias"] = p["ln_f.bias"],
        };
        for (int i = 0; i < c.Layers; i++)
        {
            string ours = $"h.{i}.", theirs = $"transformer.h.{i}.";
            foreach (var ln in new[] { "ln_1", "ln_2" })
            {
                hf[$"{theirs}{ln}.weight"] = p[$"{ours}{ln}.weight"];
                hf[$"{theirs}{ln}.bias"] = p[$"{ours}{ln}.bias"];
            }

            hf[$"{theirs}attn.c_attn.weight"] = cat([p[$"{ours}attn.q.weight"], p[$"{ours}attn.k.weight"], p[$"{ours}attn.v.weight"]], 0).t();
            hf[$"{theirs}attn.c_attn.bias"] = cat([p[$"{ours}attn.q.bias"], p[$"{ours}attn.k.bias"], p[$"{ours}attn.v.bias"]], 0);
            hf[$"{theirs}attn.c_proj.weight"] = p[$"{ours}attn.o.weight"].t();
            hf[$"{theirs}attn.c_proj.bias"] = p[$"{ours}attn.o.bias"];
            hf[$"{theirs}mlp.c_fc.weight"] = p[$"{ours}mlp.fc_in.weight"].t();
            hf[$"{theirs}mlp.c_fc.bias"] = p[$"{ours}mlp.fc_in.bias"];
            hf[$"{theirs}mlp.c_proj.weight"] = p[$"{ours}mlp.fc_out.weight"].t();
            hf[$"{theirs}mlp.c_proj.bias"] = p[$"{ours}mlp.fc_out.bias"];
        }

        Safetensors.Save(Path.Combine(folder, "model.safetensors"), hf, new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>Loads a GPT-2-layout folder (config.json + model.safetensors).</summary>
    /// <exception cref="InvalidDataException">Another architecture, a missing, unexpected or misshapen tensor (named), or a bad config.</exception>
    public static Gpt Load(string folder)
    {
        var configPath = Path.Combine(folder, HfFolder.ConfigName);
        var config = HfFolder.ReadConfig(folder, "GPT-2-layout models", "gpt2");
        var activation = (string?)config["activation_function"] ?? "gelu_new";
        if (activation is not ("gelu_new" or "gelu_pytorch_tanh")) throw new InvalidDataException($"{configPath}: activation '{activation}' is not the tanh GELU this GPT uses.");
        int Get(string key) => HfFolder.Required(config, key, folder);
        var gptConfig = new GptConfig(Get("vocab_size"), Get("n_positions"), Get("n_layer"), Get("n_head"), Get("n_embd"),
            Dropout: (double?)config["resid_pdrop"] ?? 0.1, TieEmbeddings: true);

        var weightsPath = Path.Combine(folder, "model.safetensors");
        var hf = Safetensors.Load(weightsPath);
        var gpt = new Gpt(gptConfig);
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var used = new HashSet<string>(StringComparer.Ordinal);
            Tensor Take(string name)
            {
                // Older GPT-2 checkpoints drop the "transformer." prefix.
                var key = hf.ContainsKey(name) ? name : name.StartsWith("transformer.", StringComparison.Ordinal) && hf.ContainsKey(name[12..]) ? name[12..] : null;
                if (key is null) throw new InvalidDataException($"{weightsPath}: tensor '{name}' is missing.");
                used.Add(key);
                return hf[key];
            }

            var p = gpt.named_parameters().ToDictionary(x => x.name, x => x.parameter);
            void Set(string ours, Tensor value, string theirs)
            {
                HfFolder.Set(p[ours], value, theirs, weightsPath);
            }

            Set("wte.weight", Take("transformer.wte.weight"), "transformer.wte.weight");
            Set("wpe.wpe.weight", Take("transformer.wpe.weight"), "transformer.wpe.weight");
            Set("ln_f.weight", Take("transformer.ln_f.weight"), "transformer.ln_f.weight");
            Set("ln_f.bias", Take("transformer.ln_f.bias"), "transformer.ln_f.bias");
            long dim = gptConfig.Dim;
            for (int i = 0; i < gptConfig.Layers; i++)
            {
                string ours = $"h.{i}.", theirs = $"transformer.h.{i}.";
                foreach (var ln in new[] { "ln_1", "ln_2" })
                {
                    Set($"{ours}{ln}.weight", Take($"{theirs}{ln}.weight"), $"{theirs}{ln}.weight");
                    Set($"{ours}{ln}.bias", Take($"{theirs}{ln}.bias"), $"{theirs}{ln}.bias");
                }

                var cAttn = Take($"{theirs}attn.c_attn.weight");
                if (!cAttn.shape.SequenceEqual([dim, 3 * dim])) throw new InvalidDataException($"{weightsPath}: tensor '{theirs}attn.c_attn.weight' has shape ({string.Join(", ", cAttn.shape)}); this model needs ({dim}, {3 * dim}).");
                var qkv = cAttn.t().chunk(3, 0);
                var qkvBias = Take($"{theirs}attn.c_attn.bias").chunk(3, 0);
                string[] heads = ["q", "k", "v"];
                for (int j = 0; j < 3; j++)
                {
                    Set($"{ours}attn.{heads[j]}.weight", qkv[j], $"{theirs}attn.c_attn.weight");
                    Set($"{ours}attn.{heads[j]}.bias", qkvBias[j], $"{theirs}attn.c_attn.bias");
                }

                Set($"{ours}attn.o.weight", Take($"{theirs}attn.c_proj.weight").t(), $"{theirs}attn.c_proj.weight");
                Set($"{ours}attn.o.bias", Take($"{theirs}attn.c_proj.bias"), $"{theirs}attn.c_proj.bias");
                Set($"{ours}mlp.fc_in.weight", Take($"{theirs}mlp.c_fc.weight").t(), $"{theirs}mlp.c_fc.weight");
                Set($"{ours}mlp.fc_in.bias", Take($"{theirs}mlp.c_fc.bias"), $"{theirs}mlp.c_fc.bias");
                Set($"{ours}mlp.fc_out.weight", Take($"{theirs}mlp.c_proj.weight").t(), $"{theirs}mlp.c_proj.weight");
                Set($"{ours}mlp.fc_out.bias", Take($"{theirs}mlp.c_proj.bias"), $"{theirs}mlp.c_proj.bias");
            }

            // Causal-mask buffers of older checkpoints and a tied lm_head carry nothing to load.
            HfFolder.RejectUnexpected(hf.Keys, used, k => k.EndsWith(".attn.bias", StringComparison.Ordinal) || k.EndsWith(".attn.masked_bias", StringComparison.Ordinal) || k == "lm_head.weight", weightsPath);
            return gpt;
        }
        catch
        {
            gpt.Dispose();
            throw;
        }
        finally
        {
            foreach (var t in hf.Values) t.Dispose();
        }
    }
}
