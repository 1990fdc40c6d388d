// Shared with tests/Lineage.Neural.Tests (linked there), whose VLA tests act on the same synthetic table.
namespace Lineage.Robotics.Sim.Tests;

/// <summary>Sprites for the simulator's tests.</summary>
internal static class TestSprites
{
    // Synthetic sprites (the tour uses Twemoji): a filled disc of one colour each, two categories.
    public static readonly Sprite[] Pool =
    [
        .. new[] { ("red apple", 220, 30, 30, "Food"), ("banana", 240, 220, 40, "Food"), ("grapes", 120, 40, 160, "Food"),
                   ("cat", 200, 140, 60, "Animals"), ("dog", 150, 100, 60, "Animals"), ("frog", 60, 180, 60, "Animals") }
            .Select(s => Disc(s.Item1, s.Item5, (byte)s.Item2, (byte)s.Item3, (byte)s.Item4)),
    ];

    private static Sprite Disc(string name, string category, byte r, byte g, byte b)
    {
        const int side = 16;
        var px = new byte[side * side * 4];
        for (int y = 0; y < side; y++)
        {
            for (int x = 0; x < side; x++)
            {
                int p = (y * side + x) * 4;
                bool inside = (x - 7.5) * (x - 7.5) + (y - 7.5) * (y - 7.5) <= 49;
                (px[p], px[p + 1], px[p + 2], px[p + 3]) = (r, g, b, inside ? (byte)255 : (byte)0);
            }
        }

        return new Sprite(name, category, category.ToLowerInvariant(), side, px);
    }
}
