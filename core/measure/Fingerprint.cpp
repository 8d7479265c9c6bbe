#include "measure/Fingerprint.h"

#include "base/AtomicFile.h"
#include "base/Types.h"
#include "eval/ArtRun.h"
#include "eval/Evaluation.h"
#include "eval/Trajectory.h"
#include "meta/MetaTrainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <set>
#include <sstream>

namespace l2l {

namespace {

std::string num(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

// Every loss of every run, the divergence steps, the rates used and the test metrics.
FingerprintItem hashEvaluation(const std::string& name, const EvalConfig& config)
{
    const EvalResult r = evaluate(config);
    BitHash h;
    std::string summary;
    for (const auto& o : r.optimizers) {
        h.add(o.config.label());
        h.add(o.config.lr);
        for (const auto& run : o.curves.loss)
            for (double v : run) h.add(v);
        for (int d : o.curves.divergedAt) h.add(std::int64_t(d));
        for (const auto& t : o.curves.test)
            if (t) {
                h.add(t->loss);
                h.add(t->accuracy);
            }
        summary += (summary.empty() ? "" : ", ") + o.displayName() + " " + num(o.finalMean);
    }
    std::string what = config.problem + ", " + std::to_string(config.runs) + " runs x " + std::to_string(config.steps) +
                       " steps, seed " + std::to_string(config.seed);
    return {name, what, h.hex(), "final mean loss: " + summary};
}

FingerprintItem hashTrajectories()
{
    TrajectoryConfig config;
    config.problem = "rosenbrock";
    config.optimizers = {"sgd:lr=0.001", "nag:lr=0.001", "rmsprop:lr=0.01", "adam:lr=0.1", "lstm"};
    config.steps = 100;
    const TrajectoryResult r = computeTrajectories(config);
    BitHash h;
    std::string summary;
    for (const auto& p : r.paths) {
        h.add(p.optimizer);
        for (const auto& pt : p.points) {
            h.add(pt[0]);
            h.add(pt[1]);
        }
        for (double v : p.loss) h.add(v);
        summary += (summary.empty() ? "" : ", ") + p.optimizer + " " + num(p.loss.back());
    }
    return {"trajectories-rosenbrock", "rosenbrock, 5 optimizers x 100 steps (double precision)", h.hex(),
            "final loss: " + summary};
}

FingerprintItem hashArt()
{
    const std::string spec = "neural-art:size=32,style=scream,content=test";
    ArtRun run(spec, 3, {ArtRule(UpdateRuleConfig::parse("adam:lr=0.03")), ArtRule(UpdateRuleConfig::parse("lstm"))});
    for (int s = 0; s < 8; ++s) run.step();
    BitHash h;
    std::string summary;
    for (int i = 0; i < run.optimizerCount(); ++i) {
        for (double v : run.lossHistory(i)) h.add(v);
        const ArtImage img = run.image(i);
        for (float v : img.data) h.add(v);
        summary += (summary.empty() ? "" : ", ") + run.label(i) + " " + num(run.loss(i));
    }
    return {"art-run", spec + ", instance 3, adam and lstm x 8 steps (losses and images)", h.hex(), "loss: " + summary};
}

// The trained weights, the best weights, the Adam moments and the history of losses.
FingerprintItem hashTraining(const std::string& name, const MetaTrainConfig& config)
{
    MetaTrainer trainer(config);
    trainer.run({}, nullptr);
    const MetaTrainState& s = trainer.state();
    BitHash h;
    for (Index i = 0; i < s.net.params.size(); ++i) h.add(s.net.params(i));
    for (Index i = 0; i < s.best.params.size(); ++i) h.add(s.best.params(i));
    for (Index i = 0; i < s.adam.m.size(); ++i) {
        h.add(s.adam.m(i));
        h.add(s.adam.v(i));
    }
    for (const auto& p : s.history) {
        h.add(p.metaLoss);
        h.add(p.validationLoss);
    }
    std::string what = config.problem + ", " + std::to_string(config.epochs) + " epochs of " +
                       std::to_string(config.horizon) + " steps (unroll " + std::to_string(config.unroll) + ")" +
                       (config.secondDerivatives ? ", second derivatives" : "") +
                       (config.groups == ParamGroups::PerBlock ? ", one LSTM per group" : "");
    return {name, what, h.hex(),
            "last meta-loss " + num(s.history.empty() ? NAN : s.history.back().metaLoss) + ", best validation " +
                num(s.bestValidation)};
}

EvalConfig evalConfig(const std::string& problem, std::vector<std::string> optimizers, int runs, int steps, int threads)
{
    EvalConfig c;
    c.problem = problem;
    c.optimizers = std::move(optimizers);
    c.runs = runs;
    c.steps = steps;
    c.seed = 5;
    c.threads = threads;
    c.useCache = false;
    return c;
}

MetaTrainConfig trainConfig(const std::string& problem, int epochs, int horizon, int unroll, int threads)
{
    MetaTrainConfig c;
    c.problem = problem;
    c.epochs = epochs;
    c.horizon = horizon;
    c.unroll = unroll;
    c.validateEvery = epochs;
    c.validationRuns = 2;
    c.seed = 7;
    c.threads = threads;
    return c;
}

} // namespace

std::vector<FingerprintItem> runFingerprint(int threads, const std::function<void(const FingerprintItem&)>& onItem)
{
    std::vector<std::function<FingerprintItem()>> work;
    work.push_back([=] {
        // One rate tuned (a small grid, no cache) so the tuning search is part of the fingerprint.
        EvalConfig c =
            evalConfig("quadratic", {"sgd:lr=0.03", "nag:lr=0.01", "rmsprop:lr=0.03", "adam", "lstm"}, 8, 50, threads);
        c.tune.runs = 2;
        c.tune.perDecade = 1;
        return hashEvaluation("eval-quadratic", c);
    });
    work.push_back([] { return hashTrajectories(); });
    work.push_back([=] {
        return hashEvaluation("eval-mnist", evalConfig("mnist", {"sgd:lr=1", "adam:lr=0.01", "lstm"}, 2, 20, threads));
    });
    work.push_back([=] {
        EvalConfig c = evalConfig("convnet", {"nag:lr=0.1", "lstm"}, 1, 3, threads);
        c.testMetrics = false;
        return hashEvaluation("eval-convnet", c);
    });
    work.push_back([=] {
        return hashEvaluation("eval-neural-art",
                              evalConfig("neural-art:size=32,content=test", {"adam:lr=0.03", "lstm"}, 1, 6, threads));
    });
    work.push_back([] { return hashArt(); });
    work.push_back([=] {
        MetaTrainConfig c = trainConfig("quadratic", 10, 40, 10, threads);
        c.validationRuns = 4;
        return hashTraining("train-quadratic", c);
    });
    work.push_back([=] { return hashTraining("train-mnist", trainConfig("mnist", 2, 20, 10, threads)); });
    work.push_back([=] {
        MetaTrainConfig c = trainConfig("mnist:hidden=5,batch=32", 1, 10, 5, threads);
        c.secondDerivatives = true;
        c.lrSchedule = LrSchedule::Cosine;
        c.clipNorm = 10;
        return hashTraining("train-mnist-second-order", c);
    });
    work.push_back([=] {
        MetaTrainConfig c = trainConfig("convnet", 1, 4, 2, threads);
        c.groups = ParamGroups::PerBlock;
        return hashTraining("train-convnet", c);
    });
    work.push_back(
        [=] { return hashTraining("train-neural-art", trainConfig("neural-art:size=32", 1, 4, 2, threads)); });

    std::vector<FingerprintItem> items;
    for (const auto& w : work) {
        const auto t0 = std::chrono::steady_clock::now();
        FingerprintItem item = w();
        item.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (onItem) onItem(item);
        items.push_back(std::move(item));
    }
    return items;
}

std::map<std::string, std::string> readFingerprintFile(const std::string& path)
{
    std::istringstream in(readFile(path));
    std::map<std::string, std::string> out;
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream fields(line);
        std::string name, hash, extra;
        fields >> name >> hash;
        const bool hex = hash.size() == 16 && hash.find_first_not_of("0123456789abcdef") == std::string::npos;
        if (name.empty() || !hex || (fields >> extra))
            throw Error(path + ":" + std::to_string(n) + ": expected 'NAME HASH' (16 lowercase hex digits), got '" +
                        line.substr(0, 80) + "'");
        if (!out.emplace(name, hash).second)
            throw Error(path + ":" + std::to_string(n) + ": '" + name + "' appears twice");
    }
    if (out.empty()) throw Error(path + ": no fingerprint lines");
    return out;
}

std::string fingerprintFileText(const std::vector<FingerprintItem>& items)
{
    std::string text;
    for (const auto& i : items) text += i.name + " " + i.hash + "\n";
    return text;
}

std::vector<std::string> compareFingerprint(const std::vector<FingerprintItem>& items,
                                            const std::map<std::string, std::string>& expected)
{
    std::vector<std::string> diffs;
    std::set<std::string> seen;
    for (const auto& i : items) {
        seen.insert(i.name);
        const auto it = expected.find(i.name);
        if (it == expected.end())
            diffs.push_back(i.name + ": " + i.hash + ", not in the expected file");
        else if (it->second != i.hash)
            diffs.push_back(i.name + ": " + i.hash + ", expected " + it->second);
    }
    for (const auto& [name, hash] : expected)
        if (!seen.count(name)) diffs.push_back(name + ": expected " + hash + ", not computed by this build");
    return diffs;
}

} // namespace l2l
