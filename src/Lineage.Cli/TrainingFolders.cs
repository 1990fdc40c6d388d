using Lineage.Text.IO;

namespace Lineage.Cli;

/// <summary>
/// Where a training command works (issue 29: no trained model lost). A new run trains in a staging folder beside the
/// model — its tokenizer, checkpoints and final weights go there — and replaces the model only when it is done
/// (<see cref="AtomicFolder"/>), so an interrupted run (Ctrl-C, or a kill) never leaves a new tokenizer beside old weights
/// nor half of a new model. It refuses to start over a trained model unless told to (--overwrite), in one wording for every
/// command (<see cref="Refusal"/>). With --resume it continues the checkpoint it finds: an interrupted new run's (in the
/// staging folder), else the model's own.
/// <list type="bullet">
/// <item><see cref="Start"/>/<see cref="Finish"/>: a model folder (pretraining, classifiers, vision, VLA); the folder is
/// replaced as a whole.</item>
/// <item><see cref="StartUpdate"/>/<see cref="FinishUpdate"/>: a finetune that writes its model folder back (GPT): the
/// new files replace the folder's one by one (each a rename), the rest of the folder is kept.</item>
/// <item><see cref="StartFile"/>/<see cref="FinishFile"/>: a model that is one checkpoint file (the byte-level sequence
/// models).</item>
/// </list>
/// </summary>
internal static class TrainingFolders
{
    /// <summary>The name of the checkpoint file every training command writes in its folder.</summary>
    public const string CheckpointName = "checkpoint.bin";

    /// <summary>The files of a model folder in Hugging Face's layout: any of them means a trained model is there.</summary>
    public static readonly IReadOnlyList<string> ModelFiles = ["config.json", "model.safetensors"];

    /// <summary>The staging folder of <paramref name="folder"/>.</summary>
    public static string StagingOf(string folder) => AtomicFolder.StagingOf(folder, "training");

    /// <summary>The staging folder of a finetune that writes <paramref name="folder"/> back (apart from a pretraining's).</summary>
    public static string UpdateStagingOf(string folder) => AtomicFolder.StagingOf(folder, "finetune");

    /// <summary>The one line every training command gives when it will not start over a trained model.</summary>
    /// <param name="model">The folder or file that holds the model.</param>
    /// <param name="other">The option that names another one ("--model folder", "--out-model folder", "--checkpoint file").</param>
    public static string Refusal(string model, string other) =>
        $"{model}: holds a trained model; give --resume to continue its checkpoint, --overwrite to replace it once the new one is trained, or another {other}.";

    /// <summary>The folder this run works in, and whether it resumes a checkpoint there.</summary>
    /// <param name="folder">The model folder.</param>
    /// <param name="resume">--resume: continue a checkpoint (the staging folder's, else the folder's).</param>
    /// <param name="overwrite">--overwrite: start over a trained model (replaced only at the end).</param>
    /// <param name="modelFiles">Files that mark a trained model (default <see cref="ModelFiles"/>).</param>
    /// <param name="other">The option naming another folder, for <see cref="Refusal"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="folder"/> is a file, or holds a trained model and neither --resume (with a checkpoint) nor --overwrite was given.</exception>
    public static (string Work, bool Resuming) Start(string folder, bool resume, bool overwrite, IReadOnlyList<string>? modelFiles = null, string other = "--model folder")
    {
        var staging = StagingOf(folder);
        if (resume && File.Exists(Path.Combine(staging, CheckpointName))) return (staging, true);
        if (resume && File.Exists(Path.Combine(folder, CheckpointName)))
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);   // an interrupted run that left no checkpoint
            return (folder, true);
        }

        if (File.Exists(folder)) throw new ArgumentException($"{folder}: is a file; {other.Split(' ')[0]} names a folder.");
        if (!overwrite && (modelFiles ?? ModelFiles).Any(f => File.Exists(Path.Combine(folder, f))))
            throw new ArgumentException(Refusal(folder, other));
        Fresh(staging);
        return (staging, false);
    }

    /// <summary>Puts a finished run's folder in place (nothing to do when it resumed in the model folder itself).</summary>
    public static void Finish(string work, string folder)
    {
        if (!SamePath(work, folder)) AtomicFolder.Replace(work, folder);
    }

    /// <summary>
    /// The folder a finetune that writes <paramref name="folder"/> back works in (its own staging folder, apart from a
    /// pretraining's), and whether it resumes an interrupted finetune's checkpoint there. The model folder itself is not
    /// touched until <see cref="FinishUpdate"/>.
    /// </summary>
    public static (string Work, bool Resuming) StartUpdate(string folder, bool resume)
    {
        var staging = UpdateStagingOf(folder);
        if (resume && File.Exists(Path.Combine(staging, CheckpointName))) return (staging, true);
        Fresh(staging);
        return (staging, false);
    }

    /// <summary>
    /// Moves every file of a finished finetune's <paramref name="work"/> folder over <paramref name="folder"/>'s (each a
    /// rename on one file system, the weights last), then removes the staging folder.
    /// </summary>
    public static void FinishUpdate(string work, string folder)
    {
        var files = Directory.GetFiles(work).OrderBy(f => Path.GetFileName(f) == "model.safetensors" ? 1 : 0).ThenBy(f => f, StringComparer.Ordinal);
        foreach (var file in files) AtomicFile.MoveOver(file, Path.Combine(folder, Path.GetFileName(file)));
        Directory.Delete(work, recursive: true);
    }

    /// <summary>The checkpoint file this run of a one-file model trains into, and whether it resumes.</summary>
    /// <param name="model">The model's checkpoint file.</param>
    /// <param name="resume">--resume: continue the interrupted run's staged checkpoint, else a copy of <paramref name="model"/>.</param>
    /// <param name="overwrite">--overwrite: start over <paramref name="model"/> (replaced only at the end).</param>
    /// <param name="other">The option naming another file, for <see cref="Refusal"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="model"/> is a folder, or exists and neither --resume nor --overwrite was given.</exception>
    public static (string Work, bool Resuming) StartFile(string model, bool resume, bool overwrite, string other = "--checkpoint file")
    {
        if (Directory.Exists(model)) throw new ArgumentException($"{model}: is a folder; {other.Split(' ')[0]} names a file.");
        var staging = StagingOf(model);
        var staged = Path.Combine(staging, Path.GetFileName(model));
        if (resume && File.Exists(staged)) return (staged, true);
        if (File.Exists(model) && !resume && !overwrite) throw new ArgumentException(Refusal(model, other));
        Fresh(staging);
        if (resume && File.Exists(model))
        {
            File.Copy(model, staged);   // the model stays as it is until the resumed run is done
            return (staged, true);
        }

        return (staged, false);
    }

    /// <summary>Renames a finished run's checkpoint over the model file and removes the staging folder.</summary>
    public static void FinishFile(string work, string model)
    {
        AtomicFile.MoveOver(work, model);
        Directory.Delete(Path.GetDirectoryName(work)!, recursive: true);
    }

    /// <summary>The checkpoint a Ctrl-C leaves: the staging folder's when there is one, else the folder's.</summary>
    public static string CheckpointOf(string folder)
    {
        var staged = Path.Combine(StagingOf(folder), CheckpointName);
        return File.Exists(staged) ? staged : Path.Combine(folder, CheckpointName);
    }

    private static void Fresh(string staging)
    {
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);   // a killed run's leftovers
        Directory.CreateDirectory(staging);
    }

    private static bool SamePath(string a, string b) => string.Equals(Path.GetFullPath(a).TrimEnd('/'), Path.GetFullPath(b).TrimEnd('/'), StringComparison.Ordinal);
}
