using BenchmarkDotNet.Attributes;
using Lineage.Data.Catalog;
using Lineage.Text.Encodings;
using Lineage.Text.Tokenization;

namespace Lineage.Benchmarks;

/// <summary>
/// TF-IDF on the 6,047 SpamAssassin files (33.7 MB): fit-transform and transform, 1 thread and all cores, against
/// tokenising alone (the baseline: the part no vectorizer can skip). The comparison with scikit-learn and ML.NET, in
/// separate processes, is bench/encodings/compare.sh.
/// </summary>
[MemoryDiagnoser]
public class EncodingsBenchmarks
{
    private IReadOnlyList<string> _docs = [];
    private TfidfVectorizer _fitted = new();
    private readonly TextAnalyzer _analyzer = new();
    private readonly AnalyzerBuffers _buffers = new();

    [GlobalSetup]
    public void Setup()
    {
        var dir = new DataStore(DataStore.DefaultRoot()).Require(DataCatalog.SpamAssassin);
        _docs = DocumentReader.Read(dir).Texts;
        _fitted = new TfidfVectorizer().Fit(_docs);
    }

    [Benchmark(Baseline = true)]
    public long TokeniseOnly()
    {
        var sink = new LengthSink();
        foreach (var d in _docs) _analyzer.Analyze(d, _buffers, ref sink);
        return sink.Total;
    }

    [Benchmark]
    public int FitTransformOneThread() => new TfidfVectorizer().FitTransform(_docs, 1).Nnz;

    [Benchmark]
    public int TransformOneThread() => _fitted.Transform(_docs, 1).Nnz;

    [Benchmark]
    public int FitTransformAllCores() => new TfidfVectorizer().FitTransform(_docs, Environment.ProcessorCount).Nnz;

    private struct LengthSink : ITermSink
    {
        public long Total;

        public void Add(ReadOnlySpan<char> term) => Total += term.Length;
    }
}
