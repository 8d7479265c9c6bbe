#include "base/Stats.h"

#include <cmath>
#include <limits>

namespace l2l {

namespace {
// Continued fraction of the regularised incomplete beta function (Numerical Recipes, betacf).
double betaContinuedFraction(double a, double b, double x)
{
    const double tiny = 1e-300;
    double c = 1, d = 1 - (a + b) * x / (a + 1);
    if (std::abs(d) < tiny) d = tiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 300; ++m) {
        const double m2 = 2.0 * m;
        double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
        d = 1 + aa * d;
        c = 1 + aa / c;
        d = 1 / (std::abs(d) < tiny ? tiny : d);
        c = std::abs(c) < tiny ? tiny : c;
        h *= d * c;
        aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
        d = 1 + aa * d;
        c = 1 + aa / c;
        d = 1 / (std::abs(d) < tiny ? tiny : d);
        c = std::abs(c) < tiny ? tiny : c;
        const double del = d * c;
        h *= del;
        if (std::abs(del - 1) < 1e-15) break;
    }
    return h;
}

// I_x(a, b)
double incompleteBeta(double a, double b, double x)
{
    if (x <= 0) return 0;
    if (x >= 1) return 1;
    const double front =
        std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log(1 - x));
    if (x < (a + 1) / (a + b + 2)) return front * betaContinuedFraction(a, b, x) / a;
    return 1 - front * betaContinuedFraction(b, a, 1 - x) / b;
}
} // namespace

double studentTwoSidedP(double t, double dof)
{
    if (!std::isfinite(t)) return 0;
    // P(|T| > t) = I_{dof / (dof + t^2)}(dof/2, 1/2)
    return incompleteBeta(dof / 2, 0.5, dof / (dof + t * t));
}

PairedComparison pairedCompare(const std::vector<double>& a, const std::vector<double>& b)
{
    PairedComparison r;
    r.meanDiff = r.t = r.p = std::numeric_limits<double>::quiet_NaN(); // until there are pairs to compare
    std::vector<double> d;
    int wins = 0;
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
        if (!std::isfinite(a[i]) || !std::isfinite(b[i])) continue;
        d.push_back(a[i] - b[i]);
        wins += a[i] < b[i];
    }
    r.pairs = int(d.size());
    if (d.empty()) return r;
    double sum = 0;
    for (double x : d) sum += x;
    r.meanDiff = sum / double(d.size());
    r.winFraction = double(wins) / double(d.size());
    if (d.size() < 2) return r; // no t statistic from one pair
    double ss = 0;
    for (double x : d) ss += (x - r.meanDiff) * (x - r.meanDiff);
    const double sd = std::sqrt(ss / double(d.size() - 1));
    // Every pair differing by the same amount (identical runs: a deterministic problem without start noise) leaves
    // no spread to test against: t and p are undefined, not 0 and "infinitely significant".
    if (!(sd > 0)) return r;
    r.t = r.meanDiff / (sd / std::sqrt(double(d.size())));
    r.p = studentTwoSidedP(r.t, double(d.size() - 1));
    return r;
}

} // namespace l2l
