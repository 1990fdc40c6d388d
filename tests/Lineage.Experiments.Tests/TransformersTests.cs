using Lineage.Data.Catalog;
using Lineage.Experiments.Transformers;

namespace Lineage.Experiments.Tests;

/// <summary>The transformers chapter on real Brown text, quick sizes.</summary>
public class TransformersTests
{
    [Fact]
    public void GptByteLm_Quick_BeatsUniformBytes_AndCachedGenerationIsIdentical()
    {
        if (!TestPaths.Has(DataCatalog.Brown)) return;                   // run-tests fetches it first
        using var dir = new TempFolder();
        var experiment = new GptByteLmExperiment();
        var context = new ExperimentContext(experiment.Info, seed: 7, quick: true, new DataStore(TestPaths.DataRoot),
            new ModelCache(Path.Combine(dir.Path, "models")), dir.Path, SilentProgress.Instance, CancellationToken.None);
        var r = experiment.Run(context);
        Assert.InRange(r.Metrics["bits_per_byte"], 0, 7);
        Assert.Equal(40, r.Metrics["steps"]);
        Assert.True(r.Claims.Single(c => c.Statement.Contains("exactly the bytes", StringComparison.Ordinal)).Passed);
        Assert.True(r.Metrics["kv_cache_speedup"] > 1.0, $"cache speedup {r.Metrics["kv_cache_speedup"]}");   // the claim's 1.5× bar is for the real run
        Assert.Equal(2, r.Tables.Count);
    }
}
