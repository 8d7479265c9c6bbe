// The "resolve" stage of an evaluation, see Resolve.h.
#include "eval/Resolve.h"

#include "optimizers/LstmOptimizer.h"
#include "optimizers/OptimizerFile.h"

#include "base/Spec.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>

namespace l2l {

namespace {

std::string formatRate(double lr)
{
    std::ostringstream out;
    out << lr;
    return out.str();
}

} // namespace

RuleFactory makeRuleFactory(const UpdateRuleConfig& rule, const std::string& problemSpec)
{
    if (!rule.learned()) return [rule] { return makeUpdateRule<float>(rule); };
    const std::string path = rule.path.empty() ? bundledOptimizerPath(problemSpec) : rule.path;
    return makeLearnedRuleFactory(loadOptimizer(path).net, path, problemSpec);
}

RuleFactory makeLearnedRuleFactory(const LstmNet<float>& loaded, const std::string& path,
                                   const std::string& problemSpec)
{
    auto net = std::make_shared<const LstmNet<float>>(loaded);
    if (net->nets > 1) { // one net per parameter group: the problem must have that many groups
        const auto cls = makeProblemClass<float>(problemSpec);
        try {
            netSpans(net->nets, cls->paramBlocks(), cls->dim());
        } catch (const Error& e) {
            throw Error("optimizer '" + path + "' on " + problemSpec + ": " + e.what());
        }
    }
    return [net] { return std::unique_ptr<UpdateRule<float>>(std::make_unique<LstmRule<float>>(*net, 1)); };
}

bool knownTunedRate(const std::string& canonicalProblem, const UpdateRuleConfig& rule, int steps,
                    const TuneConfig& tune, const TuningCache* cache, const ShippedRates* shipped, TuneResult& out,
                    bool& fromShipped)
{
    fromShipped = false;
    if (cache && cache->lookup(TuningCache::key(canonicalProblem, rule, steps, tune), out)) return true;
    fromShipped =
        shipped &&
        shipped->lookup(TuningCache::key(ShippedRates::withoutDataPath(canonicalProblem), rule, steps, tune), out);
    return fromShipped;
}

TuneResult resolveTunedRate(const ProblemClass<float>& cls, const std::string& canonicalProblem, UpdateRuleConfig& rule,
                            int steps, const TuneConfig& tune, int threads, TuningCache* cache, const LogFn& log,
                            const std::atomic<bool>* cancel, const ShippedRates* shipped,
                            const std::function<void(int done, int total, double secondsLeft)>& onStep)
{
    const std::string key = TuningCache::key(canonicalProblem, rule, steps, tune);
    TuneResult tuned;
    bool fromShipped = false;
    if (knownTunedRate(canonicalProblem, rule, steps, tune, cache, shipped, tuned, fromShipped) && !fromShipped) {
        log("tuning " + rule.name + ": cached rate " + formatRate(tuned.bestRate));
    } else if (fromShipped) {
        log("tuning " + rule.name + ": shipped rate " + formatRate(tuned.bestRate) + " (tuned ahead by this build, " +
            shipped->path() + "; --no-cache tunes afresh)");
    } else {
        log("tuning " + rule.name + ": " + std::to_string(tune.grid().size()) + " rates x " +
            std::to_string(tune.runs) + " runs x " + std::to_string(steps) + " steps" +
            (tune.race ? " (raced: the better half goes on at a quarter and at half of the steps)" : ""));
        // A line about every two seconds with the share done and the time left: a search can take minutes.
        const auto start = std::chrono::steady_clock::now();
        auto last = start, lastStep = start;
        const auto progress = [&](int done, int total) {
            const auto now = std::chrono::steady_clock::now();
            const double elapsed = std::chrono::duration<double>(now - start).count();
            const double left = done > 0 ? elapsed * double(total - done) / double(done) : -1;
            if (onStep && (done >= total || now - lastStep >= std::chrono::milliseconds(200))) {
                lastStep = now;
                onStep(done, total, left);
            }
            if (done <= 0 || done >= total || now - last < std::chrono::seconds(2)) return;
            last = now;
            // A search too big for memory runs its instances in waves, each from step 0.
            const int waves = total / steps, wave = std::min(done / steps, waves - 1), step = done - wave * steps;
            log("tuning " + rule.name + ": " +
                (waves > 1 ? "wave " + std::to_string(wave + 1) + " of " + std::to_string(waves) + ", " : "") +
                "step " + std::to_string(step) + " of " + std::to_string(steps) + " (" +
                std::to_string(int(100.0 * done / total)) + "%), about " + std::to_string(int(std::ceil(left))) +
                " s left");
        };
        tuned = tuneRate(cls, rule, steps, tune, threads, cancel, progress);
        if (cancel && cancel->load()) return tuned;
        log("tuning " + rule.name + ": best rate " + formatRate(tuned.bestRate));
        if (cache) {
            try {
                cache->store(key, tuned);
            } catch (const Error& e) { // an unwritable cache must not cost the run
                log(std::string("warning: ") + e.what());
            }
        }
    }
    // A rate on the grid's edge may not be the best: the search could not look beyond it. Said, not hidden.
    if (const std::vector<double> grid = tune.grid(); !grid.empty() && tuned.bestRate > 0) {
        const bool top = tuned.bestRate >= grid.back() * (1 - 1e-9),
                   bottom = tuned.bestRate <= grid.front() * (1 + 1e-9);
        if (top || bottom)
            log("note: " + rule.name + "'s tuned rate " + formatRate(tuned.bestRate) + " is the " +
                (top ? "largest" : "smallest") + " of the grid (" + formatRate(grid.front()) + " to " +
                formatRate(grid.back()) + "): a better rate may lie beyond it, so " + rule.name +
                " may be under-tuned here");
    }
    rule.lr = tuned.bestRate;
    return tuned;
}

const ShippedRates* shippedRatesFor(const std::string& problemSpec, bool useCache, const LogFn& log)
{
    static const ShippedRates table; // read once: the file ships with the build
    if (!table.warning().empty() && log) log("warning: " + table.warning());
    if (!useCache || !table.applies()) return nullptr;
    try {
        if (Spec::parse(problemSpec).has("data")) return nullptr; // the user's own data
    } catch (const Error&) {
        return nullptr;
    }
    return &table;
}

ResolvedOptimizers resolveOptimizers(const EvalConfig& config, const ProblemClass<float>& cls, const LogFn& log,
                                     const std::atomic<bool>* cancel, const TuneProgressFn& onTune)
{
    ResolvedOptimizers out;
    std::vector<UpdateRuleConfig> rules;
    for (const auto& text : config.optimizers) rules.push_back(UpdateRuleConfig::parse(text));
    TuningCache cache(cachePathOr(config.cachePath));
    if (!cache.warning().empty()) log("warning: " + cache.warning());
    const int tunedCount = int(std::count_if(rules.begin(), rules.end(), [](const auto& r) { return r.tuned(); }));
    const ShippedRates* shipped = tunedCount > 0 ? shippedRatesFor(config.problem, config.useCache, log) : nullptr;
    int tunedIndex = 0;
    for (auto& rule : rules) {
        OptimizerResult r;
        if (rule.learned()) {
            if (rule.path.empty()) rule.path = bundledOptimizerPath(config.problem);
            const Provenance p = loadOptimizer(rule.path).provenance;
            r.provenance = p.known ? "trained on " + p.training.problem + " for " + std::to_string(p.epochsDone) +
                                         " epochs" +
                                         (p.ranks > 1 ? " over " + std::to_string(p.ranks) + " MPI ranks (meta-batch " +
                                                            std::to_string(p.training.metaBatch) + ")"
                                                      : std::string())
                                   : "no provenance in the file";
            if (p.known && !p.ancestors.empty()) r.provenance += ", " + lineageSummary(p.ancestors);
            if (p.selection.known)
                r.provenance += "; chosen by l2l select among " + std::to_string(p.selection.candidates.size()) +
                                " on " + std::to_string(p.selection.runs) + " selection instances of " +
                                p.selection.problem + " (seed " + std::to_string(p.selection.seed) +
                                "), never an evaluation instance";
            else
                r.provenance += "; how it was selected is not recorded (it may have been picked on the instances "
                                "a report uses)";
        }
        if (rule.tuned()) {
            const auto onStep = tuneStepReporter(onTune, rule.name, tunedIndex, tunedCount);
            ++tunedIndex;
            const TuneResult tuned =
                resolveTunedRate(cls, cls.canonicalSpec(), rule, config.steps, config.tune, config.threads,
                                 config.useCache ? &cache : nullptr, log, cancel, shipped, onStep);
            if (cancel && cancel->load()) {
                out.cancelled = true;
                return out;
            }
            r.tunedRate = true;
            r.tuneRates = tuned.rates;
            r.tuneFinalMeans = tuned.finalMeans;
        }
        r.config = rule;
        out.optimizers.push_back(std::move(r));
    }
    for (const auto& rule : rules) out.factories.push_back(makeRuleFactory(rule, config.problem));
    return out;
}

} // namespace l2l
