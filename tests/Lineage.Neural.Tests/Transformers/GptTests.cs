using Lineage.Neural.Core;
using Lineage.Neural.Transformers;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Tests.Transformers;

public class GptTests
{
    [Fact]
    public void Forward_ShapesAndBadInput()
    {
        manual_seed(1);
        using var scope = NewDisposeScope();
        using var gpt = new Gpt(GptConfig.Tiny(20));
        Assert.Equal(new long[] { 2, 5, 20 }, gpt.forward(randint(0, 20, [2, 5])).shape);
        Assert.Contains("outside the vocabulary", Assert.Throws<ArgumentException>(() => gpt.forward(tensor(new long[] { 3, 20 }).unsqueeze(0))).Message, StringComparison.Ordinal);
        Assert.Contains("context of 32", Assert.Throws<ArgumentException>(() => gpt.forward(zeros([1, 33], ScalarType.Int64))).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => gpt.forward(zeros([1, 0], ScalarType.Int64)));
        Assert.Throws<ArgumentException>(() => gpt.Generate([], 3, Sampling.Greedy));
        Assert.DoesNotContain(gpt.named_parameters(), p => p.name.StartsWith("lm_head", StringComparison.Ordinal));   // tied
    }

    [Fact]
    public void Logits_AtT_DoNotDependOnLaterTokens()
    {
        manual_seed(2);
        using var scope = NewDisposeScope();
        using var gpt = new Gpt(GptConfig.Tiny(20));
        gpt.eval();
        var a = tensor(new long[] { 1, 2, 3, 4, 5, 6 }).unsqueeze(0);
        var b = tensor(new long[] { 1, 2, 3, 9, 9, 9 }).unsqueeze(0);
        Assert.True((gpt.forward(a)[0, ..3] - gpt.forward(b)[0, ..3]).abs().max().item<float>() <= 1e-6);
    }

    [Theory]
    [InlineData(0.0, 0, 1.0)]
    [InlineData(0.8, 0, 1.0)]
    [InlineData(1.0, 5, 1.0)]
    [InlineData(1.2, 0, 0.9)]
    public void CachedGeneration_GivesExactlyTheUncachedTokens(double temperature, int topK, double topP)
    {
        manual_seed(3);
        using var gpt = new Gpt(GptConfig.Tiny(30));
        var sampling = new Sampling(temperature, topK, topP, Seed: 11);
        var cached = gpt.Generate([1, 2, 3], 20, sampling, useCache: true);
        var uncached = gpt.Generate([1, 2, 3], 20, sampling, useCache: false);
        Assert.Equal(uncached, cached);
        Assert.Equal(23, cached.Length);
        Assert.Equal([1L, 2, 3], cached.Take(3));
    }

    [Fact]
    public void TopKOne_IsGreedy_AndUncachedGenerationSlidesPastTheContext()
    {
        manual_seed(4);
        using var gpt = new Gpt(GptConfig.Tiny(30));
        Assert.Equal(gpt.Generate([5], 10, Sampling.Greedy), gpt.Generate([5], 10, new Sampling(1.0, TopK: 1)));
        Assert.Equal(41, gpt.Generate([5], 40, Sampling.Greedy, useCache: false).Length);
        Assert.Throws<ArgumentException>(() => gpt.Generate([5], 40, Sampling.Greedy, useCache: true));
    }

    [Fact]
    public void ATinyGpt_LearnsARepeatingSequence()
    {
        using var oneThread = TorchThreads.AtMost(1);                       // tiny tensors: one thread is faster
        manual_seed(5);
        using var gpt = new Gpt(GptConfig.Tiny(8));
        using var opt = optim.AdamW(gpt.parameters(), lr: 1e-2);
        var pattern = Enumerable.Range(0, 33).Select(i => (long)(i % 5)).ToArray();
        using var x = tensor(pattern[..32]).unsqueeze(0);
        using var y = tensor(pattern[1..]).unsqueeze(0);
        float first = 0, last = 0;
        for (int step = 0; step < 60; step++)
        {
            using var scope = NewDisposeScope();
            opt.zero_grad();
            var loss = Gpt.Loss(gpt.forward(x), y);
            loss.backward();
            opt.step();
            if (step == 0) first = loss.item<float>();
            last = loss.item<float>();
        }

        Assert.True(last < 0.1 * first, $"loss {first} → {last}");
        Assert.Equal([0L, 1, 2, 3, 4, 0, 1, 2, 3, 4], gpt.Generate([0], 9, Sampling.Greedy));
    }
}
