// Multi-layer perceptron: the simplest learned representation, and the template for every model here.
// Paper:   Rumelhart, Hinton & Williams 1986, "Learning representations by back-propagating errors".
// Lineage: a hidden layer learns features instead of taking them as given (one-hot, TF-IDF); every later
//          model is a more structured way of doing the same thing.
// Shapes:  B batch, I inputs (784 pixels), H hidden units, K classes.
using Lineage.Neural.Core;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.Foundations;

/// <summary>Hyper-parameters of <see cref="Mlp"/>.</summary>
/// <param name="Inputs">Input features (784 for 28×28 images).</param>
/// <param name="Hidden">Hidden units.</param>
/// <param name="Classes">Output classes.</param>
/// <param name="Dropout">Dropout probability on the hidden layer.</param>
public sealed record MlpConfig(int Inputs = 784, int Hidden = 256, int Classes = 10, double Dropout = 0.1)
{
    /// <summary>Small enough for a unit test.</summary>
    public static MlpConfig Tiny => new(Inputs: 16, Hidden: 8, Classes: 3, Dropout: 0);

    /// <summary>Returns this config, or throws naming the bad field.</summary>
    public MlpConfig Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Inputs, 1, nameof(Inputs));
        ArgumentOutOfRangeException.ThrowIfLessThan(Hidden, 1, nameof(Hidden));
        ArgumentOutOfRangeException.ThrowIfLessThan(Classes, 2, nameof(Classes));
        if (Dropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "Dropout must be in [0, 1).");
        return this;
    }
}

/// <summary>Two linear layers with a ReLU between: inputs (B, I) → class logits (B, K).</summary>
[Model("mlp", Paper = "Rumelhart, Hinton & Williams 1986")]
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1;     // I -> H
    private readonly ReLU act;
    private readonly Dropout drop;
    private readonly Linear fc2;     // H -> K

    /// <summary>The configuration this model was built with.</summary>
    public MlpConfig Config { get; }

    /// <summary>A tiny seeded MLP and a fixed batch, for the registry's conformance tests.</summary>
    public static ModelSample Conformance()
    {
        manual_seed(16);
        var x = randn(3, 16);
        return new(new Mlp(MlpConfig.Tiny), m => ((Mlp)m).forward(x));
    }

    /// <summary>Builds the model with freshly initialised weights (seed libtorch first).</summary>
    public Mlp(MlpConfig config) : base(nameof(Mlp))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config.Validate();
        fc1 = nn.Linear(config.Inputs, config.Hidden);
        act = nn.ReLU();
        drop = nn.Dropout(config.Dropout);
        fc2 = nn.Linear(config.Hidden, config.Classes);
        RegisterComponents();
    }

    /// <summary>Class logits for a batch.</summary>
    /// <param name="x">Float32 inputs (B, I).</param>
    /// <returns>Logits (B, K).</returns>
    public override Tensor forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() != 2 || x.shape[1] != Config.Inputs)
            throw new ArgumentException($"Mlp expects inputs of shape (B, {Config.Inputs}), got ({string.Join(", ", x.shape)}).", nameof(x));
        return fc2.forward(drop.forward(act.forward(fc1.forward(x))));
    }
}
