#include "eval/Inspect.h"
#include "base/DetMath.h"

#include "base/Rng.h"
#include "base/SeedStreams.h"
#include "optimizers/LstmOptimizer.h"
#include "optimizers/OptimizerFile.h"
#include "problems/Problem.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace l2l {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<double> toDouble(const Vec<float>& v) { return {v.data(), v.data() + v.size()}; }
} // namespace

std::vector<double> symmetricLogGradients(int perSide, double lo, double hi)
{
    if (perSide < 2 || !(lo > 0) || !(hi > lo)) throw Error("response gradients: need perSide >= 2 and 0 < lo < hi");
    std::vector<double> out;
    const double a = std::log10(lo), b = std::log10(hi);
    for (int i = perSide - 1; i >= 0; --i) out.push_back(-detPow10(a + (b - a) * i / (perSide - 1)));
    for (int i = 0; i < perSide; ++i) out.push_back(detPow10(a + (b - a) * i / (perSide - 1)));
    return out;
}

ResponseCurve lstmResponse(const LstmNet<float>& optimizer, const std::vector<double>& gradients, int warmupSteps,
                           double adamRate, double sgdRate, int group)
{
    if (group < 0 || group >= optimizer.nets)
        throw Error("response: the optimizer has " + std::to_string(optimizer.nets) +
                    " net(s); there is no net for group " + std::to_string(group));
    const LstmNet<float> net = optimizer.nets > 1 ? optimizer.single(group) : optimizer;
    if (warmupSteps < 0) throw Error("response: warm-up steps must be >= 0, got " + std::to_string(warmupSteps));
    if (!(adamRate > 0) || !(sgdRate > 0)) throw Error("response: the Adam and SGD rates must be > 0");
    ResponseCurve r;
    r.gradients = gradients;
    r.warmupSteps = warmupSteps;
    r.adamRate = adamRate;
    r.sgdRate = sgdRate;
    const Index n = Index(gradients.size());
    Vec<float> g(n);
    for (Index k = 0; k < n; ++k) g(k) = float(gradients[size_t(k)]);
    Vec<float> theta = Vec<float>::Zero(n); // the position does not enter the update: only g does

    // One coordinate per gradient value, all in one batch; the same g is fed at every step. With global averaging
    // cells the coordinates of a batch are coupled, so each value runs alone: the curve is then what every
    // coordinate gets when all of them see that g (their means are that coordinate's own values).
    const bool alone = net.arch.gac > 0;
    r.lstmFirst.resize(size_t(n));
    r.lstmWarm.resize(size_t(n));
    for (Index k0 = 0; k0 < (alone ? n : 1); ++k0) {
        const Index cols = alone ? 1 : n;
        LstmRule<float> lstm(net, 1);
        lstm.reset(cols);
        Vec<float> gk = g.segment(k0, cols), thetaK = theta.segment(k0, cols);
        lstm.step(thetaK, gk);
        std::copy_n(lstm.lastUpdate().data(), cols, r.lstmFirst.begin() + k0);
        for (int s = 0; s < warmupSteps; ++s) lstm.step(thetaK, gk);
        std::copy_n(lstm.lastUpdate().data(), cols, r.lstmWarm.begin() + k0);
    }

    // The hand-designed rules' own first step (Torch7 defaults besides the rate): u = theta_1 - theta_0.
    Adam<float> adam(adamRate, 0.9, 0.999, 1e-8);
    adam.reset(n);
    theta.setZero();
    adam.step(theta, g);
    r.adam = toDouble(theta);
    Sgd<float> sgd(sgdRate);
    theta.setZero();
    sgd.step(theta, g);
    r.sgd = toDouble(theta);
    return r;
}

double quantileInPlace(std::vector<double>& v, double q)
{
    if (v.empty()) return kNaN;
    const double pos = q * double(v.size() - 1);
    const size_t i = size_t(std::floor(pos));
    std::nth_element(v.begin(), v.begin() + long(i), v.end());
    const double lo = v[i];
    if (i + 1 >= v.size()) return lo;
    const double hi = *std::min_element(v.begin() + long(i) + 1, v.end()); // the next order statistic
    return lo + (pos - double(i)) * (hi - lo);
}

namespace {

// The kInspectTracked coordinates of largest |g_0| (ties: lower index first), in index order.
std::vector<Index> trackedCoordinates(const Vec<float>& g0)
{
    std::vector<Index> order(size_t(g0.size()));
    std::iota(order.begin(), order.end(), Index(0));
    const size_t keep = std::min(order.size(), size_t(kInspectTracked));
    std::partial_sort(order.begin(), order.begin() + long(keep), order.end(), [&](Index a, Index b) {
        const float fa = std::abs(g0(a)), fb = std::abs(g0(b));
        return fa != fb ? fa > fb : a < b;
    });
    order.resize(keep);
    std::sort(order.begin(), order.end());
    return order;
}

// Effective learning rate of step t: theta_k <- theta_k + u_k = theta_k - (-u_k / g_k) g_k, i.e. the SGD
// rate that would have made the same move along coordinate k.
void recordEffectiveLr(InspectTrace& tr, const Vec<float>& g, const Vec<float>& u, std::vector<double>& scratch)
{
    scratch.clear();
    int negative = 0;
    for (Index k = 0; k < g.size(); ++k) {
        if (!(std::abs(double(g(k))) > kEffectiveLrMinGradient)) continue;
        const double lr = -double(u(k)) / double(g(k));
        scratch.push_back(lr);
        negative += lr < 0;
    }
    tr.lrCount.push_back(int(scratch.size()));
    tr.lrNegative.push_back(scratch.empty() ? kNaN : double(negative) / double(scratch.size()));
    tr.lrMedian.push_back(quantileInPlace(scratch, 0.5));
    tr.lrLow.push_back(quantileInPlace(scratch, 0.1));
    tr.lrHigh.push_back(quantileInPlace(scratch, 0.9));
}

void recordHidden(InspectTrace& tr, const LstmState<float>& state, int t)
{
    for (size_t l = 0; l < state.h.size(); ++l) tr.meanAbsH[l].push_back(double(state.h[l].cwiseAbs().mean()));
    const Mat<float>& top = state.h.back();
    for (size_t i = 0; i < tr.tracked.size(); ++i) tr.topHidden[i].col(t) = top.col(tr.tracked[i]).cast<double>();
}

} // namespace

InspectTrace inspectTrajectory(const std::string& problemSpec, const std::string& lstmSpec, std::uint64_t seed,
                               int steps, const std::atomic<bool>* cancel)
{
    if (steps < 1 || steps > 100000) throw Error("inspect: steps must be in [1, 100000], got " + std::to_string(steps));
    const UpdateRuleConfig rule = UpdateRuleConfig::parse(lstmSpec);
    if (!rule.learned())
        throw Error("inspect: the optimizer must be a learned one (lstm or lstm:FILE), got '" + lstmSpec + "'");
    auto cls = makeProblemClass<float>(problemSpec);
    InspectTrace tr;
    tr.problem = cls->canonicalSpec();
    tr.optimizerPath = rule.path.empty() ? bundledOptimizerPath(problemSpec) : rule.path;
    const LstmNet<float> net = loadOptimizer(tr.optimizerPath).net;
    tr.seed = seed;
    tr.steps = steps;

    // Run 0 of evaluate(): same instance, theta_0, minibatch sequence and order of operations as runLanes.
    auto problem = cls->sample(deriveSeed(seed, 0, kEvalInstances));
    Vec<float> theta = problem->initialTheta(), grad(theta.size());
    tr.dim = theta.size();
    LstmRule<float> lstm(net, 0);
    lstm.setParamBlocks(problem->paramBlocks()); // an optimizer with one net per parameter group
    lstm.reset(tr.dim);
    tr.meanAbsH.assign(size_t(net.arch.layers), {});
    std::vector<double> scratch;
    for (int t = 0;; ++t) {
        const double f = double(problem->valueAndGradient(theta, grad, t));
        if (!std::isfinite(f) || !grad.allFinite()) {
            tr.diverged = true;
            break;
        }
        tr.loss.push_back(f);
        if (t == 0) {
            tr.tracked = trackedCoordinates(grad);
            tr.topHidden.assign(tr.tracked.size(), Mat<double>(net.arch.hidden, steps));
        }
        if (t == steps) break;
        if (cancel && cancel->load()) {
            tr.cancelled = true;
            break;
        }
        lstm.step(theta, grad);
        recordEffectiveLr(tr, grad, lstm.lastUpdate(), scratch);
        recordHidden(tr, lstm.state(), t);
        tr.completedSteps = t + 1;
    }
    for (auto& h : tr.topHidden) h.conservativeResize(Eigen::NoChange, tr.completedSteps);
    return tr;
}

} // namespace l2l
