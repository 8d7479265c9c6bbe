// evaluate(): resolve -> run -> summarise (see Evaluation.h).
#include "eval/Evaluation.h"

#include "base/Memory.h"
#include "optimizers/LstmNet.h"

#include <chrono>

namespace l2l {

namespace {
// A stand-in rule that only reports its state size: the memory budget is checked before tuning (which can take
// minutes) with the default LSTM's size for learned optimizers; runLanes checks again with the real rules.
struct SizeOnlyRule : UpdateRule<float> {
    std::uint64_t bytes;
    explicit SizeOnlyRule(std::uint64_t b) : bytes(b) {}
    void reset(Index) override {}
    void step(VecRef<float>, const CVecRef<float>&) override {}
    std::uint64_t bytesPerCoordinate() const override { return bytes; }
};

LaneConfig evaluationLanes(const EvalConfig& config)
{
    LaneConfig lanes =
        LaneConfig::of(config.runs, config.steps, config.seed, kEvalInstances, config.threads, config.memoryLimitMiB);
    lanes.testMetrics = config.testMetrics;
    lanes.testEvery = config.testMetrics ? config.testEvery : 0;
    lanes.waveBytes = config.waveBytes;
    return lanes;
}

void checkBudgetBeforeTuning(const EvalConfig& config, const ProblemClass<float>& cls)
{
    std::vector<RuleFactory> stand;
    const LstmArch arch;
    for (const std::string& spec : config.optimizers) {
        const std::uint64_t bytes =
            UpdateRuleConfig::parse(spec).learned() ? arch.stateBytesPerCoordinate(sizeof(float)) : 2 * sizeof(float);
        stand.push_back([bytes] { return std::make_unique<SizeOnlyRule>(bytes); });
    }
    checkLaneMemory(cls, stand, evaluationLanes(config));
}
} // namespace

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

    checkBudgetBeforeTuning(config, *cls);
    ResolvedOptimizers resolved = resolveOptimizers(config, *cls, log, cancel, callbacks.onTune);
    result.optimizers = std::move(resolved.optimizers);
    if (resolved.cancelled) {
        result.cancelled = true;
        return result;
    }

    log("evaluating " + countOf(long(result.optimizers.size()), "optimizer") + " x " + countOf(config.runs, "run") +
        " x " + countOf(config.steps, "step"));
    auto lastCall = std::chrono::steady_clock::now();
    bool called = false;
    auto afterStep = [&](const LaneStep& at, const std::vector<Curves>& curves) {
        if (!callbacks.onStep) return;
        const int step = at.step;
        const auto now = std::chrono::steady_clock::now();
        const bool stopping = cancel && cancel->load();
        if (called && step < config.steps && !stopping &&
            std::chrono::duration<double>(now - lastCall).count() < callbacks.minStepInterval)
            return;
        lastCall = now;
        called = true;
        for (size_t i = 0; i < curves.size(); ++i)
            summarizeOptimizer(result.optimizers[i], curves[i], step, result.testSteps);
        result.completedSteps = step;
        result.wave = at.wave;
        result.waves = at.waves;
        pairWithBest(result, curves);
        callbacks.onStep(result, step);
    };
    const LaneConfig lanes = evaluationLanes(config);
    const int waveRuns = laneWaveRuns(*cls, resolved.factories, lanes);
    result.waves = (config.runs + waveRuns - 1) / waveRuns;
    if (result.waves > 1)
        log("the runs' optimizer states would need more than " +
            formatBytes(lanes.waveBytes > 0 ? lanes.waveBytes : kLaneWaveBytes) + " at once: runs go " +
            std::to_string(waveRuns) + " at a time (" + std::to_string(result.waves) +
            " waves; the curves start again at step 0 with each wave)");
    LaneRun run = runLanes(*cls, resolved.factories, lanes, cancel, afterStep);
    result.completedSteps = run.completed;
    result.cancelled = run.completed < config.steps || run.runsCompleted < config.runs;
    result.wave = run.wave;
    for (size_t i = 0; i < run.curves.size(); ++i)
        summarizeOptimizer(result.optimizers[i], run.curves[i], run.completed, result.testSteps);
    pairWithBest(result, run.curves);
    for (size_t i = 0; i < run.curves.size(); ++i) result.optimizers[i].curves = std::move(run.curves[i]);
    return result;
}

} // namespace l2l
