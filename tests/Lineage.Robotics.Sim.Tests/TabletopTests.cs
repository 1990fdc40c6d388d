namespace Lineage.Robotics.Sim.Tests;

public class TabletopTests
{
    [Theory]
    [InlineData(TaskKind.PickUp)]
    [InlineData(TaskKind.MoveToCorner)]
    [InlineData(TaskKind.PlaceNextTo)]
    [InlineData(TaskKind.PushRight)]
    public void Expert_SolvesEveryEpisode(TaskKind kind)
    {
        foreach (var config in new[] { new TabletopConfig(), new TabletopConfig(Size: 64, ObjectSize: 16, MinObjects: 2, MaxObjects: 3, MaxStep: 8, GraspRadius: 8, MaxSteps: 40) })
            Solves(config, kind);
    }

    private static void Solves(TabletopConfig config, TaskKind kind)
    {
        for (int seed = 0; seed < 150; seed++)
        {
            var sim = Tabletop.Random(config, TestSprites.Pool, kind, seed);
            var steps = TabletopExpert.Demonstrate(sim);
            Assert.True(sim.Success, $"{config.Size} px table, seed {seed}: '{sim.Task.Text}' not done after {sim.Steps} steps");
            Assert.True(steps.Count < config.MaxSteps);
            Assert.Equal(0, sim.ClippedActions);
        }
    }

    [Fact]
    public void SameSeed_SameSceneInstructionAndFrames()
    {
        var config = new TabletopConfig();
        var a = TabletopExpert.Demonstrate(Tabletop.Random(config, TestSprites.Pool, TaskKind.PlaceNextTo, 42));
        var b = TabletopExpert.Demonstrate(Tabletop.Random(config, TestSprites.Pool, TaskKind.PlaceNextTo, 42));
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Image, b[i].Image);
            Assert.Equal(a[i].Action, b[i].Action);
        }

        Assert.NotEqual(Tabletop.Random(config, TestSprites.Pool, TaskKind.PlaceNextTo, 43).Task.Text + "x", Tabletop.Random(config, TestSprites.Pool, TaskKind.PlaceNextTo, 42).Task.Text);
    }

    [Fact]
    public void Render_DrawsTableObjectsAndGripper()
    {
        var sim = Tabletop.Random(new TabletopConfig(), TestSprites.Pool, TaskKind.PickUp, 1);
        var image = sim.Render();
        Assert.Equal(96 * 96 * 3, image.Length);
        var o = sim.Objects[0];
        int q = ((int)o.Y * 96 + (int)o.X) * 3;
        Assert.Equal(o.Sprite.Rgba[(8 * 16 + 8) * 4], image[q]);                // the object's colour at its centre
        Assert.Equal(222, image[0]);                                          // the table in a corner
    }

    [Fact]
    public void OutOfRangeActions_AreClippedAndCounted_InstructionWithoutObject_HasNoTarget()
    {
        var sim = Tabletop.Random(new TabletopConfig(), TestSprites.Pool, TaskKind.PickUp, 3);
        float x = sim.GripperX;
        sim.Step(new TableAction(100, float.NaN, 2));
        Assert.Equal(3, sim.ClippedActions);
        Assert.True(sim.GripperX <= x + sim.Config.MaxStep + 1e-4);

        var missing = Tabletop.FromScene(sim.Config, sim.Objects, new TableTask(TaskKind.PickUp, "pick up the unicorn", -1), 10, 10);
        Assert.False(missing.Success);
        Assert.Throws<InvalidOperationException>(() => TabletopExpert.Act(missing));
        Assert.Throws<ArgumentException>(() => Tabletop.Random(new TabletopConfig(MinObjects: 5, MaxObjects: 5), TestSprites.Pool[..3], TaskKind.PickUp, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TabletopConfig(Size: 20).Validate());
    }

    [Theory]
    [InlineData(TaskKind.PickUp)]
    [InlineData(TaskKind.MoveToCorner)]
    [InlineData(TaskKind.PlaceNextTo)]
    [InlineData(TaskKind.PushRight)]
    public void RandomScenes_NeverStartDone(TaskKind kind)
    {
        var small = new TabletopConfig(Size: 64, ObjectSize: 16, MinObjects: 2, MaxObjects: 3, MaxStep: 8);
        for (int seed = 0; seed < 300; seed++)
        {
            Assert.False(Tabletop.Random(small, TestSprites.Pool, kind, seed).Success, $"seed {seed}");
            Assert.False(Tabletop.Random(new TabletopConfig(), TestSprites.Pool, kind, seed).Success, $"seed {seed}");
        }
    }

    [Fact]
    public void Render_HoldingLooksDifferentFromClosedOnNothing()
    {
        var sim = Tabletop.Random(new TabletopConfig(), TestSprites.Pool, TaskKind.PickUp, 4);
        var target = sim.Objects[sim.Task.Target];
        var beside = Tabletop.FromScene(sim.Config, sim.Objects, sim.Task, target.X, target.Y);
        var holding = Tabletop.FromScene(sim.Config, sim.Objects, sim.Task, target.X, target.Y);
        beside.Step(new TableAction(0, 0, 0));                 // open on it: nothing held
        holding.Step(new TableAction(0, 0, 1));                // close on it: held
        Assert.True(holding.Success);
        var empty = Tabletop.FromScene(sim.Config, sim.Objects, sim.Task, target.X, target.Y);
        empty.Step(new TableAction(0, 0, 0));
        Assert.NotEqual(holding.Render(), beside.Render());
        Assert.Equal(beside.Render(), empty.Render());
    }

    [Fact]
    public void ActionTokens_RoundTripWithinHalfABin()
    {
        var config = new TabletopConfig();
        var tok = ActionTokenizer.ForTabletop(config);
        var rng = new Random(1);
        for (int i = 0; i < 1000; i++)
        {
            float[] a = [(float)(rng.NextDouble() * 12 - 6), (float)(rng.NextDouble() * 12 - 6), (float)rng.NextDouble()];
            var back = tok.Decode(tok.Encode(a));
            for (int k = 0; k < 3; k++) Assert.InRange(Math.Abs(back[k] - a[k]), 0, tok.MaxError(k) + 1e-6);
        }

        Assert.Equal([0, 255, 255], tok.Encode([-100f, 100f, 1f]));          // clipped to the range
        Assert.Equal(6f / 256, tok.MaxError(0), 6);
        Assert.Throws<ArgumentOutOfRangeException>(() => tok.Decode([0, 256, 3]));
        Assert.Throws<ArgumentException>(() => tok.Encode([1f, 2f]));
    }
}
