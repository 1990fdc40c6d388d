using Lineage.Text.IO;
using ScottPlot;

namespace Lineage.Experiments.Report;

/// <summary>A named line of a chart.</summary>
/// <param name="Name">Legend text.</param>
/// <param name="X">X values.</param>
/// <param name="Y">Y values, as many as <paramref name="X"/>.</param>
public sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>Plots for the report (ScottPlot, PNG).</summary>
public static class Plots
{
    /// <summary>Default size of a report plot, in pixels.</summary>
    public const int Width = 720, Height = 400;

    /// <summary>Writes a line chart to <paramref name="path"/> (PNG).</summary>
    /// <exception cref="ArgumentException">A series has X and Y of different lengths or no points.</exception>
    public static void Lines(string path, string title, string xLabel, string yLabel, params Series[] series) =>
        Lines(path, title, xLabel, yLabel, logX: false, logY: false, series);

    /// <summary>As <see cref="Lines(string, string, string, string, Series[])"/>, with either axis on a log scale (its values must be positive).</summary>
    /// <exception cref="ArgumentException">A series has X and Y of different lengths or no points, or a value on a log axis is not positive.</exception>
    public static void Lines(string path, string title, string xLabel, string yLabel, bool logX, bool logY, params Series[] series)
    {
        ArgumentNullException.ThrowIfNull(series);
        var plot = new Plot();
        foreach (var s in series)
        {
            if (s.X.Count != s.Y.Count || s.X.Count == 0)
                throw new ArgumentException($"Series '{s.Name}' has {s.X.Count} x and {s.Y.Count} y values.", nameof(series));
            if ((logX && s.X.Any(v => !(v > 0))) || (logY && s.Y.Any(v => !(v > 0))))
                throw new ArgumentException($"Series '{s.Name}' has a value that is not positive on a log axis.", nameof(series));
            var line = plot.Add.Scatter(s.X.Select(v => logX ? Math.Log10(v) : v).ToArray(), s.Y.Select(v => logY ? Math.Log10(v) : v).ToArray());
            line.LegendText = s.Name;
            line.MarkerSize = s.X.Count > 50 ? 0 : 5;
        }
        // A log axis: the data are log10 values, ticks at whole powers of ten labelled with the value, minor ticks between.
        static ScottPlot.TickGenerators.NumericAutomatic LogTicks() => new()
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = v => Math.Pow(10, v).ToString("#,0.####", System.Globalization.CultureInfo.InvariantCulture),
        };
        if (logX) plot.Axes.Bottom.TickGenerator = LogTicks();
        if (logY) plot.Axes.Left.TickGenerator = LogTicks();
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        // Beside the axes when there are many lines (a legend inside would hide some of them), else inside.
        if (series.Length > 4) plot.ShowLegend(Edge.Right);
        else if (series.Length > 1) plot.ShowLegend();
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(series.Length > 4 ? Width + 160 : Width, Height, ImageFormat.Png));
    }

    /// <summary>Writes a bar chart (one bar per label, value printed above it) to <paramref name="path"/> (PNG).</summary>
    /// <exception cref="ArgumentException">Labels and values differ in number, or there are none.</exception>
    public static void Bars(string path, string title, string yLabel, IReadOnlyList<string> labels, IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(values);
        if (labels.Count != values.Count || labels.Count == 0)
            throw new ArgumentException($"{labels.Count} labels for {values.Count} values.", nameof(values));
        var plot = new Plot();
        var bars = plot.Add.Bars(values.ToArray());
        for (int i = 0; i < bars.Bars.Count; i++) bars.Bars[i].Label = values[i].ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
        bars.ValueLabelStyle.FontSize = 14;
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, labels.Count).Select(i => (double)i).ToArray(), labels.ToArray());
        plot.Axes.Margins(bottom: 0);
        plot.Title(title);
        plot.YLabel(yLabel);
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(Width, Height, ImageFormat.Png));
    }

    /// <summary>
    /// Writes a labelled 2-D scatter (PNG) in which each pair of points is joined by a line: for word pairs such as
    /// man → woman, king → queen projected on two principal components, parallel lines show a shared offset.
    /// </summary>
    /// <param name="path">Output PNG.</param>
    /// <param name="title">Title.</param>
    /// <param name="points">Label and coordinates of each point.</param>
    /// <param name="pairs">Index pairs (from, to) to join.</param>
    public static void LabelledPairs(string path, string title, IReadOnlyList<(string Label, double X, double Y)> points, IReadOnlyList<(int From, int To)> pairs)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(pairs);
        var plot = new Plot();
        foreach (var (from, to) in pairs)
        {
            var line = plot.Add.Line(points[from].X, points[from].Y, points[to].X, points[to].Y);
            line.LineWidth = 1;
            line.LineColor = Colors.Gray;
        }
        var markers = plot.Add.Markers(points.Select(p => p.X).ToArray(), points.Select(p => p.Y).ToArray());
        markers.MarkerSize = 6;
        foreach (var p in points)
        {
            var text = plot.Add.Text(p.Label, p.X, p.Y);
            text.LabelFontSize = 12;
        }
        plot.Title(title);
        plot.XLabel("principal component 1");
        plot.YLabel("principal component 2");
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(Width, Height, ImageFormat.Png));
    }

    /// <summary>Moving average over a window (for noisy per-step losses).</summary>
    public static double[] Smooth(IReadOnlyList<double> values, int window)
    {
        ArgumentNullException.ThrowIfNull(values);
        var result = new double[values.Count];
        double sum = 0;
        for (int i = 0; i < values.Count; i++)
        {
            sum += values[i];
            if (i >= window) sum -= values[i - window];
            result[i] = sum / Math.Min(i + 1, window);
        }
        return result;
    }
}
