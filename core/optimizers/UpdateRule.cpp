#include "optimizers/UpdateRule.h"
#include "base/DetMath.h"

#include <cmath>
#include <filesystem>
#include <sstream>

namespace l2l {

template <typename T>
void Nag<T>::step(VecRef<T> theta, const CVecRef<T>& grad)
{
    m_v = m_mu * m_v - m_lr * grad;
    theta += m_mu * m_v - m_lr * grad;
}

template <typename T>
void RmsProp<T>::step(VecRef<T> theta, const CVecRef<T>& grad)
{
    m_m = m_alpha * m_m + (T(1) - m_alpha) * grad.cwiseAbs2();
    theta.array() -= m_lr * grad.array() / (m_m.array().unaryExpr(DetSqrt{}) + m_eps);
}

template <typename T>
void Adam<T>::reset(Index dim)
{
    m_state.reset(dim);
}

template <typename T>
void Adam<T>::step(VecRef<T> theta, const CVecRef<T>& grad)
{
    m_state.step(theta, grad, m_lr, m_beta1, m_beta2, m_eps);
}

const std::vector<UpdateRuleInfo>& updateRuleCatalog()
{
    static const std::vector<UpdateRuleInfo> catalog = {
        {"sgd", "theta <- theta - lr g", {{"lr", "tuned", "learning rate, in (0, 1e4]"}}},
        {"nag",
         "v <- mu v - lr g;  theta <- theta + mu v - lr g  (Nesterov, Torch7 optim.nag)",
         {{"lr", "tuned", "learning rate, in (0, 1e4]"}, {"momentum", "0.9", "mu, in [0, 0.999999]"}}},
        {"rmsprop",
         "m <- alpha m + (1 - alpha) g^2;  theta <- theta - lr g / (sqrt(m) + eps)",
         {{"lr", "tuned", "learning rate, in (0, 1e4]"},
          {"alpha", "0.99", "decay, in [0, 0.999999]"},
          {"eps", "1e-8", "in (0, 1]"}}},
        {"adam",
         "m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;  theta <- theta - lr sqrt(1-b2^t)/(1-b1^t) m / (sqrt(v) + "
         "eps)",
         {{"lr", "tuned", "learning rate, in (0, 1e4]"},
          {"beta1", "0.9", "in [0, 0.999999]"},
          {"beta2", "0.999", "in [0, 0.999999]"},
          {"eps", "1e-8", "in (0, 1]"}}},
        {"lstm",
         "theta <- theta + m(g, state; phi): a coordinatewise LSTM trained by `l2l train` (lstm = bundled, lstm:FILE)",
         {{"path", "bundled", "optimizer file written by l2l train"}}},
    };
    return catalog;
}

std::vector<std::string> updateRuleNames()
{
    std::vector<std::string> names;
    for (const auto& info : updateRuleCatalog()) names.push_back(info.name);
    return names;
}

UpdateRuleConfig UpdateRuleConfig::parse(const std::string& text)
{
    if (text.rfind("lstm:", 0) == 0 && text.find('=') == std::string::npos) {
        UpdateRuleConfig c;
        c.name = "lstm";
        c.path = text.substr(5);
        return c;
    }
    const Spec spec = Spec::parse(text);
    const UpdateRuleInfo* info = nullptr;
    for (const auto& candidate : updateRuleCatalog())
        if (candidate.name == spec.name) info = &candidate;
    if (!info)
        throw Error("unknown optimizer '" + spec.name + "' (valid optimizers: " + joinNames(updateRuleNames()) + ")");
    const std::string what = "optimizer '" + spec.name + "'";
    checkKeys(spec, info->options, what);
    UpdateRuleConfig c;
    c.name = spec.name;
    if (c.learned()) {
        c.path = spec.get("path", "");
        return c;
    }
    if (spec.has("lr") && spec.get("lr", "") != "tuned") {
        c.lr = parseDouble(spec.get("lr", ""), what + ": option 'lr'");
        if (!(c.lr > 0 && c.lr <= 1e4))
            throw Error(what + ": option 'lr' must be in (0, 10000], got " + spec.get("lr", ""));
    }
    c.momentum = doubleOption(spec, "momentum", c.momentum, 0.0, 0.999999, what);
    c.alpha = doubleOption(spec, "alpha", c.alpha, 0.0, 0.999999, what);
    c.beta1 = doubleOption(spec, "beta1", c.beta1, 0.0, 0.999999, what);
    c.beta2 = doubleOption(spec, "beta2", c.beta2, 0.0, 0.999999, what);
    c.eps = doubleOption(spec, "eps", c.eps, 1e-30, 1.0, what);
    if (spec.has("eps") && c.eps <= 0) throw Error(what + ": option 'eps' must be in (0, 1]");
    return c;
}

std::string UpdateRuleConfig::canonical(bool withLr) const
{
    std::ostringstream out;
    out.precision(10);
    out << name;
    if (learned()) return path.empty() ? name : name + ":" + path;
    char sep = ':';
    auto put = [&](const char* key, double v) {
        out << sep << key << '=' << v;
        sep = ',';
    };
    if (withLr && !tuned()) put("lr", lr);
    if (name == "nag") put("momentum", momentum);
    if (name == "rmsprop") {
        put("alpha", alpha);
        put("eps", eps);
    }
    if (name == "adam") {
        put("beta1", beta1);
        put("beta2", beta2);
        put("eps", eps);
    }
    return out.str();
}

std::string UpdateRuleConfig::label() const
{
    if (learned()) return path.empty() ? name : name + ":" + std::filesystem::path(path).filename().string();
    if (tuned()) return name;
    std::ostringstream out;
    out << name << ":lr=" << lr;
    return out.str();
}

template <typename T>
std::unique_ptr<UpdateRule<T>> makeUpdateRule(const UpdateRuleConfig& c)
{
    if (c.learned()) throw Error("internal: the lstm optimizer is built from its file (makeRuleFactory)");
    if (c.tuned()) throw Error("optimizer '" + c.name + "' has no learning rate (tune it first)");
    if (c.name == "sgd") return std::make_unique<Sgd<T>>(c.lr);
    if (c.name == "nag") return std::make_unique<Nag<T>>(c.lr, c.momentum);
    if (c.name == "rmsprop") return std::make_unique<RmsProp<T>>(c.lr, c.alpha, c.eps);
    if (c.name == "adam") return std::make_unique<Adam<T>>(c.lr, c.beta1, c.beta2, c.eps);
    throw Error("unknown optimizer '" + c.name + "' (valid optimizers: " + joinNames(updateRuleNames()) + ")");
}

template class Nag<float>;
template class Nag<double>;
template class RmsProp<float>;
template class RmsProp<double>;
template class Adam<float>;
template class Adam<double>;
template std::unique_ptr<UpdateRule<float>> makeUpdateRule<float>(const UpdateRuleConfig&);
template std::unique_ptr<UpdateRule<double>> makeUpdateRule<double>(const UpdateRuleConfig&);

} // namespace l2l
