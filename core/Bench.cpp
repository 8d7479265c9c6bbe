#include "Bench.h"

#include "MlpProblem.h"
#include "UpdateRule.h"

#include <algorithm>
#include <chrono>

namespace l2l {

namespace {
using Clock = std::chrono::steady_clock;

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

// Median over `repeats` samples of the time of `inner` calls of fn, divided by inner.
template <typename Fn>
double timeIt(int repeats, int inner, Fn&& fn)
{
    std::vector<double> samples;
    fn(); // warm up
    for (int r = 0; r < repeats; ++r) {
        const auto t0 = Clock::now();
        for (int i = 0; i < inner; ++i) fn();
        samples.push_back(std::chrono::duration<double>(Clock::now() - t0).count() / inner);
    }
    return median(samples);
}
} // namespace

std::vector<BenchLine> runBenchmarks(const std::string& mlpSpec, int repeats, int ruleDim)
{
    std::vector<BenchLine> lines;
    {
        auto cls = makeProblemClass<float>(mlpSpec);
        auto problem = cls->sample(1);
        Vec<float> theta = problem->initialTheta(), grad(theta.size());
        int step = 0;
        volatile float sink = 0;
        const double t = timeIt(repeats, 50, [&] { sink = sink + problem->valueAndGradient(theta, grad, step++); });
        // FLOPs: per layer forward 2*out*in*B, backward dW 2*out*in*B, dX 2*out*in*B (not for the first layer).
        const auto* mlp = dynamic_cast<const MlpClass<float>*>(cls.get());
        double flops = 0;
        (void)mlp;
        const Spec spec = Spec::parse(mlpSpec);
        const int batch = int(intOption(spec, "batch", 128, 1, 10000, "bench"));
        // Layer sizes from the parameter count are ambiguous; rebuild them from the spec's hidden sizes.
        std::vector<int> sizes = {784};
        std::string hidden = spec.get("hidden", "20");
        if (hidden != "none") {
            size_t pos = 0;
            while (pos <= hidden.size()) {
                const size_t dash = hidden.find('-', pos);
                sizes.push_back(std::stoi(hidden.substr(pos, dash - pos)));
                if (dash == std::string::npos) break;
                pos = dash + 1;
            }
        }
        sizes.push_back(10);
        for (size_t l = 1; l < sizes.size(); ++l)
            flops += double(sizes[l]) * sizes[l - 1] * batch * 2.0 * (l == 1 ? 2 : 3);
        lines.push_back({"mlp value+gradient (" + cls->canonicalSpec() + ")", t, "step", flops,
                         std::to_string(cls->dim()) + " parameters, batch " + std::to_string(batch) + ", 1 thread"});
    }
    for (const auto& info : updateRuleCatalog()) {
        UpdateRuleConfig c = UpdateRuleConfig::parse(info.name);
        c.lr = 1e-3;
        auto rule = makeUpdateRule<float>(c);
        Vec<float> theta = Vec<float>::Random(ruleDim), grad = Vec<float>::Random(ruleDim);
        rule->reset(ruleDim);
        const double t = timeIt(repeats, 20, [&] { rule->step(theta, grad); });
        lines.push_back({info.name + " step", t / ruleDim, "parameter", 0,
                         "on " + std::to_string(ruleDim) + " parameters, 1 thread"});
    }
    return lines;
}

} // namespace l2l
