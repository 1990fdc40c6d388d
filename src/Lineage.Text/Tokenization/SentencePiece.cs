// SentencePiece (Kudo & Richardson 2018) for T5: a unigram language-model vocabulary trained on raw text by Google's own
// trainer (Debian's `sentencepiece` package, `spm_train`), saved as `spiece.model` (the file name Hugging Face's T5 uses),
// and applied with Microsoft.ML.Tokenizers' SentencePieceTokenizer.
//
// Ids follow T5: 0 = <pad>, 1 = </s>, 2 = <unk>. Deviation: T5's model has no <s>; Microsoft.ML.Tokenizers 2.0.1 cannot
// load a model without one (IndexOutOfRangeException), so id 3 is an unused <s>. T5's 100 sentinels <extra_id_0..99>
// come after the pieces in Hugging Face; here they are user-defined symbols right after the specials (ids 4, 5, …), so
// they are whole pieces the trainer never splits.
using System.Diagnostics;
using System.Globalization;
using Lineage.Text.IO;
using Microsoft.ML.Tokenizers;

namespace Lineage.Text.Tokenization;

/// <summary>A trained SentencePiece vocabulary: encode text to ids (ending with &lt;/s&gt;) and decode ids to text.</summary>
public sealed class SentencePiece
{
    /// <summary>The model file inside a model folder.</summary>
    public const string FileName = "spiece.model";

    /// <summary>Padding id.</summary>
    public const int PadId = 0;

    /// <summary>End-of-sequence id (&lt;/s&gt;).</summary>
    public const int EosId = 1;

    /// <summary>Unknown-piece id.</summary>
    public const int UnkId = 2;

    private readonly SentencePieceTokenizer _tokenizer;

    private SentencePiece(SentencePieceTokenizer tokenizer, int sentinels, string path)
    {
        _tokenizer = tokenizer;
        Sentinels = sentinels;
        Path = path;
        VocabSize = tokenizer.Vocabulary.Count;
    }

    /// <summary>Pieces in the vocabulary, specials and sentinels included.</summary>
    public int VocabSize { get; }

    /// <summary>How many sentinel tokens &lt;extra_id_i&gt; the model has.</summary>
    public int Sentinels { get; }

    /// <summary>The model file.</summary>
    public string Path { get; }

    /// <summary>The id of the sentinel &lt;extra_id_i&gt; (span corruption's placeholders).</summary>
    public int SentinelId(int i) =>
        i >= 0 && i < Sentinels ? 4 + i : throw new ArgumentOutOfRangeException(nameof(i), i, $"the model has {Sentinels} sentinels");

    /// <summary>Token ids of <paramref name="text"/>, followed by &lt;/s&gt; when <paramref name="endOfSequence"/>.</summary>
    /// <exception cref="InvalidDataException">The model file is malformed in a way only encoding shows (the message names it).</exception>
    public int[] Encode(string text, bool endOfSequence = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Guarded(() =>
        {
            int[] ids = [.. _tokenizer.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: endOfSequence)];
            foreach (int id in ids)
                if (id < 0 || id >= VocabSize) throw new InvalidDataException($"{Path}: the model encodes a piece as id {id}, outside its vocabulary of {VocabSize}");
            return ids;
        });
    }

    /// <summary>The pieces of <paramref name="text"/> ("▁The", "▁F", "ult", …), without &lt;/s&gt;.</summary>
    /// <exception cref="InvalidDataException">The model file is malformed in a way only encoding shows (the message names it).</exception>
    public IReadOnlyList<string> Pieces(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Guarded<IReadOnlyList<string>>(() =>
            [.. _tokenizer.EncodeToTokens(text, out _, addBeginningOfSentence: false, addEndOfSentence: false).Select(t => t.Value)]);
    }

    /// <summary>The text of <paramref name="ids"/>; padding and &lt;/s&gt; are skipped, and decoding stops at the first &lt;/s&gt;.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id outside the vocabulary.</exception>
    public string Decode(IEnumerable<long> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var kept = new List<int>();
        foreach (long id in ids)
        {
            if (id < 0 || id >= VocabSize) throw new ArgumentOutOfRangeException(nameof(ids), id, $"token id outside the vocabulary of {VocabSize}");
            if (id == EosId) break;
            if (id != PadId) kept.Add((int)id);
        }

        return Guarded(() => _tokenizer.Decode(kept) ?? "");
    }

    // Microsoft.ML.Tokenizers loads some malformed models (afl-fuzz, issue 29) and only fails when it encodes: a piece
    // renamed inside the user-defined symbols breaks its trie (IndexOutOfRangeException). Such a failure is the file's
    // fault, so it is reported as the file's problem, never as a crash.
    private T Guarded<T>(Func<T> tokenize)
    {
        try
        {
            return tokenize();
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or InvalidOperationException or KeyNotFoundException or NullReferenceException or FormatException or OverflowException)
        {
            throw new InvalidDataException($"{Path}: a malformed SentencePiece model (tokenizing failed: {e.Message})", e);
        }
    }

    /// <summary>Loads <c>spiece.model</c> from a folder (or the file itself).</summary>
    /// <exception cref="FileNotFoundException">No model file.</exception>
    /// <exception cref="InvalidDataException">The file is not a SentencePiece model with T5's special ids, its ids are not
    /// 0..n−1 each once, or it cannot encode its own pieces.</exception>
    public static SentencePiece Load(string pathOrFolder)
    {
        ArgumentException.ThrowIfNullOrEmpty(pathOrFolder);
        string path = Directory.Exists(pathOrFolder) ? System.IO.Path.Combine(pathOrFolder, FileName) : pathOrFolder;
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: SentencePiece model not found", path);
        SentencePieceTokenizer tokenizer;
        try
        {
            using var stream = File.OpenRead(path);
            tokenizer = SentencePieceTokenizer.Create(stream, addBeginningOfSentence: false, addEndOfSentence: true);
        }
        catch (Exception e) when (e is not FileNotFoundException and not DirectoryNotFoundException and not UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{path}: not a readable SentencePiece model ({e.Message})", e);
        }

        if (tokenizer.EndOfSentenceId != EosId || tokenizer.UnknownId != UnkId)
            throw new InvalidDataException($"{path}: expected </s> = {EosId} and <unk> = {UnkId} (T5's ids), found {tokenizer.EndOfSentenceId} and {tokenizer.UnknownId}");
        // Ids must be 0..n−1, each once, with <pad> at 0: a model whose trainer spec is lost drops <pad> from the
        // vocabulary and then encodes the last piece as id n (afl-fuzz, issue 29).
        var vocabulary = tokenizer.Vocabulary;
        var seen = new bool[vocabulary.Count];
        foreach (var (piece, id) in vocabulary)
        {
            if (id < 0 || id >= seen.Length || seen[id])
                throw new InvalidDataException($"{path}: piece ids must run 0..{seen.Length - 1}, each once; '{Printable.Clip(piece, 40)}' has id {id}");
            seen[id] = true;
        }

        if (!vocabulary.TryGetValue("<pad>", out int pad) || pad != PadId)
            throw new InvalidDataException($"{path}: expected <pad> = {PadId} (T5's id)");
        int sentinels = 0;
        while (vocabulary.TryGetValue(SentinelText(sentinels), out int id) && id == 4 + sentinels) sentinels++;
        var model = new SentencePiece(tokenizer, sentinels, path);
        // Every piece once through the encoder and back, so that a model the library loads but cannot apply is refused
        // here, naming the file, rather than when a run first tokenizes.
        string probe = string.Join(' ', vocabulary.Keys.Where(p => p.Length > 0).Select(p => p.Replace('\u2581', ' ')));
        _ = model.Decode(model.Encode(probe).Select(i => (long)i));
        return model;
    }

    /// <summary>
    /// Trains a unigram SentencePiece model on <paramref name="lines"/> with <c>spm_train</c> and writes
    /// <c>spiece.model</c> (and <c>spiece.vocab</c>) into <paramref name="folder"/>, replacing any old model atomically.
    /// </summary>
    /// <param name="lines">Training text, one sentence per line (blank lines are skipped; tabs and new lines inside a line become spaces).</param>
    /// <param name="folder">Where the model goes.</param>
    /// <param name="vocabSize">Pieces, specials and sentinels included.</param>
    /// <param name="sentinels">How many &lt;extra_id_i&gt; to reserve.</param>
    /// <param name="seed">The trainer's random seed (it samples sentences), so a model is reproducible.</param>
    /// <param name="cancellation">Stops the trainer.</param>
    /// <exception cref="InvalidOperationException"><c>spm_train</c> is not installed, or it failed (its last output lines are in the message).</exception>
    /// <exception cref="ArgumentException">No text, or a vocabulary smaller than the text's characters and the special pieces (the message gives both counts).</exception>
    public static SentencePiece Train(IEnumerable<string> lines, string folder, int vocabSize, int sentinels = 0, int seed = 1, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabSize, 8 + sentinels);
        string spm = FindTrainer() ?? throw new InvalidOperationException(
            "spm_train (SentencePiece's trainer) is not installed. On Debian or Ubuntu: apt-get install sentencepiece " +
            "(tools/bootstrap.sh does this when run as root).");
        Directory.CreateDirectory(folder);
        string work = Directory.CreateTempSubdirectory("lineage-spm-").FullName;
        try
        {
            string input = System.IO.Path.Combine(work, "input.txt");
            long written = 0;
            using (var w = new StreamWriter(input))
            {
                foreach (var line in lines)
                {
                    var clean = line.Replace('\t', ' ').Replace('\r', ' ').Replace('\n', ' ').Trim();
                    if (clean.Length == 0) continue;
                    w.WriteLine(clean);
                    written++;
                }
            }

            if (written == 0) throw new ArgumentException("no training text: every line is blank", nameof(lines));
            var args = new List<string>
            {
                $"--input={input}", $"--model_prefix={System.IO.Path.Combine(work, "spiece")}",
                $"--vocab_size={vocabSize.ToString(CultureInfo.InvariantCulture)}", "--model_type=unigram", "--character_coverage=1.0",
                "--pad_id=0", "--eos_id=1", "--unk_id=2", "--bos_id=3", "--num_threads=1", "--hard_vocab_limit=false",
                "--input_sentence_size=2000000", "--shuffle_input_sentence=true", "--minloglevel=2",
                $"--random_seed={((uint)seed).ToString(CultureInfo.InvariantCulture)}",
            };
            if (sentinels > 0) args.Add("--user_defined_symbols=" + string.Join(',', Enumerable.Range(0, sentinels).Select(SentinelText)));
            Run(spm, args, cancellation);
            foreach (var name in new[] { FileName, "spiece.vocab" })
                AtomicFile.WriteAllBytes(System.IO.Path.Combine(folder, name), File.ReadAllBytes(System.IO.Path.Combine(work, name)));
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }

        return Load(folder);
    }

    /// <summary>The text of sentinel <paramref name="i"/>, as in T5: &lt;extra_id_i&gt;.</summary>
    public static string SentinelText(int i) => $"<extra_id_{i.ToString(CultureInfo.InvariantCulture)}>";

    /// <summary>The path of <c>spm_train</c> on PATH, or null.</summary>
    public static string? FindTrainer() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => System.IO.Path.Combine(d, "spm_train")).FirstOrDefault(File.Exists);

    private static void Run(string exe, IReadOnlyList<string> args, CancellationToken cancellation)
    {
        var info = new ProcessStartInfo(exe) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {exe}");
        var stderr = process.StandardError.ReadToEndAsync(cancellation);
        var stdout = process.StandardOutput.ReadToEndAsync(cancellation);
        try
        {
            process.WaitForExitAsync(cancellation).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        if (process.ExitCode != 0)
        {
            var tail = string.Join('\n', (stderr.Result + stdout.Result).Split('\n').TakeLast(5));
            var small = System.Text.RegularExpressions.Regex.Match(tail, @"Vocabulary size is smaller than required_chars\. (\d+) vs (\d+)");
            if (small.Success)
                throw new ArgumentException($"A vocabulary of {small.Groups[1].Value} pieces is too small for this text: its characters and the special pieces alone need {small.Groups[2].Value}.");
            throw new InvalidOperationException($"spm_train failed with exit code {process.ExitCode}: {tail}");
        }
    }
}
