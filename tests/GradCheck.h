#pragma once
// Finite-difference gradient checks in double precision, shared by the gradient tests.
#include "base/Rng.h"
#include "problems/Problem.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

namespace l2l::test {

struct GradCheckResult {
    double maxRelError = 0;    // over the checked coordinates whose gradient is not negligible
    double maxAbsError = 0;    // over all checked coordinates, relative to ||grad||_inf
    double maxDirRelError = 0; // directional derivatives along random directions
    int checked = 0;
};

// Central differences of f at theta. Checks `coords` random coordinates (all if coords >= dim) and
// `directions` random unit directions.
inline GradCheckResult checkGradient(const std::function<double(const Vec<double>&, Vec<double>*)>& f,
                                     const Vec<double>& theta, int coords, int directions, double h = 1e-5,
                                     std::uint64_t seed = 7)
{
    GradCheckResult r;
    Vec<double> grad(theta.size());
    f(theta, &grad);
    const double scale = std::max(grad.cwiseAbs().maxCoeff(), 1e-12);
    Rng rng(seed);
    std::vector<Index> idx;
    if (coords >= theta.size())
        for (Index i = 0; i < theta.size(); ++i) idx.push_back(i);
    else
        for (int k = 0; k < coords; ++k) idx.push_back(Index(rng.below(std::uint64_t(theta.size()))));
    Vec<double> p = theta;
    for (Index i : idx) {
        const double old = p(i);
        p(i) = old + h;
        const double fp = f(p, nullptr);
        p(i) = old - h;
        const double fm = f(p, nullptr);
        p(i) = old;
        const double numeric = (fp - fm) / (2 * h), analytic = grad(i);
        const double abs = std::abs(numeric - analytic);
        r.maxAbsError = std::max(r.maxAbsError, abs / scale);
        if (std::abs(analytic) > 1e-3 * scale)
            r.maxRelError = std::max(r.maxRelError, abs / std::max(std::abs(analytic), std::abs(numeric)));
        ++r.checked;
    }
    for (int d = 0; d < directions; ++d) {
        Vec<double> dir(theta.size());
        for (Index i = 0; i < dir.size(); ++i) dir(i) = rng.normal();
        dir.normalize();
        const double numeric = (f(theta + h * dir, nullptr) - f(theta - h * dir, nullptr)) / (2 * h);
        const double analytic = grad.dot(dir);
        r.maxDirRelError = std::max(r.maxDirRelError, std::abs(numeric - analytic) /
                                                          std::max({std::abs(analytic), std::abs(numeric), 1e-12}));
    }
    return r;
}

// Gradient check of a Problem<double> at theta on the data of `step`.
inline GradCheckResult checkProblem(Problem<double>& problem, const Vec<double>& theta, int coords, int directions,
                                    int step = 0, double h = 1e-5)
{
    auto f = [&](const Vec<double>& x, Vec<double>* g) {
        Vec<double> scratch(x.size());
        const double v = problem.valueAndGradient(x, g ? *g : scratch, step);
        return v;
    };
    return checkGradient(f, theta, coords, directions, h);
}

} // namespace l2l::test
