using System.Text;
using Lineage.Text.Encodings;

namespace Lineage.Text.Tests.Encodings;

/// <summary>Tests that measure the process's memory (managed heap and the native term tables), so they run alone (other tests' allocations would count).</summary>
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

        // The term table's slots and characters are native; other tests' tables are freed by finalizers first.
        static long Held()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            return GC.GetTotalMemory(true) + HugePages.LiveBytes;
        }


        long before = Held();
        var v = new CountVectorizer();
        var x = v.FitTransform(docs);
        Assert.Equal(1_000_000, v.Vocabulary.Count);
        Assert.Equal(1_000_000, x.Nnz);
        Assert.Equal(100L * 1_000_000 * 8, x.DenseBytes);                     // 800 MB dense: never allocated
        long used = Held() - before;
        Assert.True(used < 250_000_000, $"{used:N0} bytes held after the fit");          // dense would be 800 MB
        GC.KeepAlive(x);
        GC.KeepAlive(v);
    }

    [Fact]
    public void HugePageArray_IsZeroed_Copies_AndCountsWhatItHolds()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();   // other tests' tables, freed now rather than during this test
        long before = HugePages.LiveBytes;
        foreach (int length in new[] { 0, 100, 3 << 20 })   // small (calloc) and 12 MiB (a mapping in huge pages on Linux)
        {
            using var a = new HugePageArray<int>(length);
            Assert.Equal(length, a.Length);
            Assert.True(a.AsSpan().IndexOfAnyExcept(0) < 0, "not zeroed");
            Assert.True(HugePages.LiveBytes - before >= 4L * length);
            if (length == 0) continue;
            a.AsSpan().Fill(7);
            using var b = a.CopyTo(2 * length, length);
            Assert.True(b.AsSpan(0, length).IndexOfAnyExcept(7) < 0, "contents not kept");
            Assert.True(b.AsSpan(length, length).IndexOfAnyExcept(0) < 0, "new part not zeroed");
            Assert.Throws<ArgumentOutOfRangeException>(() => b.AsSpan(length, length + 1));
        }

        Assert.Equal(before, HugePages.LiveBytes);
    }

    [Fact]
    public void NewArray_HasTheLengthAskedFor_AndHoldsWhatIsWritten()
    {
        foreach (int length in new[] { 0, 10, 3 << 20 })   // below and above the 4 MiB where huge pages are advised
        {
            var a = HugePages.NewArray<double>(length);
            Assert.Equal(length, a.Length);
            for (int i = 0; i < length; i++) a[i] = i;
            Assert.Equal(length == 0 ? 0 : length - 1, length == 0 ? 0 : a[^1]);
        }
    }
}
