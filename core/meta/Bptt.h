#pragma once
// Truncated backpropagation through time for the learned optimizer (paper Sec. 2 and 3):
// one window unrolls the optimizee K steps from a carried (detached) state,
//   u_s = m(grad_s, state_s; phi),  theta_{s+1} = theta_s + u_s,  L = sum_{j=1..K} f(theta_{s0+j}),
// then computes dL/dphi. By default the optimizee's gradient is a constant input (the paper's
// d grad_t / d phi = 0), so dL/du_s = sum_{t>s} grad_t. With second derivatives, the path through
// grad_t = grad f(theta_t) is followed too, using the problem's exact Hessian-vector products.
#include "optimizers/LstmOptimizer.h"
#include "optimizers/MetaTrainConfig.h"
#include "problems/Problem.h"

#include <atomic>
#include <memory>
#include <string>

namespace l2l {

// The hand-designed rule an imitating meta-training runs beside the learned optimizer (Chen et al. 2020), with
// its state; copies copy the state (an episode copied for finite differences carries it on identically).
template <typename T>
struct ImitationTeacher {
    std::unique_ptr<UpdateRule<T>> rule; // null: no imitation
    ImitationTeacher() = default;
    ImitationTeacher(const ImitationTeacher& o) : rule(o.rule ? o.rule->clone() : nullptr) {}
    ImitationTeacher& operator=(const ImitationTeacher& o)
    {
        rule = o.rule ? o.rule->clone() : nullptr;
        return *this;
    }
    ImitationTeacher(ImitationTeacher&&) = default;
    ImitationTeacher& operator=(ImitationTeacher&&) = default;
};

// What carries over between windows of one episode.
template <typename T>
struct EpisodeState {
    Vec<T> theta;       // current theta_s
    Vec<T> grad;        // grad f(theta_s) on the minibatch of step s
    double loss = 0;    // f(theta_s)
    int step = 0;       // s
    LstmState<T> state; // the optimizer's per-coordinate state
    ImitationTeacher<T> teacher;
    // theta_0 and its gradient at step 0; zero optimizer state. With `imitate` (a hand-designed rule with its
    // rate, e.g. "adam:lr=0.01"), that rule starts beside it, fresh (see Unroller::setImitation).
    void start(Problem<T>& problem, const LstmArch& arch, const std::string& imitate = {});
};

// Everything one window computed, step by step (for the graph view, meta/GraphTrace.h); window() fills it when
// set with Unroller::setTrace. Index j counts steps from the window's start s0: theta_{s0+j} is thetas[j].
template <typename T>
struct WindowTrace {
    std::vector<Vec<T>> thetas, grads; // j = 0..K
    std::vector<double> losses;        // f(theta_{s0+j}), j = 0..K
    std::vector<double> weights;       // dL/df at step j (j = 1..K; [0] unused: theta_{s0} is detached)
    std::vector<LstmState<T>> states;  // the optimizer's state before step j (j = 0..K)
    std::vector<Vec<T>> updates;       // u_{s0+j} = theta_{s0+j+1} - theta_{s0+j}, j = 0..K-1
    // Backward (only when dphi was asked for):
    std::vector<Vec<T>> adjoints;  // dL/dtheta_{s0+j}, j = 1..K ([0] zero: detached); dL/du_j = adjoints[j+1]
    std::vector<Vec<T>> hessian;   // the second-order term H_j dL/dgrad_j added to adjoints[j] (zero in first order)
    std::vector<Vec<T>> dphiSteps; // step j's contribution to dL/dphi, j = 0..K-1 (their sum is dphi)
    void clear();
};

// dL/df at one step: 1 for Sum, 1/(f + 1e-8) for Log (f < 0 is treated as 0).
double metaLossWeight(MetaLoss m, double f);

template <typename T>
class Unroller {
public:
    Unroller(const LstmNet<T>* net, int threads);
    // Unrolls K steps and advances `traj`. Returns the window's meta-loss sum_{j=1..K} f(theta_{s0+j}).
    // An optimizer with several nets runs net k on parameter group k of problem.paramBlocks() (throws
    // l2l::Error if the group count differs). If dphi is non-null, writes dL/dphi (all nets). If `frozen` is non-null, its vectors replace the gradients
    // fed to the optimizer (frozen[j] at step s0+j): the surrogate whose exact gradient the first-order
    // meta-gradient is (used by the finite-difference tests). `losses` receives the K losses.
    double window(Problem<T>& problem, EpisodeState<T>& traj, int K, bool secondOrder, Vec<T>* dphi,
                  const std::vector<Vec<T>>* frozen = nullptr, std::vector<Vec<T>>* inputsUsed = nullptr,
                  std::vector<double>* losses = nullptr);
    // A flag polled before every forward and backward step of window(): when it is set, the window
    // stops at once (a stop request must not wait for a whole window, ~0.2 s on MNIST); `traj` is then
    // part-way through the window and dphi is not written, so the caller must discard both.
    void setCancel(const std::atomic<bool>* cancel) { m_cancel = cancel; }
    // The objective whose gradient window() computes (default Sum; the returned value stays sum f).
    void setMetaLoss(MetaLoss m) { m_metaLoss = m; }
    // Off-policy imitation (Chen et al. 2020): with weight lambda > 0 and an episode started with a teacher rule,
    // the objective whose gradient window() computes gains lambda/2 sum_j |u_j - a_j|^2, where a_j is the
    // teacher's update on the same input gradient (from its own state, carried across windows). a_j is a
    // constant target (no gradient flows through it). The teacher's state advances only while lambda > 0.
    void setImitation(double lambda) { m_imitation = lambda; }
    // The imitation term of the last window() (0 without imitation); window()'s return value stays sum f.
    double imitationLoss() const { return m_imitationLoss; }
    // Where window() records every step (null: nowhere, the default).
    void setTrace(WindowTrace<T>* trace) { m_trace = trace; }
    // True if the last window() was stopped by the flag.
    bool cancelled() const { return m_cancelled; }
    const LstmNet<T>* net() const { return m_net; }
    int threads() const { return m_runner.threads(); } // as given to the constructor

private:
    bool stopRequested() { return m_cancelled = m_cancel && m_cancel->load(); }
    const std::atomic<bool>* m_cancel = nullptr;
    bool m_cancelled = false;
    MetaLoss m_metaLoss = MetaLoss::Sum;
    double m_imitation = 0, m_imitationLoss = 0;
    std::vector<Vec<T>> m_residuals; // u_j - a_j per step of the window (imitation only)
    Vec<T> m_target, m_dU;
    WindowTrace<T>* m_trace = nullptr;
    const LstmNet<T>* m_net;
    LstmRunner<T> m_runner;
    LstmBackward<T> m_backward;
    std::vector<LstmStepCache<T>> m_cache;
    std::vector<Vec<T>> m_grads, m_thetas; // grad_{s0..s0+K}; theta_{s0..s0+K} (second order only)
    std::vector<double> m_weights;         // dL/df at each step of the window
    LstmState<T> m_initial;                // the state the window started from
    Vec<T> m_update;
};

} // namespace l2l
