#pragma once
// The learned optimizer m(grad, state; phi) of the paper (Sec. 2.1): a stack of LSTM layers applied to
// every coordinate of the optimizee separately, weights phi shared by all coordinates, followed by a
// linear map H -> 1 and a constant output scale. The update of coordinate k is
//   u_k = scale * (w_out . h_top,k + b_out),    theta_k <- theta_k + u_k.
// Coordinates are the batch dimension: columns of (H, N) matrices.
//
// RNNprop (Lv, Jiang & Li, ICML 2017) is the same machinery with three options set (`l2l train --rnnprop`):
//   preprocess = rnnprop   inputs (g / s, m_hat / s), s = sqrt(v_hat) + 1e-8: Adam's bias-corrected moments
//                          with beta1 = beta2 = 0.95 (their code), kept per coordinate in the state;
//   input_layer = 20       a fully connected ELU layer E x 2 between those inputs and the LSTM;
//   output = tanh          u_k = scale * tanh(w_out . h_top,k + b_out): no step longer than the scale (0.1).
// Its inputs are invariant to the scale of the objective, which the paper's log-sign inputs are not.
//
// LSTM+GAC (the paper's Appendix D, `l2l train --gac G`): in every LSTM layer the first G of the H units are
// global averaging cells. A coordinatewise LSTM sees only its own coordinate; these cells give it global
// information (e.g. the gradient's norm). "Averaged at each step" means here: after a step has run on every
// coordinate, rows 0..G-1 of each layer's h in the state are replaced by their mean over the coordinates the
// net serves (all of theta with one net; with several nets, all coordinates of net k's parameter group):
//   h~_l[r, k] = mean_{k' served by net(k)} h_l[r, k']   (r < G),   h~_l[r, k] = h_l[r, k]   (r >= G).
// The next step reads h~ as its recurrent input h_prev; within a step the layer above and the output read the
// coordinate's own h (averaging between steps keeps the step one pass over independent column blocks: global
// information reaches the update one step later). The cell state c is never averaged. Means are summed in
// double in a fixed order (block by block, coordinates in order), so they do not depend on the thread count.
// G = 0 (the default) is the paper's LSTM, bit for bit.
#include "base/Settings.h"
#include "base/Types.h"
#include "nn/LstmCell.h"

#include <cstdint>
#include <string>
#include <vector>

namespace l2l {

enum class Preprocess {
    None,    // input = the gradient itself
    LogSign, // paper Appendix A: (log|g|/p, sgn g) if |g| >= e^-p, else (-1, e^p g)
    Rnnprop, // Lv et al. 2017: (g / s, m_hat / s), s = sqrt(v_hat) + eps (state-dependent)
};
const EnumNames<Preprocess>& preprocessNames(); // "none", "log-sign", "rnnprop"
std::string preprocessName(Preprocess p);
Preprocess preprocessFromName(const std::string& name); // throws l2l::Error

// The map from the top LSTM layer to the update.
enum class OutputActivation {
    Linear, // the paper: scale * (w_out . h + b_out)
    Tanh,   // RNNprop: scale * tanh(w_out . h + b_out)
};
const EnumNames<OutputActivation>& outputActivationNames(); // "linear", "tanh"

// RNNprop's moment decay rates and epsilon (their code, nn_opt/rnn.py).
constexpr double kRnnpropBeta1 = 0.95, kRnnpropBeta2 = 0.95, kRnnpropEpsilon = 1e-8;

struct LstmArch {
    int layers = 2;  // LSTM layers
    int hidden = 20; // units per layer
    Preprocess preprocess = Preprocess::LogSign;
    double p = 10.0;          // preprocessing constant
    double outputScale = 0.1; // constant factor on the output
    int inputLayer = 0;       // > 0: units of a fully connected ELU layer before the LSTM (RNNprop: 20)
    OutputActivation output = OutputActivation::Linear;
    int gac = 0; // global averaging cells: the first `gac` units of every layer (LSTM+GAC, above); <= hidden
    // Rows of the preprocessed input, and of what the first LSTM layer reads (the input layer's units, if any).
    int inputSize() const { return preprocess == Preprocess::None ? 1 : 2; }
    int lstmInputSize() const { return inputLayer > 0 ? inputLayer : inputSize(); }
    // Weights of the input layer: W_in (E, I) and b_in (E), first in a net's weights (none without it).
    Index inputLayerParams() const { return inputLayer > 0 ? Index(inputLayer) * (inputSize() + 1) : 0; }
    bool hasMoments() const { return preprocess == Preprocess::Rnnprop; }
    Index paramCount() const;
    // Optimizer state per coordinate in bytes for scalars of `scalarBytes`: h and c of every layer, RNNprop's
    // moments, the input and the update (the memory budget, base/Memory.h).
    std::uint64_t stateBytesPerCoordinate(std::uint64_t scalarBytes) const
    {
        return std::uint64_t(2 * layers * hidden + 4 + (hasMoments() ? 2 : 0) + inputLayer) * scalarBytes;
    }
    void validate() const; // throws l2l::Error naming the field and range
    // The checks between fields (gac <= hidden), naming both; `what` starts the message ("train", "lstm").
    void validateRelations(const std::string& what) const;
    bool operator==(const LstmArch&) const = default;
};
// The architecture's settings (ranges, help, flags, JSON keys): see base/Settings.h.
const SettingsTable<LstmArch>& lstmArchSettings();

// Preprocessed inputs x (I, N) of gradients g (N) (not for Rnnprop, whose inputs depend on the state).
template <typename T>
void preprocessGradient(const LstmArch& arch, const CVecRef<T>& g, MatRef<T> x);
// RNNprop's inputs x (2, N) at step t >= 1 of gradients g, updating the moments m and v (N each) first.
template <typename T>
void rnnpropInputs(const CVecRef<T>& g, VecRef<T> m, VecRef<T> v, int t, MatRef<T> x);
// dx/dg per coordinate for each input row (I, N): used by exact second derivatives.
template <typename T>
void preprocessDerivative(const LstmArch& arch, const CVecRef<T>& g, MatRef<T> dxdg);

// The weights phi, flattened: the input layer's W_in (E, I) and b_in (E) if it has one; per layer Wx (4H, in),
// Wh (4H, H), b (4H), all column-major; then w_out (H) and b_out (1).
// An optimizer may hold several nets of the same architecture (paper Sec. 3.3, official code: one LSTM
// for the convolution kernels, one for the rest): net k serves parameter group k (ParamBlock::group).
// Their weights are concatenated, net 0 first, so phi stays one vector (one Adam state, one file
// array per net). With one net (the default) it is shared by every coordinate whatever the groups.
template <typename T>
struct LstmNet {
    LstmArch arch;
    Vec<T> params; // nets * arch.paramCount()
    int nets = 1;  // in [1, kMaxLstmNets]

    // Random initial weights: uniform(-1/sqrt(H), 1/sqrt(H)) for the LSTM, forget-gate bias 1,
    // w_out ~ N(0, 0.01^2), b_out = 0 (so the untrained optimizer starts with small steps). Nets are
    // drawn one after the other from one stream: net 0 equals the single net of the same seed.
    static LstmNet init(const LstmArch& arch, std::uint64_t seed, int nets = 1);

    struct LayerOffsets {
        Index wx, wh, b;
        int in;
    };
    LayerOffsets offsets(int layer) const; // within one net
    Index outOffset() const;               // w_out, then b_out at outOffset() + H (within one net)
    Index netOffset(int k) const { return Index(k) * arch.paramCount(); }
    // Net k alone, as a one-net optimizer.
    LstmNet single(int k) const { return {arch, params.segment(netOffset(k), arch.paramCount()), 1}; }

    // [Wx Wh] (4H, in+H) of net k: Wx and Wh are adjacent in column-major order, so this is one matrix.
    Eigen::Map<const Mat<T>> w(int l, int k = 0) const
    {
        auto o = offsets(l);
        return {at(k) + o.wx, 4 * arch.hidden, o.in + arch.hidden};
    }
    Eigen::Map<const Mat<T>> wx(int l, int k = 0) const
    {
        auto o = offsets(l);
        return {at(k) + o.wx, 4 * arch.hidden, o.in};
    }
    Eigen::Map<const Mat<T>> wh(int l, int k = 0) const
    {
        auto o = offsets(l);
        return {at(k) + o.wh, 4 * arch.hidden, arch.hidden};
    }
    Eigen::Map<const Vec<T>> b(int l, int k = 0) const { return {at(k) + offsets(l).b, 4 * arch.hidden}; }
    Eigen::Map<const Mat<T>> wIn(int k = 0) const { return {at(k), arch.inputLayer, arch.inputSize()}; }
    Eigen::Map<const Vec<T>> bIn(int k = 0) const
    {
        return {at(k) + Index(arch.inputLayer) * arch.inputSize(), arch.inputLayer};
    }
    Eigen::Map<const Vec<T>> wOut(int k = 0) const { return {at(k) + outOffset(), arch.hidden}; }
    T bOut(int k = 0) const { return at(k)[outOffset() + arch.hidden]; }

    template <typename U>
    LstmNet<U> cast() const
    {
        return {arch, params.template cast<U>(), nets};
    }

private:
    const T* at(int k) const { return params.data() + netOffset(k); }
};

constexpr int kMaxLstmNets = 64;

// Per-coordinate recurrent state: h and c of every layer, (H, N) each; RNNprop's moments (N each) and the
// number of steps taken.
template <typename T>
struct LstmState {
    std::vector<Mat<T>> h, c;
    Vec<T> m, v;
    int t = 0;
    void reset(const LstmArch& arch, Index n);
};

} // namespace l2l
