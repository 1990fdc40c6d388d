using Lineage.Text.IO;

namespace Lineage.Cli;

/// <summary>
/// Where a pretraining command works (issue 29: no trained model lost). A new run trains in a staging folder beside the
/// model folder — its tokenizer and checkpoints go there — and replaces the model folder only when it is done
/// (<see cref="AtomicFolder"/>), so an interrupted run never leaves a new tokenizer beside old weights. It refuses to start
/// over a trained model unless told to (--overwrite). With --resume it continues the checkpoint it finds: an interrupted
/// new run's (in the staging folder), else the model folder's own.
/// </summary>
internal static class TrainingFolders
{
    /// <summary>The name of the checkpoint file every training command writes in its folder.</summary>
    public const string CheckpointName = "checkpoint.bin";

    private static readonly string[] ModelFiles = ["config.json", "model.safetensors"];

    /// <summary>The staging folder of <paramref name="folder"/>.</summary>
    public static string StagingOf(string folder) => AtomicFolder.StagingOf(folder, "training");

    /// <summary>The folder this run works in, and whether it resumes a checkpoint there.</summary>
    /// <exception cref="ArgumentException"><paramref name="folder"/> is a file, or holds a trained model and neither --resume (with a checkpoint) nor --overwrite was given.</exception>
    public static (string Work, bool Resuming) Start(string folder, bool resume, bool overwrite)
    {
        var staging = StagingOf(folder);
        if (resume && File.Exists(Path.Combine(staging, CheckpointName))) return (staging, true);
        if (resume && File.Exists(Path.Combine(folder, CheckpointName))) return (folder, true);
        if (File.Exists(folder)) throw new ArgumentException($"{folder}: is a file; --model names a folder.");
        if (!overwrite && ModelFiles.Any(f => File.Exists(Path.Combine(folder, f))))
            throw new ArgumentException($"{folder}: holds a trained model; give --resume to continue its checkpoint, --overwrite to replace it once the new one is trained, or another --model folder.");
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        return (staging, false);
    }

    /// <summary>Puts a finished run's folder in place (nothing to do when it resumed in the model folder itself).</summary>
    public static void Finish(string work, string folder)
    {
        if (!string.Equals(Path.GetFullPath(work), Path.GetFullPath(folder), StringComparison.Ordinal)) AtomicFolder.Replace(work, folder);
    }

    /// <summary>The checkpoint a Ctrl-C leaves: the staging folder's when there is one, else the folder's.</summary>
    public static string CheckpointOf(string folder)
    {
        var staged = Path.Combine(StagingOf(folder), CheckpointName);
        return File.Exists(staged) ? staged : Path.Combine(folder, CheckpointName);
    }
}
