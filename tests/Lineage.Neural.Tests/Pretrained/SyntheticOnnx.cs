using Google.Protobuf;
using Lineage.Neural.Core;
using Lineage.Neural.Transformers;
using Onnx;

namespace Lineage.Neural.Tests.Pretrained;

/// <summary>
/// A small ONNX model laid out as PyTorch exports Hugging Face's BertModel, built with OnnxSharp's classes from one of our
/// encoders: named embeddings, LayerNorms, biases and pooler; anonymous Linear weights stored (in, out) behind MatMul → Add(bias);
/// decomposed LayerNorms with their ε; the attention scale before each Softmax; one Erf per layer. Only the structure the
/// reader follows is there (ONNX Runtime would not run it).
/// </summary>
internal static class SyntheticOnnx
{
    public static ModelProto FromBert(Bert model, bool pooler)
    {
        var config = model.Config;
        var graph = new GraphProto { Name = "tiny-bert" };
        foreach (var input in new[] { "input_ids", "attention_mask", "token_type_ids" }) graph.Input.Add(new ValueInfoProto { Name = input });
        int counter = 0;
        string Fresh() => $"{900 + counter++}";
        var names = HfCheckpoint.Names(HfCheckpoint.Parameters(model), Bert.EncoderLayout(pooler));
        var values = HfCheckpoint.Parameters(model).Where(p => names.ContainsKey(p.Name))
            .ToDictionary(p => names[p.Name].Name, p => (Shape: p.Parameter.shape, Data: p.Parameter.detach().contiguous().data<float>().ToArray()));

        void Named(string name)
        {
            var (shape, data) = values[name];
            graph.Initializer.Add(Tensor(name, shape, data));
        }

        void Node(string op, string[] inputs, string output, params AttributeProto[] attributes)
        {
            var n = new NodeProto { OpType = op, Name = $"{op}_{counter++}" };
            n.Input.AddRange(inputs);
            n.Output.Add(output);
            n.Attribute.AddRange(attributes);
            graph.Node.Add(n);
        }

        string Constant(float value)
        {
            var output = Fresh();
            Node("Constant", [], output, new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = Tensor("", [], [value]) });
            return output;
        }

        string LayerNorm(string x, string prefix)
        {
            string mean = Fresh(), added = Fresh(), root = Fresh(), scaled = Fresh(), shifted = Fresh();
            Node("ReduceMean", [x], mean);
            Node("Add", [mean, Constant((float)config.LayerNormEps)], added);
            Node("Sqrt", [added], root);
            Named(prefix + ".weight");
            Named(prefix + ".bias");
            Node("Mul", [root, prefix + ".weight"], scaled);
            Node("Add", [scaled, prefix + ".bias"], shifted);
            return shifted;
        }

        string Linear(string x, string prefix)
        {
            var (shape, data) = values[prefix + ".weight"];
            int rows = (int)shape[0], cols = (int)shape[1];
            var transposed = new float[data.Length];
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++)
                    transposed[(c * rows) + r] = data[(r * cols) + c];
            var weight = Fresh();
            graph.Initializer.Add(Tensor(weight, [cols, rows], transposed));
            string product = Fresh(), sum = Fresh();
            Node("MatMul", [x, weight], product);
            Named(prefix + ".bias");
            Node("Add", [prefix + ".bias", product], sum);
            return sum;
        }

        foreach (var e in new[] { "word_embeddings", "position_embeddings", "token_type_embeddings" }) Named($"embeddings.{e}.weight");
        var x = LayerNorm("embedded", "embeddings.LayerNorm");
        for (int i = 0; i < config.Layers; i++)
        {
            string p = $"encoder.layer.{i}.";
            var q = Linear(x, p + "attention.self.query");
            var k = Linear(x, p + "attention.self.key");
            var v = Linear(x, p + "attention.self.value");
            string scores = Fresh(), scaled = Fresh(), masked = Fresh(), weights = Fresh(), context = Fresh();
            Node("MatMul", [q, k], scores);
            Node("Div", [scores, Constant(MathF.Sqrt(config.Dim / config.Heads))], scaled);
            Node("Add", [scaled, "mask"], masked);
            Node("Softmax", [masked], weights);
            Node("MatMul", [weights, v], context);
            var attn = LayerNorm(Linear(context, p + "attention.output.dense"), p + "attention.output.LayerNorm");
            var hidden = Linear(attn, p + "intermediate.dense");
            var gelu = Fresh();
            Node("Erf", [hidden], gelu);
            x = LayerNorm(Linear(gelu, p + "output.dense"), p + "output.LayerNorm");
        }

        if (pooler)
        {
            Named("pooler.dense.weight");
            Named("pooler.dense.bias");
            Node("Gemm", [x, "pooler.dense.weight", "pooler.dense.bias"], Fresh(), new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        }

        graph.Output.Add(new ValueInfoProto { Name = x });
        var result = new ModelProto { IrVersion = 7, ProducerName = "lineage-tests", Graph = graph };
        result.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return result;
    }

    public static TensorProto Tensor(string name, long[] shape, float[] data)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(shape);
        var bytes = new byte[data.Length * sizeof(float)];
        Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
        t.RawData = ByteString.CopyFrom(bytes);
        return t;
    }

    public static float[] Floats(TensorProto t) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray();

    public static void Write(ModelProto model, string path)
    {
        using var file = File.Create(path);
        model.WriteTo(file);
    }
}
