#include "nn/ConvFeatures.h"

#include "base/Rng.h"
#include "base/SeedStreams.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace l2l {

template <typename T>
void convReluForward(const Eigen::Ref<const Mat<T>>& cols, const Eigen::Ref<const Mat<T>>& weights,
                     Eigen::Ref<Mat<T>> out)
{
    out.noalias() = cols * weights; // (HW x 9Cin) (9Cin x Cout)
    out = out.cwiseMax(T(0));
}

template <typename T>
void convReluBackward(const Eigen::Ref<const Mat<T>>& out, Eigen::Ref<Mat<T>> dout,
                      const Eigen::Ref<const Mat<T>>& weights, Eigen::Ref<Mat<T>> dcols)
{
    dout = (out.array() > T(0)).select(dout, T(0));
    dcols.noalias() = dout * weights.transpose(); // (HW x Cout) (Cout x 9Cin)
}

template <typename T>
void avgPoolForward(const Eigen::Ref<const Mat<T>>& in, int height, int width, Eigen::Ref<Mat<T>> out)
{
    const int h = height / 2, w = width / 2;
    for (Index c = 0; c < in.cols(); ++c) {
        const T* src = in.col(c).data();
        T* dst = out.col(c).data();
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                const T* p = src + 2 * y * width + 2 * x;
                dst[y * w + x] = T(0.25) * (p[0] + p[1] + p[width] + p[width + 1]);
            }
    }
}

template <typename T>
void avgPoolBackward(const Eigen::Ref<const Mat<T>>& dout, int height, int width, Eigen::Ref<Mat<T>> din)
{
    const int h = height / 2, w = width / 2;
    for (Index c = 0; c < din.cols(); ++c) {
        const T* src = dout.col(c).data();
        T* dst = din.col(c).data();
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                const T g = T(0.25) * src[y * w + x];
                T* p = dst + 2 * y * width + 2 * x;
                p[0] += g, p[1] += g, p[width] += g, p[width + 1] += g;
            }
    }
}

template <typename T>
void gramForward(const Eigen::Ref<const Mat<T>>& f, Eigen::Ref<Mat<T>> g)
{
    g.noalias() = f.transpose() * f;
    g *= T(1) / T(f.rows());
}

template <typename T>
void gramBackward(const Eigen::Ref<const Mat<T>>& f, const Eigen::Ref<const Mat<T>>& dg, Eigen::Ref<Mat<T>> df)
{
    // d(f^T f)/df applied to dg: f (dg + dg^T). Our dg is symmetric, but the kernel does not assume it.
    df.noalias() += (T(1) / T(f.rows())) * (f * (dg + dg.transpose()));
}

template <typename T>
T styleLayerLoss(const Eigen::Ref<const Mat<T>>& f, const Eigen::Ref<const Mat<T>>& styleGram, T scale,
                 Eigen::Ref<Mat<T>> gram, Eigen::Ref<Mat<T>> dgram, Eigen::Ref<Mat<T>> df)
{
    // L = ||G - S||^2 / ||S||^2,  dL/dG = 2 (G - S) / ||S||^2.
    gramForward<T>(f, gram);
    const T norm = std::max(styleGram.squaredNorm(), std::numeric_limits<T>::min());
    dgram = gram - styleGram;
    const T loss = dgram.squaredNorm() / norm;
    dgram *= T(2) * scale / norm;
    gramBackward<T>(f, dgram, df);
    return loss;
}

template <typename T>
T contentLoss(const Eigen::Ref<const Mat<T>>& f, const Eigen::Ref<const Mat<T>>& target, T scale, Eigen::Ref<Mat<T>> df)
{
    // L = sum (f - t)^2 / sum t^2 (the means' common 1/n cancels), dL/df = 2 (f - t) / sum t^2.
    const T norm = std::max(target.squaredNorm(), std::numeric_limits<T>::min());
    const T loss = (f - target).squaredNorm() / norm;
    df += (T(2) * scale / norm) * (f - target);
    return loss;
}

template <typename T>
T totalVariation(const Eigen::Ref<const Mat<T>>& image, int height, int width, T scale, Eigen::Ref<Mat<T>> grad)
{
    // L = sum_{c, neighbours p~q} (x_p - x_q)^2 / (C H W);  dL/dx_p += 2 (x_p - x_q) / (C H W), dL/dx_q -= same.
    const T norm = T(1) / T(image.size());
    const T g = T(2) * scale * norm;
    T sum = 0;
    for (Index c = 0; c < image.cols(); ++c) {
        const T* x = image.col(c).data();
        T* d = grad.col(c).data();
        for (int y = 0; y < height; ++y)
            for (int i = y * width; i < (y + 1) * width; ++i) {
                if (i + 1 < (y + 1) * width) {
                    const T diff = x[i] - x[i + 1];
                    sum += diff * diff;
                    d[i] += g * diff, d[i + 1] -= g * diff;
                }
                if (y + 1 < height) {
                    const T diff = x[i] - x[i + width];
                    sum += diff * diff;
                    d[i] += g * diff, d[i + width] -= g * diff;
                }
            }
    }
    return sum * norm;
}

std::vector<ConvLayerShape> convFeatureShapes(int height, int width, int depth, int channels)
{
    std::vector<ConvLayerShape> shapes;
    int in = 3;
    for (int l = 0; l < depth; ++l) {
        const int out = std::min(channels << l, 64);
        shapes.push_back({height, width, in, out});
        in = out;
        height /= 2, width /= 2;
    }
    return shapes;
}

std::uint64_t convFeatureValues(const std::vector<ConvLayerShape>& shapes)
{
    std::uint64_t values = 0;
    for (const auto& s : shapes) {
        const std::uint64_t positions = std::uint64_t(s.height) * std::uint64_t(s.width);
        values += 9 * std::uint64_t(s.in) * std::uint64_t(s.out) +                   // m_weights
                  positions * (20 * std::uint64_t(s.in) + 2 * std::uint64_t(s.out)); // input, cols and grads; relu
    }
    return values;
}

double convFeatureFlops(const std::vector<ConvLayerShape>& shapes)
{
    double flops = 0;
    for (const auto& s : shapes) {
        const double positions = double(s.height) * s.width;
        flops += 2 * 2.0 * positions * s.out * 9.0 * s.in; // conv forward + input gradient
        flops += 2 * 2.0 * positions * s.out * s.out;      // Gram forward + backward
    }
    return flops;
}

template <typename T>
ConvFeatures<T>::ConvFeatures(int height, int width, int depth, int channels, std::uint64_t seed)
    : m_shapes(convFeatureShapes(height, width, depth, channels))
{
    if (m_shapes.empty() || m_shapes.back().height < 1 || m_shapes.back().width < 1)
        throw Error("feature network: depth " + std::to_string(depth) + " is too deep for a " + std::to_string(height) +
                    "x" + std::to_string(width) + " image (each layer halves the size)");
    Rng rng(deriveSeed(seed, kConvFeatureWeights));
    for (const auto& s : m_shapes) {
        const Index n = Index(s.height) * s.width;
        const double std = std::sqrt(2.0 / (9.0 * s.in));
        Mat<T> w(9 * s.in, s.out);
        for (Index j = 0; j < w.cols(); ++j)
            for (Index i = 0; i < w.rows(); ++i) w(i, j) = T(std * rng.normal());
        m_weights.push_back(std::move(w));
        m_input.emplace_back(n, s.in);
        m_dinput.emplace_back(n, s.in);
        m_cols.emplace_back(n, 9 * s.in);
        m_dcols.emplace_back(n, 9 * s.in);
        m_relu.emplace_back(n, s.out);
        m_drelu.emplace_back(n, s.out);
    }
}

template <typename T>
void ConvFeatures<T>::forward(const T* image)
{
    const Index n = m_input[0].rows();
    for (int c = 0; c < 3; ++c)
        m_input[0].col(c) = (Eigen::Map<const Vec<T>>(image + c * n, n).array() - T(kMean[c])) * T(1.0 / kStd);
    for (size_t l = 0; l < m_shapes.size(); ++l) {
        const ConvLayerShape& s = m_shapes[l];
        im2col<T>(m_input[l], s.height, s.width, 3, m_cols[l]);
        convReluForward<T>(m_cols[l], m_weights[l], m_relu[l]);
        if (l + 1 < m_shapes.size()) avgPoolForward<T>(m_relu[l], s.height, s.width, m_input[l + 1]);
        m_drelu[l].setZero();
    }
}

template <typename T>
void ConvFeatures<T>::backward(T* imageGrad)
{
    for (size_t l = m_shapes.size(); l-- > 0;) {
        const ConvLayerShape& s = m_shapes[l];
        // r_l feeds both its own loss terms and, pooled, layer l + 1: the two gradients add.
        if (l + 1 < m_shapes.size()) avgPoolBackward<T>(m_dinput[l + 1], s.height, s.width, m_drelu[l]);
        convReluBackward<T>(m_relu[l], m_drelu[l], m_weights[l], m_dcols[l]);
        col2im<T>(m_dcols[l], s.height, s.width, 3, m_dinput[l]);
    }
    const Index n = m_dinput[0].rows();
    for (int c = 0; c < 3; ++c) Eigen::Map<Vec<T>>(imageGrad + c * n, n) = m_dinput[0].col(c) * T(1.0 / kStd);
}

#define L2L_INSTANTIATE(T)                                                                                             \
    template void convReluForward<T>(const Eigen::Ref<const Mat<T>>&, const Eigen::Ref<const Mat<T>>&,                 \
                                     Eigen::Ref<Mat<T>>);                                                              \
    template void convReluBackward<T>(const Eigen::Ref<const Mat<T>>&, Eigen::Ref<Mat<T>>,                             \
                                      const Eigen::Ref<const Mat<T>>&, Eigen::Ref<Mat<T>>);                            \
    template void avgPoolForward<T>(const Eigen::Ref<const Mat<T>>&, int, int, Eigen::Ref<Mat<T>>);                    \
    template void avgPoolBackward<T>(const Eigen::Ref<const Mat<T>>&, int, int, Eigen::Ref<Mat<T>>);                   \
    template void gramForward<T>(const Eigen::Ref<const Mat<T>>&, Eigen::Ref<Mat<T>>);                                 \
    template void gramBackward<T>(const Eigen::Ref<const Mat<T>>&, const Eigen::Ref<const Mat<T>>&,                    \
                                  Eigen::Ref<Mat<T>>);                                                                 \
    template T styleLayerLoss<T>(const Eigen::Ref<const Mat<T>>&, const Eigen::Ref<const Mat<T>>&, T,                  \
                                 Eigen::Ref<Mat<T>>, Eigen::Ref<Mat<T>>, Eigen::Ref<Mat<T>>);                          \
    template T contentLoss<T>(const Eigen::Ref<const Mat<T>>&, const Eigen::Ref<const Mat<T>>&, T,                     \
                              Eigen::Ref<Mat<T>>);                                                                     \
    template T totalVariation<T>(const Eigen::Ref<const Mat<T>>&, int, int, T, Eigen::Ref<Mat<T>>);                    \
    template class ConvFeatures<T>;
L2L_INSTANTIATE(float)
L2L_INSTANTIATE(double)
#undef L2L_INSTANTIATE

} // namespace l2l
