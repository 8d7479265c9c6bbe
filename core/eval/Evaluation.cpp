#include "eval/Evaluation.h"

#include "optimizers/LstmOptimizer.h"
#include "optimizers/OptimizerFile.h"
#include "base/Parallel.h"
#include "base/Rng.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>

namespace l2l {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double medianOf(std::vector<double> v)
{
    if (v.empty()) return kNaN;
    const size_t mid = v.size() / 2;
    std::nth_element(v.begin(), v.begin() + long(mid), v.end());
    double m = v[mid];
    if (v.size() % 2 == 0) m = 0.5 * (m + *std::max_element(v.begin(), v.begin() + long(mid)));
    return m;
}

// The population of every statistic: the runs that never diverged. (Averaging over whichever runs are
// still alive would let a run that is about to overflow dominate the mean until it is dropped.) Only when
// every run diverged are the curves averaged over the runs alive at each step.
bool anyRunSurvived(const Curves& curves)
{
    return std::any_of(curves.divergedAt.begin(), curves.divergedAt.end(), [](int at) { return at < 0; });
}
} // namespace

StepStats stepStats(const Curves& curves, int completedSteps)
{
    const bool anySurvivor = anyRunSurvived(curves);
    StepStats s;
    const size_t n = curves.loss.empty() ? 0 : curves.loss.front().size();
    s.mean.assign(n, kNaN);
    s.std.assign(n, kNaN);
    s.median.assign(n, kNaN);
    s.alive.assign(n, 0);
    std::vector<double> values;
    for (size_t t = 0; t < n && int(t) <= completedSteps; ++t) {
        values.clear();
        for (size_t run = 0; run < curves.loss.size(); ++run)
            if (std::isfinite(curves.loss[run][t]) && (!anySurvivor || curves.divergedAt[run] < 0))
                values.push_back(curves.loss[run][t]);
        s.alive[t] = int(values.size());
        if (values.empty()) continue;
        double sum = 0;
        for (double v : values) sum += v;
        const double mean = sum / double(values.size());
        double ss = 0;
        for (double v : values) ss += (v - mean) * (v - mean);
        s.mean[t] = mean;
        s.std[t] = values.size() > 1 ? std::sqrt(ss / double(values.size() - 1)) : 0.0;
        s.median[t] = medianOf(values);
    }
    return s;
}

std::vector<int> testCurveSteps(int steps, int every)
{
    std::vector<int> at;
    if (every <= 0) return at;
    for (int t = 0; t < steps; t += every) at.push_back(t);
    at.push_back(steps);
    return at;
}

RuleFactory makeRuleFactory(const UpdateRuleConfig& rule, const std::string& problemSpec)
{
    if (!rule.learned()) return [rule] { return makeUpdateRule<float>(rule); };
    const std::string path = rule.path.empty() ? bundledOptimizerPath(problemSpec) : rule.path;
    auto net = std::make_shared<const LstmNet<float>>(loadOptimizer(path).net);
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

std::vector<Curves> runLanes(const ProblemClass<float>& cls, const std::vector<RuleFactory>& rules, int runs,
                             int steps, std::uint64_t seed, std::uint64_t domain, int threads, bool testMetrics,
                             int testEvery, const std::atomic<bool>* cancel,
                             const std::function<void(int, const std::vector<Curves>&)>& afterStep, int* completed)
{
    struct Lane {
        std::unique_ptr<Problem<float>> problem;
        std::unique_ptr<UpdateRule<float>> rule;
        Vec<float> theta, grad;
        double limit = 0;
    };
    const int laneCount = int(rules.size()) * runs;
    std::vector<Lane> lanes(static_cast<size_t>(laneCount));
    std::vector<Curves> curves(rules.size());
    for (auto& c : curves) {
        c.loss.assign(size_t(runs), std::vector<double>(size_t(steps) + 1, kNaN));
        c.divergedAt.assign(size_t(runs), -1);
        c.test.assign(size_t(runs), std::nullopt);
    }
    const std::vector<int> testAt = cls.hasTestSplit() ? testCurveSteps(steps, testEvery) : std::vector<int>{};
    // Index into testAt of a step, or -1 when no test curve point is taken there.
    auto testIndex = [&](int step) {
        if (testAt.empty()) return -1;
        if (step == steps) return int(testAt.size()) - 1;
        return step % testEvery == 0 ? step / testEvery : -1;
    };
    if (!testAt.empty())
        for (auto& c : curves) c.testCurve.assign(size_t(runs), std::vector<TestMetrics>(testAt.size(), TestMetrics{kNaN, kNaN}));
    int done = -1;
    // Stop takes effect inside a step: lanes not yet run skip it, and the whole step is then discarded
    // (the result ends at the last complete step), so a stopped run never mixes two steps.
    std::atomic<bool> skipped{false};
    runLockstep(
        laneCount, steps, threads,
        [&](int index, int step) {
            if (step > 0 && cancel && cancel->load(std::memory_order_relaxed)) {
                skipped.store(true);
                return;
            }
            Lane& lane = lanes[size_t(index)];
            Curves& c = curves[size_t(index / runs)];
            const int run = index % runs;
            if (step == 0) { // set-up happens on the lane's own thread, in parallel
                lane.problem = cls.sample(deriveSeed(seed, std::uint64_t(run), domain));
                lane.rule = rules[size_t(index / runs)]();
                lane.theta = lane.problem->initialTheta();
                lane.grad.resize(lane.theta.size());
                lane.rule->setParamBlocks(lane.problem->paramBlocks());
                lane.rule->reset(lane.theta.size());
            }
            if (c.divergedAt[size_t(run)] >= 0) return;
            const double f = lane.problem->valueAndGradient(lane.theta, lane.grad, step);
            if (step == 0) lane.limit = kDivergenceFactor * std::max(std::isfinite(f) ? f : 1.0, 1.0);
            if (!std::isfinite(f) || f > lane.limit || !lane.grad.allFinite()) {
                c.divergedAt[size_t(run)] = step;
                return;
            }
            c.loss[size_t(run)][size_t(step)] = f;
            if (const int k = testIndex(step); k >= 0)
                if (const auto m = lane.problem->testMetrics(lane.theta); m && std::isfinite(m->loss))
                    c.testCurve[size_t(run)][size_t(k)] = *m;
            if (step < steps) lane.rule->step(lane.theta, lane.grad);
        },
        [&](int step) {
            if (skipped.load()) { // step incomplete: forget what the lanes that ran wrote for it
                for (auto& c : curves)
                    for (size_t run = 0; run < c.loss.size(); ++run) {
                        c.loss[run][size_t(step)] = kNaN;
                        if (c.divergedAt[run] == step) c.divergedAt[run] = -1;
                        if (const int k = testIndex(step); k >= 0) c.testCurve[run][size_t(k)] = TestMetrics{kNaN, kNaN};
                    }
                return false;
            }
            done = step;
            if (afterStep) afterStep(step, curves);
            return !(cancel && cancel->load());
        });
    if (completed) *completed = std::max(done, 0);
    if (testMetrics && cls.hasTestSplit() && done == steps) {
        parallelFor(laneCount, threads, [&](int index) {
            Curves& c = curves[size_t(index / runs)];
            const int run = index % runs;
            if (c.divergedAt[size_t(run)] >= 0) return;
            if (!c.testCurve.empty()) { // already measured at theta_steps as the curve's last point
                if (std::isfinite(c.testCurve[size_t(run)].back().loss)) c.test[size_t(run)] = c.testCurve[size_t(run)].back();
            } else
                c.test[size_t(run)] = lanes[size_t(index)].problem->testMetrics(lanes[size_t(index)].theta);
        });
    }
    return curves;
}

const OptimizerResult* bestByFinalMean(const EvalResult& r)
{
    const OptimizerResult* best = nullptr;
    for (const auto& o : r.optimizers)
        if (std::isfinite(o.finalMean) && (!best || o.finalMean < best->finalMean)) best = &o;
    return best;
}

std::vector<double> finalLosses(const EvalResult& r, const OptimizerResult& o)
{
    std::vector<double> v;
    for (const auto& run : o.curves.loss) v.push_back(run[size_t(r.completedSteps)]);
    return v;
}

void EvalConfig::validate() const
{
    if (runs < 1 || runs > 10000) throw Error("runs must be in [1, 10000], got " + std::to_string(runs));
    if (steps < 1 || steps > 100000) throw Error("steps must be in [1, 100000], got " + std::to_string(steps));
    if (testEvery < 0 || testEvery > 100000)
        throw Error("test-every must be in [0, 100000] (0 = the test split only at the end), got " + std::to_string(testEvery));
    if (threads < 0 || threads > 256) throw Error("threads must be in [0, 256] (0 = all cores), got " + std::to_string(threads));
    if (optimizers.empty()) throw Error("optimizers: give at least one (valid: " + joinNames(updateRuleNames()) + ")");
    tune.validate();
}

namespace {

// Statistics of `curves` up to step `completed` into r (the curves themselves are not copied).
void summarize(OptimizerResult& r, const Curves& curves, int completed, const std::vector<int>& testSteps)
{
    // Test curves: the same population as the loss curves (anyRunSurvived).
    const bool anySurvivor = anyRunSurvived(curves);
    r.testLossCurve.assign(testSteps.size(), kNaN);
    r.testAccuracyCurve.assign(testSteps.size(), kNaN);
    for (size_t k = 0; k < testSteps.size() && !curves.testCurve.empty(); ++k) {
        if (testSteps[k] > completed) break;
        double loss = 0, acc = 0;
        int n = 0;
        for (size_t run = 0; run < curves.testCurve.size(); ++run) {
            const TestMetrics& m = curves.testCurve[run][k];
            if ((anySurvivor && curves.divergedAt[run] >= 0) || !std::isfinite(m.loss)) continue;
            loss += m.loss;
            acc += m.accuracy;
            ++n;
        }
        if (n > 0) {
            r.testLossCurve[k] = loss / n;
            r.testAccuracyCurve[k] = acc / n;
        }
    }
    r.stats = stepStats(curves, completed);
    std::vector<double> finals;
    double testLoss = 0, testAcc = 0;
    int tested = 0;
    r.divergedRuns = 0;
    for (size_t run = 0; run < curves.loss.size(); ++run) {
        if (curves.divergedAt[run] >= 0) ++r.divergedRuns;
        const double f = curves.loss[run][size_t(completed)];
        if (std::isfinite(f)) finals.push_back(f);
        if (curves.test[run]) {
            testLoss += curves.test[run]->loss;
            testAcc += curves.test[run]->accuracy;
            ++tested;
        }
    }
    r.finalMean = r.stats.mean[size_t(completed)];
    r.finalStd = r.stats.std[size_t(completed)];
    r.finalMedian = medianOf(finals);
    if (tested > 0) {
        r.testLossMean = testLoss / tested;
        r.testAccuracyMean = testAcc / tested;
    }
}

std::string formatRate(double lr)
{
    std::ostringstream out;
    out << lr;
    return out.str();
}

} // namespace

TuneResult resolveTunedRate(const ProblemClass<float>& cls, const std::string& canonicalProblem, UpdateRuleConfig& rule,
                            int steps, const TuneConfig& tune, int threads, TuningCache* cache,
                            const std::function<void(const std::string&)>& log, const std::atomic<bool>* cancel)
{
    const std::string key = TuningCache::key(canonicalProblem, rule, steps, tune);
    TuneResult tuned;
    if (cache && cache->lookup(key, tuned)) {
        log("tuning " + rule.name + ": cached rate " + formatRate(tuned.bestRate));
    } else {
        log("tuning " + rule.name + ": " + std::to_string(tune.grid().size()) + " rates x " + std::to_string(tune.runs) +
            " runs x " + std::to_string(steps) + " steps");
        tuned = tuneRate(cls, rule, steps, tune, threads, cancel);
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
    rule.lr = tuned.bestRate;
    return tuned;
}

EvalResult evaluate(const EvalConfig& config, const EvalCallbacks& callbacks, const std::atomic<bool>* cancel)
{
    config.validate();
    auto log = [&](const std::string& line) {
        if (callbacks.log) callbacks.log(line);
    };
    auto cls = makeProblemClass<float>(config.problem);
    EvalResult result;
    result.config = config;
    result.canonicalProblem = cls->canonicalSpec();
    result.hasTestSplit = cls->hasTestSplit();
    if (result.hasTestSplit && config.testMetrics) result.testSteps = testCurveSteps(config.steps, config.testEvery);
    std::vector<UpdateRuleConfig> rules;
    for (const auto& text : config.optimizers) rules.push_back(UpdateRuleConfig::parse(text));

    TuningCache cache(config.cachePath.empty() ? defaultCachePath() : config.cachePath);
    if (!cache.warning().empty()) log("warning: " + cache.warning());
    for (auto& rule : rules) {
        OptimizerResult r;
        if (rule.learned()) {
            if (rule.path.empty()) rule.path = bundledOptimizerPath(config.problem);
            const Provenance p = loadOptimizer(rule.path).provenance;
            r.provenance = p.known ? "trained on " + p.training.problem + " for " + std::to_string(p.epochsDone) + " epochs"
                                   : "no provenance in the file";
        }
        if (rule.tuned()) {
            const TuneResult tuned = resolveTunedRate(*cls, result.canonicalProblem, rule, config.steps, config.tune,
                                                      config.threads, config.useCache ? &cache : nullptr, log, cancel);
            if (cancel && cancel->load()) {
                result.cancelled = true;
                return result;
            }
            r.tunedRate = true;
            r.tuneRates = tuned.rates;
            r.tuneFinalMeans = tuned.finalMeans;
        }
        r.config = rule;
        result.optimizers.push_back(std::move(r));
    }

    log("evaluating " + std::to_string(rules.size()) + " optimizers x " + std::to_string(config.runs) + " runs x " +
        std::to_string(config.steps) + " steps");
    int completed = 0;
    auto lastCall = std::chrono::steady_clock::now();
    bool called = false;
    auto afterStep = [&](int step, const std::vector<Curves>& curves) {
        if (!callbacks.onStep) return;
        const auto now = std::chrono::steady_clock::now();
        const bool stopping = cancel && cancel->load();
        if (called && step < config.steps && !stopping &&
            std::chrono::duration<double>(now - lastCall).count() < callbacks.minStepInterval)
            return;
        lastCall = now;
        called = true;
        for (size_t i = 0; i < curves.size(); ++i) summarize(result.optimizers[i], curves[i], step, result.testSteps);
        result.completedSteps = step;
        callbacks.onStep(result, step);
    };
    std::vector<RuleFactory> factories;
    for (const auto& rule : rules) factories.push_back(makeRuleFactory(rule, config.problem));
    auto curves = runLanes(*cls, factories, config.runs, config.steps, config.seed, kEvalDomain, config.threads,
                           config.testMetrics, config.testMetrics ? config.testEvery : 0, cancel, afterStep, &completed);
    result.completedSteps = completed;
    result.cancelled = completed < config.steps;
    for (size_t i = 0; i < curves.size(); ++i) {
        summarize(result.optimizers[i], curves[i], completed, result.testSteps);
        result.optimizers[i].curves = std::move(curves[i]);
    }
    return result;
}

} // namespace l2l
