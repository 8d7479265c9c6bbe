#pragma once
// The feature network of the neural-art problem: a FIXED multi-scale convolutional net with random
// weights (He scaling, seeded), and the loss kernels on its features (Gram matrices, content, total
// variation), each a forward/backward pair with a hand-written backward.
//
// Layout: a feature map of C channels on an H x W grid is a Mat<T> of (H*W) x C, column-major, i.e.
// planar (channel c is the contiguous column c, row-major inside it): a convolution is then one GEMM
// of the im2col matrix (H*W x 9*Cin) with the weights (9*Cin x Cout).
//
// Layer l (0-based) of a depth-L net:  r_l = ReLU(conv3x3_same(a_l)),  a_{l+1} = avgpool2x2(r_l),
// with a_0 = (image - mean) / std per channel; C_l = min(channels * 2^l, 64); H_{l+1} = floor(H_l / 2).
#include "base/Types.h"
#include "nn/ConvLayers.h"

#include <cstdint>
#include <vector>

namespace l2l {

// ---- kernels: free functions, outputs presized by the caller (no allocation) --------------------------

// im2col / col2im (ConvLayers.h) with k = 3: cols (H*W x 9*Cin), column c*9 + ky*3 + kx.

// out (H*W x Cout) = ReLU(cols * weights); weights (9*Cin x Cout).
template <typename T>
void convReluForward(const Eigen::Ref<const Mat<T>>& cols, const Eigen::Ref<const Mat<T>>& weights,
                     Eigen::Ref<Mat<T>> out);
// Given dout = dL/d(out) and out: dout <- dout * [out > 0] (in place), dcols = dout * weights^T.
template <typename T>
void convReluBackward(const Eigen::Ref<const Mat<T>>& out, Eigen::Ref<Mat<T>> dout,
                      const Eigen::Ref<const Mat<T>>& weights, Eigen::Ref<Mat<T>> dcols);

// out (floor(H/2)*floor(W/2) x C): mean of each 2x2 block of in (H*W x C); an odd last row/column is dropped.
template <typename T>
void avgPoolForward(const Eigen::Ref<const Mat<T>>& in, int height, int width, Eigen::Ref<Mat<T>> out);
// din (H*W x C) += dL/d(in): each block's four inputs get a quarter of dout; dropped rows/columns nothing.
template <typename T>
void avgPoolBackward(const Eigen::Ref<const Mat<T>>& dout, int height, int width, Eigen::Ref<Mat<T>> din);

// Gram matrix of features f (N x C): g = f^T f / N (C x C), N = positions.
template <typename T>
void gramForward(const Eigen::Ref<const Mat<T>>& f, Eigen::Ref<Mat<T>> g);
// df += f (dg + dg^T) / N, the gradient through the Gram matrix for dL/dg = dg.
template <typename T>
void gramBackward(const Eigen::Ref<const Mat<T>>& f, const Eigen::Ref<const Mat<T>>& dg, Eigen::Ref<Mat<T>> df);

// Style term of one layer: ||G - S||_F^2 / ||S||_F^2 for the features f; adds scale * dL/df to df.
template <typename T>
T styleLayerLoss(const Eigen::Ref<const Mat<T>>& f, const Eigen::Ref<const Mat<T>>& styleGram, T scale,
                 Eigen::Ref<Mat<T>> gram, Eigen::Ref<Mat<T>> dgram, Eigen::Ref<Mat<T>> df);

// Content term: mean((f - target)^2) / mean(target^2); adds scale * dL/df to df.
template <typename T>
T contentLoss(const Eigen::Ref<const Mat<T>>& f, const Eigen::Ref<const Mat<T>>& target, T scale,
              Eigen::Ref<Mat<T>> df);

// Total variation of a planar image (H*W x C): the mean over channels and neighbour pairs (horizontal
// and vertical) of the squared difference, i.e. sum / (C*H*W); adds scale * dL/dimage to grad.
template <typename T>
T totalVariation(const Eigen::Ref<const Mat<T>>& image, int height, int width, T scale, Eigen::Ref<Mat<T>> grad);

// ---- the network ------------------------------------------------------------------------------------

struct ConvLayerShape {
    int height = 0, width = 0; // grid of the layer's input and of its (same-padded) output
    int in = 0, out = 0;       // channels
};

// The layer shapes of a depth-`depth` net on a height x width RGB image.
std::vector<ConvLayerShape> convFeatureShapes(int height, int width, int depth, int channels);
// Floating-point operations of one forward + input-gradient backward pass with Gram matrices at every
// layer (conv 2*H*W*Cout*9*Cin each way, Gram 2*H*W*C^2 each way; ReLU, pooling and losses not counted).
double convFeatureFlops(const std::vector<ConvLayerShape>& shapes);
// Values a ConvFeatures of these shapes allocates (weights, and per layer a_l, its im2col and their gradients, r_l
// and dL/dr_l; for memory estimates, kept beside the constructor).
std::uint64_t convFeatureValues(const std::vector<ConvLayerShape>& shapes);

template <typename T>
class ConvFeatures {
public:
    // Weights of layer l ~ N(0, 2 / (9 Cin)) (He et al. 2015), drawn from Rng(seed) in double: the
    // float and double nets are the same net. All scratch for a height x width input is allocated here.
    ConvFeatures(int height, int width, int depth, int channels, std::uint64_t seed);

    int depth() const { return int(m_shapes.size()); }
    const std::vector<ConvLayerShape>& shapes() const { return m_shapes; }

    // Forward pass on a planar RGB image (3*H*W values in [0, 1]); keeps what backward needs.
    void forward(const T* image);
    // r_l after the last forward: (H_l*W_l x C_l).
    const Mat<T>& features(int layer) const { return m_relu[size_t(layer)]; }
    // dL/dr_l, to be filled by the caller after forward (zeroed by forward).
    Mat<T>& featureGrad(int layer) { return m_drelu[size_t(layer)]; }
    // Back-propagates featureGrad(l) of every layer to the image: writes dL/dimage (3*H*W) into imageGrad.
    void backward(T* imageGrad);

    // Per-channel mean and std the input is normalised with (roughly ImageNet's: features stay O(1)).
    static constexpr double kMean[3] = {0.485, 0.456, 0.406};
    static constexpr double kStd = 0.25;

private:
    std::vector<ConvLayerShape> m_shapes;
    std::vector<Mat<T>> m_weights;       // (9*Cin x Cout) per layer
    std::vector<Mat<T>> m_input;         // a_l (H_l*W_l x Cin)
    std::vector<Mat<T>> m_cols, m_dcols; // im2col of a_l and its gradient
    std::vector<Mat<T>> m_relu, m_drelu; // r_l and dL/dr_l
    std::vector<Mat<T>> m_dinput;        // dL/da_l
};

} // namespace l2l
