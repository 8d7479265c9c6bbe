#pragma once
// Looking inside a learned optimizer (what the paper's figures do not show):
//  - its response curve: the update u = m(g) as a function of the incoming gradient g, at the first step
//    from a zero state and after a warm-up on the same constant gradient, next to Adam's and SGD's;
//  - along one optimization trajectory: the per-coordinate effective learning rate -u_k / g_k and the
//    activity of the LSTM's hidden state.
#include "optimizers/LstmNet.h"

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace l2l {

// Rates of the reference curves when the caller gives none.
constexpr double kInspectAdamRate = 0.1;
constexpr double kInspectSgdRate = 0.01;

// Gradients -hi .. -lo, +lo .. +hi, `perSide` log-spaced values on each side, sorted ascending.
std::vector<double> symmetricLogGradients(int perSide = 61, double lo = 1e-6, double hi = 1e2);

struct ResponseCurve {
    std::vector<double> gradients; // g
    std::vector<double> lstmFirst; // u at step 1 from the zero state
    std::vector<double> lstmWarm;  // u at step warmupSteps + 1, after warmupSteps steps fed the same g
    std::vector<double> adam;      // Adam's first update: -lr g / (|g| + eps / sqrt(1 - beta2)) ~ -lr sign(g)
    std::vector<double> sgd;       // -lr g
    int warmupSteps = 0;
    double adamRate = kInspectAdamRate, sgdRate = kInspectSgdRate;
};

// All gradient values run as one batch of coordinates (the LSTM is coordinatewise, so column k sees only
// g_k: the curve is exactly what a coordinate with that gradient history would get). With global averaging
// cells (LSTM+GAC) each value runs alone: the update of every coordinate when all of them see g. In float32, the
// precision the optimizer runs in. Throws l2l::Error on a negative warm-up or non-positive rates.
// An optimizer with several nets (one per parameter group, e.g. the conv net's): the curve of net `group`.
ResponseCurve lstmResponse(const LstmNet<float>& net, const std::vector<double>& gradients, int warmupSteps,
                           double adamRate = kInspectAdamRate, double sgdRate = kInspectSgdRate, int group = 0);

// Coordinates whose |g| is below this are left out of the effective learning rate (-u/g is meaningless
// there: for MNIST the weights of always-black pixels have g = 0 exactly).
constexpr double kEffectiveLrMinGradient = 1e-8;
// Coordinates whose top-layer hidden state is recorded in full (the largest |g| at step 0).
constexpr int kInspectTracked = 8;

struct InspectTrace {
    std::string problem;       // canonical problem spec
    std::string optimizerPath; // the optimizer file used
    std::uint64_t seed = 0;
    Index dim = 0;
    int steps = 0;          // requested
    int completedSteps = 0; // < steps if cancelled or diverged
    bool cancelled = false, diverged = false;
    std::vector<double> loss; // f(theta_t), t = 0..completedSteps
    // Per step t (the update applied to theta_t, computed from g_t): quantiles over the counted
    // coordinates of the effective learning rate -u_k / g_k; NaN when no coordinate is counted.
    std::vector<double> lrMedian, lrLow, lrHigh; // 50%, 10%, 90%
    std::vector<double> lrNegative;              // fraction of counted coordinates with -u/g < 0 (uphill)
    std::vector<int> lrCount;                    // coordinates counted
    std::vector<std::vector<double>> meanAbsH;   // [layer][t]: mean over all coordinates of |h| after step t
    std::vector<Index> tracked;                  // kInspectTracked coordinates (or dim if fewer)
    std::vector<Mat<double>> topHidden;          // per tracked coordinate: (H, completedSteps) top-layer h
};

// Runs the LSTM optimizer `lstmSpec` ("lstm" = the one bundled for the problem family, "lstm:FILE") for
// `steps` steps on the instance that evaluate() uses as run 0 for this seed (instance seed
// deriveSeed(seed, 0, kEvalInstances), its theta_0 and minibatch sequence), recording the trace above.
// Stops early (completedSteps < steps) when *cancel becomes true or the loss stops being finite.
// Throws l2l::Error naming a bad problem spec, optimizer spec or optimizer file.
InspectTrace inspectTrajectory(const std::string& problemSpec, const std::string& lstmSpec, std::uint64_t seed,
                               int steps, const std::atomic<bool>* cancel = nullptr);

// The q-quantile (q in [0, 1], linear interpolation between order statistics) of `values`, reordered in
// place. NaN if empty.
double quantileInPlace(std::vector<double>& values, double q);

} // namespace l2l
