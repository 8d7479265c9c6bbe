#include "eval/MetaBaselines.h"

#include "base/Rng.h"
#include "base/SeedStreams.h"
#include "eval/Tuning.h"
#include "problems/Problem.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace l2l {

std::vector<BaselineLevel> validationBaselines(const MetaTrainConfig& config,
                                               const std::vector<std::string>& optimizers,
                                               const std::atomic<bool>* cancel)
{
    config.validate();
    const auto cls = makeProblemClass<float>(config.problem);
    const std::vector<int> horizons = config.validationHorizons();
    const int horizon = *std::max_element(horizons.begin(), horizons.end()); // the last stage's
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
        std::vector<double> totals(horizons.size(), 0.0);
        std::vector<double> losses(size_t(horizon) + 1), sums(size_t(horizon) + 1); // by step; sums of 1..t
        for (int run = 0; run < config.validationRuns; ++run) {
            if (cancel && cancel->load()) return out;
            auto problem = cls->sample(deriveSeed(config.seed, std::uint64_t(run), kValidInstances));
            auto step = makeUpdateRule<float>(rule);
            Vec<float> theta = problem->initialTheta(), grad(theta.size());
            step->reset(theta.size());
            losses[0] = double(problem->valueAndGradient(theta, grad, 0));
            sums[0] = 0;
            for (int t = 1; t <= horizon; ++t) {
                step->step(theta, grad);
                losses[size_t(t)] = double(problem->valueAndGradient(theta, grad, t));
                sums[size_t(t)] = sums[size_t(t) - 1] + losses[size_t(t)];
            }
            // The loss at step h does not depend on the steps after it (a problem's minibatch is drawn from its
            // step), so one run to the longest horizon gives every stage's measure.
            for (size_t s = 0; s < horizons.size(); ++s) {
                const auto h = size_t(horizons[s]);
                const double value = config.validateOnFinalLoss ? losses[h] : sums[h] / double(h);
                totals[s] += std::isfinite(value) ? value : std::numeric_limits<double>::infinity();
            }
        }
        for (double t : totals) b.stageLevels.push_back(t / config.validationRuns);
        b.level = b.stageLevels.back();
        out.push_back(b);
    }
    return out;
}

} // namespace l2l
