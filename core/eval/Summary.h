#pragma once
// The "summarise" stage of an evaluation (resolve -> run -> summarise, see Evaluation.h): statistics of the
// loss curves over the runs, per optimizer, and the results of a whole evaluation.
#include "base/Stats.h"
#include "eval/EvalConfig.h"
#include "eval/Lanes.h"
#include "optimizers/UpdateRule.h"

#include <optional>
#include <string>
#include <vector>

namespace l2l {

struct StepStats {
    std::vector<double> mean, std; // per step over the runs that never diverged (NaN if none)
    // Per step over every run, a diverged one counted as the worst (+inf) from the step it diverged at: +inf once
    // half the runs have diverged. (Over the survivors alone, an optimizer that diverged in 29 of 50 runs had the
    // lowest median of all.)
    std::vector<double> median;
    std::vector<int> alive; // runs counted at that step
    // What updateStepStats() last computed: steps 0..upTo over the runs marked in `counted`.
    int upTo = -1;
    std::vector<char> counted;
};
// Brings `s` up to completedSteps. Only the new steps are computed while the population (the runs that never
// diverged) is unchanged; a run diverging changes every step's population, and then all steps are recomputed.
// The result is the same, bit for bit, as computing it afresh: a live summary of a long run costs its new steps,
// not its length.
void updateStepStats(StepStats& s, const Curves& curves, int completedSteps);

struct OptimizerResult {
    UpdateRuleConfig config; // with the learning rate actually used (lstm: the resolved file)
    std::string provenance;  // lstm: what the optimizer was trained on
    bool tunedRate = false;  // rate came from the tuning search
    std::vector<double> tuneRates,
        tuneFinalMeans; // the search grid and its mean final losses (NaN = diverged, or dropped by a race)
    Curves curves;
    StepStats stats;
    double finalMean = 0, finalStd = 0; // over the runs that never diverged (StepStats)
    double finalMedian = 0;             // over every run, a diverged one as +inf (StepStats::median)
    int divergedRuns = 0;
    std::optional<double> testLossMean, testAccuracyMean;
    // With a test curve: means over the runs alive at each EvalResult::testSteps entry (NaN if none).
    std::vector<double> testLossCurve, testAccuracyCurve;
    // The paired comparison with the best (bestByFinalMean), best's final losses against this one's, run by run on
    // the same instances: set by pairWithBest for every optimizer but the best, kept by a result read back from JSON.
    std::optional<PairedComparison> vsBest;
    // "adam" when the rate was tuned, "adam:lr=0.01" when given, "lstm:file.json" for a learned one.
    std::string displayName() const { return tunedRate ? config.name : config.label(); }
};

struct EvalResult {
    EvalConfig config;
    std::string canonicalProblem;
    bool hasTestSplit = false;
    std::vector<int> testSteps; // where the test curves were taken (empty without testEvery)
    int completedSteps = 0;     // < steps if cancelled; with the runs in waves, the step of the current wave
    int wave = 0, waves = 1;    // the runs go in waves when they do not fit in memory at once (Lanes.h)
    // The share of the evaluation's steps done, over all waves (0..1).
    double progress() const
    {
        return config.steps > 0 ? (double(wave) * config.steps + completedSteps) / (double(waves) * config.steps) : 0;
    }
    bool cancelled = false;
    std::vector<OptimizerResult> optimizers;
};

// The best optimizer (null if none finished): of those that diverged in the fewest runs, the one of lowest mean
// final loss. A mean is over the runs that finished, so one that diverged in 20 of 50 runs was named the best by
// the mean of its 30 survivors, ahead of optimizers that finished every run. And one optimizer's final loss per
// run (NaN where it diverged): what the paired comparisons are made of.
const OptimizerResult* bestByFinalMean(const EvalResult& r);
std::vector<double> finalLosses(const EvalResult& r, const OptimizerResult& o);
// Sets every optimizer's vsBest from the runs' final losses at r.completedSteps; `curves[i]` are optimizer i's
// (a result's own curves may have been moved out or dropped: the studio keeps statistics only).
void pairWithBest(EvalResult& r, const std::vector<Curves>& curves);

// Statistics of `curves` up to step `completed` into r (the curves themselves are not copied). testSteps: where
// the test curves were taken (EvalResult::testSteps).
void summarizeOptimizer(OptimizerResult& r, const Curves& curves, int completed, const std::vector<int>& testSteps);

} // namespace l2l
