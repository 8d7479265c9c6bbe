#include "nn/ConvNet.h"

#include "base/Parallel.h"
#include "base/Rng.h"
#include "base/SeedStreams.h"
#include "nn/Mlp.h"

#include <algorithm>

namespace l2l {

int ConvNetShape::gridHeight(int l) const
{
    int h = height;
    for (int i = 0; i < l; ++i) h = (h + 1) / 2;
    return h;
}

int ConvNetShape::gridWidth(int l) const
{
    int w = width;
    for (int i = 0; i < l; ++i) w = (w + 1) / 2;
    return w;
}

std::vector<ParamBlock> ConvNetShape::paramBlocks() const
{
    std::vector<ParamBlock> blocks;
    Index offset = 0;
    auto add = [&](const std::string& name, Index size, int group) {
        blocks.push_back({name, offset, size, group});
        offset += size;
    };
    auto addNormalised = [&](const std::string& layer, Index weights, int weightGroup, int units) {
        add(layer + "/w", weights, weightGroup);
        add(layer + "/b", units, kOtherParamGroup);
        add(layer + "/bn_gamma", units, kOtherParamGroup);
        add(layer + "/bn_beta", units, kOtherParamGroup);
    };
    for (int l = 0; l < convLayers; ++l)
        addNormalised("conv" + std::to_string(l + 1), Index(kernel) * kernel * layerInChannels(l) * channels,
                      kConvWeightGroup, channels);
    addNormalised("fc1", Index(flatFeatures()) * fcUnits, kOtherParamGroup, fcUnits);
    add("out/w", Index(fcUnits) * classes, kOtherParamGroup);
    add("out/b", classes, kOtherParamGroup);
    return blocks;
}

Index ConvNetShape::paramCount() const
{
    const auto blocks = paramBlocks();
    return blocks.back().offset + blocks.back().size;
}

template <typename T>
ConvNet<T>::ConvNet(const ConvNetShape& shape) : m_shape(shape), m_conv(size_t(shape.convLayers))
{
    // Four blocks (w, b, bn_gamma, bn_beta) per conv layer and for fc1, then out/w and out/b.
    const auto blocks = m_shape.paramBlocks();
    for (size_t i = 0; i + 2 < blocks.size(); i += 4)
        m_offsets.push_back({blocks[i].offset, blocks[i + 1].offset, blocks[i + 2].offset, blocks[i + 3].offset});
    m_outW = blocks[blocks.size() - 2].offset;
    m_outB = blocks.back().offset;
}

template <typename T>
Vec<T> ConvNet<T>::initialTheta(std::uint64_t seed, double initStd) const
{
    Rng rng(deriveSeed(seed, kConvNetInitialWeights));
    Vec<T> theta(m_shape.paramCount());
    for (const ParamBlock& block : m_shape.paramBlocks()) {
        const bool gamma = block.name.ends_with("/bn_gamma"), beta = block.name.ends_with("/bn_beta");
        for (Index i = block.offset; i < block.offset + block.size; ++i)
            theta(i) = gamma ? T(1) : beta ? T(0) : T(initStd * rng.normal());
    }
    return theta;
}

std::uint64_t ConvNetShape::scratchValues(int batch) const
{
    // What resize() below allocates: per conv layer z, xhat, a, pooled, dpooled and argmax; the im2col of one chunk
    // and its gradient (ConvNet's per-worker buffers: one worker's; a net running on more threads has one per thread),
    // sized for the largest layer; the dense head (the per-chunk weight gradients are left out).
    const std::uint64_t b = std::uint64_t(batch), c = std::uint64_t(channels);
    const std::uint64_t chunk = std::uint64_t(std::min(batch, ConvNet<float>::kChunkImages));
    std::uint64_t values = 0, cols = 0, dcols = 0;
    for (int l = 0; l < convLayers; ++l) {
        const std::uint64_t n = b * std::uint64_t(gridHeight(l)) * std::uint64_t(gridWidth(l));
        const std::uint64_t pooled = b * std::uint64_t(gridHeight(l + 1)) * std::uint64_t(gridWidth(l + 1));
        const std::uint64_t inputs = std::uint64_t(kernel) * std::uint64_t(kernel) * std::uint64_t(layerInChannels(l));
        values += 3 * n * c + 3 * pooled * c;
        const std::uint64_t chunkCols = chunk * std::uint64_t(gridHeight(l)) * std::uint64_t(gridWidth(l)) * inputs;
        cols = std::max(cols, chunkCols);
        if (l > 0) dcols = std::max(dcols, chunkCols);
    }
    return values + cols + dcols +
           b * (2 * std::uint64_t(flatFeatures()) + 3 * std::uint64_t(fcUnits) + 3 * std::uint64_t(classes));
}

template <typename T>
void ConvNet<T>::resize(int batch)
{
    if (batch == m_batch) return;
    m_batch = batch;
    const ConvNetShape& s = m_shape;
    const int k2 = s.kernel * s.kernel;
    m_chunkColsSize = m_chunkDcolsSize = 0;
    for (int l = 0; l < s.convLayers; ++l) {
        ConvScratch& c = m_conv[size_t(l)];
        const Index n = Index(batch) * s.gridHeight(l) * s.gridWidth(l);
        const Index pooled = Index(batch) * s.gridHeight(l + 1) * s.gridWidth(l + 1);
        const int inputs = k2 * s.layerInChannels(l);
        c.z.resize(n, s.channels);
        c.xhat.resize(n, s.channels);
        c.a.resize(n, s.channels);
        c.invStd.resize(s.channels);
        c.pooled.resize(pooled, s.channels);
        c.dpooled.resize(pooled, s.channels);
        c.argmax.resize(pooled, s.channels);
        c.dwChunk.assign(size_t(chunks()), Mat<T>(inputs, s.channels));
        c.dbChunk.assign(size_t(chunks()), Vec<T>(s.channels));
        const Index chunkCols = Index(std::min(batch, kChunkImages)) * s.gridHeight(l) * s.gridWidth(l) * inputs;
        m_chunkColsSize = std::max(m_chunkColsSize, chunkCols);
        if (l > 0) m_chunkDcolsSize = std::max(m_chunkDcolsSize, chunkCols); // the image needs no gradient
    }
    m_flat.resize(batch, s.flatFeatures());
    m_dflat.resize(batch, s.flatFeatures());
    m_fcZ.resize(batch, s.fcUnits);
    m_fcXhat.resize(batch, s.fcUnits);
    m_fcA.resize(batch, s.fcUnits);
    m_fcInvStd.resize(s.fcUnits);
    m_logits.resize(batch, s.classes);
    m_logitsT.resize(s.classes, batch);
    m_dlogitsT.resize(s.classes, batch);
}

template <typename T>
void ConvNet<T>::ensureWorkers(size_t workers)
{
    if (m_colsBuffer.size() < workers) {
        m_colsBuffer.resize(workers);
        m_dcolsBuffer.resize(workers);
    }
    for (size_t w = 0; w < workers; ++w) { // kept when the size is the same (a test chunk's batch)
        m_colsBuffer[w].resize(m_chunkColsSize);
        m_dcolsBuffer[w].resize(m_chunkDcolsSize);
    }
}

template <typename T>
Eigen::Map<Mat<T>> ConvNet<T>::chunkCols(int l, int chunk, size_t worker, const Eigen::Ref<const Mat<T>>& input)
{
    const ConvNetShape& s = m_shape;
    const int height = s.gridHeight(l), width = s.gridWidth(l), hw = height * width, k = s.kernel;
    const int b0 = chunk * kChunkImages, b1 = std::min(m_batch, b0 + kChunkImages);
    Eigen::Map<Mat<T>> cols(m_colsBuffer.at(worker).data(), Index(b1 - b0) * hw, Index(k) * k * s.layerInChannels(l));
    for (int b = b0; b < b1; ++b)
        im2col<T>(input.middleRows(Index(b) * hw, hw), height, width, k, cols.middleRows(Index(b - b0) * hw, hw));
    return cols;
}

template <typename T>
void ConvNet<T>::convForward(int l, const T* theta, const Eigen::Ref<const Mat<T>>& input)
{
    const ConvNetShape& s = m_shape;
    const int height = s.gridHeight(l), width = s.gridWidth(l), hw = height * width, k = s.kernel;
    const Offsets& o = m_offsets[size_t(l)];
    ConvScratch& c = m_conv[size_t(l)];
    Eigen::Map<const Mat<T>> w(theta + o.w, Index(k) * k * s.layerInChannels(l), s.channels);
    Eigen::Map<const Vec<T>> bias(theta + o.b, s.channels), gamma(theta + o.gamma, s.channels),
        beta(theta + o.beta, s.channels);
    // z = conv(input) + b, chunk by chunk of images: (B*H*W x k*k*Cin) (k*k*Cin x C). The product's sizes are those
    // of a chunk whatever buffer holds it, and Eigen's matrix products order their sums by the sizes only, so the sums
    // are those of the whole-batch matrix this buffer replaced. (With channels = 1 the product is a matrix-vector one,
    // whose column blocking also looks at the stride: 16 columns below 32000 bytes, else 4, and only where
    // k*k*Cin >= 128. The spec's limits keep both strides on the same side: a chunk of 8 CIFAR images is 8192 rows,
    // and smaller batches are one chunk, the same stride as before.)
    ensureWorkers(size_t(effectiveThreads(m_threads, chunks())));
    parallelForWorkers(chunks(), m_threads, [&](int chunk, int worker) {
        const auto cols = chunkCols(l, chunk, size_t(worker), input);
        denseForward<T>(cols, w, bias, c.z.middleRows(Index(chunk) * kChunkImages * hw, cols.rows()));
    });
    // Per channel: batch norm over all B*H*W positions, ReLU, max-pool.
    parallelFor(s.channels, m_threads, [&](int ch) {
        batchNormForward<T>(c.z.middleCols(ch, 1), gamma.segment(ch, 1), beta.segment(ch, 1), T(kBatchNormEps),
                            c.xhat.middleCols(ch, 1), c.invStd.segment(ch, 1), c.a.middleCols(ch, 1));
        activationForward<T>(Activation::Relu, c.a.middleCols(ch, 1), c.a.middleCols(ch, 1));
        maxPoolForward<T>(c.a.middleCols(ch, 1), m_batch, height, width, c.pooled.middleCols(ch, 1),
                          c.argmax.middleCols(ch, 1));
    });
}

template <typename T>
void ConvNet<T>::convBackward(int l, const T* theta, T* grad, const Eigen::Ref<const Mat<T>>& input)
{
    const ConvNetShape& s = m_shape;
    const int height = s.gridHeight(l), width = s.gridWidth(l), hw = height * width, k = s.kernel;
    const Offsets& o = m_offsets[size_t(l)];
    ConvScratch& c = m_conv[size_t(l)];
    const Index inputs = Index(k) * k * s.layerInChannels(l);
    Eigen::Map<const Mat<T>> w(theta + o.w, inputs, s.channels);
    Eigen::Map<const Vec<T>> gamma(theta + o.gamma, s.channels);
    Eigen::Map<Vec<T>> dgamma(grad + o.gamma, s.channels), dbeta(grad + o.beta, s.channels);
    // Per channel, back through the pool, the ReLU and the batch norm; z (no longer needed) holds dL/dz.
    parallelFor(s.channels, m_threads, [&](int ch) {
        auto dz = c.z.middleCols(ch, 1);
        maxPoolBackward<T>(c.dpooled.middleCols(ch, 1), c.argmax.middleCols(ch, 1), dz);
        activationBackward<T>(Activation::Relu, c.a.middleCols(ch, 1), dz);
        batchNormBackward<T>(dz, c.xhat.middleCols(ch, 1), gamma.segment(ch, 1), c.invStd.segment(ch, 1),
                             dgamma.segment(ch, 1), dbeta.segment(ch, 1), dz);
    });
    // Per chunk: its part of dL/dw and dL/db, and dL/d(input) through col2im (not needed for the image). The chunk's
    // im2col is made again (a copy: cheaper than keeping the whole batch's and reading it back from memory).
    ensureWorkers(size_t(effectiveThreads(m_threads, chunks())));
    parallelForWorkers(chunks(), m_threads, [&](int chunk, int worker) {
        const auto cols = chunkCols(l, chunk, size_t(worker), input);
        const int b0 = chunk * kChunkImages, b1 = std::min(m_batch, b0 + kChunkImages);
        const Index r0 = Index(b0) * hw, rows = cols.rows();
        denseBackwardParams<T>(cols, c.z.middleRows(r0, rows), c.dwChunk[size_t(chunk)], c.dbChunk[size_t(chunk)]);
        if (l == 0) return;
        Eigen::Map<Mat<T>> dcols(m_dcolsBuffer.at(size_t(worker)).data(), rows, inputs);
        denseBackwardInput<T>(c.z.middleRows(r0, rows), w, dcols);
        Mat<T>& dinput = m_conv[size_t(l - 1)].dpooled;
        for (int b = b0; b < b1; ++b)
            col2im<T>(dcols.middleRows(Index(b - b0) * hw, hw), height, width, k, dinput.middleRows(Index(b) * hw, hw));
    });
    // The chunks' parts summed in chunk order, whatever the thread count.
    Eigen::Map<Mat<T>> dw(grad + o.w, inputs, s.channels);
    Eigen::Map<Vec<T>> db(grad + o.b, s.channels);
    dw = c.dwChunk[0];
    db = c.dbChunk[0];
    for (size_t i = 1; i < c.dwChunk.size(); ++i) {
        dw += c.dwChunk[i];
        db += c.dbChunk[i];
    }
}

template <typename T>
T ConvNet<T>::headForwardBackward(const T* theta, const std::vector<std::uint8_t>& labels, T* grad, int* correct)
{
    const ConvNetShape& s = m_shape;
    const int last = s.convLayers - 1, hw = s.gridHeight(s.convLayers) * s.gridWidth(s.convLayers);
    const int features = s.flatFeatures(), units = s.fcUnits, classes = s.classes;
    const Offsets& o = m_offsets.back();
    Eigen::Map<const Mat<T>> w1(theta + o.w, features, units), w2(theta + m_outW, units, classes);
    Eigen::Map<const Vec<T>> b1(theta + o.b, units), gamma(theta + o.gamma, units), beta(theta + o.beta, units),
        b2(theta + m_outB, classes);
    // Flatten: flat(b, c*h*w + p) = pooled(b*h*w + p, c).
    const Mat<T>& pooled = m_conv[size_t(last)].pooled;
    for (int b = 0; b < m_batch; ++b)
        for (int c = 0; c < s.channels; ++c)
            m_flat.row(b).segment(Index(c) * hw, hw) = pooled.col(c).segment(Index(b) * hw, hw).transpose();
    denseForward<T>(m_flat, w1, b1, m_fcZ); // (B x U)
    batchNormForward<T>(m_fcZ, gamma, beta, T(kBatchNormEps), m_fcXhat, m_fcInvStd, m_fcA);
    activationForward<T>(Activation::Relu, m_fcA, m_fcA);
    denseForward<T>(m_fcA, w2, b2, m_logits); // (B x K)
    m_logitsT = m_logits.transpose();
    const T loss = softmaxCrossEntropy<T>(m_logitsT, labels, m_dlogitsT, correct);
    if (!grad) return loss;

    Eigen::Map<Mat<T>> dw1(grad + o.w, features, units), dw2(grad + m_outW, units, classes);
    Eigen::Map<Vec<T>> db1(grad + o.b, units), dgamma(grad + o.gamma, units), dbeta(grad + o.beta, units),
        db2(grad + m_outB, classes);
    m_logits = m_dlogitsT.transpose(); // now dL/dlogits
    denseBackwardParams<T>(m_fcA, m_logits, dw2, db2);
    denseBackwardInput<T>(m_logits, w2, m_fcZ); // z (no longer needed) holds dL/da, then dL/dz
    activationBackward<T>(Activation::Relu, m_fcA, m_fcZ);
    batchNormBackward<T>(m_fcZ, m_fcXhat, gamma, m_fcInvStd, dgamma, dbeta, m_fcZ);
    denseBackwardParams<T>(m_flat, m_fcZ, dw1, db1);
    denseBackwardInput<T>(m_fcZ, w1, m_dflat);
    Mat<T>& dpooled = m_conv[size_t(last)].dpooled;
    for (int b = 0; b < m_batch; ++b)
        for (int c = 0; c < s.channels; ++c)
            dpooled.col(c).segment(Index(b) * hw, hw) = m_dflat.row(b).segment(Index(c) * hw, hw).transpose();
    return loss;
}

template <typename T>
T ConvNet<T>::lossAndGradient(const T* theta, const Eigen::Ref<const Mat<T>>& input,
                              const std::vector<std::uint8_t>& labels, T* grad, int* correct)
{
    const ConvNetShape& s = m_shape;
    const int batch = int(labels.size());
    if (batch < 1 || input.rows() != Index(batch) * s.height * s.width || input.cols() != s.inChannels)
        throw Error("convnet: input of " + std::to_string(input.rows()) + "x" + std::to_string(input.cols()) +
                    " values for " + std::to_string(batch) + " labels and " + std::to_string(s.height) + "x" +
                    std::to_string(s.width) + "x" + std::to_string(s.inChannels) + " images");
    for (std::uint8_t y : labels)
        if (y >= s.classes)
            throw Error("convnet: label " + std::to_string(y) + " of a " + std::to_string(s.classes) + "-class net");
    resize(batch);
    convForward(0, theta, input);
    for (int l = 1; l < s.convLayers; ++l) convForward(l, theta, m_conv[size_t(l - 1)].pooled);
    const T loss = headForwardBackward(theta, labels, grad, correct);
    if (grad)
        for (int l = s.convLayers; l-- > 0;) {
            if (l == 0)
                convBackward(l, theta, grad, input);
            else
                convBackward(l, theta, grad, m_conv[size_t(l - 1)].pooled);
        }
    return loss;
}

template class ConvNet<float>;
template class ConvNet<double>;

} // namespace l2l
