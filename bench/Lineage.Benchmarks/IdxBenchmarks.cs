using System.IO.Compression;
using BenchmarkDotNet.Attributes;
using Lineage.Data.Catalog;
using Lineage.Data.Idx;

namespace Lineage.Benchmarks;

/// <summary>Reading Fashion-MNIST's test images: our IDX reader against a plain GZipStream copy (the floor).</summary>
[MemoryDiagnoser]
public class IdxBenchmarks
{
    private string _path = "";

    [GlobalSetup]
    public void Setup()
    {
        var dir = new DataStore(DataStore.DefaultRoot()).Require(DataCatalog.FashionMnist);
        _path = Path.Combine(dir, "t10k-images-idx3-ubyte.gz");
    }

    [Benchmark(Baseline = true)]
    public long GunzipOnly()
    {
        using var gz = new GZipStream(File.OpenRead(_path), CompressionMode.Decompress);
        using var sink = new MemoryStream();
        gz.CopyTo(sink);
        return sink.Length;
    }

    [Benchmark]
    public int ReadImages() => IdxReader.ReadImages(_path).Count;
}
