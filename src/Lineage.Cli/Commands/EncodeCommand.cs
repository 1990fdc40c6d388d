using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Lineage.Text.Encodings;
using Lineage.Text.IO;
using Lineage.Text.Tokenization;
using Spectre.Console;

namespace Lineage.Cli.Commands;

/// <summary><c>lineage encode onehot|bow|tfidf INPUT</c>: sparse encodings of documents, scikit-learn's defaults.</summary>
[CliCommand(30)]
internal static class EncodeCommand
{
    private static readonly Option<string> Ngram = new("--ngram") { Description = "N-gram range MIN,MAX (word or character n-grams).", DefaultValueFactory = _ => "1,1" };
    private static readonly Option<string> MinDf = new("--min-df") { Description = "Drop terms in fewer documents: a count (2) or a fraction (0.01).", DefaultValueFactory = _ => "1" };
    private static readonly Option<string> MaxDf = new("--max-df") { Description = "Drop terms in more documents: a fraction (0.9) or a count (500).", DefaultValueFactory = _ => "1.0" };
    private static readonly Option<int?> MaxFeatures = new("--max-features") { Description = "Keep the N most frequent terms." };
    private static readonly Option<bool> Binary = new("--binary") { Description = "Presence (1) instead of counts." };
    private static readonly Option<bool> Sublinear = new("--sublinear-tf") { Description = "TF-IDF: tf → 1 + ln(tf)." };
    private static readonly Option<bool> NoSmooth = new("--no-smooth-idf") { Description = "TF-IDF: idf = ln(n/df) + 1 instead of ln((1+n)/(1+df)) + 1." };
    private static readonly Option<string> Norm = new("--norm") { Description = "TF-IDF row norm: l2, l1 or none.", DefaultValueFactory = _ => "l2" };
    private static readonly Option<string> Analyzer = new("--analyzer") { Description = "word, char or char_wb.", DefaultValueFactory = _ => "word" };
    private static readonly Option<string> Pattern = new("--token-pattern") { Description = "Token regex (Python syntax), default scikit-learn's.", DefaultValueFactory = _ => TextAnalyzer.DefaultPattern };
    private static readonly Option<bool> NoLowercase = new("--no-lowercase") { Description = "Keep case." };
    private static readonly Option<string> StripAccents = new("--strip-accents") { Description = "Remove accents after lower-casing: none, ascii (NFKD, keep ASCII only) or unicode (NFKD, drop combining marks), as scikit-learn's strip_accents.", DefaultValueFactory = _ => "none" };
    private static readonly Option<string?> StopWords = new("--stop-words") { Description = "File of stop words, one per line." };
    private static readonly Option<bool> Strict = new("--strict-utf8") { Description = "Stop on invalid UTF-8 instead of replacing it by U+FFFD." };
    private static readonly Option<string?> MatrixOut = new("--out", "-o") { Description = "Write the matrix here (Matrix Market coordinate, 1-based; rows = documents, or tokens for onehot)." };
    private static readonly Option<string?> VocabOut = new("--vocab-out") { Description = "Write the vocabulary here, one term per line in column order." };
    private static readonly Option<string?> Save = new("--save") { Description = "Save the fitted vectorizer (JSON) for later transforms." };
    private static readonly Option<int> Top = new("--top") { Description = "Terms to show.", DefaultValueFactory = _ => 15 };

    public static Command Create()
    {
        var command = new Command("encode", "Sparse encodings of text: one-hot, bag-of-words, TF-IDF (scikit-learn's defaults and results).");
        foreach (var (name, help) in new[]
                 {
                     ("onehot", "One-hot vectors of words: one row per token, in input order, with a single 1 in the word's column."),
                     ("bow", "Bag-of-words counts: one row per document (scikit-learn's CountVectorizer)."),
                     ("tfidf", "TF-IDF weights: one row per document (scikit-learn's TfidfVectorizer)."),
                 })
        {
            var input = new Argument<string>("INPUT") { Description = "A file with one document per line, or a folder with one document per file (recursive, sorted by path)." };
            var sub = new Command(name, help) { input, Ngram, MinDf, MaxDf, MaxFeatures, Binary, Sublinear, NoSmooth, Norm, Analyzer, Pattern, NoLowercase, StripAccents, StopWords, Strict, MatrixOut, VocabOut, Save, Top };
            sub.SetAction((parse, cancellation) => Task.Run(() => Run(name, parse.GetValue(input)!, parse, cancellation), CancellationToken.None));
            command.Subcommands.Add(sub);
        }

        return command;
    }

    private static int Run(string kind, string input, ParseResult parse, CancellationToken cancellation)
    {
        try
        {
            var clock = Stopwatch.StartNew();
            var phases = Phases.FromEnvironment();
            // Read as counted: one document at a time, so memory follows the vocabulary and the matrix, not the corpus.
            using var docs = DocumentReader.Open(input, parse.GetValue(Strict) ? InvalidUtf8.Reject : InvalidUtf8.Replace);
            phases.Mark("list");
            if (docs.Count == 0) throw new ArgumentException($"{input}: no documents (an empty file or folder).");
            cancellation.ThrowIfCancellationRequested();
            var options = Counting(parse);
            int threads = GlobalOptions.Settings(parse).Threads;
            // Options are checked before any work; counts are made once: bag-of-words' output, TF-IDF's input and the term table's source.
            var weighting = kind == "tfidf" ? new TfidfOptions(
                RowNorms.Parse(parse.GetValue(Norm)) ?? throw new ArgumentException($"--norm must be l2, l1 or none, not '{parse.GetValue(Norm)}'."),
                UseIdf: true, SmoothIdf: !parse.GetValue(NoSmooth), SublinearTf: parse.GetValue(Sublinear)) : null;
            var counts = new CountVectorizer(options);
            var mtx = parse.GetValue(MatrixOut);
            if (kind == "onehot")
            {
                var corpusCounts = counts.FitTransform(docs, threads, cancellation);
                phases.Mark("read and count");
                var tokens = new List<string>();
                foreach (var d in docs) tokens.AddRange(options.Analyzer.Analyze(d).Where(counts.Vocabulary.Contains));
                var matrix = OneHotEncoder.Words(counts.Vocabulary, tokens);
                if (parse.GetValue(Save) is { } of) VectorizerFile.Save(of, counts);
                phases.Mark("weigh");
                cancellation.ThrowIfCancellationRequested();
                Report(kind, input, docs, new Shape(matrix.Rows, matrix.Columns, matrix.Nnz, matrix.SparseBytes), counts.Vocabulary, corpusCounts.ColumnSums().Select(t => (long)t).ToArray(),
                    corpusCounts.ColumnNonZeroCounts(), null, parse.GetValue(Top), clock.Elapsed, counts.PrunedTerms);
                if (mtx is not null)
                {
                    AtomicFile.Write(mtx, s => MatrixMarket.Write(s, matrix, [$"written by lineage encode {kind} {input}", "rows: tokens in input order; columns: vocabulary indices"]));
                    AnsiConsole.MarkupLine("matrix: {0}", Markup.Escape(mtx));
                }
            }
            else
            {
                // Counted once, streamed: the rows wait in a scratch file beside the output (none without --out), so
                // memory follows the vocabulary, not the corpus; the second pass weighs and writes them.
                using var fit = counts.FitStreamed(docs, threads, mtx is null ? null : ScratchFile.FolderFor(mtx), cancellation);
                phases.Mark("read and count");
                TfidfTransformer? weights = null;
                if (weighting is not null)
                {
                    weights = new TfidfTransformer(weighting).Fit(fit.Rows, fit.DocumentFrequencies);
                    if (parse.GetValue(Save) is { } tf) VectorizerFile.Save(tf, new TfidfVectorizer(counts, weights));
                }
                else if (parse.GetValue(Save) is { } cf)
                {
                    VectorizerFile.Save(cf, counts);
                }

                phases.Mark("weigh");
                cancellation.ThrowIfCancellationRequested();
                Report(kind, input, docs, new Shape(fit.Rows, fit.Columns, fit.Nnz, fit.SparseBytes), counts.Vocabulary, [.. fit.Totals], [.. fit.DocumentFrequencies],
                    weights is null ? null : [.. weights.Idf], parse.GetValue(Top), clock.Elapsed, counts.PrunedTerms);
                if (mtx is not null)
                {
                    AtomicFile.Write(mtx, s =>
                    {
                        using var w = MatrixMarket.Writer(s);
                        MatrixMarket.WriteHeader(w, fit.Rows, fit.Columns, fit.Nnz, [$"written by lineage encode {kind} {input}", "rows: documents in input order; columns: vocabulary indices"]);
                        fit.ForEachRow((row, columns, values) =>
                        {
                            weights?.WeighRow(columns, values);
                            MatrixMarket.WriteRow<double>(w, row, columns, values);
                        }, cancellation);
                    });
                    AnsiConsole.MarkupLine("matrix: {0}", Markup.Escape(mtx));
                }
            }

            var vocabulary = counts.Vocabulary;
            if (parse.GetValue(VocabOut) is { } vf)
            {
                AtomicFile.WriteAllText(vf, string.Concat(vocabulary.Terms.Select(term => term.ReplaceLineEndings(" ") + "\n")));
                AnsiConsole.MarkupLine("vocabulary: {0}", Markup.Escape(vf));
            }

            phases.Mark("report and write");
            return 0;
        }
        catch (OperationCanceledException)
        {
            AnsiConsole.MarkupLine("[yellow]cancelled; nothing written[/]");
            return 130;
        }

    }

    private static CountVectorizerOptions Counting(ParseResult parse)
    {
        var ngram = parse.GetValue(Ngram)!.Split(',');
        if (ngram.Length != 2 || !int.TryParse(ngram[0], CultureInfo.InvariantCulture, out int lo) || !int.TryParse(ngram[1], CultureInfo.InvariantCulture, out int hi))
        {
            throw new ArgumentException($"--ngram must be MIN,MAX (e.g. 1,2), not '{parse.GetValue(Ngram)}'.");
        }

        var analyzer = TextAnalyzer.ParseKind(parse.GetValue(Analyzer))
                       ?? throw new ArgumentException($"--analyzer must be word, char or char_wb, not '{parse.GetValue(Analyzer)}'.");
        var stop = parse.GetValue(StopWords) is { } sw ? File.ReadAllLines(sw).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray() : null;
        return new CountVectorizerOptions
        {
            Analyzer = new TextAnalyzer(analyzer, lo, hi, !parse.GetValue(NoLowercase), parse.GetValue(Pattern)!, stop,
                TextAnalyzer.ParseStripAccents(parse.GetValue(StripAccents)) ?? throw new ArgumentException($"--strip-accents must be none, ascii or unicode, not '{parse.GetValue(StripAccents)}'.")),
            Binary = parse.GetValue(Binary),
            MinDf = ParseDf("--min-df", parse.GetValue(MinDf)!),
            MaxDf = ParseDf("--max-df", parse.GetValue(MaxDf)!),
            MaxFeatures = parse.GetValue(MaxFeatures),
        };
    }

    private static DocumentFrequency ParseDf(string option, string value)
    {
        try
        {
            return DocumentFrequency.Parse(value);
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"{option}: {e.Message}", e);
        }
    }

    // The matrix's size as the report gives it (a streamed matrix is never held).
    private readonly record struct Shape(long Rows, long Columns, long Nnz, long SparseBytes);

    private static void Report(string kind, string input, DocumentSource docs, Shape matrix, Vocabulary vocabulary, long[] tf, int[] df,
        double[]? idf, int top, TimeSpan elapsed, int pruned)
    {
        AnsiConsole.MarkupLine("{0}: {1:N0} documents, {2:N1} MB{3}", Markup.Escape(input), docs.Count, docs.Bytes / 1e6,
            docs.InvalidSequences > 0 ? $" ({docs.InvalidSequences:N0} invalid UTF-8 sequences replaced by U+FFFD)" : "");
        AnsiConsole.MarkupLine("{0}: shape {1:N0} × {2:N0}, nnz {3:N0} (density {4:P3}); sparse {5:N1} MB vs dense {6:N1} MB; {7:N0} terms pruned; {8:N2} s",
            kind, matrix.Rows, matrix.Columns, matrix.Nnz, matrix.Rows == 0 || matrix.Columns == 0 ? 0 : (double)matrix.Nnz / matrix.Rows / matrix.Columns,
            matrix.SparseBytes / 1e6, matrix.Rows * matrix.Columns * 8.0 / 1e6, pruned, elapsed.TotalSeconds);
        var table = new Table().Title($"most frequent terms (of {vocabulary.Count:N0})").AddColumns("term", "count", "documents");
        if (idf is not null) table.AddColumn("idf");
        foreach (int j in Enumerable.Range(0, vocabulary.Count).OrderByDescending(j => tf[j]).ThenBy(j => j).Take(top))
        {
            var cells = new List<string> { Markup.Escape(vocabulary[j]), tf[j].ToString("N0", CultureInfo.InvariantCulture), df[j].ToString("N0", CultureInfo.InvariantCulture) };
            if (idf is not null) cells.Add(idf[j].ToString("0.000", CultureInfo.InvariantCulture));
            table.AddRow([.. cells]);
        }

        AnsiConsole.Write(table);
    }
}
