#include "nn/LstmCell.h"

#include "base/DetMath.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>
#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace l2l {

template <typename T>
using Flat = Eigen::Array<T, Eigen::Dynamic, 1>;

template <typename T>
void tanhInto(const CMatRef<T>& in, MatRef<T> out)
{
    if (in.outerStride() == in.rows() && out.outerStride() == out.rows())
        Eigen::Map<Flat<T>>(out.data(), out.size()) = Eigen::Map<const Flat<T>>(in.data(), in.size()).tanh();
    else
        out = in.array().tanh();
}

template <typename T>
void eluInPlace(MatRef<T> z)
{
    z = (z.array() > T(0)).select(z.array(), z.array().unaryExpr(DetExp{}) - T(1)).matrix();
}

#if defined(__FMA__) && defined(__AVX2__)
namespace {
constexpr float kEluLog2e = 1.44269504088896341f, kEluC1 = 0.693359375f, kEluMinusC2 = 2.12194440e-4f, kEluLo = -104.0f;
constexpr float kEluP[6] = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f,
                            4.1665795894e-2f, 1.6666665459e-1f, 0.5f};

inline float eluOne(float x)
{
    const auto pow2 = [](float k) { return std::bit_cast<float>(std::uint32_t(std::int32_t(k) + 127) << 23); };
    const float n = std::floor(std::fma(x, kEluLog2e, 0.5f));
    const float r = std::fma(n, kEluMinusC2, std::fma(-n, kEluC1, x));
    float p = kEluP[0];
    for (int k = 1; k < 6; ++k) p = std::fma(p, r, kEluP[k]);
    const float er = std::fma(p, r * r, r) + 1.0f;
    const float n1 = std::floor(n * 0.5f), n2 = n - n1;
    if (x > 0.0f) return x;
    if (x != x) return x - 1.0f;
    return x < kEluLo ? -1.0f : std::fma(er * pow2(n1), pow2(n2), -1.0f);
}

inline __m256 eluPacket(__m256 x)
{
    const auto pow2 = [](__m256 k) {
        return _mm256_castsi256_ps(
            _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(k), _mm256_set1_epi32(127)), 23));
    };
    const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
    const __m256 n = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(kEluLog2e), half));
    const __m256 r = _mm256_fmadd_ps(n, _mm256_set1_ps(kEluMinusC2), _mm256_fnmadd_ps(n, _mm256_set1_ps(kEluC1), x));
    __m256 p = _mm256_set1_ps(kEluP[0]);
    for (int k = 1; k < 6; ++k) p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kEluP[k]));
    const __m256 er = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), one);
    const __m256 n1 = _mm256_floor_ps(_mm256_mul_ps(n, half)), n2 = _mm256_sub_ps(n, n1);
    const __m256 em1 = _mm256_fmadd_ps(_mm256_mul_ps(er, pow2(n1)), pow2(n2), _mm256_set1_ps(-1.0f));
    __m256 y = _mm256_blendv_ps(em1, _mm256_set1_ps(-1.0f), _mm256_cmp_ps(x, _mm256_set1_ps(kEluLo), _CMP_LT_OQ));
    y = _mm256_blendv_ps(y, _mm256_sub_ps(x, one), _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
    return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ));
}
} // namespace

// In float with AVX2 and FMA in the build: the operations GCC makes of the expression above (read from its code:
// detExp of base/DetMath.h with the multiply-adds it fuses, and the final - 1 fused into the last product), written
// out with explicit fused multiply-adds, 8 lanes at a time and the same per element in the tail: the same bits.
// Where z <= 0, fmin and fmax leave z as it is (z >= -104 there; below, the result is -1; NaN gives NaN - 1); the
// lanes outside [-104, 0] compute values that are not used (no trap: exceptions are masked). test_detmath compares
// the two on floats across the whole range.
template <>
void eluInPlace<float>(MatRef<float> z)
{
    for (Index j = 0; j < z.cols(); ++j) {
        float* v = z.col(j).data();
        Index i = 0;
        for (; i + 8 <= z.rows(); i += 8) _mm256_storeu_ps(v + i, eluPacket(_mm256_loadu_ps(v + i)));
        for (; i < z.rows(); ++i) v[i] = eluOne(v[i]);
    }
}
#endif

template <typename T>
void timesOutputGate(const CMatRef<T>& tc, const CMatRef<T>& gates, MatRef<T> h)
{
    const Index H = h.rows();
    for (Index j = 0; j < h.cols(); ++j) {
        const T* t = tc.col(j).data(); // may be h itself
        const T* __restrict o = gates.col(j).data() + 3 * H;
        T* hj = h.col(j).data();
        for (Index r = 0; r < H; ++r) hj[r] = t[r] * o[r];
    }
}

template <typename T>
void halveSigmoidRows(MatRef<T> w, VecRef<T> b)
{
    const Index H = b.size() / 4;
    w.topRows(2 * H) *= T(0.5);
    w.bottomRows(H) *= T(0.5);
    b.head(2 * H) *= T(0.5);
    b.tail(H) *= T(0.5);
}

template <typename T>
void lstmCellForwardPrescaled(const CMatRef<T>& wHalf, const CVecRef<T>& bHalf, const CMatRef<T>& in,
                              const CMatRef<T>& cPrev, MatRef<T> gates, MatRef<T> c, MatRef<T> h)
{
    const Index H = c.rows();
    gates.colwise() = bHalf;
    gates.noalias() += wHalf * in;
    // One pass per column over its 4H rows while the column is in L1 (a whole-matrix tanh and then Eigen's
    // expressions on 20-row slices made four passes over the gates), the same arithmetic per element:
    // i, f, o = (1 + tanh(z/2)) / 2 = sigm(z), c = f c_prev + i g. A column of 4H = 80 floats is whole packets.
    for (Index j = 0; j < gates.cols(); ++j) {
        T* __restrict gi = gates.col(j).data();
        Eigen::Map<Flat<T>> z(gi, 4 * H);
        z = z.tanh();
        T* __restrict gf = gi + H;
        const T* __restrict gg = gi + 2 * H;
        T* __restrict go = gi + 3 * H;
        const T* cp = cPrev.col(j).data(); // may be c itself (updated in place)
        T* cj = c.col(j).data();
        Index r = 0;
#if defined(__FMA__) && defined(__AVX2__)
        // GCC leaves the loop below scalar (cp may be cj); in float, 8 and then 4 rows at a time with the fused
        // multiply-adds GCC makes of it there: i = fma(0.5, z_i, 0.5) (f, o alike) and c = fma(i, g, f c_prev).
        if constexpr (std::is_same_v<T, float>) {
            const __m256 half = _mm256_set1_ps(0.5f);
            for (; r + 8 <= H; r += 8) {
                const __m256 i = _mm256_fmadd_ps(half, _mm256_loadu_ps(gi + r), half);
                const __m256 f = _mm256_fmadd_ps(half, _mm256_loadu_ps(gf + r), half);
                _mm256_storeu_ps(gi + r, i);
                _mm256_storeu_ps(gf + r, f);
                _mm256_storeu_ps(go + r, _mm256_fmadd_ps(half, _mm256_loadu_ps(go + r), half));
                const __m256 fc = _mm256_mul_ps(f, _mm256_loadu_ps(cp + r));
                _mm256_storeu_ps(cj + r, _mm256_fmadd_ps(i, _mm256_loadu_ps(gg + r), fc));
            }
            const __m128 half4 = _mm_set1_ps(0.5f);
            for (; r + 4 <= H; r += 4) {
                const __m128 i = _mm_fmadd_ps(half4, _mm_loadu_ps(gi + r), half4);
                const __m128 f = _mm_fmadd_ps(half4, _mm_loadu_ps(gf + r), half4);
                _mm_storeu_ps(gi + r, i);
                _mm_storeu_ps(gf + r, f);
                _mm_storeu_ps(go + r, _mm_fmadd_ps(half4, _mm_loadu_ps(go + r), half4));
                const __m128 fc = _mm_mul_ps(f, _mm_loadu_ps(cp + r));
                _mm_storeu_ps(cj + r, _mm_fmadd_ps(i, _mm_loadu_ps(gg + r), fc));
            }
        }
#endif
        for (; r < H; ++r) {
            const T i = T(0.5) * gi[r] + T(0.5), f = T(0.5) * gf[r] + T(0.5);
            gi[r] = i;
            gf[r] = f;
            go[r] = T(0.5) * go[r] + T(0.5);
            // Written i g + f c_prev: with FMA contraction (GCC's default) the compiler makes fma(i, g, f c_prev)
            // of it, as it did of Eigen's f * c_prev + i * g; the other order changes the last bit (the
            // fingerprints of resources/fingerprints/ catch it).
            cj[r] = i * gg[r] + f * cp[r];
        }
    }
    // tanh(c) over the whole block as one flat array (a 20-row column would leave a scalar tail), then h = o tanh(c).
    tanhInto<T>(c, h);
    timesOutputGate<T>(h, gates, h);
}

template <typename T>
void lstmCellForward(const CMatRef<T>& w, const CVecRef<T>& b, const CMatRef<T>& in, const CMatRef<T>& cPrev,
                     MatRef<T> gates, MatRef<T> c, MatRef<T> h)
{
    Mat<T> wHalf = w;
    Vec<T> bHalf = b;
    halveSigmoidRows<T>(wHalf, bHalf);
    lstmCellForwardPrescaled<T>(wHalf, bHalf, in, cPrev, gates, c, h);
}

template <typename T>
void lstmCellBackward(const CMatRef<T>& w, const CMatRef<T>& in, const CMatRef<T>& cPrev, const CMatRef<T>& gates,
                      const CMatRef<T>& tc, const CMatRef<T>& dh, MatRef<T> dc, MatRef<T> din, MatRef<T> dW,
                      VecRef<T> db, Mat<T>& dz)
{
    const Index H = tc.rows();
    dz.resize(4 * H, tc.cols());
    // One pass per column over the H rows of every operand (Eigen's block expressions on 20-row slices made
    // six passes, each with a scalar tail). Every element's arithmetic is the same expression as before:
    //   dc_total = dc_next + dh * o * (1 - tanh(c)^2)
    //   dz_i = dc_total g i (1 - i), dz_f = dc_total c_prev f (1 - f), dz_g = dc_total i (1 - g^2),
    //   dz_o = dh tanh(c) o (1 - o), and dc becomes dL/dc_prev = dc_total f.
    for (Index j = 0; j < tc.cols(); ++j) {
        const T* __restrict gi = gates.col(j).data();
        const T* __restrict gf = gi + H;
        const T* __restrict gg = gi + 2 * H;
        const T* __restrict go = gi + 3 * H;
        const T* __restrict tcj = tc.col(j).data();
        const T* __restrict dhj = dh.col(j).data();
        const T* __restrict cp = cPrev.col(j).data();
        T* __restrict dcj = dc.col(j).data();
        T* __restrict zi = dz.col(j).data();
        T* __restrict zf = zi + H;
        T* __restrict zg = zi + 2 * H;
        T* __restrict zo = zi + 3 * H;
        Index r = 0;
#if defined(__FMA__) && defined(__AVX2__)
        // GCC leaves the loop below scalar; in float, 8 and then 4 rows at a time with the operations GCC makes of
        // it there (read from its code): 1 - t^2 and 1 - g^2 fused (fma(-t, t, 1)), d = fma(dh o, 1 - t^2, dc),
        // every other product in the order written.
        if constexpr (std::is_same_v<T, float>) {
            const auto rows = [&](auto load, auto store, auto mul, auto sub, auto fmadd, auto fnmadd, auto one,
                                  Index width) {
                for (; r + width <= H; r += width) {
                    const auto t = load(tcj + r), dhr = load(dhj + r), o = load(go + r), i = load(gi + r);
                    const auto f = load(gf + r), g = load(gg + r);
                    const auto d = fmadd(mul(dhr, o), fnmadd(t, t, one), load(dcj + r));
                    store(zi + r, mul(mul(mul(d, g), i), sub(one, i)));
                    store(zf + r, mul(mul(mul(d, load(cp + r)), f), sub(one, f)));
                    store(zg + r, mul(mul(d, i), fnmadd(g, g, one)));
                    store(zo + r, mul(mul(mul(dhr, t), o), sub(one, o)));
                    store(dcj + r, mul(d, f));
                }
            };
            rows([](const float* a) { return _mm256_loadu_ps(a); }, [](float* a, __m256 v) { _mm256_storeu_ps(a, v); },
                 _mm256_mul_ps, _mm256_sub_ps, _mm256_fmadd_ps, _mm256_fnmadd_ps, _mm256_set1_ps(1.0f), 8);
            rows([](const float* a) { return _mm_loadu_ps(a); }, [](float* a, __m128 v) { _mm_storeu_ps(a, v); },
                 _mm_mul_ps, _mm_sub_ps, _mm_fmadd_ps, _mm_fnmadd_ps, _mm_set1_ps(1.0f), 4);
        }
#endif
        for (; r < H; ++r) {
            const T d = dcj[r] + dhj[r] * go[r] * (T(1) - tcj[r] * tcj[r]);
            zi[r] = d * gg[r] * gi[r] * (T(1) - gi[r]);
            zf[r] = d * cp[r] * gf[r] * (T(1) - gf[r]);
            zg[r] = d * gi[r] * (T(1) - gg[r] * gg[r]);
            zo[r] = dhj[r] * tcj[r] * go[r] * (T(1) - go[r]);
            dcj[r] = d * gf[r];
        }
    }
    dW.noalias() += dz * in.transpose();
    db += dz.rowwise().sum();
    din.noalias() = w.transpose() * dz;
}

#define L2L_INSTANTIATE(T)                                                                                             \
    template void lstmCellForward<T>(const CMatRef<T>&, const CVecRef<T>&, const CMatRef<T>&, const CMatRef<T>&,       \
                                     MatRef<T>, MatRef<T>, MatRef<T>);                                                 \
    template void lstmCellForwardPrescaled<T>(const CMatRef<T>&, const CVecRef<T>&, const CMatRef<T>&,                 \
                                              const CMatRef<T>&, MatRef<T>, MatRef<T>, MatRef<T>);                     \
    template void halveSigmoidRows<T>(MatRef<T>, VecRef<T>);                                                           \
    template void timesOutputGate<T>(const CMatRef<T>&, const CMatRef<T>&, MatRef<T>);                                 \
    template void tanhInto<T>(const CMatRef<T>&, MatRef<T>);                                                           \
    template void eluInPlace<T>(MatRef<T>);                                                                            \
    template void lstmCellBackward<T>(const CMatRef<T>&, const CMatRef<T>&, const CMatRef<T>&, const CMatRef<T>&,      \
                                      const CMatRef<T>&, const CMatRef<T>&, MatRef<T>, MatRef<T>, MatRef<T>,           \
                                      VecRef<T>, Mat<T>&);
L2L_INSTANTIATE(float)
L2L_INSTANTIATE(double)
#undef L2L_INSTANTIATE

} // namespace l2l
