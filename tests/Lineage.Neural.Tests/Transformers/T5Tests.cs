using Lineage.Neural.Core;
using Lineage.Neural.Transformers;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Tests.Transformers;

public class T5Tests
{
    [Fact]
    public void SpanCorruption_Drops15PercentInSpans_AndInputPlusTargetRebuildTheText()
    {
        var rng = new Random(1);
        long[] sentinels = [.. Enumerable.Range(0, 100).Select(i => 1000L - i)];
        long[] tokens = [.. Enumerable.Range(0, 200).Select(i => (long)i)];
        var (input, target) = SpanCorruption.Corrupt(tokens, sentinels, rng);
        int dropped = target.Count(t => t < 500);
        Assert.Equal(30, dropped);                                               // 15 % of 200
        Assert.Equal(10, input.Count(t => t >= 500));                            // 30 / mean span 3
        Assert.Equal(sentinels[10], target[^1]);
        // Replace each sentinel of the input by its span from the target: the original comes back.
        var spans = new Dictionary<long, List<long>>();
        long? current = null;
        foreach (var t in target)
        {
            if (t >= 500) spans[(current = t).Value] = [];
            else spans[current!.Value].Add(t);
        }

        Assert.Equal(tokens, input.SelectMany(t => t >= 500 ? spans[t] : [t]));
        Assert.Throws<ArgumentException>(() => SpanCorruption.Corrupt(tokens, sentinels[..3], rng));
    }

    [Fact]
    public void Decoder_IsCausal_AndCachedDecodingEqualsTheFullPass()
    {
        manual_seed(2);
        using var scope = NewDisposeScope();
        using var t5 = new T5(T5Config.Tiny(40));
        t5.eval();
        var memory = t5.Encode(tensor(new long[] { 5, 6, 7, 8, 9 }).unsqueeze(0), null);
        var target = tensor(new long[] { 0, 11, 12, 13, 14, 15 }).unsqueeze(0);
        var full = t5.Decode(target, memory, null);
        Assert.Equal(new long[] { 1, 6, 40 }, full.shape);
        var changed = tensor(new long[] { 0, 11, 12, 30, 31, 32 }).unsqueeze(0);
        Assert.True((full[0, ..3] - t5.Decode(changed, memory, null)[0, ..3]).abs().max().item<float>() <= 1e-6);
        using var cache = new KvCache(t5.Config.Layers);
        var steps = Enumerable.Range(0, 6).Select(i => t5.Decode(target[.., i..(i + 1)], memory, null, cache)).ToArray();
        Assert.True((full - cat(steps, 1)).abs().max().item<float>() <= 1e-5);
        Assert.Throws<ArgumentException>(() => t5.Encode(tensor(new long[] { 40 }).unsqueeze(0), null));
    }

    [Fact]
    public void ATinyT5_LearnsToReverseShortSequences()
    {
        using var oneThread = TorchThreads.AtMost(1);                       // tiny tensors: one thread is faster
        manual_seed(3);
        using var t5 = new T5(T5Config.Tiny(16));
        using var opt = optim.AdamW(t5.parameters(), lr: 3e-3);
        const long Start = 0, End = 1;
        var rng = new Random(4);
        float first = 0, last = 0;
        for (int step = 0; step < 600; step++)
        {
            using var scope = NewDisposeScope();
            var inputs = Enumerable.Range(0, 16).Select(_ => Enumerable.Range(0, 4).Select(_ => (long)rng.Next(2, 16)).ToArray()).ToArray();
            var x = stack(inputs.Select(i => tensor(i)).ToArray());
            var y = stack(inputs.Select(i => tensor(i.Reverse().Append(End).ToArray())).ToArray());
            opt.zero_grad();
            var loss = t5.Loss(x, null, y, Start);
            loss.backward();
            opt.step();
            if (step == 0) first = loss.item<float>();
            last = loss.item<float>();
        }

        Assert.True(last < 0.2 * first, $"loss {first} → {last}");
        Assert.Equal([9L, 4, 12, 7], t5.Generate([7, 12, 4, 9], 10, Start, End));
    }

    [Fact]
    public void GenerateBatch_WithPaddedInputsOfDifferentLengths_EqualsOneAtATime()
    {
        manual_seed(5);
        using var t5 = new T5(T5Config.Tiny(30));
        long[][] inputs = [[5, 6, 7, 8, 9, 10], [11, 12], [13, 14, 15, 16]];

        var batch = t5.GenerateBatch(inputs, 7, startId: 0, endId: 1, padId: 0);

        Assert.Equal(3, batch.Length);
        for (int i = 0; i < inputs.Length; i++) Assert.Equal(t5.Generate(inputs[i], 7, 0, 1), batch[i]);
        Assert.Empty(t5.GenerateBatch([], 5, 0, 1, 0));
        Assert.Throws<ArgumentException>(() => t5.GenerateBatch([[]], 5, 0, 1, 0));
    }
}
