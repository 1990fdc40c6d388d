using System.Diagnostics;
using System.Globalization;
using Lineage.Text.Encodings;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Text;

namespace Lineage.Benchmarks;

/// <summary>
/// <c>encodings-compare DIR [REPEATS] [lineage|mlnet|all]</c>: fit-transform and transform throughput of Lineage's
/// TF-IDF vectorizer (1 thread and all cores) and of ML.NET's text featurizer on the same documents, best of REPEATS
/// runs each (wall and CPU seconds). bench/encodings/compare.sh runs each system in its own process (for its peak
/// memory) beside scikit-learn and prints the ratios. PROFILE=1 adds a per-phase breakdown of Lineage's time.
/// </summary>
internal static class EncodingsCompare
{
    public static int Run(string[] args)
    {
        var dir = args.Length > 1 ? args[1] : "data/spamassassin";
        int repeats = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5;
        string which = args.Length > 3 ? args[3] : "all";
        var docs = DocumentReader.Read(dir).Texts;
        double mb = docs.Sum(d => (double)System.Text.Encoding.UTF8.GetByteCount(d)) / 1e6;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"documents {docs.Count} MB {mb:0.00}"));

        void Report(string name, Func<object> work)
        {
            double best = double.MaxValue, bestCpu = double.MaxValue;
            object? last = null;
            using var self = Process.GetCurrentProcess();
            for (int r = 0; r < repeats; r++)
            {
                GC.Collect();
                self.Refresh();
                var cpu = self.TotalProcessorTime;
                var clock = Stopwatch.StartNew();
                last = work();
                best = Math.Min(best, clock.Elapsed.TotalSeconds);
                self.Refresh();
                bestCpu = Math.Min(bestCpu, (self.TotalProcessorTime - cpu).TotalSeconds);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name} seconds {best:0.0000} cpu_seconds {bestCpu:0.0000} docs_per_s {docs.Count / best:0} mb_per_s {mb / best:0.00} {Describe(last)}"));
        }

        if (Environment.GetEnvironmentVariable("PROFILE") == "1")
        {
            var an = new Lineage.Text.Tokenization.TextAnalyzer();
            var buffers = new Lineage.Text.Tokenization.AnalyzerBuffers();
            Report("analyze only", () =>
            {
                var sink = new NullSink();
                foreach (var d in docs) an.Analyze(d, buffers, ref sink);
                return sink.N;
            });
            Report("count only", () => new CountVectorizer().FitTransform(docs, 1));
            var cv = new CountVectorizer();
            cv.Fit(docs);
            Report("count transform only", () => cv.Transform(docs, 1));
            var vocab = cv.Vocabulary;
            Report("lookup only", () =>
            {
                var sink = new LookupSink { V = vocab };
                foreach (var d in docs) an.Analyze(d, buffers, ref sink);
                return sink.N;
            });
            var table = new TermTable();
            foreach (var t in vocab.Terms) table.GetOrAdd(t);
            Report("table lookup only", () =>
            {
                var sink = new TableSink { T = table };
                foreach (var d in docs) an.Analyze(d, buffers, ref sink);
                return sink.N;
            });
            Report("hash only", () =>
            {
                var sink = new HashSink();
                foreach (var d in docs) an.Analyze(d, buffers, ref sink);
                return sink.N;
            });
            var counts = cv.Transform(docs, 1);
            var tt = new TfidfTransformer().Fit(counts);
            Report("tfidf weighting only", () => tt.Transform(counts));
        }

        if (which is "lineage" or "all") Lineage(docs, Report);
        if (which is "mlnet" or "all") MlNet(docs, Report);
        return 0;
    }

    private static void Lineage(IReadOnlyList<string> docs, Action<string, Func<object>> Report)
    {
        var fitted = new TfidfVectorizer();
        fitted.Fit(docs);
        Report("lineage fit_transform threads=1", () => new TfidfVectorizer().FitTransform(docs, 1));
        Report("lineage transform threads=1", () => fitted.Transform(docs, 1));
        Report($"lineage fit_transform threads={Environment.ProcessorCount}", () => new TfidfVectorizer().FitTransform(docs, Environment.ProcessorCount));
        Report($"lineage transform threads={Environment.ProcessorCount}", () => fitted.Transform(docs, Environment.ProcessorCount));
    }

    private static void MlNet(IReadOnlyList<string> docs, Action<string, Func<object>> Report)
    {

        // ML.NET: word unigrams, TF-IDF weighting, L2 norm, no char n-grams: the closest to scikit-learn's defaults.
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(docs.Select(d => new Doc { Text = d }));
        var options = new TextFeaturizingEstimator.Options
        {
            CaseMode = TextNormalizingEstimator.CaseMode.Lower,
            KeepDiacritics = true,
            KeepPunctuations = false,
            KeepNumbers = true,
            CharFeatureExtractor = null,
            WordFeatureExtractor = new WordBagEstimator.Options { NgramLength = 1, UseAllLengths = false, Weighting = NgramExtractingEstimator.WeightingCriteria.TfIdf },
            Norm = TextFeaturizingEstimator.NormFunction.L2,
        };
        var pipeline = ml.Transforms.Text.FeaturizeText("Features", options, nameof(Doc.Text));
        Report("mlnet fit_transform", () =>
        {
            var model = pipeline.Fit(data);
            return Consume(model.Transform(data));
        });
        var mlModel = pipeline.Fit(data);
        Report("mlnet transform", () => Consume(mlModel.Transform(data)));
    }

    private static string Describe(object? o) => o switch
    {
        CsrMatrix<double> m => string.Create(CultureInfo.InvariantCulture, $"shape {m.Rows}x{m.Columns} nnz {m.Nnz}"),
        long n => string.Create(CultureInfo.InvariantCulture, $"nnz {n}"),
        _ => "",
    };

    // ML.NET is lazy: the features exist only once every row is read.
    private static long Consume(IDataView view)
    {
        long nnz = 0;
        var column = view.Schema["Features"];
        using var cursor = view.GetRowCursor([column]);
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        var buffer = default(VBuffer<float>);
        while (cursor.MoveNext())
        {
            getter(ref buffer);
            nnz += buffer.GetValues().Length;
        }

        return nnz;
    }

    private struct NullSink : Lineage.Text.Tokenization.ITermSink
    {
        public long N;

        public void Add(ReadOnlySpan<char> term) => N += term.Length;
    }

    private struct LookupSink : Lineage.Text.Tokenization.ITermSink
    {
        public Vocabulary V;
        public long N;

        public void Add(ReadOnlySpan<char> term) => N += V.IndexOf(term);
    }

    private struct TableSink : Lineage.Text.Tokenization.ITermSink
    {
        public TermTable T;
        public long N;

        public void Add(ReadOnlySpan<char> term) => N += T.Find(term);
    }

    private struct HashSink : Lineage.Text.Tokenization.ITermSink
    {
        public long N;

        public void Add(ReadOnlySpan<char> term) => N += TermTable.Hash(term);
    }

    private sealed class Doc
    {
        public string Text { get; set; } = "";
    }
}
