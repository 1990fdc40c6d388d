using Lineage.Data.Catalog;
using Lineage.Experiments.AttentionKernels;

namespace Lineage.Experiments.Tests;

/// <summary>The attention-kernels chapter on real Brown text, quick sizes.</summary>
public class AttentionKernelsTests
{
    [Fact]
    public void Flash_Quick_IsExactOnRealActivations_LinearInMemory_AndFp8RotationHelpsWithOutlierChannels()
    {
        if (!TestPaths.Has(DataCatalog.Brown)) return;                   // run-tests fetches it first
        using var dir = new TempFolder();
        var experiment = new FlashAttentionExperiment();
        var context = new ExperimentContext(experiment.Info, seed: 7, quick: true, new DataStore(TestPaths.DataRoot),
            new ModelCache(Path.Combine(dir.Path, "models")), dir.Path, SilentProgress.Instance, CancellationToken.None);
        var r = TourRunner.RunOne(experiment, context);
        Assert.InRange(r.Metrics["real_activations_max_relative_error"], 0, FlashAttentionExperiment.Tolerance);
        Assert.Equal(r.Metrics["gpt_bits_per_byte_flash"], r.Metrics["gpt_bits_per_byte_sdpa"], 3);
        Assert.True(r.Metrics["fp8_outlier_channels_rotation_gain"] > 1.5, $"rotation gain {r.Metrics["fp8_outlier_channels_rotation_gain"]}");
        Assert.True(r.Metrics["speed_vs_sdpa_causal"] > 0);                  // measured and reported; no speed bar on a shared machine
        if (r.Metrics.TryGetValue("flash_memory_exponent", out double exponent)) Assert.InRange(exponent, 0.5, 1.4);
        Assert.All(r.Claims, c => Assert.True(c.Passed, c.Statement));
    }
}
