#include "optimizers/LstmNet.h"

#include "base/DetMath.h"

#include "base/Rng.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#if defined(__FMA__) && defined(__AVX2__)
#include <immintrin.h>
#endif

namespace l2l {

const EnumNames<Preprocess>& preprocessNames()
{
    static const EnumNames<Preprocess> names{
        "preprocessing",
        {{Preprocess::None, "none"}, {Preprocess::LogSign, "log-sign"}, {Preprocess::Rnnprop, "rnnprop"}}};
    return names;
}

const EnumNames<OutputActivation>& outputActivationNames()
{
    static const EnumNames<OutputActivation> names{
        "output activation", {{OutputActivation::Linear, "linear"}, {OutputActivation::Tanh, "tanh"}}};
    return names;
}

std::string preprocessName(Preprocess p) { return preprocessNames().name(p); }
Preprocess preprocessFromName(const std::string& name) { return preprocessNames().value(name); }

Index LstmArch::paramCount() const
{
    Index n = inputLayerParams();
    for (int l = 0; l < layers; ++l) {
        const int in = l == 0 ? lstmInputSize() : hidden;
        n += Index(4) * hidden * (in + hidden) + 4 * hidden;
    }
    return n + hidden + 1;
}

const SettingsTable<LstmArch>& lstmArchSettings()
{
    using A = LstmArch;
    static const SettingsTable<A> table = [] {
        SettingsTable<A> t{"lstm", {}};
        const unsigned use = kInFile | kInCli | kInForm; // the studio's Meta-train form too
        t.fields.push_back(intSetting<A>(
            "layers", "layers", "LSTM layers", "LSTM layers", 1, 4, [](auto& a) -> auto& { return a.layers; }, 1, use));
        t.fields.push_back(intSetting<A>(
            "hidden", "hidden", "Hidden units", "units per LSTM layer", 1, 256,
            [](auto& a) -> auto& { return a.hidden; }, 1, use));
        t.fields.push_back(enumSetting<A>(
            "preprocess", "preprocess", "Preprocessing",
            "gradient preprocessing: none, log-sign (the paper's Appendix A) or rnnprop (Lv et al. 2017: g and Adam's "
            "m_hat over sqrt(v_hat), beta1 = beta2 = 0.95)",
            preprocessNames(), [](auto& a) -> auto& { return a.preprocess; }, 1, use));
        t.fields.push_back(realSetting<A>(
            "p", "p", "Preprocessing p", "preprocessing constant p", 1, 50, false, [](auto& a) -> auto& { return a.p; },
            1, use));
        t.fields.push_back(realSetting<A>(
            "output_scale", "scale", "Output scale", "constant output scale", 0, 100, true,
            [](auto& a) -> auto& { return a.outputScale; }, 1, use));
        t.fields.push_back(intSetting<A>(
            "input_layer", "input-layer", "Input layer",
            "units of a fully connected ELU layer between the preprocessed inputs and the LSTM (RNNprop: 20; 0 = "
            "none)",
            0, 256, [](auto& a) -> auto& { return a.inputLayer; }, 4, use));
        t.fields.push_back(enumSetting<A>(
            "output_activation", "output-activation", "Output",
            "the update: linear, scale (w.h + b) (the paper), or tanh, scale tanh(w.h + b) (RNNprop: no step "
            "longer than the scale)",
            outputActivationNames(), [](auto& a) -> auto& { return a.output; }, 4, use));
        t.fields.push_back(intSetting<A>(
            "gac", "gac", "Global averaging cells",
            "LSTM+GAC (the paper's Appendix D): the first G units of every LSTM layer are global averaging cells, "
            "their outputs averaged over all coordinates after every step, so the next step sees global information "
            "such as the gradient's norm (0 = none, the paper's LSTM; at most --hidden)",
            0, 256, [](auto& a) -> auto& { return a.gac; }, 6, use));
        return t;
    }();
    return table;
}

void LstmArch::validate() const
{
    checkSettings(lstmArchSettings(), *this, "lstm");
    validateRelations("lstm");
}

void LstmArch::validateRelations(const std::string& what) const
{
    if (gac > hidden)
        throw Error(what + ": gac (--gac) must be at most hidden (--hidden) = " + std::to_string(hidden) +
                    " (global averaging cells are units of a layer), got " + std::to_string(gac));
}

#if defined(__FMA__) && defined(__AVX2__)
namespace {
// The log-sign preprocessing of preprocessGradient in float, as GCC compiles its expression (read from its code):
// where |g| >= e^-p, (detLog(|g|) / p, sign g) with detLog's multiply-adds fused where GCC fuses them; else
// (-1, e^p g). |g| >= e^-p >= e^-50 is a normal float, so detLog's branch for subnormals is never taken here; +inf
// gives +inf / p. LogSignConstants holds p, e^-p and e^p rounded to float as the expression has them.
struct LogSignConstants {
    float p, threshold, ep;
};
using detlog::kPoly, detlog::kSqrtHalf; // detLog's constants (base/DetMath.h)

// Writes 8 columns of both rows of x from column k (x's columns are apart: the first rows of [x; h]).
inline void storeTwoRows(MatRef<float>& x, Index k, __m256 row0, __m256 row1)
{
    alignas(32) float r0[8], r1[8];
    _mm256_store_ps(r0, row0);
    _mm256_store_ps(r1, row1);
    for (int l = 0; l < 8; ++l) {
        x(0, k + l) = r0[l];
        x(1, k + l) = r1[l];
    }
}

inline void logSignOne(float g, const LogSignConstants& k, float& row0, float& row1)
{
    const float a = std::fabs(g);
    if (!(a >= k.threshold)) { // NaN too
        row0 = -1.0f;
        row1 = k.ep * g;
        return;
    }
    row1 = g > 0.0f ? 1.0f : -1.0f;
    if (a == std::numeric_limits<float>::infinity()) {
        row0 = a / k.p;
        return;
    }
    const std::uint32_t bits = std::bit_cast<std::uint32_t>(a);
    float e = float(std::int32_t(bits >> 23) - 126);
    float m = std::bit_cast<float>((bits & 0x007fffffu) | 0x3f000000u);
    if (m < kSqrtHalf) {
        e -= 1.0f;
        m = m + m - 1.0f; // 2m is exact: one rounding either way
    } else {
        m = m - 1.0f;
    }
    const float z = m * m;
    float p = kPoly[0];
    for (int i = 1; i < 9; ++i) p = std::fma(p, m, kPoly[i]);
    float y = p * m * z;
    y = std::fma(e, detlog::kC2, y);
    y = std::fma(-z, 0.5f, y);
    row0 = std::fma(e, detlog::kC1, m + y) / k.p;
}

// The same on 8 gradients.
inline void logSign8(__m256 g, const LogSignConstants& k, __m256& row0, __m256& row1)
{
    const __m256 one = _mm256_set1_ps(1.0f), a = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), g);
    const __m256 big = _mm256_cmp_ps(a, _mm256_set1_ps(k.threshold), _CMP_GE_OQ);
    const __m256i bits = _mm256_castps_si256(a);
    __m256 e = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(126)));
    __m256 m = _mm256_castsi256_ps(
        _mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi32(0x007fffff)), _mm256_set1_epi32(0x3f000000)));
    const __m256 low = _mm256_cmp_ps(m, _mm256_set1_ps(kSqrtHalf), _CMP_LT_OQ);
    e = _mm256_blendv_ps(e, _mm256_sub_ps(e, one), low);
    m = _mm256_blendv_ps(_mm256_sub_ps(m, one), _mm256_sub_ps(_mm256_add_ps(m, m), one), low);
    const __m256 z = _mm256_mul_ps(m, m);
    __m256 p = _mm256_set1_ps(kPoly[0]);
    for (int i = 1; i < 9; ++i) p = _mm256_fmadd_ps(p, m, _mm256_set1_ps(kPoly[i]));
    __m256 y = _mm256_mul_ps(_mm256_mul_ps(p, m), z);
    y = _mm256_fmadd_ps(e, _mm256_set1_ps(detlog::kC2), y);
    y = _mm256_fnmadd_ps(z, _mm256_set1_ps(0.5f), y);
    __m256 log = _mm256_fmadd_ps(e, _mm256_set1_ps(detlog::kC1), _mm256_add_ps(m, y));
    log =
        _mm256_blendv_ps(log, a, _mm256_cmp_ps(a, _mm256_set1_ps(std::numeric_limits<float>::infinity()), _CMP_EQ_OQ));
    row0 = _mm256_blendv_ps(_mm256_set1_ps(-1.0f), _mm256_div_ps(log, _mm256_set1_ps(k.p)), big);
    const __m256 sign = _mm256_blendv_ps(_mm256_set1_ps(-1.0f), one, _mm256_cmp_ps(g, _mm256_setzero_ps(), _CMP_GT_OQ));
    row1 = _mm256_blendv_ps(_mm256_mul_ps(_mm256_set1_ps(k.ep), g), sign, big);
}
} // namespace
#endif

template <typename T>
void preprocessGradient(const LstmArch& arch, const CVecRef<T>& g, MatRef<T> x)
{
    if (arch.preprocess == Preprocess::Rnnprop) throw Error("internal: RNNprop's inputs come from rnnpropInputs()");
    if (arch.preprocess == Preprocess::None) {
        x.row(0) = g.transpose();
        return;
    }
    const T p = T(arch.p), threshold = T(std::exp(-arch.p)), ep = T(std::exp(arch.p));
#if defined(__FMA__) && defined(__AVX2__)
    if constexpr (std::is_same_v<T, float>) { // 8 gradients at a time (logSign8), the same bits
        const LogSignConstants k{p, threshold, ep};
        const Index n = g.size();
        Index i = 0;
        for (; i + 8 <= n; i += 8) {
            __m256 v0, v1;
            logSign8(_mm256_loadu_ps(g.data() + i), k, v0, v1);
            storeTwoRows(x, i, v0, v1);
        }
        for (; i < n; ++i) logSignOne(g(i), k, x(0, i), x(1, i));
        return;
    }
#endif
    const auto a = g.array().abs().transpose();
    const auto big = a >= threshold;
    // (log|g|/p, sgn g) where |g| >= e^-p, else (-1, e^p g); vectorised with select.
    x.row(0) = big.select(a.max(threshold).unaryExpr(DetLog{}) / p, T(-1));
    x.row(1) = big.select((g.array() > T(0)).template cast<T>().transpose() * T(2) - T(1), ep * g.array().transpose());
}

template <typename T>
void rnnpropInputs(const CVecRef<T>& g, VecRef<T> m, VecRef<T> v, int t, MatRef<T> x)
{
    const T b1 = T(kRnnpropBeta1), b2 = T(kRnnpropBeta2), eps = T(kRnnpropEpsilon);
    // The bias corrections 1 / (1 - beta^t), in double and then rounded once.
    const T c1 = T(1.0 / (1.0 - std::pow(kRnnpropBeta1, t))), c2 = T(1.0 / (1.0 - std::pow(kRnnpropBeta2, t)));
    Index k = 0;
#if defined(__FMA__) && defined(__AVX2__)
    if constexpr (std::is_same_v<T, float>) {
        // 8 coordinates at a time with the operations GCC makes of the loop below (read from its code): the moments
        // as fma(m, b1, g (1 - b1)) and fma(v, b2, (g g) (1 - b2)), the rest in the order written (sqrtps is exact).
        const __m256 vb1 = _mm256_set1_ps(b1), vb2 = _mm256_set1_ps(b2), vo1 = _mm256_set1_ps(T(1) - b1),
                     vo2 = _mm256_set1_ps(T(1) - b2), vc1 = _mm256_set1_ps(c1), vc2 = _mm256_set1_ps(c2),
                     veps = _mm256_set1_ps(eps);
        for (; k + 8 <= g.size(); k += 8) {
            const __m256 gk = _mm256_loadu_ps(g.data() + k);
            const __m256 mk = _mm256_fmadd_ps(_mm256_loadu_ps(m.data() + k), vb1, _mm256_mul_ps(gk, vo1));
            const __m256 vk =
                _mm256_fmadd_ps(_mm256_loadu_ps(v.data() + k), vb2, _mm256_mul_ps(_mm256_mul_ps(gk, gk), vo2));
            _mm256_storeu_ps(m.data() + k, mk);
            _mm256_storeu_ps(v.data() + k, vk);
            const __m256 s = _mm256_add_ps(_mm256_sqrt_ps(_mm256_mul_ps(vk, vc2)), veps);
            storeTwoRows(x, k, _mm256_div_ps(gk, s), _mm256_div_ps(_mm256_mul_ps(mk, vc1), s));
        }
        for (; k < g.size(); ++k) { // the tail with the same operations written out
            const float gk = g(k);
            m(k) = std::fma(m(k), b1, gk * (T(1) - b1));
            v(k) = std::fma(v(k), b2, (gk * gk) * (T(1) - b2));
            const float s = std::sqrt(v(k) * c2) + eps;
            x(0, k) = gk / s;
            x(1, k) = (m(k) * c1) / s;
        }
        return;
    }
#endif
    for (; k < g.size(); ++k) {
        const T gk = g(k);
        m(k) = b1 * m(k) + (T(1) - b1) * gk;
        v(k) = b2 * v(k) + (T(1) - b2) * (gk * gk);
        const T s = std::sqrt(v(k) * c2) + eps;
        x(0, k) = gk / s;
        x(1, k) = (m(k) * c1) / s;
    }
}

template <typename T>
void preprocessDerivative(const LstmArch& arch, const CVecRef<T>& g, MatRef<T> dxdg)
{
    if (arch.preprocess == Preprocess::Rnnprop)
        throw Error("RNNprop's inputs depend on the history of the gradients: second derivatives are not supported");
    if (arch.preprocess == Preprocess::None) {
        dxdg.setOnes();
        return;
    }
    const T p = T(arch.p), threshold = T(std::exp(-arch.p)), ep = T(std::exp(arch.p));
    for (Index k = 0; k < g.size(); ++k) {
        if (std::abs(g(k)) >= threshold) {
            dxdg(0, k) = T(1) / (p * g(k)); // d log|g| / dg = 1/g
            dxdg(1, k) = T(0);
        } else {
            dxdg(0, k) = T(0);
            dxdg(1, k) = ep;
        }
    }
}

template <typename T>
LstmNet<T> LstmNet<T>::init(const LstmArch& arch, std::uint64_t seed, int nets)
{
    arch.validate();
    if (nets < 1 || nets > kMaxLstmNets)
        throw Error("LSTM optimizer: nets must be in [1, " + std::to_string(kMaxLstmNets) + "], got " +
                    std::to_string(nets));
    LstmNet net{arch, Vec<T>::Zero(nets * arch.paramCount()), nets};
    Rng rng(seed);
    const double bound = 1.0 / std::sqrt(double(arch.hidden));
    for (int n = 0; n < nets; ++n) {
        const Index base = net.netOffset(n);
        // The input layer (if any): uniform(-1/sqrt(I), 1/sqrt(I)) weights, zero biases; drawn first, so that a
        // net without one draws exactly what it always did.
        const double inBound = 1.0 / std::sqrt(double(arch.inputSize()));
        for (Index k = 0; k < Index(arch.inputLayer) * arch.inputSize(); ++k)
            net.params(base + k) = T(inBound * (2 * rng.uniform() - 1));
        for (int l = 0; l < arch.layers; ++l) {
            const auto o = net.offsets(l);
            for (Index k = o.wx; k < o.b; ++k) net.params(base + k) = T(bound * (2 * rng.uniform() - 1));
            for (int r = 0; r < arch.hidden; ++r) net.params(base + o.b + arch.hidden + r) = T(1); // forget gate
        }
        for (int r = 0; r < arch.hidden; ++r) net.params(base + net.outOffset() + r) = T(0.01 * rng.normal());
    }
    return net;
}

template <typename T>
typename LstmNet<T>::LayerOffsets LstmNet<T>::offsets(int layer) const
{
    const Index H = arch.hidden;
    Index off = arch.inputLayerParams();
    for (int l = 0;; ++l) {
        const int in = l == 0 ? arch.lstmInputSize() : arch.hidden;
        const LayerOffsets o{off, off + 4 * H * in, off + 4 * H * (in + H), in};
        if (l == layer) return o;
        off = o.b + 4 * H;
    }
}

template <typename T>
Index LstmNet<T>::outOffset() const
{
    return arch.paramCount() - arch.hidden - 1;
}

template <typename T>
void LstmState<T>::reset(const LstmArch& arch, Index n)
{
    h.assign(size_t(arch.layers), Mat<T>::Zero(arch.hidden, n));
    c.assign(size_t(arch.layers), Mat<T>::Zero(arch.hidden, n));
    m.setZero(arch.hasMoments() ? n : 0);
    v.setZero(arch.hasMoments() ? n : 0);
    t = 0;
}

template struct LstmNet<float>;
template struct LstmNet<double>;
template struct LstmState<float>;
template struct LstmState<double>;
template void preprocessGradient<float>(const LstmArch&, const CVecRef<float>&, MatRef<float>);
template void preprocessGradient<double>(const LstmArch&, const CVecRef<double>&, MatRef<double>);
template void rnnpropInputs<float>(const CVecRef<float>&, VecRef<float>, VecRef<float>, int, MatRef<float>);
template void rnnpropInputs<double>(const CVecRef<double>&, VecRef<double>, VecRef<double>, int, MatRef<double>);
template void preprocessDerivative<float>(const LstmArch&, const CVecRef<float>&, MatRef<float>);
template void preprocessDerivative<double>(const LstmArch&, const CVecRef<double>&, MatRef<double>);

} // namespace l2l
