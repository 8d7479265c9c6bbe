#pragma once
// exp and log of floats in plain arithmetic, for the hot paths whose results must be the same on every
// machine. glibc's expf/logf are chosen at run time by CPU feature (an FMA variant or an SSE2 one), and
// Eigen's vectorised exp/log fall back to them for the elements after the last full packet; these
// functions use only +, *, floor and bit operations, so one build computes the same bits everywhere, and
// a loop over them vectorises. Both are the Cephes single-precision algorithms (S. Moshier): Cody-Waite
// range reduction and a minimax polynomial, relative error below 2 float ulps on the ranges used (tested
// against double-precision std::exp/std::log in test_detmath). Doubles (the finite-difference checks) use std::.
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace l2l {

// e^x. Above 88.72 the result is +inf, below -104 it is 0 (between, subnormals as usual); NaN stays NaN.
inline float detExp(float x)
{
    constexpr float kLog2e = 1.44269504088896341f, kC1 = 0.693359375f, kC2 = -2.12194440e-4f;
    constexpr float kHi = 88.72283935546875f, kLo = -104.0f;
    const float xc = std::fmin(std::fmax(x, kLo), kHi);
    const float n = std::floor(xc * kLog2e + 0.5f);   // x = n ln 2 + r, |r| <= ln 2 / 2, n in [-150, 128]
    const float r = (xc - n * kC1) - n * kC2;          // ln 2 = kC1 - kC2, split so that n * kC1 is exact
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    const float er = p * (r * r) + r + 1.0f;           // e^r
    // 2^n as two powers of two in the normal range, so that n = 128 and subnormal results both work.
    const float n1 = std::floor(n * 0.5f), n2 = n - n1;
    const auto pow2 = [](float k) { return std::bit_cast<float>(std::uint32_t(std::int32_t(k) + 127) << 23); };
    const float y = (er * pow2(n1)) * pow2(n2);
    if (x != x) return x;
    if (x > kHi) return std::numeric_limits<float>::infinity();
    return x < kLo ? 0.0f : y;
}

// Natural log. x = 0 gives -inf, x < 0 NaN, +inf stays +inf; subnormal x are scaled up first.
inline float detLog(float x)
{
    constexpr float kSqrtHalf = 0.707106781186547524f, kC1 = 0.693359375f, kC2 = -2.12194440e-4f;
    const bool tiny = x < std::numeric_limits<float>::min();
    const float xs = tiny ? x * 8388608.0f : x;        // * 2^23
    const std::uint32_t bits = std::bit_cast<std::uint32_t>(xs);
    float e = float(std::int32_t(bits >> 23) - 126) - (tiny ? 23.0f : 0.0f);
    float m = std::bit_cast<float>((bits & 0x007fffffu) | 0x3f000000u); // xs = m 2^e, m in [0.5, 1)
    if (m < kSqrtHalf) { e -= 1.0f; m = m + m - 1.0f; } else { m = m - 1.0f; }
    const float z = m * m;
    float p = 7.0376836292e-2f;
    p = p * m - 1.1514610310e-1f;
    p = p * m + 1.1676998740e-1f;
    p = p * m - 1.2420140846e-1f;
    p = p * m + 1.4249322787e-1f;
    p = p * m - 1.6668057665e-1f;
    p = p * m + 2.0000714765e-1f;
    p = p * m - 2.4999993993e-1f;
    p = p * m + 3.3333331174e-1f;
    float y = p * m * z;
    y += kC2 * e;
    y -= 0.5f * z;
    const float result = (m + y) + kC1 * e;
    if (!(x > 0)) return x == 0 ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::quiet_NaN();
    return x == std::numeric_limits<float>::infinity() ? x : result;
}

inline double detExp(double x) { return std::exp(x); }
inline double detLog(double x) { return std::log(x); }

// Elementwise over an Eigen array expression: a.unaryExpr(DetExp{}).
struct DetExp {
    template <typename T> T operator()(T x) const { return detExp(x); }
};
struct DetLog {
    template <typename T> T operator()(T x) const { return detLog(x); }
};

} // namespace l2l
