#include "meta/Bptt.h"

#include <algorithm>

namespace l2l {

double metaLossWeight(MetaLoss m, double f) { return m == MetaLoss::Log ? 1.0 / (std::max(f, 0.0) + 1e-8) : 1.0; }

template <typename T>
void EpisodeState<T>::start(Problem<T>& problem, const LstmArch& arch, const std::string& imitate)
{
    teacher.rule = imitate.empty() ? nullptr : makeUpdateRule<T>(UpdateRuleConfig::parse(imitate));
    theta = problem.initialTheta();
    grad.resize(theta.size());
    step = 0;
    loss = double(problem.valueAndGradient(theta, grad, 0));
    state.reset(arch, theta.size());
    if (teacher.rule) teacher.rule->reset(theta.size());
}

template <typename T>
void WindowTrace<T>::clear()
{
    thetas.clear();
    grads.clear();
    losses.clear();
    weights.clear();
    states.clear();
    updates.clear();
    adjoints.clear();
    hessian.clear();
    dphiSteps.clear();
}

template <typename T>
Unroller<T>::Unroller(const LstmNet<T>* net, int threads) : m_net(net), m_runner(net, threads), m_backward(net, threads)
{}

template <typename T>
double Unroller<T>::window(Problem<T>& problem, EpisodeState<T>& traj, int K, bool secondOrder, Vec<T>* dphi,
                           const std::vector<Vec<T>>* frozen, std::vector<Vec<T>>* inputsUsed,
                           std::vector<double>* losses)
{
    const LstmArch& arch = m_net->arch;
    const Index n = traj.theta.size();
    if (secondOrder && !problem.hasHessianVector())
        throw Error("second derivatives requested, but this problem has no Hessian-vector product");
    if (dphi) { // activations are kept only when the meta-gradient is wanted
        if (int(m_cache.size()) < K) m_cache.resize(size_t(K));
        for (int j = 0; j < K; ++j)
            if (m_cache[size_t(j)].x.cols() != n) m_cache[size_t(j)].resize(arch, n);
    }
    // Net k runs on the coordinates of parameter group k (one net: all of theta).
    const std::vector<NetSpan> spans =
        m_net->nets == 1 ? netSpans(1, {}, n) : netSpans(m_net->nets, problem.paramBlocks(), n);
    m_runner.reset(spans);
    m_initial.h = traj.state.h; // assignments into kept storage: no allocation (and no page faults) per window
    m_initial.c = traj.state.c;
    const LstmState<T>& initial = m_initial;
    m_grads.resize(size_t(K) + 1);
    m_weights.assign(size_t(K) + 1, 1.0); // w_0 is never used: theta_{s0} is detached
    m_grads[0] = traj.grad;
    if (secondOrder) m_thetas.resize(size_t(K) + 1);
    if (secondOrder) m_thetas[0] = traj.theta;
    if (inputsUsed) inputsUsed->clear();
    if (losses) losses->clear();
    Vec<T>& update = m_update;
    update.resize(n);
    double sum = 0;
    m_cancelled = false;
    const bool imitating = m_imitation > 0 && traj.teacher.rule;
    m_imitationLoss = 0;
    if (imitating && dphi && int(m_residuals.size()) < K) m_residuals.resize(size_t(K));
    WindowTrace<T>* trace = m_trace;
    if (trace) {
        trace->clear();
        trace->thetas.push_back(traj.theta);
        trace->grads.push_back(traj.grad);
        trace->losses.push_back(traj.loss);
        trace->weights.push_back(0.0);
        trace->states.push_back(traj.state);
    }
    // Forward: K optimizer steps, each followed by the optimizee's loss and gradient at the new theta.
    for (int j = 0; j < K; ++j) {
        if (stopRequested()) return sum;
        const Vec<T>& input = frozen ? (*frozen)[size_t(j)] : traj.grad;
        if (inputsUsed) inputsUsed->push_back(input);
        m_runner.forward(input, traj.state, update, dphi ? &m_cache[size_t(j)] : nullptr);
        if (imitating) { // the teacher's update a_j on the same gradient: its step from theta = 0
            m_target.setZero(n);
            traj.teacher.rule->step(m_target, input);
            Vec<T>& residual = dphi ? m_residuals[size_t(j)] : m_target; // u_j - a_j, kept for backward
            residual = update - m_target;
            m_imitationLoss += 0.5 * m_imitation * double(residual.squaredNorm());
        }
        traj.theta += update;
        ++traj.step;
        traj.loss = double(problem.valueAndGradient(traj.theta, traj.grad, traj.step));
        sum += traj.loss;
        if (losses) losses->push_back(traj.loss);
        m_grads[size_t(j) + 1] = traj.grad;
        m_weights[size_t(j) + 1] = metaLossWeight(m_metaLoss, traj.loss);
        if (secondOrder) m_thetas[size_t(j) + 1] = traj.theta;
        if (trace) {
            trace->updates.push_back(update);
            trace->thetas.push_back(traj.theta);
            trace->grads.push_back(traj.grad);
            trace->losses.push_back(traj.loss);
            trace->weights.push_back(m_weights[size_t(j) + 1]);
            trace->states.push_back(traj.state);
        }
    }
    if (!dphi) return sum;
    if (trace) {
        trace->adjoints.assign(size_t(K) + 1, Vec<T>::Zero(n));
        trace->hessian.assign(size_t(K) + 1, Vec<T>::Zero(n));
        trace->dphiSteps.assign(size_t(K), Vec<T>());
    }
    Vec<T> phiBefore;
    // Backward. a = dL/dtheta_{s0+j+1} is the output gradient of step j.
    m_backward.reset(spans);
    if (!secondOrder && !trace && arch.gac == 0) { // the same sums, block by block (LstmBackward::windowByBlocks)
        if (!m_backward.windowByBlocks(K, m_grads, m_weights, imitating ? &m_residuals : nullptr, T(m_imitation),
                                       m_cache, initial, m_cancel)) {
            m_cancelled = true;
            return sum;
        }
        *dphi = m_backward.gradient();
        return sum;
    }
    // The loss term of step j contributes w_j grad_j, w_j = dL/df (1 for the paper's sum).
    Vec<T> a = T(m_weights[size_t(K)]) * m_grads[size_t(K)];
    Mat<T> dx, dxdg(arch.inputSize(), n);
    Vec<T> dgrad(n), hv(n);
    for (int j = K - 1; j >= 0; --j) {
        if (stopRequested()) return sum;
        if (trace) {
            trace->adjoints[size_t(j) + 1] = a;
            phiBefore = m_backward.gradient();
        }
        if (imitating) m_dU = a + T(m_imitation) * m_residuals[size_t(j)]; // d(lambda/2 |u_j - a_j|^2)/du_j
        m_backward.step(imitating ? m_dU : a, m_cache[size_t(j)], j > 0 ? &m_cache[size_t(j) - 1] : nullptr, initial,
                        secondOrder && j > 0 ? &dx : nullptr);
        if (trace) trace->dphiSteps[size_t(j)] = m_backward.gradient() - phiBefore;
        if (j == 0) break; // theta_{s0} is detached: nothing flows further back
        // a_j = grad_j (loss term f(theta_j)) + a_{j+1} (theta_{j+1} = theta_j + u_j) [+ H_j dL/dgrad_j]
        a += T(m_weights[size_t(j)]) * m_grads[size_t(j)];
        if (secondOrder) {
            preprocessDerivative<T>(arch, m_grads[size_t(j)], dxdg);
            dgrad = (dx.array() * dxdg.array()).colwise().sum().transpose();
            problem.hessianVector(m_thetas[size_t(j)], dgrad, hv, traj.step - K + j);
            a += hv;
            if (trace) trace->hessian[size_t(j)] = hv;
        }
    }
    *dphi = m_backward.gradient();
    return sum;
}

template struct WindowTrace<float>;
template struct WindowTrace<double>;
template struct EpisodeState<float>;
template struct EpisodeState<double>;
template class Unroller<float>;
template class Unroller<double>;

} // namespace l2l
