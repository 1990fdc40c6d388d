using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Lineage.Data.Catalog;
using Lineage.Experiments.Results;
using Lineage.Text.IO;
using TorchSharp;

namespace Lineage.Experiments;

/// <summary>
/// Trained models kept between tours, under <c>{data cache}/models/{experiment}/{key}/</c>. The key hashes
/// the experiment id, its settings (as JSON), the checksums of the data it read and the code version
/// (the module version ids of the Lineage assemblies, which deterministic builds change only when the
/// code changes), so a model is reused only when all four match.
/// </summary>
public sealed class ModelCache
{
    private static readonly Lazy<string> Code = new(ComputeCodeVersion);
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Creates a cache over <paramref name="root"/>.</summary>
    /// <param name="root">Folder of the cache.</param>
    /// <param name="reuse">False to always train (and still save); <c>lineage tour --retrain</c>.</param>
    public ModelCache(string root, bool reuse = true)
    {
        Root = Path.GetFullPath(root);
        Reuse = reuse;
    }

    /// <summary>Folder of the cache.</summary>
    public string Root { get; }

    /// <summary>Whether cached models are used.</summary>
    public bool Reuse { get; }

    /// <summary>The code version: a hash of the Lineage assemblies' module version ids.</summary>
    public static string CodeVersion => Code.Value;

    /// <summary>The cache entry for an experiment with these settings and data.</summary>
    /// <param name="experimentId">Experiment id.</param>
    /// <param name="settings">Every setting that changes the trained model (a record serialises well).</param>
    /// <param name="data">Manifests of the data sets it trains on.</param>
    public ModelCacheEntry Entry(string experimentId, object settings, IEnumerable<DataManifest> data)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(data);
        var description = new
        {
            experiment = experimentId,
            settings = JsonSerializer.SerializeToElement(settings, settings.GetType()),
            data = data.OrderBy(d => d.Id, StringComparer.Ordinal)
                       .Select(d => new { d.Id, files = d.Files.Select(f => f.Sha256) }).ToList(),
            code = CodeVersion,
        };
        var json = JsonSerializer.Serialize(description, Indented);
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)))[..16];
        return new ModelCacheEntry(Path.Combine(Root, experimentId, key), key, json, Reuse);
    }

    private static string ComputeCodeVersion()
    {
        var self = typeof(ModelCache).Assembly;
        var ids = new[] { self }
            .Concat(self.GetReferencedAssemblies().Where(a => a.Name?.StartsWith("Lineage.", StringComparison.Ordinal) == true).Select(Assembly.Load))
            .OrderBy(a => a.GetName().Name, StringComparer.Ordinal)
            .Select(a => $"{a.GetName().Name}:{a.ManifestModule.ModuleVersionId}");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", ids))))[..16];
    }
}

/// <summary>One cached model: a folder of files, complete once its <c>key.json</c> exists.</summary>
public sealed class ModelCacheEntry
{
    private const string Marker = "key.json";
    private readonly string _description;
    private readonly bool _reuse;

    internal ModelCacheEntry(string directory, string key, string description, bool reuse)
    {
        Directory = directory;
        Key = key;
        _description = description;
        _reuse = reuse;
    }

    /// <summary>Folder of the entry.</summary>
    public string Directory { get; }

    /// <summary>Short hash of data, settings and code.</summary>
    public string Key { get; }

    /// <summary>Whether a complete entry exists and reuse is allowed.</summary>
    public bool CanReuse => _reuse && File.Exists(System.IO.Path.Combine(Directory, Marker));

    /// <summary>Path of a file of the entry.</summary>
    public string Path(string fileName) => System.IO.Path.Combine(Directory, fileName);

    /// <summary>
    /// A TorchSharp model and its training history: loaded from this entry (<c>model.bin</c>, <c>history.json</c>) when it can
    /// be reused, otherwise trained now by <paramref name="train"/> and stored.
    /// </summary>
    /// <param name="model">The freshly built model; its weights are loaded or trained in place.</param>
    /// <param name="train">Trains <paramref name="model"/> and returns its history.</param>
    /// <param name="storeAlso">Writes further files the model needs (a tokenizer) into the staging folder it is given, so
    /// they are stored atomically with the weights; or null.</param>
    /// <returns>The history, and whether the model was reused or trained.</returns>
    /// <exception cref="InvalidDataException">The stored history is empty.</exception>
    public (THistory History, ModelOrigin Origin) LoadOrTrain<THistory>(torch.nn.Module model, Func<THistory> train, Action<string>? storeAlso = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        if (CanReuse)
        {
            model.load(Path("model.bin"));
            var reused = JsonSerializer.Deserialize<THistory>(File.ReadAllText(Path("history.json")))
                         ?? throw new InvalidDataException($"{Path("history.json")}: empty history");
            return (reused, ModelOrigin.Reused);
        }

        var history = train();
        Store(dir =>
        {
            model.save(System.IO.Path.Combine(dir, "model.bin"));
            AtomicFile.WriteAllText(System.IO.Path.Combine(dir, "history.json"), JsonSerializer.Serialize(history));
            storeAlso?.Invoke(dir);
        });
        return (history, ModelOrigin.Trained);
    }

    /// <summary>
    /// Stores the entry: <paramref name="write"/> writes its files into the folder it is given (a staging
    /// folder); the folder then replaces any previous entry, so a half-written entry is never reused.
    /// </summary>
    public void Store(Action<string> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var parent = System.IO.Path.GetDirectoryName(Directory)!;
        System.IO.Directory.CreateDirectory(parent);
        var staging = System.IO.Path.Combine(parent, $".staging-{Key}-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(staging);
        try
        {
            write(staging);
            AtomicFile.WriteAllText(System.IO.Path.Combine(staging, Marker), _description);
            if (System.IO.Directory.Exists(Directory)) System.IO.Directory.Delete(Directory, recursive: true);
            System.IO.Directory.Move(staging, Directory);
        }
        finally
        {
            if (System.IO.Directory.Exists(staging)) System.IO.Directory.Delete(staging, recursive: true);
        }
    }
}
