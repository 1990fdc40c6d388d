using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Lineage.Neural.Core;
using Lineage.Neural.Transformers;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Tests.Transformers;

public sealed class GptPretrainedTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lineage-gpt2-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Gpt Model()
    {
        manual_seed(1);
        var gpt = new Gpt(new GptConfig(VocabSize: 50, ContextLength: 16, Layers: 2, Heads: 2, Dim: 8, Dropout: 0));
        gpt.eval();
        return gpt;
    }

    [Fact]
    public void SaveThenLoad_GivesTheSameLogits_UnderGpt2Names()
    {
        using var scope = NewDisposeScope();
        using var gpt = Model();
        gpt.Save(_dir);
        using var loaded = Gpt.Load(_dir);
        loaded.eval();
        var ids = tensor(new long[] { 3, 14, 15, 9, 2, 6 }).unsqueeze(0);
        Assert.True((gpt.forward(ids) - loaded.forward(ids)).abs().max().item<float>() == 0);

        var tensors = Safetensors.Load(Path.Combine(_dir, "model.safetensors"));
        Assert.Equal(new long[] { 8, 24 }, tensors["transformer.h.0.attn.c_attn.weight"].shape);     // Conv1D: in × 3·out
        Assert.Equal(new long[] { 8, 32 }, tensors["transformer.h.1.mlp.c_fc.weight"].shape);
        Assert.Equal(4 + 2 * 12, tensors.Count);
        Assert.Equal("pt", Safetensors.Metadata(Path.Combine(_dir, "model.safetensors"))["format"]);
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "config.json")));
        Assert.Equal("gpt2", config.RootElement.GetProperty("model_type").GetString());
        Assert.Equal(8, config.RootElement.GetProperty("n_embd").GetInt32());
    }

    [Fact]
    public void BadCheckpoints_NameTheProblem()
    {
        using var gpt = Model();
        gpt.Save(_dir);
        var configPath = Path.Combine(_dir, "config.json");
        var weights = Path.Combine(_dir, "model.safetensors");
        var config = File.ReadAllText(configPath);

        File.WriteAllText(configPath, config.Replace("\"gpt2\"", "\"bert\"", StringComparison.Ordinal));
        Assert.Contains("another architecture ('bert')", Assert.Throws<InvalidDataException>(() => Gpt.Load(_dir)).Message, StringComparison.Ordinal);
        File.WriteAllText(configPath, config.Replace("\"n_embd\": 8", "\"n_embd\": 16", StringComparison.Ordinal));
        Assert.Contains("'transformer.wte.weight' has shape (50, 8)", Assert.Throws<InvalidDataException>(() => Gpt.Load(_dir)).Message, StringComparison.Ordinal);
        File.WriteAllText(configPath, config);

        var tensors = Safetensors.Load(weights);
        tensors.Remove("transformer.h.1.ln_2.bias");
        Safetensors.Save(weights, tensors);
        Assert.Contains("'transformer.h.1.ln_2.bias' is missing", Assert.Throws<InvalidDataException>(() => Gpt.Load(_dir)).Message, StringComparison.Ordinal);
        tensors["transformer.h.1.ln_2.bias"] = zeros(8);
        tensors["transformer.extra.weight"] = zeros(2);
        Safetensors.Save(weights, tensors);
        Assert.Contains("unexpected tensor 'transformer.extra.weight'", Assert.Throws<InvalidDataException>(() => Gpt.Load(_dir)).Message, StringComparison.Ordinal);

        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length - 40)]);
        var e = Assert.Throws<InvalidDataException>(() => Safetensors.Load(weights));
        Assert.Contains(weights, e.Message, StringComparison.Ordinal);
        Assert.Contains("tensor '", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"n_layer\": 2", "\"n_layer\": \"1\"", "'n_layer' is \"1\", not an integer")]
    [InlineData("\"n_layer\": 2", "\"n_layer\": 1.5", "'n_layer' is 1.5, not an integer")]
    [InlineData("\"n_layer\": 2", "\"n_layer\": 1e10", "'n_layer' is 1e10, not an integer")]
    [InlineData("\"n_layer\": 2", "\"n_layer\": 0", "'n_layer' is 0; a size must be at least 1")]
    [InlineData("\"n_layer\": 2", "\"n_layer\": 2000000", "tensor 'transformer.h.1999999.mlp.c_fc.weight' is missing")]
    [InlineData("\"vocab_size\": 50", "\"vocab_size\": 10000000", "'transformer.wte.weight' has shape (50, 8); config.json implies (10000000, 8)")]
    [InlineData("\"n_head\": 2", "\"n_head\": 3", "n_embd 8 is not a multiple of n_head 3")]
    [InlineData("\"resid_pdrop\": 0", "\"resid_pdrop\": \"0.1\"", "'resid_pdrop' is \"0.1\", not a number")]
    public void ConfigOfTheWrongTypeOrSize_IsRefusedBeforeTheModelIsBuilt(string original, string replacement, string expected)
    {
        // Issue 29: wrong JSON types gave stack traces, and vocab_size 10,000,000 built a 790 MB model before any tensor was checked.
        using (var gpt = Model()) gpt.Save(_dir);
        var configPath = Path.Combine(_dir, "config.json");
        var config = File.ReadAllText(configPath);
        Assert.Contains(original, config, StringComparison.Ordinal);
        File.WriteAllText(configPath, config.Replace(original, replacement, StringComparison.Ordinal));
        // "config.json implies" is HfCheckpoint.Preflight's wording, which reads the weights' header only and runs before the
        // model is built (libtorch's allocations are native, so the managed heap could not show it).
        var e = Assert.Throws<InvalidDataException>(() => Gpt.Load(_dir));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    // An independent GPT-2 forward pass in numpy. It reads the safetensors file with the library when it is installed
    // (Debian 12 has no python3-safetensors; trixie's needs Python 3.13), else with a few lines of numpy per the format.
    private const string NumpyGpt2 = """
        import json, struct, sys, numpy as np
        def load_file(path):
            try:
                from safetensors.numpy import load_file as lib
                return lib(path)
            except ImportError:
                raw = open(path, "rb").read(); n = struct.unpack("<Q", raw[:8])[0]; head = json.loads(raw[8:8 + n]); data = raw[8 + n:]
                kinds = {"F32": np.float32, "I64": np.int64}
                return {k: np.frombuffer(data[v["data_offsets"][0]:v["data_offsets"][1]], dtype=kinds[v["dtype"]]).reshape(v["shape"])
                        for k, v in head.items() if k != "__metadata__"}
        d = sys.argv[1]; ids = [int(x) for x in sys.argv[2].split(",")]
        cfg = json.load(open(d + "/config.json")); w = load_file(d + "/model.safetensors")
        C, H = cfg["n_embd"], cfg["n_head"]
        def ln(x, p): m = x.mean(-1, keepdims=True); v = ((x - m) ** 2).mean(-1, keepdims=True); return (x - m) / np.sqrt(v + 1e-5) * w[p + ".weight"] + w[p + ".bias"]
        def gelu(x): return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
        T = len(ids); x = w["transformer.wte.weight"][ids] + w["transformer.wpe.weight"][:T]
        for i in range(cfg["n_layer"]):
            p = f"transformer.h.{i}."
            a = ln(x, p + "ln_1") @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]
            q, k, v = np.split(a, 3, axis=-1)
            heads = lambda t: t.reshape(T, H, C // H).transpose(1, 0, 2)
            q, k, v = heads(q), heads(k), heads(v)
            s = q @ k.transpose(0, 2, 1) / np.sqrt(C // H) + np.triu(np.full((T, T), -np.inf), 1)
            s = np.exp(s - s.max(-1, keepdims=True)); s /= s.sum(-1, keepdims=True)
            y = (s @ v).transpose(1, 0, 2).reshape(T, C)
            x = x + y @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
            h = gelu(ln(x, p + "ln_2") @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"])
            x = x + h @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
        logits = ln(x, "transformer.ln_f") @ w["transformer.wte.weight"].T
        print(json.dumps(logits.astype(float).ravel().tolist()))
        """;

    [Fact]
    public void OurFiles_RunInAnIndependentNumpyGpt2_WithTheSameLogits()
    {
        if (!File.Exists("/usr/bin/python3")) return;
        var probe = Run("/usr/bin/python3", "-c", "import numpy");
        if (probe.ExitCode != 0) return;                                       // no numpy (Debian's python3-numpy) on this machine
        using var scope = NewDisposeScope();
        using var gpt = Model();
        gpt.Save(_dir);
        long[] ids = [3, 14, 15, 9, 2, 6, 5];
        var script = Path.Combine(_dir, "gpt2.py");
        File.WriteAllText(script, NumpyGpt2);
        var (code, output) = Run("/usr/bin/python3", script, _dir, string.Join(',', ids));
        Assert.True(code == 0, output);
        var theirs = JsonSerializer.Deserialize<double[]>(output)!;
        var ours = gpt.forward(tensor(ids).unsqueeze(0))[0].reshape(-1).data<float>().ToArray();
        Assert.Equal(ours.Length, theirs.Length);
        for (int i = 0; i < ours.Length; i++) Assert.True(Math.Abs(ours[i] - theirs[i]) < 1e-4, string.Create(CultureInfo.InvariantCulture, $"logit {i}: ours {ours[i]}, numpy {theirs[i]}"));
    }

    private static (int ExitCode, string Output) Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr);
    }
}
