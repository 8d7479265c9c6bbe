#pragma once
// The optimizee network of the paper's CIFAR-10 experiment (Sec. 3.3; official code problems.cifar10):
//   L times:  conv k x k 'same' (+ bias) -> batch norm (training mode) -> ReLU -> 2x2 max-pool ('SAME', rounds up)
//   then:     fully connected (+ bias) -> batch norm -> ReLU -> linear -> softmax cross-entropy.
// Default: 3 conv layers of 16 channels with 5x5 kernels, 32 hidden units, 10 classes. The batch norm of
// the hidden fully connected layer is the official code's too (MLP activation relu(BatchNorm(x))).
//
// theta is laid out block by block, in the official code's variable order (paramBlocks()):
//   conv<l>/w (k*k*Cin x C, column-major; row c*k*k + ky*k + kx, see im2col), conv<l>/b (C),
//   conv<l>/bn_gamma (C), conv<l>/bn_beta (C)  for l = 1..L, then
//   fc1/w (F x U), fc1/b (U), fc1/bn_gamma (U), fc1/bn_beta (U), out/w (U x K), out/b (K),
// with F = C * h_L * w_L the flattened last pooled map (feature c*h_L*w_L + y*w_L + x). Group 0 holds the
// convolution kernels conv<l>/w, group 1 everything else: the official code's "conv" and "fc" LSTMs.
// (Sonnet's BatchNorm there has an offset beta but no scale gamma; gamma here starts at 1.)
//
// Threads: the batch is cut into fixed chunks of images and the channels are independent, so the work
// is shared by setThreads() threads while every sum keeps one order: results do not depend on them.
#include "nn/ConvLayers.h"
#include "nn/ParamBlock.h"

#include <cstdint>
#include <vector>

namespace l2l {

struct ConvNetShape {
    int height = 28, width = 28, inChannels = 1; // input images
    int convLayers = 3;                          // L
    int channels = 16;                           // C, every conv layer
    int kernel = 5;                              // k, odd
    int fcUnits = 32;                            // U
    int classes = 10;                            // K
    // Grid of conv layer l's input and output (l = 0 the image; l = L the last pooled map).
    int gridHeight(int l) const;
    int gridWidth(int l) const;
    int layerInChannels(int l) const { return l == 0 ? inChannels : channels; }
    int flatFeatures() const { return channels * gridHeight(convLayers) * gridWidth(convLayers); } // F
    std::vector<ParamBlock> paramBlocks() const;
    Index paramCount() const;
    // Values ConvNet::resize(batch) allocates as scratch (for memory estimates; kept beside resize()).
    std::uint64_t scratchValues(int batch) const;
    bool operator==(const ConvNetShape&) const = default;
};

// Parameter groups of the convnet (the ParamBlock::group values).
constexpr int kConvWeightGroup = 0;
constexpr int kOtherParamGroup = 1;

template <typename T>
class ConvNet {
public:
    explicit ConvNet(const ConvNetShape& shape);
    const ConvNetShape& shape() const { return m_shape; }
    void setThreads(int threads) { m_threads = threads < 1 ? 1 : threads; }

    // theta_0: weights and biases N(0, initStd^2) (the official initialiser), gamma = 1, beta = 0, drawn
    // from Rng(seed) in double (the float and double nets start at the same point).
    Vec<T> initialTheta(std::uint64_t seed, double initStd) const;

    // Mean softmax cross-entropy over a batch. input: B images (B*H*W x inChannels, the ConvLayers.h
    // layout); labels: B values < classes. If grad is non-null, writes dL/dtheta (paramCount() values).
    // If correct is non-null, counts the argmax hits.
    T lossAndGradient(const T* theta, const Eigen::Ref<const Mat<T>>& input, const std::vector<std::uint8_t>& labels,
                      T* grad, int* correct);

    static constexpr double kBatchNormEps = 1e-3; // Sonnet's default
    static constexpr int kChunkImages = 8;        // images per parallel work item

private:
    struct ConvScratch {
        Mat<T> z;    // conv output (B*H*W x C); in backward dL/dz
        Mat<T> xhat; // normalised z
        Mat<T> a;    // ReLU(gamma xhat + beta); in backward dL/da
        Vec<T> invStd;
        Mat<T> pooled, dpooled; // next layer's input (B*h*w x C) and its gradient
        IndexMat argmax;
        std::vector<Mat<T>> dwChunk; // per-chunk parts of dL/dw and dL/db, summed in chunk order
        std::vector<Vec<T>> dbChunk;
    };
    struct Offsets {
        Index w = 0, b = 0, gamma = 0, beta = 0;
    };
    void resize(int batch);
    void convForward(int l, const T* theta, const Eigen::Ref<const Mat<T>>& input);
    void convBackward(int l, const T* theta, T* grad, const Eigen::Ref<const Mat<T>>& input);
    // The im2col of chunk `chunk` of layer l's input in worker `worker`'s buffer (chunk rows x k*k*Cin, contiguous).
    Eigen::Map<Mat<T>> chunkCols(int l, int chunk, size_t worker, const Eigen::Ref<const Mat<T>>& input);
    void ensureWorkers(size_t workers);
    T headForwardBackward(const T* theta, const std::vector<std::uint8_t>& labels, T* grad, int* correct);
    int chunks() const { return (m_batch + kChunkImages - 1) / kChunkImages; }

    ConvNetShape m_shape;
    int m_threads = 1;
    int m_batch = 0;
    std::vector<Offsets> m_offsets; // conv layers, then fc1; out/w and out/b follow fc1/bn_beta
    Index m_outW = 0, m_outB = 0;
    std::vector<ConvScratch> m_conv;
    // Per worker thread: the im2col of one chunk (the forward pass makes it, the backward pass makes it again) and its
    // gradient dL/dcols, sized for the largest layer (dcols: the largest after the first). A chunk's columns stay in that core's caches between
    // im2col and the product (whole-batch matrices of about 40 MB made both run from memory).
    std::vector<Vec<T>> m_colsBuffer, m_dcolsBuffer;
    Index m_chunkColsSize = 0, m_chunkDcolsSize = 0;
    // Head, one row per example: flattened features, fc pre-activation, normalised, activation, logits.
    Mat<T> m_flat, m_dflat, m_fcZ, m_fcXhat, m_fcA, m_logits, m_logitsT, m_dlogitsT;
    Vec<T> m_fcInvStd;
};

} // namespace l2l
