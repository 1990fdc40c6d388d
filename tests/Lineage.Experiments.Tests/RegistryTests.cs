using System.Text.RegularExpressions;

namespace Lineage.Experiments.Tests;

public class RegistryTests
{
    [Fact]
    public void All_FindsTheFashionMnistExperimentWithoutRegistration() =>
        Assert.Contains(ExperimentRegistry.All, e => e.Info.Id == "foundations.mlp");

    [Fact]
    public void All_IdsAreUniqueAndNamedFamilyDotName()
    {
        var ids = ExperimentRegistry.All.Select(e => e.Info.Id).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(ExperimentRegistry.All, e =>
            Assert.Matches(new Regex($"^{Regex.Escape(Families.Of(e.Info.Family).Slug)}\\.[a-z0-9-]+(\\.[a-z0-9-]+)*$"), e.Info.Id));
    }

    [Fact]
    public void All_DefaultBudgetsFitTheTourInto45Minutes()
    {
        // The default tour must stay under 45 minutes on 2 cores. Budgets are generous plans (measured runs take
        // about half of them, and the tour stops an experiment at twice its budget), so their sum may reach 45.
        var total = ExperimentRegistry.All.Sum(e => e.Info.Budget.TotalMinutes);
        Assert.True(total <= 45, $"experiment budgets add up to {total:0.#} min, over the 45 available");
    }

    [Fact]
    public void All_QuickBudgetsFitIntoSixMinutes()
    {
        var total = ExperimentRegistry.All.Sum(e => e.Info.QuickBudget.TotalMinutes);
        Assert.True(total <= 6, $"quick budgets add up to {total:0.#} min, over the 6 available");
    }

    [Fact]
    public void Families_EachHasADocPage()
    {
        Assert.All(Families.All, f =>
            Assert.True(File.Exists(Path.Combine(TestPaths.Repository, "docs", f.Slug + ".md")), $"docs/{f.Slug}.md is missing"));
        Assert.Equal(Enum.GetValues<Family>().Length, Families.All.Count);
    }

    [Fact]
    public void Select_UnknownId_ListsTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => ExperimentRegistry.Select("no.such"));
        Assert.Contains("foundations.mlp", e.Message, StringComparison.Ordinal);
        Assert.Contains(ExperimentRegistry.Select("foundations"), x => x.Info.Id == "foundations.mlp");
    }
}
