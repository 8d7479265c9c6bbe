#pragma once
// Paired comparison of optimizers: every optimizer runs on the SAME sampled instances, initial theta
// and minibatch sequence (run r uses instance seed deriveSeed(seed, r, kEvalDomain) for everyone).
#include "problems/Problem.h"
#include "eval/Tuning.h"
#include "optimizers/UpdateRule.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace l2l {

// Stream separation: evaluation and learning-rate tuning never draw the same instances.
constexpr std::uint64_t kEvalDomain = 0xE7A1;
constexpr std::uint64_t kTuneDomain = 0x7E57;

// A run is declared diverged at the first step whose loss is not finite or exceeds this multiple of
// max(initial loss, 1); its curve ends there and it is excluded from the statistics.
constexpr double kDivergenceFactor = 1e6;

// Loss curves of one optimizer over all runs.
struct Curves {
    std::vector<std::vector<double>> loss; // [run][step], steps + 1 entries, NaN where not computed/diverged
    std::vector<int> divergedAt;           // per run: step of divergence, or -1
    std::vector<std::optional<TestMetrics>> test; // per run, where the problem has a test split
    // With EvalConfig::testEvery > 0: [run][k] the test split at step testCurveSteps(...)[k] (loss NaN where
    // not computed or the run had diverged).
    std::vector<std::vector<TestMetrics>> testCurve;
};

// The steps at which test curves are taken: 0, every, 2 every, ..., and `steps` itself.
std::vector<int> testCurveSteps(int steps, int every);

struct StepStats {
    std::vector<double> mean, std, median; // per step over the runs that never diverged (NaN if none)
    std::vector<int> alive;                // runs counted at that step
};
StepStats stepStats(const Curves& curves, int completedSteps);

struct OptimizerResult {
    UpdateRuleConfig config; // with the learning rate actually used (lstm: the resolved file)
    std::string provenance;  // lstm: what the optimizer was trained on
    bool tunedRate = false;  // rate came from the tuning search
    std::vector<double> tuneRates, tuneFinalMeans; // the search grid and its mean final losses (NaN = diverged)
    Curves curves;
    StepStats stats;
    double finalMean = 0, finalStd = 0, finalMedian = 0;
    int divergedRuns = 0;
    std::optional<double> testLossMean, testAccuracyMean;
    // With a test curve: means over the runs alive at each EvalResult::testSteps entry (NaN if none).
    std::vector<double> testLossCurve, testAccuracyCurve;
    // "adam" when the rate was tuned, "adam:lr=0.01" when given, "lstm:file.json" for a learned one.
    std::string displayName() const { return tunedRate ? config.name : config.label(); }
};

struct EvalConfig {
    std::string problem = "quadratic";                                  // problem spec
    std::vector<std::string> optimizers = {"sgd", "nag", "rmsprop", "adam"}; // update rule specs
    int runs = 20;             // instances, in [1, 10000]
    int steps = 100;           // optimization steps per run, in [1, 100000]
    std::uint64_t seed = 1;    // evaluation seed
    int threads = 0;           // 0 = all cores; results do not depend on it
    bool testMetrics = true;   // evaluate the test split at the end, where there is one
    int testEvery = 0;         // > 0: also every testEvery steps (test-split curves), in [0, 100000]
    TuneConfig tune;
    std::string cachePath;     // tuned-rate cache file; empty = defaultCachePath()
    bool useCache = true;
    void validate() const;     // throws l2l::Error naming the field and range
};

struct EvalResult {
    EvalConfig config;
    std::string canonicalProblem;
    bool hasTestSplit = false;
    std::vector<int> testSteps; // where the test curves were taken (empty without testEvery)
    int completedSteps = 0; // < steps if cancelled
    bool cancelled = false;
    std::vector<OptimizerResult> optimizers;
};

// The optimizer of lowest mean final loss (null if none finished), and one optimizer's final loss per
// run (NaN where it diverged): what the paired comparisons are made of.
const OptimizerResult* bestByFinalMean(const EvalResult& r);
std::vector<double> finalLosses(const EvalResult& r, const OptimizerResult& o);

struct EvalCallbacks {
    std::function<void(const std::string&)> log; // human-readable progress lines
    // After evaluation steps, with the statistics so far (per-run curves are left empty in `partial`).
    // Called on one of the core's threads; at most once per minStepInterval seconds, and always after
    // the last step.
    std::function<void(const EvalResult& partial, int step)> onStep;
    double minStepInterval = 0;
};

// Runs `runs` instances of every rule for `steps` steps (lanes in lock-step on `threads` threads) and
// returns one Curves per rule. `afterStep(step, curves)` runs after every step with the curves so far;
// returning false (or *cancel becoming true) stops early, and *completed says how many steps were done.
// testMetrics: the test split at the end; testEvery > 0: also at testCurveSteps(steps, testEvery), on the
// lane's own thread before its update (so at theta_t, like the training loss of step t).
// Builds a fresh update rule for one lane. A learned optimizer is loaded once and copied per lane.
using RuleFactory = std::function<std::unique_ptr<UpdateRule<float>>()>;
// Resolves `lstm` to the bundled optimizer of `problemSpec` (or its file) and loads it; hand-designed
// rules must have their learning rate set.
RuleFactory makeRuleFactory(const UpdateRuleConfig& rule, const std::string& problemSpec);

std::vector<Curves> runLanes(const ProblemClass<float>& cls, const std::vector<RuleFactory>& rules, int runs,
                             int steps, std::uint64_t seed, std::uint64_t domain, int threads, bool testMetrics,
                             int testEvery, const std::atomic<bool>* cancel,
                             const std::function<void(int, const std::vector<Curves>&)>& afterStep, int* completed);

// Sets rule.lr of a rule whose rate is to be tuned: from `cache` (null = no cache) or a fresh search on
// `cls`, which is then stored in the cache (an unwritable cache is only a warning through `log`).
// Returns the search (its grid and mean final losses). On cancellation rule.lr is left as it was.
TuneResult resolveTunedRate(const ProblemClass<float>& cls, const std::string& canonicalProblem, UpdateRuleConfig& rule,
                            int steps, const TuneConfig& tune, int threads, TuningCache* cache,
                            const std::function<void(const std::string&)>& log, const std::atomic<bool>* cancel);

// Tunes (or fetches from the cache) every optimizer whose rate is not given, then evaluates.
EvalResult evaluate(const EvalConfig& config, const EvalCallbacks& callbacks = {},
                    const std::atomic<bool>* cancel = nullptr);

} // namespace l2l
