#pragma once
// A small, fully specified random number generator (SplitMix64). Unlike the std:: distributions its
// output is identical on every platform and standard library, so a seed names the same numbers forever.
#include "base/DetMath.h"
#include <cmath>
#include <cstdint>

namespace l2l {

// Mixes any number of 64-bit words into one seed: used to derive independent streams,
// e.g. deriveSeed(seed, runIndex, domain) for evaluation instances.
inline std::uint64_t mix64(std::uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
inline std::uint64_t deriveSeed(std::uint64_t a, std::uint64_t b, std::uint64_t c = 0)
{
    return mix64(mix64(mix64(a + 0x9e3779b97f4a7c15ULL) ^ (b + 0x632be59bd9b4e019ULL)) ^ (c + 0x2545f4914f6cdd1dULL));
}

class Rng {
public:
    explicit Rng(std::uint64_t seed) : m_state(seed) {}
    std::uint64_t next()
    {
        m_state += 0x9e3779b97f4a7c15ULL;
        return mix64(m_state);
    }
    // Uniform in [0, 1) with 53 random bits.
    double uniform() { return double(next() >> 11) * (1.0 / 9007199254740992.0); }
    // Uniform integer in [0, n).
    std::uint64_t below(std::uint64_t n) { return std::uint64_t(uniform() * double(n)); }
    // Standard normal by Box-Muller (the second value is cached).
    double normal()
    {
        if (m_hasSpare) {
            m_hasSpare = false;
            return m_spare;
        }
        double u1 = uniform(), u2 = uniform();
        if (u1 < 1e-300) u1 = 1e-300;
        const double r = std::sqrt(-2.0 * detLogD(u1));
        m_spare = r * detSin(2.0 * M_PI * u2);
        m_hasSpare = true;
        return r * detCos(2.0 * M_PI * u2);
    }

private:
    std::uint64_t m_state;
    double m_spare = 0.0;
    bool m_hasSpare = false;
};

} // namespace l2l
