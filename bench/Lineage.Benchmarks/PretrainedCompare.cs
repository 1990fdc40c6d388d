using System.Diagnostics;
using System.Globalization;
using Lineage.Neural.Core;
using Lineage.Neural.Pretrained;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;

namespace Lineage.Benchmarks;

/// <summary>
/// <c>pretrained-compare FOLDER MODEL.onnx [ROUNDS]</c>: encoder throughput of our <see cref="SentenceEmbedder.Encode"/> on an
/// imported folder (<c>lineage pretrained import minilm</c>) beside an ONNX Runtime <see cref="InferenceSession"/> on the
/// package's own model.onnx, for 1 and 2 threads (libtorch's intra-op threads; ORT's IntraOpNumThreads, one inter-op
/// thread, sequential) and batches of 1 and 32 texts of exactly 128 tokens (no padding). The same ids go to both; each
/// side's time is the forward pass to last_hidden_state (tokenising is not timed). After one warm-up call each, ROUNDS
/// rounds (default 7) alternate ours and ORT, each timing enough calls for 32 texts (batch 1: 32 calls; batch 32: 1
/// call); prints each side's median sentences/s and the median over rounds of ours ÷ ORT in time (1.5 = ours takes 1.5×).
/// </summary>
internal static class PretrainedCompare
{
    private const int Sequence = 128;

    public static int Run(string[] args)
    {
        if (args.Length < 3) throw new ArgumentException("usage: pretrained-compare FOLDER MODEL.onnx [ROUNDS]");
        int rounds = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 7;
        bool passive = TorchRuntime.PreferPassiveWait();   // as `lineage bert embed` does, before libtorch loads
        using var embedder = SentenceEmbedder.Load(args[1]);
        // 32 different texts, each exactly 128 WordPieces: a paragraph of help text rotated word by word.
        var words = ("To insert a table into a text document, choose Table - Insert Table, then enter the number of rows and columns; " +
                     "the spam filter moves messages from unknown senders into a separate folder, where you can review them before they are deleted. " +
                     "Press Shift+F1 and point to a control to learn more about it, or open the Help menu and search the index for a keyword.").Split(' ');
        var texts = Enumerable.Range(0, 32).Select(k => string.Join(' ', Enumerable.Range(0, 4 * words.Length).Select(i => words[(i + k) % words.Length]))).ToList();
        var ids = texts.Select(t => embedder.Tokenize(t, Sequence)).ToList();
        if (ids.Any(x => x.Count != Sequence)) throw new InvalidOperationException("a text is shorter than 128 tokens");
        Console.WriteLine($"model {args[1]} vs {args[2]}; sequence {Sequence}; {rounds} rounds; {Environment.ProcessorCount} cores; load {Load()}; OpenMP wait {(passive ? "passive" : "default")}");
        Console.WriteLine("threads  batch   ours sent/s   ORT sent/s   ours/ORT time (median, min-max)");
        foreach (int threads in new[] { 1, 2 })
        {
            torch.set_num_threads(threads);
            using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
            using var session = new InferenceSession(args[2], options);
            foreach (int batch in new[] { 1, 32 })
            {
                var batches = Enumerable.Range(0, 32 / batch).Select(b => (IReadOnlyList<IReadOnlyList<int>>)ids.Skip(b * batch).Take(batch).ToList()).ToList();
                void Ours()
                {
                    foreach (var b in batches)
                    {
                        var (h, m) = embedder.Encode(b);
                        h.Dispose();
                        m.Dispose();
                    }
                }

                var feeds = batches.Select(Feed).ToList();
                void Ort()
                {
                    foreach (var f in feeds)
                    {
                        using var run = new RunOptions();
                        using var outputs = session.Run(run, ["input_ids", "attention_mask", "token_type_ids"], f, ["last_hidden_state"]);
                    }
                }

                Ours();
                Ort();
                var ours = new List<double>();
                var ort = new List<double>();
                for (int r = 0; r < rounds; r++)
                {
                    ours.Add(Time(Ours));
                    ort.Add(Time(Ort));
                }

                var ratios = ours.Zip(ort, (a, b) => a / b).ToList();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{threads,7}  {batch,5}  {32 / Median(ours),12:0.0}  {32 / Median(ort),11:0.0}   {Median(ratios):0.00} ({ratios.Min():0.00}-{ratios.Max():0.00})"));
                foreach (var f in feeds)
                    foreach (var v in f) v.Dispose();
            }
        }

        Console.WriteLine($"load after: {Load()}");
        return 0;
    }

    private static OrtValue[] Feed(IReadOnlyList<IReadOnlyList<int>> batch)
    {
        int t = batch[0].Count;
        var ids = batch.SelectMany(x => x.Select(i => (long)i)).ToArray();
        long[] shape = [batch.Count, t];
        return [OrtValue.CreateTensorValueFromMemory(ids, shape), OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, ids.Length).ToArray(), shape),
            OrtValue.CreateTensorValueFromMemory(new long[ids.Length], shape)];
    }

    private static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> values)
    {
        var s = values.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[(s.Count / 2) - 1] + s[s.Count / 2]) / 2;
    }

    private static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}

/// <summary>
/// <c>pretrained-embed-ort FOLDER MODEL.onnx FILE [THREADS]</c>: what <c>lineage bert embed FOLDER --file FILE --pooling mean</c>
/// does, with ONNX Runtime in place of our encoder: the folder's WordPiece ([CLS] … [SEP], cut to its max_seq_length),
/// batches of 32 padded to their longest, masked mean, L2-normalised; prints each vector's first values. For timing the
/// whole cold process beside the CLI (bench/pretrained/cli.sh).
/// </summary>
internal static class PretrainedEmbedOrt
{
    public static int Run(string[] args)
    {
        if (args.Length < 4) throw new ArgumentException("usage: pretrained-embed-ort FOLDER MODEL.onnx FILE [THREADS]");
        int threads = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : Environment.ProcessorCount;
        var tokenizer = Lineage.Text.Tokenization.WordPiece.Load(Path.Combine(args[1], PretrainedModels.VocabName));
        var sentence = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(args[1], SentenceEmbedder.SentenceConfigName)))!;
        int max = (int)sentence["max_seq_length"]!;
        var texts = File.ReadLines(args[3]).Where(l => !string.IsNullOrWhiteSpace(l)).ToList();
        using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        using var session = new InferenceSession(args[2], options);
        var output = new System.Text.StringBuilder();
        for (int start = 0; start < texts.Count; start += 32)
        {
            var batch = texts.Skip(start).Take(32).Select(t => (long[])[tokenizer.ClsTokenId, .. tokenizer.Encode(t).Take(max - 2).Select(i => (long)i), tokenizer.SepTokenId]).ToList();
            int t = batch.Max(x => x.Length);
            var ids = new long[batch.Count * t];
            var mask = new long[batch.Count * t];
            for (int b = 0; b < batch.Count; b++)
                for (int i = 0; i < t; i++)
                    (ids[(b * t) + i], mask[(b * t) + i]) = i < batch[b].Length ? (batch[b][i], 1L) : (tokenizer.PadTokenId, 0L);
            long[] shape = [batch.Count, t];
            using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
            using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
            using var typesValue = OrtValue.CreateTensorValueFromMemory(new long[ids.Length], shape);
            using var run = new RunOptions();
            using var outputs = session.Run(run, ["input_ids", "attention_mask", "token_type_ids"], [idsValue, maskValue, typesValue], ["last_hidden_state"]);
            var h = outputs[0].GetTensorDataAsSpan<float>();
            int c = h.Length / (batch.Count * t);
            for (int b = 0; b < batch.Count; b++)
            {
                var v = new double[c];
                int n = batch[b].Length;
                for (int i = 0; i < n; i++)
                    for (int k = 0; k < c; k++) v[k] += h[(((b * t) + i) * c) + k];
                double norm = Math.Max(Math.Sqrt(v.Sum(x => x * x)), 1e-12);
                output.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{n} tokens: {v[0] / norm:0.0000} {v[1] / norm:0.0000} {v[2] / norm:0.0000} …"));
            }
        }

        Console.Write(output);
        return 0;
    }
}
