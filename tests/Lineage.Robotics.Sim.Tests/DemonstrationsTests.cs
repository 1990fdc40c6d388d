namespace Lineage.Robotics.Sim.Tests;

public class DemonstrationsTests
{
    private static readonly TabletopConfig Table = new(Size: 64, ObjectSize: 16, MinObjects: 2, MaxObjects: 3, MaxStep: 8, GraspRadius: 6, MaxSteps: 30);

    private static Demonstrations Demos(int episodes = 2, int seed = 0) =>
        Demonstrations.Collect(Table, TestSprites.Pool, Enum.GetValues<TaskKind>(), new CollectionSettings(episodes, Seed: seed));

    [Fact]
    public void MutatedFiles_OnlyLoadOrRefuse()
    {
        // Issue 29: a damaged header used to size allocations (a step count of 2^31 − 1, a table side whose square
        // overflows); the only outcomes allowed now are a load or InvalidDataException.
        var dir = Directory.CreateTempSubdirectory("vla-demos-fuzz").FullName;
        var path = Path.Combine(dir, "demos.bin");
        var small = Table with { Size = 16, ObjectSize = 4, MaxStep = 2, GraspRadius = 2, MaxSteps = 6 };
        Demonstrations.Collect(small, TestSprites.Pool, [TaskKind.PickUp], new CollectionSettings(1, Seed: 1)).Save(path);
        var valid = File.ReadAllBytes(path);
        CsCheck.Check.Sample(Lineage.Tests.Fuzz.Mutations.Of(valid), bytes =>
        {
            File.WriteAllBytes(path, bytes);
            try
            {
                _ = Demonstrations.Load(path);
            }
            catch (InvalidDataException)
            {
            }
        }, iter: 600, threads: 1, seed: "0N0XIzNsQ0O2");
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void Demonstrations_RoundTrip_BadFilesAreClearErrors()
    {
        var demos = Demos(episodes: 2);
        Assert.Equal(8, demos.Episodes);
        Assert.All(demos.Steps, s => Assert.InRange(s.Label.Dx, -Table.MaxStep, Table.MaxStep));
        var dir = Directory.CreateTempSubdirectory("vla-demos").FullName;
        var path = Path.Combine(dir, "demos.bin");
        demos.Save(path);
        var back = Demonstrations.Load(path);
        Assert.Equal(demos.Steps.Count, back.Steps.Count);
        Assert.Equal(demos.Steps[3].Image, back.Steps[3].Image);
        Assert.Equal(demos.Steps[3].Label, back.Steps[3].Label);
        Assert.Equal(demos.Steps[3].Instruction, back.Steps[3].Instruction);
        Assert.Equal(demos.Steps[3].State, back.Steps[3].State);

        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => Demonstrations.Load(path)).Message, StringComparison.Ordinal);
        File.WriteAllText(path, "not demos");
        Assert.Throws<InvalidDataException>(() => Demonstrations.Load(path));
        var future = (byte[])bytes.Clone();
        future[8] = 9;                                                          // version field after the 8-byte magic
        File.WriteAllBytes(path, future);
        Assert.Contains("version 9", Assert.Throws<InvalidDataException>(() => Demonstrations.Load(path)).Message, StringComparison.Ordinal);
        new Demonstrations(Table, []).Save(path);
        Assert.Contains("empty", Assert.Throws<InvalidDataException>(() => Demonstrations.Load(path)).Message, StringComparison.Ordinal);
    }
}
