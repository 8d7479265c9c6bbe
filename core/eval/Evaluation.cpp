// evaluate(): resolve -> run -> summarise (see Evaluation.h).
#include "eval/Evaluation.h"

#include <chrono>

namespace l2l {

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

    ResolvedOptimizers resolved = resolveOptimizers(config, *cls, log, cancel);
    result.optimizers = std::move(resolved.optimizers);
    if (resolved.cancelled) {
        result.cancelled = true;
        return result;
    }

    log("evaluating " + std::to_string(result.optimizers.size()) + " optimizers x " + std::to_string(config.runs) +
        " runs x " + std::to_string(config.steps) + " steps");
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
        for (size_t i = 0; i < curves.size(); ++i)
            summarizeOptimizer(result.optimizers[i], curves[i], step, result.testSteps);
        result.completedSteps = step;
        callbacks.onStep(result, step);
    };
    LaneConfig lanes;
    lanes.runs = config.runs;
    lanes.steps = config.steps;
    lanes.seed = config.seed;
    lanes.stream = kEvalInstances;
    lanes.threads = config.threads;
    lanes.testMetrics = config.testMetrics;
    lanes.testEvery = config.testMetrics ? config.testEvery : 0;
    LaneRun run = runLanes(*cls, resolved.factories, lanes, cancel, afterStep);
    result.completedSteps = run.completed;
    result.cancelled = run.completed < config.steps;
    for (size_t i = 0; i < run.curves.size(); ++i) {
        summarizeOptimizer(result.optimizers[i], run.curves[i], run.completed, result.testSteps);
        result.optimizers[i].curves = std::move(run.curves[i]);
    }
    return result;
}

} // namespace l2l
