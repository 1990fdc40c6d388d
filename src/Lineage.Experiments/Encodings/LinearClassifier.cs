using Lineage.Text.Encodings;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Lineage.Experiments.Encodings;

/// <summary>Accuracy and friends of a binary classifier on a held-out set.</summary>
/// <param name="Accuracy">Fraction of test documents classified correctly.</param>
/// <param name="Auc">Area under the ROC curve.</param>
/// <param name="F1">F1 of the positive class.</param>
/// <param name="Seconds">Training time.</param>
public sealed record BinaryScores(double Accuracy, double Auc, double F1, double Seconds);

/// <summary>
/// Logistic regression trained by ML.NET's SDCA (stochastic dual coordinate ascent, Shalev-Shwartz &amp; Zhang 2013)
/// on sparse features: the real, off-the-shelf linear trainer the encodings chapter compares features with.
/// One thread and a fixed seed, so the result is reproducible.
/// </summary>
public static class LinearClassifier
{
    /// <summary>Trains on (trainX, trainY) and scores on (testX, testY); labels are true for the positive class.</summary>
    public static BinaryScores TrainAndScore(CsrMatrix<double> trainX, IReadOnlyList<bool> trainY, CsrMatrix<double> testX, IReadOnlyList<bool> testY, int seed)
    {
        ArgumentNullException.ThrowIfNull(trainX);
        ArgumentNullException.ThrowIfNull(testX);
        ArgumentNullException.ThrowIfNull(trainY);
        ArgumentNullException.ThrowIfNull(testY);
        if (trainX.Columns != testX.Columns) throw new ArgumentException($"Train has {trainX.Columns} features, test {testX.Columns}.", nameof(testX));
        var ml = new MLContext(seed);
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, trainX.Columns);
        var train = ml.Data.LoadFromEnumerable(Rows(trainX, trainY), schema);
        var test = ml.Data.LoadFromEnumerable(Rows(testX, testY), schema);
        var trainer = ml.BinaryClassification.Trainers.SdcaLogisticRegression(new Microsoft.ML.Trainers.SdcaLogisticRegressionBinaryTrainer.Options
        {
            LabelColumnName = nameof(Row.Label),
            FeatureColumnName = nameof(Row.Features),
            NumberOfThreads = 1,
            MaximumNumberOfIterations = 50,
        });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var model = trainer.Fit(train);
        double seconds = clock.Elapsed.TotalSeconds;
        var metrics = ml.BinaryClassification.Evaluate(model.Transform(test), labelColumnName: nameof(Row.Label));
        return new BinaryScores(metrics.Accuracy, metrics.AreaUnderRocCurve, metrics.F1Score, seconds);
    }

    private static IEnumerable<Row> Rows(CsrMatrix<double> x, IReadOnlyList<bool> y)
    {
        if (x.Rows != y.Count) throw new ArgumentException($"{x.Rows} feature rows for {y.Count} labels.", nameof(y));
        for (int r = 0; r < x.Rows; r++)
        {
            var row = x.Row(r);
            var values = new float[row.Count];
            for (int k = 0; k < values.Length; k++) values[k] = (float)row.Values[k];
            yield return new Row { Label = y[r], Features = new VBuffer<float>(x.Columns, row.Count, values, row.Indices.ToArray()) };
        }
    }

    private sealed class Row
    {
        public bool Label { get; set; }

        public VBuffer<float> Features { get; set; }
    }
}
