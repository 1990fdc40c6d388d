namespace Lineage.Fuzz;

/// <summary>`seeds OUTDIR [TARGET]`: each target's seed files in OUTDIR/TARGET/, each checked to load cleanly first.</summary>
internal static class Seeds
{
    public static int Write(string outDir, IReadOnlyList<Target> targets)
    {
        Scratch.Name = "seeds";
        try
        {
            foreach (var target in targets)
            {
                var dir = Path.Combine(outDir, target.Name);
                Directory.CreateDirectory(dir);
                int n = 0;
                foreach (var (name, bytes) in target.Seeds())
                {
                    target.Run(bytes);   // a seed must not itself be a finding
                    File.WriteAllBytes(Path.Combine(dir, name), bytes);
                    n++;
                }

                Console.WriteLine($"seeds: {target.Name}: {n} file(s) in {dir}");
            }

            return 0;
        }
        finally
        {
            Scratch.Delete();
        }
    }
}
