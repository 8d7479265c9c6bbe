#pragma once
// detExp (base/DetMath.h) with a constant added, e^x + c, as GCC compiles it where an expression adds a constant to
// its result (read from GCC's code for the ELU's e^z - 1 in nn/LstmCell.cpp and the sigmoid's 1 + e^-z in nn/Mlp.cpp):
// the multiply-adds it fuses inside detExp, and the addition fused into exp's last product, fma(er 2^n1, 2^n2, c).
// For x in [kLo, kHi] only: the callers handle NaN and the lanes outside (their values there are unspecified; no
// trap, exceptions being masked). 8 lanes at a time and one, with the same operations, so a loop over them gives the
// bits of the scalar expression (test_detmath compares both uses with their Eigen expressions across the float range).
#include "base/DetMath.h"

#if defined(__FMA__) && defined(__AVX2__)
#include <immintrin.h>

#include <bit>
#include <cmath>
#include <cstdint>

namespace l2l::detexp {

inline float expPlusOne(float x, float c)
{
    const auto pow2 = [](float k) { return std::bit_cast<float>(std::uint32_t(std::int32_t(k) + 127) << 23); };
    const float n = std::floor(std::fma(x, kLog2e, 0.5f));
    const float r = std::fma(n, -kC2, std::fma(-n, kC1, x)); // -kC2 is exact
    float p = kPoly[0];
    for (int k = 1; k < 6; ++k) p = std::fma(p, r, kPoly[k]);
    const float er = std::fma(p, r * r, r) + 1.0f;
    const float n1 = std::floor(n * 0.5f), n2 = n - n1;
    return std::fma(er * pow2(n1), pow2(n2), c);
}

inline __m256 expPlus8(__m256 x, __m256 c)
{
    const auto pow2 = [](__m256 k) {
        return _mm256_castsi256_ps(
            _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(k), _mm256_set1_epi32(127)), 23));
    };
    const __m256 half = _mm256_set1_ps(0.5f);
    const __m256 n = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(kLog2e), half));
    const __m256 r = _mm256_fmadd_ps(n, _mm256_set1_ps(-kC2), _mm256_fnmadd_ps(n, _mm256_set1_ps(kC1), x));
    __m256 p = _mm256_set1_ps(kPoly[0]);
    for (int k = 1; k < 6; ++k) p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kPoly[k]));
    const __m256 er = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
    const __m256 n1 = _mm256_floor_ps(_mm256_mul_ps(n, half)), n2 = _mm256_sub_ps(n, n1);
    return _mm256_fmadd_ps(_mm256_mul_ps(er, pow2(n1)), pow2(n2), c);
}

} // namespace l2l::detexp
#endif
