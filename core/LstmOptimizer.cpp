#include "LstmOptimizer.h"

#include "Parallel.h"

namespace l2l {

namespace {
int blockCount(Index n) { return int((n + kLstmBlock - 1) / kLstmBlock); }

template <typename T>
void allocateScratch(std::vector<LstmBlockScratch<T>>& scratch, const LstmArch& a, Index n, bool gates)
{
    scratch.assign(size_t(blockCount(n)), {});
    for (auto& s : scratch) {
        for (int l = 0; l < a.layers; ++l) {
            const int in = l == 0 ? a.inputSize() : a.hidden;
            s.in.emplace_back(in + a.hidden, kLstmBlock);
            if (gates) s.gates.emplace_back(4 * a.hidden, kLstmBlock);
        }
    }
}

// Runs body(block, firstColumn, columns) over all blocks, on `threads` threads.
template <typename Fn>
void forBlocks(Index n, int threads, Fn&& body)
{
    const int blocks = blockCount(n);
    auto one = [&](int b) {
        const Index col = Index(b) * kLstmBlock;
        body(b, col, std::min(kLstmBlock, n - col));
    };
    if (threads == 1 || blocks == 1)
        for (int b = 0; b < blocks; ++b) one(b);
    else
        parallelFor(blocks, threads, one);
}
} // namespace

template <typename T>
void LstmStepCache<T>::resize(const LstmArch& arch, Index n)
{
    x.resize(arch.inputSize(), n);
    gates.resize(size_t(arch.layers));
    c.resize(size_t(arch.layers));
    for (int l = 0; l < arch.layers; ++l) {
        gates[size_t(l)].resize(4 * arch.hidden, n);
        c[size_t(l)].resize(arch.hidden, n);
    }
}

template <typename T>
void LstmRunner<T>::reset(Index n)
{
    m_n = n;
    allocateScratch(m_scratch, m_net->arch, n, true);
}

template <typename T>
void LstmRunner<T>::forwardBlock(Index col, Index cols, const CVecRef<T>& grad, LstmState<T>& state,
                                 VecRef<T> update, LstmStepCache<T>* cache, LstmBlockScratch<T>& s)
{
    const LstmNet<T>& net = *m_net;
    const LstmArch& a = net.arch;
    const Index H = a.hidden;
    const int I = a.inputSize();
    preprocessGradient<T>(a, grad.segment(col, cols), s.in[0].topLeftCorner(I, cols));
    if (cache) cache->x.middleCols(col, cols) = s.in[0].topLeftCorner(I, cols);
    for (int l = 0; l < a.layers; ++l) {
        const size_t L = size_t(l);
        auto in = s.in[L].leftCols(cols);
        auto h = state.h[L].middleCols(col, cols);
        auto c = state.c[L].middleCols(col, cols);
        if (l > 0) in.topRows(H) = state.h[L - 1].middleCols(col, cols); // the new h of the layer below
        in.bottomRows(H) = h;                                             // h_prev, before it is overwritten
        auto gates = cache ? cache->gates[L].middleCols(col, cols) : s.gates[L].leftCols(cols);
        lstmCellForwardPrescaled<T>(m_wHalf[L], m_bHalf[L], in, c, gates, c, h);
        if (cache) cache->c[L].middleCols(col, cols) = c;
    }
    // u = scale * (w_out^T h_top + b_out)
    auto u = update.segment(col, cols);
    u.noalias() = state.h.back().middleCols(col, cols).transpose() * net.wOut();
    u = T(a.outputScale) * (u.array() + net.bOut()).matrix();
}

template <typename T>
void LstmRunner<T>::forward(const CVecRef<T>& grad, LstmState<T>& state, VecRef<T> update, LstmStepCache<T>* cache)
{
    if (grad.size() != m_n) reset(grad.size());
    const LstmArch& a = m_net->arch;
    m_wHalf.resize(size_t(a.layers));
    m_bHalf.resize(size_t(a.layers));
    for (int l = 0; l < a.layers; ++l) { // the weights may have changed since the last step (training)
        m_wHalf[size_t(l)] = m_net->w(l);
        m_bHalf[size_t(l)] = m_net->b(l);
        halveSigmoidRows<T>(m_wHalf[size_t(l)], m_bHalf[size_t(l)]);
    }
    forBlocks(m_n, m_threads, [&](int b, Index col, Index cols) {
        forwardBlock(col, cols, grad, state, update, cache, m_scratch[size_t(b)]);
    });
}

template <typename T>
void LstmBackward<T>::reset(Index n)
{
    const LstmArch& a = m_net->arch;
    if (n != m_n || m_scratch.empty()) allocateScratch(m_scratch, a, n, false);
    m_n = n;
    m_dh.assign(size_t(a.layers), Mat<T>::Zero(a.hidden, n));
    m_dc.assign(size_t(a.layers), Mat<T>::Zero(a.hidden, n));
    m_blockGrad.assign(size_t(blockCount(n)), Vec<T>::Zero(a.paramCount()));
    for (auto& s : m_scratch) s.hAfterOf = nullptr; // caches are reused across windows
}

template <typename T>
void LstmBackward<T>::stepBlock(int block, Index col, Index cols, const CVecRef<T>& dU, const LstmStepCache<T>& cache,
                                const LstmStepCache<T>* prev, const LstmState<T>& initial, Mat<T>* dx)
{
    const LstmNet<T>& net = *m_net;
    const LstmArch& a = net.arch;
    const Index H = a.hidden;
    LstmBlockScratch<T>& s = m_scratch[size_t(block)];
    Vec<T>& g = m_blockGrad[size_t(block)];
    const T scale = T(a.outputScale);
    const auto du = dU.segment(col, cols);
    // h of layer L after a cached step, recomputed exactly as the forward pass did: o * tanh(c).
    auto recompute = [&](const LstmStepCache<T>& step, size_t L, Mat<T>& out) {
        out.resize(H, cols);
        tanhInto<T>(step.c[L].middleCols(col, cols), out);
        out.array() *= step.gates[L].middleCols(col, cols).bottomRows(H).array();
    };
    s.hAfter.resize(size_t(a.layers));
    s.hBefore.resize(size_t(a.layers));
    if (s.hAfterOf != &cache)
        for (int l = 0; l < a.layers; ++l) recompute(cache, size_t(l), s.hAfter[size_t(l)]);
    // Output layer: u = scale (w_out^T h_top + b_out)
    const Index out = net.outOffset();
    g.segment(out, H).noalias() += scale * (s.hAfter.back() * du);
    g(out + H) += scale * du.sum();
    s.dh = m_dh.back().middleCols(col, cols);
    s.dh.noalias() += (scale * net.wOut()) * du.transpose();
    for (int l = a.layers - 1; l >= 0; --l) {
        const size_t L = size_t(l);
        const auto o = net.offsets(l);
        Eigen::Map<Mat<T>> dW(g.data() + o.wx, 4 * H, o.in + H);
        Eigen::Map<Vec<T>> db(g.data() + o.b, 4 * H);
        auto in = s.in[L].leftCols(cols); // rebuild [x; h_prev] of this step
        if (l == 0)
            in.topRows(o.in) = cache.x.middleCols(col, cols);
        else
            in.topRows(o.in) = s.hAfter[L - 1];
        if (prev) {
            recompute(*prev, L, s.hBefore[L]);
            in.bottomRows(H) = s.hBefore[L];
        } else {
            in.bottomRows(H) = initial.h[L].middleCols(col, cols);
        }
        const auto cPrev = prev ? prev->c[L].middleCols(col, cols) : initial.c[L].middleCols(col, cols);
        s.din.resize(o.in + H, cols);
        lstmCellBackward<T>(net.w(l), in, cPrev, cache.gates[L].middleCols(col, cols), cache.c[L].middleCols(col, cols),
                            s.dh, m_dc[L].middleCols(col, cols), s.din, dW, db, s.dz, s.tc);
        m_dh[L].middleCols(col, cols) = s.din.bottomRows(H); // dL/dh_prev, carried to step s-1
        if (l > 0)
            s.dh = m_dh[L - 1].middleCols(col, cols) + s.din.topRows(H); // layer below: recurrence + from above
        else if (dx)
            dx->middleCols(col, cols) = s.din.topRows(o.in);
    }
    std::swap(s.hAfter, s.hBefore); // step s-1 is next: its h is what we just computed as h_prev
    s.hAfterOf = prev;
}

template <typename T>
void LstmBackward<T>::step(const CVecRef<T>& dU, const LstmStepCache<T>& cache, const LstmStepCache<T>* prev,
                           const LstmState<T>& initial, Mat<T>* dx)
{
    if (dx) dx->resize(m_net->arch.inputSize(), m_n);
    forBlocks(m_n, m_threads, [&](int b, Index col, Index cols) { stepBlock(b, col, cols, dU, cache, prev, initial, dx); });
}

template <typename T>
Vec<T> LstmBackward<T>::gradient() const
{
    Vec<T> sum = Vec<T>::Zero(m_net->arch.paramCount());
    for (const auto& g : m_blockGrad) sum += g;
    return sum;
}

template <typename T>
LstmRule<T>::LstmRule(LstmNet<T> net, int threads) : m_net(std::move(net)), m_runner(&m_net, threads)
{
}

template <typename T>
void LstmRule<T>::reset(Index dim)
{
    m_runner.setNet(&m_net);
    m_runner.reset(dim);
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
