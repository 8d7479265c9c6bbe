#pragma once
// exp and log of floats in plain arithmetic, for the hot paths whose results must be the same everywhere.
// glibc's expf/logf pick an FMA or an SSE2 variant at run time (the same one on every x86-64-v3 CPU, another
// on older CPUs) and their bits may change between glibc versions; Eigen's vectorised exp/log fall back to
// them for the elements after the last full packet. These functions use only +, *, floor and bit operations,
// so one build computes the same bits on any CPU of its level with any glibc, and a loop over them vectorises. Both are the Cephes single-precision algorithms (S. Moshier): Cody-Waite
// range reduction and a minimax polynomial, relative error below 2 float ulps on the ranges used (tested
// against double-precision std::exp/std::log in test_detmath). The double overloads use std:: (finite-difference
// checks and the double-precision 2-d trajectories, whose bits therefore follow glibc's version).
#include <Eigen/Core>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#if defined(__SSE2__)
#include <immintrin.h>
#endif

namespace l2l {

// detExp's constants, also used by the vectorised ELU of nn/LstmCell.cpp (which must give detExp's bits).
namespace detexp {
inline constexpr float kLog2e = 1.44269504088896341f, kC1 = 0.693359375f, kC2 = -2.12194440e-4f;
inline constexpr float kHi = 88.72283935546875f, kLo = -104.0f;
// The polynomial for e^r, highest power first (the last, 5.0000001201e-1, is 0.5 in float).
inline constexpr float kPoly[6] = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f,
                                   4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};
} // namespace detexp

// e^x. Above 88.72 the result is +inf, below -104 it is 0 (between, subnormals as usual); NaN stays NaN.
inline float detExp(float x)
{
    using namespace detexp;
    const float xc = std::fmin(std::fmax(x, kLo), kHi);
    const float n = std::floor(xc * kLog2e + 0.5f); // x = n ln 2 + r, |r| <= ln 2 / 2, n in [-150, 128]
    const float r = (xc - n * kC1) - n * kC2;       // ln 2 = kC1 + kC2 (kC2 < 0), split so that n * kC1 is exact
    float p = kPoly[0];
    p = p * r + kPoly[1];
    p = p * r + kPoly[2];
    p = p * r + kPoly[3];
    p = p * r + kPoly[4];
    p = p * r + kPoly[5];
    const float er = p * (r * r) + r + 1.0f; // e^r
    // 2^n as two powers of two in the normal range, so that n = 128 and subnormal results both work.
    const float n1 = std::floor(n * 0.5f), n2 = n - n1;
    const auto pow2 = [](float k) { return std::bit_cast<float>(std::uint32_t(std::int32_t(k) + 127) << 23); };
    const float y = (er * pow2(n1)) * pow2(n2);
    if (x != x) return x;
    if (x > kHi) return std::numeric_limits<float>::infinity();
    return x < kLo ? 0.0f : y;
}

// detLog's constants, also used by the vectorised log-sign preprocessing of optimizers/LstmNet.cpp (which must give
// detLog's bits).
namespace detlog {
inline constexpr float kSqrtHalf = 0.707106781186547524f, kC1 = 0.693359375f, kC2 = -2.12194440e-4f;
// The polynomial for log(1 + m), highest power first.
inline constexpr float kPoly[9] = {7.0376836292e-2f,  -1.1514610310e-1f, 1.1676998740e-1f,
                                   -1.2420140846e-1f, 1.4249322787e-1f,  -1.6668057665e-1f,
                                   2.0000714765e-1f,  -2.4999993993e-1f, 3.3333331174e-1f};
} // namespace detlog

// Natural log. x = 0 gives -inf, x < 0 NaN, +inf stays +inf; subnormal x are scaled up first.
inline float detLog(float x)
{
    using namespace detlog;
    const bool tiny = x < std::numeric_limits<float>::min();
    const float xs = tiny ? x * 8388608.0f : x; // * 2^23
    const std::uint32_t bits = std::bit_cast<std::uint32_t>(xs);
    float e = float(std::int32_t(bits >> 23) - 126) - (tiny ? 23.0f : 0.0f);
    float m = std::bit_cast<float>((bits & 0x007fffffu) | 0x3f000000u); // xs = m 2^e, m in [0.5, 1)
    if (m < kSqrtHalf) {
        e -= 1.0f;
        m = m + m - 1.0f;
    } else {
        m = m - 1.0f;
    }
    const float z = m * m;
    float p = kPoly[0]; // p m + c for a negative c is p m - |c|: the same rounding
    for (int i = 1; i < 9; ++i) p = p * m + kPoly[i];
    float y = p * m * z;
    y += kC2 * e;
    y -= 0.5f * z;
    const float result = (m + y) + kC1 * e;
    if (!(x > 0)) return x == 0 ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::quiet_NaN();
    return x == std::numeric_limits<float>::infinity() ? x : result;
}

inline double detExp(double x) { return std::exp(x); }
inline double detLog(double x) { return std::log(x); }

// The same reasoning for the double-precision functions that feed float results (random normals, Adam's bias
// correction, rate grids, the cosine schedule, 2-d test functions): glibc's log, pow, sin and cos are not
// correctly rounded, so their last bit may change with the glibc version or the variant glibc picks.

// b^n for an integer n >= 0 by repeated squaring: only multiplications, so the same bits everywhere. Each
// squaring doubles the relative error it inherits, so it is below about 2 n 2^-53 (1e-11 at n = 10^5: ample for
// Adam's bias corrections 1 - b^t).
inline double detPowInt(double b, long long n)
{
    double result = 1.0;
    while (n > 0) {
        if (n & 1) result *= b;
        b *= b;
        n >>= 1;
    }
    return result;
}

// log x for finite x > 0 in double: x = m 2^e with m in [sqrt(1/2), sqrt(2)), log m = 2 atanh(s),
// s = (m - 1)/(m + 1), |s| < 0.172, summed to s^25 (relative error about 1e-16). Not correctly rounded, but
// deterministic. x <= 0 gives NaN (-inf for 0).
inline double detLogD(double x)
{
    if (!(x > 0)) return x == 0 ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
    if (x == std::numeric_limits<double>::infinity()) return x;
    int e = 0;
    if (x < std::numeric_limits<double>::min()) {
        x *= 0x1p54;
        e = -54;
    }
    const std::uint64_t bits = std::bit_cast<std::uint64_t>(x);
    e += int((bits >> 52) & 0x7ff) - 1022;
    double m = std::bit_cast<double>((bits & 0x000fffffffffffffull) | 0x3fe0000000000000ull); // [0.5, 1)
    if (m < 0.70710678118654752440) {
        m *= 2;
        e -= 1;
    }
    const double s = (m - 1) / (m + 1), s2 = s * s;
    double p = 1.0 / 25;
    for (int k = 23; k >= 1; k -= 2) p = p * s2 + 1.0 / k;
    constexpr double kLn2Hi = 6.93147180369123816490e-01, kLn2Lo = 1.90821492927058770002e-10; // fdlibm's split
    return e * kLn2Hi + (2 * s * p + e * kLn2Lo);
}

// sin and cos in double, accurate for |x| up to about 1e6 (beyond, deterministic but less accurate): reduction by
// pi/2 in three parts (Cody-Waite) and fdlibm's kernel polynomials on [-pi/4, pi/4].
namespace detail {
inline double kernelSin(double x)
{
    const double z = x * x;
    const double r =
        8.33333333332248946124e-03 +
        z * (-1.98412698298579493134e-04 +
             z * (2.75573137070700676789e-06 + z * (-2.50507602534068634195e-08 + z * 1.58969099521155010221e-10)));
    return x + x * z * (-1.66666666666666324348e-01 + z * r);
}
inline double kernelCos(double x)
{
    const double z = x * x;
    const double r = z * (4.16666666666666019037e-02 +
                          z * (-1.38888888888741095749e-03 +
                               z * (2.48015872894767294178e-05 +
                                    z * (-2.75573143513906633035e-07 +
                                         z * (2.08757232129817482790e-09 + z * -1.13596475577881948265e-11)))));
    return 1.0 - 0.5 * z + z * r;
}
// x = k pi/2 + r, |r| <= pi/4; returns k mod 4.
inline int reduceHalfPi(double x, double& r)
{
    constexpr double kTwoOverPi = 6.36619772367581382433e-01;
    // fdlibm's pio2_1, pio2_2 (33 significant bits each, so k * kP1 and k * kP2 are exact for |k| < 2^20) and
    // pio2_2t, the rest of pi/2.
    constexpr double kP1 = 1.57079632673412561417e+00, kP2 = 6.07710050630396597660e-11,
                     kP3 = 2.02226624879595063154e-21;
    const double k = std::nearbyint(x * kTwoOverPi);
    r = ((x - k * kP1) - k * kP2) - k * kP3;
    return int(k - 4.0 * std::floor(k * 0.25)); // k mod 4 in double: no integer overflow for any finite x
}
} // namespace detail

inline double detSin(double x)
{
    if (!std::isfinite(x)) return std::numeric_limits<double>::quiet_NaN();
    double r = 0;
    switch (detail::reduceHalfPi(x, r)) {
    case 0:
        return detail::kernelSin(r);
    case 1:
        return detail::kernelCos(r);
    case 2:
        return -detail::kernelSin(r);
    default:
        return -detail::kernelCos(r);
    }
}

inline double detCos(double x)
{
    if (!std::isfinite(x)) return std::numeric_limits<double>::quiet_NaN();
    double r = 0;
    switch (detail::reduceHalfPi(x, r)) {
    case 0:
        return detail::kernelCos(r);
    case 1:
        return -detail::kernelSin(r);
    case 2:
        return -detail::kernelCos(r);
    default:
        return detail::kernelSin(r);
    }
}

// 10^e rounded to 12 significant digits: a log-spaced grid whose values do not depend on pow's last bit.
inline double detPow10(double e)
{
    const double v = std::pow(10.0, e);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.12g", v);
    return std::strtod(buf, nullptr);
}

// Elementwise over an Eigen array expression: a.unaryExpr(DetExp{}).
struct DetExp {
    template <typename T>
    T operator()(T x) const
    {
        return detExp(x);
    }
};
struct DetLog {
    template <typename T>
    T operator()(T x) const
    {
        return detLog(x);
    }
};
// The exact (IEEE) square root. Eigen's own float .sqrt() on AVX packets is an rsqrt approximation plus a
// Newton step (EIGEN_FAST_MATH), and rsqrtps gives different bits on Intel, AMD and emulators. On Eigen's packets it
// is sqrtps / sqrtpd, which are exact too, so an expression using it is vectorised (Adam's and RMSprop's steps) and
// gives the bits of the element-by-element evaluation (functor_traits below).
struct DetSqrt {
    template <typename T>
    T operator()(T x) const
    {
        return std::sqrt(x);
    }
#if defined(__SSE2__)
    __m128 packetOp(__m128 x) const { return _mm_sqrt_ps(x); }
    __m128d packetOp(__m128d x) const { return _mm_sqrt_pd(x); }
#endif
#if defined(__AVX__)
    __m256 packetOp(__m256 x) const { return _mm256_sqrt_ps(x); }
    __m256d packetOp(__m256d x) const { return _mm256_sqrt_pd(x); }
#endif
#if defined(__AVX512F__)
    __m512 packetOp(__m512 x) const { return _mm512_sqrt_ps(x); }
    __m512d packetOp(__m512d x) const { return _mm512_sqrt_pd(x); }
#endif
};

} // namespace l2l

namespace Eigen::internal {
template <>
struct functor_traits<l2l::DetSqrt> {
#if defined(__SSE2__)
    static constexpr bool kPackets = true; // the packetOp overloads above cover every packet type of the build
#else
    static constexpr bool kPackets = false;
#endif
    enum { Cost = 5 * NumTraits<float>::MulCost, PacketAccess = kPackets };
};
} // namespace Eigen::internal
