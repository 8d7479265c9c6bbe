#include "nn/LstmCell.h"

#include "base/DetMath.h"
#include "nn/DetExpLanes.h"

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
inline float eluOne(float x)
{
    if (x > 0.0f) return x;
    if (x != x) return x - 1.0f;
    return x < detexp::kLo ? -1.0f : detexp::expPlusOne(x, -1.0f);
}

inline __m256 eluPacket(__m256 x)
{
    const __m256 em1 = detexp::expPlus8(x, _mm256_set1_ps(-1.0f));
    __m256 y = _mm256_blendv_ps(em1, _mm256_set1_ps(-1.0f), _mm256_cmp_ps(x, _mm256_set1_ps(detexp::kLo), _CMP_LT_OQ));
    y = _mm256_blendv_ps(y, _mm256_sub_ps(x, _mm256_set1_ps(1.0f)), _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
    return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ));
}
} // namespace

// In float with AVX2 and FMA in the build: the operations GCC makes of the expression above (read from its code:
// detExp of base/DetMath.h with the multiply-adds it fuses, and the final - 1 fused into the last product; the shared
// part is nn/DetExpLanes.h), 8 lanes at a time and the same per element in the tail: the same bits.
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

#if defined(__FMA__) && defined(__AVX2__)
namespace {
// 8 and 4 float lanes for the cell's elementwise loops below: each loop is one template, run with 8 and then 4
// lanes before the scalar rows that are left.
struct Lanes8 {
    using V = __m256;
    static constexpr Index width = 8;
    static V load(const float* p) { return _mm256_loadu_ps(p); }
    static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
    static V set(float x) { return _mm256_set1_ps(x); }
    static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
    static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
    static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }   // a b + c, rounded once
    static V fnmadd(V a, V b, V c) { return _mm256_fnmadd_ps(a, b, c); } // c - a b, rounded once
};
struct Lanes4 {
    using V = __m128;
    static constexpr Index width = 4;
    static V load(const float* p) { return _mm_loadu_ps(p); }
    static void store(float* p, V v) { _mm_storeu_ps(p, v); }
    static V set(float x) { return _mm_set1_ps(x); }
    static V mul(V a, V b) { return _mm_mul_ps(a, b); }
    static V sub(V a, V b) { return _mm_sub_ps(a, b); }
    static V fmadd(V a, V b, V c) { return _mm_fmadd_ps(a, b, c); }
    static V fnmadd(V a, V b, V c) { return _mm_fnmadd_ps(a, b, c); }
};

// The forward cell's rows from r on, L::width at a time (r advances past the last whole group). GCC leaves the
// scalar loop of lstmCellForwardPrescaled scalar (c_prev may be c); these are the fused multiply-adds it makes of it
// there: i = fma(0.5, z_i, 0.5) (f and o alike) and c = fma(i, g, f c_prev).
template <typename L>
void gateFinishRows(Index& r, Index H, float* gi, float* gf, const float* gg, float* go, const float* cp, float* cj)
{
    const auto half = L::set(0.5f);
    for (; r + L::width <= H; r += L::width) {
        const auto i = L::fmadd(half, L::load(gi + r), half), f = L::fmadd(half, L::load(gf + r), half);
        L::store(gi + r, i);
        L::store(gf + r, f);
        L::store(go + r, L::fmadd(half, L::load(go + r), half));
        L::store(cj + r, L::fmadd(i, L::load(gg + r), L::mul(f, L::load(cp + r))));
    }
}

// The backward cell's elementwise rows from r on, the same way: the operations GCC makes of the scalar loop of
// lstmCellBackward (read from its code): 1 - t^2 and 1 - g^2 fused (fma(-t, t, 1)), d = fma(dh o, 1 - t^2, dc),
// every other product in the order written.
template <typename L>
void cellBackwardRows(Index& r, Index H, const float* gi, const float* gf, const float* gg, const float* go,
                      const float* tc, const float* dh, const float* cp, float* dc, float* zi, float* zf, float* zg,
                      float* zo)
{
    const auto one = L::set(1.0f);
    for (; r + L::width <= H; r += L::width) {
        const auto t = L::load(tc + r), dhr = L::load(dh + r), o = L::load(go + r), i = L::load(gi + r);
        const auto f = L::load(gf + r), g = L::load(gg + r);
        const auto d = L::fmadd(L::mul(dhr, o), L::fnmadd(t, t, one), L::load(dc + r));
        L::store(zi + r, L::mul(L::mul(L::mul(d, g), i), L::sub(one, i)));
        L::store(zf + r, L::mul(L::mul(L::mul(d, L::load(cp + r)), f), L::sub(one, f)));
        L::store(zg + r, L::mul(L::mul(d, i), L::fnmadd(g, g, one)));
        L::store(zo + r, L::mul(L::mul(L::mul(dhr, t), o), L::sub(one, o)));
        L::store(dc + r, L::mul(d, f));
    }
}
} // namespace
#endif

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
        // In float, 8 and then 4 rows at a time with the arithmetic of the loop below (gateFinishRows).
        if constexpr (std::is_same_v<T, float>) {
            gateFinishRows<Lanes8>(r, H, gi, gf, gg, go, cp, cj);
            gateFinishRows<Lanes4>(r, H, gi, gf, gg, go, cp, cj);
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
        // In float, 8 and then 4 rows at a time with the arithmetic of the loop below (cellBackwardRows).
        if constexpr (std::is_same_v<T, float>) {
            cellBackwardRows<Lanes8>(r, H, gi, gf, gg, go, tcj, dhj, cp, dcj, zi, zf, zg, zo);
            cellBackwardRows<Lanes4>(r, H, gi, gf, gg, go, tcj, dhj, cp, dcj, zi, zf, zg, zo);
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
