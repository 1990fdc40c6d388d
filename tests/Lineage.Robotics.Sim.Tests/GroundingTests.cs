namespace Lineage.Robotics.Sim.Tests;

public class GroundingTests
{
    private static readonly IReadOnlyList<ObjectName> Names = Grounding.Names(TestSprites.Pool);

    [Fact]
    public void Phrases_AreTheNamedObjectsInOrder_LongestNameFirst_OrTheCategory()
    {
        IReadOnlyList<ObjectName> known = [.. Names, new ObjectName("apple", "food")];
        var two = Grounding.Phrases("Put the cat next to the red apple.", known);
        Assert.Equal(["cat", "red apple"], two.Select(p => Assert.Single(p).Name));      // "red apple", not "apple"
        Assert.Equal("apple", Assert.Single(Assert.Single(Grounding.Phrases("pick up the apple", known))).Name);
        var category = Assert.Single(Grounding.Phrases("push the leftmost animals right", known));
        Assert.Equal(["cat", "dog", "frog"], category.Select(o => o.Name).Order());
        Assert.Empty(Grounding.Phrases("what is the leftmost object", known));
        Assert.Equal(Grounding.Roles, Grounding.Phrases("put the cat next to the dog and the frog", known).Count);
        var captions = Grounding.Captions([new ObjectName("cat", "animals")]);
        Assert.Equal(SceneText.Regions.Count, captions.Count);
        Assert.Contains(SceneText.Caption("cat", "animals", "top left"), captions);
    }
}
