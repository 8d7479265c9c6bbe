#include "eval/EvalConfig.h"

#include "optimizers/UpdateRule.h"

namespace l2l {

const SettingsTable<EvalConfig>& evalSettings()
{
    using C = EvalConfig;
    static const SettingsTable<C> table = [] {
        SettingsTable<C> t{"eval", {}};
        auto& f = t.fields;
        const unsigned all = kInFile | kInCli | kInForm;
        f.push_back(textSetting<C>(
            "problem", "problem", "Problem", "problem spec, e.g. quadratic, mnist:hidden=40 (see `l2l problems`)",
            [](auto& c) -> auto& { return c.problem; }, 1, kInFile | kInCli));
        f.push_back(intSetting<C>(
            "runs", "runs", "Runs", "problem instances (runs), the same for every optimizer", 1, 10000,
            [](auto& c) -> auto& { return c.runs; }, 1, all));
        f.push_back(intSetting<C>(
            "steps", "steps", "Steps", "optimization steps per run", 1, 100000,
            [](auto& c) -> auto& { return c.steps; }, 1, all));
        f.push_back(uintSetting<C>(
            "seed", "seed", "Seed", "evaluation seed: the same seed gives the same numbers",
            [](auto& c) -> auto& { return c.seed; }, 1, all));
        f.push_back(intSetting<C>(
            "test_every", "test-every", "Test split every",
            "problems with a test split (MNIST, conv net): also measure it every N steps, for "
            "test-loss curves; 0 = only at the end",
            0, 100000, [](auto& c) -> auto& { return c.testEvery; }, 2, all));
        f.push_back(intSetting<C>(
            "threads", "threads", "Threads", "worker threads (0 = all cores; results do not depend on it)", 0, 256,
            [](auto& c) -> auto& { return c.threads; }, 1, kInCli));
        f.push_back(intSetting<C>(
            "memory_limit", "memory-limit", "Memory limit (MiB)",
            "refuse a run whose estimated memory exceeds this many MiB (0 = the memory available when it starts)", 0,
            1 << 30, [](auto& c) -> auto& { return c.memoryLimitMiB; }, 1, kInCli));
        for (auto& s : nestedSettings<C>(
                 tuneSettings(), [](auto& c) -> auto& { return c.tune; }))
            f.push_back(std::move(s));
        return t;
    }();
    return table;
}

void EvalConfig::validate() const
{
    checkSettings(evalSettings(), *this, "eval");
    if (optimizers.empty()) throw Error("optimizers: give at least one (valid: " + joinNames(updateRuleNames()) + ")");
    tune.validate();
}

} // namespace l2l
