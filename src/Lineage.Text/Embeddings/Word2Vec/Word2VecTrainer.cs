// Word2Vec: dense word vectors learned by predicting a word's neighbours.
// Papers:  Mikolov et al. 2013a, "Efficient Estimation of Word Representations in Vector Space" (arXiv:1301.3781):
//          CBOW and skip-gram. Mikolov et al. 2013b, "Distributed Representations of Words and Phrases and their
//          Compositionality" (arXiv:1310.4546): negative sampling, sub-sampling of frequent words, hierarchical softmax.
// Lineage: replaces sparse one-hot/count vectors (no notion of similarity) by dense vectors whose geometry carries meaning.
// Follows: the original word2vec.c (same update order, learning-rate schedule, window draw, sub-sampling formula and
//          unigram^0.75 noise distribution). Deviations: the exact logistic function instead of word2vec.c's 1000-entry
//          table (it costs little next to the dot products and makes the gradient check exact); sentences as lines; noise
//          words drawn from an alias table (NoiseSampler.cs: the same distribution, exact where word2vec.c's table rounds
//          it to 10⁻⁸ and our earlier one to 10⁻⁷, and a cache-resident read instead of one into a 40 MB table), one pair
//          ahead so that their rows can be prefetched.
// Shapes:  V vocabulary, D dimensions. Input vectors syn0 [V×D], output vectors syn1neg [V×D] (negative sampling) and
//          syn1 [(V−1)×D] (hierarchical softmax, one row per inner Huffman node), all row-major float arrays.
using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Text;
using System.Text.Json;
using Lineage.Text.Embeddings.Vectors;
using Lineage.Text.IO;

namespace Lineage.Text.Embeddings.Word2Vec;

/// <summary>A trained Word2Vec model: input vectors (the embeddings), output weights, and how long training took.</summary>
public sealed class Word2VecModel
{
    internal Word2VecModel(Word2VecOptions options, Vocabulary vocabulary, float[] syn0, float[] syn1Neg, float[] syn1)
    {
        Options = options;
        Vocabulary = vocabulary;
        Syn0 = syn0;
        Syn1Neg = syn1Neg;
        Syn1 = syn1;
    }

    /// <summary>The options it was trained with.</summary>
    public Word2VecOptions Options { get; }

    /// <summary>Its words, most frequent first.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>Input vectors [V×D], the word embeddings.</summary>
    public float[] Syn0 { get; }

    /// <summary>Output vectors for negative sampling [V×D] (empty without it).</summary>
    public float[] Syn1Neg { get; }

    /// <summary>Inner-node vectors of hierarchical softmax [(V−1)×D] (empty without it).</summary>
    public float[] Syn1 { get; }

    /// <summary>Seconds spent in the training loop by this run (not counting earlier runs resumed from).</summary>
    public double TrainSeconds { get; internal set; }

    /// <summary>Raw corpus words per second of this run.</summary>
    public double WordsPerSecond { get; internal set; }

    /// <summary>The embeddings as a queryable <see cref="WordVectors"/> (copies the input vectors).</summary>
    public WordVectors ToWordVectors() => new(Vocabulary.Words, (float[])Syn0.Clone(), Options.Dimensions, Vocabulary.Counts);
}

/// <summary>Trains Word2Vec (skip-gram or CBOW; negative sampling and/or hierarchical softmax) with Hogwild threads.</summary>
public static unsafe class Word2VecTrainer
{
    private const int FlushEvery = 10_000;

    /// <summary>Reads a whitespace-tokenised text file and trains on it.</summary>
    /// <exception cref="InvalidDataException">Empty corpus, every word under min_count, or corpus smaller than the window.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the last epoch checkpoint (if any) is intact.</exception>
    public static Word2VecModel Train(string corpusPath, Word2VecOptions options, IProgress<EmbeddingProgress>? progress = null, CancellationToken cancellation = default) =>
        Train(corpusPath, scratchFolder: null, options, progress, cancellation);

    /// <summary>
    /// As <see cref="Train(string, Word2VecOptions, IProgress{EmbeddingProgress}?, CancellationToken)"/>, the corpus's
    /// word ids waiting between epochs in a scratch file in <paramref name="scratchFolder"/> (deleted after) when it is
    /// given: memory then follows the vocabulary and the number of sentences, not the corpus. Null: held in memory.
    /// </summary>
    /// <exception cref="InvalidDataException">Empty corpus, every word under min_count, or corpus smaller than the window.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the last epoch checkpoint (if any) is intact.</exception>
    public static Word2VecModel Train(string corpusPath, string? scratchFolder, Word2VecOptions options, IProgress<EmbeddingProgress>? progress = null,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        using var corpus = EmbeddingCorpus.FromFile(corpusPath, new CorpusOptions(options.MinCount, options.MaxVocab), scratchFolder, cancellation);
        return Train(corpus, options, progress, cancellation);
    }

    /// <summary>Trains on an already tokenised corpus (its vocabulary is used as is).</summary>
    public static Word2VecModel Train(EmbeddingCorpus corpus, Word2VecOptions options, IProgress<EmbeddingProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (corpus.TokenCount <= options.Window)
        {
            throw new InvalidDataException(
                $"The corpus has {corpus.TokenCount} words after min_count = {options.MinCount}, not more than the window ({options.Window}): nothing to learn from.");
        }

        if (options.CheckpointPath is not null && !Directory.Exists(Path.GetDirectoryName(Path.GetFullPath(options.CheckpointPath))))
        {
            throw new DirectoryNotFoundException($"{options.CheckpointPath}: the checkpoint folder does not exist.");
        }

        var vocab = corpus.Vocabulary;
        Word2VecModel model;
        int firstEpoch = 0;
        if (options.Resume && options.CheckpointPath is not null && File.Exists(options.CheckpointPath))
        {
            (model, firstEpoch) = Word2VecCheckpoint.Load(options.CheckpointPath, options, vocab);
        }
        else
        {
            model = Initialise(options, vocab);
        }

        var tree = options.HierarchicalSoftmax ? HuffmanTree.Build(vocab.Counts) : null;
        var noise = options.Negative > 0 ? NoiseSampler.Build(vocab.Counts) : null;
        var keep = SubsamplingKeep(vocab.Counts, options.Sample);
        long trainWords = corpus.TokenCount;
        long total = trainWords * options.Epochs;
        var ranges = SplitSentences(corpus.SentenceEnds, options.Threads);
        var clock = Stopwatch.StartNew();
        long wordsThisRun = 0;

        for (int epoch = firstEpoch; epoch < options.Epochs; epoch++)
        {
            var shared = new SharedState { Processed = epoch * trainWords };
            long epochStart = shared.Processed;
            var run = new EpochRun(corpus, options, model, tree, noise, keep, total, epoch, shared, progress, clock, epochStart - wordsThisRun, cancellation);
            if (ranges.Length == 1)
            {
                run.Work(0, ranges[0].From, ranges[0].To);
            }
            else
            {
                var tasks = ranges.Select((r, t) => Task.Factory.StartNew(() => run.Work(t, r.From, r.To), CancellationToken.None,
                    TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
                try
                {
                    Task.WaitAll(tasks, CancellationToken.None);
                }
                catch (AggregateException e) when (e.InnerExceptions.Count == 1)
                {
                    throw e.InnerExceptions[0];
                }
            }

            cancellation.ThrowIfCancellationRequested();
            wordsThisRun += trainWords;
            if (!float.IsFinite(Sum(model.Syn0)))
            {
                throw new InvalidOperationException($"Word2Vec diverged in epoch {epoch + 1}: the vectors hold NaN or infinity (alpha {options.StartAlpha} is too large?).");
            }

            if (options.CheckpointPath is not null)
            {
                Word2VecCheckpoint.Save(options.CheckpointPath, model, epoch + 1);
            }
        }

        model.TrainSeconds = clock.Elapsed.TotalSeconds;
        model.WordsPerSecond = wordsThisRun / Math.Max(1e-9, model.TrainSeconds);
        return model;
    }

    private static float Sum(float[] x)
    {
        float s = 0;
        foreach (var f in x)
        {
            s += f;
        }

        return s;
    }

    /// <summary>word2vec.c's initialisation: input vectors uniform in ±0.5/D, output vectors zero.</summary>
    internal static Word2VecModel Initialise(Word2VecOptions options, Vocabulary vocab)
    {
        int v = vocab.Count, dim = options.Dimensions;
        var syn0 = new float[(long)v * dim];
        ulong rng = (ulong)options.Seed * 0x9E3779B97F4A7C15UL + 1;
        for (long i = 0; i < syn0.LongLength; i++)
        {
            rng = rng * 25214903917UL + 11;
            syn0[i] = (((rng >> 16) & 0xFFFF) / 65536f - 0.5f) / dim;
        }

        var syn1Neg = options.Negative > 0 ? new float[(long)v * dim] : [];
        var syn1 = options.HierarchicalSoftmax ? new float[(long)Math.Max(1, v - 1) * dim] : [];
        return new Word2VecModel(options, vocab, syn0, syn1Neg, syn1);
    }

    /// <summary>
    /// Probability of keeping each occurrence of a word (Mikolov et al. 2013b as implemented in word2vec.c):
    /// keep = (√(c / (s·N)) + 1) · s·N / c, capped at 1; frequent words are dropped most often.
    /// </summary>
    internal static float[] SubsamplingKeep(long[] counts, double sample)
    {
        var keep = new float[counts.Length];
        double n = counts.Sum();
        for (int w = 0; w < counts.Length; w++)
        {
            keep[w] = sample <= 0 ? 1f : (float)Math.Min(1.0, (Math.Sqrt(counts[w] / (sample * n)) + 1) * (sample * n) / counts[w]);
        }

        return keep;
    }

    /// <summary>Contiguous sentence ranges with about equal word counts, one per thread.</summary>
    private static (int From, int To)[] SplitSentences(int[] ends, int threads)
    {
        threads = Math.Max(1, Math.Min(threads, ends.Length));
        var ranges = new (int, int)[threads];
        long total = ends[^1];
        int from = 0;
        for (int t = 0; t < threads; t++)
        {
            long target = total * (t + 1) / threads;
            int to = t == threads - 1 ? ends.Length : from;
            while (to < ends.Length && (to == from || ends[to - 1] < target))
            {
                to++;
            }

            ranges[t] = (from, to);
            from = to;
        }

        return ranges;
    }

    /// <summary>
    /// One negative-sampling step for an input vector l1 (skip-gram: a context word; CBOW: the mean of the context):
    /// for each target t (the first is the true word, label 1; the rest are noise, label 0) with g = α·(label − σ(l1·u_t)),
    /// accumulate neu1e += g·u_t and update u_t += g·l1. This is SGD on −log σ(u_o·l1) − Σ log σ(−u_k·l1).
    /// The caller then adds neu1e to the input vector(s). Targets equal to the true word (other than the first) are skipped.
    /// </summary>
    internal static void NegativeSamplingStep(float* l1, float* syn1Neg, int dim, ReadOnlySpan<int> targets, float alpha, float* neu1e)
    {
        if (targets.Length <= 8 && Vector256.IsHardwareAccelerated && !NoiseRepeats(targets))
        {
            NegativeSamplingStep8(l1, syn1Neg, dim, targets, alpha, neu1e);
            return;
        }

        for (int d = 0; d < targets.Length; d++)
        {
            int target = targets[d];
            float label = d == 0 ? 1f : 0f;
            if (d > 0 && target == targets[0])
            {
                continue;
            }

            float* l2 = syn1Neg + (long)target * dim;
            float g = (label - Simd.Sigmoid(Simd.Dot(l1, l2, dim))) * alpha;
            Simd.Axpy(g, l2, neu1e, dim);
            Simd.Axpy(g, l1, l2, dim);
        }
    }

    /// <summary>
    /// <see cref="NegativeSamplingStep"/> for up to 8 targets, all dot products first, then one vectorised σ, then the
    /// row updates. The same arithmetic as the loop: l1 is not written inside the step, and no target's row is read after
    /// another target wrote it, because the noise words differ from one another (the caller checks) and from the true word
    /// (those are skipped, as in the loop). The independent dot products overlap, where the loop waited for each σ.
    /// </summary>
    private static void NegativeSamplingStep8(float* l1, float* syn1Neg, int dim, ReadOnlySpan<int> targets, float alpha, float* neu1e)
    {
        float* f = stackalloc float[8];
        Vector256.Store(Vector256<float>.Zero, f);
        for (int d = 0; d < targets.Length; d++)
        {
            if (d == 0 || targets[d] != targets[0])
            {
                f[d] = Simd.Dot(l1, syn1Neg + (long)targets[d] * dim, dim);
            }
        }

        // g = α·(label − σ(f)), label 1 for the true word (lane 0), 0 for the noise words.
        var label = Vector256.Create(1f, 0f, 0f, 0f, 0f, 0f, 0f, 0f);
        ((label - Simd.Sigmoid(Vector256.Load(f))) * alpha).Store(f);
        for (int d = 0; d < targets.Length; d++)
        {
            if (d == 0 || targets[d] != targets[0])
            {
                Simd.AxpyBoth(f[d], l1, syn1Neg + (long)targets[d] * dim, neu1e, dim);
            }
        }
    }

    /// <summary>Whether a noise word (targets[1..]) occurs twice; noise words equal to the true word do not count (skipped).</summary>
    private static bool NoiseRepeats(ReadOnlySpan<int> targets)
    {
        for (int a = 1; a < targets.Length; a++)
        {
            for (int b = a + 1; b < targets.Length; b++)
            {
                if (targets[a] == targets[b] && targets[a] != targets[0])
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>One hierarchical-softmax step: walk the word's Huffman path, each inner node a binary logistic unit.</summary>
    internal static void HierarchicalSoftmaxStep(float* l1, float* syn1, int dim, HuffmanTree tree, int word, float alpha, float* neu1e)
    {
        for (int i = tree.Offsets[word]; i < tree.Offsets[word + 1]; i++)
        {
            float* l2 = syn1 + (long)tree.Points[i] * dim;
            float f = Simd.Dot(l1, l2, dim);
            if (f is <= -6f or >= 6f)
            {
                continue; // word2vec.c skips saturated units
            }

            float g = (1 - tree.Codes[i] - Simd.Sigmoid(f)) * alpha;
            Simd.Axpy(g, l2, neu1e, dim);
            Simd.Axpy(g, l1, l2, dim);
        }
    }

    private sealed class SharedState
    {
        public long Processed;
        public long LastReportTicks;
    }

    /// <summary>The state one epoch's workers share; each worker owns its RNG, buffers and sentence range.</summary>
    private sealed class EpochRun(
        EmbeddingCorpus corpus, Word2VecOptions options, Word2VecModel model, HuffmanTree? tree, NoiseSampler? noise, float[] keep,
        long totalWords, int epoch, SharedState shared, IProgress<EmbeddingProgress>? progress, Stopwatch clock, long runOffset,
        CancellationToken cancellation)
    {
        public void Work(int thread, int fromSentence, int toSentence)
        {
            int dim = options.Dimensions, window = options.Window, negative = options.Negative;
            bool cbow = options.Architecture == Word2VecArchitecture.Cbow;
            double startAlpha = options.StartAlpha, minAlpha = startAlpha * options.MinAlphaFraction;
            ulong rng = Mix((ulong)options.Seed, (ulong)epoch, (ulong)thread);
            var sentence = new int[Math.Max(1, corpus.LongestSentence)];
            var neu1 = new float[dim];
            var neu1e = new float[dim];
            long local = 0;
            float alpha = (float)Math.Max(minAlpha, startAlpha * (1 - shared.Processed / (double)(totalWords + 1)));
            var sentences = corpus.OpenSentences();
            fixed (float* syn0 = model.Syn0, syn1Neg = model.Syn1Neg, syn1 = model.Syn1, pNeu1 = neu1, pNeu1e = neu1e)
            {
                var pipeline = noise is null ? null : new NoisePipeline(noise, syn1Neg, dim, negative, ref rng);
                for (int s = fromSentence; s < toSentence; s++)
                {
                    if (cancellation.IsCancellationRequested)
                    {
                        return;
                    }

                    var tokens = sentences.Sentence(s);
                    local += tokens.Length;
                    if (local >= FlushEvery)
                    {
                        long processed = Interlocked.Add(ref shared.Processed, local);
                        local = 0;
                        alpha = (float)Math.Max(minAlpha, startAlpha * (1 - processed / (double)(totalWords + 1)));
                        if (thread == 0)
                        {
                            Report(processed, alpha);
                        }
                    }

                    // Sub-sample: drop frequent words before windows are drawn (so windows effectively widen).
                    int len = 0;
                    foreach (int w in tokens)
                    {
                        float k = keep[w];
                        if (k < 1f)
                        {
                            rng = rng * 25214903917UL + 11;
                            if (k < (rng & 0xFFFF) / 65536f)
                            {
                                continue;
                            }
                        }

                        sentence[len++] = w;
                    }

                    for (int pos = 0; pos < len; pos++)
                    {
                        int word = sentence[pos];
                        rng = rng * 25214903917UL + 11;
                        int b = (int)(rng % (ulong)window); // dynamic window: effective size window − b
                        int lo = Math.Max(0, pos - window + b), hi = Math.Min(len - 1, pos + window - b);
                        if (cbow)
                        {
                            int cw = 0;
                            Simd.Clear(pNeu1, dim);
                            for (int c = lo; c <= hi; c++)
                            {
                                if (c != pos)
                                {
                                    Simd.Axpy(1f, syn0 + (long)sentence[c] * dim, pNeu1, dim);
                                    cw++;
                                }
                            }

                            if (cw == 0)
                            {
                                continue;
                            }

                            Simd.Scale(1f / cw, pNeu1, dim); // mean of the context (cbow_mean = 1)
                            Simd.Clear(pNeu1e, dim);
                            if (tree is not null)
                            {
                                HierarchicalSoftmaxStep(pNeu1, syn1, dim, tree, word, alpha, pNeu1e);
                            }

                            if (pipeline is not null)
                            {
                                NegativeSamplingStep(pNeu1, syn1Neg, dim, pipeline.Next(word, ref rng), alpha, pNeu1e);
                            }

                            for (int c = lo; c <= hi; c++)
                            {
                                if (c != pos)
                                {
                                    Simd.Axpy(1f, pNeu1e, syn0 + (long)sentence[c] * dim, dim);
                                }
                            }
                        }
                        else
                        {
                            for (int c = lo; c <= hi; c++)
                            {
                                if (c == pos)
                                {
                                    continue;
                                }

                                // The context word's input vector predicts the centre word (word2vec.c's order).
                                float* l1 = syn0 + (long)sentence[c] * dim;
                                Simd.Clear(pNeu1e, dim);
                                if (tree is not null)
                                {
                                    HierarchicalSoftmaxStep(l1, syn1, dim, tree, word, alpha, pNeu1e);
                                }

                                if (pipeline is not null) // fresh noise words for every pair, as word2vec.c
                                {
                                    NegativeSamplingStep(l1, syn1Neg, dim, pipeline.Next(word, ref rng), alpha, pNeu1e);
                                }

                                Simd.Axpy(1f, pNeu1e, l1, dim);
                            }
                        }
                    }
                }
            }

            Interlocked.Add(ref shared.Processed, local);
            if (thread == 0)
            {
                Report(Interlocked.Read(ref shared.Processed), alpha, force: true);
            }
        }

        private void Report(long processed, float alpha, bool force = false)
        {
            if (progress is null)
            {
                return;
            }

            long now = clock.ElapsedTicks;
            if (!force && now - shared.LastReportTicks < Stopwatch.Frequency / 4)
            {
                return;
            }

            shared.LastReportTicks = now;
            double seconds = clock.Elapsed.TotalSeconds;
            progress.Report(new EmbeddingProgress(epoch + 1, options.Epochs, processed, totalWords,
                (processed - runOffset) / Math.Max(1e-9, seconds), alpha));
        }

        private static ulong Mix(ulong seed, ulong epoch, ulong thread)
        {
            ulong z = seed * 0x9E3779B97F4A7C15UL ^ (epoch + 1) * 0xBF58476D1CE4E5B9UL ^ (thread + 1) * 0x94D049BB133111EBUL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            return z ^ (z >> 31);
        }
    }
}

/// <summary>
/// Word2Vec checkpoints: options, vocabulary, all weights and the number of finished epochs, written to a temporary file
/// and renamed, so a kill mid-write leaves the previous checkpoint intact, and ended by a SHA-256 trailer
/// (<see cref="ChecksummedFile"/>) checked before anything is read, so a damaged checkpoint is refused, not resumed.
/// </summary>
internal static class Word2VecCheckpoint
{
    private const string Magic = "LINEAGE-W2V-CKPT-2";

    public static void Save(string path, Word2VecModel model, int epochsDone)
    {
        ChecksummedFile.Write(path, stream =>
        {
            using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            w.Write(Magic);
            w.Write(JsonSerializer.Serialize(model.Options with { CheckpointPath = null, Resume = false }));
            w.Write(epochsDone);
            w.Write(model.Vocabulary.Count);
            for (int i = 0; i < model.Vocabulary.Count; i++)
            {
                w.Write(model.Vocabulary.Words[i]);
                w.Write(model.Vocabulary.Counts[i]);
            }

            WriteFloats(w, model.Syn0);
            WriteFloats(w, model.Syn1Neg);
            WriteFloats(w, model.Syn1);
        }, createFolder: false);
    }

    public static (Word2VecModel Model, int EpochsDone) Load(string path, Word2VecOptions options, Vocabulary vocab)
    {
        try
        {
            long end = ChecksummedFile.HasTrailer(path)
                ? ChecksummedFile.Verify(path, "Word2Vec checkpoint")
                : throw new InvalidDataException($"{path}: not a Lineage Word2Vec checkpoint (no checksum trailer; checkpoints of older versions cannot be resumed).");
            using var stream = File.OpenRead(path);
            using var r = new BinaryReader(stream, Encoding.UTF8);
            if (r.ReadString() != Magic)
            {
                throw new InvalidDataException($"{path}: not a Lineage Word2Vec checkpoint.");
            }

            var saved = JsonSerializer.Deserialize<Word2VecOptions>(r.ReadString())!;
            var current = options with { CheckpointPath = null, Resume = false, Epochs = saved.Epochs, Threads = saved.Threads };
            if (saved != current)
            {
                throw new InvalidDataException($"{path}: the checkpoint was trained with other options ({saved}); delete it or use the same options.");
            }

            int epochsDone = r.ReadInt32();
            if (epochsDone < 0 || epochsDone > saved.Epochs)
            {
                throw new InvalidDataException($"{path}: byte {stream.Position - 4}: {epochsDone} finished epochs, outside 0..{saved.Epochs}: damaged.");
            }

            int v = r.ReadInt32();
            if (v != vocab.Count)
            {
                throw new InvalidDataException($"{path}: the checkpoint has {v} words, the corpus {vocab.Count}: not the same corpus.");
            }

            for (int i = 0; i < v; i++)
            {
                if (r.ReadString() != vocab.Words[i] || r.ReadInt64() != vocab.Counts[i])
                {
                    throw new InvalidDataException($"{path}: word {i} differs from the corpus vocabulary: not the same corpus.");
                }
            }

            // The lengths Initialise gives: training indexes them with pointers, so a shorter array would be read past its end.
            var syn0 = ReadFloats(r, end, path, "syn0", (long)v * options.Dimensions);
            var syn1Neg = ReadFloats(r, end, path, "syn1neg", options.Negative > 0 ? (long)v * options.Dimensions : 0);
            var syn1 = ReadFloats(r, end, path, "syn1", options.HierarchicalSoftmax ? (long)Math.Max(1, v - 1) * options.Dimensions : 0);

            return (new Word2VecModel(options, vocab, syn0, syn1Neg, syn1), epochsDone);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path}: the checkpoint is truncated.", e);
        }
        catch (IOException e) when (e.GetType() == typeof(IOException))
        {
            // BinaryReader.ReadString: a negative string length ("invalid string length").
            throw new InvalidDataException($"{path}: not a Lineage Word2Vec checkpoint, or damaged ({e.Message})", e);
        }
        catch (FormatException e)
        {
            // BinaryReader.ReadString: a string length that is not a 7-bit encoded integer.
            throw new InvalidDataException($"{path}: not a Lineage Word2Vec checkpoint, or damaged ({e.Message})", e);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: the checkpoint's options are not valid JSON ({e.Message})", e);
        }
    }

    private static void WriteFloats(BinaryWriter w, float[] x)
    {
        w.Write(x.LongLength);
        w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()));
    }

    private static float[] ReadFloats(BinaryReader r, long end, string path, string name, long expected)
    {
        long n = r.ReadInt64();
        if (n != expected)
        {
            throw new InvalidDataException($"{path}: byte {r.BaseStream.Position - 8}: {name} holds {n} floats; these options and this vocabulary need {expected}: damaged.");
        }

        if (n * 4 > end - r.BaseStream.Position)
        {
            throw new InvalidDataException($"{path}: byte {r.BaseStream.Position - 8}: an array of {n} floats does not fit in the checkpoint's {end} bytes: damaged.");
        }

        var x = new float[n];
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan());
        r.BaseStream.ReadExactly(bytes);
        int bad = Array.FindIndex(x, f => !float.IsFinite(f));
        if (bad >= 0)
        {
            // Training refuses to save NaN or infinity (it stops as diverged), so here it can only be damage.
            throw new InvalidDataException($"{path}: {name}[{bad}] is NaN or infinite, which a checkpoint never holds: damaged.");
        }

        return x;
    }
}
