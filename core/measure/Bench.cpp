#include "measure/Bench.h"

#include "base/Types.h"
#include "meta/Bptt.h"
#include "nn/ConvFeatures.h"
#include "optimizers/UpdateRule.h"
#include "problems/ConvNetProblem.h"
#include "problems/MlpProblem.h"
#include "problems/NeuralArt.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

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
        if (!mlp) throw Error("bench: '" + mlpSpec + "' is not an MLP problem (mnist or fashion-mnist)");
        const std::vector<int>& sizes = mlp->shape().sizes;
        const int batch = mlp->batch();
        double flops = 0;
        for (size_t l = 1; l < sizes.size(); ++l)
            flops += double(sizes[l]) * sizes[l - 1] * batch * 2.0 * (l == 1 ? 2 : 3);
        lines.push_back({"mlp value+gradient (" + cls->canonicalSpec() + ")", t, "step", flops,
                         std::to_string(cls->dim()) + " parameters, batch " + std::to_string(batch) + ", 1 thread"});
    }
    for (const auto& info : updateRuleCatalog()) {
        UpdateRuleConfig c = UpdateRuleConfig::parse(info.name);
        if (c.learned()) continue; // timed by runLstmBenchmarks
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

BenchLine runArtBenchmark(int size, int repeats)
{
    const std::string spec = "neural-art:size=" + std::to_string(size) + ",content=chelsea";
    NeuralArtClass<float> cls(Spec::parse(spec));
    auto problem = cls.sampleArt(1);
    Vec<float> theta = problem->initialTheta(), grad(theta.size());
    volatile float sink = 0;
    const double t = timeIt(repeats, 10, [&] { sink = sink + problem->valueAndGradient(theta, grad, 0); });
    const ArtOptions& o = cls.options();
    const auto shapes = convFeatureShapes(size, size, o.depth, o.channels);
    std::string layers;
    for (const auto& s : shapes)
        layers += (layers.empty() ? "" : ", ") + std::to_string(s.in) + "->" + std::to_string(s.out);
    return {"neural-art value+gradient (" + std::to_string(size) + "x" + std::to_string(size) + ", depth " +
                std::to_string(o.depth) + ")",
            t, "step", convFeatureFlops(shapes),
            "conv channels " + layers + "; FLOPs: conv + input gradient + Gram, 1 thread"};
}

double convNetFlops(const ConvNetShape& shape, int batch)
{
    double flops = 0;
    for (int l = 0; l < shape.convLayers; ++l) {
        const double positions = double(batch) * shape.gridHeight(l) * shape.gridWidth(l);
        const double gemm = 2.0 * positions * shape.kernel * shape.kernel * shape.layerInChannels(l) * shape.channels;
        flops += gemm * (l == 0 ? 2 : 3);
    }
    flops += 3 * 2.0 * batch * shape.flatFeatures() * shape.fcUnits; // fully connected: forward, dW, dX
    flops += 3 * 2.0 * batch * shape.fcUnits * shape.classes;        // output layer
    return flops;
}

std::vector<BenchLine> runConvNetBenchmarks(int threads, int repeats)
{
    ConvNetClass<float> cls(Spec::parse("convnet"));
    auto problem = cls.sample(1);
    Vec<float> theta = problem->initialTheta(), grad(theta.size());
    volatile float sink = 0;
    std::vector<BenchLine> lines;
    const double flops = convNetFlops(cls.shape(), cls.batch());
    for (int t : {1, threads}) {
        problem->setThreads(t);
        const double time =
            timeIt(std::max(3, repeats / 3), 2, [&] { sink = sink + problem->valueAndGradient(theta, grad, 0); });
        lines.push_back({"convnet value+gradient (" + cls.canonicalSpec() + ")", time, "step", flops,
                         "batch " + std::to_string(cls.batch()) + ", " + std::to_string(t) + " thread" +
                             (t > 1 ? "s" : "") + "; FLOPs: conv/dense GEMMs"});
        if (threads == 1) break;
    }
    return lines;
}

double lstmForwardFlopsPerCoordinate(int layers, int hidden, int inputSize)
{
    double flops = 2.0 * hidden; // output layer
    for (int l = 0; l < layers; ++l) flops += 2.0 * 4 * hidden * ((l == 0 ? inputSize : hidden) + hidden);
    return flops;
}

namespace {
// GFLOP/s of one timed FMA loop on this thread.
double fmaLoopGflops(int seed)
{
    using namespace Eigen::internal;
    using Packet = packet_traits<float>::type;
    constexpr int lanes = packet_traits<float>::size;
    constexpr int chains = 12;           // enough independent FMAs to cover the latency on the ports of current cores
    constexpr long iterations = 8000000; // about 20 ms at 80 GFLOP/s
    Packet acc[chains];
    const Packet a = pset1<Packet>(0.999999f), b = pset1<Packet>(1e-7f);
    for (auto& p : acc) p = pset1<Packet>(float(seed + 1));
    const auto t0 = Clock::now();
    for (long i = 0; i < iterations; ++i)
        for (auto& p : acc) p = pmadd(p, a, b);
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    float sum = 0;
    for (const auto& p : acc) sum += predux(p);
    static volatile float sink = 0;
    sink = sink + sum; // the loop's result is used
    return 2.0 * lanes * chains * double(iterations) / seconds / 1e9;
}
} // namespace

double measurePeakGflops(int repeats, int threads)
{
    std::vector<double> samples;
    for (int r = 0; r <= repeats; ++r) { // the first is a warm-up
        std::vector<double> rates(size_t(std::max(threads, 1)));
        std::vector<std::thread> pool;
        for (size_t t = 1; t < rates.size(); ++t) pool.emplace_back([&rates, t, r] { rates[t] = fmaLoopGflops(r); });
        rates[0] = fmaLoopGflops(r);
        for (auto& th : pool) th.join();
        double total = 0;
        for (double g : rates) total += g;
        if (r > 0) samples.push_back(total);
    }
    return median(samples);
}

namespace {
double statusMiB(const char* field)
{
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(field, 0) == 0) {
            std::istringstream fields(line.substr(std::strlen(field)));
            double kib = 0;
            fields >> kib;
            return kib / 1024.0;
        }
    return 0;
}
} // namespace

double peakMemoryMiB() { return statusMiB("VmHWM:"); }
double residentMemoryMiB() { return statusMiB("VmRSS:"); }

std::vector<BenchLine> runLstmBenchmarks(const std::string& mlpSpec, int repeats, int threads)
{
    std::vector<BenchLine> lines;
    const LstmArch arch;
    const LstmNet<float> net = LstmNet<float>::init(arch, 1);
    auto cls = makeProblemClass<float>(mlpSpec);
    auto problem = cls->sample(1);
    const Index n = cls->dim();
    const double stepFlops = lstmForwardFlopsPerCoordinate(arch.layers, arch.hidden, arch.inputSize()) * double(n);
    Vec<float> grad = problem->initialTheta(), update(n);
    problem->valueAndGradient(grad, grad, 0);
    for (int t : {1, threads}) {
        LstmRunner<float> runner(&net, t);
        runner.reset(n);
        LstmState<float> state;
        state.reset(arch, n);
        const double sec = timeIt(repeats, 20, [&] { runner.forward(grad, state, update, nullptr); });
        lines.push_back({"lstm evaluation step, " + std::to_string(n) + " coordinates", sec, "step", stepFlops,
                         std::to_string(t) + " thread(s)"});
        if (t == threads) break;
    }
    // As in training (MetaTrainer): a fresh optimizee every episode, one Unroller (its caches) for all of them.
    Unroller<float> unroller(&net, threads);
    auto episode = [&](ProblemClass<float>& c, std::uint64_t seed) {
        auto p = c.sample(seed);
        EpisodeState<float> traj;
        traj.start(*p, arch);
        Vec<float> dphi;
        for (int w = 0; w < 5; ++w) unroller.window(*p, traj, 20, false, &dphi);
    };
    std::uint64_t seed = 0;
    const double mnistEpisode = timeIt(std::max(1, repeats / 5), 1, [&] { episode(*cls, ++seed); });
    lines.push_back({"meta-training episode on " + mlpSpec + " (100 steps, unroll 20)", mnistEpisode, "episode",
                     100 * 3 * stepFlops, std::to_string(threads) + " thread(s); FLOPs: LSTM forward + backward only"});
    auto quad = makeProblemClass<float>("quadratic");
    const double quadEpisode = timeIt(repeats, 20, [&] { episode(*quad, ++seed); });
    lines.push_back({"meta-training episode on quadratic (10-d, 100 steps, unroll 20)", quadEpisode, "episode", 0,
                     std::to_string(threads) + " thread(s)"});
    return lines;
}

} // namespace l2l
