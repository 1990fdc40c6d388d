using Lineage.Neural.Core;
using Lineage.Neural.Transformers;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Tests.Transformers;

public class BertTests
{
    private const long Pad = 0, Cls = 1, Sep = 2, MaskToken = 3;

    [Fact]
    public void Masking_Chooses15Percent_Then80MaskTo10RandomTo10Kept_NeverSpecialTokens()
    {
        var masker = new MlmMasking(1000, MaskToken, [Pad, Cls, Sep], MaskingSchedule.Dynamic, seed: 1);
        var rng = new Random(2);
        int tokens = 0, chosen = 0, masked = 0, replaced = 0, kept = 0;
        for (int e = 0; e < 2000; e++)
        {
            var ids = new List<long> { Cls };
            ids.AddRange(Enumerable.Range(0, 50).Select(_ => (long)rng.Next(4, 1000)));
            ids.Add(Sep);
            ids.AddRange(Enumerable.Repeat(Pad, 5));
            var (input, labels) = masker.Mask(ids, e);
            for (int i = 0; i < ids.Count; i++)
            {
                if (ids[i] is Pad or Cls or Sep)
                {
                    Assert.Equal(-1, labels[i]);
                    Assert.Equal(ids[i], input[i]);
                    continue;
                }

                tokens++;
                if (labels[i] < 0)
                {
                    Assert.Equal(ids[i], input[i]);
                    continue;
                }

                chosen++;
                Assert.Equal(ids[i], labels[i]);
                if (input[i] == MaskToken) masked++;
                else if (input[i] == ids[i]) kept++;
                else replaced++;
            }
        }

        Assert.InRange((double)chosen / tokens, 0.145, 0.155);
        Assert.InRange((double)masked / chosen, 0.78, 0.82);
        Assert.InRange((double)replaced / chosen, 0.09, 0.11);    // a random token may equal the original: counted as kept
        Assert.InRange((double)kept / chosen, 0.09, 0.11);
    }

    [Fact]
    public void StaticMasking_RepeatsPerExample_DynamicDoesNot()
    {
        long[] ids = [.. Enumerable.Range(4, 60).Select(i => (long)i)];
        var bert = new MlmMasking(100, MaskToken, [Pad], MaskingSchedule.Static, seed: 7);
        Assert.Equal(bert.Mask(ids, 5).Labels, bert.Mask(ids, 5).Labels);
        Assert.NotEqual(bert.Mask(ids, 5).Labels, bert.Mask(ids, 6).Labels);
        Assert.Equal(bert.Mask(ids, 5).Labels, new MlmMasking(100, MaskToken, [Pad], MaskingSchedule.Static, seed: 7).Mask(ids, 5).Labels);
        var roberta = new MlmMasking(100, MaskToken, [Pad], MaskingSchedule.Dynamic, seed: 7);
        Assert.NotEqual(roberta.Mask(ids, 5).Labels, roberta.Mask(ids, 5).Labels);
    }

    [Fact]
    public void Encoder_SeesBothDirections_PaddingChangesNothing_HeadsHaveTheirShapes()
    {
        manual_seed(3);
        using var scope = NewDisposeScope();
        using var bert = new Bert(BertConfig.Tiny(40));
        bert.eval();
        var a = tensor(new long[] { Cls, 10, 11, 12, Sep }).unsqueeze(0);
        var b = tensor(new long[] { Cls, 10, 11, 13, Sep }).unsqueeze(0);
        // Bidirectional: changing a later token changes earlier positions' states.
        Assert.True((bert.forward(a)[0, 1] - bert.forward(b)[0, 1]).abs().max().item<float>() > 1e-4);
        var padded = tensor(new long[] { Cls, 10, 11, 12, Sep, Pad, Pad }).unsqueeze(0);
        var mask = tensor(new[] { true, true, true, true, true, false, false }).unsqueeze(0);
        Assert.True((bert.forward(a)[0] - bert.Encode(padded, mask, null)[0, ..5]).abs().max().item<float>() <= 1e-5);
        var hidden = bert.forward(a);
        Assert.Equal(new long[] { 1, 5, 40 }, bert.MlmLogits(hidden).shape);
        Assert.Equal(new long[] { 1, 2 }, bert.NspLogits(hidden).shape);
        Assert.Throws<ArgumentException>(() => bert.forward(tensor(new long[] { 40 }).unsqueeze(0)));
    }

    [Fact]
    public void MlmLoss_CountsOnlyMaskedPositions_AndATinyBertLearnsToFillIn()
    {
        using var oneThread = TorchThreads.AtMost(1);                       // tiny tensors: one thread is faster
        manual_seed(4);
        using var bert = new Bert(BertConfig.Tiny(12));
        using var opt = optim.AdamW(bert.parameters(), lr: 1e-2);
        // Sentences "4 5 6 7 8 9" with one position masked: the model must learn the fixed order.
        var masker = new MlmMasking(12, MaskToken, [Pad, Cls, Sep], MaskingSchedule.Dynamic, seed: 5, probability: 0.3);
        long[] sentence = [Cls, 4, 5, 6, 7, 8, 9, Sep];
        float last = 0;
        for (int step = 0; step < 60; step++)
        {
            using var scope = NewDisposeScope();
            var batch = Enumerable.Range(0, 16).Select(i => masker.Mask(sentence, i)).ToList();
            var x = stack(batch.Select(p => tensor(p.Input)).ToArray());
            var y = stack(batch.Select(p => tensor(p.Labels)).ToArray());
            if (y.max().item<long>() < 0) continue;
            opt.zero_grad();
            var loss = Bert.MlmLoss(bert.MlmLogits(bert.forward(x)), y);
            loss.backward();
            opt.step();
            last = loss.item<float>();
        }

        Assert.True(last < 0.3, $"final MLM loss {last}");
        bert.eval();
        using var noGrad = no_grad();
        using var s2 = NewDisposeScope();
        var logits = bert.MlmLogits(bert.forward(tensor(new long[] { Cls, 4, 5, MaskToken, 7, 8, 9, Sep }).unsqueeze(0)));
        Assert.Equal(6L, logits[0, 3].argmax().item<long>());
    }
}
