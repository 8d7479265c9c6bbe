#pragma once
// Running the coordinatewise LSTM optimizer over all N coordinates of an optimizee: forward steps
// (with or without keeping activations), and the backward step of truncated BPTT.
// Columns are processed in fixed blocks of kLstmBlock coordinates (small enough to stay in cache), in
// parallel; weight gradients are accumulated per block and summed in block order, so results never
// depend on the thread count.
#include "LstmNet.h"
#include "UpdateRule.h"

#include <memory>

namespace l2l {

constexpr Index kLstmBlock = 256;

// What one forward step keeps for backprop (N columns each).
template <typename T>
struct LstmStepCache {
    Mat<T> x;                  // (I, N) preprocessed inputs
    std::vector<Mat<T>> gates; // per layer (4H, N), activated
    std::vector<Mat<T>> c;     // per layer (H, N), the cell state AFTER this step
    // h = o * tanh(c) is not kept: backward recomputes it (saves a sixth of the memory of training).
    void resize(const LstmArch& arch, Index n);
};

// Per-block work space, allocated once per problem size.
template <typename T>
struct LstmBlockScratch {
    std::vector<Mat<T>> in;    // per layer [x; h_prev] (in+H, block)
    std::vector<Mat<T>> gates; // per layer (4H, block), when not caching
    Mat<T> din, dz, tc, dh;    // backward
    // h after the step being differentiated, per layer, and h after the step before it. Backward walks
    // steps in reverse, so the second becomes the first on the next call: each h is recomputed once.
    std::vector<Mat<T>> hAfter, hBefore;
    const void* hAfterOf = nullptr; // the cache hAfter belongs to
};

template <typename T>
class LstmRunner {
public:
    LstmRunner(const LstmNet<T>* net, int threads) : m_net(net), m_threads(threads) {}
    void setNet(const LstmNet<T>* net) { m_net = net; }
    // Prepares scratch for n coordinates (no allocation happens in forward() afterwards).
    void reset(Index n);
    // u = m(grad, state): advances `state`, writes the update. With `cache`, keeps the activations.
    void forward(const CVecRef<T>& grad, LstmState<T>& state, VecRef<T> update, LstmStepCache<T>* cache);

private:
    void forwardBlock(Index col, Index cols, const CVecRef<T>& grad, LstmState<T>& state, VecRef<T> update,
                      LstmStepCache<T>* cache, LstmBlockScratch<T>& s);
    const LstmNet<T>* m_net;
    int m_threads;
    Index m_n = -1;
    std::vector<LstmBlockScratch<T>> m_scratch;
    std::vector<Mat<T>> m_wHalf; // per layer W with the sigmoid rows halved (lstmCellForwardPrescaled)
    std::vector<Vec<T>> m_bHalf;
};

// Gradients carried backwards in time (dL/dh and dL/dc per layer), and per-block weight gradients.
template <typename T>
class LstmBackward {
public:
    LstmBackward(const LstmNet<T>* net, int threads) : m_net(net), m_threads(threads) {}
    void reset(Index n); // zero the carried gradients and the accumulators
    // Backward of step s, given dL/du_s (N) and step s's activations. The state before step s is
    // `prev`'s (step s-1) or, when prev is null, `initial`. If dx is non-null it receives dL/dx_s (I, N),
    // the gradient w.r.t. the preprocessed input.
    void step(const CVecRef<T>& dU, const LstmStepCache<T>& cache, const LstmStepCache<T>* prev,
              const LstmState<T>& initial, Mat<T>* dx);
    // dL/dphi accumulated since reset(), summed over blocks in a fixed order.
    Vec<T> gradient() const;

private:
    void stepBlock(int block, Index col, Index cols, const CVecRef<T>& dU, const LstmStepCache<T>& cache,
                   const LstmStepCache<T>* prev, const LstmState<T>& initial, Mat<T>* dx);
    const LstmNet<T>* m_net;
    int m_threads;
    Index m_n = 0;
    std::vector<Mat<T>> m_dh, m_dc;  // per layer (H, N)
    std::vector<Vec<T>> m_blockGrad; // per block, paramCount
    std::vector<LstmBlockScratch<T>> m_scratch;
};

// The learned optimizer as an update rule (for evaluation): theta <- theta + m(grad).
template <typename T>
class LstmRule : public UpdateRule<T> {
public:
    explicit LstmRule(LstmNet<T> net, int threads = 1);
    void reset(Index dim) override;
    void step(VecRef<T> theta, const CVecRef<T>& grad) override;
    const LstmState<T>& state() const { return m_state; }
    const Vec<T>& lastUpdate() const { return m_update; }

private:
    LstmNet<T> m_net;
    LstmRunner<T> m_runner;
    LstmState<T> m_state;
    Vec<T> m_update;
};

} // namespace l2l
