namespace Lineage.Robotics.Sim.Tests;

public class SceneTextTests
{
    private static readonly TabletopConfig Table = new(Size: 64, ObjectSize: 16, MinObjects: 2, MaxObjects: 3, MaxStep: 8, GraspRadius: 6, MaxSteps: 30);

    [Fact]
    public void SceneQuestions_AreAnsweredFromTheState()
    {
        var rng = new Random(2);
        var answers = SceneText.Answers(TestSprites.Pool);
        for (int i = 0; i < 200; i++)
        {
            var scene = Tabletop.Random(Table, TestSprites.Pool, TaskKind.PlaceNextTo, i);
            var (q, a) = SceneText.Ask(scene, rng);
            Assert.Contains(a, answers);
            if (q == "what is the leftmost object") Assert.Equal(scene.Objects.MinBy(o => o.X)!.Sprite.Name, a);
        }

        Assert.Equal("top left", SceneText.Region(Table, 1, 1));
        Assert.Equal("centre", SceneText.Region(Table, 32, 32));
        Assert.Equal("bottom right", SceneText.Region(Table, 63, 63));
    }
}
