namespace Lineage.Text.Tokenization;

/// <summary>
/// The training loop shared by byte-level BPE and WordPiece: words as symbol sequences with counts; repeatedly merge the
/// most frequent adjacent pair (ties: the pair first in ordinal order), updating only the words that hold it.
/// </summary>
internal static class PairMerges
{
    /// <summary>Learns up to <paramref name="maxMerges"/> merges; <paramref name="symbols"/> is rewritten in place.</summary>
    /// <param name="symbols">Each distinct word as its symbols.</param>
    /// <param name="freq">How often each word occurs.</param>
    /// <param name="maxMerges">Most merges to learn.</param>
    /// <param name="minPairCount">Stop when the best pair occurs fewer times.</param>
    /// <param name="join">The symbol a merged pair becomes.</param>
    /// <param name="cancellation">Checked between merges.</param>
    /// <returns>The merges, in the order learnt.</returns>
    public static List<(string Left, string Right)> Learn(List<string>[] symbols, long[] freq, int maxMerges, int minPairCount,
        Func<string, string, string> join, CancellationToken cancellation)
    {
        var pairCount = new Dictionary<(string, string), long>();
        var pairWords = new Dictionary<(string, string), HashSet<int>>();
        for (int w = 0; w < symbols.Length; w++) AddPairs(w, +1);

        var merges = new List<(string, string)>();
        var queue = new PriorityQueue<(string, string), (long, string, string)>(Comparer<(long Count, string L, string R)>.Create((a, b) =>
        {
            int c = b.Count.CompareTo(a.Count);
            if (c != 0) return c;
            c = string.CompareOrdinal(a.L, b.L);
            return c != 0 ? c : string.CompareOrdinal(a.R, b.R);
        }));
        foreach (var (pair, count) in pairCount) queue.Enqueue(pair, (count, pair.Item1, pair.Item2));
        while (merges.Count < maxMerges && queue.TryDequeue(out var best, out var priority))
        {
            cancellation.ThrowIfCancellationRequested();
            if (!pairCount.TryGetValue(best, out long current) || current != priority.Item1) continue;   // stale entry
            if (current < minPairCount) break;
            merges.Add(best);
            string joined = join(best.Item1, best.Item2);
            var touched = new HashSet<(string, string)>();
            foreach (int w in pairWords[best].ToArray())
            {
                AddPairs(w, -1, touched);
                var s = symbols[w];
                for (int i = 0; i + 1 < s.Count; i++)
                {
                    if (s[i] == best.Item1 && s[i + 1] == best.Item2)
                    {
                        s[i] = joined;
                        s.RemoveAt(i + 1);
                    }
                }

                AddPairs(w, +1, touched);
            }

            foreach (var p in touched)
            {
                if (pairCount.TryGetValue(p, out long c) && c > 0) queue.Enqueue(p, (c, p.Item1, p.Item2));
            }
        }

        return merges;

        void AddPairs(int w, int sign, HashSet<(string, string)>? touched = null)
        {
            var s = symbols[w];
            for (int i = 0; i + 1 < s.Count; i++)
            {
                var p = (s[i], s[i + 1]);
                long c = pairCount.GetValueOrDefault(p) + sign * freq[w];
                if (c == 0) pairCount.Remove(p);
                else pairCount[p] = c;
                if (sign > 0)
                {
                    if (!pairWords.TryGetValue(p, out var set)) pairWords[p] = set = [];
                    set.Add(w);
                }

                touched?.Add(p);
            }
        }
    }
}
