#pragma once
// Optimizer paths on a 2-d function, for the trajectory view: every chosen optimizer (the learned one
// included) starts at the same point of the same function and takes `steps` steps; each point is stored
// with its loss and exact gradient. Paths are computed in double precision (the learned optimizer's
// float weights are widened), so a path is a deterministic function of its config.
#include "optimizers/LstmNet.h"
#include "optimizers/UpdateRule.h"
#include "problems/Functions2d.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace l2l {

struct TrajectoryConfig {
    std::string problem = "rosenbrock"; // a 2-d function spec, e.g. "rosenbrock:x0=-1,y0=2"
    std::vector<std::string> optimizers = {"sgd", "nag", "rmsprop", "adam", "lstm"}; // update rule specs
    int steps = 100;                                                                 // in [1, 10000]
    // Overrides the spec's x0, y0: the exact start (no start noise). Each coordinate in [-1000, 1000].
    std::optional<std::array<double, 2>> start;
    std::uint64_t seed = 1; // which instance of a random family (quadratic2d): evaluation run 0
    // Where rates that are not given are tuned: false (the default), from the function's own start, so that they
    // stay the same while `start` moves (the studio's drag); true, from `start` itself.
    bool tuneAtStart = false;
    void validate() const; // throws l2l::Error naming the field and range
};

// One optimizer's path. (Not `Trajectory`: that is the BPTT state carried between windows, Bptt.h.)
struct TrajectoryPath {
    std::string optimizer;                     // display name: "adam" when tuned, "adam:lr=0.1" when given, "lstm"
    UpdateRuleConfig rule;                     // with the rate used; lstm: the resolved optimizer file
    bool tunedRate = false;                    // the rate came from the tuning search
    bool tunedHere = false;                    // ... run from this path's start (else from the function's own)
    std::vector<std::array<double, 2>> points; // steps + 1 points, fewer if diverged
    std::vector<double> loss;                  // f at each point
    std::vector<std::array<double, 2>> grad;   // grad f at each point
    int divergedAt = -1; // first step whose loss was not finite or exceeded the divergence limit, or -1
};

struct TrajectoryResult {
    TrajectoryConfig config;
    std::string canonicalProblem; // the class the paths ran on (start included)
    Bounds2d bounds;              // the function's viewing box
    Function2dKind kind = Function2dKind::Rosenbrock;
    std::array<double, 6> quad{};      // Quadratic: W (row-major 2x2) and y
    double kappa = 1;                  // IllConditioned: condition number
    std::array<double, 2> start{};     // the common first point
    std::vector<TrajectoryPath> paths; // in the order of config.optimizers
    bool cancelled = false;            // stopped through the cancel flag: paths are incomplete
};

// Builds the function instance, tunes the rates that are not given (tuneRate on the function's class at
// that start, with no cache: a drag would fill it with one entry per start point) and runs every
// optimizer. Throws l2l::Error for a problem that is not a 2-d function, an unknown optimizer, a bad
// optimizer file, or a rate search where every rate diverges.
TrajectoryResult computeTrajectories(const TrajectoryConfig& config, const std::atomic<bool>* cancel = nullptr);

// The instance the paths of `config` run on (the same as computeTrajectories uses), in double.
std::unique_ptr<Function2d<double>> trajectoryFunction(const TrajectoryConfig& config);
// The path of a learned optimizer held in memory (meta-training's current weights: the Meta-train view's "watch it
// learn" panel) on the instance of `config`, run as computeTrajectories runs an "lstm" file (double precision).
// `label` becomes the path's display name. config.optimizers is not used.
TrajectoryPath learnedPath(const TrajectoryConfig& config, const LstmNet<float>& net, const std::string& label,
                           const std::atomic<bool>* cancel = nullptr);

// The canonical spec of the class the paths of `config` run on, its start included.
std::string trajectoryCanonicalProblem(const TrajectoryConfig& config);

// The same instance in float, as meta-training runs it (the graph view, meta/GraphTrace.h).
std::unique_ptr<Function2d<float>> trajectoryFunctionFloat(const TrajectoryConfig& config);

} // namespace l2l
