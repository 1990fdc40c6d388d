using System.Globalization;
using System.Net;
using System.Text;
using Lineage.Experiments.Results;
using Lineage.Text.IO;

namespace Lineage.Experiments.Report;

/// <summary>
/// Writes the tour's report, <c>index.html</c>: one chapter per family in lineage order (why it exists,
/// papers, then each experiment's claims, metrics, plots and tables). Plots are embedded as data URIs, so
/// the page is self-contained; the PNG files stay beside it too. A small script marks the body with the
/// number of images that failed to load, which <c>tools/check-report.sh</c> reads through headless Chromium.
/// </summary>
public static class HtmlReport
{
    private const string Style = """
        body { font: 15px/1.5 system-ui, sans-serif; max-width: 1000px; margin: 2em auto; padding: 0 1em; color: #222; }
        h1 { margin-bottom: 0; } .sub { color: #666; margin-top: 0.2em; }
        h2 { border-bottom: 2px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
        .why { color: #333; } .papers { color: #555; font-size: 0.92em; }
        .exp { border: 1px solid #ddd; border-radius: 6px; padding: 0.8em 1.2em; margin: 1em 0; }
        .badge { display: inline-block; padding: 0.05em 0.6em; border-radius: 1em; color: #fff; font-size: 0.85em; }
        .passed { background: #2e7d32; } .failed { background: #c62828; } .error, .cancelled { background: #6d4c41; }
        .quick { background: #fff3cd; border: 1px solid #e0c46c; padding: 0.5em 1em; border-radius: 6px; }
        table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
        th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        .ok { color: #2e7d32; font-weight: 600; } .no { color: #c62828; font-weight: 600; }
        figure { margin: 0.8em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
        figcaption { color: #555; font-size: 0.9em; } .empty { color: #888; font-style: italic; }
        pre.error { background: #fbe9e7; padding: 0.6em; white-space: pre-wrap; }
        """;

    private const string RenderCheck = """
        window.addEventListener('load', function () {
          var images = document.images, broken = [];
          for (var i = 0; i < images.length; i++)
            if (!images[i].complete || images[i].naturalWidth === 0) broken.push(images[i].getAttribute('data-file'));
          document.body.setAttribute('data-images', String(images.length));
          document.body.setAttribute('data-broken-images', broken.join(' '));
          document.body.setAttribute('data-render-check', 'done');
        });
        """;

    /// <summary>Writes <c>index.html</c> into <paramref name="directory"/> (atomically).</summary>
    public static void Write(TourResults results, string directory)
    {
        ArgumentNullException.ThrowIfNull(results);
        AtomicFile.WriteAllText(Path.Combine(directory, "index.html"), Render(results, directory));
    }

    /// <summary>The page as a string; plot files are read from <paramref name="directory"/>.</summary>
    public static string Render(TourResults results, string directory)
    {
        ArgumentNullException.ThrowIfNull(results);
        var h = new StringBuilder();
        var s = results.Summary;
        h.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
         .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
         .Append("<title>Lineage tour</title><style>").Append(Style).Append("</style><script>").Append(RenderCheck).Append("</script></head>\n<body>\n")
         .Append("<h1>Lineage: the tour</h1>\n")
         .Append(Invariant($"<p class=\"sub\">{s.Experiments} experiments, {s.ClaimsPassed} of {s.Claims} claims passed · ")
                 + Invariant($"seed {results.Seed} · {results.Machine.Threads} threads on {results.Machine.Processors} cores · ")
                 + E(results.Machine.Os) + " · " + E(results.FinishedUtc.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture))
                 + " · results.json beside this page</p>\n");
        if (results.Quick)
            h.Append("<p class=\"quick\"><b>Quick mode:</b> tiny sizes for a smoke test. The numbers below do not check the claims; run <code>./lineage tour</code> for the real thing.</p>\n");

        h.Append("<nav><ol>");
        foreach (var f in Families.All) h.Append("<li><a href=\"#").Append(f.Slug).Append("\">").Append(E(f.Title)).Append("</a></li>");
        h.Append("</ol></nav>\n");

        foreach (var family in Families.All)
        {
            h.Append("<section id=\"").Append(family.Slug).Append("\">\n<h2>").Append(E(family.Title)).Append("</h2>\n")
             .Append("<p class=\"why\">").Append(E(family.Why)).Append("</p>\n<p class=\"papers\">Papers: ")
             .Append(string.Join("; ", family.Papers.Select(p => $"<a href=\"{E(p.Url)}\">{E(p.ToString())}</a>")))
             .Append(" · details in <code>docs/").Append(family.Slug).Append(".md</code></p>\n");
            var records = results.Experiments.Where(r => r.Family == family.Slug).ToList();
            if (records.Count == 0) h.Append("<p class=\"empty\">No experiment of this family ran in this tour.</p>\n");
            foreach (var r in records) Experiment(h, r, directory);
            h.Append("</section>\n");
        }
        h.Append("</body></html>\n");
        return h.ToString();
    }

    private static void Experiment(StringBuilder h, ExperimentRecord r, string directory)
    {
        var status = r.Status.ToString().ToLowerInvariant();
        h.Append("<div class=\"exp\" id=\"").Append(E(r.Id)).Append("\">\n<h3>").Append(E(r.Title))
         .Append(" <span class=\"badge ").Append(status).Append("\">").Append(status).Append("</span></h3>\n")
         .Append("<p class=\"papers\"><code>").Append(E(r.Id)).Append("</code> · <a href=\"").Append(E(r.PaperUrl)).Append("\">").Append(E(r.Paper)).Append("</a> · ")
         .Append(Invariant($"{r.WallSeconds:0.0} s of a {r.BudgetSeconds:0} s budget"))
         .Append(r.OverBudget ? " <b>(over budget)</b>" : "").Append(" · model: ").Append(E(r.Model)).Append("</p>\n");
        if (r.Error is not null) h.Append("<pre class=\"error\">").Append(E(r.Error)).Append("</pre>\n");

        if (r.Claims.Count > 0)
        {
            h.Append("<table><tr><th>claim</th><th>measured</th><th>threshold</th><th></th></tr>\n");
            foreach (var c in r.Claims)
                h.Append("<tr><td>").Append(E(c.Statement)).Append("</td><td class=\"num\">").Append(Number(c.Measured))
                 .Append("</td><td>").Append(E(c.Threshold)).Append("</td><td class=\"").Append(c.Passed ? "ok\">passed" : "no\">failed").Append("</td></tr>\n");
            h.Append("</table>\n");
        }
        if (r.Metrics.Count > 0)
        {
            h.Append("<table><tr><th>metric</th><th>value</th></tr>\n");
            foreach (var (name, value) in r.Metrics)
                h.Append("<tr><td>").Append(E(name)).Append("</td><td class=\"num\">").Append(Number(value)).Append("</td></tr>\n");
            h.Append("</table>\n");
        }
        foreach (var p in r.Plots)
        {
            var file = Path.Combine(directory, p.File);
            // Embedded when the file exists; otherwise the relative link stays, and the render check reports it as broken.
            var src = File.Exists(file) ? "data:image/png;base64," + Convert.ToBase64String(File.ReadAllBytes(file)) : E(p.File);
            h.Append("<figure><img data-file=\"").Append(E(p.File)).Append("\" alt=\"").Append(E(p.Caption)).Append("\" src=\"").Append(src)
             .Append("\"><figcaption>").Append(E(p.Caption)).Append(" (<a href=\"").Append(E(p.File)).Append("\">").Append(E(p.File)).Append("</a>)</figcaption></figure>\n");
        }
        foreach (var t in r.Tables)
        {
            h.Append("<table><caption>").Append(E(t.Title)).Append("</caption><tr>");
            foreach (var c in t.Columns) h.Append("<th>").Append(E(c)).Append("</th>");
            h.Append("</tr>\n");
            foreach (var row in t.Rows)
            {
                h.Append("<tr>");
                foreach (var cell in row) h.Append("<td>").Append(E(cell)).Append("</td>");
                h.Append("</tr>\n");
            }
            h.Append("</table>\n");
        }
        foreach (var n in r.Notes) h.Append("<p>").Append(E(n)).Append("</p>\n");
        h.Append("</div>\n");
    }

    private static string Number(double v) =>
        v == Math.Floor(v) && Math.Abs(v) < 1e15 ? v.ToString("0", CultureInfo.InvariantCulture) : v.ToString("G5", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
