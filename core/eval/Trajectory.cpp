#include "eval/Trajectory.h"

#include "base/Rng.h"
#include "eval/Lanes.h"
#include "eval/Tuning.h"
#include "optimizers/LstmOptimizer.h"
#include "optimizers/OptimizerFile.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace l2l {

namespace {

std::vector<std::string> functionNames()
{
    std::vector<std::string> names;
    for (const auto& info : problemCatalog())
        if (function2dKind(info.name)) names.push_back(info.name);
    return names;
}

// The spec the paths run on: `problem` with x0, y0 replaced by the start and no start noise.
Spec startSpec(const TrajectoryConfig& config)
{
    Spec spec = Spec::parse(config.problem);
    if (!function2dKind(spec.name))
        throw Error("problem '" + spec.name + "' is not a 2-d function; trajectories are drawn on " +
                    joinNames(functionNames()));
    for (const char* key : {"fscale", "xscale"})
        if (spec.has(key))
            throw Error(std::string("trajectories draw the function itself: the option ") + key + " of '" +
                        config.problem + "' is for eval and train");
    if (!config.start) return spec;
    std::erase_if(spec.options,
                  [](const auto& kv) { return kv.first == "x0" || kv.first == "y0" || kv.first == "start_noise"; });
    spec.options.push_back({"x0", exactNumber((*config.start)[0])});
    spec.options.push_back({"y0", exactNumber((*config.start)[1])});
    spec.options.push_back({"start_noise", "0"});
    return spec;
}

std::unique_ptr<UpdateRule<double>> makeRule(UpdateRuleConfig& rule, const std::string& problemSpec)
{
    if (!rule.learned()) return makeUpdateRule<double>(rule);
    // "lstm" on a 2-d function resolves to the optimizer trained on 2-d problems (optimizers/2d.json).
    if (rule.path.empty()) rule.path = bundledOptimizerPath(problemSpec);
    return std::make_unique<LstmRule<double>>(loadOptimizer(rule.path).net.cast<double>(), 1);
}

// The rate search of the evaluation, without its cache. A deterministic function (no start noise, not
// a random family) has identical tuning instances, so one run per rate gives the same answer as five.
double tuneOnClass(const Spec& spec, const UpdateRuleConfig& rule, int steps, const std::atomic<bool>* cancel)
{
    const auto cls = makeProblemClass<float>(spec.str());
    const Function2dKind kind = *function2dKind(spec.name);
    const double noise =
        parseDouble(spec.get("start_noise", kind == Function2dKind::Quadratic ? "0.01" : "0"), "start_noise");
    TuneConfig tune;
    if (kind != Function2dKind::Quadratic && noise == 0) tune.runs = 1;
    return tuneRate(*cls, rule, steps, tune, 1, cancel).bestRate;
}

// Runs one optimizer from the function's start. Returns false if cancelled.
bool runPath(Function2d<double>& fn, UpdateRule<double>& rule, int steps, TrajectoryPath& path,
             const std::atomic<bool>* cancel)
{
    Vec<double> theta = fn.initialTheta();
    Vec<double> grad(2);
    rule.reset(2);
    double limit = 0;
    for (int t = 0; t <= steps; ++t) {
        if (cancel && cancel->load()) return false;
        const double loss = fn.valueAndGradient(theta, grad, t);
        if (t == 0) limit = kDivergenceFactor * std::max(loss, 1.0); // as in the evaluation
        const bool finite = std::isfinite(loss) && theta.allFinite() && grad.allFinite();
        if (finite) { // a huge but finite point is kept: the path is drawn heading off
            path.points.push_back({theta(0), theta(1)});
            path.loss.push_back(loss);
            path.grad.push_back({grad(0), grad(1)});
        }
        if (!finite || loss > limit) {
            path.divergedAt = t;
            return true;
        }
        if (t < steps) rule.step(theta, grad);
    }
    return true;
}

} // namespace

void TrajectoryConfig::validate() const
{
    if (problem.empty()) throw Error("trajectory problem must name a 2-d function, got an empty spec");
    if (optimizers.empty()) throw Error("trajectory optimizers must name at least one optimizer");
    if (steps < 1 || steps > 10000) throw Error("trajectory steps must be in [1, 10000], got " + std::to_string(steps));
    if (start)
        for (double v : *start)
            if (!std::isfinite(v) || std::abs(v) > 1e3)
                throw Error("trajectory start must have coordinates in [-1000, 1000], got " + exactNumber(v));
}

template <typename T>
std::unique_ptr<Function2d<T>> trajectoryFunctionT(const TrajectoryConfig& config)
{
    config.validate();
    const auto cls = makeProblemClass<T>(startSpec(config).str());
    const auto* fnClass = dynamic_cast<const Function2dClass<T>*>(cls.get());
    if (!fnClass) throw Error("internal: '" + config.problem + "' did not build a 2-d function class");
    return fnClass->sample2d(deriveSeed(config.seed, 0, kEvalInstances));
}

std::string trajectoryCanonicalProblem(const TrajectoryConfig& config)
{
    return makeProblemClass<float>(startSpec(config).str())->canonicalSpec();
}

std::unique_ptr<Function2d<double>> trajectoryFunction(const TrajectoryConfig& config)
{
    return trajectoryFunctionT<double>(config);
}

std::unique_ptr<Function2d<float>> trajectoryFunctionFloat(const TrajectoryConfig& config)
{
    return trajectoryFunctionT<float>(config);
}

TrajectoryPath learnedPath(const TrajectoryConfig& config, const LstmNet<float>& net, const std::string& label,
                           const std::atomic<bool>* cancel)
{
    auto fn = trajectoryFunction(config);
    TrajectoryPath path;
    path.optimizer = label;
    path.rule = UpdateRuleConfig::parse("lstm");
    LstmRule<double> rule(net.cast<double>(), 1);
    runPath(*fn, rule, config.steps, path, cancel);
    return path;
}

TrajectoryResult computeTrajectories(const TrajectoryConfig& config, const std::atomic<bool>* cancel)
{
    auto fn = trajectoryFunction(config);
    TrajectoryResult result;
    result.config = config;
    result.canonicalProblem = trajectoryCanonicalProblem(config);
    result.bounds = fn->bounds();
    result.kind = fn->kind();
    result.quad = fn->quad();
    result.kappa = fn->kappa();
    result.start = {fn->initialTheta()(0), fn->initialTheta()(1)};

    // Parse and load everything first, so that a bad optimizer fails before any tuning.
    std::vector<std::unique_ptr<UpdateRule<double>>> rules;
    for (const auto& text : config.optimizers) {
        TrajectoryPath path;
        path.rule = UpdateRuleConfig::parse(text);
        path.optimizer = path.rule.tuned() ? path.rule.name : path.rule.label(); // before lstm is resolved
        if (path.rule.learned())
            rules.push_back(makeRule(path.rule, config.problem));
        else
            rules.push_back(nullptr); // built once its rate is known
        result.paths.push_back(std::move(path));
    }
    for (size_t i = 0; i < result.paths.size(); ++i) {
        TrajectoryPath& path = result.paths[i];
        if (path.rule.tuned()) {
            // The function's own start unless asked otherwise: a moved start keeps the rates (the studio's drag).
            TrajectoryConfig own = config;
            if (!config.tuneAtStart) own.start.reset();
            path.rule.lr = tuneOnClass(startSpec(own), path.rule, config.steps, cancel);
            path.tunedRate = true;
            path.tunedHere = config.tuneAtStart || !config.start;
        }
        if (!rules[i]) rules[i] = makeRule(path.rule, config.problem);
        if (cancel && cancel->load()) break;
        if (!runPath(*fn, *rules[i], config.steps, path, cancel)) break;
    }
    result.cancelled = cancel && cancel->load();
    return result;
}

} // namespace l2l
