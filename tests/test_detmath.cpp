// detExp / detLog (core/base/DetMath.h): the float exp and log of the hot paths, written in plain arithmetic so
// that results do not depend on which libm variant the CPU selects. Checked against double-precision std::exp
// and std::log over their whole float range: the Cephes algorithms promise a relative error within 2 float
// ulps (range reduction exact to ~2^-33, polynomial error < 1 ulp, two roundings of the final sum).
#include "base/DetMath.h"
#include "nn/LstmCell.h"
#include "nn/Mlp.h"
#include "optimizers/LstmNet.h"

#include <QtTest>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

using namespace l2l;

class TestDetMath : public QObject {
    Q_OBJECT
private slots:
    void expWithinTwoUlps();
    void logWithinTwoUlps();
    void specialValues();
    void eluMatchesTheExpression();
    void sigmoidMatchesTheExpression();
    void logSignMatchesTheExpression();
    void rnnpropInputsMatchTheLoop();
    void doublesUseTheLibrary();
    void sqrtPacketsAreExact();
    void doubleLogSinCosWithinTwoUlps();
    void powIntWithinItsRoundingBound();
    void pow10GridIsRounded();
};

namespace {
// The special values repeated so that each lands once in every row of a 20-row block: on the packet path and on the
// scalar tail of the elementwise loops (copies of 21 values, 21 being coprime with 20).
std::vector<float> inEveryRow(const std::vector<float>& special)
{
    Q_ASSERT(special.size() <= 21);
    std::vector<float> out;
    for (int copy = 0; copy < 20; ++copy)
        for (size_t k = 0; k < 21; ++k) out.push_back(k < special.size() ? special[k] : 0.5f);
    return out;
}

// Applies `inPlace` to 20-row blocks (inside a taller matrix, two packets and a scalar tail per column) holding every
// 61st float of the whole range (both signs: 70 million) and then, in every row, zeros, infinities and NaN of both
// signs and the given boundary values, and compares with `expression` of the same values bit for bit. Counts the
// floats compared and those that differ (the first is reported).
template <typename InPlace, typename Expression>
void compareOverFloats(const char* name, const std::vector<float>& boundaries, InPlace inPlace, Expression expression,
                       Index& checked, Index& differ)
{
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> special{0.0f, -0.0f, inf, -inf, nan, -nan};
    special.insert(special.end(), boundaries.begin(), boundaries.end());
    const Index rows = 20, chunk = Index(1) << 20; // chunks of a few tens of MB, not gigabytes
    std::uint64_t next = 0;
    bool specialsDone = false;
    while (!specialsDone) {
        std::vector<float> xs;
        for (; next <= 0xffffffffu && Index(xs.size()) < chunk; next += 61)
            xs.push_back(std::bit_cast<float>(std::uint32_t(next)));
        if (next > 0xffffffffu) {
            const std::vector<float> everyRow = inEveryRow(special);
            xs.insert(xs.end(), everyRow.begin(), everyRow.end());
            specialsDone = true;
        }
        const Index cols = Index(xs.size() + rows - 1) / rows;
        Mat<float> tall = Mat<float>::Zero(rows + 7, cols);
        for (size_t k = 0; k < xs.size(); ++k) tall(Index(k) % rows, Index(k) / rows) = xs[k];
        const Mat<float> z = tall.topRows(rows);
        const Mat<float> expected = expression(z);
        inPlace(tall.topRows(rows));
        for (Index j = 0; j < cols; ++j)
            for (Index i = 0; i < rows; ++i)
                if (std::bit_cast<std::uint32_t>(tall(i, j)) != std::bit_cast<std::uint32_t>(expected(i, j)) &&
                    differ++ == 0)
                    qWarning("%s(%.9g) = %.9g, expected %.9g", name, double(z(i, j)), double(tall(i, j)),
                             double(expected(i, j)));
        QVERIFY(tall.bottomRows(7).isZero()); // rows outside the block untouched
        checked += Index(xs.size());
    }
}
// One unit in the last place of a float of magnitude |v| (normal range).
double ulpOf(double v)
{
    int e = 0;
    std::frexp(std::fabs(v), &e);
    return std::ldexp(1.0, std::max(e - 24, -149));
}
} // namespace

void TestDetMath::expWithinTwoUlps()
{
    double worst = 0;
    float at = 0;
    // Every 97th float from the underflow limit to the overflow limit (about 10^7 points).
    for (float x = -103.0f; x < 88.72f; x = std::nextafter(x, 100.0f)) {
        const double ref = std::exp(double(x));
        const double err = std::fabs(double(detExp(x)) - ref) / ulpOf(ref);
        if (err > worst) {
            worst = err;
            at = x;
        }
        for (int k = 0; k < 96 && x < 88.72f; ++k) x = std::nextafter(x, 100.0f);
    }
    qInfo("detExp: worst error %.3f ulp at x = %.9g", worst, double(at));
    QVERIFY2(worst <= 2.0, qPrintable(QString("detExp error %1 ulp at x = %2").arg(worst).arg(double(at))));
}

void TestDetMath::logWithinTwoUlps()
{
    double worst = 0;
    float at = 0;
    // Every 97th positive float, subnormals included; the error is relative to |log x| away from x = 1 and
    // absolute (in ulps of x - 1) near it, where log x ~ x - 1.
    for (float x = std::numeric_limits<float>::denorm_min(); x < std::numeric_limits<float>::max();
         x = std::nextafter(x, std::numeric_limits<float>::infinity())) {
        const double ref = std::log(double(x));
        const double scale = std::max(ulpOf(ref), std::fabs(x - 1.0) < 0.5 ? ulpOf(double(x) - 1.0) : 0.0);
        const double err = std::fabs(double(detLog(x)) - ref) / (ref == 0 ? ulpOf(1.0) : scale);
        if (err > worst) {
            worst = err;
            at = x;
        }
        for (int k = 0; k < 96 && x < std::numeric_limits<float>::max() / 2; ++k)
            x = std::nextafter(x, std::numeric_limits<float>::infinity());
    }
    qInfo("detLog: worst error %.3f ulp at x = %.9g", worst, double(at));
    QVERIFY2(worst <= 2.0, qPrintable(QString("detLog error %1 ulp at x = %2").arg(worst).arg(double(at))));
}

void TestDetMath::specialValues()
{
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    QCOMPARE(detExp(0.0f), 1.0f);
    QCOMPARE(detExp(100.0f), inf);
    QCOMPARE(detExp(inf), inf);
    QCOMPARE(detExp(-200.0f), 0.0f);
    QCOMPARE(detExp(-inf), 0.0f);
    QVERIFY(std::isnan(detExp(nan)));
    QVERIFY(detExp(88.7f) < inf);    // e^88.7 = 3.3e38 < FLT_MAX: no false overflow near the top
    QVERIFY(detExp(-100.0f) > 0.0f); // a subnormal, not 0
    QCOMPARE(detLog(1.0f), 0.0f);
    QCOMPARE(detLog(0.0f), -inf);
    QCOMPARE(detLog(inf), inf);
    QVERIFY(std::isnan(detLog(-1.0f)));
    QVERIFY(std::isnan(detLog(nan)));
}

// eluInPlace (RNNprop's input layer) has a hand-vectorised float path that must give the bits of the Eigen
// expression it replaced, (z > 0).select(z, z.unaryExpr(DetExp{}) - 1), for every float: every 61st float of the
// whole range (both signs: 70 million), the boundaries of the exp's range, zeros, infinities and NaN, in columns
// of 20 rows inside a taller matrix (two packets and a scalar tail per column, as in the optimizer).
void TestDetMath::eluMatchesTheExpression()
{
    const float inf = std::numeric_limits<float>::infinity();
    const std::vector<float> boundaries{-104.0f,
                                        std::nextafter(-104.0f, -inf),
                                        std::nextafter(-104.0f, 0.0f),
                                        -88.0f,
                                        -1e-30f,
                                        -std::numeric_limits<float>::denorm_min()};
    Index differ = 0, checked = 0;
    compareOverFloats(
        "elu", boundaries, [](MatRef<float> z) { eluInPlace<float>(z); },
        [](const Mat<float>& z) -> Mat<float> {
            return (z.array() > 0.0f).select(z.array(), z.array().unaryExpr(DetExp{}) - 1.0f).matrix();
        },
        checked, differ);
    qInfo("%lld floats compared", static_cast<long long>(checked));
    QCOMPARE(differ, Index(0));
    QVERIFY(checked > 70000000);
}

// The MLP's sigmoid (activationForward, 8 lanes at a time in float with AVX2 + FMA) against its expression
// 1 / (1 + detExp(-z)), bit for bit, on every 61st float of the whole range plus the range boundaries (-z = 88.72 and
// -104 and their neighbours), zeros, infinities and NaN of both signs, in a block with an outer stride and 20 rows (a
// tail after the packets), in place as the MLP calls it.
void TestDetMath::sigmoidMatchesTheExpression()
{
    const float inf = std::numeric_limits<float>::infinity(), hi = 88.72283935546875f;
    const std::vector<float> boundaries{104.0f,
                                        std::nextafter(104.0f, inf),
                                        std::nextafter(104.0f, 0.0f),
                                        -hi,
                                        std::nextafter(-hi, -inf),
                                        std::nextafter(-hi, 0.0f),
                                        1e-30f,
                                        -1e-30f};
    Index differ = 0, checked = 0;
    compareOverFloats(
        "sigmoid", boundaries, [](MatRef<float> z) { activationForward<float>(Activation::Sigmoid, z, z); },
        [](const Mat<float>& z) -> Mat<float> { return (1.0f + (-z.array()).unaryExpr(DetExp{})).inverse().matrix(); },
        checked, differ);
    qInfo("%lld floats compared", static_cast<long long>(checked));
    QCOMPARE(differ, Index(0));
}

// The LSTM's log-sign preprocessing (preprocessGradient, 8 gradients at a time in float with AVX2 + FMA) against its
// expression (log|g|/p, sign g) where |g| >= e^-p, else (-1, e^p g), bit for bit: every 61st float at the paper's
// p = 10 and every 997th at p = 1, 3.7 and 50, and the thresholds and their neighbours, zeros, infinities and NaN of
// both signs in every lane and on the scalar tail, written into a block with an outer stride (the first layer's
// [x; h] rows).
void TestDetMath::logSignMatchesTheExpression()
{
    const float inf = std::numeric_limits<float>::infinity();
    Index differ = 0, checked = 0;
    for (const double pd : {10.0, 1.0, 3.7, 50.0}) {
        LstmArch arch;
        arch.p = pd;
        const float p = float(pd), threshold = float(std::exp(-pd)), ep = float(std::exp(pd));
        const auto check = [&](const std::vector<float>& gs) {
            const Index n = Index(gs.size());
            const Eigen::Map<const Vec<float>> g(gs.data(), n);
            const auto a = g.array().abs().transpose();
            const auto big = a >= threshold;
            Mat<float> want(2, n);
            want.row(0) = big.select(a.max(threshold).unaryExpr(DetLog{}) / p, -1.0f);
            want.row(1) =
                big.select((g.array() > 0.0f).cast<float>().transpose() * 2.0f - 1.0f, ep * g.array().transpose());
            Mat<float> tall = Mat<float>::Zero(22, n);
            preprocessGradient<float>(arch, g, tall.topRows(2));
            for (Index j = 0; j < n; ++j)
                for (Index r = 0; r < 2; ++r)
                    if (std::bit_cast<std::uint32_t>(tall(r, j)) != std::bit_cast<std::uint32_t>(want(r, j)) &&
                        differ++ == 0)
                        qWarning("p = %g, g = %.9g: row %d %.9g, expected %.9g", pd, double(gs[size_t(j)]), int(r),
                                 double(tall(r, j)), double(want(r, j)));
            QVERIFY(tall.bottomRows(20).isZero());
            checked += n;
        };
        const std::uint64_t stride = pd == 10.0 ? 61 : 997;
        for (std::uint64_t next = 0; next <= 0xffffffffu;) {
            std::vector<float> gs;
            for (; next <= 0xffffffffu && gs.size() < (size_t(1) << 20); next += stride)
                gs.push_back(std::bit_cast<float>(std::uint32_t(next)));
            check(gs);
        }
        // 14 special values, rotated so that each is in every position of the 8 packet lanes and the 6 scalar ones.
        std::vector<float> special{0.0f,
                                   -0.0f,
                                   threshold,
                                   -threshold,
                                   std::nextafter(threshold, 0.0f),
                                   std::nextafter(threshold, inf),
                                   1.0f,
                                   -1.0f,
                                   inf,
                                   -inf,
                                   std::numeric_limits<float>::quiet_NaN(),
                                   -std::numeric_limits<float>::quiet_NaN(),
                                   std::numeric_limits<float>::max(),
                                   std::numeric_limits<float>::denorm_min()};
        for (size_t r = 0; r < special.size(); ++r) {
            check(special);
            std::rotate(special.begin(), special.begin() + 1, special.end());
        }
    }
    qInfo("%lld gradients compared", static_cast<long long>(checked));
    QCOMPARE(differ, Index(0));
}

// RNNprop's inputs (rnnpropInputs, 8 coordinates at a time in float with AVX2 + FMA) against the scalar loop they
// replaced, bit for bit over 6 steps of moments: gradients over 80 binades of both signs, zeros, infinities and NaN
// (every value in every lane and on the scalar tail: 61 coordinates, 61 coprime with 8), written into a block with
// an outer stride (the raw-input rows of the optimizer's input layer).
void TestDetMath::rnnpropInputsMatchTheLoop()
{
    const float inf = std::numeric_limits<float>::infinity();
    std::vector<float> values{0.0f, -0.0f, inf, -inf, std::numeric_limits<float>::quiet_NaN(), 1e-30f, -3e25f};
    for (int e = -40; e < 40; ++e) values.push_back(std::ldexp(e % 2 ? -1.37f : 1.91f, e));
    const Index n = 61;
    Index differ = 0;
    for (size_t start = 0; start < values.size(); start += 7) { // fresh moments: infinities and NaN stick
        Vec<float> m = Vec<float>::Zero(n), v = Vec<float>::Zero(n), mRef = m, vRef = v;
        for (int t = 1; t <= 6; ++t) {
            Vec<float> g(n);
            for (Index k = 0; k < n; ++k) g(k) = values[(start + size_t(k) * 5 + size_t(t)) % values.size()];
            Mat<float> tall = Mat<float>::Zero(5, n);
            rnnpropInputs<float>(g, m, v, t, tall.topRows(2));
            // The loop as it was (optimizers/LstmNet.cpp before its packets).
            const float b1 = float(kRnnpropBeta1), b2 = float(kRnnpropBeta2), eps = float(kRnnpropEpsilon);
            const float c1 = float(1.0 / (1.0 - std::pow(kRnnpropBeta1, t)));
            const float c2 = float(1.0 / (1.0 - std::pow(kRnnpropBeta2, t)));
            Mat<float> want(2, n);
            for (Index k = 0; k < n; ++k) {
                const float gk = g(k);
                mRef(k) = b1 * mRef(k) + (1.0f - b1) * gk;
                vRef(k) = b2 * vRef(k) + (1.0f - b2) * (gk * gk);
                const float s = std::sqrt(vRef(k) * c2) + eps;
                want(0, k) = gk / s;
                want(1, k) = (mRef(k) * c1) / s;
            }
            const auto same = [](float a, float b) {
                return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b);
            };
            for (Index k = 0; k < n; ++k)
                if (!(same(tall(0, k), want(0, k)) && same(tall(1, k), want(1, k)) && same(m(k), mRef(k)) &&
                      same(v(k), vRef(k))) &&
                    differ++ == 0)
                    qWarning("t %d, coordinate %lld, g = %.9g: (%.9g, %.9g) m %.9g v %.9g, expected (%.9g, %.9g) m "
                             "%.9g v %.9g",
                             t, static_cast<long long>(k), double(g(k)), double(tall(0, k)), double(tall(1, k)),
                             double(m(k)), double(v(k)), double(want(0, k)), double(want(1, k)), double(mRef(k)),
                             double(vRef(k)));
            QVERIFY(tall.bottomRows(3).isZero());
        }
    }
    QCOMPARE(differ, Index(0));
}

void TestDetMath::doublesUseTheLibrary()
{
    // The double overloads (finite-difference checks) are the library's, exactly.
    QCOMPARE(detExp(0.3), std::exp(0.3));
    QCOMPARE(detLog(0.3), std::log(0.3));
}

// DetSqrt on Eigen's packets (sqrtps, sqrtpd) gives std::sqrt's bits, so Adam's and RMSprop's vectorised steps
// compute what their element-by-element evaluation did: across every float exponent and some mantissas,
// subnormals, zeros, negatives (NaN), infinities, and in an expression shaped like the steps' (lr g / (sqrt(v) +
// eps)), over a length that leaves a scalar tail after the packets.
void TestDetMath::sqrtPacketsAreExact()
{
    std::vector<float> values;
    for (std::uint32_t e = 0; e < 256; ++e)
        for (std::uint32_t m : {0u, 1u, 0x2aaaaau, 0x400000u, 0x7fffffu})
            for (std::uint32_t sign : {0u, 0x80000000u}) values.push_back(std::bit_cast<float>(sign | e << 23 | m));
    values.push_back(std::numeric_limits<float>::quiet_NaN());
    const Index n = Index(values.size());
    QVERIFY(n % 8 != 0);
    const Eigen::Map<const Eigen::ArrayXf> v(values.data(), n);
    using SqrtExpr = decltype(v.unaryExpr(DetSqrt{}));
    static_assert(Eigen::internal::evaluator<SqrtExpr>::Flags & Eigen::PacketAccessBit, "DetSqrt runs on packets");
    const Eigen::ArrayXf packets = v.unaryExpr(DetSqrt{});
    const Eigen::ArrayXf g = Eigen::ArrayXf::LinSpaced(n, -3.0f, 5.0f),
                         step = 0.01f * g / (v.abs().unaryExpr(DetSqrt{}) + 1e-8f);
    for (Index i = 0; i < n; ++i) {
        const float want = std::sqrt(values[size_t(i)]);
        QVERIFY2(
            std::bit_cast<std::uint32_t>(packets(i)) == std::bit_cast<std::uint32_t>(want) ||
                (std::isnan(packets(i)) && std::isnan(want)),
            qPrintable(
                QString("sqrt of bits %1").arg(std::bit_cast<std::uint32_t>(values[size_t(i)]), 8, 16, QChar('0'))));
        const float one = 0.01f * g(i) / (std::sqrt(std::fabs(values[size_t(i)])) + 1e-8f);
        QVERIFY(std::bit_cast<std::uint32_t>(step(i)) == std::bit_cast<std::uint32_t>(one) ||
                (std::isnan(step(i)) && std::isnan(one)));
    }
    const Eigen::ArrayXd d = Eigen::ArrayXd::LinSpaced(37, 0.0, 1e5), dp = d.unaryExpr(DetSqrt{});
    for (Index i = 0; i < d.size(); ++i) QCOMPARE(dp(i), std::sqrt(d(i)));
}

// detLogD, detSin, detCos (random normals, schedules, 2-d functions) against glibc's double functions, which
// are within 1 ulp of the truth: detLogD's series is truncated below 1e-17 relative and sums a dozen terms
// whose rounding stays below 1 ulp of the result; the sin/cos reduction is exact to ~2^-120 relative for
// |x| < 1e4 and fdlibm's kernels are within 1 ulp. Both sides within 1 ulp of the truth are within 2 ulps of
// each other, counted in the ulp of the larger binade: up to 4 ulps of the reference's own binade at a power of 2.
void TestDetMath::doubleLogSinCosWithinTwoUlps()
{
    const auto ulp = [](double v) {
        int e = 0;
        std::frexp(std::fabs(v), &e);
        return std::ldexp(1.0, e - 53);
    };
    double worstLog = 0, worstSin = 0, worstCos = 0;
    for (int i = 0; i < 200000; ++i) {
        const double x = std::ldexp(1.0 + i / 200000.0, (i % 2000) - 1000); // 2^-1000 .. 2^999
        const double ref = std::log(x);
        if (ref != 0) worstLog = std::max(worstLog, std::fabs(detLogD(x) - ref) / ulp(ref));
        const double y = -1e4 + 2e4 * i / 200000.0 + 1e-7;
        const double s = std::sin(y), c = std::cos(y);
        // Near a zero of sin or cos the error is absolute: measure it against an ulp of |y|'s reduced size.
        worstSin = std::max(worstSin, std::fabs(detSin(y) - s) / std::max(ulp(s), ulp(1.0) * 1e-3));
        worstCos = std::max(worstCos, std::fabs(detCos(y) - c) / std::max(ulp(c), ulp(1.0) * 1e-3));
    }
    qInfo("double: log %.3f ulp, sin %.3f ulp, cos %.3f ulp (worst)", worstLog, worstSin, worstCos);
    QVERIFY(worstLog <= 4.0);
    QVERIFY(worstSin <= 4.0);
    QVERIFY(worstCos <= 4.0);
    QCOMPARE(detLogD(1.0), 0.0);
    QVERIFY(std::isnan(detLogD(-1.0)));
    QCOMPARE(detLogD(0.0), -std::numeric_limits<double>::infinity());
    QCOMPARE(detSin(0.0), 0.0);
    QCOMPARE(detCos(0.0), 1.0);
}

// Squaring doubles the relative error it inherits and each multiplication adds one rounding, so b^n by
// repeated squaring is within (2 n + 2) 2^-53 relative (Adam's bias corrections need far less).
void TestDetMath::powIntWithinItsRoundingBound()
{
    for (double b : {0.9, 0.999, 0.95, 1.5}) {
        for (long long n : {0LL, 1LL, 2LL, 7LL, 100LL, 1000LL, 12345LL, 100000LL}) {
            const double ref = std::pow(b, double(n));
            if (ref == 0 || !std::isfinite(ref)) continue;
            const double bound = (2 * double(n) + 2) * std::ldexp(1.0, -53);
            QVERIFY2(std::fabs(detPowInt(b, n) - ref) <= bound * ref, qPrintable(QString("%1^%2").arg(b).arg(n)));
        }
    }
    QCOMPARE(detPowInt(0.9, 0), 1.0);
    QCOMPARE(detPowInt(2.0, 10), 1024.0);
}

void TestDetMath::pow10GridIsRounded()
{
    QCOMPARE(detPow10(-4), 1e-4);
    QCOMPARE(detPow10(1), 10.0);
    QCOMPARE(detPow10(-4 + 1.0 / 3), 2.15443469003e-4); // 12 significant digits, exactly
}

QTEST_APPLESS_MAIN(TestDetMath)
#include "test_detmath.moc"
