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
        // about half of them, and the tour stops an experiment at twice its budget), so the plan may reach 45. The
        // chapters that share the machine run two at a time (TourPlan): the plan counts the longer of the two lanes.
        var planned = TourPlan.Of(ExperimentRegistry.All, TourPlan.MaxLanes, quick: false).Planned(quick: false).TotalMinutes;
        Assert.True(planned <= 45, $"the tour's plan takes {planned:0.#} min, over the 45 available");
    }

    [Fact]
    public void Plan_SharingChaptersRunInTwoLanes_FamiliesTogether_TheRestAloneInLineageOrder()
    {
        var all = ExperimentRegistry.All;
        var plan = TourPlan.Of(all, 2, quick: false);
        Assert.Equal(2, plan.Lanes.Count);
        Assert.Equal(all.Count, plan.Lanes.Sum(l => l.Count) + plan.Alone.Count);
        Assert.All(plan.Lanes.SelectMany(l => l), e => Assert.Equal(1, ThreadCapAttribute.Of(e.GetType())!.Threads));
        Assert.Equal(all.Where(plan.Alone.Contains), plan.Alone);                        // alone: lineage order kept
        var lanes = plan.Lanes.Select(l => l.Select(e => e.Info.Id).ToList()).ToList();
        var sequence = Assert.Single(lanes, l => l.Contains("sequence.adding"));
        Assert.True(sequence.IndexOf("sequence.adding") < sequence.IndexOf("sequence.vanishing"));   // vanishing reuses adding's models
        Assert.Contains(plan.Alone, e => e.Info.Id == "sequence.bytenet");                  // its claim is a speed-up: alone
        Assert.Contains(plan.Alone, e => e.Info.Id == "transformers.pretrained");           // after the lanes, so it finds BERT's models
        var sum = TimeSpan.FromTicks(all.Sum(e => e.Info.Budget.Ticks));
        Assert.True(plan.Planned(quick: false) < sum);

        var one = TourPlan.Of(all, 1, quick: false);
        Assert.Empty(one.Lanes);
        Assert.Equal(all, one.Alone);
        Assert.Equal(sum, one.Planned(quick: false));
    }

    [Fact]
    public void All_QuickBudgetsFitIntoSixMinutes()
    {
        // As the full tour's: a quick tour runs the sharing chapters in two lanes too, so its plan counts the longer lane.
        var planned = TourPlan.Of(ExperimentRegistry.All, TourPlan.MaxLanes, quick: true).Planned(quick: true).TotalMinutes;
        Assert.True(planned <= 6, $"the quick tour's plan takes {planned:0.#} min, over the 6 available");
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

    [Fact]
    public void NoSeedIsDerivedWithHashCodeCombine_WhichDiffersInEveryProcess()
    {
        // HashCode.Combine is randomised per process: multimodal.clip drew its batches from it and its claims moved
        // run to run with the same seed (2026-12-07). StableSeed.Of is the same everywhere.
        var offenders = Directory.EnumerateFiles(Path.Combine(TestPaths.Repository, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(x => x.line.Contains("Random(HashCode.Combine", StringComparison.Ordinal) || x.line.Contains("Seed(HashCode.Combine", StringComparison.Ordinal))
            .Select(x => $"{Path.GetRelativePath(TestPaths.Repository, x.f)}:{x.i + 1}")
            .ToList();
        Assert.True(offenders.Count == 0, "seeds from HashCode.Combine: " + string.Join(", ", offenders));
    }
}
