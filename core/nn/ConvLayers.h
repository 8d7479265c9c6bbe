#pragma once
// Layer kernels of convolutional networks, in forward/backward pairs with hand-written backward passes,
// templated on the scalar (float on the hot path, double in the finite-difference tests). Outputs are
// presized by the caller; nothing here allocates.
//
// Layout: feature maps of C channels on an H x W grid are a Mat<T> of (B*H*W) x C, column-major: channel
// c is column c, and inside it image b is the contiguous run of rows [b*H*W, (b+1)*H*W), row-major
// (y*W + x). A single image is the case B = 1. A convolution is then im2col followed by one GEMM, and
// fully connected layers use the same one-row-per-example layout, (B x features).
#include "base/Types.h"

namespace l2l {

using IndexMat = Eigen::Matrix<int, Eigen::Dynamic, Eigen::Dynamic>;

// cols (H*W x k*k*Cin): column c*k*k + ky*k + kx is channel c of one image `in` (H*W x Cin) shifted by
// (ky - k/2, kx - k/2), zero outside the image: the 'same'-padded k x k neighbourhood (k odd) of every
// position.
template <typename T>
void im2col(const Eigen::Ref<const Mat<T>>& in, int height, int width, int kernel, Eigen::Ref<Mat<T>> cols);
// The adjoint of im2col: din (H*W x Cin) = sum of the shifted-back columns of dcols.
template <typename T>
void col2im(const Eigen::Ref<const Mat<T>>& dcols, int height, int width, int kernel, Eigen::Ref<Mat<T>> din);

// out (N x O) = in (N x I) * w (I x O) + b (O) added to every row. Applied to im2col rows it is a
// convolution with bias; applied to flattened examples, a fully connected layer.
template <typename T>
void denseForward(const Eigen::Ref<const Mat<T>>& in, const Eigen::Ref<const Mat<T>>& w, const CVecRef<T>& b,
                  Eigen::Ref<Mat<T>> out);
// Given dout (N x O): dw = in^T dout (I x O), db = the column sums of dout (O).
template <typename T>
void denseBackwardParams(const Eigen::Ref<const Mat<T>>& in, const Eigen::Ref<const Mat<T>>& dout,
                         Eigen::Ref<Mat<T>> dw, VecRef<T> db);
// din (N x I) = dout (N x O) * w^T.
template <typename T>
void denseBackwardInput(const Eigen::Ref<const Mat<T>>& dout, const Eigen::Ref<const Mat<T>>& w,
                        Eigen::Ref<Mat<T>> din);

// 2x2 max-pooling with stride 2 and TensorFlow's 'SAME' padding: out (B*ceil(H/2)*ceil(W/2) x C) is the
// maximum of each 2x2 block of in (B*H*W x C); blocks at an odd last row/column hold only the entries
// inside the image. argmax (same shape as out) receives the row of `in` that won (the first, on ties).
template <typename T>
void maxPoolForward(const Eigen::Ref<const Mat<T>>& in, int images, int height, int width, Eigen::Ref<Mat<T>> out,
                    Eigen::Ref<IndexMat> argmax);
// din = dout routed back to the winners (every other entry 0); din (B*H*W x C) is overwritten.
template <typename T>
void maxPoolBackward(const Eigen::Ref<const Mat<T>>& dout, const Eigen::Ref<const IndexMat>& argmax,
                     Eigen::Ref<Mat<T>> din);

// Batch normalisation in training mode (Ioffe & Szegedy 2015, Alg. 1) over the N rows of z (N x C), one
// channel per column: xhat = (z - mean) / sqrt(var + eps) with the biased batch variance, and
// y = gamma * xhat + beta. Keeps xhat and invStd = 1 / sqrt(var + eps) (C) for the backward pass.
template <typename T>
void batchNormForward(const Eigen::Ref<const Mat<T>>& z, const CVecRef<T>& gamma, const CVecRef<T>& beta, T eps,
                      Eigen::Ref<Mat<T>> xhat, VecRef<T> invStd, Eigen::Ref<Mat<T>> y);
// Given dy (N x C): dbeta = sum dy, dgamma = sum dy * xhat (per column), and
// dz = gamma * invStd / N * (N dy - dbeta - xhat dgamma), the mean and variance being functions of z too.
// dz may be dy itself.
template <typename T>
void batchNormBackward(const Eigen::Ref<const Mat<T>>& dy, const Eigen::Ref<const Mat<T>>& xhat,
                       const CVecRef<T>& gamma, const CVecRef<T>& invStd, VecRef<T> dgamma, VecRef<T> dbeta,
                       Eigen::Ref<Mat<T>> dz);

} // namespace l2l
