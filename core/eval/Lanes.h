#pragma once
// The "run" stage of an evaluation (resolve -> run -> summarise, see Evaluation.h): `runs` instances of every
// rule for `steps` steps, as lanes (rule x run) in lock-step on a thread pool. Run r of every rule gets the same
// instance, deriveSeed(seed, r, stream), so the comparison is paired. Used by evaluation (kEvalInstances),
// learning-rate tuning (kTuneInstances) and meta-training's validation.
#include "base/SeedStreams.h"
#include "optimizers/UpdateRule.h"
#include "problems/Problem.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace l2l {

// A run is declared diverged at the first step whose loss is not finite or exceeds this multiple of
// max(initial loss, 1); its curve ends there and it is excluded from the statistics.
constexpr double kDivergenceFactor = 1e6;

// Loss curves of one optimizer over all runs.
struct Curves {
    std::vector<std::vector<double>> loss;        // [run][step], steps + 1 entries, NaN where not computed/diverged
    std::vector<int> divergedAt;                  // per run: step of divergence, or -1
    std::vector<std::optional<TestMetrics>> test; // per run, where the problem has a test split
    // With EvalConfig::testEvery > 0: [run][k] the test split at step testCurveSteps(...)[k] (loss NaN where
    // not computed or the run had diverged).
    std::vector<std::vector<TestMetrics>> testCurve;
};

// The steps at which test curves are taken: 0, every, 2 every, ..., and `steps` itself.
std::vector<int> testCurveSteps(int steps, int every);

// Builds a fresh update rule for one lane (a learned optimizer is loaded once and copied per lane).
using RuleFactory = std::function<std::unique_ptr<UpdateRule<float>>()>;

struct LaneConfig {
    int runs = 1;           // instances per rule
    int steps = 1;          // optimization steps per run
    std::uint64_t seed = 1; // instance r is deriveSeed(seed, r, stream)
    std::uint64_t stream = kEvalInstances;
    int threads = 0;          // 0 = all cores; results do not depend on it
    bool testMetrics = false; // the test split at the end, where the problem has one
    int testEvery = 0;        // > 0: also at testCurveSteps(steps, testEvery), on the lane's thread before its update
                              // (so at theta_t, like the training loss of step t)
    int memoryLimitMiB = 0;   // the memory budget (base/Memory.h): 0 = the memory available now
    std::uint64_t waveBytes = 0; // lanes alive at once stay under this (see kLaneWaveBytes, the default when 0)

    static LaneConfig of(int runs, int steps, std::uint64_t seed, std::uint64_t stream, int threads,
                         int memoryLimitMiB = 0)
    {
        LaneConfig c;
        c.runs = runs;
        c.steps = steps;
        c.seed = seed;
        c.stream = stream;
        c.threads = threads;
        c.memoryLimitMiB = memoryLimitMiB;
        return c;
    }
};

// runLanes() runs the runs in waves, so that the lanes alive at once (instances, parameters and rule state: an
// LSTM's state is 336 bytes per coordinate) stay under this many bytes whatever the number of runs; one wave
// (all runs at once, as long as they fit) is the usual case.
constexpr std::uint64_t kLaneWaveBytes = std::uint64_t(512) << 20;
// Runs per wave (at least 1).
int laneWaveRuns(const ProblemClass<float>& cls, const std::vector<RuleFactory>& rules, const LaneConfig& config);

// About the bytes runLanes() allocates: the lanes of one wave (every lane's instance, parameters and rule state)
// and the curves of every run (twice: the result and a copy for whoever watches). Each factory is called to ask
// its rule.
std::uint64_t estimateLaneBytes(const ProblemClass<float>& cls, const std::vector<RuleFactory>& rules,
                                const LaneConfig& config);
// Throws l2l::Error with the estimate, the machine's available memory and what to change when it does not fit
// config.memoryLimitMiB (runLanes() calls it first; evaluate() also before tuning, with stand-in rules).
void checkLaneMemory(const ProblemClass<float>& cls, const std::vector<RuleFactory>& rules, const LaneConfig& config);

struct LaneRun {
    std::vector<Curves> curves; // one per rule
    int completed = 0;          // steps done by the last wave that ran (< steps if stopped)
    int runsCompleted = 0;      // runs done to the end (< runs if stopped)
    int wave = 0, waves = 1;    // the wave that ran last (0-based), of how many
};

// Where a run of runLanes() is: `step` of `steps` in wave `wave` (0-based) of `waves`. With several waves the
// steps start again from 0 in each wave; done() and total() count over all of them, for progress that never goes
// back.
struct LaneStep {
    int step = 0;
    int wave = 0;
    int waves = 1;
    int steps = 0;
    long long done() const { return (long long)wave * steps + step; }
    long long total() const { return (long long)waves * steps; }
};

// Called after every complete step with the curves so far; the curves hold the earlier waves' runs complete and
// the current wave's up to at.step.
using AfterStep = std::function<void(const LaneStep& at, const std::vector<Curves>& curves)>;

// Runs every rule on config.runs instances. *cancel becoming true stops at the next step; an incomplete step
// is discarded, so the curves end at LaneRun::completed and never mix two steps.
// `retired` (one flag per rule, or null): a rule whose flag afterStep sets stops computing from the next step on
// (its losses stay NaN there); the other rules' lanes are untouched, so their bits do not depend on it.
LaneRun runLanes(const ProblemClass<float>& cls, const std::vector<RuleFactory>& rules, const LaneConfig& config,
                 const std::atomic<bool>* cancel = nullptr, const AfterStep& afterStep = {},
                 const std::vector<char>* retired = nullptr);

} // namespace l2l
