#pragma once
// The "resolve" stage of an evaluation (resolve -> run -> summarise, see Evaluation.h): optimizer specs become
// concrete rules -- a learned optimizer's file is found (the bundled one for the problem) and loaded, a rate
// left out is tuned or taken from the tuning cache.
#include "eval/Lanes.h"
#include "eval/Summary.h"
#include "eval/Tuning.h"
#include "optimizers/LstmNet.h"

#include <atomic>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

namespace l2l {

using LogFn = std::function<void(const std::string&)>;

// Where a tuning search is, for a progress bar: optimizer `index` of `count` tuned ones, at `step` of `steps`
// (every rate and instance advances together; a search run in waves counts every wave's steps, see tuneRate()),
// with an estimate of the seconds left in this search (-1 unknown).
struct TuneProgress {
    std::string optimizer;
    int index = 0, count = 0;
    int step = 0, steps = 0;
    double secondsLeft = -1;
};
using TuneProgressFn = std::function<void(const TuneProgress&)>;
// Of a search's progress as shown (the CLI's line, the studio's status): the whole percent done, and the whole
// seconds left while it runs (-1: unknown, or done).
inline int tunePercent(const TuneProgress& p) { return p.steps > 0 ? int(100LL * p.step / p.steps) : 0; }
inline int tuneSecondsLeft(const TuneProgress& p)
{
    return p.secondsLeft >= 0 && p.step < p.steps ? int(std::ceil(p.secondsLeft)) : -1;
}
// resolveTunedRate's onStep for search `index` of `count` (of optimizer `name`), reported to `onTune` (empty: none).
inline std::function<void(int, int, double)> tuneStepReporter(const TuneProgressFn& onTune, std::string name, int index,
                                                              int count)
{
    if (!onTune) return {};
    return [onTune, name = std::move(name), index, count](int done, int total, double secondsLeft) {
        onTune(TuneProgress{name, index, count, done, total, secondsLeft});
    };
}

// Resolves `lstm` to the bundled optimizer of `problemSpec` (or its file) and loads it; hand-designed
// rules must have their learning rate set.
RuleFactory makeRuleFactory(const UpdateRuleConfig& rule, const std::string& problemSpec);
// The factory of a learned optimizer already loaded from `path` (named in messages); throws l2l::Error if its nets
// do not fit the parameter groups of `problemSpec`.
RuleFactory makeLearnedRuleFactory(const LstmNet<float>& net, const std::string& path, const std::string& problemSpec);

// Sets rule.lr of a rule whose rate is to be tuned: from `cache` (null = no cache), else from `shipped` (null =
// none; pass it only for a problem on its default data), else a fresh search on `cls`, which is then stored in the
// cache (an unwritable cache is only a warning through `log`). Returns the search (its grid and mean final losses).
// On cancellation rule.lr is left as it was.
TuneResult resolveTunedRate(const ProblemClass<float>& cls, const std::string& canonicalProblem, UpdateRuleConfig& rule,
                            int steps, const TuneConfig& tune, int threads, TuningCache* cache, const LogFn& log,
                            const std::atomic<bool>* cancel, const ShippedRates* shipped = nullptr,
                            const std::function<void(int done, int total, double secondsLeft)>& onStep = {});
// A tuned rate known without a search: from `cache` (null = none), else from `shipped` (null = none). False if
// neither holds it; `fromShipped` says which did.
bool knownTunedRate(const std::string& canonicalProblem, const UpdateRuleConfig& rule, int steps,
                    const TuneConfig& tune, const TuningCache* cache, const ShippedRates* shipped, TuneResult& out,
                    bool& fromShipped);
// The shipped rates to use for `problemSpec` as the user wrote it: none when it names its own data (or the table
// does not apply to this build); the table's warning, if any, goes to `log`.
const ShippedRates* shippedRatesFor(const std::string& problemSpec, bool useCache, const LogFn& log);

struct ResolvedOptimizers {
    std::vector<OptimizerResult> optimizers; // rule with its rate or file, provenance, tuning grid; no curves yet
    std::vector<RuleFactory> factories;      // one per optimizer (empty if cancelled)
    bool cancelled = false;                  // stopped during tuning
};

// Every optimizer of config.optimizers, in order: tuned where no rate is given (config.useCache: through the
// cache at config.cachePath), learned ones loaded. onTune: a search's progress, at most about 5 times a second.
ResolvedOptimizers resolveOptimizers(const EvalConfig& config, const ProblemClass<float>& cls, const LogFn& log,
                                     const std::atomic<bool>* cancel, const TuneProgressFn& onTune = {});

} // namespace l2l
