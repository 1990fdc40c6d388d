using System.Text;
using Lineage.Text.Encodings;

namespace Lineage.Text.Tests.Encodings;

/// <summary>Tests that measure the process's managed heap, so they run alone (other tests' allocations would count).</summary>
[CollectionDefinition(nameof(MemoryTests), DisableParallelization = true)]
public sealed class RunsAlone;

[Collection(nameof(MemoryTests))]
public class MemoryTests
{
    [Fact]
    public void AMillionDistinctTokens_MemoryStaysProportionalToNnz()
    {
        var sb = new StringBuilder();
        var docs = new List<string>();
        for (int d = 0; d < 100; d++)
        {
            sb.Clear();
            for (int t = 0; t < 10_000; t++) sb.Append('t').Append(d * 10_000 + t).Append(' ');
            docs.Add(sb.ToString());
        }

        long before = GC.GetTotalMemory(true);
        var v = new CountVectorizer();
        var x = v.FitTransform(docs);
        Assert.Equal(1_000_000, v.Vocabulary.Count);
        Assert.Equal(1_000_000, x.Nnz);
        Assert.Equal(100L * 1_000_000 * 8, x.DenseBytes);                     // 800 MB dense: never allocated
        long used = GC.GetTotalMemory(true) - before;
        Assert.True(used < 250_000_000, $"{used:N0} bytes held after the fit");          // dense would be 800 MB
        GC.KeepAlive(x);
        GC.KeepAlive(v);
    }
}
