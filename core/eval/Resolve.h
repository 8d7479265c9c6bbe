#pragma once
// The "resolve" stage of an evaluation (resolve -> run -> summarise, see Evaluation.h): optimizer specs become
// concrete rules -- a learned optimizer's file is found (the bundled one for the problem) and loaded, a rate
// left out is tuned or taken from the tuning cache.
#include "eval/Lanes.h"
#include "eval/Summary.h"
#include "eval/Tuning.h"

#include <atomic>
#include <functional>
#include <string>
#include <vector>

namespace l2l {

using LogFn = std::function<void(const std::string&)>;

// Resolves `lstm` to the bundled optimizer of `problemSpec` (or its file) and loads it; hand-designed
// rules must have their learning rate set.
RuleFactory makeRuleFactory(const UpdateRuleConfig& rule, const std::string& problemSpec);

// Sets rule.lr of a rule whose rate is to be tuned: from `cache` (null = no cache) or a fresh search on
// `cls`, which is then stored in the cache (an unwritable cache is only a warning through `log`).
// Returns the search (its grid and mean final losses). On cancellation rule.lr is left as it was.
TuneResult resolveTunedRate(const ProblemClass<float>& cls, const std::string& canonicalProblem, UpdateRuleConfig& rule,
                            int steps, const TuneConfig& tune, int threads, TuningCache* cache, const LogFn& log,
                            const std::atomic<bool>* cancel);

struct ResolvedOptimizers {
    std::vector<OptimizerResult> optimizers; // rule with its rate or file, provenance, tuning grid; no curves yet
    std::vector<RuleFactory> factories;      // one per optimizer (empty if cancelled)
    bool cancelled = false;                  // stopped during tuning
};

// Every optimizer of config.optimizers, in order: tuned where no rate is given (config.useCache: through the
// cache at config.cachePath), learned ones loaded.
ResolvedOptimizers resolveOptimizers(const EvalConfig& config, const ProblemClass<float>& cls, const LogFn& log,
                                     const std::atomic<bool>* cancel);

} // namespace l2l
