// The "run" stage of an evaluation: lanes (rule x run) in lock-step, see Lanes.h.
#include "eval/Lanes.h"

#include "base/Memory.h"
#include "base/Parallel.h"
#include "base/Rng.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace l2l {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
} // namespace

std::vector<int> testCurveSteps(int steps, int every)
{
    std::vector<int> at;
    if (every <= 0) return at;
    for (int t = 0; t < steps; t += every) at.push_back(t);
    at.push_back(steps);
    return at;
}

namespace {
// Bytes of the curves of every run (kept to the end, twice: the result and the watchers' copy), of one run's
// lanes (one per rule: instance, parameters, gradient and rule state) and of the threads' own workspace (a
// network's feature maps, held once per thread whatever the number of lanes).
struct LaneBytes {
    std::uint64_t curves = 0, perRun = 0, threads = 0;
};
LaneBytes laneBytes(const ProblemClass<float>& cls, const std::vector<RuleFactory>& rules, const LaneConfig& config)
{
    const std::uint64_t runs = std::uint64_t(std::max(config.runs, 0));
    const std::uint64_t points = std::uint64_t(std::max(config.steps, 0)) + 1;
    const std::uint64_t testPoints = cls.hasTestSplit() ? testCurveSteps(config.steps, config.testEvery).size() + 1 : 0;
    const std::uint64_t perRunCurves = 2 * (points * sizeof(double) + testPoints * sizeof(TestMetrics) + 64);
    LaneBytes b;
    for (const auto& factory : rules) {
        b.perRun =
            addBytes(b.perRun,
                     addBytes(cls.instanceBytes(),
                              mulBytes(std::uint64_t(cls.dim()), 2 * sizeof(float) + factory()->bytesPerCoordinate())));
        b.curves = addBytes(b.curves, mulBytes(runs, perRunCurves));
    }
    const int lanes = int(std::min<std::uint64_t>(mulBytes(runs, rules.size()), 1u << 30));
    b.threads = mulBytes(std::uint64_t(effectiveThreads(config.threads, lanes)), cls.threadBytes()); // at least 1
    return b;
}

int waveRunsOf(const LaneBytes& b, const LaneConfig& config)
{
    const int runs = std::max(config.runs, 1);
    const std::uint64_t cap = config.waveBytes > 0 ? config.waveBytes : kLaneWaveBytes;
    if (b.perRun == 0) return runs;
    // The lanes share the cap with the threads' workspace, which every wave needs the same.
    const std::uint64_t forLanes = cap > b.threads ? cap - b.threads : 0;
    return int(std::clamp<std::uint64_t>(forLanes / b.perRun, 1, std::uint64_t(runs)));
}
} // namespace

int laneWaveRuns(const ProblemClass<float>& cls, const std::vector<RuleFactory>& rules, const LaneConfig& config)
{
    return waveRunsOf(laneBytes(cls, rules, config), config);
}

std::uint64_t estimateLaneBytes(const ProblemClass<float>& cls, const std::vector<RuleFactory>& rules,
                                const LaneConfig& config)
{
    const LaneBytes b = laneBytes(cls, rules, config);
    return addBytes(addBytes(b.curves, b.threads), mulBytes(std::uint64_t(waveRunsOf(b, config)), b.perRun));
}

void checkLaneMemory(const ProblemClass<float>& cls, const std::vector<RuleFactory>& rules, const LaneConfig& config)
{
    checkMemoryBudget(estimateLaneBytes(cls, rules, config), config.memoryLimitMiB, "this run",
                      std::to_string(rules.size()) + " optimizer(s) x " + std::to_string(config.runs) + " runs x " +
                          std::to_string(config.steps) + " steps on " + cls.canonicalSpec(),
                      "use fewer runs, steps or optimizers");
}

LaneRun runLanes(const ProblemClass<float>& cls, const std::vector<RuleFactory>& rules, const LaneConfig& config,
                 const std::atomic<bool>* cancel, const AfterStep& afterStep, const std::vector<char>* retired)
{
    if (retired && retired->size() != rules.size()) throw Error("runLanes: one retired flag per rule expected");
    checkLaneMemory(cls, rules, config);
    const int runs = config.runs, steps = config.steps, threads = config.threads, testEvery = config.testEvery;
    const std::uint64_t seed = config.seed, domain = config.stream;
    const int waveRuns = laneWaveRuns(cls, rules, config);
    const int waves = (runs + waveRuns - 1) / waveRuns;
    struct Lane {
        std::unique_ptr<Problem<float>> problem;
        std::unique_ptr<UpdateRule<float>> rule;
        Vec<float> theta, grad;
        double limit = 0;
    };
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
        for (auto& c : curves)
            c.testCurve.assign(size_t(runs), std::vector<TestMetrics>(testAt.size(), TestMetrics{kNaN, kNaN}));
    LaneRun result;
    // Runs [first, first + waveRuns) of every rule at a time, in lock-step; a wave's lanes are freed before the
    // next wave starts.
    for (int first = 0; first < runs; first += waveRuns) {
        if (first > 0 && cancel && cancel->load()) break;
        const int count = std::min(waveRuns, runs - first);
        const int laneCount = int(rules.size()) * count;
        std::vector<Lane> lanes(static_cast<size_t>(laneCount));
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
                Curves& c = curves[size_t(index / count)];
                const int run = first + index % count;
                if (step == 0) { // set-up happens on the lane's own thread, in parallel
                    lane.problem = cls.sample(deriveSeed(seed, std::uint64_t(run), domain));
                    lane.rule = rules[size_t(index / count)]();
                    lane.theta = lane.problem->initialTheta();
                    lane.grad.resize(lane.theta.size());
                    lane.rule->setParamBlocks(lane.problem->paramBlocks());
                    lane.rule->reset(lane.theta.size());
                }
                if (c.divergedAt[size_t(run)] >= 0) return;
                if (retired && (*retired)[size_t(index / count)]) return; // set between steps, read-only here
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
                if (skipped.load()) { // step incomplete: forget what this wave's lanes wrote for it
                    for (auto& c : curves)
                        for (size_t run = size_t(first); run < size_t(first + count); ++run) {
                            c.loss[run][size_t(step)] = kNaN;
                            if (c.divergedAt[run] == step) c.divergedAt[run] = -1;
                            if (const int k = testIndex(step); k >= 0)
                                c.testCurve[run][size_t(k)] = TestMetrics{kNaN, kNaN};
                        }
                    return false;
                }
                done = step;
                if (afterStep) afterStep(LaneStep{step, first / waveRuns, waves, steps}, curves);
                return !(cancel && cancel->load());
            });
        result.completed = std::max(done, 0);
        result.wave = first / waveRuns;
        result.waves = waves;
        if (config.testMetrics && cls.hasTestSplit() && done == steps) {
            parallelFor(laneCount, threads, [&](int index) {
                Curves& c = curves[size_t(index / count)];
                const int run = first + index % count;
                if (c.divergedAt[size_t(run)] >= 0 || (retired && (*retired)[size_t(index / count)])) return;
                if (!c.testCurve.empty()) { // already measured at theta_steps as the curve's last point
                    if (std::isfinite(c.testCurve[size_t(run)].back().loss))
                        c.test[size_t(run)] = c.testCurve[size_t(run)].back();
                } else
                    c.test[size_t(run)] = lanes[size_t(index)].problem->testMetrics(lanes[size_t(index)].theta);
            });
        }
        if (done < steps) break;
        result.runsCompleted = first + count;
    }
    result.curves = std::move(curves);
    return result;
}

} // namespace l2l
