#include "problems/Scaled.h"

#include "base/Rng.h"
#include "base/SeedStreams.h"

#include <cmath>
#include <sstream>

namespace l2l {

std::vector<OptionInfo> scalingOptions()
{
    return {{"fscale", "1", "the objective times this factor, in [1e-6, 1e6]"},
            {"xscale", "0",
             "random scaling: coordinate i of each instance is multiplied by exp(U(-xscale, xscale)) (Lv et al. "
             "2017), in [0, 6]"}};
}

Scaling takeScaling(Spec& spec, const std::string& what)
{
    Scaling s;
    s.fscale = doubleOption(spec, "fscale", 1.0, 1e-6, 1e6, what);
    s.xscale = doubleOption(spec, "xscale", 0.0, 0.0, 6.0, what);
    std::erase_if(spec.options, [](const auto& kv) { return kv.first == "fscale" || kv.first == "xscale"; });
    return s;
}

namespace {

template <typename T>
class ScaledProblem : public Problem<T> {
public:
    ScaledProblem(std::unique_ptr<Problem<T>> inner, Vec<T> c, T fscale)
        : m_inner(std::move(inner)), m_c(std::move(c)), m_fscale(fscale), m_x(m_c.size()), m_v(m_c.size())
    {}
    Index dim() const override { return m_inner->dim(); }
    T valueAndGradient(const CVecRef<T>& psi, VecRef<T> grad, int step) override
    {
        m_x = m_c.cwiseProduct(psi);
        const T f = m_inner->valueAndGradient(m_x, grad, step);
        grad.array() *= m_fscale * m_c.array();
        return m_fscale * f;
    }
    Vec<T> initialTheta() const override { return m_inner->initialTheta().cwiseQuotient(m_c); }
    std::vector<ParamBlock> paramBlocks() const override { return m_inner->paramBlocks(); }
    void setThreads(int threads) override { m_inner->setThreads(threads); }
    std::optional<TestMetrics> testMetrics(const CVecRef<T>& psi) override
    {
        m_x = m_c.cwiseProduct(psi);
        auto m = m_inner->testMetrics(m_x);
        if (m) m->loss *= double(m_fscale);
        return m;
    }
    bool hasHessianVector() const override { return m_inner->hasHessianVector(); }
    void hessianVector(const CVecRef<T>& psi, const CVecRef<T>& v, VecRef<T> out, int step) override
    {
        m_x = m_c.cwiseProduct(psi);
        m_v = m_c.cwiseProduct(v);
        m_inner->hessianVector(m_x, m_v, out, step);
        out.array() *= m_fscale * m_c.array();
    }

private:
    std::unique_ptr<Problem<T>> m_inner;
    Vec<T> m_c;
    T m_fscale;
    Vec<T> m_x, m_v;
};

template <typename T>
class ScaledClass : public ProblemClass<T> {
public:
    ScaledClass(std::unique_ptr<ProblemClass<T>> inner, const Scaling& s) : m_inner(std::move(inner)), m_s(s) {}
    std::unique_ptr<Problem<T>> sample(std::uint64_t seed) const override
    {
        Vec<T> c = Vec<T>::Ones(m_inner->dim());
        if (m_s.xscale > 0) {
            Rng rng(deriveSeed(seed, kRandomScaling));
            for (Index i = 0; i < c.size(); ++i) c(i) = T(std::exp(m_s.xscale * (2.0 * rng.uniform() - 1.0)));
        }
        return std::make_unique<ScaledProblem<T>>(m_inner->sample(seed), std::move(c), T(m_s.fscale));
    }
    Index dim() const override { return m_inner->dim(); }
    bool hasTestSplit() const override { return m_inner->hasTestSplit(); }
    std::vector<ParamBlock> paramBlocks() const override { return m_inner->paramBlocks(); }
    std::string canonicalSpec() const override
    {
        std::ostringstream out;
        out.precision(10);
        const std::string inner = m_inner->canonicalSpec();
        out << inner;
        char sep = inner.find(':') == std::string::npos ? ':' : ',';
        if (m_s.fscale != 1.0) {
            out << sep << "fscale=" << m_s.fscale;
            sep = ',';
        }
        if (m_s.xscale != 0.0) out << sep << "xscale=" << m_s.xscale;
        return out.str();
    }
    std::uint64_t instanceBytes() const override
    {
        return m_inner->instanceBytes() + 3 * std::uint64_t(m_inner->dim()) * sizeof(T);
    }
    std::uint64_t threadBytes() const override { return m_inner->threadBytes(); }

private:
    std::unique_ptr<ProblemClass<T>> m_inner;
    Scaling m_s;
};

} // namespace

template <typename T>
std::unique_ptr<ProblemClass<T>> makeScaledClass(std::unique_ptr<ProblemClass<T>> inner, const Scaling& scaling)
{
    if (scaling.identity()) return inner;
    return std::make_unique<ScaledClass<T>>(std::move(inner), scaling);
}

template std::unique_ptr<ProblemClass<float>> makeScaledClass(std::unique_ptr<ProblemClass<float>>, const Scaling&);
template std::unique_ptr<ProblemClass<double>> makeScaledClass(std::unique_ptr<ProblemClass<double>>, const Scaling&);

} // namespace l2l
