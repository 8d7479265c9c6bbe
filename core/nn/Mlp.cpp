#include "nn/Mlp.h"

#include "base/DetMath.h"
#include "nn/DetExpLanes.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>

namespace l2l {

Activation activationFromName(const std::string& name)
{
    if (name == "sigmoid") return Activation::Sigmoid;
    if (name == "relu") return Activation::Relu;
    if (name == "tanh") return Activation::Tanh;
    throw Error("unknown activation '" + name + "' (valid: sigmoid, relu, tanh)");
}

std::string activationName(Activation a)
{
    switch (a) {
    case Activation::Sigmoid:
        return "sigmoid";
    case Activation::Relu:
        return "relu";
    case Activation::Tanh:
        return "tanh";
    }
    return "?";
}

template <typename T>
void linearForward(const Eigen::Ref<const Mat<T>>& w, const CVecRef<T>& b, const Eigen::Ref<const Mat<T>>& in,
                   Eigen::Ref<Mat<T>> out)
{
    out.noalias() = w * in;
    out.colwise() += b;
}

template <typename T>
void linearBackward(const Eigen::Ref<const Mat<T>>& w, const Eigen::Ref<const Mat<T>>& in,
                    const Eigen::Ref<const Mat<T>>& dout, Eigen::Ref<Mat<T>> dw, VecRef<T> db, Mat<T>* din)
{
    dw.noalias() = dout * in.transpose();
    db = dout.rowwise().sum();
    if (din) din->noalias() = w.transpose() * dout;
}

#if defined(__FMA__) && defined(__AVX2__)
namespace {
// The sigmoid of activationForward in float as GCC compiles its expression 1 / (1 + detExp(-z)) (read from its code):
// where -z is in [kLo, kHi], 1 / fma(er 2^n1, 2^n2, 1) (the 1 + fused into exp's last product: nn/DetExpLanes.h);
// 0 where -z > kHi (e^-z is inf), 1 where -z < kLo (e^-z is 0), and 1 / (1 - z) where z is NaN (GCC writes
// 1 + (-z) as 1 - z, which keeps the NaN's sign). test_detmath compares it with the expression across the floats.
inline float sigmoidOne(float z)
{
    if (z != z) return 1.0f / (1.0f - z);
    if (-detexp::kHi > z) return 0.0f;
    if (z > -detexp::kLo) return 1.0f;
    return 1.0f / detexp::expPlusOne(-z, 1.0f);
}

inline __m256 sigmoid8(__m256 z)
{
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 x = _mm256_xor_ps(z, _mm256_set1_ps(-0.0f));
    __m256 y = _mm256_div_ps(one, detexp::expPlus8(x, one));
    y = _mm256_blendv_ps(y, _mm256_setzero_ps(), _mm256_cmp_ps(z, _mm256_set1_ps(-detexp::kHi), _CMP_LT_OQ));
    y = _mm256_blendv_ps(y, one, _mm256_cmp_ps(z, _mm256_set1_ps(-detexp::kLo), _CMP_GT_OQ));
    return _mm256_blendv_ps(y, _mm256_div_ps(one, _mm256_sub_ps(one, z)), _mm256_cmp_ps(z, z, _CMP_UNORD_Q));
}
} // namespace
#endif

template <typename T>
void activationForward(Activation act, const Eigen::Ref<const Mat<T>>& z, Eigen::Ref<Mat<T>> a)
{
    switch (act) {
    case Activation::Sigmoid:
#if defined(__FMA__) && defined(__AVX2__)
        if constexpr (std::is_same_v<T, float>) { // 8 lanes at a time (sigmoid8); a may be z
            for (Index j = 0; j < z.cols(); ++j) {
                const float* zj = z.col(j).data();
                float* aj = a.col(j).data();
                Index i = 0;
                for (; i + 8 <= z.rows(); i += 8) _mm256_storeu_ps(aj + i, sigmoid8(_mm256_loadu_ps(zj + i)));
                for (; i < z.rows(); ++i) aj[i] = sigmoidOne(zj[i]);
            }
            break;
        }
#endif
        a = (T(1) + (-z.array()).unaryExpr(DetExp{})).inverse();
        break;
    case Activation::Relu:
        a = z.array().max(T(0));
        break;
    case Activation::Tanh:
        a = z.array().tanh();
        break;
    }
}

namespace {
// 1 where a > 0, else 0 (NaN included), from the comparison's bits.
inline float reluFactor(float a)
{
    return std::bit_cast<float>(-std::uint32_t(a > 0.0f) & std::bit_cast<std::uint32_t>(1.0f));
}
inline double reluFactor(double a)
{
    return std::bit_cast<double>(-std::uint64_t(a > 0.0) & std::bit_cast<std::uint64_t>(1.0));
}
} // namespace

template <typename T>
void activationBackward(Activation act, const Eigen::Ref<const Mat<T>>& a, Eigen::Ref<Mat<T>> d)
{
    switch (act) {
    case Activation::Sigmoid:
        d.array() *= a.array() * (T(1) - a.array());
        break;
    case Activation::Relu:
        // d times exactly 1 or 0 (so -0 where d < 0 is cut, NaN where d is infinite or NaN), as the expression
        // d *= (a > 0).cast<T>() it replaces, in a loop GCC vectorises (Eigen has no packet cast from bool: that
        // expression ran one element at a time, 1.1 ms of the conv net's 35 ms step). The factor is made from the
        // comparison's bits (reluFactor) because GCC turns "d * (a > 0 ? 1 : 0)" into a branch and a store for the
        // products by 0 only, which it cannot vectorise.
        for (Index j = 0; j < d.cols(); ++j) {
            T* dj = d.col(j).data();
            const T* aj = a.col(j).data();
            for (Index i = 0; i < d.rows(); ++i) dj[i] *= reluFactor(aj[i]);
        }
        break;
    case Activation::Tanh:
        d.array() *= T(1) - a.array().square();
        break;
    }
}

template <typename T>
void activationCurvature(Activation act, const Eigen::Ref<const Mat<T>>& a, Eigen::Ref<Mat<T>> d)
{
    switch (act) {
    case Activation::Sigmoid:
        d.array() *= a.array() * (T(1) - a.array()) * (T(1) - T(2) * a.array());
        break;
    case Activation::Relu:
        d.setZero();
        break;
    case Activation::Tanh:
        d.array() *= T(-2) * a.array() * (T(1) - a.array().square());
        break;
    }
}

template <typename T>
T softmaxCrossEntropy(const Eigen::Ref<const Mat<T>>& logits, const std::vector<std::uint8_t>& labels,
                      Eigen::Ref<Mat<T>> dlogits, int* correct)
{
    const Index batch = logits.cols();
    double loss = 0.0; // accumulate in double: the sum over a batch loses digits in float
    int hits = 0;
    for (Index j = 0; j < batch; ++j) {
        Index argmax = 0;
        const T m = logits.col(j).maxCoeff(&argmax);
        dlogits.col(j) = (logits.col(j).array() - m).unaryExpr(DetExp{});
        const T sum = dlogits.col(j).sum();
        const int y = labels[size_t(j)];
        // -log softmax_y = log(sum exp(z - m)) - (z_y - m)
        loss += double(detLog(sum) - (logits(y, j) - m));
        dlogits.col(j) /= sum * T(batch);
        dlogits(y, j) -= T(1) / T(batch);
        hits += argmax == y;
    }
    if (correct) *correct = hits;
    return T(loss / double(batch));
}

#define L2L_INSTANTIATE(T)                                                                                             \
    template void linearForward<T>(const Eigen::Ref<const Mat<T>>&, const CVecRef<T>&,                                 \
                                   const Eigen::Ref<const Mat<T>>&, Eigen::Ref<Mat<T>>);                               \
    template void linearBackward<T>(const Eigen::Ref<const Mat<T>>&, const Eigen::Ref<const Mat<T>>&,                  \
                                    const Eigen::Ref<const Mat<T>>&, Eigen::Ref<Mat<T>>, VecRef<T>, Mat<T>*);          \
    template void activationForward<T>(Activation, const Eigen::Ref<const Mat<T>>&, Eigen::Ref<Mat<T>>);               \
    template void activationBackward<T>(Activation, const Eigen::Ref<const Mat<T>>&, Eigen::Ref<Mat<T>>);              \
    template void activationCurvature<T>(Activation, const Eigen::Ref<const Mat<T>>&, Eigen::Ref<Mat<T>>);             \
    template T softmaxCrossEntropy<T>(const Eigen::Ref<const Mat<T>>&, const std::vector<std::uint8_t>&,               \
                                      Eigen::Ref<Mat<T>>, int*);
L2L_INSTANTIATE(float)
L2L_INSTANTIATE(double)
#undef L2L_INSTANTIATE

} // namespace l2l
