#pragma once
// The learned optimizer on ONE coordinate, in double (core/optimizers/LstmOptimizer.h runs the same formulas batched),
// with a first-order bound on the rounding error of any evaluation of those formulas at unit roundoff r
// (kFloatUnit or kDoubleUnit), whatever the order of its sums and with or without FMA. For tests that
// compare two code paths that do not sum in the same order (the batched runner's matrix-matrix products
// against one coordinate's matrix-vector and dot products), or float against double.
//
// The bound, in units of r, to first order (Higham, "Accuracy and Stability of Numerical Algorithms",
// ch. 3), carried from step to step through h and c:
//  - z = W [x; h_prev] + b, K = I + H products and the bias, summed in any order:
//      |dz| <= (K + 1) (|W| |[x; h_prev]| + |b|) + |W| |d[x; h_prev]|  (the second term: errors carried in);
//  - tanh: Eigen's float tanh is a rational approximation clamped at |x| = 7.9, itself within 3.9 r of tanh
//    (at the clamp), evaluated in float by Horner's rule (7 and 4 terms) and a division, within 22 r more in
//    the worst case; glibc's double tanh is within 2 ulp: absolute error <= kTanhError = 32, and an input
//    error is multiplied by tanh' = 1 - t^2. The gates i, f, o are sigm(z) = (1 + tanh(z/2)) / 2, as the
//    runner computes them: |ds| <= s (1 - s) |dz| + kTanhError / 2 + 1;
//  - c = f c_prev + i g: |dc| <= f |dc_prev| + |c_prev| |df| + |g| |di| + i |dg| + 2 (|f c_prev| + |i g|);
//    h = o tanh(c): |dh| <= |tanh c| |do| + o ((1 - tanh^2 c) |dc| + kTanhError) + |h|;
//  - preprocessing: log|g| / p within 5 |x| (detLog < 2 ulp, std::log < 1 ulp, then / p), e^p g within
//    2 |x| (e^p rounded, one product);
//  - u = scale (w_out . h_top + b_out): (H + 1) (|w_out| |h_top| + |b_out|) + |w_out| |dh_top| + 2 |u|
//    (the scale rounded, one product).
// The derivatives are the actual ones along the run, not worst cases over all states, so the bound grows
// with the steps only as far as the errors can. It bounds |computed - exact| for ONE evaluation: two code
// paths differ by at most twice it, a float path and the double reference by uError (kFloatUnit +
// kDoubleUnit). It is a worst case: actual differences are far smaller (the tests print both).
#include "optimizers/LstmNet.h"

#include <cmath>
#include <vector>

namespace l2l::test {

constexpr double kFloatUnit = 0x1p-24;  // unit roundoff of float: |fl(x) - x| <= 2^-24 |x|
constexpr double kDoubleUnit = 0x1p-53; // and of double

struct LstmReferenceStep {
    double u = 0;                    // the update of this step
    double uError = 0;               // |u computed at unit roundoff r - u| <= uError * r
    std::vector<Vec<double>> h;      // per layer (H): h after this step
    std::vector<Vec<double>> hError; // per layer (H): the same bound for h
};

// Runs a one-net optimizer on a single coordinate fed gradients[t] at step t, from the zero state.
inline std::vector<LstmReferenceStep> lstmReference(const LstmNet<double>& net, const std::vector<double>& gradients)
{
    constexpr double kTanhError = 32, kLogError = 5;
    const LstmArch& a = net.arch;
    const Index H = a.hidden;
    const size_t layers = size_t(a.layers);
    // State and its error bound, per layer.
    std::vector<Vec<double>> h(layers, Vec<double>::Zero(H)), c = h, dh = h, dc = h;
    std::vector<LstmReferenceStep> steps;
    for (const double g : gradients) {
        Vec<double> x(a.inputSize()), dx = Vec<double>::Zero(a.inputSize());
        if (a.preprocess == Preprocess::None) {
            x(0) = g;
        } else if (std::abs(g) >= std::exp(-a.p)) {
            x << std::log(std::abs(g)) / a.p, g > 0 ? 1.0 : -1.0;
            dx(0) = kLogError * std::abs(x(0));
        } else {
            x << -1.0, std::exp(a.p) * g;
            dx(1) = 2.0 * std::abs(x(1));
        }
        Vec<double> below = x, dBelow = dx; // the layer's input from below and its bound
        for (size_t l = 0; l < layers; ++l) {
            const auto w = net.w(int(l)); // (4H, K) = [Wx Wh], rows [i | f | g | o]
            const auto b = net.b(int(l));
            const Index K = below.size() + H;
            Vec<double> in(K), dIn(K);
            in << below, h[l];
            dIn << dBelow, dh[l];
            const Vec<double> z = w * in + b;
            const Vec<double> dz = w.cwiseAbs() * dIn + double(K + 1) * (w.cwiseAbs() * in.cwiseAbs() + b.cwiseAbs());
            Vec<double> gate(4 * H), dGate(4 * H);
            for (Index r = 0; r < 4 * H; ++r) {
                if (r >= 2 * H && r < 3 * H) {
                    gate(r) = std::tanh(z(r));
                    dGate(r) = (1.0 - gate(r) * gate(r)) * dz(r) + kTanhError;
                } else {
                    gate(r) = 0.5 * (1.0 + std::tanh(0.5 * z(r)));
                    dGate(r) = gate(r) * (1.0 - gate(r)) * dz(r) + 0.5 * kTanhError + 1.0;
                }
            }
            const auto i = gate.segment(0, H).array(), f = gate.segment(H, H).array();
            const auto gg = gate.segment(2 * H, H).array(), o = gate.segment(3 * H, H).array();
            const auto di = dGate.segment(0, H).array(), df = dGate.segment(H, H).array();
            const auto dg = dGate.segment(2 * H, H).array(), dO = dGate.segment(3 * H, H).array();
            const Vec<double> cNew = (f * c[l].array() + i * gg).matrix();
            const Vec<double> dcNew = (f * dc[l].array() + c[l].array().abs() * df + gg.abs() * di + i * dg +
                                       2.0 * ((f * c[l].array()).abs() + (i * gg).abs()))
                                          .matrix();
            const Vec<double> tc = cNew.array().tanh().matrix();
            h[l] = (o * tc.array()).matrix();
            dh[l] = (tc.array().abs() * dO + o * ((1.0 - tc.array().square()) * dcNew.array() + kTanhError) +
                     h[l].array().abs())
                        .matrix();
            c[l] = cNew;
            dc[l] = dcNew;
            below = h[l];
            dBelow = dh[l];
        }
        LstmReferenceStep s;
        const auto wOut = net.wOut();
        const double magnitude = wOut.cwiseAbs().dot(h.back().cwiseAbs()) + std::abs(net.bOut());
        s.u = a.outputScale * (wOut.dot(h.back()) + net.bOut());
        s.uError = a.outputScale * (wOut.cwiseAbs().dot(dh.back()) + double(H + 1) * magnitude) + 2.0 * std::abs(s.u);
        s.h = h;
        s.hError = dh;
        steps.push_back(s);
    }
    return steps;
}

} // namespace l2l::test
