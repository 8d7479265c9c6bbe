// Honest selection: see Selection.h.
#include "eval/Selection.h"

#include "eval/Resolve.h"
#include "optimizers/UpdateRule.h"

#include <cmath>
#include <filesystem>
#include <limits>

namespace l2l {

void SelectConfig::validate() const
{
    if (candidates.empty()) throw Error("select: no candidate optimizer files given");
    if (runs < 1 || runs > 100000) throw Error("select: runs must be in [1, 100000], got " + std::to_string(runs));
    if (steps < 1 || steps > 10000000)
        throw Error("select: steps must be in [1, 10000000], got " + std::to_string(steps));
    if (criterion != "final" && criterion != "mean")
        throw Error("select: criterion must be \"final\" or \"mean\", got \"" + criterion + "\"");
}

SelectResult selectOptimizer(const SelectConfig& config, const std::atomic<bool>* cancel,
                             const std::function<void(int, int)>& onStep)
{
    config.validate();
    auto cls = makeProblemClass<float>(config.problem);
    SelectResult result;
    result.canonicalProblem = cls->canonicalSpec();
    std::vector<RuleFactory> rules;
    std::vector<OptimizerFile> files;
    for (const std::string& path : config.candidates) {
        files.push_back(loadOptimizer(path)); // a bad file is refused here
        rules.push_back(makeLearnedRuleFactory(files.back().net, path, config.problem));
    }
    const LaneConfig lanes =
        LaneConfig::of(config.runs, config.steps, config.seed, kSelectInstances, config.threads, config.memoryLimitMiB);
    AfterStep after;
    if (onStep)
        after = [&](const LaneStep& at, const std::vector<Curves>&) { onStep(int(at.done()), int(at.total())); };
    LaneRun run = runLanes(*cls, rules, lanes, cancel, after);
    if (run.completed < config.steps || run.runsCompleted < config.runs) {
        result.cancelled = true;
        return result;
    }
    const double nan = std::numeric_limits<double>::quiet_NaN();
    double bestScore = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < run.curves.size(); ++i) {
        const Curves& c = run.curves[i];
        int diverged = 0;
        double finalSum = 0, meanSum = 0;
        for (size_t r = 0; r < c.loss.size(); ++r) {
            if (c.divergedAt[r] >= 0) {
                ++diverged;
                continue;
            }
            finalSum += c.loss[r][size_t(config.steps)];
            double s = 0;
            for (int t = 1; t <= config.steps; ++t) s += c.loss[r][size_t(t)];
            meanSum += s / config.steps;
        }
        const double runs = double(c.loss.size());
        result.divergedRuns.push_back(diverged);
        result.finalMeans.push_back(diverged ? nan : finalSum / runs);
        const double score = diverged ? nan : (config.criterion == "final" ? finalSum : meanSum) / runs;
        result.scores.push_back(score);
        if (std::isfinite(score) && score < bestScore) {
            bestScore = score;
            result.best = int(i);
        }
    }
    if (result.best < 0)
        throw Error("select: every candidate diverged on at least one of the " + std::to_string(config.runs) +
                    " selection runs of " + result.canonicalProblem);
    result.chosen = std::move(files[size_t(result.best)]);
    return result;
}

OptimizerFile selectedFile(const SelectConfig& config, const SelectResult& result)
{
    OptimizerFile file = result.chosen;
    Selection& s = file.provenance.selection;
    s = Selection{}; // a file chosen again: the record is this selection's, not the one it was chosen by before
    s.known = true;
    s.problem = result.canonicalProblem;
    s.criterion = config.criterion;
    s.seed = config.seed;
    s.runs = config.runs;
    s.steps = config.steps;
    s.score = result.scores.at(size_t(result.best));
    for (size_t i = 0; i < config.candidates.size(); ++i)
        s.candidates.emplace_back(std::filesystem::path(config.candidates[i]).filename().string(), result.scores[i]);
    if (!file.provenance.known) { // a file without provenance keeps none but the selection
        file.provenance.known = true;
        file.provenance.training.arch = file.net.arch;
    }
    return file;
}

} // namespace l2l
