using System.CommandLine;
using System.Globalization;
using Lineage.Data.Catalog;
using Lineage.Experiments;
using Lineage.Experiments.Robotics;
using Lineage.Experiments.Vision;
using Lineage.Neural.Action;
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Multimodal;
using Lineage.Robotics.Sim;
using Lineage.Text.IO;
using Spectre.Console;
using static TorchSharp.torch;

namespace Lineage.Cli.Commands;

/// <summary>
/// <c>lineage vla collect|train|eval|play</c>: expert demonstrations in the Twemoji tabletop, an RT-2/OpenVLA-style policy
/// trained on them (on a CLIP pretrained on captioned scenes, kept in <c>&lt;out&gt;/vla/clip</c>), its closed-loop
/// success, and one episode for a typed instruction. Files under <c>&lt;out&gt;/vla</c>: demos.bin, checkpoint.bin
/// (atomic; --resume), model/ (config.json, model.safetensors, vocab.json, answers.json).
/// </summary>
[CliCommand(130)]
internal static class VlaCommand
{
    private static readonly Option<string?> ModelFolder = new("--model") { Description = "VLA model folder (default: <out>/vla/model)." };
    private static readonly Option<string?> DemosFile = new("--demos") { Description = "Demonstrations file (default: <out>/vla/demos.bin)." };

    private static string Dir(ParseResult parse) => Path.Combine(parse.GetValue(GlobalOptions.Out)!, "vla");

    private static string Model(ParseResult parse) => parse.GetValue(ModelFolder) ?? Path.Combine(Dir(parse), "model");

    /// <summary>The command and its four subcommands.</summary>
    public static Command Create() => new("vla", "Vision-language-action policy in a tabletop of real emoji: collect demonstrations, train, eval, play.")
    {
        Collect(), Train(), Eval(), Play(),
    };

    private static Command Collect()
    {
        var episodes = new Option<int?>("--episodes") { Description = $"Expert episodes per task kind (pick up, move to a corner, put next to, push right); default {VlaSettings.Default.EpisodesPerKind}, or {VlaSettings.Default.OneObjectEpisodes} pick-ups with --one-object." };
        var command = new Command("collect", "Record the scripted expert on random scenes of the seen objects (noisy labels with outliers, DART execution noise).") { episodes, OneObject, DemosFile };
        command.SetAction((parse, token) => MainThread.Run(cancellation => CommandGuard.Run(() =>
        {
            var sprites = Sprites(parse, cancellation);
            var path = parse.GetValue(DemosFile) ?? Path.Combine(Dir(parse), "demos.bin");
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var (table, kinds, n) = Plan(parse, parse.GetValue(episodes));
            var demos = VisionCommand.WithBar(parse, n * kinds.Length, report =>
                Demonstrations.Collect(table, TableSprites.Seen(sprites), kinds, new CollectionSettings(n, Seed: parse.GetValue(GlobalOptions.Seed)),
                    new SyncProgress<int>(e => report(e, $"episode {e}")), cancellation));
            demos.Save(path);
            AnsiConsole.MarkupLine("{0:N0} episodes, {1:N0} steps ({2:P1} outlier labels) → {3}", demos.Episodes, demos.Steps.Count, demos.OutlierShare(), Markup.Escape(path));
            return 0;
        }, "Nothing was written."), token));
        return command;
    }

    private static Command Train()
    {
        var steps = new Option<int>("--steps") { Description = "Training steps in all (a resumed run continues up to this).", DefaultValueFactory = _ => VlaSettings.Default.Steps };
        var head = new Option<string>("--head") { Description = "tokens (256-bin action tokens, cross-entropy, as RT-2/OpenVLA) or a continuous head with mse, huber or l1.", DefaultValueFactory = _ => "tokens" };
        head.AcceptOnlyFromAmong("tokens", "mse", "huber", "l1");
        var curriculum = new Option<int>("--curriculum") { Description = "First train this many steps on scene questions, then actions (0: actions only).", DefaultValueFactory = _ => 0 };
        var randomVision = new Option<bool>("--random-vision") { Description = "Start from a randomly initialised image encoder instead of the pretrained CLIP's." };
        var resume = new Option<bool>("--resume") { Description = "Continue from the checkpoint (an interrupted run's, else the model folder's) if there is one." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace a model already in the model folder, only once the new one is trained." };
        var trainVision = new Option<bool>("--train-vision") { Description = "Fine-tune the image tower with the policy instead of keeping the pretrained one frozen (slower: no cached features; no grounding, which reads the tower as pretrained)." };
        var noGrounding = new Option<bool>("--no-grounding") { Description = "On tables of several objects, do not let CLIP ground the instruction's objects (the end-to-end policy, which does not find the named object)." };
        var clipSteps = new Option<int?>("--clip-steps") { Description = $"Pretraining steps of the dual encoder on captioned scenes, when <out>/vla/clip (or siglip) does not exist yet; default {VlaSettings.Default.ClipSteps} for CLIP, {VlaSettings.Default.SigLipSteps} for SigLIP." };
        var encoder = new Option<string>("--encoder") { Description = "The pretrained dual encoder: clip (softmax contrastive loss) or siglip (pairwise sigmoid loss); kept in <out>/vla/clip or <out>/vla/siglip.", DefaultValueFactory = _ => "clip" };
        encoder.AcceptOnlyFromAmong("clip", "siglip");
        var command = new Command("train", "Train the VLA on the demonstrations (collected first if missing); CLIP is pretrained on captioned scenes first if <out>/vla/clip is missing. The model folder is replaced only at the end (Ctrl-C keeps it).")
        {
            steps, head, curriculum, randomVision, trainVision, resume, overwrite, noGrounding, encoder, clipSteps, OneObject, DemosFile, ModelFolder,
        };
        command.SetAction((parse, token) => MainThread.Run(cancellation => CommandGuard.Run(() =>
        {
            GlobalOptions.Torch(parse, threadsByDefault: 1);   // small matrices: one libtorch thread is faster (as in the tour's chapter)
            var folder = Model(parse);
            var (work, resuming) = TrainingFolders.Start(folder, parse.GetValue(resume), parse.GetValue(overwrite));
            int seed = parse.GetValue(GlobalOptions.Seed);
            var objective = parse.GetValue(encoder) == "siglip" ? ContrastiveObjective.SigLip : ContrastiveObjective.Clip;
            var s = VlaSettings.Default with { Steps = parse.GetValue(steps) };
            s = s with { ClipSteps = parse.GetValue(clipSteps) ?? (objective == ContrastiveObjective.SigLip ? s.SigLipSteps : s.ClipSteps) };
            if (s.Steps < 1 || s.ClipSteps < 1) throw new ArgumentException($"--steps and --clip-steps must be at least 1 (got {s.Steps} and {s.ClipSteps}).");
            var sprites = Sprites(parse, cancellation);
            var dir = Dir(parse);
            Directory.CreateDirectory(dir);
            var demosPath = parse.GetValue(DemosFile) ?? Path.Combine(dir, "demos.bin");
            Demonstrations demos;
            if (File.Exists(demosPath)) demos = Demonstrations.Load(demosPath);
            else
            {
                AnsiConsole.MarkupLine("[grey]no demonstrations at {0}: recording them first[/]", Markup.Escape(demosPath));
                var (table, kinds, n) = Plan(parse, null);
                demos = Demonstrations.Collect(table, TableSprites.Seen(sprites), kinds, new CollectionSettings(n, Seed: seed), cancellation: cancellation);
                demos.Save(demosPath);
            }

            if (parse.GetValue(OneObject) && demos.Table.MaxObjects != 1)
                throw new ArgumentException($"--one-object, but {demosPath} holds demonstrations on tables of {demos.Table.MinObjects}–{demos.Table.MaxObjects} objects; collect single-object ones into another file (--demos).");

            using var clip = Clip(parse, dir, s, objective, sprites, seed, out var tokenizer, cancellation);
            var answers = SceneText.Answers(sprites);
            var (h, loss) = parse.GetValue(head) switch
            {
                "mse" => (ActionHead.Continuous, RegressionLoss.Mse),
                "huber" => (ActionHead.Continuous, RegressionLoss.Huber),
                "l1" => (ActionHead.Continuous, RegressionLoss.L1),
                _ => (ActionHead.Tokens, RegressionLoss.Mse),
            };
            bool random = parse.GetValue(randomVision);
            manual_seed(seed);
            // CLIP grounds the instruction's objects on tables of several objects (a single object needs no choosing), unless
            // asked not to or the image tower is random (its grounding would be noise).
            bool tune = parse.GetValue(trainVision);
            bool grounding = demos.Table.MaxObjects > 1 && !random && !tune && !parse.GetValue(noGrounding);
            var model = new Vla(VlaRecipe.ModelConfig(s, clip.Config, answers.Count, h, loss, freezeVision: !random && !tune, grounding));
            if (random) model.TextModel.load_state_dict(clip.TextModel.state_dict());
            else model.LoadEncoders(clip);
            var policy = new VlaPolicy(model, tokenizer, demos.Table, answers, Grounding.Names(sprites));   // the table the demonstrations were recorded on
            int questionSteps = parse.GetValue(curriculum);
            var questions = questionSteps > 0 ? VlaTraining.Questions(s.Table, TableSprites.Seen(sprites), Enum.GetValues<TaskKind>(), answers, s.Questions, seed) : null;
            var checkpoint = Path.Combine(work, TrainingFolders.CheckpointName);
            var options = s.Training(questionSteps, seed, checkpoint, resuming);
            AnsiConsole.MarkupLine("VLA ({0} head{1}{6}): {2:N0} parameters ({3:N0} trainable), {4:N0} demonstration steps; checkpoint {5}", h, h == ActionHead.Continuous ? ", " + loss : "",
                model.parameters().Sum(p => p.numel()), model.parameters().Where(p => p.requires_grad).Sum(p => p.numel()), demos.Steps.Count, Markup.Escape(checkpoint), grounding ? (objective == ContrastiveObjective.SigLip ? ", SigLIP grounding" : ", CLIP grounding") : "");
            var history = VisionCommand.WithBar(parse, s.Steps, report => policy.Train(demos, questions, options,
                progress: new SyncProgress<StepReport>(r => report(r.Step, string.Create(CultureInfo.InvariantCulture, $"loss {r.Loss:0.000}"))), cancellation: cancellation));
            VlaFolder.Save(work, policy);
            TrainingFolders.Finish(work, folder);
            AnsiConsole.MarkupLine("{0} steps in {1:0} s, final loss {2:0.000}; model folder: {3}", history.Losses.Count, history.TrainSeconds, history.Losses.TakeLast(20).Average(), Markup.Escape(folder));
            model.Dispose();
            return 0;
        }, () =>
        {
            var checkpoint = TrainingFolders.CheckpointOf(Model(parse));
            return File.Exists(checkpoint) ? $"The last checkpoint is {checkpoint}; continue with --resume." : "No checkpoint was written yet.";
        }), token));
        return command;
    }

    private static readonly Option<bool> OneObject = new("--one-object")
    {
        Description = "Single-object pick-ups (reach and grasp): the setting in which the tour's token VLA beats random actions; without it, the four tasks on tables of 2–3 objects.",
    };

    /// <summary>The table, task kinds and episodes per kind that <c>collect</c> (or <c>train</c> with no demonstrations) records.</summary>
    private static (TabletopConfig Table, TaskKind[] Kinds, int Episodes) Plan(ParseResult parse, int? episodes)
    {
        var s = VlaSettings.Default;
        bool one = parse.GetValue(OneObject);
        int n = episodes ?? (one ? s.OneObjectEpisodes : s.EpisodesPerKind);
        if (n < 1) throw new ArgumentException($"--episodes must be at least 1, got {n}.");
        var table = one ? s.OneObjectTable : s.Table;
        return (table, VlaRecipe.Kinds(table), n);
    }

    private static Command Eval()
    {
        var episodes = new Option<int>("--episodes") { Description = "Held-out episodes per task kind.", DefaultValueFactory = _ => VlaSettings.Default.EvalPerKind };
        var command = new Command("eval", "Closed-loop success of a VLA model folder on held-out scenes (per task, 95% Wilson intervals), and on pick-ups of objects no demonstration showed.") { episodes, ModelFolder };
        command.SetAction((parse, token) => MainThread.Run(cancellation => CommandGuard.Run(() =>
        {
            GlobalOptions.Torch(parse);
            var policy = VlaFolder.Load(Model(parse));
            var sprites = Sprites(parse, cancellation);
            int seed = parse.GetValue(GlobalOptions.Seed), n = parse.GetValue(episodes);
            if (n < 1) throw new ArgumentException($"--episodes must be at least 1, got {n}.");
            var kinds = VlaRecipe.Kinds(policy.Table);   // a policy trained on single-object tables learnt pick-ups only
            var outcomes = policy.RunEpisodes(VlaRecipe.Scenes(policy.Table, TableSprites.Seen(sprites), kinds, n, seed), cancellation: cancellation);
            var unseen = policy.RunEpisodes(VlaRecipe.UnseenScenes(policy.Table, TableSprites.Seen(sprites), TableSprites.Unseen(sprites), n, seed), cancellation: cancellation);
            var table = new Table().AddColumns("task", "episodes", "success", "95% interval", "mean steps");
            foreach (var (label, group) in kinds.Select(k => (k.ToString(), outcomes.Where(o => o.Kind == k).ToList())).Append(("all", outcomes.ToList())).Append(("pick up an unseen object", unseen.ToList())))
            {
                int k = group.Count(o => o.Success);
                var (lo, hi) = Proportion.Wilson(k, group.Count);
                table.AddRow(label, group.Count.ToString(CultureInfo.InvariantCulture), ((double)k / group.Count).ToString("P1", CultureInfo.InvariantCulture),
                    Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"[{lo:P0}, {hi:P0}]")), group.Average(o => o.Steps).ToString("0.0", CultureInfo.InvariantCulture));
            }

            AnsiConsole.Write(table);
            policy.Model.Dispose();
            return 0;
        }), token));
        return command;
    }

    private static Command Play()
    {
        var instruction = new Argument<string>("instruction") { Description = "What to do, e.g. \"pick up the banana\", \"move the cat to the top left\", \"put the dog next to the pear\", \"push the leftmost fruit right\"." };
        var frames = new Option<string?>("--frames") { Description = "Folder for the episode's frames (default: <out>/vla/play)." };
        var command = new Command("play", "Run one episode for a typed instruction on a random table that holds the objects it names; writes every frame and a strip.") { instruction, frames, ModelFolder };
        command.SetAction((parse, token) => MainThread.Run(cancellation => CommandGuard.Run(() =>
        {
            GlobalOptions.Torch(parse);
            var policy = VlaFolder.Load(Model(parse));
            var sprites = Sprites(parse, cancellation);
            string text = parse.GetValue(instruction) ?? "";
            if (string.IsNullOrWhiteSpace(text)) throw new ArgumentException("The instruction is empty.");
            var sim = Scene(policy.Table, sprites, text, parse.GetValue(GlobalOptions.Seed));
            AnsiConsole.MarkupLine("on the table: {0}", Markup.Escape(string.Join(", ", sim.Objects.Select(o => $"{o.Sprite.Name} ({o.Sprite.Category})"))));
            if (sim.Task.Target < 0)
                AnsiConsole.MarkupLine("[yellow]note:[/] the instruction names no object on the table (known objects: {0}); the policy still acts, but nothing can succeed.",
                    Markup.Escape(string.Join(", ", sprites.Select(p => p.Name))));
            if (policy.Text.Unknown(text) is { Count: > 0 } unknown)
                AnsiConsole.MarkupLine("[yellow]note:[/] words the model never saw become [[UNK]]: {0}", Markup.Escape(string.Join(", ", unknown)));
            var folder = parse.GetValue(frames) ?? Path.Combine(Dir(parse), "play");
            Directory.CreateDirectory(folder);
            var shots = new List<byte[]>();
            var outcome = policy.RunEpisodes([sim], frame: (_, f) => shots.Add(f), cancellation: cancellation)[0];
            for (int i = 0; i < shots.Count; i++) ImageFigures.SaveRgb(Path.Combine(folder, $"frame-{i:000}.png"), shots[i], policy.Table.Size);
            int per = Math.Min(10, shots.Count);
            var strip = Enumerable.Range(0, per).Select(c => (int)Math.Round(c * (shots.Count - 1) / (double)Math.Max(1, per - 1)))
                .Select(t => new FigureImage(ImageFigures.Planar(shots[t], policy.Table.Size), 3, policy.Table.Size, $"step {t}")).ToList();
            ImageFigures.Grid(Path.Combine(folder, "strip.png"), text, strip, per, 96);
            AnsiConsole.MarkupLine("{0} after {1} steps ({2} clipped action values); {3} frames and strip.png in {4}",
                outcome.Success ? "[green]done[/]" : "[red]not done[/]", outcome.Steps, outcome.Clipped, shots.Count, Markup.Escape(folder));
            policy.Model.Dispose();
            return outcome.Success ? 0 : 3;
        }), token));
        return command;
    }

    /// <summary>A table holding the objects the instruction names (plus one or two others), the gripper somewhere random.</summary>
    private static Tabletop Scene(TabletopConfig table, IReadOnlyList<Sprite> sprites, string text, int seed)
    {
        string t = " " + text.ToLowerInvariant() + " ";
        var named = sprites.Where(p => t.Contains(" " + p.Name + " ", StringComparison.Ordinal)).ToList();
        var category = sprites.Select(p => p.Category).Distinct().FirstOrDefault(c => t.Contains(" " + c + " ", StringComparison.Ordinal));
        if (category is not null && named.Count == 0) named.Add(sprites.First(p => p.Category == category));
        var rng = new Random(seed);
        var others = sprites.Except(named).OrderBy(_ => rng.Next()).Take(Math.Max(0, Math.Min(table.MaxObjects, Math.Max(table.MinObjects, named.Count + 1)) - named.Count));
        var chosen = named.Take(table.MaxObjects).Concat(others).ToList();
        var objects = new List<TableObject>();
        float m = table.ObjectSize;
        foreach (var sprite in chosen)
        {
            for (int attempt = 0; ; attempt++)
            {
                float x = m + (float)rng.NextDouble() * (table.Size - 2 * m), y = m + (float)rng.NextDouble() * (table.Size - 2 * m);
                if (category is not null && objects.Count == 0) x = m + (float)rng.NextDouble() * (table.Size / 3f - m);      // room to push right
                if (objects.All(o => Tabletop.Distance(o.X, o.Y, x, y) >= 1.5f * m) || attempt > 200)
                {
                    objects.Add(new TableObject(objects.Count, sprite, x, y));
                    break;
                }
            }
        }

        return Tabletop.FromScene(table, objects, TaskParser.Parse(text, objects), (float)rng.NextDouble() * table.Size, (float)rng.NextDouble() * table.Size, closed: true);
    }

    private static DualEncoder Clip(ParseResult parse, string dir, VlaSettings s, ContrastiveObjective objective, IReadOnlyList<Sprite> sprites, int seed, out CaptionTokenizer tokenizer, CancellationToken cancellation)
    {
        string name = objective == ContrastiveObjective.SigLip ? "siglip" : "clip", label = objective == ContrastiveObjective.SigLip ? "SigLIP" : "CLIP";
        var folder = Path.Combine(dir, name);
        if (File.Exists(Path.Combine(folder, "model.safetensors")))
        {
            var loaded = ModelFolders.LoadDualEncoder(folder, out tokenizer);
            if (loaded.Config.Objective != objective)
            {
                loaded.Dispose();
                throw new InvalidDataException($"{folder} holds a {loaded.Config.Objective} dual encoder, not {label}.");
            }

            AnsiConsole.MarkupLine("[grey]{0} from {1}[/]", label, Markup.Escape(folder));
            return loaded;
        }

        tokenizer = VlaRecipe.Tokenizer(s.Table, sprites, seed);
        manual_seed(seed);
        var clip = new DualEncoder(VlaRecipe.ClipConfig(s, tokenizer, objective));
        var tok = tokenizer;
        var history = VisionCommand.WithBar(parse, s.ClipSteps, report => VlaPretraining.PretrainClip(clip, tok, s.Table, sprites, s.ClipScenes, s.ClipBatch, s.ClipSteps, s.Context, seed, Path.Combine(dir, name + "-checkpoint.bin"), resume: true,
            new SyncProgress<StepReport>(r => report(r.Step, string.Create(CultureInfo.InvariantCulture, $"{label} loss {r.Loss:0.000}"))), cancellation));
        var staging = AtomicFolder.StagingOf(folder);   // the folder appears whole or not at all
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        ModelFolders.SaveDualEncoder(staging, clip, tokenizer);
        AtomicFolder.Replace(staging, folder);
        AnsiConsole.MarkupLine("{0} pretrained on captioned scenes ({1} steps, caption top-1 among 64: {2:P0}) → {3}", label, history.Losses.Count,
            VlaPretraining.CaptionAccuracy(clip, tokenizer, s.Table, sprites, s.Context, seed), Markup.Escape(folder));
        return clip;
    }

    private static IReadOnlyList<Sprite> Sprites(ParseResult parse, CancellationToken cancellation)
    {
        var store = new DataStore(DataStore.DefaultRoot(parse.GetValue(GlobalOptions.Data)));
        var folder = store.Require(DataCatalog.Twemoji, m => AnsiConsole.MarkupLine("[grey]{0}[/]", Markup.Escape(m)), cancellation);
        return TableSprites.Load(folder, VlaSettings.DefaultTable.ObjectSize);
    }
}
