// The three ways of stacking attention, side by side, and what tells them apart checked on the models themselves: which
// positions can change the output at a position (the mask), measured by perturbing tokens and watching the outputs.
using Lineage.Neural.Transformers.Training;
using System.Globalization;
using Lineage.Experiments.Results;
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Transformers;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Experiments.Transformers;

/// <summary>Encoder, decoder, encoder-decoder: the table of the three archetypes, and their masks measured.</summary>
[ThreadCap(1, ThreadCapAttribute.SmallMatrices)]
[SharesMachine(SharesMachineAttribute.LearnsOnly)]
public sealed class ArchetypesExperiment : IExperiment
{
    private const int Vocab = 50, Length = 12, Probe = 5;

    /// <inheritdoc />
    public ExperimentInfo Info { get; } = new(
        Id: "transformers.archetypes",
        Family: Family.Transformers,
        Title: "Three archetypes: who attends to whom in BERT, GPT and T5",
        Summary: "What each archetype attends to, its mask, its objective and its tasks; the masks checked by changing later tokens, " +
                 "earlier tokens and padding and measuring how much the output at one position moves.",
        Paper: Papers.Vaswani2017,
        Budget: TimeSpan.FromSeconds(5),
        QuickBudget: TimeSpan.FromSeconds(5));

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var result = context.Result();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Seeding.Seed(context.Seed);
        using var bert = new Bert(BertConfig.Tiny(Vocab));
        using var gpt = new Gpt(GptConfig.Tiny(Vocab));
        using var t5 = new T5(T5Config.Tiny(Vocab));
        bert.eval();
        gpt.eval();
        t5.eval();

        var rng = new Random(context.Seed);
        long[] ids = [.. Enumerable.Range(0, Length).Select(_ => (long)rng.Next(5, Vocab))];
        long[] later = Change(ids, Probe + 1, Length, rng);       // tokens after the probe position changed
        long[] earlier = Change(ids, 0, Probe, rng);              // tokens before it changed
        Tensor T(long[] x) => tensor(x).unsqueeze(0);
        double Moved(Tensor a, Tensor b) => (a[0, Probe] - b[0, Probe]).abs().max().item<float>();

        double bertLater = Moved(bert.forward(T(ids)), bert.forward(T(later)));
        double gptLater = Moved(gpt.forward(T(ids)), gpt.forward(T(later)));
        double gptEarlier = Moved(gpt.forward(T(ids)), gpt.forward(T(earlier)));
        var memory = t5.Encode(T(ids), null);
        double t5EncoderLater = Moved(memory, t5.Encode(T(later), null));
        double t5DecoderLater = Moved(t5.Decode(T(ids), memory, null), t5.Decode(T(later), memory, null));
        double t5DecoderSource = Moved(t5.Decode(T(ids), memory, null), t5.Decode(T(ids), t5.Encode(T(later), null), null));

        // Padding: the same sentence alone and followed by three padded positions (masked out).
        long[] padded = [.. ids, 0, 0, 0];
        var mask = tensor([.. Enumerable.Range(0, padded.Length).Select(i => i < Length)]).unsqueeze(0);
        double bertPadding = (bert.Encode(T(ids), null, null) - bert.Encode(T(padded), mask, null)[.., ..Length]).abs().max().item<float>();

        const double Zero = 1e-5;
        result.Metric("bert_moved_by_later_tokens", bertLater).Metric("gpt_moved_by_later_tokens", gptLater)
              .Metric("gpt_moved_by_earlier_tokens", gptEarlier).Metric("t5_encoder_moved_by_later_tokens", t5EncoderLater)
              .Metric("t5_decoder_moved_by_later_tokens", t5DecoderLater).Metric("t5_decoder_moved_by_source", t5DecoderSource)
              .Metric("bert_moved_by_padding", bertPadding);
        result.ClaimAtMost("GPT (decoder): changing later tokens leaves the output at a position unchanged (causal mask)", gptLater, Zero)
              .ClaimAtLeast("GPT: changing earlier tokens does change it", gptEarlier, 1e-3)
              .ClaimAtLeast("BERT (encoder): changing later tokens changes the output at a position (bidirectional)", bertLater, 1e-3)
              .ClaimAtMost("BERT: masked padding leaves the real tokens' outputs unchanged", bertPadding, Zero)
              .ClaimAtLeast("T5 encoder: bidirectional (later source tokens change a position's state)", t5EncoderLater, 1e-3)
              .ClaimAtMost("T5 decoder: causal over its own output (later target tokens change nothing earlier)", t5DecoderLater, Zero)
              .ClaimAtLeast("T5 decoder: every output position reads the whole source through cross-attention", t5DecoderSource, 1e-3);

        string F(double x) => x.ToString(x < 1e-4 ? "0.0e+0" : "0.000", CultureInfo.InvariantCulture);
        result.Table("The three archetypes", ["archetype", "examples", "a position attends to", "mask", "pre-training objective", "typical tasks", "in this tour"],
        [
            ["encoder", "BERT, RoBERTa", "every token, both directions", "padding only", "masked-LM (15 %, 80/10/10); BERT also next-sentence prediction",
                "classification, tagging, retrieval, extractive QA", "transformers.bert"],
            ["decoder", "GPT, GPT-2", "itself and earlier tokens", "causal (lower triangle) + padding", "next-token prediction",
                "generation, completion, few-shot prompting", "transformers.gpt"],
            ["encoder-decoder", "T5, BART", "encoder: all source tokens; decoder: earlier outputs + all source tokens (cross-attention)",
                "encoder: padding; decoder: causal; cross: source padding", "span corruption (sentinels), then text-to-text tasks",
                "translation, summarisation, any task written as text → text", "transformers.t5"],
        ]);
        result.Table($"Masks measured: largest change of the output at position {Probe} of {Length} (random tiny models)",
            ["model", "later tokens changed", "earlier tokens changed", "source changed", "padding added"],
        [
            ["BERT", F(bertLater), "—", "—", F(bertPadding)],
            ["GPT", F(gptLater), F(gptEarlier), "—", "—"],
            ["T5 encoder", F(t5EncoderLater), "—", "—", "—"],
            ["T5 decoder", F(t5DecoderLater), "—", F(t5DecoderSource), "—"],
        ]);
        result.Note("Measured on randomly initialised tiny models: a mask is a property of the architecture, not of training. " +
                    "A zero means below 1e-5, float rounding.");
        return result;
    }

    private static long[] Change(long[] ids, int from, int to, Random rng)
    {
        var copy = ids.ToArray();
        for (int i = from; i < to; i++) copy[i] = 5 + (copy[i] - 5 + 1 + rng.Next(Vocab - 6)) % (Vocab - 5);
        return copy;
    }
}
