// Co-occurrence counting for GloVe (Pennington et al. 2014, §3 and §4.2; Stanford's cooccur.c):
// X_ij = Σ over occurrences of j within `window` words of i of 1/distance, symmetric, within a line.
//
// Memory-bounded like cooccur.c: pairs whose frequency ranks multiply to less than a bound P (sized to a quarter of
// the budget; cooccur.c's max_product) are summed in a dense array, row a holding columns a ≤ b < P/(a+1) — most
// token pairs involve a frequent word, so most increments land there; all other pairs go to a hash map which, when it reaches its share of the budget,
// is sorted and written to a temporary shard. The shards and the in-memory part are then merged in (i, j) order,
// summing duplicates. X is symmetric, so only the upper triangle (i ≤ j) is stored (12 bytes an entry); the trainer
// uses each entry in both directions.
using System.Runtime.InteropServices;

namespace Lineage.Text.Embeddings.Glove;

/// <summary>A sparse symmetric co-occurrence matrix: its upper triangle (row ≤ column) as parallel arrays sorted by (row, column).</summary>
public sealed class CooccurrenceMatrix
{
    internal CooccurrenceMatrix(int[] rows, int[] cols, float[] values, int spilledShards)
    {
        Rows = rows;
        Cols = cols;
        Values = values;
        SpilledShards = spilledShards;
    }

    /// <summary>Row (word) of each entry.</summary>
    public int[] Rows { get; }

    /// <summary>Column (context word) of each entry.</summary>
    public int[] Cols { get; }

    /// <summary>X_ij, the distance-weighted count.</summary>
    public float[] Values { get; }

    /// <summary>Stored entries (upper triangle, diagonal included).</summary>
    public int Count => Rows.Length;

    /// <summary>How many shards were spilled to disk (0 when everything fit the budget).</summary>
    public int SpilledShards { get; }

    /// <summary>X_ij (symmetric), by binary search.</summary>
    public double Get(int i, int j)
    {
        long key = Key(Math.Min(i, j), Math.Max(i, j));
        int lo = 0, hi = Rows.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            long k = Key(Rows[mid], Cols[mid]);
            if (k == key)
            {
                return Values[mid];
            }

            if (k < key)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return 0;
    }

    private static long Key(int a, int b) => ((long)a << 32) | (uint)b;

    /// <summary>Counts co-occurrences in a corpus.</summary>
    /// <param name="corpus">The tokenised corpus.</param>
    /// <param name="window">Words on each side.</param>
    /// <param name="memoryMb">Budget for the counting structures, in MiB.</param>
    /// <param name="tempDirectory">Where shards go (null: the system temp folder); they are deleted afterwards.</param>
    /// <param name="cancellation">Checked between sentences.</param>
    public static CooccurrenceMatrix Build(EmbeddingCorpus corpus, int window, int memoryMb, string? tempDirectory = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        long budget = (long)memoryMb << 20;
        int v = corpus.Vocabulary.Count;

        // Dense region: row a (a ≤ b) holds columns a..rowEnd[a]−1, rowEnd[a] = min(V, P/(a+1)), within a quarter of the budget.
        var (rowStart, rowEnd) = DenseLayout(v, budget / 4 / sizeof(float));
        var dense = new float[rowStart[^1]];
        // Sparse map: about 40 bytes an entry (key, value, bucket, slack) in the remaining budget.
        long maxSparse = Math.Max(1024, (budget - dense.LongLength * 4 - v * 12L) / 40);
        var sparse = new Dictionary<long, float>((int)Math.Min(maxSparse, 1 << 20), MixedKeyComparer.Instance);
        var shards = new List<string>();
        var dir = tempDirectory ?? Path.GetTempPath();
        Directory.CreateDirectory(dir);
        try
        {
            var tokens = corpus.Tokens;
            int start = 0;
            for (int s = 0; s < corpus.SentenceEnds.Length; s++)
            {
                if ((s & 1023) == 0)
                {
                    cancellation.ThrowIfCancellationRequested();
                }

                int end = corpus.SentenceEnds[s];
                for (int p = start; p < end; p++)
                {
                    int w2 = tokens[p];
                    for (int q = Math.Max(start, p - window); q < p; q++)
                    {
                        int w1 = tokens[q];
                        float inc = 1f / (p - q);
                        int a = Math.Min(w1, w2), b = Math.Max(w1, w2);
                        if (b < rowEnd[a])
                        {
                            dense[rowStart[a] + (b - a)] += inc;
                        }
                        else
                        {
                            CollectionsMarshal.GetValueRefOrAddDefault(sparse, ((long)a << 32) | (uint)b, out _) += inc;
                            if (sparse.Count >= maxSparse)
                            {
                                shards.Add(Spill(sparse, dir));
                                sparse.Clear();
                            }
                        }
                    }
                }

                start = end;
            }

            // The in-memory part as one sorted run, then a k-way merge with the shards.
            var runs = new List<IEnumerator<(long Key, float Value)>> { InMemory(dense, rowStart, rowEnd, sparse).GetEnumerator() };
            runs.AddRange(shards.Select(f => ReadShard(f).GetEnumerator()));
            var (rows, cols, values) = Merge(runs);
            return new CooccurrenceMatrix(rows, cols, values, shards.Count);
        }
        finally
        {
            foreach (var f in shards)
            {
                File.Delete(f);
            }
        }
    }

    /// <summary>The largest rank-product bound P whose dense rows fit <paramref name="maxFloats"/>; row starts (V+1 entries) and ends.</summary>
    private static (long[] RowStart, int[] RowEnd) DenseLayout(int v, long maxFloats)
    {
        static long Size(int v, long p)
        {
            long size = 0;
            for (int a = 0; a < v; a++)
            {
                long end = Math.Min(v, p / (a + 1));
                if (end <= a)
                {
                    break;
                }

                size += end - a;
            }

            return size;
        }

        long lo = 1, hi = (long)v * v + 1;
        while (lo < hi)
        {
            long mid = lo + (hi - lo + 1) / 2;
            if (Size(v, mid) <= Math.Min(maxFloats, Array.MaxLength))
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        var rowStart = new long[v + 1];
        var rowEnd = new int[v];
        for (int a = 0; a < v; a++)
        {
            rowEnd[a] = (int)Math.Max(a, Math.Min(v, lo / (a + 1)));
            rowStart[a + 1] = rowStart[a] + (rowEnd[a] - a);
        }

        return (rowStart, rowEnd);
    }

    /// <summary>The dense triangle (already in key order) merged with the sorted sparse map.</summary>
    private static IEnumerable<(long, float)> InMemory(float[] dense, long[] rowStart, int[] rowEnd, Dictionary<long, float> sparse)
    {
        var keys = new long[sparse.Count];
        sparse.Keys.CopyTo(keys, 0);
        Array.Sort(keys);
        var values = new float[keys.Length];
        for (int k = 0; k < keys.Length; k++)
        {
            values[k] = sparse[keys[k]];
        }

        sparse.Clear();
        sparse.TrimExcess();
        int j = 0;
        for (int a = 0; a < rowEnd.Length; a++)
        {
            long offset = rowStart[a];
            for (int b = a; b < rowEnd[a]; b++)
            {
                float x = dense[offset + (b - a)];
                if (x == 0)
                {
                    continue;
                }

                long key = Key(a, b);
                while (j < keys.Length && keys[j] < key)
                {
                    yield return (keys[j], values[j]);
                    j++;
                }

                yield return (key, x);
            }
        }

        for (; j < keys.Length; j++)
        {
            yield return (keys[j], values[j]);
        }
    }

    private static string Spill(Dictionary<long, float> sparse, string dir)
    {
        var keys = new long[sparse.Count];
        sparse.Keys.CopyTo(keys, 0);
        Array.Sort(keys);
        var path = Path.Combine(dir, $"lineage-cooccur-{Environment.ProcessId}-{Guid.NewGuid():N}.bin");
        using var w = new BinaryWriter(new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16));
        foreach (var key in keys)
        {
            w.Write(key);
            w.Write(sparse[key]);
        }

        return path;
    }

    private static IEnumerable<(long, float)> ReadShard(string path)
    {
        using var r = new BinaryReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16));
        long length = r.BaseStream.Length;
        while (r.BaseStream.Position < length)
        {
            yield return (r.ReadInt64(), r.ReadSingle());
        }
    }

    /// <summary>
    /// long.GetHashCode is hi ^ lo, which for (a &lt;&lt; 32 | b) with small ids collides massively (a ^ b &lt; 65536);
    /// a Fibonacci multiply spreads the keys.
    /// </summary>
    private sealed class MixedKeyComparer : IEqualityComparer<long>
    {
        public static readonly MixedKeyComparer Instance = new();

        public bool Equals(long x, long y) => x == y;

        public int GetHashCode(long key) => (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> 32);
    }

    /// <summary>k-way merge of sorted runs, summing equal keys, into (row, column, value) arrays.</summary>
    private static (int[] Rows, int[] Cols, float[] Values) Merge(List<IEnumerator<(long Key, float Value)>> runs)
    {
        var heap = new PriorityQueue<int, long>();
        for (int r = 0; r < runs.Count; r++)
        {
            if (runs[r].MoveNext())
            {
                heap.Enqueue(r, runs[r].Current.Key);
            }
        }

        int capacity = 1 << 16, n = 0;
        var rows = new int[capacity];
        var cols = new int[capacity];
        var values = new float[capacity];
        long last = -1;
        while (heap.TryDequeue(out int r, out long key))
        {
            float value = runs[r].Current.Value;
            if (key == last)
            {
                values[n - 1] += value;
            }
            else
            {
                if (n == capacity)
                {
                    capacity = (int)Math.Min(Array.MaxLength, capacity * 2L);
                    Array.Resize(ref rows, capacity);
                    Array.Resize(ref cols, capacity);
                    Array.Resize(ref values, capacity);
                }

                rows[n] = (int)(key >> 32);
                cols[n] = (int)(key & 0xFFFFFFFF);
                values[n++] = value;
                last = key;
            }

            if (runs[r].MoveNext())
            {
                heap.Enqueue(r, runs[r].Current.Key);
            }
        }

        foreach (var run in runs)
        {
            run.Dispose();
        }

        // The diagonal holds both directions of a self-pair (cooccur.c adds (w1,w2) and (w2,w1)).
        for (int k = 0; k < n; k++)
        {
            if (rows[k] == cols[k])
            {
                values[k] *= 2;
            }
        }

        return (rows[..n], cols[..n], values[..n]);
    }
}
