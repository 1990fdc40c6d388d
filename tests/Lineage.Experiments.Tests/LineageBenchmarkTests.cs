using Lineage.Data.Benchmark;
using Lineage.Experiments.Benchmark;

namespace Lineage.Experiments.Tests;

/// <summary>The benchmark runner on tiny synthetic tasks: every classical row runs, and a planted word is found.</summary>
public class LineageBenchmarkTests
{
    private static readonly string[] Filler = ["the", "and", "of", "to", "in", "is", "was", "for", "on", "with", "as", "by", "at", "from"];

    // Class 0 texts say "alpha", class 1 texts say "beta"; the rest is shared filler. 600 texts (480 to train): more than
    // the 1–2-gram row's ~230 columns, which are mostly random filler bigrams — with fewer texts than columns (200 texts
    // were used before) the unscaled probe memorises filler bigrams and misses 1 or 2 of 40 held-out texts.
    private static ClassificationTask Planted(int fillers = 20)
    {
        var random = new Random(7);
        ClassificationItem Item(int i)
        {
            int label = i % 2;
            var words = Enumerable.Range(0, fillers).Select(_ => Filler[random.Next(Filler.Length)]).Append(label == 0 ? "alpha" : "beta");
            return new ClassificationItem($"d{i:D3}", $"d{i:D3}", string.Join(' ', words), label);
        }

        var items = Enumerable.Range(0, 600).Select(Item).ToList();
        var split = TaskSplit.Stratified("planted", 1, 0.2, items.Select(i => (i.Id, i.Label.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        var test = split.Test.ToHashSet();
        return new ClassificationTask("planted", "planted word", ["a", "b"], [.. items.Where(i => !test.Contains(i.Id))], [.. items.Where(i => test.Contains(i.Id))], split);
    }

    [Theory]
    [InlineData("onehot")]
    [InlineData("bow")]
    [InlineData("tfidf")]
    [InlineData("tfidf-12")]
    public void Run_CountingRows_FindThePlantedWord(string representation)
    {
        // The benchmark's protocol as it is (unscaled, λ chosen on a fold of the training rows, 300 steps).
        var row = LineageBenchmark.Run(Planted(), representation, ProbeOptions.Protocol, seed: 1);
        Assert.Equal(1.0, row.Metrics["accuracy"]);
        Assert.Equal(1.0, row.Metrics["macro_f1"]);
        Assert.True(row.Features >= 16);
        Assert.True(row.Parameters >= 2 * row.Features);
        Assert.True(row.TextsPerSecond > 0);
        Assert.Contains("chosen on a fold of the training split", row.Note, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bert-scratch", "lineage.tasks-bert-planted")]
    [InlineData("roberta-scratch", "lineage.tasks-roberta-planted")]
    public void ScratchEncoder_PretrainsOnceOnTheTrainingTexts_ThenReusesTheCachedEncoder(string id, string folder)
    {
        using var dir = new TempFolder();
        var models = Path.Combine(dir.Path, "models");
        var settings = Lineage.Experiments.Transformers.BertRobertaSettings.Quick(1) with { Sequences = 96 };
        var probe = new ProbeOptions(Steps: 50);
        var first = ScratchBertRows.Run(Planted(), id, settings, models, probe, seed: 1);
        Assert.Equal(settings.Dim, first.Features);
        Assert.InRange(first.Metrics["accuracy"], 0, 1);
        Assert.Contains("pre-trained here", first.Note, StringComparison.Ordinal);
        Assert.Single(Directory.GetDirectories(Path.Combine(models, folder)));
        var second = ScratchBertRows.Run(Planted(), id, settings, models, probe, seed: 1);
        Assert.Contains("from the model cache", second.Note, StringComparison.Ordinal);
        Assert.Equal(first.Metrics["accuracy"], second.Metrics["accuracy"]);
        Assert.Equal(first.Parameters, second.Parameters);
        Assert.True(first.Parameters > settings.Vocabulary * settings.Dim / 2, $"{first.Parameters} parameters");
    }

    [Fact]
    public void ScratchT5_PretrainsOnceOnTheTrainingTexts_ThenReusesTheCachedEncoder()
    {
        if (Lineage.Text.Tokenization.SentencePiece.FindTrainer() is null) return;   // run-tests' bootstrap installs spm_train
        using var dir = new TempFolder();
        var models = Path.Combine(dir.Path, "models");
        var settings = T5RowSettings.Tiny(1);
        var probe = new ProbeOptions(Steps: 50);
        var first = ScratchT5Rows.Run(Planted(), settings, models, probe, seed: 1);
        Assert.Equal(settings.Model.Dim, first.Features);
        Assert.InRange(first.Metrics["accuracy"], 0, 1);
        Assert.Contains("pre-trained here", first.Note, StringComparison.Ordinal);
        Assert.Single(Directory.GetDirectories(Path.Combine(models, "lineage.tasks-t5-planted")));
        var second = ScratchT5Rows.Run(Planted(), settings, models, probe, seed: 1);
        Assert.Contains("from the model cache", second.Note, StringComparison.Ordinal);
        Assert.Equal(first.Metrics["accuracy"], second.Metrics["accuracy"]);
        Assert.Equal(first.Parameters, second.Parameters);
    }

    [Theory]
    [InlineData("lstm-scratch")]
    [InlineData("gru-scratch")]
    [InlineData("bytenet-scratch")]
    [InlineData("gpt-scratch")]
    public void ByteLm_TrainsOnceOnTheTrainingTexts_ThenReusesTheCachedModel(string id)
    {
        using var dir = new TempFolder();
        var models = Path.Combine(dir.Path, "models");
        var settings = ByteLmRowSettings.Tiny(1);
        var probe = new ProbeOptions(Steps: 50);
        var first = ByteLmRows.Run(Planted(), id, settings, models, probe, seed: 1);
        Assert.Equal(16, first.Features);
        Assert.InRange(first.Metrics["accuracy"], 0, 1);
        Assert.Contains("trained here", first.Note, StringComparison.Ordinal);
        var second = ByteLmRows.Run(Planted(), id, settings, models, probe, seed: 1);
        Assert.Contains("from the model cache", second.Note, StringComparison.Ordinal);
        Assert.Equal(first.Metrics["accuracy"], second.Metrics["accuracy"]);
        Assert.Equal(first.Parameters, second.Parameters);
    }

    [Theory]
    [InlineData("lstm-scratch")]
    [InlineData("gpt-scratch")]
    public void ByteLm_LastStateRow_ReadsItsMeanRowsCachedModel(string id)
    {
        using var dir = new TempFolder();
        var models = Path.Combine(dir.Path, "models");
        var settings = ByteLmRowSettings.Tiny(1);
        var probe = new ProbeOptions(Steps: 50);
        var mean = ByteLmRows.Run(Planted(), id, settings, models, probe, seed: 1);
        var last = ByteLmRows.Run(Planted(), id + ByteLmRows.LastSuffix, settings, models, probe, seed: 1);
        Assert.Contains("trained here", mean.Note, StringComparison.Ordinal);
        Assert.Contains("from the model cache", last.Note, StringComparison.Ordinal);
        Assert.Equal(mean.Parameters, last.Parameters);
        Assert.Equal(16, last.Features);
        Assert.Contains("the state at the last", last.Name, StringComparison.Ordinal);
        Assert.Contains(id + ByteLmRows.LastSuffix, LineageBenchmark.Representations);
    }

    [Theory]
    [InlineData("lstm")]
    [InlineData("gpt")]
    public void ByteLm_LastState_IsTheStateAtTheTextsLastByte_WithinOneContext(string kind)
    {
        // The last-state vector is Hidden's row at the text's last byte, the same beside a longer text (whose padding
        // comes after it); a GPT reads only its first context (16 bytes here): a change after byte 16 changes nothing.
        TorchSharp.torch.manual_seed(3);
        using TorchSharp.torch.nn.Module model = kind == "lstm"
            ? new Lineage.Neural.Sequence.RecurrentLm(new Lineage.Neural.Sequence.RecurrentLmConfig(Lineage.Neural.Sequence.CellKind.Lstm, 8, 16))
            : new Lineage.Neural.Transformers.Gpt(new Lineage.Neural.Transformers.GptConfig(256, ContextLength: 16, Layers: 1, Heads: 2, Dim: 16, Dropout: 0));
        model.eval();
        var states = (Lineage.Neural.Core.IHiddenStates)model;
        using var _ = TorchSharp.torch.no_grad();
        string text = kind == "lstm" ? "the cat sat alpha" : "the cat sat on a mat alpha";
        using var alone = ByteLmRows.Last(states, [text], 64);
        using var beside = ByteLmRows.Last(states, [text, "a much longer text that pads the first one in the batch"], 64);
        var bytes = System.Text.Encoding.UTF8.GetBytes(text).Take(states.MaxLength ?? 64).Select(b => (long)b).ToArray();
        using var ids = TorchSharp.torch.tensor(bytes, [1, bytes.Length]);
        using var direct = states.Hidden(ids)[0, bytes.Length - 1];
        float[] Row(TorchSharp.torch.Tensor t) => t.to_type(TorchSharp.torch.ScalarType.Float32).data<float>().ToArray();
        Assert.Equal(Row(direct), Row(alone[0]), (a, b) => Math.Abs(a - b) < 1e-5);
        Assert.Equal(Row(alone[0]), Row(beside[0]), (a, b) => Math.Abs(a - b) < 1e-5);
        using var other = ByteLmRows.Last(states, [kind == "lstm" ? "the cat sat beta" : "the cat sat on a mat beta"], 64);
        if (kind == "lstm") Assert.NotEqual(Row(alone[0]), Row(other[0]));
        else Assert.Equal(Row(alone[0]), Row(other[0]), (a, b) => Math.Abs(a - b) < 1e-6);   // the last word lies past the context
    }

    [Theory]
    [InlineData("gru")]
    [InlineData("bytenet")]
    [InlineData("gpt")]
    public void ByteLm_Features_IgnoreTheOtherTextsPadding_AndSeeTheLastWord(string kind)
    {
        // A text's vector is the same alone and beside a longer text (its padding comes after it and is masked), and two
        // texts that differ only in their last word get different vectors. The GPT's context (16) is shorter than the
        // texts, so its features read two windows.
        TorchSharp.torch.manual_seed(3);
        using TorchSharp.torch.nn.Module model = kind switch
        {
            "gru" => new Lineage.Neural.Sequence.RecurrentLm(new Lineage.Neural.Sequence.RecurrentLmConfig(Lineage.Neural.Sequence.CellKind.Gru, 8, 16)),
            "bytenet" => new Lineage.Neural.Sequence.ByteNet(new Lineage.Neural.Sequence.ByteNetConfig(Channels: 16, Dilations: [1, 2], Repeats: 1)),
            _ => new Lineage.Neural.Transformers.Gpt(new Lineage.Neural.Transformers.GptConfig(256, ContextLength: 16, Layers: 1, Heads: 2, Dim: 16, Dropout: 0)),
        };
        var states = (Lineage.Neural.Core.IHiddenStates)model;
        var alone = ByteLmRows.Features(states, ["the cat sat alpha"], 64);
        var beside = ByteLmRows.Features(states, ["the cat sat alpha", "a much longer text that pads the first one in the batch"], 64);
        var other = ByteLmRows.Features(states, ["the cat sat beta"], 64);
        double[] Row(Lineage.Text.Encodings.CsrMatrix<double> m, int r) => [.. Enumerable.Range(0, 16).Select(c => m[r, c])];
        Assert.Equal(Row(alone, 0), Row(beside, 0), (a, b) => Math.Abs(a - b) < 1e-5);
        Assert.NotEqual(Row(alone, 0), Row(other, 0));
    }

    [Theory]
    [InlineData("bytenet-scratch")]
    [InlineData("bert-scratch")]
    public void FineTuned_TrainsTheEncoderAndAHead_AndLearnsThePlantedWord(string id)
    {
        // The planted task's label is its last word; fine-tuning the whole network with a fresh head must find it
        // (chance is 50 %), and the row counts the head's parameters beside the encoder's. The byte LM's texts have 3
        // filler words, not 20: a mean over ~150 bytes leaves a 5-byte word too faint for 80 tiny steps.
        using var dir = new TempFolder();
        var models = Path.Combine(dir.Path, "models");
        var options = new FineTuneOptions(Steps: 80, Batch: 16, LearningRate: 3e-3);
        var row = id == "bytenet-scratch"
            ? ByteLmRows.FineTuned(Planted(fillers: 3), id, ByteLmRowSettings.Tiny(1), models, options, seed: 1)
            : ScratchBertRows.FineTuned(Planted(), id, Lineage.Experiments.Transformers.BertRobertaSettings.Quick(1) with { Sequences = 96 }, models, options, seed: 1);
        Assert.Equal(id + "-ft", row.Representation);
        Assert.Contains("fine-tuned with a linear head", row.Note, StringComparison.Ordinal);
        Assert.True(row.Metrics["accuracy"] >= 0.9, $"accuracy {row.Metrics["accuracy"]:0.000}");
        Assert.True(row.Parameters > row.Features * 2, $"{row.Parameters} parameters");
    }

    [Theory]
    [InlineData("clip-text")]
    [InlineData("siglip-text")]
    public void ClipTextTower_IsTrainedOnEmojiNames_NotTheTask_AndCached(string id)
    {
        if (!TestPaths.Has(Lineage.Data.Catalog.DataCatalog.Twemoji) || !TestPaths.Has(Lineage.Data.Catalog.DataCatalog.GoogleEmoji)) return;   // run-tests fetches them
        using var dir = new TempFolder();
        var models = Path.Combine(dir.Path, "models");
        var data = new Lineage.Data.Catalog.DataStore(TestPaths.DataRoot);
        var quick = Lineage.Experiments.Multimodal.ContrastiveSettings.Quick;
        var probe = new ProbeOptions(Steps: 50);
        var first = ClipTextRows.Run(Planted(), id, data, models, probe, seed: 1, quick);
        Assert.Equal(quick.EmbedDim, first.Features);
        Assert.InRange(first.Metrics["accuracy"], 0, 1);
        Assert.Contains("Twemoji + Google emoji", first.Note, StringComparison.Ordinal);
        var second = ClipTextRows.Run(Planted(), id, data, models, probe, seed: 1, quick);
        Assert.Contains("from the model cache", second.Note, StringComparison.Ordinal);
        Assert.Equal(first.Metrics["accuracy"], second.Metrics["accuracy"]);
    }

    [Fact]
    public void Run_WordVectorRow_ScoresAndReportsItsSize()
    {
        var row = LineageBenchmark.Run(Planted(), "w2v-cbow", new ProbeOptions(Steps: 50), seed: 1);
        Assert.Equal(WordVectorMean.Dimensions, row.Features);
        Assert.InRange(row.Metrics["accuracy"], 0, 1);
        Assert.True(row.Parameters > WordVectorMean.Dimensions * 10);
    }

    [Fact]
    public void Run_Retrieval_TfidfFindsDocumentsThatShareARareWord()
    {
        string[] names = ["apple", "banana", "cherry", "damson", "elder", "fig", "grape", "hazel", "iris", "juniper", "kiwi", "lemon"];
        var pairs = names.Select((n, i) => new RetrievalPair($"p{i:D2}", $"{n} {n}", $"all about the {n} tree and its care")).ToList();
        var split = TaskSplit.Stratified("fruit", 1, 0.5, pairs.Select(p => (p.Id, "")));
        var test = split.Test.ToHashSet();
        var task = new RetrievalTask("fruit", "fruit", [.. pairs.Where(p => !test.Contains(p.Id))], [.. pairs.Where(p => test.Contains(p.Id))], split);
        // Fitted on the training pairs only, TF-IDF has no column for the held-out fruit: every query is the zero vector and ranks last.
        var row = LineageBenchmark.Run(task, "tfidf", seed: 1);
        Assert.Equal(0, row.Metrics["recall_at_1"]);
        Assert.Equal(1.0 / task.Test.Count, row.Metrics["mrr"], 12);
        // The same pairs as training texts too: each query's word is now known and only its own document has it.
        var transductive = task with { Train = [.. task.Train, .. task.Test] };
        var known = LineageBenchmark.Run(transductive, "tfidf", seed: 1);
        Assert.Equal(1.0, known.Metrics["recall_at_1"]);
        Assert.Equal(1.0, known.Metrics["mrr"], 12);
    }
}

/// <summary>The pretrained rows: MiniLM imported into a fresh model cache and run on a tiny retrieval task (returns early without the data set).</summary>
public class PretrainedRowsTests
{
    [Fact]
    public void Run_MiniLmOnTinyRetrieval_ImportsOnceAndScores()
    {
        if (!TestPaths.Has(Lineage.Data.Catalog.DataCatalog.MiniLm)) return;
        using var dir = new TempFolder();
        var models = Path.Combine(dir.Path, "models");
        var data = new Lineage.Data.Catalog.DataStore(TestPaths.DataRoot);
        string[] topics = ["printing a document", "saving a file", "inserting a table", "changing the font", "spell checking", "sorting rows"];
        string[] bodies =
        [
            "Choose the printer, the pages and the number of copies, then send the document to the printer.",
            "Store the document on disk under a name and in a format you choose.",
            "Add rows and columns of cells to the text to hold data in a grid.",
            "Select text and pick a typeface, a size and a weight for the characters.",
            "Find misspelled words and replace them with suggestions from the dictionary.",
            "Order the rows of a range by the values of one or more columns, ascending or descending.",
        ];
        var pairs = topics.Select((t, i) => new RetrievalPair($"p{i}", t, bodies[i])).ToList();
        var split = new TaskSplit("tiny", 1, 0.5, [], [.. pairs.Select(p => p.Id)]);
        var task = new RetrievalTask("tiny", "tiny", [], pairs, split);
        var row = PretrainedRows.Run(task, Lineage.Neural.Pretrained.PretrainedModels.MiniLm, data, models);
        Assert.True(row.Metrics.Count == 3, row.Note);
        Assert.Equal(384, row.Features);
        Assert.InRange(row.Metrics["mrr"], 1.0 / 6, 1);
        Assert.True(row.Parameters > 20_000_000, $"{row.Parameters} parameters");
        Assert.Single(Directory.GetDirectories(Path.Combine(models, "lineage.tasks-minilm")));
    }
}

/// <summary>The tour chapter lineage.tasks in quick mode, on the real LibreOffice help retrieval task.</summary>
public class LineageTasksChapterTests
{
    [Fact]
    public void Quick_ScoresEveryRow_OnTheRealSplit_WithTablePlotsAndMetrics()
    {
        if (!TestPaths.Has(Lineage.Data.Catalog.DataCatalog.LibreOfficeHelpEnglish)) return;
        using var dir = new TempFolder();
        var experiment = new LineageTasksExperiment();
        var r = TourRunner.RunOne(experiment, new ExperimentContext(experiment.Info, seed: 1, quick: true, new Lineage.Data.Catalog.DataStore(TestPaths.DataRoot),
            new ModelCache(Path.Combine(dir.Path, "models")), dir.Path, SilentProgress.Instance, CancellationToken.None));
        Assert.All(r.Claims, c => Assert.True(c.Passed, c.Statement));
        Assert.InRange(r.Metrics["libreoffice-retrieval_tfidf_mrr"], 0.2, 1);
        Assert.Single(r.Tables);
        Assert.Equal(2, r.Plots.Count);
        Assert.True(File.Exists(Path.Combine(dir.Path, "models", "lineage.tasks", "splits", "libreoffice-retrieval-seed1.json")));
    }
}
