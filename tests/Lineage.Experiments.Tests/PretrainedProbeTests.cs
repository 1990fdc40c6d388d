using Lineage.Data.Catalog;
using Lineage.Experiments.Transformers;

namespace Lineage.Experiments.Tests;

/// <summary>transformers.pretrained in quick mode: the scratch BERT and pretrained MiniLM probed on the same e-mails.</summary>
public class PretrainedProbeTests
{
    [Fact]
    public void PretrainedProbe_Quick_ProbesEachEncoderOnTheSameSplit()
    {
        if (!new[] { DataCatalog.SpamAssassin, DataCatalog.Brown, DataCatalog.MiniLm }.All(TestPaths.Has)) return;   // run-tests fetches them first
        using var dir = new TempFolder();
        var experiment = new PretrainedProbeExperiment();
        var context = new ExperimentContext(experiment.Info, seed: 7, quick: true, new DataStore(TestPaths.DataRoot),
            new ModelCache(Path.Combine(dir.Path, "models")), dir.Path, SilentProgress.Instance, CancellationToken.None);
        var r = TourRunner.RunOne(experiment, context);

        Assert.All(r.Claims, c => Assert.True(c.Passed, c.Statement));
        foreach (var key in new[] { "scratch_bert", "random_bert", "minilm" })
        {
            Assert.InRange(r.Metrics[$"{key}_probe_accuracy"], 0, 1);
            Assert.InRange(r.Metrics[$"{key}_probe_macro_f1"], 0, 1);
        }

        Assert.False(r.Metrics.ContainsKey("arctic_xs_probe_accuracy"));   // the real run only
        Assert.Equal(4, r.Tables[0].Rows.Count);                            // scratch, random, MiniLM, TF-IDF
        Assert.True(Directory.Exists(Path.Combine(dir.Path, "models", "transformers.pretrained-minilm")), "MiniLM is imported into the model cache");
    }
}
