#pragma once
// The paper's Fig. 2 with a real run's numbers, for the graph view: the learned optimizer m takes `start` steps on a
// 2-d function (the Trajectories view's instance), then one truncated window of K steps is unrolled and
// back-propagated exactly as meta-training does it (meta/Bptt.h, in float): theta_t, grad_t, the LSTM's state h_t,
// the updates g_t, the losses f_t, the meta-loss L = sum_t w_t f_t, and backwards dL/dtheta_t and each step's share
// of dL/dphi. With second derivatives the adjoints include the path through grad_t = grad f(theta_t) that the
// paper's first-order training drops (its dashed edges).
#include "eval/Trajectory.h"
#include "meta/Bptt.h"
#include "optimizers/MetaTrainConfig.h"

#include <string>

namespace l2l {

struct GraphConfig {
    std::string problem = "quadratic2d";        // a 2-d function spec, as for trajectories
    std::optional<std::array<double, 2>> start; // overrides the spec's start (the Trajectories view's point)
    std::uint64_t seed = 1;                     // which instance of a random family: the trajectories' one
    std::string optimizer;                      // an optimizer file; empty: the bundled one for 2-d functions
    int window = 5;                             // K, steps in the window, in [1, 20]
    int offset = 0;                             // steps taken before the window, in [0, 1000]
    bool secondOrder = false;                   // follow d grad_t / d phi as well (the dashed edges)
    MetaLoss metaLoss = MetaLoss::Sum;          // w_t = 1 (Sum) or 1 / f_t (Log)
    void validate() const;                      // throws l2l::Error naming the field and range
};

struct GraphResult {
    GraphConfig config;
    std::string canonicalProblem; // the class the run used (start included)
    std::string optimizerPath;    // the resolved optimizer file
    LstmArch arch;
    Index paramCount = 0;             // |phi|
    WindowTrace<float> trace;         // step j of the window is step offset + j of the run
    double metaLoss = 0;              // sum_{j=1..K} f(theta_{offset+j}), what Unroller::window returned
    Vec<float> dphi;                  // dL/dphi of the window
    std::vector<double> beforeLosses; // f at steps 0..offset (the run up to the window; the last is trace.losses[0])
};

// Throws l2l::Error for a problem that is not a 2-d function, a bad optimizer file or a bad setting.
GraphResult computeGraph(const GraphConfig& config);

} // namespace l2l
