using System.Globalization;
using Lineage.Text.Tokenization;

namespace Lineage.Text.Encodings;

/// <summary>The characters of term <paramref name="id"/> (valid until the source changes).</summary>
internal delegate ReadOnlySpan<char> TermAt(int id);

/// <summary>Fills <paramref name="keys"/>[i] with <see cref="CountVectorizer.CodePointKey"/> of term <paramref name="ids"/>[i] at <paramref name="offset"/>.</summary>
internal delegate void CodePointKeys(ReadOnlySpan<int> ids, int offset, Span<ulong> keys);

/// <summary>What <c>Transform</c> does with a term that has no column.</summary>
public enum UnknownTerms
{
    /// <summary>Skip it, as scikit-learn does (count them with the <c>unknownTerms</c> overload).</summary>
    Ignore,
    /// <summary>Throw, naming the document and the term.</summary>
    Error,
}

/// <summary>Settings of a count (bag-of-words) vectorizer; the defaults are scikit-learn's <c>CountVectorizer()</c>.</summary>
public sealed record CountVectorizerOptions
{
    /// <summary>Tokenisation and n-grams.</summary>
    public TextAnalyzer Analyzer { get; init; } = new();

    /// <summary>Record presence (1) instead of counts.</summary>
    public bool Binary { get; init; }

    /// <summary>Drop terms in fewer documents than this (<c>min_df</c>, default 1 document).</summary>
    public DocumentFrequency MinDf { get; init; } = DocumentFrequency.Documents(1);

    /// <summary>Drop terms in more documents than this (<c>max_df</c>, default the fraction 1.0).</summary>
    public DocumentFrequency MaxDf { get; init; } = DocumentFrequency.Fraction(1.0);

    /// <summary>Keep only the most frequent terms over the corpus (<c>max_features</c>); ties go to the term first in code-point order.</summary>
    public int? MaxFeatures { get; init; }

    /// <summary>What transforming a term with no column does.</summary>
    public UnknownTerms Unknown { get; init; } = UnknownTerms.Ignore;
}

/// <summary>
/// Bag-of-words: each document becomes the counts of its terms over a fitted vocabulary, as scikit-learn's
/// <c>CountVectorizer</c> does (same terms, same column order, same counts). Order within the document is lost:
/// "dog bites man" and "man bites dog" get the same vector unless bigrams are counted.
/// </summary>
/// <remarks>
/// The inner loop allocates nothing per known term: the analyzer hands spans to a dictionary looked up by span.
/// With <c>threads</c> &gt; 1 the documents are split into contiguous chunks counted in parallel and merged; the result
/// does not depend on the number of threads.
/// </remarks>
public sealed class CountVectorizer
{
    private Vocabulary? _vocabulary;

    /// <summary>A vectorizer with these settings (unfitted).</summary>
    public CountVectorizer(CountVectorizerOptions? options = null)
    {
        Options = options ?? new CountVectorizerOptions();
        if (Options.MaxFeatures is < 1) throw new ArgumentOutOfRangeException(nameof(options), Options.MaxFeatures, "max_features must be at least 1.");
    }

    /// <summary>A fitted vectorizer from a saved vocabulary.</summary>
    public CountVectorizer(CountVectorizerOptions options, Vocabulary vocabulary) : this(options)
    {
        _vocabulary = vocabulary ?? throw new ArgumentNullException(nameof(vocabulary));
    }

    /// <summary>The settings.</summary>
    public CountVectorizerOptions Options { get; }

    /// <summary>Whether <see cref="Fit"/> has run.</summary>
    public bool IsFitted => _vocabulary is not null;

    /// <summary>The fitted vocabulary.</summary>
    /// <exception cref="InvalidOperationException">Not fitted yet.</exception>
    public Vocabulary Vocabulary => _vocabulary ?? throw new InvalidOperationException("This vectorizer is not fitted yet: call Fit or FitTransform first.");

    /// <summary>Number of terms dropped by min_df, max_df and max_features in the last fit (scikit-learn's <c>stop_words_</c>, counted).</summary>
    public int PrunedTerms { get; private set; }

    /// <summary>Learns the vocabulary.</summary>
    public CountVectorizer Fit(IReadOnlyList<string> documents, int threads = 1, CancellationToken cancellation = default)
    {
        FitTransform(documents, threads, cancellation);
        return this;
    }

    /// <summary>Learns the vocabulary and returns the document-term count matrix (rows = documents in order).</summary>
    /// <param name="documents">The documents (empty ones give empty rows).</param>
    /// <param name="threads">Threads to count with.</param>
    /// <exception cref="ArgumentException">No documents, an empty vocabulary, or nothing left after pruning.</exception>
    /// <param name="cancellation">Checked every 256 documents.</param>
    public CsrMatrix<double> FitTransform(IReadOnlyList<string> documents, int threads = 1, CancellationToken cancellation = default) =>
        FitTransform(documents, threads, cancellation, out _);

    /// <summary>As <see cref="FitTransform(IReadOnlyList{string}, int, CancellationToken)"/>, also giving each column's document frequency.</summary>
    internal CsrMatrix<double> FitTransform(IReadOnlyList<string> documents, int threads, CancellationToken cancellation, out int[] documentFrequencies)
    {
        ArgumentNullException.ThrowIfNull(documents);
        if (documents.Count == 0) throw new ArgumentException("No documents to fit: the corpus is empty.", nameof(documents));
        var chunks = Count(documents, threads, fixedVocabulary: null, UnknownTerms.Ignore, spills: null, cancellation);
        bool totals = Options.MaxFeatures is not null;
        foreach (var chunk in chunks) chunk.AddFrequencies(Options.Binary, totals);
        var fit = Prune(chunks, documents, totals);
        documentFrequencies = fit.DocumentFrequencies;
        return AssembleAndRelease(chunks, documents.Count, fit.DocumentFrequencies.Length, fit.Maps, dropsEntries: PrunedTerms > 0);
    }

    /// <summary>
    /// Learns the vocabulary as <see cref="FitTransform(IReadOnlyList{string}, int, CancellationToken)"/> does, without
    /// holding the count matrix: each chunk's finished rows go to a scratch file in <paramref name="scratchFolder"/> in
    /// blocks of about a million entries (or are dropped when <paramref name="scratchFolder"/> is null and no rows are
    /// wanted), so memory follows the vocabulary, not the corpus. The rows come back, equal to
    /// <see cref="FitTransform(IReadOnlyList{string}, int, CancellationToken)"/>'s, from <see cref="StreamedCounts.ForEachRow"/>;
    /// the scratch files are deleted when the result is disposed (and are unnamed on Unix from the start).
    /// </summary>
    /// <param name="documents">The documents (empty ones give empty rows).</param>
    /// <param name="threads">Threads to count with (one scratch file each).</param>
    /// <param name="scratchFolder">Where the rows wait for the second pass; null: only the vocabulary and the frequencies are kept.</param>
    /// <param name="cancellation">Checked every 256 documents.</param>
    /// <exception cref="ArgumentException">No documents, an empty vocabulary, or nothing left after pruning.</exception>
    public StreamedCounts FitStreamed(IReadOnlyList<string> documents, int threads, string? scratchFolder, CancellationToken cancellation = default) =>
        FitStreamed(documents, threads, scratchFolder, Spill.DefaultEntries, cancellation);

    // blockEntries: entries held before a flush (tests make it small, so that a few documents fill several blocks).
    internal StreamedCounts FitStreamed(IReadOnlyList<string> documents, int threads, string? scratchFolder, int blockEntries, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(documents);
        if (documents.Count == 0) throw new ArgumentException("No documents to fit: the corpus is empty.", nameof(documents));
        // One spill per chunk, with its scratch file (none without a folder: the rows are then dropped).
        var spills = new Spill[Parts(documents.Count, threads)];
        try
        {
            for (int p = 0; p < spills.Length; p++)
            {
                spills[p] = new Spill(scratchFolder is null ? null : Lineage.Text.IO.ScratchFile.Create(scratchFolder, "rows"), Options.Binary, blockEntries);
            }

            var chunks = Count(documents, threads, fixedVocabulary: null, UnknownTerms.Ignore, spills, cancellation);
            foreach (var chunk in chunks) chunk.Flush();
            var fit = Prune(chunks, documents, totals: true);
            foreach (var chunk in chunks) chunk.Release();
            return new StreamedCounts(documents.Count, fit.DocumentFrequencies, fit.Totals!, fit.Maps, scratchFolder is null ? null : spills);
        }
        catch
        {
            foreach (var spill in spills) spill?.File?.Dispose();
            throw;
        }
    }

    /// <summary>What a fit keeps: each chunk's local → final column map (-1: pruned), the kept columns' document frequencies and totals.</summary>
    private sealed record Fitted(int[][] Maps, int[] DocumentFrequencies, long[]? Totals);

    // Merges the chunks' vocabularies and frequencies (AddFrequencies or Flush has run on every chunk), prunes by
    // min_df, max_df and max_features, and makes the kept terms, in code-point order, the vocabulary.
    private Fitted Prune(TermCounter[] chunks, IReadOnlyList<string> documents, bool totals)
    {
        int n = documents.Count;
        // Global id in order of first appearance (one chunk: its ids are the global ones, and its table becomes the
        // vocabulary's).
        var merged = chunks.Length == 1 ? chunks[0].Terms! : new TermTable();
        var maps = new int[chunks.Length][];
        if (chunks.Length > 1)
        {
            foreach (var (c, chunk) in chunks.Index())
            {
                var table = chunk.Terms!;
                maps[c] = new int[table.Count];
                for (int local = 0; local < table.Count; local++) maps[c][local] = merged.GetOrAdd(table.Term(local));
            }
        }

        if (merged.Count == 0)
        {
            throw new ArgumentException($"Empty vocabulary: none of the {n:N0} documents has a term for the analyzer ({Options.Analyzer}); " +
                                        "perhaps they contain only stop words, or no token matches the pattern.", nameof(documents));
        }

        // The per-term arrays below last only for this fit: rented, so that repeated fits reuse their pages instead of
        // faulting fresh ones in (about 11 µs a 4 KiB page on our VMs; see HugePageArray).
        var pool = System.Buffers.ArrayPool<int>.Shared;
        var df = pool.Rent(merged.Count);
        var byName = pool.Rent(merged.Count);
        var column = pool.Rent(merged.Count);
        try
        {
            // Document frequencies (and occurrences, or documents when binary, for max_features and the totals) of the
            // chunks, each counted by local id from its entries: one entry per (document, term), so a histogram of
            // their terms, which keeps the per-token work down to one small counter per term.
            Array.Clear(df, 0, merged.Count);
            var tf = totals ? new long[merged.Count] : null;
            foreach (var (c, chunk) in chunks.Index())
            {
                var map = maps[c];
                var localDf = chunk.Frequencies;
                var localTf = chunk.Totals;
                int localTerms = chunk.Terms!.Count;
                for (int local = 0; local < localTerms; local++)
                {
                    int id = map is null ? local : map[local];
                    df[id] += localDf[local];
                    if (tf is not null) tf[id] += localTf![local];
                }
            }

            SortByCodePoint(merged.Count, merged.Term, merged.CodePointKeys, byName, merged.HoldsNul);

            // The kept terms, in code-point order, moved to the front of byName.
            double high = Options.MaxDf.For(n), low = Options.MinDf.For(n);
            if (high < low) throw new ArgumentException($"max_df ({Options.MaxDf}) corresponds to fewer documents ({high}) than min_df ({Options.MinDf}, {low}).", nameof(documents));
            int kept = 0;
            for (int i = 0; i < merged.Count; i++)
            {
                int id = byName[i];
                byName[kept] = id;
                kept += df[id] <= high && df[id] >= low ? 1 : 0;
            }

            if (Options.MaxFeatures is int limit && kept > limit)
            {
                // Most frequent first; a stable sort, so ties keep code-point order.
                var top = Enumerable.Range(0, kept).OrderByDescending(rank => tf![byName[rank]]).ThenBy(rank => rank).Take(limit)
                                    .Order().Select(rank => byName[rank]).ToArray();
                top.CopyTo(byName, 0);
                kept = limit;
            }

            if (kept == 0)
            {
                throw new ArgumentException($"After pruning, no terms remain (min_df {Options.MinDf}, max_df {Options.MaxDf}, {n:N0} documents). " +
                                            "Try a lower min_df or a higher max_df.", nameof(documents));
            }

            Array.Fill(column, -1, 0, merged.Count);
            var documentFrequencies = new int[kept];
            var keptTotals = tf is null ? null : new long[kept];
            for (int i = 0; i < kept; i++)
            {
                column[byName[i]] = i;
                documentFrequencies[i] = df[byName[i]];
                if (keptTotals is not null) keptTotals[i] = tf![byName[i]];
            }

            int terms = merged.Count;
            PrunedTerms = terms - kept;
            merged.Renumber(column, kept);   // the fit's own table becomes the vocabulary's
            _vocabulary = new Vocabulary(merged);
            if (chunks.Length == 1)
            {
                maps[0] = column.AsSpan(0, terms).ToArray();   // its local ids are the global ones
            }
            else
            {
                foreach (var map in maps)
                {
                    for (int local = 0; local < map.Length; local++) map[local] = column[map[local]];
                }
            }

            return new Fitted(maps, documentFrequencies, keptTotals);
        }
        finally
        {
            pool.Return(df);
            pool.Return(byName);
            pool.Return(column);
        }
    }

    /// <summary>
    /// The ids of <paramref name="terms"/> (distinct) in code-point order of the terms. A most-significant-first radix
    /// sort on 64-bit keys, four UTF-16 units at a time: sort the keys of the first four units, then, within each run
    /// of equal keys, the keys of the next four, and so on; no string is ever compared. Each unit is a 16-bit digit
    /// in code-point order (surrogates, which stand for code points above U+FFFF, move above U+E000–U+FFFF, as in
    /// <see cref="CodePointComparer"/>) and 0 means "ended"; distinct terms with equal keys cannot have ended, so runs
    /// go on only while every term in them has more units. A term holding U+0000 would clash with "ended": then every
    /// term is sorted by <see cref="CodePointComparer"/>.
    /// </summary>
    internal static int[] SortByCodePoint(string[] terms)
    {
        var ids = new int[terms.Length];
        SortByCodePoint(terms.Length, id => terms[id], (run, offset, keys) =>
        {
            for (int i = 0; i < run.Length; i++) keys[i] = CodePointKey(terms[run[i]], offset);
        }, ids, terms.Any(t => t.Contains('\0')));
        return ids;
    }

    /// <summary>
    /// As <see cref="SortByCodePoint(string[])"/>, for the <paramref name="count"/> terms <paramref name="term"/> gives
    /// (<paramref name="keysOf"/> gives the keys of many at once), into the first <paramref name="count"/> places of
    /// <paramref name="ids"/>; <paramref name="holdsNul"/>: whether any term holds U+0000.
    /// </summary>
    internal static void SortByCodePoint(int count, TermAt term, CodePointKeys keysOf, int[] ids, bool holdsNul)
    {
        for (int i = 0; i < count; i++) ids[i] = i;
        if (holdsNul)
        {
            var strings = Enumerable.Range(0, count).Select(id => term(id).ToString()).ToArray();
            Array.Sort(ids, 0, count, Comparer<int>.Create((a, b) => CodePointComparer.Instance.Compare(strings[a], strings[b])));
            return;
        }

        var keys = System.Buffers.ArrayPool<ulong>.Shared.Rent(count);
        var runs = new Stack<(int Start, int Length, int Offset)>();
        RadixScratch? scratch = null;
        try
        {
            SortRuns(count, keysOf, ids, keys, runs, ref scratch);
        }
        finally
        {
            System.Buffers.ArrayPool<ulong>.Shared.Return(keys);
            scratch?.Return();
        }
    }

    private static void SortRuns(int count, CodePointKeys keysOf, int[] ids, ulong[] keys, Stack<(int Start, int Length, int Offset)> runs, ref RadixScratch? scratch)
    {
        runs.Push((0, count, 0));
        while (runs.TryPop(out var run))
        {
            int end = run.Start + run.Length;
            keysOf(ids.AsSpan(run.Start, run.Length), run.Offset, keys.AsSpan(run.Start, run.Length));

            if (run.Length >= 2048) RadixSort(keys, ids, run.Start, run.Length, ref scratch);
            else Array.Sort(keys, ids, run.Start, run.Length);
            for (int start = run.Start; start < end;)
            {
                int stop = start + 1;
                while (stop < end && keys[stop] == keys[start]) stop++;
                if (stop - start > 1) runs.Push((start, stop - start, run.Offset + 4));
                start = stop;
            }
        }
    }

    /// <summary>
    /// The sort key of a term's four UTF-16 units from <paramref name="offset"/>: each a 16-bit digit in code-point
    /// order, 0 past the end (see <see cref="SortByCodePoint(string[])"/>).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static ulong CodePointKey(ReadOnlySpan<char> term, int offset)
    {
        if (term.Length >= offset + 4 && BitConverter.IsLittleEndian)
        {
            // Four units read at once; below U+8000 (no surrogates) each is its own digit: only the order of the
            // four changes (the first unit is the most significant).
            ulong units = System.Runtime.InteropServices.MemoryMarshal.Read<ulong>(System.Runtime.InteropServices.MemoryMarshal.AsBytes(term.Slice(offset, 4)));
            if ((units & 0x8000_8000_8000_8000UL) == 0)
            {
                return (units << 48) | ((units & 0xFFFF_0000UL) << 16) | ((units >> 16) & 0xFFFF_0000UL) | (units >> 48);
            }
        }

        ulong key = 0;
        for (int k = offset; k < offset + 4; k++) key = (key << 16) | (k < term.Length ? Digit(term[k]) : 0);
        return key;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static ulong Digit(char c) => c < 0xD800 ? c : c >= 0xE000 ? (ulong)c - 0x800 : (ulong)c + 0x2000;

    // Counts per bucket → where each bucket starts (an exclusive prefix sum), for the counting passes of both radix sorts.
    private static void StartsOfBuckets(Span<int> histogram)
    {
        for (int d = 0, sum = 0; d < histogram.Length; d++)
        {
            int count = histogram[d];
            histogram[d] = sum;
            sum += count;
        }
    }

    // Rented: see FitTransform.
    private sealed class RadixScratch(int length)
    {
        public readonly ulong[] Keys = System.Buffers.ArrayPool<ulong>.Shared.Rent(length);
        public readonly int[] Ids = System.Buffers.ArrayPool<int>.Shared.Rent(length);
        private readonly int[] _histogram = System.Buffers.ArrayPool<int>.Shared.Rent(65536);

        public Span<int> Histogram => _histogram.AsSpan(0, 65536);

        public void Return()
        {
            System.Buffers.ArrayPool<ulong>.Shared.Return(Keys);
            System.Buffers.ArrayPool<int>.Shared.Return(Ids);
            System.Buffers.ArrayPool<int>.Shared.Return(_histogram);
        }
    }

    // Least-significant-digit radix sort of keys[start..start+length) (and their ids) on four 16-bit digits; a pass in
    // which every key has the same digit is skipped. Three times faster than Array.Sort(keys, items) on 200,000 terms.
    private static void RadixSort(ulong[] keys, int[] ids, int start, int length, ref RadixScratch? scratch)
    {
        scratch ??= new RadixScratch(keys.Length);
        Span<ulong> fromKeys = keys.AsSpan(start, length), toKeys = scratch.Keys.AsSpan(0, length);
        Span<int> fromIds = ids.AsSpan(start, length), toIds = scratch.Ids.AsSpan(0, length);
        var histogram = scratch.Histogram;
        bool inScratch = false;
        for (int shift = 0; shift < 64; shift += 16)
        {
            histogram.Clear();
            foreach (var key in fromKeys) histogram[(int)(key >> shift) & 0xFFFF]++;
            if (histogram[(int)(fromKeys[0] >> shift) & 0xFFFF] == length) continue;
            StartsOfBuckets(histogram);

            for (int i = 0; i < length; i++)
            {
                int at = histogram[(int)(fromKeys[i] >> shift) & 0xFFFF]++;
                toKeys[at] = fromKeys[i];
                toIds[at] = fromIds[i];
            }

            var k = fromKeys;
            fromKeys = toKeys;
            toKeys = k;
            var d2 = fromIds;
            fromIds = toIds;
            toIds = d2;
            inScratch = !inScratch;
        }

        if (inScratch)
        {
            fromKeys.CopyTo(keys.AsSpan(start, length));
            fromIds.CopyTo(ids.AsSpan(start, length));
        }
    }

    /// <summary>The document-term count matrix over the fitted vocabulary; unknown terms are skipped (or rejected, by option).</summary>
    public CsrMatrix<double> Transform(IReadOnlyList<string> documents, int threads = 1, CancellationToken cancellation = default) => Transform(documents, out _, threads, cancellation);

    /// <summary>As <see cref="Transform(IReadOnlyList{string}, int, CancellationToken)"/>, also counting the term occurrences that had no column.</summary>
    /// <exception cref="InvalidDataException">An unknown term with <see cref="UnknownTerms.Error"/>.</exception>
    public CsrMatrix<double> Transform(IReadOnlyList<string> documents, out long unknownTerms, int threads = 1, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var vocabulary = Vocabulary;
        var chunks = Count(documents, threads, vocabulary, Options.Unknown, spills: null, cancellation);
        unknownTerms = chunks.Sum(c => c.Unknown);
        return AssembleAndRelease(chunks, documents.Count, vocabulary.Count, null, dropsEntries: false);
    }

    // Contiguous chunks of at least 64 documents, one per thread.
    private static int Parts(int documents, int threads) => Math.Clamp(threads, 1, Math.Max(1, documents / 64));

    // Counts each chunk of documents on its own thread. With spills (FitStreamed), chunk p flushes its finished rows to
    // spills[p] whenever they pass its Entries, counting their frequencies.
    private TermCounter[] Count(IReadOnlyList<string> documents, int threads, Vocabulary? fixedVocabulary, UnknownTerms unknown, Spill[]? spills,
        CancellationToken cancellation)
    {
        int parts = Parts(documents.Count, threads);
        var chunks = new TermCounter[parts];
        try
        {
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p =>
            {
                int from = (int)((long)documents.Count * p / parts), to = (int)((long)documents.Count * (p + 1) / parts);
                var counter = new TermCounter(fixedVocabulary, unknown, from, spills?[p]);
                var sink = new CounterSink(counter);
                var buffers = new AnalyzerBuffers();
                // Documents read from disk are decoded into one buffer per thread, not into a string each.
                var source = documents as DocumentSource;
                var read = source is null ? null : new DocumentBuffer();
                for (int d = from; d < to; d++)
                {
                    if ((d & 255) == 0) cancellation.ThrowIfCancellationRequested();
                    var doc = source is not null ? source.Read(d, read!) : documents[d] ?? throw new ArgumentException($"Document {d} is null.", nameof(documents));
                    counter.Document = d;
                    if (Options.Analyzer.TryUnigrams(doc, buffers, out var text)) counter.AddTokens(text, buffers);
                    else Options.Analyzer.Analyze(doc, buffers, ref sink);
                    counter.EndDocument();
                }

                chunks[p] = counter;
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count >= 1)
        {
            // The first error of the first failing chunk, as a single-threaded run would throw it.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }

        return chunks;
    }

    private CsrMatrix<double> AssembleAndRelease(TermCounter[] chunks, int rows, int columns, int[][]? maps, bool dropsEntries)
    {
        var matrix = Assemble(chunks, rows, columns, maps, dropsEntries);
        foreach (var chunk in chunks) chunk.Release();
        return matrix;
    }

    // Concatenates the chunks' rows, maps each chunk's local column to its final one (-1: dropped by pruning; no map:
    // already final), and orders each row by column.
    private CsrMatrix<double> Assemble(TermCounter[] chunks, int rows, int columns, int[][]? maps, bool dropsEntries)
    {
        // Entries per row: as counted, unless pruning dropped some.
        var rowPointers = new int[rows + 1];
        int row = 0;
        foreach (var (c, chunk) in chunks.Index())
        {
            var rp = chunk.RowPointers;
            var map = maps?[c];
            for (int r = 0; r < chunk.Rows; r++, row++)
            {
                int kept = rp[r + 1] - rp[r];
                if (dropsEntries)
                {
                    for (int k = rp[r]; k < rp[r + 1]; k++) kept -= map![chunk.Columns[k]] < 0 ? 1 : 0;
                }

                rowPointers[row + 1] = rowPointers[row] + kept;
            }
        }

        // Each row sorted on its own: small enough to stay in L1 cache (a radix sort on two digits of the column, or
        // insertion sort for short rows), where transposing the whole matrix twice scattered every entry across memory.
        int nnz = rowPointers[rows];
        var cols = HugePages.NewArray<int>(nnz);     // every entry is written below
        var vals = HugePages.NewArray<double>(nnz);
        var sorter = new RowSorter(columns);
        row = 0;
        foreach (var (c, chunk) in chunks.Index())
        {
            var rp = chunk.RowPointers;
            var chunkCols = chunk.Columns;
            var chunkCounts = chunk.Counts;
            var map = maps?[c];
            for (int r = 0; r < chunk.Rows; r++, row++)
            {
                int at = rowPointers[row];
                sorter.Begin(rowPointers[row + 1] - at);
                for (int k = rp[r]; k < rp[r + 1]; k++)
                {
                    int col = map is null ? chunkCols[k] : map[chunkCols[k]];
                    if (col >= 0) sorter.Add(col, chunkCounts[k]);
                }

                sorter.SortInto(cols.AsSpan(at), vals.AsSpan(at), Options.Binary);
            }
        }

        return new CsrMatrix<double>(rows, columns, rowPointers, cols, vals, trusted: true);
    }

    /// <summary>
    /// Sorts the (column, count) entries of one row by column, each packed in one 64-bit word (column in the high half,
    /// so words order as columns do): insertion sort up to 32 entries, otherwise a least-significant-digit radix sort
    /// on two digits of about half the column's bits each, both digits counted in one pass.
    /// </summary>
    internal sealed class RowSorter
    {
        private readonly int _lowBits;
        private readonly int[] _low, _high;
        private ulong[] _entries = new ulong[256], _scratch = new ulong[256];
        private int _n;

        public RowSorter(int columns)
        {
            int bits = Math.Max(1, 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)Math.Max(1, columns - 1)));
            _lowBits = (bits + 1) / 2;
            _low = new int[1 << _lowBits];
            _high = new int[1 << _lowBits];   // the high digit has at most as many bits
        }

        public void Begin(int capacity)
        {
            if (_entries.Length < capacity)
            {
                int size = Math.Max(capacity, _entries.Length * 2);
                _entries = new ulong[size];
                _scratch = new ulong[size];
            }

            _n = 0;
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public void Add(int column, int count) => _entries[_n++] = ((ulong)(uint)column << 32) | (uint)count;

        public void SortInto(Span<int> cols, Span<double> vals, bool binary)
        {
            int n = _n;
            var entries = _entries.AsSpan(0, n);
            if (n <= 32)
            {
                for (int i = 1; i < n; i++)
                {
                    ulong entry = entries[i];
                    int j = i - 1;
                    for (; j >= 0 && entries[j] > entry; j--) entries[j + 1] = entries[j];
                    entries[j + 1] = entry;
                }

                Write(entries, cols, vals, binary);
                return;
            }

            // Both digits' counts in one pass; then low digit: entries → scratch, high digit: scratch → entries.
            int shift = 32 + _lowBits, mask = (1 << _lowBits) - 1;
            Span<int> low = _low, high = _high;
            low.Clear();
            high.Clear();
            foreach (ulong entry in entries)
            {
                low[(int)(entry >> 32) & mask]++;
                high[(int)(entry >> shift)]++;
            }

            StartsOfBuckets(low);
            StartsOfBuckets(high);
            var scratch = _scratch.AsSpan(0, n);
            foreach (ulong entry in entries) scratch[low[(int)(entry >> 32) & mask]++] = entry;
            foreach (ulong entry in scratch) entries[high[(int)(entry >> shift)]++] = entry;
            Write(entries, cols, vals, binary);
        }

        private static void Write(ReadOnlySpan<ulong> entries, Span<int> cols, Span<double> vals, bool binary)
        {
            for (int i = 0; i < entries.Length; i++)
            {
                cols[i] = (int)(entries[i] >> 32);
                vals[i] = binary ? 1 : (uint)entries[i];
            }
        }
    }

    private readonly struct CounterSink(TermCounter counter) : ITermSink
    {
        public void Add(ReadOnlySpan<char> term) => counter.Add(term);
    }

    /// <summary>Counts terms of a run of documents: local term ids in fit mode, vocabulary columns in transform mode.</summary>
    private sealed class TermCounter
    {
        private readonly Vocabulary? _fixed;
        private readonly UnknownTerms _unknown;
        private readonly TermTable? _ids;
        private const int Ahead = 16;
        private int[] _hashes = new int[256];
        // The current document's count of each term (4 bytes a term, so that most of it stays in cache); document
        // frequencies are counted from the entries afterwards.
        private int[] _count;
        private int[] _touched = new int[256];
        private int _touchedCount;
        private int[] _columns = System.Buffers.ArrayPool<int>.Shared.Rent(4096);   // pooled: see Release
        private int[] _counts = System.Buffers.ArrayPool<int>.Shared.Rent(4096);
        private int[] _rowPointers = new int[256];
        private int _rows;

        // FitStreamed: finished rows leave for the spill once they pass its Entries, after their frequencies are counted.
        private readonly Spill? _spill;
        private int[] _df = [];
        private long[]? _totals;

        public TermCounter(Vocabulary? fixedVocabulary, UnknownTerms unknown, int firstDocument, Spill? spill = null)
        {
            _fixed = fixedVocabulary;
            _unknown = unknown;
            _spill = spill;
            Document = firstDocument;
            _count = System.Buffers.ArrayPool<int>.Shared.Rent(_fixed is not null ? Math.Max(1, _fixed.Count) : 1024);
            Array.Clear(_count);   // rented: see Release
            if (_fixed is null) _ids = new TermTable();
        }

        public int Document { get; set; }

        public long Unknown { get; private set; }

        public TermTable? Terms => _ids;

        public int Nnz => _rowPointers[_rows];

        public int Rows => _rows;

        public int[] RowPointers => _rowPointers;

        public int[] Columns => _columns;

        public int[] Counts => _counts;

        /// <summary>Documents holding each local term, over the entries counted by <see cref="AddFrequencies"/> and <see cref="Flush"/>.</summary>
        public int[] Frequencies => _df;

        /// <summary>Occurrences (documents when binary) of each local term, when <see cref="AddFrequencies"/> was asked for them.</summary>
        public long[]? Totals => _totals;

        /// <summary>Adds the entries held now to <see cref="Frequencies"/> (and <see cref="Totals"/>), by local id.</summary>
        public void AddFrequencies(bool binary, bool totals)
        {
            int terms = _fixed?.Count ?? _ids!.Count;
            if (_df.Length < terms) Array.Resize(ref _df, Math.Max(terms, _df.Length * 2));
            if (totals && (_totals is null || _totals.Length < terms)) Array.Resize(ref _totals, _df.Length);
            var columns = _columns.AsSpan(0, Nnz);
            var counts = _counts.AsSpan(0, Nnz);
            var df = _df;
            if (!totals)
            {
                foreach (int id in columns) df[id]++;
                return;
            }

            var tf = _totals!;
            for (int k = 0; k < columns.Length; k++)
            {
                df[columns[k]]++;
                tf[columns[k]] += binary ? 1 : counts[k];
            }
        }

        /// <summary>Counts the finished rows' frequencies and totals, hands them to the spill and starts an empty block.</summary>
        public void Flush()
        {
            AddFrequencies(_spill!.Binary, totals: true);
            _spill.Write(_rowPointers.AsSpan(0, _rows + 1), _columns.AsSpan(0, Nnz), _counts.AsSpan(0, Nnz));
            _rows = 0;
        }

        /// <summary>
        /// The document's tokens (unigrams), hashed first so that each lookup can prefetch the slot of the term
        /// <see cref="Ahead"/> places later: the cache misses of rare terms overlap instead of adding up.
        /// </summary>
        public void AddTokens(ReadOnlySpan<char> text, AnalyzerBuffers tokens)
        {
            int count = tokens.TokenCount;
            if (_hashes.Length < count) _hashes = new int[Math.Max(count, _hashes.Length * 2)];
            var starts = tokens.Starts;
            var lengths = tokens.Lengths;
            for (int t = 0; t < count; t++) _hashes[t] = TermTable.Hash(text.Slice(starts[t], lengths[t]));
            if (_touched.Length < _touchedCount + count) Array.Resize(ref _touched, Math.Max(_touchedCount + count, _touched.Length * 2));
            var touched = _touched;
            int touchedCount = _touchedCount;
            for (int t = 0; t < count; t++)
            {
                if (t + Ahead < count)
                {
                    if (_fixed is not null) _fixed.Prefetch(_hashes[t + Ahead]);
                    else _ids!.Prefetch(_hashes[t + Ahead]);
                }

                int id = Id(text.Slice(starts[t], lengths[t]), _hashes[t]);
                if (id < 0) continue;

                // Whether this is the term's first occurrence in the document is a coin toss for the branch predictor
                // (a third of the tokens): write the id always, keep it only then.
                touched[touchedCount] = id;
                touchedCount += _count[id]++ == 0 ? 1 : 0;
            }

            _touchedCount = touchedCount;
        }

        public void Add(ReadOnlySpan<char> term)
        {
            int id = Id(term, TermTable.Hash(term));
            if (id >= 0 && _count[id]++ == 0) Touch(id);
        }

        // The term's id, or -1 for an unknown term in transform mode (counted, or an error by option).
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        private int Id(ReadOnlySpan<char> term, int hash)
        {
            int id;
            if (_fixed is not null)
            {
                id = _fixed.IndexOf(term, hash);
                if (id < 0)
                {
                    Unknown++;
                    if (_unknown == UnknownTerms.Error)
                    {
                        throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"Document {Document} has the term '{term}', which is not in the vocabulary."));
                    }

                    return -1;
                }
            }
            else
            {
                id = _ids!.GetOrAdd(term, hash);
                if (id == _count.Length)
                {
                    _count = Regrow(_count, _count.Length * 2, _count.Length);
                    Array.Clear(_count, id, _count.Length - id);
                }
            }

            return id;
        }

        private void Touch(int id)
        {
            if (_touchedCount == _touched.Length) Array.Resize(ref _touched, _touched.Length * 2);
            _touched[_touchedCount++] = id;
        }

        /// <summary>Gives the entry arrays back to the shared pool; the counter is not used after this.</summary>
        public void Release()
        {
            System.Buffers.ArrayPool<int>.Shared.Return(_columns);
            System.Buffers.ArrayPool<int>.Shared.Return(_counts);
            System.Buffers.ArrayPool<int>.Shared.Return(_count);
            _columns = _counts = _count = [];
        }

        private static int[] Regrow(int[] array, int size, int used)
        {
            var bigger = System.Buffers.ArrayPool<int>.Shared.Rent(size);
            array.AsSpan(0, used).CopyTo(bigger);
            System.Buffers.ArrayPool<int>.Shared.Return(array);
            return bigger;
        }

        public void EndDocument()
        {
            int nnz = Nnz;
            if (nnz + _touchedCount > _columns.Length)
            {
                int size = Math.Max(_columns.Length * 2, nnz + _touchedCount);
                _columns = Regrow(_columns, size, nnz);
                _counts = Regrow(_counts, size, nnz);
            }

            for (int t = 0; t < _touchedCount; t++)
            {
                int id = _touched[t];
                _columns[nnz + t] = id;
                _counts[nnz + t] = _count[id];
                _count[id] = 0;
            }

            if (_rows + 2 > _rowPointers.Length) Array.Resize(ref _rowPointers, _rowPointers.Length * 2);
            _rowPointers[++_rows] = nnz + _touchedCount;
            _touchedCount = 0;
            if (_spill is not null && _rowPointers[_rows] >= _spill.Entries) Flush();
        }
    }

    /// <summary>
    /// Where <see cref="FitStreamed(IReadOnlyList{string}, int, string?, CancellationToken)"/>'s rows wait for the second pass: blocks of [rows, entries, row pointers, local
    /// columns, counts] as 32-bit integers, appended to a scratch file (or dropped, with no file).
    /// </summary>
    internal sealed class Spill(FileStream? file, bool binary, int entries)
    {
        /// <summary>Entries held before a flush unless told otherwise: 8 MB of columns and counts.</summary>
        public const int DefaultEntries = 1 << 20;

        /// <summary>Entries held before a flush.</summary>
        public int Entries { get; } = entries;

        public bool Binary { get; } = binary;

        public FileStream? File { get; } = file;

        public void Write(ReadOnlySpan<int> rowPointers, ReadOnlySpan<int> columns, ReadOnlySpan<int> counts)
        {
            if (File is null || rowPointers.Length == 1) return;
            ReadOnlySpan<int> header = [rowPointers.Length - 1, columns.Length];
            File.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(header));
            File.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(rowPointers));
            File.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(columns));
            File.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(counts));
        }

        /// <summary>
        /// Reads the blocks back in order and gives each row, its local columns mapped to final ones (pruned ones
        /// dropped) and sorted, with its counts (1 when binary).
        /// </summary>
        public void ReadRows(int[] map, RowSorter sorter, ref int row, RowAction action, CancellationToken cancellation)
        {
            var file = File!;
            file.Flush();
            file.Position = 0;
            Span<int> header = stackalloc int[2];
            int[] pointers = [], columns = [], counts = [], outColumns = [];
            double[] values = [];
            while (file.Position < file.Length)
            {
                cancellation.ThrowIfCancellationRequested();
                file.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(header));
                int rows = header[0], nnz = header[1];
                if (pointers.Length < rows + 1) pointers = new int[Math.Max(rows + 1, pointers.Length * 2)];
                if (columns.Length < nnz)
                {
                    columns = new int[nnz];
                    counts = new int[nnz];
                }

                file.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(pointers.AsSpan(0, rows + 1)));
                file.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(columns.AsSpan(0, nnz)));
                file.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(counts.AsSpan(0, nnz)));
                for (int r = 0; r < rows; r++, row++)
                {
                    int start = pointers[r], end = pointers[r + 1];
                    if (outColumns.Length < end - start)
                    {
                        outColumns = new int[Math.Max(end - start, outColumns.Length * 2)];
                        values = new double[outColumns.Length];
                    }

                    sorter.Begin(end - start);
                    int kept = 0;
                    for (int k = start; k < end; k++)
                    {
                        int col = map[columns[k]];
                        if (col < 0) continue;
                        sorter.Add(col, counts[k]);
                        kept++;
                    }

                    sorter.SortInto(outColumns, values, Binary);
                    action(row, outColumns.AsSpan(0, kept), values.AsSpan(0, kept));
                }
            }
        }
    }
}
