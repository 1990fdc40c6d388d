// The three recurrent cells, each one time step written from its paper's equations.
//
// Elman 1990, "Finding Structure in Time": a hidden state fed back as input gives the network memory.
// Hochreiter & Schmidhuber 1997, "Long Short-Term Memory" (forget gate: Gers, Schmidhuber & Cummins 2000):
//   an additive cell state with multiplicative gates lets the error flow back unchanged ("constant error
//   carousel"), fixing the Elman RNN's vanishing gradient (Bengio, Simard & Frasconi 1994).
// Cho et al. 2014, arXiv:1406.1078: the GRU merges the LSTM's cell and hidden state and its input and forget
//   gates into one update gate: three weight blocks instead of four, usually as good.
//
// Shapes: B batch, H hidden size, G gate blocks (RNN 1, LSTM 4, GRU 3).
// Every cell receives the input projection xW = W_ih·x_t + b_ih already computed for all time steps at once
// (one big matmul outside the loop), so only the recurrent product W_hh·h_{t-1} + b_hh sits in the loop.
// Gate order and bias layout are PyTorch's (two biases, gates i,f,g,o for the LSTM and r,z,n for the GRU),
// so weights load one-to-one from torch.nn.RNN / LSTM / GRU; Recurrent.cs checks this against libtorch.
using static TorchSharp.torch;

namespace Lineage.Neural.Sequence;

/// <summary>Elman RNN: h_t = tanh(W_ih·x_t + b_ih + W_hh·h_{t-1} + b_hh).</summary>
public static class ElmanCell
{
    /// <summary>Weight blocks per cell.</summary>
    public const int Gates = 1;

    /// <summary>One step.</summary>
    /// <param name="xW">W_ih·x_t + b_ih, (B, H).</param>
    /// <param name="h">h_{t-1}, (B, H).</param>
    /// <param name="weightHh">W_hh, (H, H).</param>
    /// <param name="biasHh">b_hh, (H).</param>
    /// <returns>h_t, (B, H).</returns>
    public static Tensor Step(Tensor xW, Tensor h, Tensor weightHh, Tensor biasHh) =>
        (xW + nn.functional.linear(h, weightHh, biasHh)).tanh();
}

/// <summary>LSTM with a forget gate, PyTorch's formulation.</summary>
/// <remarks>
/// <code>
/// i_t = σ(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)      input gate: how much new content to write
/// f_t = σ(W_if x_t + b_if + W_hf h_{t-1} + b_hf)      forget gate: how much old cell to keep
/// g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)   candidate content
/// o_t = σ(W_io x_t + b_io + W_ho h_{t-1} + b_ho)      output gate
/// c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t                     additive: ∂c_t/∂c_{t-1} = f_t, no squashing
/// h_t = o_t ⊙ tanh(c_t)
/// </code>
/// </remarks>
public static class LstmCell
{
    /// <summary>Weight blocks per cell (i, f, g, o).</summary>
    public const int Gates = 4;

    /// <summary>One step.</summary>
    /// <param name="xW">W_ih·x_t + b_ih, (B, 4H), blocks i, f, g, o.</param>
    /// <param name="h">h_{t-1}, (B, H).</param>
    /// <param name="c">c_{t-1}, (B, H).</param>
    /// <param name="weightHh">W_hh, (4H, H).</param>
    /// <param name="biasHh">b_hh, (4H).</param>
    /// <returns>(h_t, c_t), each (B, H).</returns>
    public static (Tensor H, Tensor C) Step(Tensor xW, Tensor h, Tensor c, Tensor weightHh, Tensor biasHh)
    {
        var gates = (xW + nn.functional.linear(h, weightHh, biasHh)).chunk(4, dim: 1);   // 4 × (B, H)
        var i = gates[0].sigmoid();
        var f = gates[1].sigmoid();
        var g = gates[2].tanh();
        var o = gates[3].sigmoid();
        var cNext = f * c + i * g;
        return (o * cNext.tanh(), cNext);
    }
}

/// <summary>GRU, PyTorch's formulation (the reset gate applied after the recurrent product, as in cuDNN).</summary>
/// <remarks>
/// <code>
/// r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)           reset gate
/// z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)           update gate
/// n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn)) candidate state
/// h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}                    interpolation: ∂h_t/∂h_{t-1} ⊇ z_t
/// </code>
/// Cho et al. 2014 write r_t ⊙ h_{t-1} inside the product (W_hn (r_t ⊙ h_{t-1})); PyTorch and cuDNN put the
/// reset gate outside so that W_hh·h is one matmul for all three blocks. We follow PyTorch to load its weights.
/// </remarks>
public static class GruCell
{
    /// <summary>Weight blocks per cell (r, z, n).</summary>
    public const int Gates = 3;

    /// <summary>One step.</summary>
    /// <param name="xW">W_ih·x_t + b_ih, (B, 3H), blocks r, z, n.</param>
    /// <param name="h">h_{t-1}, (B, H).</param>
    /// <param name="weightHh">W_hh, (3H, H).</param>
    /// <param name="biasHh">b_hh, (3H).</param>
    /// <returns>h_t, (B, H).</returns>
    public static Tensor Step(Tensor xW, Tensor h, Tensor weightHh, Tensor biasHh)
    {
        var xs = xW.chunk(3, dim: 1);                                                  // 3 × (B, H)
        var hs = nn.functional.linear(h, weightHh, biasHh).chunk(3, dim: 1);           // 3 × (B, H)
        var r = (xs[0] + hs[0]).sigmoid();
        var z = (xs[1] + hs[1]).sigmoid();
        var n = (xs[2] + r * hs[2]).tanh();
        return (1 - z) * n + z * h;
    }
}
