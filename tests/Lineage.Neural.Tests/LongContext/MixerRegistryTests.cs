using System.Text.Json;
using Lineage.Neural.LongContext;
using Xunit;

namespace Lineage.Neural.Tests.LongContext;

public class MixerRegistryTests
{
    [Fact]
    public void Ids_AreTheCliValues_InTheChaptersOrder()
    {
        // The order of the CLI help, the scaling table's rows and the plots' series (that of the old MixerKind enum).
        Assert.Equal(["full", "longformer", "bigbird", "reformer", "linformer", "hyena", "mamba", "flash"], MixerRegistry.Ids);
        Assert.Equal(["linformer"], MixerRegistry.All.Where(m => !m.CanBeCausal).Select(m => m.Id));
    }

    [Fact]
    public void Create_HandsEachMixerItsOwnOptions_OrItsDefaults()
    {
        var settings = new MixerSettings(Dim: 16, Heads: 2).With(new LongformerConfig { Window = 5 }, new LongformerConfig { Window = 7 });
        using var longformer = (LongformerMixer)MixerRegistry.Create("longformer", settings);
        Assert.Equal(7, longformer.Config.Window);                     // the last options of a type win
        using var reformer = (ReformerMixer)MixerRegistry.Create("reformer", settings);
        Assert.Equal(new ReformerConfig(), reformer.Config);
        using var flash = (FullAttentionMixer)MixerRegistry.Create("Flash", settings);
        Assert.Equal(Lineage.Neural.Attention.AttentionKernel.Flash, flash.Kernel);
        var bad = Assert.ThrowsAny<ArgumentException>(() => MixerRegistry.Create("mamba", settings.With(new MambaConfig { StateDim = 0 })));
        Assert.Contains("StateDim", bad.Message, StringComparison.Ordinal);
        var unknown = Assert.Throws<ArgumentException>(() => MixerRegistry.Create("lstm", settings));
        Assert.Contains("Unknown mixer 'lstm'; known: full, longformer, bigbird, reformer, linformer, hyena, mamba, flash.", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_WriteEveryMixersOptions_AndReadThemBack()
    {
        var settings = new MixerSettings(Dim: 32, Seed: 9).With(new LongformerConfig { Window = 16 }, new MambaConfig { StateDim = 4 });
        string json = JsonSerializer.Serialize(settings);
        Assert.Contains("\"LongformerConfig\":{\"Window\":16,\"GlobalTokens\":4}", json, StringComparison.Ordinal);
        Assert.NotEqual(json, JsonSerializer.Serialize(settings.With(new LongformerConfig { Window = 8 })));
        var back = JsonSerializer.Deserialize<MixerSettings>(json)!;
        Assert.Equal(json, JsonSerializer.Serialize(back));
        Assert.Equal(16, back.Get<LongformerConfig>().Window);
    }

    [Fact]
    public void Tiny_CarriesEveryRegisteredMixersTinyOptions()
    {
        var tiny = MixerSettings.Tiny();
        Assert.Equal(LongformerConfig.Tiny, tiny.Get<LongformerConfig>());
        Assert.Equal(MambaConfig.Tiny, tiny.Get<MambaConfig>());
        Assert.Equal(MixerRegistry.OptionTypes().Count, tiny.Options.Count);
    }
}
