// Reads the weights of a BERT encoder exported to ONNX by PyTorch (sentence-transformers' all-MiniLM-L6-v2,
// Snowflake's arctic-embed-xs), so that our Bert runs the real checkpoint.
// Paper:   Devlin et al. 2019 (BERT), as Hugging Face's BertModel exports it through torch.onnx; the format is ONNX's
//          onnx.proto (ModelProto → GraphProto: nodes, initializers), read with OnnxSharp's generated classes.
// Lineage: the encoder of Transformers/Bert.cs, trained elsewhere on a billion sentence pairs; the parity tests compare our
//          last_hidden_state with ONNX Runtime's on the same file.
// Shapes:  C hidden, F feed-forward (4C), L layers, V vocabulary, P positions.
// How:     the exporter keeps Hugging Face's names for the embeddings, LayerNorms, biases and the pooler, but writes each
//          of the 6 Linear weights of a layer (query, key, value, attention output, intermediate, output) as an
//          anonymous initializer ("927", "onnx::MatMul_788") stored transposed, (in, out), for x·W. Each is named by
//          following its MatMul to the Add that adds a named bias: bias "…query.bias" names weight "…query.weight",
//          transposed back to (out, in). The size is read from the tensors (V, C, P, type vocabulary, F, L); the heads
//          from the attention scale (scores / √(C/H) before the Softmax); ε from the decomposed LayerNorms
//          (ReduceMean → Sub → Pow → ReduceMean → Add ε → Sqrt); the activation must be erf-GELU (one Erf per layer).
// Deviations: only graphs of this shape are read (BERT, post-norm, absolute positions, FFN 4C); anything else is an error
//          that names the file and what does not fit.
using System.Globalization;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Lineage.Neural.Core;
using Lineage.Neural.Transformers;
using Onnx;
using static TorchSharp.torch;

namespace Lineage.Neural.Pretrained;

/// <summary>A float tensor read from an ONNX file, in Hugging Face's layout (Linear weights (out, in)).</summary>
/// <param name="Shape">Its shape.</param>
/// <param name="Data">Its values, row-major.</param>
public sealed record OnnxTensor(long[] Shape, float[] Data);

/// <summary>What an ONNX BERT holds: the size read from the graph, and every weight under its Hugging Face BertModel name.</summary>
/// <param name="Path">The ONNX file (for messages).</param>
/// <param name="Config">The encoder's size and ε (dropout 0: the checkpoint is for inference).</param>
/// <param name="HasPooler">Whether the graph has the tanh pooler on [CLS] (all-MiniLM does, arctic-embed does not).</param>
/// <param name="Tensors">Name (<c>encoder.layer.0.attention.self.query.weight</c>) → tensor.</param>
/// <param name="Inputs">The graph's input names (input_ids, attention_mask, token_type_ids).</param>
public sealed record OnnxBertWeights(string Path, BertConfig Config, bool HasPooler, IReadOnlyDictionary<string, OnnxTensor> Tensors, IReadOnlyList<string> Inputs);

/// <summary>Reads a PyTorch-exported ONNX BERT into our <see cref="Bert"/>. Errors name the file and the tensor or node.</summary>
public static class OnnxBertReader
{
    private static readonly Regex HfName = new(@"^(embeddings|encoder|pooler)\.", RegexOptions.CultureInvariant);
    private static readonly Regex LayerIndex = new(@"^encoder\.layer\.(\d+)\.", RegexOptions.CultureInvariant);

    /// <summary>Parses the ONNX file and reads its weights and size.</summary>
    /// <exception cref="InvalidDataException">Not an ONNX model, or a graph that is not a BERT encoder of the supported shape (named).</exception>
    public static OnnxBertWeights Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new InvalidDataException($"{path}: missing.");
        ModelProto model;
        try
        {
            using var stream = File.OpenRead(path);
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{path}: not an ONNX model ({e.Message}).", e);
        }

        return Read(model, path);
    }

    /// <summary>Reads the weights and size of an ONNX model already parsed (<paramref name="path"/> names it in messages).</summary>
    /// <exception cref="InvalidDataException">A graph that is not a BERT encoder of the supported shape (named).</exception>
    public static OnnxBertWeights Read(ModelProto model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = model.Graph;
        if (graph is null || graph.Node.Count == 0) throw new InvalidDataException($"{path}: an ONNX model without a graph.");
        var initializers = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var t in graph.Initializer) initializers[t.Name] = t;
        var constants = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var n in graph.Node.Where(n => n.OpType == "Constant" && n.Output.Count == 1))
            if (n.Attribute.FirstOrDefault(a => a.Name == "value")?.T is { } value) constants[n.Output[0]] = value;
        var producer = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        var consumers = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
        foreach (var n in graph.Node)
        {
            foreach (var o in n.Output) producer[o] = n;
            foreach (var i in n.Input)
            {
                if (!consumers.TryGetValue(i, out var list)) consumers[i] = list = [];
                list.Add(n);
            }
        }

        var tensors = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        foreach (var (name, t) in initializers)
        {
            if (!HfName.IsMatch(name)) continue;
            if (name.EndsWith("position_ids", StringComparison.Ordinal)) continue;   // a buffer: 0 … P−1
            tensors[name] = Floats(t, path);
        }

        // The Linear weights: anonymous initializers multiplied by MatMul, then added to a named bias.
        var named = new HashSet<string>(StringComparer.Ordinal);
        foreach (var mm in graph.Node.Where(n => n.OpType == "MatMul" && n.Input.Count == 2 && initializers.ContainsKey(n.Input[1])))
        {
            var weight = mm.Input[1];
            if (HfName.IsMatch(weight)) throw new InvalidDataException($"{path}: MatMul '{mm.Name}' multiplies by '{weight}', a named tensor stored (in, out); only anonymous Linear weights are expected there.");
            var bias = (consumers.GetValueOrDefault(mm.Output[0]) ?? []).Where(n => n.OpType == "Add")
                .SelectMany(n => n.Input).FirstOrDefault(i => i != mm.Output[0] && initializers.ContainsKey(i) && HfName.IsMatch(i) && i.EndsWith(".bias", StringComparison.Ordinal))
                ?? throw new InvalidDataException($"{path}: MatMul '{mm.Name}' multiplies by initializer '{weight}', but no Add with a named bias follows it, so the weight cannot be named.");
            var name = bias[..^".bias".Length] + ".weight";
            if (!tensors.TryAdd(name, Transposed(Floats(initializers[weight], path), weight, path)))
                throw new InvalidDataException($"{path}: two weights are named '{name}' (MatMul '{mm.Name}' and another).");
            named.Add(weight);
        }

        foreach (var gemm in graph.Node.Where(n => n.OpType == "Gemm" && n.Input.Count >= 2 && HfName.IsMatch(n.Input[1])))
        {
            if (gemm.Attribute.FirstOrDefault(a => a.Name == "transB")?.I != 1)
                throw new InvalidDataException($"{path}: Gemm '{gemm.Name}' uses '{gemm.Input[1]}' without transB = 1, so it is not stored (out, in).");
        }

        var stray = initializers.Where(p => !HfName.IsMatch(p.Key) && !named.Contains(p.Key) && p.Value.DataType == (int)TensorProto.Types.DataType.Float && p.Value.Dims.Count >= 2)
            .Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
        if (stray.Count > 0)
            throw new InvalidDataException($"{path}: unexpected tensor '{stray[0]}'{(stray.Count > 1 ? $" (and {stray.Count - 1} more)" : "")}: a weight that no MatMul with a named bias uses; the graph is not the BERT this reads.");

        OnnxTensor Need(string name) => tensors.TryGetValue(name, out var t) ? t : throw new InvalidDataException($"{path}: tensor '{name}' is missing.");
        var word = Need("embeddings.word_embeddings.weight");
        if (word.Shape.Length != 2) throw new InvalidDataException($"{path}: tensor 'embeddings.word_embeddings.weight' has shape ({string.Join(", ", word.Shape)}), not (vocabulary, hidden).");
        int vocab = checked((int)word.Shape[0]), hidden = checked((int)word.Shape[1]);
        int positions = checked((int)Need("embeddings.position_embeddings.weight").Shape[0]);
        int types = checked((int)Need("embeddings.token_type_embeddings.weight").Shape[0]);
        int layers = tensors.Keys.Select(k => LayerIndex.Match(k)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) + 1).DefaultIfEmpty(0).Max();
        if (layers == 0) throw new InvalidDataException($"{path}: no 'encoder.layer.N.…' tensors; not a BERT encoder.");
        long ffn = Need("encoder.layer.0.intermediate.dense.bias").Shape[0];
        if (ffn != 4L * hidden) throw new InvalidDataException($"{path}: intermediate size {ffn} is not 4 × hidden ({4 * hidden}), the only width our Bert builds.");

        int heads = Heads(graph, producer, initializers, constants, hidden, path);
        double eps = Epsilon(graph, producer, initializers, constants, layers, path);
        int erf = graph.Node.Count(n => n.OpType == "Erf");
        if (erf != layers) throw new InvalidDataException($"{path}: {erf} Erf nodes for {layers} layers; the activation is not the exact (erf) GELU of Hugging Face's \"gelu\".");

        var config = new BertConfig(vocab, positions, layers, heads, hidden, Dropout: 0, TypeVocab: types, LayerNormEps: eps);
        return new OnnxBertWeights(path, config, tensors.ContainsKey("pooler.dense.weight"), tensors, [.. graph.Input.Select(i => i.Name)]);
    }

    /// <summary>Reads the file and builds our <see cref="Bert"/> with its weights (<see cref="ToBert"/>).</summary>
    /// <exception cref="InvalidDataException">As <see cref="Read(string)"/> and <see cref="ToBert"/>.</exception>
    public static (Bert Model, bool HasPooler) Load(string path)
    {
        var weights = Read(path);
        return (ToBert(weights), weights.HasPooler);
    }

    /// <summary>
    /// Our encoder with these weights. Every parameter Hugging Face's BertModel has (<see cref="Bert.EncoderLayout"/>; the
    /// pooler when the graph has one) must be present, of our shape, and finite, and nothing may be left over.
    /// </summary>
    /// <exception cref="InvalidDataException">A missing, unexpected, misshapen or non-finite tensor (the message names it and the file).</exception>
    public static Bert ToBert(OnnxBertWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var path = weights.Path;
        var model = new Bert(weights.Config);
        try
        {
            var parameters = HfCheckpoint.Parameters(model);
            var names = HfCheckpoint.Names(parameters, Bert.EncoderLayout(weights.HasPooler));
            var used = new HashSet<string>(StringComparer.Ordinal);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            foreach (var (name, p) in parameters)
            {
                if (!names.TryGetValue(name, out var hf)) continue;
                if (!weights.Tensors.TryGetValue(hf.Name, out var t)) throw new InvalidDataException($"{path}: tensor '{hf.Name}' is missing.");
                if (!t.Shape.SequenceEqual(p.shape))
                    throw new InvalidDataException($"{path}: tensor '{hf.Name}' has shape ({string.Join(", ", t.Shape)}); this encoder needs ({string.Join(", ", p.shape)}).");
                if (!Array.TrueForAll(t.Data, float.IsFinite)) throw new InvalidDataException($"{path}: tensor '{hf.Name}' holds NaN or infinite values.");
                p.copy_(tensor(t.Data, t.Shape));
                used.Add(hf.Name);
            }

            var unexpected = weights.Tensors.Keys.Where(k => !used.Contains(k)).Order(StringComparer.Ordinal).ToList();
            if (unexpected.Count > 0)
                throw new InvalidDataException($"{path}: unexpected tensor '{unexpected[0]}'{(unexpected.Count > 1 ? $" (and {unexpected.Count - 1} more)" : "")}; the weights belong to another architecture or size.");
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    // Heads from the attention scale: Softmax(Add(Div(scores, √d), mask)) or Mul by 1/√d; H = C / d, the same in every layer.
    private static int Heads(GraphProto graph, Dictionary<string, NodeProto> producer, Dictionary<string, TensorProto> initializers, Dictionary<string, TensorProto> constants, int hidden, string path)
    {
        var found = new HashSet<int>();
        foreach (var softmax in graph.Node.Where(n => n.OpType == "Softmax"))
        {
            var node = producer.GetValueOrDefault(softmax.Input[0]);
            if (node?.OpType == "Add") node = node.Input.Select(i => producer.GetValueOrDefault(i)).FirstOrDefault(p => p?.OpType is "Div" or "Mul");
            if (node?.OpType is not ("Div" or "Mul")) continue;
            var scale = node.Input.Select(i => Scalar(i, initializers, constants)).FirstOrDefault(v => v is not null);
            if (scale is not { } s || !(s > 0)) continue;
            double d = node.OpType == "Div" ? s * s : 1 / (s * s);
            int headDim = (int)Math.Round(d);
            if (Math.Abs(d - headDim) > 1e-3 * d || headDim <= 0 || hidden % headDim != 0)
                throw new InvalidDataException($"{path}: attention node '{node.Name}' scales by {s}, which is not 1/√d for a head width d dividing {hidden}.");
            found.Add(hidden / headDim);
        }

        return found.Count switch
        {
            1 => found.Single(),
            0 => throw new InvalidDataException($"{path}: no attention Softmax with a constant 1/√d scale; cannot tell the number of heads."),
            _ => throw new InvalidDataException($"{path}: the layers have different numbers of heads ({string.Join(", ", found.Order())})."),
        };
    }

    // ε of the LayerNorms: Sqrt(Add(variance, ε)) as PyTorch decomposes LayerNorm below opset 17, or LayerNormalization's attribute.
    private static double Epsilon(GraphProto graph, Dictionary<string, NodeProto> producer, Dictionary<string, TensorProto> initializers, Dictionary<string, TensorProto> constants, int layers, string path)
    {
        var values = new List<double>();
        foreach (var n in graph.Node)
        {
            if (n.OpType == "LayerNormalization")
            {
                values.Add(n.Attribute.FirstOrDefault(a => a.Name == "epsilon")?.F ?? 1e-5f);
            }
            else if (n.OpType == "Sqrt" && producer.GetValueOrDefault(n.Input[0]) is { OpType: "Add" } add
                     && add.Input.Any(i => producer.GetValueOrDefault(i)?.OpType == "ReduceMean"))
            {
                if (add.Input.Select(i => Scalar(i, initializers, constants)).FirstOrDefault(v => v is not null) is { } eps) values.Add(eps);
            }
        }

        if (values.Count != 2 * layers + 1)
            throw new InvalidDataException($"{path}: {values.Count} LayerNorms found, {2 * layers + 1} expected (embeddings + 2 per layer); not the BERT this reads.");
        // ε is stored as float32 (1e-12 reads back as 9.9999999600419e-13): take the float's shortest decimal form.
        var eps0 = double.Parse(((float)values[0]).ToString("R", CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture);
        if (values.Any(v => Math.Abs(v - values[0]) > 1e-6 * Math.Abs(values[0])))
            throw new InvalidDataException($"{path}: the LayerNorms use different ε ({string.Join(", ", values.Distinct())}); our Bert has one.");
        return eps0;
    }

    // The value of a one-element float/double initializer or Constant, or null.
    private static double? Scalar(string name, Dictionary<string, TensorProto> initializers, Dictionary<string, TensorProto> constants)
    {
        var t = initializers.GetValueOrDefault(name) ?? constants.GetValueOrDefault(name);
        if (t is null || t.Dims.Aggregate(1L, (a, b) => a * b) != 1) return null;
        return (TensorProto.Types.DataType)t.DataType switch
        {
            TensorProto.Types.DataType.Float => t.FloatData.Count == 1 ? t.FloatData[0] : t.RawData.Length == 4 ? BitConverter.ToSingle(t.RawData.Span) : null,
            TensorProto.Types.DataType.Double => t.DoubleData.Count == 1 ? t.DoubleData[0] : t.RawData.Length == 8 ? BitConverter.ToDouble(t.RawData.Span) : null,
            _ => null,
        };
    }

    // A float32 initializer's values (raw little-endian bytes or float_data).
    private static OnnxTensor Floats(TensorProto t, string path)
    {
        if (t.DataType != (int)TensorProto.Types.DataType.Float)
            throw new InvalidDataException($"{path}: tensor '{t.Name}' is of ONNX type {(TensorProto.Types.DataType)t.DataType}, not float32.");
        if (t.DataLocation == TensorProto.Types.DataLocation.External)
            throw new InvalidDataException($"{path}: tensor '{t.Name}' is stored in an external file, which this reader does not follow.");
        var shape = t.Dims.ToArray();
        long count = shape.Aggregate(1L, (a, b) => a * b);
        float[] data;
        if (t.RawData.Length > 0)
        {
            if (t.RawData.Length != count * sizeof(float))
                throw new InvalidDataException($"{path}: tensor '{t.Name}' of shape ({string.Join(", ", shape)}) holds {t.RawData.Length} bytes, not {count * sizeof(float)}.");
            data = new float[count];
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw tensor data is little-endian.");
            t.RawData.Span.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
        }
        else
        {
            if (t.FloatData.Count != count)
                throw new InvalidDataException($"{path}: tensor '{t.Name}' of shape ({string.Join(", ", shape)}) holds {t.FloatData.Count} values, not {count}.");
            data = [.. t.FloatData];
        }

        return new OnnxTensor(shape, data);
    }

    // (in, out) → (out, in).
    private static OnnxTensor Transposed(OnnxTensor t, string name, string path)
    {
        if (t.Shape.Length != 2) throw new InvalidDataException($"{path}: MatMul weight '{name}' has shape ({string.Join(", ", t.Shape)}), not (in, out).");
        int rows = checked((int)t.Shape[0]), cols = checked((int)t.Shape[1]);
        var data = new float[t.Data.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                data[(c * rows) + r] = t.Data[(r * cols) + c];
        return new OnnxTensor([cols, rows], data);
    }
}
