#pragma once
// The learned optimizer m(grad, state; phi) of the paper (Sec. 2.1): a stack of LSTM layers applied to
// every coordinate of the optimizee separately, weights phi shared by all coordinates, followed by a
// linear map H -> 1 and a constant output scale. The update of coordinate k is
//   u_k = scale * (w_out . h_top,k + b_out),    theta_k <- theta_k + u_k.
// Coordinates are the batch dimension: columns of (H, N) matrices.
#include "LstmCell.h"
#include "Types.h"

#include <cstdint>
#include <string>
#include <vector>

namespace l2l {

enum class Preprocess {
    None,    // input = the gradient itself
    LogSign, // paper Appendix A: (log|g|/p, sgn g) if |g| >= e^-p, else (-1, e^p g)
};
std::string preprocessName(Preprocess p);
Preprocess preprocessFromName(const std::string& name); // throws l2l::Error

struct LstmArch {
    int layers = 2;                          // LSTM layers, in [1, 4]
    int hidden = 20;                         // units per layer, in [1, 256]
    Preprocess preprocess = Preprocess::LogSign;
    double p = 10.0;                         // preprocessing constant, in [1, 50]
    double outputScale = 0.1;                // constant factor on the output, in (0, 100]
    int inputSize() const { return preprocess == Preprocess::None ? 1 : 2; }
    Index paramCount() const;
    void validate() const;                   // throws l2l::Error naming the field and range
    bool operator==(const LstmArch&) const = default;
};

// Preprocessed inputs x (I, N) of gradients g (N).
template <typename T>
void preprocessGradient(const LstmArch& arch, const CVecRef<T>& g, MatRef<T> x);
// dx/dg per coordinate for each input row (I, N): used by exact second derivatives.
template <typename T>
void preprocessDerivative(const LstmArch& arch, const CVecRef<T>& g, MatRef<T> dxdg);

// The weights phi, flattened: per layer Wx (4H, in), Wh (4H, H), b (4H), all column-major; then
// w_out (H) and b_out (1).
template <typename T>
struct LstmNet {
    LstmArch arch;
    Vec<T> params;

    // Random initial weights: uniform(-1/sqrt(H), 1/sqrt(H)) for the LSTM, forget-gate bias 1,
    // w_out ~ N(0, 0.01^2), b_out = 0 (so the untrained optimizer starts with small steps).
    static LstmNet init(const LstmArch& arch, std::uint64_t seed);

    struct LayerOffsets {
        Index wx, wh, b;
        int in;
    };
    LayerOffsets offsets(int layer) const;
    Index outOffset() const; // w_out, then b_out at outOffset() + H

    // [Wx Wh] (4H, in+H): Wx and Wh are adjacent in column-major order, so this is one matrix.
    Eigen::Map<const Mat<T>> w(int l) const { auto o = offsets(l); return {params.data() + o.wx, 4 * arch.hidden, o.in + arch.hidden}; }
    Eigen::Map<const Mat<T>> wx(int l) const { auto o = offsets(l); return {params.data() + o.wx, 4 * arch.hidden, o.in}; }
    Eigen::Map<const Mat<T>> wh(int l) const { auto o = offsets(l); return {params.data() + o.wh, 4 * arch.hidden, arch.hidden}; }
    Eigen::Map<const Vec<T>> b(int l) const { return {params.data() + offsets(l).b, 4 * arch.hidden}; }
    Eigen::Map<const Vec<T>> wOut() const { return {params.data() + outOffset(), arch.hidden}; }
    T bOut() const { return params(outOffset() + arch.hidden); }

    template <typename U>
    LstmNet<U> cast() const { return {arch, params.template cast<U>()}; }
};

// Per-coordinate recurrent state: h and c of every layer, (H, N) each.
template <typename T>
struct LstmState {
    std::vector<Mat<T>> h, c;
    void reset(const LstmArch& arch, Index n);
};

} // namespace l2l
