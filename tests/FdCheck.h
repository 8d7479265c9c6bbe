#pragma once
// Finite-difference checks of a learned optimizer's meta-gradient dL/dphi (test_lstm, test_gac), with a bound on
// the difference derived from the arithmetic, entry by entry:
//   D(h) = (L(phi + h e_i) - L(phi - h e_i)) / 2h = L' + c h^2 + O(h^4)  (truncation), so c h^2 ~ (D(2h) - D(h)) / 3;
//   one evaluation of L in double is within rho = kappa eps S of exact, where S bounds the magnitudes summed into L
//   (the window's sum of |f_j| = |L| for the paper's meta-loss; for the log meta-loss, sum_j (1 + |log f_j|): an
//   error of kappa eps f_j in f_j moves log f_j by kappa eps), eps = 2^-53 and kappa = 1000 (every f_j comes
//   through K <= 8 LSTM steps, dot products of length <= 40, and the optimizee, of length <= 784 for the MLP: a
//   first-order error growth of some hundreds of unit roundoffs, taken relative to S with a margin), so rounding
//   moves D(h) by at most rho / h and D(2h) by rho / 2h, and the truncation estimate by (rho / h + rho / 2h) / 3 =
//   rho / 2h; hence |D(h) - L'| <= |D(2h) - D(h)| / 3 + rho / 2h + rho / h (to first order in h^2: the check allows
//   twice it).
// The analytic gradient's own rounding (about kappa eps |dphi|) is far below that. A wrong backward pass misses by
// O(|dL/dphi_i|), orders of magnitude above.
// The same bound holds along a unit direction d in place of e_i, against dphi . d: the `directions` random
// directions cover the entries a sample leaves out (a wrong entry shows along every direction, weighted by its d_i;
// test_lstm's directionsCatchOneWrongEntry shows it).
#include "base/Rng.h"
#include "base/Types.h"
#include "optimizers/LstmNet.h"

#include <QtGlobal>

#include <algorithm>
#include <cmath>
#include <functional>
#include <utility>
#include <vector>

namespace l2l {

// A meta-loss at phi and S, the magnitude its rounding is relative to (see above).
struct FdLoss {
    double value = 0, magnitude = 0;
};
using FdLossFn = std::function<FdLoss(const Vec<double>&)>;

// A meta-loss that sums nonnegative losses: S = |L|.
inline FdLossFn sumLoss(std::function<double(const Vec<double>&)> lossOf)
{
    return [lossOf = std::move(lossOf)](const Vec<double>& phi) {
        const double v = lossOf(phi);
        return FdLoss{v, std::abs(v)};
    };
}

struct FdCheck {
    double worstRatio = 0; // max |D(h) - analytic| / bound, over entries and directions
    double maxRelErr = 0;  // max |D(h) - analytic| / |analytic| over entries with |analytic| >= 1e-3 max
    double maxBound = 0;   // the largest bound relative to max |analytic|
    int checked = 0, directions = 0;
};

// The derived bound can only be as sharp as the losses allow (a large truncation estimate, e.g. at a kink, makes it
// wide): a check must also see errors of this much relative to max |dL/dphi| (the rows measure 5e-7 to 2e-5).
constexpr double kFdSensitivity = 1e-4;

// Both conditions of a passing check, in a Qt Test function.
#define L2L_VERIFY_FD_CHECK(r)                                                                                         \
    do {                                                                                                               \
        QVERIFY2((r).worstRatio <= 1, qPrintable(QString("an entry misses its bound %1 times").arg((r).worstRatio)));  \
        QVERIFY2(                                                                                                      \
            (r).maxBound < kFdSensitivity,                                                                             \
            qPrintable(QString("the bound is %1 of max |dL/dphi|: too wide to see a wrong entry").arg((r).maxBound))); \
    } while (false)

// The blocks of phi (LstmNet.h: W_in, b_in, then per layer Wx, Wh, b, then w_out, b_out), as [start, end), for
// each of `nets` nets of `arch` in turn.
inline std::vector<std::pair<Index, Index>> phiBlocks(const LstmArch& arch, int nets = 1)
{
    std::vector<Index> sizes;
    if (arch.inputLayer > 0) sizes = {Index(arch.inputLayer) * arch.inputSize(), Index(arch.inputLayer)};
    for (int l = 0; l < arch.layers; ++l) {
        const Index H = arch.hidden, in = l == 0 ? arch.lstmInputSize() : H;
        sizes.insert(sizes.end(), {4 * H * in, 4 * H * H, 4 * H});
    }
    sizes.insert(sizes.end(), {Index(arch.hidden), 1});
    std::vector<std::pair<Index, Index>> blocks;
    Index at = 0;
    for (int k = 0; k < nets; ++k)
        for (const Index n : sizes) {
            blocks.emplace_back(at, at + n);
            at += n;
        }
    return blocks;
}

// Every entry when count >= phi.size(); else a sample: one random entry in each of `count` equal stretches of phi
// (every block of at least two stretches, such as a layer's weights, has entries checked), then one random entry of
// each of `blocks` shorter than that (an output layer, a bias), which the stretches may miss.
inline FdCheck fdCheck(const Vec<double>& analytic, const FdLossFn& lossOf, const Vec<double>& phi, int count, double h,
                       int directions = 8, const std::vector<std::pair<Index, Index>>& blocks = {})
{
    if (!blocks.empty() && blocks.back().second != phi.size()) qFatal("fdCheck: the blocks do not end at phi's end");
    FdCheck r;
    const double scale = std::max(analytic.cwiseAbs().maxCoeff(), 1e-300);
    Rng rng(99);
    // D(h) along d, and the error of `exact` against it relative to the derived bound
    auto check = [&](const Vec<double>& d, double exact) {
        auto diff = [&](double step, double& s) {
            const FdLoss p = lossOf(phi + step * d), m = lossOf(phi - step * d);
            s = std::max({s, p.magnitude, m.magnitude});
            return (p.value - m.value) / (2 * step);
        };
        double S = 0;
        const double d1 = diff(h, S), d2 = diff(2 * h, S);
        const double rho = 1000 * 0x1p-53 * S;
        const double bound = 2 * (std::abs(d2 - d1) / 3 + 1.5 * rho / h);
        const double err = std::abs(d1 - exact);
        r.worstRatio = std::max(r.worstRatio, err / bound);
        r.maxBound = std::max(r.maxBound, bound / scale);
        return err;
    };
    std::vector<Index> sample;
    if (count >= phi.size()) {
        for (Index i = 0; i < phi.size(); ++i) sample.push_back(i);
    } else {
        for (int k = 0; k < count; ++k)
            sample.push_back(std::min<Index>(phi.size() - 1, Index((k + rng.uniform()) * double(phi.size()) / count)));
        const double stretch = double(phi.size()) / std::max(count, 1);
        for (const auto& [begin, end] : blocks)
            if (double(end - begin) < 2 * stretch) // a block shorter than two stretches can fall between picks
                sample.push_back(std::min<Index>(end - 1, begin + Index(rng.uniform() * double(end - begin))));
    }
    for (const Index i : sample) {
        const double err = check(Vec<double>::Unit(phi.size(), i), analytic(i));
        if (std::abs(analytic(i)) >= 1e-3 * scale) r.maxRelErr = std::max(r.maxRelErr, err / std::abs(analytic(i)));
        ++r.checked;
    }
    for (int k = 0; k < directions; ++k) {
        Vec<double> d(phi.size());
        for (Index i = 0; i < d.size(); ++i) d(i) = rng.normal();
        d /= d.norm();
        check(d, analytic.dot(d));
        ++r.directions;
    }
    return r;
}

} // namespace l2l
