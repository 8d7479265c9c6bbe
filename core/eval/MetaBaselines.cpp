#include "eval/MetaBaselines.h"

#include "base/Rng.h"
#include "base/SeedStreams.h"
#include "eval/Tuning.h"
#include "problems/Problem.h"

#include <cmath>
#include <limits>

namespace l2l {

std::vector<BaselineLevel> validationBaselines(const MetaTrainConfig& config,
                                               const std::vector<std::string>& optimizers,
                                               const std::atomic<bool>* cancel)
{
    config.validate();
    const auto cls = makeProblemClass<float>(config.problem);
    const auto stages = config.curriculumHorizons();
    const int horizon = stages.empty() ? config.horizon : stages.back();
    std::vector<BaselineLevel> out;
    for (const std::string& text : optimizers) {
        UpdateRuleConfig rule = UpdateRuleConfig::parse(text);
        if (rule.learned()) throw Error("baseline '" + text + "' is the learned optimizer; give a hand-designed one");
        BaselineLevel b;
        b.optimizer = text;
        if (rule.tuned()) {
            rule.lr = tuneRate(*cls, rule, horizon, TuneConfig{}, 1, cancel).bestRate;
            b.tuned = true;
        }
        b.rate = rule.lr;
        double total = 0;
        for (int run = 0; run < config.validationRuns; ++run) {
            if (cancel && cancel->load()) return out;
            auto problem = cls->sample(deriveSeed(config.seed, std::uint64_t(run), kValidInstances));
            auto step = makeUpdateRule<float>(rule);
            Vec<float> theta = problem->initialTheta(), grad(theta.size());
            step->reset(theta.size());
            double loss = double(problem->valueAndGradient(theta, grad, 0)), sum = 0;
            for (int t = 1; t <= horizon; ++t) {
                step->step(theta, grad);
                loss = double(problem->valueAndGradient(theta, grad, t));
                sum += loss;
            }
            const double value = config.validateOnFinalLoss ? loss : sum / horizon;
            total += std::isfinite(value) ? value : std::numeric_limits<double>::infinity();
        }
        b.level = total / config.validationRuns;
        out.push_back(b);
    }
    return out;
}

} // namespace l2l
