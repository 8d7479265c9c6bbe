#pragma once
// Running the coordinatewise LSTM optimizer over all N coordinates of an optimizee: forward steps
// (with or without keeping activations), and the backward step of truncated BPTT.
// Columns are processed in fixed blocks of kLstmBlock coordinates (small enough to stay in cache), in
// parallel; weight gradients are accumulated per block and summed in block order, so results never
// depend on the thread count.
// An optimizer with several nets runs net k on the coordinates of parameter group k: theta is cut into
// spans of consecutive coordinates of one group, and blocks never cross a span, so every block is
// handled by one net on a contiguous slice of the (H, N) state, exactly as a one-net run on that slice.
#include "optimizers/LstmNet.h"
#include "optimizers/UpdateRule.h"
#include "problems/Problem.h"

#include <atomic>
#include <memory>

namespace l2l {

constexpr Index kLstmBlock = 256;

// Coordinates [offset, offset + size) are updated by net `net`.
struct NetSpan {
    Index offset = 0, size = 0;
    int net = 0;
};
// The spans of an optimizer of `nets` nets on a theta of `dim` coordinates laid out as `blocks`: one net
// serves all of theta, whatever the groups; else consecutive blocks of one group are merged and net k
// serves group k. Throws l2l::Error if nets > 1 and the blocks do not have exactly `nets` groups.
std::vector<NetSpan> netSpans(int nets, const std::vector<ParamBlock>& blocks, Index dim);

// A block of columns and the net that runs it.
struct LstmColumnBlock {
    Index col = 0, cols = 0;
    int net = 0;
};

// What one forward step keeps for backprop (N columns each).
template <typename T>
struct LstmStepCache {
    Mat<T> x;                  // (I, N) preprocessed inputs
    Mat<T> z;                  // (E, N) the input layer's ELU outputs (empty without an input layer)
    std::vector<Mat<T>> gates; // per layer (4H, N), activated
    std::vector<Mat<T>> c;     // per layer (H, N), the cell state AFTER this step
    // h = o * tanh(c) is not kept: backward recomputes it (saves a sixth of the memory of training).
    // LSTM+GAC (LstmNet.h): per layer (G, nets), the means that replaced rows 0..G-1 of the layer's h on net k's
    // coordinates after this step, i.e. what the next step read as h_prev there (empty without GAC).
    std::vector<Mat<T>> hMean;
    void resize(const LstmArch& arch, Index n);
};

// Work space of the thread running a block (one per worker thread, allocated once per problem size): every use
// writes it before reading it, so which blocks share one does not change any result.
template <typename T>
struct LstmBlockScratch {
    std::vector<Mat<T>> in;    // per layer [x; h_prev] (in+H, block)
    std::vector<Mat<T>> gates; // per layer (4H, block), when not caching
    Mat<T> din, dz, dh;        // backward
    Mat<T> raw;                // (I, block) preprocessed inputs, with an input layer (else they go into in[0])
    Mat<T> dIn;                // (E, block) backward through the input layer
    Vec<T> out, dOut;          // (block) tanh output: its pre-activation and dL/d of it
    // windowByBlocks: dL/dtheta carried back and dL/du of the step, for the block's columns (at the offset that
    // gives them the alignment the same columns have in a whole vector; see windowByBlocks).
    Vec<T> adjoint, du;
};

// What the backward pass carries from one step to the next for one block: h = o * tanh(c) after the step being
// differentiated, per layer, and after the step before it, with their tanh(c). Backward walks steps in reverse,
// so the second pair becomes the first on the next call: each tanh(c) is computed once.
template <typename T>
struct LstmBlockCarry {
    std::vector<Mat<T>> hAfter, hBefore, tcAfter, tcBefore;
    const void* hAfterOf = nullptr; // the cache hAfter belongs to
};

template <typename T>
class LstmRunner {
public:
    LstmRunner(const LstmNet<T>* net, int threads) : m_net(net), m_threads(threads) {}
    int threads() const { return m_threads; }
    void setNet(const LstmNet<T>* net) { m_net = net; }
    // Prepares scratch for n coordinates, all run by a one-net optimizer, or for the coordinates of
    // `spans` (no allocation happens in forward() afterwards). reset(n) of a several-net optimizer throws.
    void reset(Index n);
    void reset(const std::vector<NetSpan>& spans);
    // u = m(grad, state): advances `state`, writes the update. With `cache`, keeps the activations. With global
    // averaging cells (arch.gac > 0), the step ends by averaging their rows of h over each net's coordinates.
    void forward(const CVecRef<T>& grad, LstmState<T>& state, VecRef<T> update, LstmStepCache<T>* cache);

private:
    void forwardBlock(const LstmColumnBlock& block, const CVecRef<T>& grad, LstmState<T>& state, VecRef<T> update,
                      LstmStepCache<T>* cache, LstmBlockScratch<T>& s);
    const LstmNet<T>* m_net;
    int m_threads;
    Index m_n = -1;
    std::vector<LstmColumnBlock> m_blocks;
    std::vector<LstmBlockScratch<T>> m_scratch; // per worker thread
    LstmArch m_scratchArch;                     // the architecture m_scratch was sized for
    std::vector<Mat<T>> m_wHalf;                // per net and layer (net * layers + layer): W with the sigmoid rows
    std::vector<Vec<T>> m_bHalf;                // halved (lstmCellForwardPrescaled)
    std::vector<Mat<T>> m_hMean;                // GAC means per layer when not caching
    Mat<double> m_gacSum;                       // GAC: their sums (work space)
};

// Gradients carried backwards in time (dL/dh and dL/dc per layer), and per-block weight gradients.
template <typename T>
class LstmBackward {
public:
    LstmBackward(const LstmNet<T>* net, int threads) : m_net(net), m_threads(threads) {}
    // Zero the carried gradients and the accumulators, for n coordinates or the coordinates of `spans`
    // (see LstmRunner::reset).
    void reset(Index n);
    void reset(const std::vector<NetSpan>& spans);
    // Backward of step s, given dL/du_s (N) and step s's activations. The state before step s is
    // `prev`'s (step s-1) or, when prev is null, `initial`. If dx is non-null it receives dL/dx_s (I, N),
    // the gradient w.r.t. the preprocessed input. With global averaging cells, the carried dL/dh~ of their
    // rows becomes dL/dh = its mean over the net's coordinates (the transpose of the averaging), and the
    // recurrent input is rebuilt from the cached means.
    void step(const CVecRef<T>& dU, const LstmStepCache<T>& cache, const LstmStepCache<T>* prev,
              const LstmState<T>& initial, Mat<T>* dx);
    // The backward pass of a whole first-order window of K steps (Unroller::window without second derivatives,
    // global averaging cells or a trace), block by block: each block runs steps K-1..0 before the next block, so
    // what it carries from step to step stays in its core's cache instead of going out to memory for all N
    // coordinates at every step. dL/du_j = a_j (+ lambda r_j with imitation residuals r), a_K = w_K g_K and
    // a_j = a_{j+1} + w_j g_j, with g_j = grads[j] and w_j = weights[j]: the same arithmetic per element, step
    // and block as K calls of step(), so the same bits. caches[j] is step j's. Returns false if `cancel` was set
    // (the gradient is then incomplete).
    bool windowByBlocks(int K, const std::vector<Vec<T>>& grads, const std::vector<double>& weights,
                        const std::vector<Vec<T>>* residuals, T lambda, const std::vector<LstmStepCache<T>>& caches,
                        const LstmState<T>& initial, const std::atomic<bool>* cancel);
    // dL/dphi accumulated since reset(), summed over blocks in a fixed order (all nets, concatenated).
    Vec<T> gradient() const;

private:
    // du: dL/du of the block's columns.
    void stepBlock(int block, LstmBlockScratch<T>& s, const CVecRef<T>& du, const LstmStepCache<T>& cache,
                   const LstmStepCache<T>* prev, const LstmState<T>& initial, Mat<T>* dx);
    const LstmNet<T>* m_net;
    int m_threads;
    Index m_n = 0;
    std::vector<LstmColumnBlock> m_blocks;
    std::vector<Mat<T>> m_dh, m_dc;             // per layer (H, N)
    std::vector<Vec<T>> m_blockGrad;            // per block, the paramCount of one net (the block's)
    std::vector<LstmBlockScratch<T>> m_scratch; // per worker thread
    std::vector<LstmBlockCarry<T>> m_carry;     // per block
    LstmArch m_scratchArch;
    Mat<T> m_dhMean;      // GAC: (G, nets)
    Mat<double> m_gacSum; // and their sums (work space)
};

// The learned optimizer as an update rule (for evaluation): theta <- theta + m(grad).
template <typename T>
class LstmRule : public UpdateRule<T> {
public:
    explicit LstmRule(LstmNet<T> net, int threads = 1);
    void setParamBlocks(const std::vector<ParamBlock>& blocks) override { m_blocks = blocks; }
    // Throws l2l::Error if the optimizer has several nets and the layout does not have as many groups.
    void reset(Index dim) override;
    void step(VecRef<T> theta, const CVecRef<T>& grad) override;
    const LstmState<T>& state() const { return m_state; }
    const Vec<T>& lastUpdate() const { return m_update; }
    std::uint64_t bytesPerCoordinate() const override { return m_net.arch.stateBytesPerCoordinate(sizeof(T)); }

private:
    LstmNet<T> m_net;
    std::vector<ParamBlock> m_blocks; // empty: one block
    LstmRunner<T> m_runner;
    LstmState<T> m_state;
    Vec<T> m_update;
};

} // namespace l2l
