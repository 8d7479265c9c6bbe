#pragma once
// Hand-designed update rules, the baselines of the paper. Every rule other than the learning rate is
// at Torch7 `optim` defaults (as in the paper): NAG momentum 0.9; RMSprop alpha 0.99, eps 1e-8;
// Adam beta1 0.9, beta2 0.999, eps 1e-8.
#include "base/Spec.h"
#include "base/Types.h"
#include "optimizers/AdamState.h"
#include "problems/Problem.h"

#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace l2l {

template <typename T>
class UpdateRule {
public:
    virtual ~UpdateRule() = default;
    // The layout of theta (named blocks, parameter groups) for the next reset(); rules that treat groups
    // differently (an LSTM optimizer with one net per group) use it, the others ignore it.
    virtual void setParamBlocks(const std::vector<ParamBlock>& /*blocks*/) {}
    // Forget all state and prepare for a problem of `dim` parameters.
    virtual void reset(Index dim) = 0;
    // theta <- theta + update(grad, state), with grad = df/dtheta at the current theta.
    virtual void step(VecRef<T> theta, const CVecRef<T>& grad) = 0;
    // About the bytes of state and workspace per coordinate after reset() (for the memory budget).
    virtual std::uint64_t bytesPerCoordinate() const { return 2 * sizeof(T); }
    // A copy with its state (the hand-designed rules; null for a rule that cannot be copied).
    virtual std::unique_ptr<UpdateRule<T>> clone() const { return nullptr; }
};

// An update rule as the user names it: "adam", "adam:lr=0.01", "nag:lr=0.1,momentum=0.95",
// "lstm" (the bundled learned optimizer for the problem), "lstm:FILE" or "lstm:path=FILE".
// A NaN learning rate means "tuned": the rate comes from the learning-rate search.
struct UpdateRuleConfig {
    std::string name;
    double lr = std::numeric_limits<double>::quiet_NaN();
    double momentum = 0.9; // nag
    double alpha = 0.99;   // rmsprop: decay of the squared-gradient average
    double beta1 = 0.9;    // adam
    double beta2 = 0.999;  // adam
    double eps = 1e-8;     // rmsprop, adam
    std::string path;      // lstm: optimizer file; empty = the bundled one for the problem

    bool learned() const { return name == "lstm"; }
    bool tuned() const { return !learned() && lr != lr; }
    // Parses and validates (names the bad field and its range). Throws l2l::Error.
    static UpdateRuleConfig parse(const std::string& text);
    // "adam:beta1=0.9,..." with every hyper-parameter; with or without the learning rate.
    std::string canonical(bool withLr) const;
    // Short label for tables and legends: "adam" or "adam:lr=0.01".
    std::string label() const;
};

struct UpdateRuleInfo {
    std::string name;
    std::string formula; // the update, as shown in --help and the studio's tooltips
    std::vector<OptionInfo> options;
};
const std::vector<UpdateRuleInfo>& updateRuleCatalog();
std::vector<std::string> updateRuleNames();

template <typename T>
std::unique_ptr<UpdateRule<T>> makeUpdateRule(const UpdateRuleConfig& config);

// SGD:  theta <- theta - lr g
template <typename T>
class Sgd : public UpdateRule<T> {
public:
    explicit Sgd(double lr) : m_lr(T(lr)) {}
    void reset(Index) override {}
    void step(VecRef<T> theta, const CVecRef<T>& grad) override { theta -= m_lr * grad; }
    std::unique_ptr<UpdateRule<T>> clone() const override { return std::make_unique<Sgd>(*this); }

private:
    T m_lr;
};

// Nesterov momentum (Torch7 optim.nag, mu = 0.9), in the form that needs only the gradient at the
// iterate (Bengio et al. 2013): theta holds the look-ahead point at which Torch evaluates the gradient.
//   v     <- mu v - lr g
//   theta <- theta + mu v - lr g        ( = theta + mu^2 v_old - (1 + mu) lr g )
template <typename T>
class Nag : public UpdateRule<T> {
public:
    Nag(double lr, double momentum) : m_lr(T(lr)), m_mu(T(momentum)) {}
    void reset(Index dim) override { m_v.setZero(dim); }
    void step(VecRef<T> theta, const CVecRef<T>& grad) override;
    std::unique_ptr<UpdateRule<T>> clone() const override { return std::make_unique<Nag>(*this); }

private:
    T m_lr, m_mu;
    Vec<T> m_v;
};

// RMSprop (Torch7 optim.rmsprop):
//   m     <- alpha m + (1 - alpha) g^2        (m_0 = 0)
//   theta <- theta - lr g / (sqrt(m) + eps)
template <typename T>
class RmsProp : public UpdateRule<T> {
public:
    RmsProp(double lr, double alpha, double eps) : m_lr(T(lr)), m_alpha(T(alpha)), m_eps(T(eps)) {}
    void reset(Index dim) override { m_m.setZero(dim); }
    void step(VecRef<T> theta, const CVecRef<T>& grad) override;
    std::unique_ptr<UpdateRule<T>> clone() const override { return std::make_unique<RmsProp>(*this); }

private:
    T m_lr, m_alpha, m_eps;
    Vec<T> m_m;
};

// Adam (Torch7 optim.adam, Kingma & Ba 2015), t = 1, 2, ...:
//   m     <- beta1 m + (1 - beta1) g
//   v     <- beta2 v + (1 - beta2) g^2
//   theta <- theta - lr sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps)
template <typename T>
class Adam : public UpdateRule<T> {
public:
    Adam(double lr, double beta1, double beta2, double eps) : m_lr(lr), m_beta1(beta1), m_beta2(beta2), m_eps(T(eps)) {}
    void reset(Index dim) override;
    void step(VecRef<T> theta, const CVecRef<T>& grad) override;
    std::unique_ptr<UpdateRule<T>> clone() const override { return std::make_unique<Adam>(*this); }

private:
    double m_lr, m_beta1, m_beta2;
    T m_eps;
    AdamState<T> m_state;
};

} // namespace l2l
