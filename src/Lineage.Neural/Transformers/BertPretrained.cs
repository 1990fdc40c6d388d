using System.Text.Json;
using System.Text.Json.Nodes;
using Lineage.Neural.Core;
using Lineage.Text.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Transformers;

/// <summary>
/// BERT and RoBERTa weights in the Hugging Face layout: a folder with <c>config.json</c> and <c>model.safetensors</c> under
/// <c>BertForPreTraining</c>'s names (<c>bert.encoder.layer.{i}.attention.self.query.weight</c>, <c>cls.predictions.…</c>)
/// or <c>RobertaForMaskedLM</c>'s (<c>roberta.…</c>, <c>lm_head.…</c>). Both store linear weights as (out, in), as we do,
/// so the mapping is a renaming, with one exception: RoBERTa numbers positions from padding_idx + 1 = 2, so its position
/// table has two leading rows that are never used (written as zeros, skipped on load).
/// </summary>
public static class BertPretrained
{
    private const int RobertaPositionOffset = 2;

    /// <summary>Writes <paramref name="model"/> into <paramref name="folder"/> as BERT (<paramref name="roberta"/> false) or RoBERTa.</summary>
    /// <param name="folder">Created if needed; config.json and model.safetensors are replaced atomically.</param>
    /// <param name="model">The encoder.</param>
    /// <param name="roberta">Use RoBERTa's names (a RoBERTa model has one segment type and no next-sentence head).</param>
    /// <param name="padId">The padding id (RoBERTa's <c>pad_token_id</c>, which also fixes its position offset).</param>
    public static void Save(string folder, Bert model, bool roberta = false, int padId = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        Directory.CreateDirectory(folder);
        var c = model.Config;
        var config = Config(c, roberta, padId);
        HfFolder.WriteConfig(folder, config);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var p = model.named_parameters().ToDictionary(x => x.name, x => (Tensor)x.parameter);
        var hf = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (ours, theirs) in Names(c, roberta))
        {
            var t = p[ours];
            if (roberta && ours == "position_embeddings.wpe.weight") t = cat([zeros(RobertaPositionOffset, c.Dim), t], 0);
            hf[theirs] = t;
        }

        Safetensors.Save(Path.Combine(folder, "model.safetensors"), hf, new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>Loads a BERT- or RoBERTa-layout folder; which one is read from config.json's <c>model_type</c>.</summary>
    /// <returns>The encoder and whether it is a RoBERTa checkpoint.</returns>
    /// <exception cref="InvalidDataException">Another architecture, a bad config, or a missing, unexpected or misshapen tensor (named).</exception>
    public static (Bert Model, bool Roberta) Load(string folder) => Load(folder, null);

    /// <summary>
    /// Writes an encoder fine-tuned for classification in Hugging Face's <c>BertForSequenceClassification</c> layout
    /// (the pooler, then <c>classifier.weight</c>/<c>bias</c>) or <c>RobertaForSequenceClassification</c>'s (its head
    /// <c>classifier.dense</c> → tanh → <c>classifier.out_proj</c> on the first token is exactly our pooler followed by
    /// <paramref name="head"/>). The pre-training heads are left out; config.json names the labels (<c>id2label</c>).
    /// </summary>
    /// <exception cref="ArgumentException">The head's outputs are not one per label.</exception>
    public static void SaveClassifier(string folder, Bert model, nn.Module<Tensor, Tensor> head, IReadOnlyList<string> labels, bool roberta = false, int padId = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(labels);
        var hp = head.named_parameters().ToDictionary(x => x.name, x => (Tensor)x.parameter);
        if (!hp.TryGetValue("weight", out var weight) || !hp.TryGetValue("bias", out var bias) || weight.shape.Length != 2 || weight.shape[0] != labels.Count || weight.shape[1] != model.Config.Dim)
            throw new ArgumentException($"The head must be a linear layer from {model.Config.Dim} to {labels.Count} (one output per label).", nameof(head));
        Directory.CreateDirectory(folder);
        var c = model.Config;
        var config = Config(c, roberta, padId);
        config["architectures"] = new JsonArray(roberta ? "RobertaForSequenceClassification" : "BertForSequenceClassification");
        var id2label = new JsonObject();
        var label2id = new JsonObject();
        for (int i = 0; i < labels.Count; i++)
        {
            id2label[i.ToString(System.Globalization.CultureInfo.InvariantCulture)] = labels[i];
            label2id[labels[i]] = i;
        }

        config["id2label"] = id2label;
        config["label2id"] = label2id;
        config["problem_type"] = "single_label_classification";
        HfFolder.WriteConfig(folder, config);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var p = model.named_parameters().ToDictionary(x => x.name, x => (Tensor)x.parameter);
        var hf = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (ours, theirs) in Names(c, roberta).Where(n => !IsHead(n.Theirs)))
        {
            var t = p[ours];
            if (roberta && ours == "position_embeddings.wpe.weight") t = cat([zeros(RobertaPositionOffset, c.Dim), t], 0);
            hf[theirs] = t;
        }

        foreach (var (ours, theirs) in ClassifierNames(roberta)) hf[theirs] = ours.StartsWith("head.", StringComparison.Ordinal) ? hp[ours[5..]] : p[ours];
        Safetensors.Save(Path.Combine(folder, "model.safetensors"), hf, new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>Loads a folder written by <see cref="SaveClassifier"/>: the encoder, a linear head with the saved weights, and the label names.</summary>
    /// <exception cref="InvalidDataException">Not a sequence-classification folder, labels missing, or a missing or misshapen tensor (named).</exception>
    public static (Bert Model, TorchSharp.Modules.Linear Head, IReadOnlyList<string> Labels, bool Roberta) LoadClassifier(string folder)
    {
        var configPath = Path.Combine(folder, HfFolder.ConfigName);
        var config = HfFolder.ReadConfig(folder, "BERT and RoBERTa", "bert", "roberta");
        if (config["id2label"] is not JsonObject id2label || id2label.Count < 2)
            throw new InvalidDataException($"{configPath}: no 'id2label' with two or more labels; this folder is not a fine-tuned classifier.");
        var labels = new string[id2label.Count];
        for (int i = 0; i < labels.Length; i++)
            labels[i] = (string?)id2label[i.ToString(System.Globalization.CultureInfo.InvariantCulture)] ?? throw new InvalidDataException($"{configPath}: id2label has no label {i}.");
        var head = nn.Linear(HfFolder.Required(config, "hidden_size", folder), labels.Length);
        try
        {
            var hp = head.named_parameters().ToDictionary(x => x.name, x => x.parameter);
            var (model, roberta) = Load(folder, (hf, used, p, weightsPath, isRoberta) =>
            {
                foreach (var (ours, theirs) in ClassifierNames(isRoberta))
                {
                    if (!hf.TryGetValue(theirs, out var value)) throw new InvalidDataException($"{weightsPath}: tensor '{theirs}' is missing.");
                    used.Add(theirs);
                    HfFolder.Set(ours.StartsWith("head.", StringComparison.Ordinal) ? hp[ours[5..]] : p[ours], value, theirs, weightsPath);
                }
            });
            return (model, head, labels, roberta);
        }
        catch
        {
            head.Dispose();
            throw;
        }
    }

    // Our name ("head.…" for the classification head) → Hugging Face's, for the sequence-classification heads.
    private static IEnumerable<(string Ours, string Theirs)> ClassifierNames(bool roberta)
    {
        string pooler = roberta ? "classifier.dense" : "bert.pooler.dense", output = roberta ? "classifier.out_proj" : "classifier";
        yield return ("pooler.weight", $"{pooler}.weight");
        yield return ("pooler.bias", $"{pooler}.bias");
        yield return ("head.weight", $"{output}.weight");
        yield return ("head.bias", $"{output}.bias");
    }

    private static (Bert Model, bool Roberta) Load(string folder,
        Action<IReadOnlyDictionary<string, Tensor>, HashSet<string>, IReadOnlyDictionary<string, TorchSharp.Modules.Parameter>, string, bool>? extra)
    {
        var configPath = Path.Combine(folder, HfFolder.ConfigName);
        var config = HfFolder.ReadConfig(folder, "BERT and RoBERTa", "bert", "roberta");
        bool roberta = (string?)config["model_type"] == "roberta";
        var act = (string?)config["hidden_act"] ?? "gelu";
        if (act != "gelu") throw new InvalidDataException($"{configPath}: activation '{act}' is not the exact GELU this encoder uses.");
        int Get(string key) => HfFolder.Required(config, key, folder);
        int dim = Get("hidden_size");
        if (Get("intermediate_size") != 4 * dim) throw new InvalidDataException($"{configPath}: intermediate_size {Get("intermediate_size")} is not 4 × hidden_size ({4 * dim}), the only width this encoder builds.");
        var bertConfig = new BertConfig(Get("vocab_size"), Get("max_position_embeddings") - (roberta ? RobertaPositionOffset : 0), Get("num_hidden_layers"),
            Get("num_attention_heads"), dim, (double?)config["hidden_dropout_prob"] ?? 0.1, (int?)config["type_vocab_size"] ?? 2);

        var weightsPath = Path.Combine(folder, "model.safetensors");
        var hf = Safetensors.Load(weightsPath);
        var model = new Bert(bertConfig);
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var p = model.named_parameters().ToDictionary(x => x.name, x => x.parameter);
            var used = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (ours, theirs) in Names(bertConfig, roberta))
            {
                if (!hf.TryGetValue(theirs, out var value))
                {
                    // A checkpoint of the bare encoder (BertModel) or without the heads loads; its heads stay random.
                    if (IsHead(theirs)) continue;
                    throw new InvalidDataException($"{weightsPath}: tensor '{theirs}' is missing.");
                }

                used.Add(theirs);
                if (roberta && ours == "position_embeddings.wpe.weight") value = value[RobertaPositionOffset..];
                HfFolder.Set(p[ours], value, theirs, weightsPath);
            }

            extra?.Invoke(hf, used, p, weightsPath, roberta);
            // Buffers and the tied decoder carry nothing to load.
            HfFolder.RejectUnexpected(hf.Keys, used, k => k.EndsWith("position_ids", StringComparison.Ordinal)
                || k is "cls.predictions.decoder.weight" or "cls.predictions.decoder.bias" or "lm_head.decoder.weight" or "lm_head.decoder.bias", weightsPath);
            return (model, roberta);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        finally
        {
            foreach (var t in hf.Values) t.Dispose();
        }
    }

    // config.json of BertForPreTraining / RobertaForMaskedLM.
    private static JsonObject Config(BertConfig c, bool roberta, int padId)
    {
        var config = new JsonObject
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
            ["layer_norm_eps"] = 1e-12,
            ["pad_token_id"] = padId,
            ["position_embedding_type"] = "absolute",
        };
        return config;
    }

    private static bool IsHead(string name) =>
        name.StartsWith("cls.", StringComparison.Ordinal) || name.StartsWith("lm_head.", StringComparison.Ordinal) || name.Contains(".pooler.", StringComparison.Ordinal);

    // Our parameter name → Hugging Face's.
    private static IEnumerable<(string Ours, string Theirs)> Names(BertConfig c, bool roberta)
    {
        string root = roberta ? "roberta" : "bert";
        yield return ("word_embeddings.weight", $"{root}.embeddings.word_embeddings.weight");
        yield return ("position_embeddings.wpe.weight", $"{root}.embeddings.position_embeddings.weight");
        yield return ("token_type_embeddings.weight", $"{root}.embeddings.token_type_embeddings.weight");
        yield return ("embeddings_ln.weight", $"{root}.embeddings.LayerNorm.weight");
        yield return ("embeddings_ln.bias", $"{root}.embeddings.LayerNorm.bias");
        for (int i = 0; i < c.Layers; i++)
        {
            string ours = $"layer.{i}.", theirs = $"{root}.encoder.layer.{i}.";
            foreach (var (o, t) in new[]
            {
                ("attn.q", "attention.self.query"), ("attn.k", "attention.self.key"), ("attn.v", "attention.self.value"),
                ("attn.o", "attention.output.dense"), ("ln_1", "attention.output.LayerNorm"),
                ("mlp.fc_in", "intermediate.dense"), ("mlp.fc_out", "output.dense"), ("ln_2", "output.LayerNorm"),
            })
            {
                yield return ($"{ours}{o}.weight", $"{theirs}{t}.weight");
                yield return ($"{ours}{o}.bias", $"{theirs}{t}.bias");
            }
        }

        yield return ("pooler.weight", $"{root}.pooler.dense.weight");
        yield return ("pooler.bias", $"{root}.pooler.dense.bias");
        string head = roberta ? "lm_head" : "cls.predictions.transform";
        yield return ("mlm_dense.weight", $"{head}.dense.weight");
        yield return ("mlm_dense.bias", $"{head}.dense.bias");
        yield return ("mlm_ln.weight", roberta ? "lm_head.layer_norm.weight" : $"{head}.LayerNorm.weight");
        yield return ("mlm_ln.bias", roberta ? "lm_head.layer_norm.bias" : $"{head}.LayerNorm.bias");
        yield return ("mlm_bias", roberta ? "lm_head.bias" : "cls.predictions.bias");
        if (!roberta)
        {
            yield return ("nsp.weight", "cls.seq_relationship.weight");
            yield return ("nsp.bias", "cls.seq_relationship.bias");
        }
    }
}
