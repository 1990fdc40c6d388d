// A small ONNX graph builder: TorchSharp has no tracer, so each exporter (GptOnnx, BertOnnx, VitOnnx, ClipOnnx) writes
// its model's forward again, op by op, through the helpers below, beside the model's own forward.
// Format:  ONNX (onnx.proto, IR 8, default-domain opset 17: the first with LayerNormalization), built with OnnxSharp's
//          generated protobuf classes (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto) and written by
//          Google.Protobuf; nothing here encodes protobuf by hand.
// How:     every value is a string name. Parameters become initializers under our own parameter names (a Linear's
//          (out, in) weight is stored transposed, as "<name>.T", so that MatMul reads x·Wᵀ directly; everything else as
//          stored); inputs and outputs carry symbolic dimensions (dim_param "batch", "sequence") so one file serves any
//          batch and sequence length; each helper adds one node (or, for GELU and Linear, the few nodes the module runs).
// Deviations: float32 weights only; a model over protobuf's 2 GiB limit is refused (no external-data files).
using System.Reflection;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Lineage.Text.IO;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Onnx;

/// <summary>One dimension of a graph input or output: a fixed size or a symbolic name (ONNX's <c>dim_param</c>).</summary>
/// <param name="Param">The symbolic name ("batch", "sequence"), or null for a fixed size.</param>
/// <param name="Value">The fixed size (when <paramref name="Param"/> is null).</param>
public readonly record struct OnnxDim(string? Param, long Value)
{
    /// <summary>A symbolic dimension.</summary>
    public static implicit operator OnnxDim(string param) => new(param, 0);

    /// <summary>A fixed dimension.</summary>
    public static implicit operator OnnxDim(long value) => new(null, value);

    /// <summary>A symbolic dimension.</summary>
    public static OnnxDim FromString(string param) => param;

    /// <summary>A fixed dimension.</summary>
    public static OnnxDim FromInt64(long value) => value;
}

/// <summary>
/// Builds an ONNX graph node by node (opset <see cref="Opset"/>), with initializers taken from a model's TorchSharp
/// parameters, and turns it into an <see cref="ModelProto"/>.
/// </summary>
public sealed class OnnxGraph
{
    /// <summary>The default-domain opset the exports declare (17: LayerNormalization's first).</summary>
    public const int Opset = 17;

    /// <summary>The IR version written (8, the one that goes with opset 17).</summary>
    public const long IrVersion = 8;

    private const long MaxProtobufBytes = int.MaxValue;

    private readonly GraphProto _graph;
    private readonly IReadOnlyDictionary<string, Tensor> _parameters;
    private readonly HashSet<string> _initialized = new(StringComparer.Ordinal);
    private int _next;

    /// <summary>An empty graph whose initializers come from <paramref name="parameters"/> (a model's, by our names).</summary>
    public OnnxGraph(string name, IReadOnlyDictionary<string, Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _graph = new GraphProto { Name = name };
        _parameters = parameters;
    }

    /// <summary>A model's parameters by name, for the constructor.</summary>
    public static Dictionary<string, Tensor> ParametersOf(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return module.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter, StringComparer.Ordinal);
    }

    /// <summary>Nodes so far.</summary>
    public int NodeCount => _graph.Node.Count;

    // ---- graph inputs, outputs and initializers ----

    /// <summary>Declares a graph input.</summary>
    public string Input(string name, TensorProto.Types.DataType type, params OnnxDim[] dims)
    {
        _graph.Input.Add(ValueInfo(name, type, dims));
        return name;
    }

    /// <summary>Declares <paramref name="value"/> as the graph output <paramref name="name"/> (through an Identity node).</summary>
    public void Output(string value, string name, TensorProto.Types.DataType type, params OnnxDim[] dims)
    {
        Node("Identity", [value], name);
        _graph.Output.Add(ValueInfo(name, type, dims));
    }

    /// <summary>The model parameter <paramref name="name"/> as an initializer (added once), under its own name.</summary>
    /// <exception cref="KeyNotFoundException">The model has no such parameter (a bug in the exporter).</exception>
    public string Param(string name)
    {
        if (!_parameters.TryGetValue(name, out var p)) throw new KeyNotFoundException($"The model has no parameter '{name}'.");
        return Initializer(name, p);
    }

    /// <summary>The transpose of the 2-D parameter <paramref name="name"/> (a Linear's (out, in) weight), as the initializer "<c>name.T</c>".</summary>
    public string ParamTransposed(string name)
    {
        if (!_parameters.TryGetValue(name, out var p)) throw new KeyNotFoundException($"The model has no parameter '{name}'.");
        using var scope = NewDisposeScope();
        return Initializer(name + ".T", p.t());
    }

    /// <summary>Whether the model has the parameter (an optional bias).</summary>
    public bool HasParam(string name) => _parameters.ContainsKey(name);

    /// <summary>A float32 or int64 tensor as an initializer named <paramref name="name"/> (added once).</summary>
    public string Initializer(string name, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!_initialized.Add(name)) return name;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var t = value.detach().cpu().contiguous();
        var proto = new TensorProto { Name = name };
        proto.Dims.Add(t.shape);
        if (t.dtype == ScalarType.Float32)
        {
            proto.DataType = (int)TensorProto.Types.DataType.Float;
            proto.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(t.data<float>().ToArray().AsSpan()));
        }
        else if (t.dtype == ScalarType.Int64)
        {
            proto.DataType = (int)TensorProto.Types.DataType.Int64;
            proto.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(t.data<long>().ToArray().AsSpan()));
        }
        else
        {
            throw new NotSupportedException($"Tensor '{name}' is {t.dtype}; the ONNX export writes float32 and int64 only.");
        }

        _graph.Initializer.Add(proto);
        return name;
    }

    /// <summary>A 1-D int64 constant (shapes, axes, indices).</summary>
    public string Ints(params long[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return Initializer($"const_i64_{string.Join('_', values).Replace('-', 'm')}", tensor(values));
    }

    /// <summary>A 0-D int64 constant (a Gather index that drops the axis).</summary>
    public string Index(long value) => Initializer($"const_index_{value}".Replace('-', 'm'), tensor(value));

    /// <summary>A 0-D float32 constant.</summary>
    public string Scalar(float value) =>
        Initializer($"const_f32_{BitConverter.SingleToInt32Bits(value):x8}", tensor(value));

    // ---- nodes ----

    /// <summary>Adds one node of <paramref name="op"/>; returns its (first) output's name.</summary>
    public string Node(string op, IReadOnlyList<string> inputs, string? output = null, params AttributeProto[] attributes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(attributes);
        int n = _next++;
        output ??= $"{op}_{n}";
        var node = new NodeProto { OpType = op, Name = $"{op}_{n}" };
        node.Input.Add(inputs);
        node.Output.Add(output);
        node.Attribute.Add(attributes);
        _graph.Node.Add(node);
        return output;
    }

    private string Op(string op, params string[] inputs) => Node(op, inputs);

    /// <summary>An integer attribute.</summary>
    public static AttributeProto Attr(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>A float attribute.</summary>
    public static AttributeProto Attr(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>An integer-list attribute.</summary>
    public static AttributeProto Attr(string name, long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.Add(values);
        return a;
    }

    /// <summary>A tensor attribute (ConstantOfShape's value).</summary>
    public static AttributeProto Attr(string name, TensorProto value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = value };

    /// <summary>a·b (numpy matmul, batched).</summary>
    public string MatMul(string a, string b) => Op("MatMul", a, b);

    /// <summary>a + b (broadcast).</summary>
    public string Add(string a, string b) => Op("Add", a, b);

    /// <summary>a − b (broadcast).</summary>
    public string Sub(string a, string b) => Op("Sub", a, b);

    /// <summary>a · b elementwise (broadcast).</summary>
    public string Mul(string a, string b) => Op("Mul", a, b);

    /// <summary>a / b (broadcast).</summary>
    public string Div(string a, string b) => Op("Div", a, b);

    /// <summary>Elementwise minimum.</summary>
    public string Min(string a, string b) => Op("Min", a, b);

    /// <summary>Elementwise maximum.</summary>
    public string Max(string a, string b) => Op("Max", a, b);

    /// <summary>tanh(x).</summary>
    public string Tanh(string x) => Op("Tanh", x);

    /// <summary>erf(x).</summary>
    public string Erf(string x) => Op("Erf", x);

    /// <summary>exp(x).</summary>
    public string Exp(string x) => Op("Exp", x);

    /// <summary>Softmax over <paramref name="axis"/>.</summary>
    public string Softmax(string x, long axis = -1) => Node("Softmax", [x], null, Attr("axis", axis));

    /// <summary>x reshaped; 0 copies the input's size on that axis, −1 is inferred (ONNX Reshape, allowzero 0).</summary>
    public string Reshape(string x, params long[] shape) => Op("Reshape", x, Ints(shape));

    /// <summary>x with its axes permuted.</summary>
    public string Transpose(string x, params long[] perm) => Node("Transpose", [x], null, Attr("perm", perm));

    /// <summary>Rows of <paramref name="data"/> at <paramref name="indices"/> along <paramref name="axis"/> (an embedding lookup, or x[:, i]).</summary>
    public string Gather(string data, string indices, long axis = 0) => Node("Gather", [data, indices], null, Attr("axis", axis));

    /// <summary>Slices of <paramref name="data"/>, one index tuple per batch entry (<paramref name="batchDims"/> leading batch axes).</summary>
    public string GatherNd(string data, string indices, long batchDims) => Node("GatherND", [data, indices], null, Attr("batch_dims", batchDims));

    /// <summary>Concatenation along <paramref name="axis"/>.</summary>
    public string Concat(long axis, params string[] xs) => Node("Concat", xs, null, Attr("axis", axis));

    /// <summary>x[starts:ends] on <paramref name="axes"/> (each a 1-D int64 value).</summary>
    public string Slice(string x, string starts, string ends, string axes) => Op("Slice", x, starts, ends, axes);

    /// <summary>The 1-D int64 shape of x, axes [start, end).</summary>
    public string Shape(string x, long start, long end) => Node("Shape", [x], null, Attr("start", start), Attr("end", end));

    /// <summary>x with size-1 axes inserted at <paramref name="axes"/>.</summary>
    public string Unsqueeze(string x, params long[] axes) => Op("Unsqueeze", x, Ints(axes));

    /// <summary>x broadcast to <paramref name="shape"/> (a 1-D int64 value).</summary>
    public string Expand(string x, string shape) => Op("Expand", x, shape);

    /// <summary>condition ? a : b.</summary>
    public string Where(string condition, string a, string b) => Op("Where", condition, a, b);

    /// <summary>a == b.</summary>
    public string Equal(string a, string b) => Op("Equal", a, b);

    /// <summary>Logical not.</summary>
    public string Not(string x) => Op("Not", x);

    /// <summary>x converted to <paramref name="type"/>.</summary>
    public string Cast(string x, TensorProto.Types.DataType type) => Node("Cast", [x], null, Attr("to", (long)type));

    /// <summary>Index of the first maximum along <paramref name="axis"/>, the axis dropped.</summary>
    public string ArgMax(string x, long axis) => Node("ArgMax", [x], null, Attr("axis", axis), Attr("keepdims", 0L), Attr("select_last_index", 0L));

    /// <summary>Euclidean norm along <paramref name="axis"/>, kept as size 1 (opset 17: axes is an attribute).</summary>
    public string ReduceL2(string x, long axis) => Node("ReduceL2", [x], null, Attr("axes", new[] { axis }), Attr("keepdims", 1L));

    /// <summary>A float32 tensor of <paramref name="shape"/> (a 1-D int64 value) filled with <paramref name="value"/>.</summary>
    public string ConstantOfShape(string shape, float value)
    {
        var fill = new TensorProto { DataType = (int)TensorProto.Types.DataType.Float };
        fill.Dims.Add(1);
        fill.FloatData.Add(value);
        return Node("ConstantOfShape", [shape], null, Attr("value", fill));
    }

    /// <summary>The upper (<paramref name="upper"/>) or lower triangle of the last two axes from diagonal <paramref name="k"/>; the rest 0.</summary>
    public string Trilu(string x, bool upper, long k) => Node("Trilu", [x, Initializer($"const_index_{k}".Replace('-', 'm'), tensor(k))], null, Attr("upper", upper ? 1L : 0L));

    /// <summary>A 2-D convolution with a square kernel and stride (ViT's patch embedding), weight (out, in, k, k) and bias.</summary>
    public string Conv(string x, string weight, string bias, long kernel, long stride) =>
        Node("Conv", [x, weight, bias], null, Attr("kernel_shape", new[] { kernel, kernel }), Attr("strides", new[] { stride, stride }));

    // ---- layers, as our modules compute them ----

    /// <summary>
    /// TorchSharp's <c>nn.Linear</c> <paramref name="prefix"/>: x·Wᵀ + b (MatMul with the transposed weight, then Add;
    /// no Add when the layer has no bias).
    /// </summary>
    public string Linear(string x, string prefix)
    {
        var y = MatMul(x, ParamTransposed(prefix + ".weight"));
        return HasParam(prefix + ".bias") ? Add(y, Param(prefix + ".bias")) : y;
    }

    /// <summary>GPT-2's <c>Conv1D</c> <paramref name="prefix"/>: x·W + b, the weight stored (in, out).</summary>
    public string Conv1D(string x, string prefix) => Add(MatMul(x, Param(prefix + ".weight")), Param(prefix + ".bias"));

    /// <summary>TorchSharp's <c>nn.LayerNorm</c> <paramref name="prefix"/> over the last axis with ε = <paramref name="eps"/>.</summary>
    public string LayerNorm(string x, string prefix, double eps) =>
        Node("LayerNormalization", [x, Param(prefix + ".weight"), Param(prefix + ".bias")], null, Attr("axis", -1L), Attr("epsilon", (float)eps));

    /// <summary>Exact GELU, as <c>nn.functional.gelu</c>: ½x(1 + erf(x/√2)) (opset 17 has no Gelu op).</summary>
    public string Gelu(string x) =>
        Mul(Mul(x, Scalar(0.5f)), Add(Scalar(1f), Erf(Div(x, Scalar((float)Math.Sqrt(2))))));

    /// <summary>Tanh GELU, as <c>FeedForward.GeluTanh</c>: ½x(1 + tanh(√(2/π)(x + 0.044715x³))).</summary>
    public string GeluTanh(string x)
    {
        var cube = Mul(Mul(x, x), x);
        var inner = Mul(Add(x, Mul(Scalar(0.044715f), cube)), Scalar((float)Math.Sqrt(2 / Math.PI)));
        return Mul(Mul(Scalar(0.5f), x), Add(Scalar(1f), Tanh(inner)));
    }

    /// <summary>x / max(‖x‖₂, 1e-12) along the last axis, as <c>nn.functional.normalize</c>.</summary>
    public string L2Normalize(string x) => Div(x, Max(ReduceL2(x, -1), Scalar(1e-12f)));

    // ---- the model ----

    /// <summary>
    /// The finished model: IR <see cref="IrVersion"/>, opset <see cref="Opset"/>, producer "Lineage" with the library's
    /// version, and <paramref name="metadata"/> as <c>metadata_props</c> (with <c>lineage_version</c> added).
    /// </summary>
    public ModelProto ToModel(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "Lineage",
            ProducerVersion = LineageVersion,
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in metadata.Append(new("lineage_version", LineageVersion)))
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model;
    }

    /// <summary>The library's version (informational, e.g. "0.1.0").</summary>
    public static string LineageVersion { get; } =
        typeof(OnnxGraph).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(OnnxGraph).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> atomically.</summary>
    /// <exception cref="NotSupportedException">The model is over protobuf's 2 GiB limit.</exception>
    public static void Save(ModelProto model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        // Summed as long: protobuf's own int size would overflow before the check.
        long size = (model.Graph?.Initializer.Sum(t => (long)t.RawData.Length) ?? 0) + (model.Graph?.Node.Count ?? 0) * 256L;
        if (size >= MaxProtobufBytes) throw new NotSupportedException($"{path}: the model is about {size:N0} bytes, over protobuf's 2 GiB limit (ONNX external data is not supported).");
        AtomicFile.WriteAllBytes(path, model.ToByteArray());
    }

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, OnnxDim[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d.Param is null ? new TensorShapeProto.Types.Dimension { DimValue = d.Value } : new TensorShapeProto.Types.Dimension { DimParam = d.Param });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }
}
