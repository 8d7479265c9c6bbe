#include "nn/ConvLayers.h"

#include <algorithm>
#include <cmath>

namespace l2l {

template <typename T>
void im2col(const Eigen::Ref<const Mat<T>>& in, int height, int width, int kernel, Eigen::Ref<Mat<T>> cols)
{
    // cols(y*W + x, c*k*k + ky*k + kx) = in(c, y + ky - k/2, x + kx - k/2), 0 outside. Within the rows y whose
    // source row is inside the image, destination and source differ by the constant offset dy*W + dx, so those rows
    // are one contiguous copy; it carries |dx| entries per row across the image's left or right edge, which are then
    // set to 0 by loops GCC leaves inline (core/CMakeLists.txt). (A fill, a copy and a fill per row made three library
    // calls per 14 or 28 values.) Only copies: the values are the same bits whichever way they are moved.
    const int half = kernel / 2, hw = height * width;
    for (Index c = 0; c < in.cols(); ++c)
        for (int ky = 0; ky < kernel; ++ky)
            for (int kx = 0; kx < kernel; ++kx) {
                const T* src = in.col(c).data();
                T* dst = cols.col((c * kernel + ky) * kernel + kx).data();
                const int dy = ky - half, dx = kx - half;
                const int y0 = std::clamp(-dy, 0, height), y1 = std::clamp(height - dy, y0, height); // y + dy in [0, H)
                const int x0 = std::clamp(-dx, 0, width), x1 = std::clamp(width - dx, x0, width);    // x + dx in [0, W)
                if (y0 == y1 || x0 == x1) { // no source pixel: the whole column is padding
                    std::fill(dst, dst + hw, T(0));
                    continue;
                }
                std::fill(dst, dst + y0 * width, T(0));
                const int begin = y0 * width + x0, end = (y1 - 1) * width + x1, offset = dy * width + dx;
                std::copy(src + begin + offset, src + end + offset, dst + begin);
                for (int y = y0; y < y1; ++y) {
                    T* row = dst + y * width;
                    for (int x = 0; x < x0; ++x) row[x] = T(0);
                    for (int x = x1; x < width; ++x) row[x] = T(0);
                }
                std::fill(dst + y1 * width, dst + hw, T(0));
            }
}

template <typename T>
void col2im(const Eigen::Ref<const Mat<T>>& dcols, int height, int width, int kernel, Eigen::Ref<Mat<T>> din)
{
    // Every entry of din receives its terms in the order (c, ky, kx), as before; the rows are plain loops (an Eigen
    // expression per row of 14 values spent more on its set-up than on the additions).
    const int half = kernel / 2;
    din.setZero();
    for (Index c = 0; c < din.cols(); ++c) {
        T* __restrict dst = din.col(c).data();
        for (int ky = 0; ky < kernel; ++ky)
            for (int kx = 0; kx < kernel; ++kx) {
                const T* __restrict src = dcols.col((c * kernel + ky) * kernel + kx).data();
                const int dy = ky - half, dx = kx - half;
                const int y0 = std::clamp(-dy, 0, height), y1 = std::clamp(height - dy, y0, height);
                const int x0 = std::clamp(-dx, 0, width), x1 = std::clamp(width - dx, x0, width);
                const int offset = dy * width + dx; // din index - dcols index
                for (int y = y0; y < y1; ++y)
                    for (int x = y * width + x0; x < y * width + x1; ++x) dst[x + offset] += src[x];
            }
    }
}

template <typename T>
void denseForward(const Eigen::Ref<const Mat<T>>& in, const Eigen::Ref<const Mat<T>>& w, const CVecRef<T>& b,
                  Eigen::Ref<Mat<T>> out)
{
    out.noalias() = in * w; // (N x I) (I x O)
    out.rowwise() += b.transpose();
}

template <typename T>
void denseBackwardParams(const Eigen::Ref<const Mat<T>>& in, const Eigen::Ref<const Mat<T>>& dout,
                         Eigen::Ref<Mat<T>> dw, VecRef<T> db)
{
    dw.noalias() = in.transpose() * dout; // (I x N) (N x O)
    db = dout.colwise().sum().transpose();
}

template <typename T>
void denseBackwardInput(const Eigen::Ref<const Mat<T>>& dout, const Eigen::Ref<const Mat<T>>& w, Eigen::Ref<Mat<T>> din)
{
    din.noalias() = dout * w.transpose(); // (N x O) (O x I)
}

template <typename T>
void maxPoolForward(const Eigen::Ref<const Mat<T>>& in, int images, int height, int width, Eigen::Ref<Mat<T>> out,
                    Eigen::Ref<IndexMat> argmax)
{
    const int h = (height + 1) / 2, w = (width + 1) / 2;
    for (Index c = 0; c < in.cols(); ++c)
        for (int b = 0; b < images; ++b) {
            const T* src = in.col(c).data() + Index(b) * height * width;
            T* dst = out.col(c).data() + Index(b) * h * w;
            int* arg = argmax.col(c).data() + Index(b) * h * w;
            const int base = b * height * width;
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x) {
                    const int top = 2 * y * width + 2 * x;
                    int best = top;
                    if (2 * y + 1 < height && 2 * x + 1 < width) {
                        // A whole block, without branches: pairs first, then the pairs' winners; on ties
                        // the earlier entry (scan order) wins.
                        const int left = top + int(src[top + 1] > src[top]);
                        const int right = top + width + int(src[top + width + 1] > src[top + width]);
                        best = left + int(src[right] > src[left]) * (right - left);
                    } else {
                        for (int yy = 2 * y; yy < std::min(2 * y + 2, height); ++yy)
                            for (int xx = 2 * x; xx < std::min(2 * x + 2, width); ++xx)
                                if (src[yy * width + xx] > src[best]) best = yy * width + xx;
                    }
                    dst[y * w + x] = src[best];
                    arg[y * w + x] = base + best;
                }
        }
}

template <typename T>
void maxPoolBackward(const Eigen::Ref<const Mat<T>>& dout, const Eigen::Ref<const IndexMat>& argmax,
                     Eigen::Ref<Mat<T>> din)
{
    din.setZero();
    for (Index c = 0; c < dout.cols(); ++c)
        for (Index r = 0; r < dout.rows(); ++r) din(argmax(r, c), c) += dout(r, c);
}

template <typename T>
void batchNormForward(const Eigen::Ref<const Mat<T>>& z, const CVecRef<T>& gamma, const CVecRef<T>& beta, T eps,
                      Eigen::Ref<Mat<T>> xhat, VecRef<T> invStd, Eigen::Ref<Mat<T>> y)
{
    const T n = T(z.rows());
    for (Index c = 0; c < z.cols(); ++c) {
        const T mean = z.col(c).sum() / n;
        xhat.col(c) = z.col(c).array() - mean;
        invStd(c) = T(1) / std::sqrt(xhat.col(c).squaredNorm() / n + eps);
        xhat.col(c) *= invStd(c);
        y.col(c) = (gamma(c) * xhat.col(c).array() + beta(c)).matrix();
    }
}

template <typename T>
void batchNormBackward(const Eigen::Ref<const Mat<T>>& dy, const Eigen::Ref<const Mat<T>>& xhat,
                       const CVecRef<T>& gamma, const CVecRef<T>& invStd, VecRef<T> dgamma, VecRef<T> dbeta,
                       Eigen::Ref<Mat<T>> dz)
{
    const T n = T(dy.rows());
    for (Index c = 0; c < dy.cols(); ++c) {
        dbeta(c) = dy.col(c).sum();
        dgamma(c) = dy.col(c).dot(xhat.col(c));
        const T scale = gamma(c) * invStd(c) / n;
        dz.col(c) = scale * (n * dy.col(c).array() - dbeta(c) - xhat.col(c).array() * dgamma(c)).matrix();
    }
}

#define L2L_INSTANTIATE(T)                                                                                             \
    template void im2col<T>(const Eigen::Ref<const Mat<T>>&, int, int, int, Eigen::Ref<Mat<T>>);                       \
    template void col2im<T>(const Eigen::Ref<const Mat<T>>&, int, int, int, Eigen::Ref<Mat<T>>);                       \
    template void denseForward<T>(const Eigen::Ref<const Mat<T>>&, const Eigen::Ref<const Mat<T>>&, const CVecRef<T>&, \
                                  Eigen::Ref<Mat<T>>);                                                                 \
    template void denseBackwardParams<T>(const Eigen::Ref<const Mat<T>>&, const Eigen::Ref<const Mat<T>>&,             \
                                         Eigen::Ref<Mat<T>>, VecRef<T>);                                               \
    template void denseBackwardInput<T>(const Eigen::Ref<const Mat<T>>&, const Eigen::Ref<const Mat<T>>&,              \
                                        Eigen::Ref<Mat<T>>);                                                           \
    template void maxPoolForward<T>(const Eigen::Ref<const Mat<T>>&, int, int, int, Eigen::Ref<Mat<T>>,                \
                                    Eigen::Ref<IndexMat>);                                                             \
    template void maxPoolBackward<T>(const Eigen::Ref<const Mat<T>>&, const Eigen::Ref<const IndexMat>&,               \
                                     Eigen::Ref<Mat<T>>);                                                              \
    template void batchNormForward<T>(const Eigen::Ref<const Mat<T>>&, const CVecRef<T>&, const CVecRef<T>&, T,        \
                                      Eigen::Ref<Mat<T>>, VecRef<T>, Eigen::Ref<Mat<T>>);                              \
    template void batchNormBackward<T>(const Eigen::Ref<const Mat<T>>&, const Eigen::Ref<const Mat<T>>&,               \
                                       const CVecRef<T>&, const CVecRef<T>&, VecRef<T>, VecRef<T>,                     \
                                       Eigen::Ref<Mat<T>>);
L2L_INSTANTIATE(float)
L2L_INSTANTIATE(double)
#undef L2L_INSTANTIATE

} // namespace l2l
