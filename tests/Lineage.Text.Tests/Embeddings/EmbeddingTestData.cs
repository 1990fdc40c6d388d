using System.Text;

namespace Lineage.Text.Tests.Embeddings;

/// <summary>Small synthetic corpora with known structure, and a temp folder.</summary>
internal static class EmbeddingTestData
{
    public static readonly string[] Animals = ["cat", "dog", "horse", "cow", "sheep", "goat"];
    public static readonly string[] Foods = ["bread", "cheese", "apple", "rice", "soup", "cake"];
    public static readonly string[] Tools = ["hammer", "saw", "drill", "wrench", "spade", "chisel"];
    public static readonly string[] People = ["smith", "baker", "farmer", "tailor", "miller", "potter"];

    /// <summary>Sentences in which words of a class share their contexts, so a good model clusters each class.</summary>
    public static string ClassCorpus(int sentences, int seed = 7)
    {
        var rng = new Random(seed);
        var sb = new StringBuilder();
        string Pick(string[] a) => a[rng.Next(a.Length)];
        for (int s = 0; s < sentences; s++)
        {
            switch (rng.Next(3))
            {
                case 0:
                    sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"the {Pick(Animals)} eats the {Pick(Foods)} in the field and sleeps\n");
                    break;
                case 1:
                    sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"a {Pick(People)} holds a {Pick(Tools)} at work every day\n");
                    break;
                default:
                    sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"the {Pick(People)} feeds the {Pick(Animals)} some {Pick(Foods)} at home\n");
                    break;
            }
        }

        return sb.ToString();
    }
}

/// <summary>A fresh temp folder, deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"lineage-text-tests-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string this[string name] => System.IO.Path.Combine(Path, name);

    public string Write(string name, string text)
    {
        File.WriteAllText(this[name], text, new UTF8Encoding(false));
        return this[name];
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
