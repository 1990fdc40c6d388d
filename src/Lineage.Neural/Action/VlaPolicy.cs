// A trained VLA as a tabletop policy: batches of rendered frames and instructions in, actions out (the model, its text
// and action tokenizers, the table, and the grounding of an instruction's objects in a frame).
// Lineage: the policy the VLA chapter trains (VlaTraining.cs: behaviour cloning) and evaluates in closed loop
// (VlaEvaluation.cs: episodes, action error, success intervals); model folders in VlaFolder.cs.
// Shapes: B batch, S image side (frames are S × S × 3 bytes), 4 state numbers, T instruction tokens.
using Lineage.Neural.Core;
using Lineage.Neural.Multimodal;
using Lineage.Robotics.Sim;
using static TorchSharp.torch;

namespace Lineage.Neural.Action;

/// <summary>A question about a frame with its answer's index in <see cref="VlaPolicy.Answers"/>.</summary>
public sealed record SceneQuestion(byte[] Image, float[] State, string Question, int Answer);

/// <summary>A VLA with its tokenizers and table: acts on rendered frames.</summary>
public sealed class VlaPolicy
{
    /// <summary>A policy over <paramref name="model"/>.</summary>
    /// <param name="model">The VLA.</param>
    /// <param name="text">The text towers' tokenizer.</param>
    /// <param name="table">The table it acts on.</param>
    /// <param name="answers">The one-token answers.</param>
    /// <param name="objects">The object names and categories the dual encoder was pretrained on; required when the model grounds its instructions.</param>
    /// <exception cref="ArgumentException">The tokenizer, table or answers do not fit the model.</exception>
    public VlaPolicy(Vla model, CaptionTokenizer text, TabletopConfig table, IReadOnlyList<string> answers, IReadOnlyList<ObjectName>? objects = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(answers);
        if (text.VocabSize != model.Config.Encoders.Text.VocabSize) throw new ArgumentException($"The text tokenizer has {text.VocabSize} tokens; the model's text tower has {model.Config.Encoders.Text.VocabSize}.", nameof(text));
        if (table.Size != model.Config.Encoders.Vision.ImageSize) throw new ArgumentException($"The table is {table.Size} pixels; the model's image tower takes {model.Config.Encoders.Vision.ImageSize}.", nameof(table));
        if (answers.Count != model.Config.Answers) throw new ArgumentException($"{answers.Count} answers; the model has {model.Config.Answers} answer tokens.", nameof(answers));
        if (model.Config.Grounding && (objects is null || objects.Count == 0)) throw new ArgumentException("A grounding VLA needs the object names its dual encoder was pretrained on.", nameof(objects));
        (Model, Text, Table, Answers, Objects) = (model, text, table.Validate(), answers, objects ?? []);
        Actions = ActionTokenizer.ForTabletop(table);
    }

    /// <summary>The object names and categories the grounding step knows (empty without grounding).</summary>
    public IReadOnlyList<ObjectName> Objects { get; }

    private readonly Dictionary<string, Tensor> _phrases = new(StringComparer.Ordinal);

    /// <summary>
    /// The grounding features (B, 8) of each text in its frame (<see cref="Vla.Ground"/>): the text's phrases
    /// (<see cref="Grounding.Phrases"/>), each embedded as the mean of its pretraining captions; null when the model does
    /// not ground.
    /// </summary>
    public Tensor? GroundingFeatures(IReadOnlyList<byte[]> frames, IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentNullException.ThrowIfNull(texts);
        if (!Model.Config.Grounding) return null;
        if (frames.Count != texts.Count) throw new ArgumentException($"{frames.Count} frames and {texts.Count} texts: need one frame per text.", nameof(texts));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Model.eval();
        int e = Model.Config.Encoders.EmbedDim;
        var phrases = zeros(texts.Count, Grounding.Roles, e);
        var present = zeros(texts.Count, Grounding.Roles);
        var named = new List<long>();
        for (int b = 0; b < texts.Count; b++)
        {
            var found = Grounding.Phrases(texts[b], Objects);
            if (found.Count > 0) named.Add(b);
            for (int r = 0; r < found.Count; r++)
            {
                phrases[b, r] = Phrase(found[r]);
                present[b, r] = 1f;
            }
        }

        // Only frames whose text names something are looked at (a window pass costs one image-tower run per window).
        var features = zeros(texts.Count, Grounding.Roles * Grounding.FeaturesPerRole);
        if (named.Count > 0)
        {
            var rows = tensor(named.ToArray());
            var fill = tensor(Tabletop.TableColour.Select(c => c / 255f).ToArray());
            features.index_copy_(0, rows, Model.Ground(ImageBatch([.. named.Select(b => frames[(int)b])], Table.Size), phrases.index_select(0, rows), present.index_select(0, rows), fill));
        }

        return features.MoveToOuterDisposeScope();
    }

    /// <summary>A phrase's embedding: the normalised mean of its captions' embeddings, kept per phrase.</summary>
    private Tensor Phrase(ObjectName[] phrase)
    {
        string key = string.Join('|', phrase.Select(o => o.Name));
        if (!_phrases.TryGetValue(key, out var embedding))
        {
            using var scope = NewDisposeScope();
            var captions = Model.EmbedTexts(Text.EncodeBatch(Grounding.Captions(phrase), Model.Config.Encoders.Text.Context));
            embedding = nn.functional.normalize(captions.mean([0]), dim: 0).DetachFromDisposeScope();
            _phrases[key] = embedding;
        }

        return embedding;
    }

    /// <summary>The first frame of each step's episode (the frame its instruction is grounded in).</summary>
    internal static byte[][] EpisodeStarts(IReadOnlyList<DemoStep> steps)
    {
        var first = new Dictionary<int, byte[]>();
        foreach (var s in steps) first.TryAdd(s.Episode, s.Image);
        return [.. steps.Select(s => first[s.Episode])];
    }

    /// <summary>The model.</summary>
    public Vla Model { get; }

    /// <summary>The instruction tokenizer (the text tower's).</summary>
    public CaptionTokenizer Text { get; }

    /// <summary>The table the policy acts on.</summary>
    public TabletopConfig Table { get; }

    /// <summary>The action tokenizer for this table.</summary>
    public ActionTokenizer Actions { get; }

    /// <summary>The one-token answers, by index.</summary>
    public IReadOnlyList<string> Answers { get; }

    /// <summary>Frames (Size × Size × 3 bytes each) as a float batch (B, 3, S, S) in [0, 1].</summary>
    public static Tensor ImageBatch(IReadOnlyList<byte[]> images, int side)
    {
        using var scope = NewDisposeScope();
        return ToFloat(Frames(images, side)).MoveToOuterDisposeScope();
    }

    /// <summary>Frames as one uint8 tensor (B, S, S, 3), the compact form a training set is kept in.</summary>
    public static Tensor Frames(IReadOnlyList<byte[]> images, int side)
    {
        ArgumentNullException.ThrowIfNull(images);
        int bytes = side * side * 3;
        var data = new byte[(long)images.Count * bytes];
        for (int b = 0; b < images.Count; b++)
        {
            if (images[b].Length != bytes) throw new ArgumentException($"image {b}: {images[b].Length} bytes; expected {side} × {side} × 3 = {bytes}.", nameof(images));
            images[b].CopyTo(data, (long)b * bytes);
        }

        return tensor(data, [images.Count, side, side, 3]);
    }

    /// <summary>uint8 frames (B, S, S, 3) → float (B, 3, S, S) in [0, 1].</summary>
    public static Tensor ToFloat(Tensor frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        using var scope = NewDisposeScope();
        return frames.permute(0, 3, 1, 2).to(ScalarType.Float32).div(255f).MoveToOuterDisposeScope();
    }

    /// <summary>Instruction ids (B, T).</summary>
    public Tensor Instructions(IReadOnlyList<string> texts) => Text.EncodeBatch(texts, Model.Config.Encoders.Text.Context);

    /// <summary>States (4 numbers each, <see cref="Tabletop.State"/>) as a batch (B, 4).</summary>
    public static Tensor StateBatch(IReadOnlyList<float[]> states)
    {
        ArgumentNullException.ThrowIfNull(states);
        var data = new float[states.Count * VlaConfig.StateDims];
        for (int b = 0; b < states.Count; b++)
        {
            if (states[b].Length != VlaConfig.StateDims) throw new ArgumentException($"state {b}: {states[b].Length} numbers; expected {VlaConfig.StateDims}.", nameof(states));
            states[b].CopyTo(data, b * VlaConfig.StateDims);
        }

        return tensor(data, [states.Count, VlaConfig.StateDims]);
    }

    /// <summary>The policy's action for each (frame, state, instruction); always a valid action in the table's range.</summary>
    /// <param name="images">The current frames.</param>
    /// <param name="states">The robot's states.</param>
    /// <param name="instructions">The instructions.</param>
    /// <param name="groundIn">Frames the instructions are grounded in (a grounding model grounds each episode's instruction once, in
    /// its first frame); null: the current frames.</param>
    public TableAction[] Act(IReadOnlyList<byte[]> images, IReadOnlyList<float[]> states, IReadOnlyList<string> instructions, IReadOnlyList<byte[]>? groundIn = null) =>
        NoGcRegion.Run(() =>
        {
            using var grounding = GroundingFeatures(groundIn ?? images, instructions);
            return ActNow(images, states, instructions, grounding);
        });

    /// <summary><see cref="Act"/> with the grounding features already computed (null without grounding).</summary>
    internal TableAction[] ActNow(IReadOnlyList<byte[]> images, IReadOnlyList<float[]> states, IReadOnlyList<string> instructions, Tensor? g)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(instructions);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Model.eval();
        var x = ImageBatch(images, Table.Size);
        var q = StateBatch(states);
        var t = Instructions(instructions);
        bool tokens = Model.Config.Head == ActionHead.Tokens;
        // Bins decode to their centres; the continuous head's [−1, 1] output is scaled back to the action's units.
        var raw = tokens ? Model.PredictBins(x, q, t, g).to(ScalarType.Float32).data<float>().ToArray() : Model.Regress(x, q, t, g).data<float>().ToArray();
        int a = Model.Config.ActionDims;
        var actions = new TableAction[images.Count];
        for (int b = 0; b < actions.Length; b++)
        {
            var row = raw.AsSpan(b * a, a).ToArray();
            var v = tokens ? Actions.Decode([.. row.Select(z => (int)z)]) : Actions.Denormalize(row);
            actions[b] = new TableAction(v[0], v[1], v[2]);
        }

        return actions;
    }

    /// <summary>The policy's answer to each question about a frame (the question's answer index is not used).</summary>
    public string[] Answer(IReadOnlyList<SceneQuestion> questions) => NoGcRegion.Run(() =>
    {
        ArgumentNullException.ThrowIfNull(questions);
        using var scope = NewDisposeScope();
        Model.eval();
        var frames = questions.Select(q => q.Image).ToList();
        var texts = questions.Select(q => q.Question).ToList();
        var idx = Model.PredictAnswers(ImageBatch(frames, Table.Size), StateBatch([.. questions.Select(q => q.State)]),
            Instructions(texts), GroundingFeatures(frames, texts)).data<long>().ToArray();
        return idx.Select(i => Answers[(int)i]).ToArray();
    });

    /// <summary>Grounding features of many (frame, text) pairs, computed once per distinct pair, 256 at a time.</summary>
    internal Tensor GroundInChunks(byte[][] frames, string[] texts) => NoGcRegion.Run(() =>
    {
        // Steps of one episode share their first frame and instruction: ground each distinct pair once.
        var distinct = new Dictionary<(byte[], string), int>(new FrameTextComparer());
        var index = new long[frames.Length];
        for (int i = 0; i < frames.Length; i++)
        {
            if (!distinct.TryGetValue((frames[i], texts[i]), out int d)) distinct[(frames[i], texts[i])] = d = distinct.Count;
            index[i] = d;
        }

        var pairs = distinct.Keys.ToList();
        var chunks = new List<Tensor>();
        foreach (var chunk in pairs.Chunk(256))
            chunks.Add(GroundingFeatures([.. chunk.Select(p => p.Item1)], [.. chunk.Select(p => p.Item2)])!);
        using var all = cat(chunks, 0);
        foreach (var c in chunks) c.Dispose();
        using var at = tensor(index);
        return all.index_select(0, at);
    });

    /// <summary>Frames by reference (an episode's steps share the array), texts by value.</summary>
    private sealed class FrameTextComparer : IEqualityComparer<(byte[] Frame, string Text)>
    {
        public bool Equals((byte[] Frame, string Text) x, (byte[] Frame, string Text) y) => ReferenceEquals(x.Frame, y.Frame) && string.Equals(x.Text, y.Text, StringComparison.Ordinal);

        public int GetHashCode((byte[] Frame, string Text) obj) => HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj.Frame), obj.Text);
    }
}
