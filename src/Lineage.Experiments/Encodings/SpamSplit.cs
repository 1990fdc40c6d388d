using Lineage.Data.Catalog;
using Lineage.Data.Labelled;

namespace Lineage.Experiments.Encodings;

/// <summary>The labelled text set of the encodings chapter: SpamAssassin bodies, split 80/20 by a hash of each id (fixed).</summary>
/// <param name="TrainTexts">Training e-mail bodies.</param>
/// <param name="TrainSpam">Whether each training e-mail is spam.</param>
/// <param name="TestTexts">Held-out e-mail bodies.</param>
/// <param name="TestSpam">Whether each held-out e-mail is spam.</param>
internal sealed record SpamSplit(IReadOnlyList<string> TrainTexts, IReadOnlyList<bool> TrainSpam, IReadOnlyList<string> TestTexts, IReadOnlyList<bool> TestSpam)
{
    /// <summary>Share of the e-mails held out.</summary>
    public const double TestFraction = SpamAssassinReader.TestFraction;

    /// <summary>Reads the corpus (bodies only, so no header can give the label away) and splits it.</summary>
    /// <param name="context">The experiment's context.</param>
    /// <param name="quickSubset">With <c>--quick</c>, keep every fifth e-mail (for experiments whose cost grows fast with the data).</param>
    public static SpamSplit Load(ExperimentContext context, bool quickSubset = false)
    {
        var set = SpamAssassinReader.Read(context.Require(DataCatalog.SpamAssassin), bodyOnly: true);
        var (train, test) = set.Split(TestFraction);
        IEnumerable<LabelledDocument> Pick(LabelledTextSet s) => context.Quick && quickSubset ? s.Documents.Where((_, i) => i % 5 == 0) : s.Documents;
        var tr = Pick(train).ToList();
        var te = Pick(test).ToList();
        return new SpamSplit([.. tr.Select(d => d.Text)], [.. tr.Select(d => d.Label == "spam")], [.. te.Select(d => d.Text)], [.. te.Select(d => d.Label == "spam")]);
    }
}
