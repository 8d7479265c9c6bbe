#include "optimizers/LstmOptimizer.h"

#include "base/DetMath.h"
#include "base/Memory.h"
#include "base/Parallel.h"

#include <algorithm>
#include <cstdint>
#include <type_traits>
#if defined(__SSE__)
#include <immintrin.h>
#endif

namespace l2l {

namespace {
// Cuts every span into blocks of at most kLstmBlock columns.
std::vector<LstmColumnBlock> columnBlocks(const std::vector<NetSpan>& spans)
{
    std::vector<LstmColumnBlock> blocks;
    for (const NetSpan& s : spans)
        for (Index col = s.offset; col < s.offset + s.size; col += kLstmBlock)
            blocks.push_back({col, std::min(kLstmBlock, s.offset + s.size - col), s.net});
    return blocks;
}

Index spanTotal(const std::vector<NetSpan>& spans)
{
    return spans.empty() ? 0 : spans.back().offset + spans.back().size;
}

template <typename T>
void allocateScratch(std::vector<LstmBlockScratch<T>>& scratch, const LstmArch& a, size_t blocks, bool gates)
{
    scratch.assign(blocks, {});
    for (auto& s : scratch) {
        if (a.inputLayer > 0) s.raw.resize(a.inputSize(), kLstmBlock);
        for (int l = 0; l < a.layers; ++l) {
            const int in = l == 0 ? a.lstmInputSize() : a.hidden;
            s.in.emplace_back(in + a.hidden, kLstmBlock);
            if (gates) s.gates.emplace_back(4 * a.hidden, kLstmBlock);
        }
    }
}

// dst = src for n scalars, with stores that bypass the caches where the build has them (SSE, on float arrays
// aligned to 16 bytes): the window caches of training (about 260 MB on MNIST) are written once and read only in
// the backward pass, so ordinary stores would first read every line from memory. Values are copied bit for bit.
template <typename T>
void streamCopy(T* dst, const T* src, Index n)
{
#if defined(__SSE__)
    if constexpr (std::is_same_v<T, float>) {
        if (reinterpret_cast<std::uintptr_t>(dst) % 16 == 0 && n % 4 == 0) {
            for (Index i = 0; i < n; i += 4) _mm_stream_ps(dst + i, _mm_loadu_ps(src + i));
            return;
        }
    }
#endif
    std::copy(src, src + n, dst);
}

// Orders this thread's streaming stores before what follows (the parallel loop's hand-back to the caller).
inline void streamFence()
{
#if defined(__SSE__)
    _mm_sfence();
#endif
}

// Copies a block of whole columns (contiguous in both) with streamCopy.
template <typename T, typename Dst, typename Src>
void streamColumns(Dst&& dst, const Src& src)
{
    if (dst.outerStride() == dst.rows() && src.outerStride() == src.rows())
        streamCopy(dst.data(), src.data(), dst.size());
    else
        dst = src;
}

bool sameBlocks(const std::vector<LstmColumnBlock>& x, const std::vector<LstmColumnBlock>& y)
{
    return std::equal(x.begin(), x.end(), y.begin(), y.end(), [](const auto& a, const auto& b) {
        return a.col == b.col && a.cols == b.cols && a.net == b.net;
    });
}

// LSTM+GAC: replaces rows 0..G-1 of every column of m (H, N) by their mean over the columns of the same net,
// and writes those means (G, nets). Summed in double, blocks in their (fixed) order and columns in index order
// within a block: the bits do not depend on the thread count. `sum` is work space (G + 1, nets), its last row
// counting the columns. Also the backward pass: the transpose of averaging is averaging.
template <typename T>
void averageRowsPerNet(Mat<T>& m, int G, const std::vector<LstmColumnBlock>& blocks, int nets, Mat<T>& means,
                       Mat<double>& sum)
{
    sum.setZero(G + 1, nets);
    for (const LstmColumnBlock& b : blocks) {
        for (Index c = b.col; c < b.col + b.cols; ++c)
            for (int r = 0; r < G; ++r) sum(r, b.net) += double(m(r, c));
        sum(G, b.net) += double(b.cols);
    }
    means.resize(G, nets);
    for (int k = 0; k < nets; ++k)
        for (int r = 0; r < G; ++r) means(r, k) = sum(G, k) > 0 ? T(sum(r, k) / sum(G, k)) : T(0);
    for (const LstmColumnBlock& b : blocks) m.block(0, b.col, G, b.cols).colwise() = means.col(b.net);
}

// The worker threads forBlocks runs `blocks` on: one scratch each.
size_t workersFor(const std::vector<LstmColumnBlock>& blocks, int threads)
{
    return blocks.empty() ? 0 : size_t(effectiveThreads(threads, int(blocks.size())));
}

// Runs body(index, block, worker) over all blocks on `threads` threads; worker < workersFor(blocks, threads) as long
// as the hardware's thread count (threads = 0) has not changed since then (the callers index with at()).
template <typename Fn>
void forBlocks(const std::vector<LstmColumnBlock>& blocks, int threads, Fn&& body)
{
    parallelForWorkers(int(blocks.size()), threads, [&](int b, int w) { body(b, blocks[size_t(b)], size_t(w)); });
}
} // namespace

std::vector<NetSpan> netSpans(int nets, const std::vector<ParamBlock>& blocks, Index dim)
{
    if (nets == 1) return {{0, dim, 0}};
    coordinateGroups(blocks, dim); // throws unless the blocks tile theta
    const int count = groupCount(blocks);
    if (count != nets)
        throw Error("the LSTM optimizer has " + std::to_string(nets) +
                    " nets (one per parameter group), but the problem has " + std::to_string(count) +
                    " parameter group" + (count == 1 ? "" : "s") +
                    "; use an optimizer trained with --groups per-block on this problem class, or a one-net optimizer");
    std::vector<NetSpan> spans;
    for (const ParamBlock& b : blocks) {
        if (b.size == 0) continue;
        if (!spans.empty() && spans.back().net == b.group)
            spans.back().size += b.size;
        else
            spans.push_back({b.offset, b.size, b.group});
    }
    return spans;
}

template <typename T>
void LstmStepCache<T>::resize(const LstmArch& arch, Index n)
{
    x.resize(arch.inputSize(), n);
    z.resize(arch.inputLayer, arch.inputLayer > 0 ? n : 0);
    gates.resize(size_t(arch.layers));
    c.resize(size_t(arch.layers));
    for (int l = 0; l < arch.layers; ++l) {
        gates[size_t(l)].resize(4 * arch.hidden, n);
        c[size_t(l)].resize(arch.hidden, n);
    }
    adviseHugePages(x.data(), sizeof(T) * size_t(x.size()));
    for (int l = 0; l < arch.layers; ++l) {
        adviseHugePages(gates[size_t(l)].data(), sizeof(T) * size_t(gates[size_t(l)].size()));
        adviseHugePages(c[size_t(l)].data(), sizeof(T) * size_t(c[size_t(l)].size()));
    }
}

template <typename T>
void LstmRunner<T>::reset(Index n)
{
    reset(netSpans(m_net->nets, {{"theta", 0, n, 0}}, n));
}

template <typename T>
void LstmRunner<T>::reset(const std::vector<NetSpan>& spans)
{
    m_n = spanTotal(spans);
    std::vector<LstmColumnBlock> blocks = columnBlocks(spans);
    // One scratch per worker thread (one per block made a step walk through 14 MB of scratch on MNIST instead of a
    // few hundred kB that stay in each core's cache). Every use writes it before reading it.
    const size_t scratches = workersFor(blocks, m_threads);
    if (!sameBlocks(blocks, m_blocks) || m_scratch.size() != scratches || m_scratchArch != m_net->arch)
        allocateScratch(m_scratch, m_net->arch, scratches, true); // else kept: every window resets the runner
    m_scratchArch = m_net->arch;
    m_blocks = std::move(blocks);
}

template <typename T>
void LstmRunner<T>::forwardBlock(const LstmColumnBlock& block, const CVecRef<T>& grad, LstmState<T>& state,
                                 VecRef<T> update, LstmStepCache<T>* cache, LstmBlockScratch<T>& s)
{
    const LstmNet<T>& net = *m_net;
    const LstmArch& a = net.arch;
    const Index H = a.hidden;
    const int I = a.inputSize();
    const Index col = block.col, cols = block.cols;
    const int k = block.net;
    const size_t W = size_t(k * a.layers); // this net's first entry in m_wHalf
    const int E = a.inputLayer;
    // The preprocessed inputs: straight into the first layer's [x; h_prev], or with an input layer into `raw`.
    auto x = (E > 0 ? s.raw : s.in[0]).topLeftCorner(I, cols);
    if (a.hasMoments())
        rnnpropInputs<T>(grad.segment(col, cols), state.m.segment(col, cols), state.v.segment(col, cols), state.t, x);
    else
        preprocessGradient<T>(a, grad.segment(col, cols), x);
    if (cache) streamColumns<T>(cache->x.middleCols(col, cols), x);
    if (E > 0) { // z = ELU(W_in x + b_in), the first layer's input
        auto z = s.in[0].topLeftCorner(E, cols);
        z.noalias() = net.wIn(k) * x;
        z.colwise() += net.bIn(k);
        eluInPlace<T>(z);
        if (cache) streamColumns<T>(cache->z.middleCols(col, cols), z);
    }
    for (int l = 0; l < a.layers; ++l) {
        const size_t L = size_t(l);
        auto in = s.in[L].leftCols(cols);
        auto h = state.h[L].middleCols(col, cols);
        auto c = state.c[L].middleCols(col, cols);
        if (l > 0) in.topRows(H) = state.h[L - 1].middleCols(col, cols); // the new h of the layer below
        in.bottomRows(H) = h;                                            // h_prev, before it is overwritten
        // The gates are computed in the block's scratch (in cache) and then streamed to the window cache.
        auto gates = s.gates[L].leftCols(cols);
        lstmCellForwardPrescaled<T>(m_wHalf[W + L], m_bHalf[W + L], in, c, gates, c, h);
        if (cache) {
            streamColumns<T>(cache->gates[L].middleCols(col, cols), gates);
            streamColumns<T>(cache->c[L].middleCols(col, cols), c);
        }
    }
    if (cache) streamFence();
    // u = scale * (w_out^T h_top + b_out), or scale * tanh(w_out^T h_top + b_out)
    auto u = update.segment(col, cols);
    u.noalias() = state.h.back().middleCols(col, cols).transpose() * net.wOut(k);
    if (a.output == OutputActivation::Tanh) {
        s.out = (u.array() + net.bOut(k)).matrix();
        Eigen::Map<Mat<T>> row(s.out.data(), 1, cols);
        tanhInto<T>(row, Eigen::Map<Mat<T>>(u.data(), 1, cols));
        u *= T(a.outputScale);
        return;
    }
    u = T(a.outputScale) * (u.array() + net.bOut(k)).matrix();
}

template <typename T>
void LstmRunner<T>::forward(const CVecRef<T>& grad, LstmState<T>& state, VecRef<T> update, LstmStepCache<T>* cache)
{
    if (grad.size() != m_n) reset(grad.size());
    const LstmArch& a = m_net->arch;
    if (a.hasMoments()) {
        if (state.m.size() != grad.size() || state.v.size() != grad.size())
            throw Error("internal: the LSTM state has no moments for RNNprop (reset it with the architecture)");
        ++state.t; // the step the moments' bias corrections are for, 1 at the first step
    }
    const int nets = m_net->nets;
    m_wHalf.resize(size_t(nets * a.layers));
    m_bHalf.resize(size_t(nets * a.layers));
    for (int k = 0; k < nets; ++k)
        for (int l = 0; l < a.layers; ++l) { // the weights may have changed since the last step (training)
            const size_t i = size_t(k * a.layers + l);
            m_wHalf[i] = m_net->w(l, k);
            m_bHalf[i] = m_net->b(l, k);
            halveSigmoidRows<T>(m_wHalf[i], m_bHalf[i]);
        }
    forBlocks(m_blocks, m_threads, [&](int, const LstmColumnBlock& block, size_t worker) {
        forwardBlock(block, grad, state, update, cache, m_scratch.at(worker));
    });
    if (a.gac > 0) { // between steps: the next step's h_prev holds the means (LstmNet.h)
        std::vector<Mat<T>>& means = cache ? cache->hMean : m_hMean;
        means.resize(size_t(a.layers));
        for (int l = 0; l < a.layers; ++l)
            averageRowsPerNet<T>(state.h[size_t(l)], a.gac, m_blocks, nets, means[size_t(l)], m_gacSum);
    }
}

template <typename T>
void LstmBackward<T>::reset(Index n)
{
    reset(netSpans(m_net->nets, {{"theta", 0, n, 0}}, n));
}

template <typename T>
void LstmBackward<T>::reset(const std::vector<NetSpan>& spans)
{
    const LstmArch& a = m_net->arch;
    const Index n = spanTotal(spans);
    std::vector<LstmColumnBlock> blocks = columnBlocks(spans);
    const size_t workers = workersFor(blocks, m_threads);
    if (!sameBlocks(blocks, m_blocks) || m_scratch.size() != workers || m_scratchArch != a)
        allocateScratch(m_scratch, a, workers, false);
    m_carry.resize(blocks.size());
    for (auto& c : m_carry) c.hAfterOf = nullptr; // caches are reused across windows: nothing carried is valid now
    m_scratchArch = a;
    m_blocks = std::move(blocks);
    m_n = n;
    m_dh.assign(size_t(a.layers), Mat<T>::Zero(a.hidden, n));
    m_dc.assign(size_t(a.layers), Mat<T>::Zero(a.hidden, n));
    m_blockGrad.assign(m_blocks.size(), Vec<T>::Zero(a.paramCount()));
}

template <typename T>
void LstmBackward<T>::stepBlock(int block, LstmBlockScratch<T>& s, const CVecRef<T>& du, const LstmStepCache<T>& cache,
                                const LstmStepCache<T>* prev, const LstmState<T>& initial, Mat<T>* dx)
{
    const Index col = m_blocks[size_t(block)].col, cols = m_blocks[size_t(block)].cols;
    const int k = m_blocks[size_t(block)].net;
    const LstmNet<T>& net = *m_net;
    const LstmArch& a = net.arch;
    const Index H = a.hidden;
    LstmBlockCarry<T>& carry = m_carry[size_t(block)];
    Vec<T>& g = m_blockGrad[size_t(block)];
    const T scale = T(a.outputScale);
    // tanh(c) and h of layer L after a cached step, recomputed exactly as the forward pass did: o * tanh(c).
    auto recompute = [&](const LstmStepCache<T>& step, size_t L, Mat<T>& tc, Mat<T>& h) {
        tc.resize(H, cols);
        tanhInto<T>(step.c[L].middleCols(col, cols), tc);
        h.resize(H, cols);
        timesOutputGate<T>(tc, step.gates[L].middleCols(col, cols), h);
    };
    for (auto* v : {&carry.hAfter, &carry.hBefore, &carry.tcAfter, &carry.tcBefore}) v->resize(size_t(a.layers));
    if (carry.hAfterOf != &cache)
        for (int l = 0; l < a.layers; ++l)
            recompute(cache, size_t(l), carry.tcAfter[size_t(l)], carry.hAfter[size_t(l)]);
    // Output layer: u = scale (w_out^T h_top + b_out), or scale tanh(w_out^T h_top + b_out)
    const Index out = net.outOffset();
    if (a.output == OutputActivation::Tanh) {
        // The pre-activation recomputed as the forward pass did; dL/da = du * scale * (1 - tanh(a)^2).
        s.out.noalias() = carry.hAfter.back().transpose() * net.wOut(k);
        s.out.array() += net.bOut(k);
        s.dOut.resize(cols);
        Eigen::Map<Mat<T>> row(s.out.data(), 1, cols);
        tanhInto<T>(row, Eigen::Map<Mat<T>>(s.dOut.data(), 1, cols));
        s.dOut = (du.array() * scale * (T(1) - s.dOut.array().square())).matrix();
        g.segment(out, H).noalias() += carry.hAfter.back() * s.dOut;
        g(out + H) += s.dOut.sum();
        s.dh = m_dh.back().middleCols(col, cols);
        s.dh.noalias() += net.wOut(k) * s.dOut.transpose();
    } else {
        g.segment(out, H).noalias() += scale * (carry.hAfter.back() * du);
        g(out + H) += scale * du.sum();
        s.dh = m_dh.back().middleCols(col, cols);
        s.dh.noalias() += (scale * net.wOut(k)) * du.transpose();
    }
    const int E = a.inputLayer;
    for (int l = a.layers - 1; l >= 0; --l) {
        const size_t L = size_t(l);
        const auto o = net.offsets(l);
        Eigen::Map<Mat<T>> dW(g.data() + o.wx, 4 * H, o.in + H);
        Eigen::Map<Vec<T>> db(g.data() + o.b, 4 * H);
        auto in = s.in[L].leftCols(cols); // rebuild [x; h_prev] of this step
        if (l == 0)
            in.topRows(o.in) = E > 0 ? cache.z.middleCols(col, cols) : cache.x.middleCols(col, cols);
        else
            in.topRows(o.in) = carry.hAfter[L - 1];
        if (prev) {
            recompute(*prev, L, carry.tcBefore[L], carry.hBefore[L]);
            in.bottomRows(H) = carry.hBefore[L];
            if (a.gac > 0) in.bottomRows(H).topRows(a.gac).colwise() = prev->hMean[L].col(k); // what forward read
        } else { // the state the window started from: its GAC rows already hold the means
            in.bottomRows(H) = initial.h[L].middleCols(col, cols);
        }
        const auto cPrev = prev ? prev->c[L].middleCols(col, cols) : initial.c[L].middleCols(col, cols);
        s.din.resize(o.in + H, cols);
        lstmCellBackward<T>(net.w(l, k), in, cPrev, cache.gates[L].middleCols(col, cols), carry.tcAfter[L], s.dh,
                            m_dc[L].middleCols(col, cols), s.din, dW, db, s.dz);
        m_dh[L].middleCols(col, cols) = s.din.bottomRows(H); // dL/dh_prev, carried to step s-1
        if (l > 0) {
            s.dh = m_dh[L - 1].middleCols(col, cols) + s.din.topRows(H); // layer below: recurrence + from above
        } else if (E > 0) {
            // Through z = ELU(a), a = W_in x + b_in: ELU'(a) = 1 where z > 0, else z + 1 (= e^a).
            const auto z = cache.z.middleCols(col, cols);
            s.dIn = (z.array() > T(0)).select(s.din.topRows(E).array(), s.din.topRows(E).array() * (z.array() + T(1)));
            const Index I = a.inputSize();
            Eigen::Map<Mat<T>> dWin(g.data(), E, I);
            Eigen::Map<Vec<T>> dbIn(g.data() + Index(E) * I, E);
            dWin.noalias() += s.dIn * cache.x.middleCols(col, cols).transpose();
            dbIn += s.dIn.rowwise().sum();
            if (dx) dx->middleCols(col, cols).noalias() = net.wIn(k).transpose() * s.dIn;
        } else if (dx) {
            dx->middleCols(col, cols) = s.din.topRows(o.in);
        }
    }
    std::swap(carry.hAfter, carry.hBefore); // step s-1 is next: its h and tanh(c) are what we just computed
    std::swap(carry.tcAfter, carry.tcBefore);
    carry.hAfterOf = prev;
}

template <typename T>
void LstmBackward<T>::step(const CVecRef<T>& dU, const LstmStepCache<T>& cache, const LstmStepCache<T>* prev,
                           const LstmState<T>& initial, Mat<T>* dx)
{
    const LstmArch& a = m_net->arch;
    if (dx) dx->resize(a.inputSize(), m_n);
    // GAC: m_dh holds dL/dh~ of step s's state; the averaged rows' dL/dh is the mean of theirs over the net.
    if (a.gac > 0)
        for (int l = 0; l < a.layers; ++l)
            averageRowsPerNet<T>(m_dh[size_t(l)], a.gac, m_blocks, m_net->nets, m_dhMean, m_gacSum);
    forBlocks(m_blocks, m_threads, [&](int b, const LstmColumnBlock&, size_t worker) {
        const LstmColumnBlock& blk = m_blocks[size_t(b)];
        stepBlock(b, m_scratch.at(worker), dU.segment(blk.col, blk.cols), cache, prev, initial, dx);
    });
}

template <typename T>
bool LstmBackward<T>::windowByBlocks(int K, const std::vector<Vec<T>>& grads, const std::vector<double>& weights,
                                     const std::vector<Vec<T>>* residuals, T lambda,
                                     const std::vector<LstmStepCache<T>>& caches, const LstmState<T>& initial,
                                     const std::atomic<bool>* cancel)
{
    if (m_net->arch.gac > 0) throw Error("internal: windowByBlocks without global averaging cells only");
    std::atomic<bool> stopped{false};
    // step() reads dL/du as a segment of a whole (aligned) vector, and Eigen's sum over it (the output bias's
    // gradient) starts its packets at the first aligned element: the order of that sum depends on the segment's
    // alignment. So the block's copies sit at the offset that gives their first element the alignment column
    // blk.col has in an aligned vector, and every sum runs in the same order.
    constexpr Index lanes = EIGEN_MAX_ALIGN_BYTES / Index(sizeof(T));
    forBlocks(m_blocks, m_threads, [&](int b, const LstmColumnBlock& blk, size_t worker) {
        LstmBlockScratch<T>& s = m_scratch.at(worker);
        const Index offset = blk.col % lanes;
        if (s.adjoint.size() < kLstmBlock + lanes) s.adjoint.resize(kLstmBlock + lanes);
        if (residuals && s.du.size() < kLstmBlock + lanes) s.du.resize(kLstmBlock + lanes);
        auto adjoint = s.adjoint.segment(offset, blk.cols);
        auto du = s.du.segment(residuals ? offset : 0, residuals ? blk.cols : 0); // empty without imitation
        // The adjoint of Unroller::window on this block's columns: the same expressions on segments.
        adjoint = T(weights[size_t(K)]) * grads[size_t(K)].segment(blk.col, blk.cols);
        for (int j = K - 1; j >= 0; --j) {
            if (cancel && cancel->load()) {
                stopped = true;
                return;
            }
            const LstmStepCache<T>* prev = j > 0 ? &caches[size_t(j) - 1] : nullptr;
            if (residuals) {
                du = adjoint + lambda * (*residuals)[size_t(j)].segment(blk.col, blk.cols);
                stepBlock(b, s, du, caches[size_t(j)], prev, initial, nullptr);
            } else {
                stepBlock(b, s, adjoint, caches[size_t(j)], prev, initial, nullptr);
            }
            if (j == 0) break;
            adjoint += T(weights[size_t(j)]) * grads[size_t(j)].segment(blk.col, blk.cols);
        }
    });
    return !stopped.load();
}

template <typename T>
Vec<T> LstmBackward<T>::gradient() const
{
    const Index P = m_net->arch.paramCount();
    Vec<T> sum = Vec<T>::Zero(m_net->nets * P);
    for (size_t b = 0; b < m_blockGrad.size(); ++b) sum.segment(m_net->netOffset(m_blocks[b].net), P) += m_blockGrad[b];
    return sum;
}

template <typename T>
LstmRule<T>::LstmRule(LstmNet<T> net, int threads) : m_net(std::move(net)), m_runner(&m_net, threads)
{}

template <typename T>
void LstmRule<T>::reset(Index dim)
{
    m_runner.setNet(&m_net);
    const std::vector<ParamBlock> one{{"theta", 0, dim, 0}};
    m_runner.reset(netSpans(m_net.nets, m_blocks.empty() ? one : m_blocks, dim));
    m_state.reset(m_net.arch, dim);
    m_update.setZero(dim);
}

template <typename T>
void LstmRule<T>::step(VecRef<T> theta, const CVecRef<T>& grad)
{
    m_runner.forward(grad, m_state, m_update, nullptr);
    theta += m_update;
}

template struct LstmStepCache<float>;
template struct LstmStepCache<double>;
template class LstmRunner<float>;
template class LstmRunner<double>;
template class LstmBackward<float>;
template class LstmBackward<double>;
template class LstmRule<float>;
template class LstmRule<double>;

} // namespace l2l
