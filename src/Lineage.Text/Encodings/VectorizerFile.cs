using System.Globalization;
using System.Text.Json;
using Lineage.Text.IO;
using Lineage.Text.Tokenization;

namespace Lineage.Text.Encodings;

/// <summary>
/// Saves and loads fitted count and TF-IDF vectorizers as JSON (format <c>lineage.vectorizer</c>, version 1, or 2 with accent stripping; see
/// docs/encodings.md): the analyzer, the counting and weighting settings, the vocabulary in column order and the idf.
/// </summary>
public static class VectorizerFile
{
    /// <summary>Format name in the file.</summary>
    public const string Format = "lineage.vectorizer";

    /// <summary>The highest version this build reads and writes: 2 adds <c>strip_accents</c>; a vectorizer without accent
    /// stripping is still written as version 1, which older builds read.</summary>
    public const int Version = 2;

    /// <summary>Saves a fitted count vectorizer atomically.</summary>
    public static void Save(string path, CountVectorizer vectorizer) => AtomicFile.Write(path, s => Write(s, vectorizer, null));

    /// <summary>Saves a fitted TF-IDF vectorizer atomically.</summary>
    public static void Save(string path, TfidfVectorizer vectorizer)
    {
        ArgumentNullException.ThrowIfNull(vectorizer);
        AtomicFile.Write(path, s => Write(s, vectorizer.Counts, vectorizer.Weights));
    }

    /// <summary>Writes a fitted vectorizer (and its TF-IDF weighting, when given) to a stream.</summary>
    public static void Write(Stream stream, CountVectorizer counts, TfidfTransformer? weights)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var vocabulary = counts.Vocabulary;
        var o = counts.Options;
        var a = o.Analyzer;
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("format", Format);
        w.WriteNumber("version", a.StripAccents == AccentStripping.None ? 1 : 2);
        w.WriteString("kind", weights is null ? "count" : "tfidf");
        w.WriteStartObject("analyzer");
        w.WriteString("kind", TextAnalyzer.KindName(a.Kind));
        w.WriteStartArray("ngram_range");
        w.WriteNumberValue(a.MinN);
        w.WriteNumberValue(a.MaxN);
        w.WriteEndArray();
        w.WriteBoolean("lowercase", a.Lowercase);
        w.WriteString("token_pattern", a.TokenPattern);
        if (a.StripAccents != AccentStripping.None) w.WriteString("strip_accents", TextAnalyzer.StripAccentsName(a.StripAccents));
        if (a.StopWords is null) w.WriteNull("stop_words");
        else
        {
            w.WriteStartArray("stop_words");
            foreach (var s in a.StopWords) w.WriteStringValue(s);
            w.WriteEndArray();
        }

        w.WriteEndObject();
        w.WriteStartObject("counting");
        w.WriteBoolean("binary", o.Binary);
        w.WriteString("min_df", o.MinDf.ToString());
        w.WriteString("max_df", o.MaxDf.ToString());
        if (o.MaxFeatures is int mf) w.WriteNumber("max_features", mf);
        else w.WriteNull("max_features");
        w.WriteString("unknown", o.Unknown == UnknownTerms.Error ? "error" : "ignore");
        w.WriteEndObject();
        if (weights is not null)
        {
            var t = weights.Options;
            w.WriteStartObject("tfidf");
            w.WriteString("norm", RowNorms.Name(t.Norm));
            w.WriteBoolean("use_idf", t.UseIdf);
            w.WriteBoolean("smooth_idf", t.SmoothIdf);
            w.WriteBoolean("sublinear_tf", t.SublinearTf);
            w.WriteEndObject();
        }

        w.WriteStartArray("vocabulary");
        foreach (var term in vocabulary.Terms) w.WriteStringValue(term);
        w.WriteEndArray();
        if (weights is not null)
        {
            w.WriteStartArray("idf");
            foreach (var v in weights.Idf) w.WriteRawValue(v.ToString("R", CultureInfo.InvariantCulture));
            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    /// <summary>Loads a saved vectorizer: a <see cref="CountVectorizer"/> or a <see cref="TfidfVectorizer"/>.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not valid JSON, not this format, a newer version, or inconsistent content; the message names the file.</exception>
    public static object Load(string path)
    {
        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>Loads a saved count vectorizer (a TF-IDF file gives its counting step).</summary>
    public static CountVectorizer LoadCount(string path) => Load(path) switch
    {
        TfidfVectorizer t => t.Counts,
        CountVectorizer c => c,
        _ => throw new InvalidDataException($"{path}: not a vectorizer."),
    };

    /// <summary>Loads a saved TF-IDF vectorizer.</summary>
    /// <exception cref="InvalidDataException">The file holds a count vectorizer, or is invalid.</exception>
    public static TfidfVectorizer LoadTfidf(string path) => Load(path) as TfidfVectorizer
        ?? throw new InvalidDataException($"{path}: holds a count vectorizer, not a TF-IDF one.");

    /// <summary>Reads a vectorizer from a stream; <paramref name="name"/> is used in error messages.</summary>
    public static object Read(Stream stream, string name)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(stream);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{name}: not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine}): truncated or corrupt.", e);
        }

        using (doc)
        {
            try
            {
                return Parse(doc.RootElement, name);
            }
            catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or FormatException or ArgumentException)
            {
                throw new InvalidDataException($"{name}: {e.Message}", e);
            }
        }
    }

    private static object Parse(JsonElement root, string name)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var format) || format.GetString() != Format)
        {
            throw new InvalidDataException($"{name}: not a Lineage vectorizer file (no \"format\": \"{Format}\").");
        }

        int version = root.GetProperty("version").GetInt32();
        if (version > Version) throw new InvalidDataException($"{name}: written by a newer Lineage (format version {version}); this build reads up to version {Version}.");
        if (version < 1) throw new InvalidDataException($"{name}: invalid format version {version}.");

        var a = root.GetProperty("analyzer");
        var ngram = a.GetProperty("ngram_range");
        if (ngram.GetArrayLength() != 2) throw new FormatException($"ngram_range has {ngram.GetArrayLength()} values, not two ([min, max])");
        var stop = a.GetProperty("stop_words");
        var kindName = a.GetProperty("kind").GetString();
        var analyzer = new TextAnalyzer(
            TextAnalyzer.ParseKind(kindName) ?? throw new FormatException($"unknown analyzer kind '{kindName}'"),
            ngram[0].GetInt32(), ngram[1].GetInt32(), a.GetProperty("lowercase").GetBoolean(),
            a.GetProperty("token_pattern").GetString() ?? throw new FormatException("token_pattern is null"),
            stop.ValueKind == JsonValueKind.Null ? null : stop.EnumerateArray().Select(s => s.GetString() ?? throw new FormatException("a stop word is null")).ToArray(),
            StripAccentsOf(a));
        var c = root.GetProperty("counting");
        var mf = c.GetProperty("max_features");
        var options = new CountVectorizerOptions
        {
            Analyzer = analyzer,
            Binary = c.GetProperty("binary").GetBoolean(),
            MinDf = DocumentFrequency.Parse(c.GetProperty("min_df").GetString()!),
            MaxDf = DocumentFrequency.Parse(c.GetProperty("max_df").GetString()!),
            MaxFeatures = mf.ValueKind == JsonValueKind.Null ? null : mf.GetInt32(),
            Unknown = c.GetProperty("unknown").GetString() == "error" ? UnknownTerms.Error : UnknownTerms.Ignore,
        };
        var vocabulary = new Vocabulary(root.GetProperty("vocabulary").EnumerateArray().Select(t => t.GetString() ?? throw new FormatException("a vocabulary term is null")));
        if (vocabulary.Count == 0) throw new FormatException("the vocabulary is empty");
        var counts = new CountVectorizer(options, vocabulary);
        switch (root.GetProperty("kind").GetString())
        {
            case "count":
                return counts;
            case "tfidf":
                var t = root.GetProperty("tfidf");
                var norm = t.GetProperty("norm").GetString();
                var weighting = new TfidfOptions(
                    RowNorms.Parse(norm) ?? throw new FormatException($"unknown norm '{norm}'"),
                    t.GetProperty("use_idf").GetBoolean(), t.GetProperty("smooth_idf").GetBoolean(), t.GetProperty("sublinear_tf").GetBoolean());
                var idf = root.GetProperty("idf").EnumerateArray().Select(v => v.GetDouble()).ToArray();
                if (idf.Length != vocabulary.Count) throw new FormatException($"the vocabulary has {vocabulary.Count} terms but idf has {idf.Length} values");
                return new TfidfVectorizer(counts, new TfidfTransformer(weighting, idf));
            case var k:
                throw new FormatException($"unknown vectorizer kind '{k}'");
        }
    }

    private static AccentStripping StripAccentsOf(JsonElement analyzer)
    {
        if (!analyzer.TryGetProperty("strip_accents", out var e) || e.ValueKind == JsonValueKind.Null) return AccentStripping.None;
        var name = e.GetString();
        return TextAnalyzer.ParseStripAccents(name) ?? throw new FormatException($"unknown strip_accents '{name}' (expected null, \"ascii\" or \"unicode\")");
    }
}
