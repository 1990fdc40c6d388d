// `lineage export onnx`: picks the exporter from a model folder's config.json (model_type) and writes one .onnx file.
using System.Text.Json.Nodes;
using Lineage.Neural.Core;
using Lineage.Neural.Multimodal;
using Lineage.Neural.Transformers;
using Lineage.Neural.Vision;
using Onnx;
using static TorchSharp.torch;

namespace Lineage.Neural.Onnx;

/// <summary>What an export wrote.</summary>
/// <param name="Path">The .onnx file.</param>
/// <param name="ModelType">config.json's model_type.</param>
/// <param name="Inputs">Graph inputs with their shapes ("input_ids int64 [batch, sequence]").</param>
/// <param name="Outputs">Graph outputs with their shapes.</param>
/// <param name="Nodes">Nodes in the graph.</param>
/// <param name="Bytes">File size.</param>
public sealed record OnnxExportReport(string Path, string ModelType, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, int Nodes, long Bytes);

/// <summary>Exports a Hugging Face-layout model folder written by Lineage to ONNX, choosing the exporter by <c>model_type</c>.</summary>
public static class OnnxExport
{
    /// <summary>The model types with an exporter, and what each exports.</summary>
    public static IReadOnlyDictionary<string, string> Supported { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["gpt2"] = "GPT: input_ids → logits",
        ["bert"] = "BERT: input_ids, attention_mask, token_type_ids → last_hidden_state (+ logits for a fine-tuned classifier)",
        ["roberta"] = "RoBERTa: input_ids, attention_mask → last_hidden_state (+ logits for a fine-tuned classifier)",
        ["vit"] = "ViT: pixel_values → logits",
        ["clip"] = "CLIP: input_ids, pixel_values → text_embeds, image_embeds, logits_per_image, logits_per_text",
        ["siglip"] = "SigLIP: as CLIP (logits with SigLIP's bias)",
    };

    /// <summary>The ONNX model of the folder's model (loaded with its own loader).</summary>
    /// <exception cref="DirectoryNotFoundException">No such folder.</exception>
    /// <exception cref="InvalidDataException">No or a bad config.json, a model type without an exporter, or weights that do not load (the message names the file).</exception>
    public static (ModelProto Model, string ModelType) Build(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: no such model folder.");
        var type = ModelType(folder);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        switch (type)
        {
            case "gpt2":
            {
                using var gpt = Gpt.Load(folder);
                return (GptOnnx.Export(gpt), type);
            }

            case "bert" or "roberta" when IsClassifier(folder):
            {
                var (bert, head, labels, roberta) = Bert.LoadClassifier(folder);
                using (bert)
                using (head)
                    return (BertOnnx.Export(bert, roberta, head, labels), type);
            }

            case "bert" or "roberta":
            {
                var (bert, roberta) = Bert.Load(folder);
                using (bert) return (BertOnnx.Export(bert, roberta), type);
            }

            case "vit":
            {
                using var vit = Vit.Load(folder);
                return (VitOnnx.Export(vit), type);
            }

            default:
            {
                using var clip = ModelFolders.LoadDualEncoder(folder, out _);
                return (ClipOnnx.Export(clip), type);
            }
        }
    }

    /// <summary>Writes the folder's model as ONNX to <paramref name="output"/> (atomically) and says what it wrote.</summary>
    /// <inheritdoc cref="Build" path="/exception"/>
    public static OnnxExportReport Export(string folder, string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var (model, type) = Build(folder);
        OnnxGraph.Save(model, output);
        static string Describe(ValueInfoProto v) =>
            $"{v.Name} {(TensorProto.Types.DataType)v.Type.TensorType.ElemType} [{string.Join(", ", v.Type.TensorType.Shape.Dim.Select(d => d.DimParam is { Length: > 0 } p ? p : d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]";
        return new(output, type, [.. model.Graph.Input.Select(Describe)], [.. model.Graph.Output.Select(Describe)], model.Graph.Node.Count, new FileInfo(output).Length);
    }

    // A fine-tuned classifier (Bert.SaveClassifier): architectures names *ForSequenceClassification.
    private static bool IsClassifier(string folder) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(folder, HfCheckpoint.ConfigName)))?["architectures"] is JsonArray a
        && a.Any(n => n is JsonValue v && v.TryGetValue<string>(out var s) && s.EndsWith("ForSequenceClassification", StringComparison.Ordinal));

    // config.json's model_type, checked against the exporters.
    private static string ModelType(string folder)
    {
        var path = Path.Combine(folder, HfCheckpoint.ConfigName);
        if (!File.Exists(path)) throw new InvalidDataException($"{path}: missing (a model folder holds {HfCheckpoint.ConfigName} and {HfCheckpoint.WeightsName}).");
        JsonNode? config;
        try
        {
            config = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message}).", e);
        }

        var type = config is JsonObject o && o["model_type"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        if (type is null || !Supported.ContainsKey(type))
            throw new InvalidDataException($"{path}: model_type '{type}' has no ONNX exporter; export supports {string.Join(", ", Supported.Keys)}.");
        return type;
    }
}
