#include "optimizers/MetaTrainConfig.h"

#include "base/Spec.h"

#include "base/DetMath.h"
#include "optimizers/UpdateRule.h"

#include <algorithm>

namespace l2l {

const EnumNames<ParamGroups>& paramGroupsNames()
{
    static const EnumNames<ParamGroups> names{"parameter grouping",
                                              {{ParamGroups::Shared, "shared"}, {ParamGroups::PerBlock, "per-block"}}};
    return names;
}
std::string paramGroupsName(ParamGroups g) { return paramGroupsNames().name(g); }
ParamGroups paramGroupsFromName(const std::string& name) { return paramGroupsNames().value(name); }

const EnumNames<LrSchedule>& lrScheduleNames()
{
    static const EnumNames<LrSchedule> names{"learning-rate schedule",
                                             {{LrSchedule::Constant, "constant"}, {LrSchedule::Cosine, "cosine"}}};
    return names;
}
std::string lrScheduleName(LrSchedule s) { return lrScheduleNames().name(s); }
LrSchedule lrScheduleFromName(const std::string& name) { return lrScheduleNames().value(name); }

double lrScheduleFactor(LrSchedule s, int epoch, int epochs)
{
    if (s == LrSchedule::Constant || epochs <= 0) return 1.0;
    const double x = std::clamp(double(epoch) / double(epochs), 0.0, 1.0);
    return 0.5 * (1.0 + detCos(3.14159265358979323846 * x));
}

const EnumNames<MetaLoss>& metaLossNames()
{
    static const EnumNames<MetaLoss> names{"meta-loss", {{MetaLoss::Sum, "sum"}, {MetaLoss::Log, "log"}}};
    return names;
}
std::string metaLossName(MetaLoss m) { return metaLossNames().name(m); }
MetaLoss metaLossFromName(const std::string& name) { return metaLossNames().value(name); }

const SettingsTable<MetaTrainConfig>& metaTrainSettings()
{
    using C = MetaTrainConfig;
    static const SettingsTable<C> table = [] {
        SettingsTable<C> t{"train", {}};
        auto& f = t.fields;
        const unsigned all = kInFile | kInCli | kInForm, always = all | kInCommand;
        f.push_back(textSetting<C>(
            "problem", "problem", "Problem", "problem class spec (see `l2l problems`)",
            [](auto& c) -> auto& { return c.problem; }, 1, kInFile | kInCli | kInCommand));
        f.push_back(intSetting<C>(
            "epochs", "epochs", "Epochs", "fresh optimizees, one episode each", 1, 10000000,
            [](auto& c) -> auto& { return c.epochs; }, 1, always));
        f.push_back(intSetting<C>(
            "horizon", "horizon", "Horizon", "T: optimizee steps per episode", 1, 100000,
            [](auto& c) -> auto& { return c.horizon; }, 1, always));
        f.push_back(intSetting<C>(
            "unroll", "unroll", "Unroll",
            "K: truncated-BPTT window (one update of the optimizer per window), at most the horizon", 1, 100000,
            [](auto& c) -> auto& { return c.unroll; }, 1, always));
        f.push_back(realSetting<C>(
            "learning_rate", "lr", "Meta learning rate", "Adam learning rate on the optimizer's weights", 0, 1, true,
            [](auto& c) -> auto& { return c.learningRate; }, 1, always));
        f.push_back(enumSetting<C>(
            "lr_schedule", "lr-schedule", "Rate schedule",
            "constant, or cosine: the rate decays from the set rate at the first epoch to 0 at the last",
            lrScheduleNames(), [](auto& c) -> auto& { return c.lrSchedule; }, 2, all));
        f.push_back(realSetting<C>(
            "clip_norm", "clip", "Clip meta-gradient",
            "scale a window's meta-gradient down to this 2-norm when it is longer (0 = off)", 0, 1e12, false,
            [](auto& c) -> auto& { return c.clipNorm; }, 2, all));
        f.push_back(intSetting<C>(
            "meta_batch", "meta-batch", "Meta-batch",
            "optimizees per epoch: each window's meta-gradient is the mean over this many fresh instances, run in "
            "parallel (the official code uses 128 quadratics)",
            1, 4096, [](auto& c) -> auto& { return c.metaBatch; }, 3, all));
        f.push_back(realSetting<C>(
            "random_scale", "random-scale", "Random scaling",
            "train on randomly rescaled instances (Lv et al. 2017): coordinate i of each training instance is "
            "multiplied by exp(U(-R, R)), the problem option xscale=R; validation stays on the problem as given (0 = "
            "off; they used 3 for MNIST)",
            0, 6, false, [](auto& c) -> auto& { return c.randomScale; }, 4, all));
        f.push_back(textSetting<C>(
            "curriculum", "curriculum", "Curriculum",
            "horizons of curriculum stages, e.g. 100,200,500 (Chen et al. 2020): episodes start at the first; "
            "validation runs at the next stage's horizon; after --curriculum-patience validations without "
            "improvement the stage's best weights go on to the next stage (empty = off: --horizon throughout)",
            [](auto& c) -> auto& { return c.curriculum; }, 5, kInFile | kInCli | kInForm));
        f.push_back(intSetting<C>(
            "curriculum_patience", "curriculum-patience", "Stage patience",
            "validations without improvement before the curriculum's next stage", 1, 1000,
            [](auto& c) -> auto& { return c.curriculumPatience; }, 5, all));
        f.push_back(textSetting<C>(
            "imitate", "imitate", "Imitate",
            "off-policy imitation (Chen et al. 2020): a hand-designed rule with its rate, e.g. adam:lr=0.01, run on "
            "the same gradients; the meta-loss gains lambda/2 |u - u_rule|^2 per step, pulling the learned update u "
            "towards the rule's (empty = off)",
            [](auto& c) -> auto& { return c.imitate; }, 6, kInFile | kInCli | kInForm));
        f.push_back(realSetting<C>(
            "imitation_weight", "imitation-weight", "Imitation weight",
            "lambda: the weight of the imitation term (summed over coordinates and steps, like the losses)", 0, 1e6,
            false, [](auto& c) -> auto& { return c.imitationWeight; }, 6, all));
        f.push_back(intSetting<C>(
            "imitation_epochs", "imitation-epochs", "Imitation epochs",
            "the imitation weight falls linearly to 0 over this many epochs, then imitation stops (0 = the weight "
            "stays for the whole run)",
            0, 10000000, [](auto& c) -> auto& { return c.imitationEpochs; }, 6, all));
        f.push_back(intSetting<C>(
            "validate_every", "validate-every", "Validate every", "epochs between validations", 1, 10000000,
            [](auto& c) -> auto& { return c.validateEvery; }, 1, always));
        f.push_back(intSetting<C>(
            "validation_runs", "validation-runs", "Validation runs", "held-out instances per validation", 1, 1000,
            [](auto& c) -> auto& { return c.validationRuns; }, 1, always));
        f.push_back(boolSetting<C>(
            "validate_on_final_loss", "validate-final", "Select by final loss",
            "keep the optimizer with the best validation loss at the last step (default: the "
            "mean over the horizon)",
            [](auto& c) -> auto& { return c.validateOnFinalLoss; }, 2, all));
        f.push_back(boolSetting<C>(
            "second_derivatives", "second-derivatives", "Second derivatives",
            "follow d grad/d phi exactly (problems with Hessian-vector products: quadratics, MLPs)",
            [](auto& c) -> auto& { return c.secondDerivatives; }, 1, all));
        f.push_back(enumSetting<C>(
            "groups", "groups", "LSTMs",
            "shared: one LSTM for every parameter; per-block: one LSTM per parameter group of the problem (convnet: "
            "conv kernels / the rest, as in the paper's CIFAR experiment)",
            paramGroupsNames(), [](auto& c) -> auto& { return c.groups; }, 2, all));
        f.push_back(enumSetting<C>(
            "meta_loss", "meta-loss", "Meta-loss",
            "meta-objective over the horizon: sum (the paper's sum of losses) or log (sum of log losses: late, small "
            "losses weigh more)",
            metaLossNames(), [](auto& c) -> auto& { return c.metaLoss; }, 2, all));
        f.push_back(uintSetting<C>(
            "seed", "seed", "Seed", "seed of the initial weights and of every training and validation instance",
            [](auto& c) -> auto& { return c.seed; }, 1, always));
        f.push_back(intSetting<C>(
            "threads", "threads", "Threads", "worker threads (0 = all cores; results do not depend on it)", 0, 256,
            [](auto& c) -> auto& { return c.threads; }, 1, kInFile | kInCli));
        f.push_back(intSetting<C>(
            "memory_limit", "memory-limit", "Memory limit (MiB)",
            "refuse a training whose estimated memory exceeds this many MiB (0 = the memory available when it "
            "starts)",
            0, 1 << 30, [](auto& c) -> auto& { return c.memoryLimitMiB; }, 1, kInCli));
        for (auto& s : nestedSettings<C>(
                 lstmArchSettings(), [](auto& c) -> auto& { return c.arch; }))
            f.push_back(std::move(s));
        return t;
    }();
    return table;
}

const std::vector<std::string>& metaTrainArchKeys()
{
    static const std::vector<std::string> keys = [] {
        std::vector<std::string> k;
        for (const auto& f : lstmArchSettings().fields) k.push_back(f.key);
        return k;
    }();
    return keys;
}

void MetaTrainConfig::validate() const
{
    checkSettings(metaTrainSettings(), *this, "train");
    arch.validateRelations("train");
    if (randomScale > 0 && Spec::parse(problem).has("xscale"))
        throw Error("train: the problem '" + problem +
                    "' already sets xscale; give random scaling either there (then validation is scaled too) or "
                    "as --random-scale, not both");
    for (int h : curriculumHorizons())
        if (h < unroll)
            throw Error("train: every curriculum horizon (--curriculum) must be at least the unroll (" +
                        std::to_string(unroll) + "), got " + std::to_string(h));
    if (secondDerivatives && arch.preprocess == Preprocess::Rnnprop)
        throw Error("train: second derivatives (--second-derivatives) are not supported with rnnprop preprocessing "
                    "(its inputs depend on the history of the gradients)");
    if (!imitate.empty()) {
        // The name first: the rule parser's own message lists every optimizer, lstm included, which is refused here.
        std::vector<std::string> handDesigned = updateRuleNames(); // the catalogue's rules but the learned one
        handDesigned.erase(std::remove(handDesigned.begin(), handDesigned.end(), "lstm"), handDesigned.end());
        std::string name;
        UpdateRuleConfig rule;
        try {
            name = Spec::parse(imitate).name;
            if (std::find(handDesigned.begin(), handDesigned.end(), name) != handDesigned.end())
                rule = UpdateRuleConfig::parse(imitate);
        } catch (const Error& e) {
            throw Error(std::string("train: imitate (--imitate): ") + e.what());
        }
        if (rule.name != name || rule.learned()) {
            const std::string last = handDesigned.back();
            handDesigned.pop_back();
            throw Error("train: imitate (--imitate) names a hand-designed rule with its rate (" +
                        joinNames(handDesigned) + " or " + last + ", e.g. adam:lr=0.01), got '" + imitate + "'");
        }
        if (rule.tuned())
            throw Error("train: imitate (--imitate) needs the rule's learning rate, e.g. " + rule.name +
                        ":lr=0.01 (`l2l tune` finds one), got '" + imitate + "'");
    }
    if (unroll > horizon)
        throw Error("train: unroll (--unroll) must be at most the horizon (" + std::to_string(horizon) + "), got " +
                    std::to_string(unroll));
}

double MetaTrainConfig::imitationWeightAt(int epoch) const
{
    if (imitate.empty()) return 0;
    if (imitationEpochs <= 0) return imitationWeight;
    return epoch >= imitationEpochs ? 0.0 : imitationWeight * (1.0 - double(epoch) / double(imitationEpochs));
}

std::vector<int> MetaTrainConfig::curriculumHorizons() const
{
    std::vector<int> out;
    if (curriculum.empty()) return out;
    std::string item;
    const auto flush = [&] {
        const long long h = parseInt(item, "curriculum (--curriculum)");
        if (h < 1 || h > 100000)
            throw Error("train: curriculum (--curriculum) horizons must be in [1, 100000], got " + item);
        if (!out.empty() && h <= out.back())
            throw Error("train: curriculum (--curriculum) horizons must increase, got " + curriculum);
        out.push_back(int(h));
        item.clear();
    };
    for (char ch : curriculum) {
        if (ch == ',')
            flush();
        else
            item += ch;
    }
    flush();
    if (out.size() > 64) throw Error("train: curriculum (--curriculum) has more than 64 stages");
    return out;
}

std::vector<int> MetaTrainConfig::validationHorizons() const
{
    const std::vector<int> stages = curriculumHorizons();
    if (stages.empty()) return {horizon};
    std::vector<int> out;
    for (size_t s = 0; s < stages.size(); ++s) out.push_back(stages[std::min(s + 1, stages.size() - 1)]);
    return out;
}

} // namespace l2l
