using Lineage.Neural.Onnx;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Tests.Onnx;

/// <summary>Runs an exported file in ONNX Runtime and compares its outputs with TorchSharp's.</summary>
internal sealed class OnnxParity : IDisposable
{
    /// <summary>The bound every export is held to (fp32).</summary>
    public const float Tolerance = 1e-4f;

    private readonly InferenceSession _session;

    /// <summary>Loads (and so validates) the file in ONNX Runtime, one thread.</summary>
    public OnnxParity(string path)
    {
        Path = path;
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        _session = new InferenceSession(path, options);
        Model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
    }

    public string Path { get; }

    /// <summary>The file as OnnxSharp parses it.</summary>
    public ModelProto Model { get; }

    /// <summary>ONNX Runtime's view of the metadata_props.</summary>
    public IReadOnlyDictionary<string, string> Metadata => _session.ModelMetadata.CustomMetadataMap;

    /// <summary>The outputs (name → values and shape) for TorchSharp inputs (int64 or float32 tensors).</summary>
    public Dictionary<string, (float[] Values, long[] Shape)> Run(params (string Name, Tensor Value)[] inputs)
    {
        var values = new List<OrtValue>();
        try
        {
            foreach (var (_, t) in inputs)
            {
                var c = t.contiguous();
                values.Add(c.dtype == ScalarType.Int64
                    ? OrtValue.CreateTensorValueFromMemory(c.data<long>().ToArray(), c.shape)
                    : OrtValue.CreateTensorValueFromMemory(c.data<float>().ToArray(), c.shape));
            }

            var names = _session.OutputNames;
            using var runOptions = new RunOptions();
            using var results = _session.Run(runOptions, inputs.Select(i => i.Name).ToList(), values, names);
            var outputs = new Dictionary<string, (float[], long[])>(StringComparer.Ordinal);
            for (int i = 0; i < names.Count; i++)
                outputs[names[i]] = (results[i].GetTensorDataAsSpan<float>().ToArray(), results[i].GetTensorTypeAndShape().Shape);
            return outputs;
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    /// <summary>max |ORT − TorchSharp| after checking that the shapes agree.</summary>
    public static float MaxDiff((float[] Values, long[] Shape) ort, Tensor torchValue)
    {
        Assert.Equal(torchValue.shape, ort.Shape);
        var expected = torchValue.detach().contiguous().data<float>().ToArray();
        Assert.Equal(expected.Length, ort.Values.Length);
        float max = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            float d = Math.Abs(expected[i] - ort.Values[i]);
            if (float.IsNaN(d)) return float.NaN;
            max = Math.Max(max, d);
        }

        return max;
    }

    /// <summary>Opset ≥ 17, the Lineage metadata, and the given inputs with symbolic (dim_param) axes where named.</summary>
    public void CheckHeader(string modelType, params (string Input, string[] Symbolic)[] inputs)
    {
        Assert.Contains(Model.OpsetImport, o => o.Domain.Length == 0 && o.Version >= 17);
        Assert.Equal(modelType, Metadata["model_type"]);
        Assert.Equal(OnnxGraph.LineageVersion, Metadata["lineage_version"]);
        foreach (var (name, symbolic) in inputs)
        {
            var input = Assert.Single(Model.Graph.Input, i => i.Name == name);
            var dims = input.Type.TensorType.Shape.Dim.Select(d => d.DimParam).Where(p => p.Length > 0).ToArray();
            Assert.Equal(symbolic, dims);
        }
    }

    /// <summary>Adds N(0, <paramref name="std"/>²) to every parameter, so that a freshly initialised model's outputs are far from trivial.</summary>
    public static void Perturb(nn.Module module, double std)
    {
        using var noGrad = no_grad();
        foreach (var p in module.parameters()) p.add_(randn_like(p) * std);
    }

    public void Dispose() => _session.Dispose();
}
