#include "LstmOptimizer.h"

#include "Parallel.h"

namespace l2l {

namespace {
int blockCount(Index n) { return int((n + kLstmBlock - 1) / kLstmBlock); }
}

template <typename T>
void LstmStepCache<T>::resize(const LstmArch& arch, Index n)
{
    x.resize(arch.inputSize(), n);
    gates.resize(size_t(arch.layers));
    h.resize(size_t(arch.layers));
    c.resize(size_t(arch.layers));
    for (int l = 0; l < arch.layers; ++l) {
        gates[size_t(l)].resize(4 * arch.hidden, n);
        h[size_t(l)].resize(arch.hidden, n);
        c[size_t(l)].resize(arch.hidden, n);
    }
}

template <typename T>
void LstmRunner<T>::reset(Index n)
{
    const LstmArch& a = m_net->arch;
    m_n = n;
    const int blocks = blockCount(n);
    m_x.assign(size_t(blocks), Mat<T>(a.inputSize(), kLstmBlock));
    m_gates.assign(size_t(blocks), std::vector<Mat<T>>(size_t(a.layers), Mat<T>(4 * a.hidden, kLstmBlock)));
}

template <typename T>
void LstmRunner<T>::forwardBlock(Index col, Index cols, const CVecRef<T>& grad, LstmState<T>& state,
                                 VecRef<T> update, LstmStepCache<T>* cache, int block)
{
    const LstmNet<T>& net = *m_net;
    const LstmArch& a = net.arch;
    auto x = cache ? cache->x.middleCols(col, cols) : m_x[size_t(block)].leftCols(cols);
    preprocessGradient<T>(a, grad.segment(col, cols), x);
    for (int l = 0; l < a.layers; ++l) {
        const size_t L = size_t(l);
        auto gates = cache ? cache->gates[L].middleCols(col, cols) : m_gates[size_t(block)][L].leftCols(cols);
        auto h = state.h[L].middleCols(col, cols);
        auto c = state.c[L].middleCols(col, cols);
        // In place: gates are computed from h_prev before h and c are overwritten.
        if (l == 0)
            lstmCellForward<T>(net.wx(l), net.wh(l), net.b(l), x, h, c, gates, c, h);
        else
            lstmCellForward<T>(net.wx(l), net.wh(l), net.b(l), state.h[L - 1].middleCols(col, cols), h, c, gates, c, h);
        if (cache) {
            cache->h[L].middleCols(col, cols) = h;
            cache->c[L].middleCols(col, cols) = c;
        }
    }
    // u = scale * (w_out^T h_top + b_out)
    const T scale = T(a.outputScale);
    update.segment(col, cols).noalias() = (net.wOut().transpose() * state.h.back().middleCols(col, cols)).transpose();
    update.segment(col, cols) = scale * (update.segment(col, cols).array() + net.bOut()).matrix();
}

template <typename T>
void LstmRunner<T>::forward(const CVecRef<T>& grad, LstmState<T>& state, VecRef<T> update, LstmStepCache<T>* cache)
{
    if (grad.size() != m_n) reset(grad.size());
    const int blocks = blockCount(m_n);
    auto body = [&](int b) {
        const Index col = Index(b) * kLstmBlock;
        forwardBlock(col, std::min(kLstmBlock, m_n - col), grad, state, update, cache, b);
    };
    if (m_threads == 1 || blocks == 1)
        for (int b = 0; b < blocks; ++b) body(b);
    else
        parallelFor(blocks, m_threads, body);
}

template <typename T>
void LstmBackward<T>::reset(Index n)
{
    const LstmArch& a = m_net->arch;
    m_n = n;
    m_dh.assign(size_t(a.layers), Mat<T>::Zero(a.hidden, n));
    m_dc.assign(size_t(a.layers), Mat<T>::Zero(a.hidden, n));
    m_blockGrad.assign(size_t(blockCount(n)), Vec<T>::Zero(a.paramCount()));
}

template <typename T>
void LstmBackward<T>::stepBlock(int block, Index col, Index cols, const CVecRef<T>& dU, const LstmStepCache<T>& cache,
                                const std::vector<Mat<T>>& prevH, const std::vector<Mat<T>>& prevC, Mat<T>* dx)
{
    const LstmNet<T>& net = *m_net;
    const LstmArch& a = net.arch;
    const Index H = a.hidden;
    Vec<T>& g = m_blockGrad[size_t(block)];
    const T scale = T(a.outputScale);
    const auto du = dU.segment(col, cols);
    // Output layer: u = scale (w_out^T h_top + b_out)
    const Index out = net.outOffset();
    g.segment(out, H).noalias() += scale * (cache.h.back().middleCols(col, cols) * du);
    g(out + H) += scale * du.sum();
    Mat<T> dhTotal = m_dh.back().middleCols(col, cols);
    dhTotal.noalias() += (scale * net.wOut()) * du.transpose();
    Mat<T> dz, dxLayer;
    for (int l = a.layers - 1; l >= 0; --l) {
        const size_t L = size_t(l);
        const auto o = net.offsets(l);
        Eigen::Map<Mat<T>> dWx(g.data() + o.wx, 4 * H, o.in), dWh(g.data() + o.wh, 4 * H, H);
        Eigen::Map<Vec<T>> db(g.data() + o.b, 4 * H);
        const Mat<T>& input = l == 0 ? cache.x : cache.h[L - 1];
        const bool wantDx = l > 0 || dx;
        lstmCellBackward<T>(net.wx(l), net.wh(l), input.middleCols(col, cols), prevH[L].middleCols(col, cols),
                            prevC[L].middleCols(col, cols), cache.gates[L].middleCols(col, cols),
                            cache.c[L].middleCols(col, cols), dhTotal, m_dc[L].middleCols(col, cols),
                            m_dh[L].middleCols(col, cols), wantDx ? &dxLayer : nullptr, dWx, dWh, db, dz);
        if (l > 0) {
            dhTotal = m_dh[L - 1].middleCols(col, cols) + dxLayer; // layer below: recurrence + from above
        } else if (dx) {
            dx->middleCols(col, cols) = dxLayer;
        }
    }
}

template <typename T>
void LstmBackward<T>::step(const CVecRef<T>& dU, const LstmStepCache<T>& cache, const std::vector<Mat<T>>& prevH,
                           const std::vector<Mat<T>>& prevC, Mat<T>* dx)
{
    if (dx) dx->resize(m_net->arch.inputSize(), m_n);
    const int blocks = blockCount(m_n);
    auto body = [&](int b) {
        const Index col = Index(b) * kLstmBlock;
        stepBlock(b, col, std::min(kLstmBlock, m_n - col), dU, cache, prevH, prevC, dx);
    };
    if (m_threads == 1 || blocks == 1)
        for (int b = 0; b < blocks; ++b) body(b);
    else
        parallelFor(blocks, m_threads, body);
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
