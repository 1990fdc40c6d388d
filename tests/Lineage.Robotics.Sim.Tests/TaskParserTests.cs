namespace Lineage.Robotics.Sim.Tests;

public class TaskParserTests
{
    [Fact]
    public void Parse_ReadsKindAndObjects_MissingObjectIsMinusOne()
    {
        var sim = Tabletop.Random(new TabletopConfig(MinObjects: 3, MaxObjects: 3), TestSprites.Pool, TaskKind.PlaceNextTo, 11);
        var o = sim.Objects;
        string a = o[0].Sprite.Name, b = o[1].Sprite.Name;
        Assert.Equal((TaskKind.PickUp, 0), P($"pick up the {a}"));
        Assert.Equal((TaskKind.PickUp, 1), P($"grab the {b}"));
        var move = TaskParser.Parse($"move the {b} to the bottom right", o);
        Assert.Equal((TaskKind.MoveToCorner, 1, 3), (move.Kind, move.Target, move.Corner));
        var place = TaskParser.Parse($"put the {b} next to the {a}", o);
        Assert.Equal((TaskKind.PlaceNextTo, 1, 0), (place.Kind, place.Target, place.Anchor));
        var push = TaskParser.Parse($"push the leftmost {o[2].Sprite.Category.ToLowerInvariant()} right", o);
        Assert.Equal(o.Where(x => x.Sprite.Category == o[2].Sprite.Category).MinBy(x => x.X)!.Id, push.Target);
        Assert.Equal(-1, TaskParser.Parse("pick up the unicorn", o).Target);
        Assert.Equal(-1, TaskParser.Parse($"put the {a} next to the unicorn", o).Target);

        (TaskKind, int) P(string text)
        {
            var task = TaskParser.Parse(text, o);
            return (task.Kind, task.Target);
        }
    }
}
