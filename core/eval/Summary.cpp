// The "summarise" stage of an evaluation, see Summary.h.
#include "eval/Summary.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace l2l {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

double medianOf(std::vector<double> v)
{
    if (v.empty()) return kNaN;
    const size_t mid = v.size() / 2;
    std::nth_element(v.begin(), v.begin() + long(mid), v.end());
    double m = v[mid];
    if (v.size() % 2 == 0) m = 0.5 * (m + *std::max_element(v.begin(), v.begin() + long(mid)));
    return m;
}

// The population of every statistic: the runs that never diverged. (Averaging over whichever runs are
// still alive would let a run that is about to overflow dominate the mean until it is dropped.) Only when
// every run diverged are the curves averaged over the runs alive at each step.
bool anyRunSurvived(const Curves& curves)
{
    return std::any_of(curves.divergedAt.begin(), curves.divergedAt.end(), [](int at) { return at < 0; });
}
} // namespace

void updateStepStats(StepStats& s, const Curves& curves, int completedSteps)
{
    const bool anySurvivor = anyRunSurvived(curves);
    std::vector<char> counted(curves.loss.size());
    for (size_t run = 0; run < counted.size(); ++run) counted[run] = !anySurvivor || curves.divergedAt[run] < 0;
    const size_t n = curves.loss.empty() ? 0 : curves.loss.front().size();
    if (counted != s.counted || s.mean.size() != n || completedSteps < s.upTo) { // afresh
        s.mean.assign(n, kNaN);
        s.std.assign(n, kNaN);
        s.median.assign(n, kNaN);
        s.alive.assign(n, 0);
        s.counted = std::move(counted);
        s.upTo = -1;
    }
    std::vector<double> values, all;
    for (size_t t = size_t(s.upTo + 1); t < n && int(t) <= completedSteps; ++t) {
        values.clear();
        all.clear();
        for (size_t run = 0; run < curves.loss.size(); ++run) {
            const double v = curves.loss[run][t];
            if (std::isfinite(v) && s.counted[run]) values.push_back(v);
            if (curves.divergedAt[run] >= 0 && int(t) >= curves.divergedAt[run])
                all.push_back(kInf);
            else if (std::isfinite(v))
                all.push_back(v);
        }
        s.median[t] = medianOf(all);
        s.alive[t] = int(values.size());
        if (values.empty()) continue;
        double sum = 0;
        for (double v : values) sum += v;
        const double mean = sum / double(values.size());
        double ss = 0;
        for (double v : values) ss += (v - mean) * (v - mean);
        s.mean[t] = mean;
        s.std[t] = values.size() > 1 ? std::sqrt(ss / double(values.size() - 1)) : 0.0;
    }
    s.upTo = std::max(s.upTo, std::min(completedSteps, int(n) - 1));
}

const OptimizerResult* bestByFinalMean(const EvalResult& r)
{
    const OptimizerResult* best = nullptr;
    for (const auto& o : r.optimizers)
        if (std::isfinite(o.finalMean) && (!best || o.divergedRuns < best->divergedRuns ||
                                           (o.divergedRuns == best->divergedRuns && o.finalMean < best->finalMean)))
            best = &o;
    return best;
}

namespace {
std::vector<double> lossesAt(const Curves& c, int step)
{
    std::vector<double> v;
    for (const auto& run : c.loss) v.push_back(run[size_t(step)]);
    return v;
}
} // namespace

std::vector<double> finalLosses(const EvalResult& r, const OptimizerResult& o)
{
    return lossesAt(o.curves, r.completedSteps);
}

void pairWithBest(EvalResult& r, const std::vector<Curves>& curves)
{
    const OptimizerResult* best = bestByFinalMean(r);
    const size_t b = best ? size_t(best - r.optimizers.data()) : 0;
    for (size_t i = 0; i < r.optimizers.size(); ++i) {
        OptimizerResult& o = r.optimizers[i];
        o.vsBest.reset();
        if (best && i != b && i < curves.size() && b < curves.size())
            o.vsBest = pairedCompare(lossesAt(curves[b], r.completedSteps), lossesAt(curves[i], r.completedSteps));
    }
}

void summarizeOptimizer(OptimizerResult& r, const Curves& curves, int completed, const std::vector<int>& testSteps)
{
    // Test curves: the same population as the loss curves (anyRunSurvived).
    const bool anySurvivor = anyRunSurvived(curves);
    r.testLossCurve.assign(testSteps.size(), kNaN);
    r.testAccuracyCurve.assign(testSteps.size(), kNaN);
    for (size_t k = 0; k < testSteps.size() && !curves.testCurve.empty(); ++k) {
        if (testSteps[k] > completed) break;
        double loss = 0, acc = 0;
        int n = 0;
        for (size_t run = 0; run < curves.testCurve.size(); ++run) {
            const TestMetrics& m = curves.testCurve[run][k];
            if ((anySurvivor && curves.divergedAt[run] >= 0) || !std::isfinite(m.loss)) continue;
            loss += m.loss;
            acc += m.accuracy;
            ++n;
        }
        if (n > 0) {
            r.testLossCurve[k] = loss / n;
            r.testAccuracyCurve[k] = acc / n;
        }
    }
    updateStepStats(r.stats, curves, completed);
    double testLoss = 0, testAcc = 0;
    int tested = 0;
    r.divergedRuns = 0;
    for (size_t run = 0; run < curves.loss.size(); ++run) {
        if (curves.divergedAt[run] >= 0) ++r.divergedRuns;
        if (curves.test[run]) {
            testLoss += curves.test[run]->loss;
            testAcc += curves.test[run]->accuracy;
            ++tested;
        }
    }
    r.finalMean = r.stats.mean[size_t(completed)];
    r.finalStd = r.stats.std[size_t(completed)];
    r.finalMedian = r.stats.median[size_t(completed)];
    if (tested > 0) {
        r.testLossMean = testLoss / tested;
        r.testAccuracyMean = testAcc / tested;
    }
}

} // namespace l2l
