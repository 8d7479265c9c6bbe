#include "problems/Quadratic.h"

#include "base/Rng.h"

#include <sstream>

namespace l2l {

template <typename T>
Quadratic<T>::Quadratic(Mat<T> w, Vec<T> y, Vec<T> theta0)
    : m_w(std::move(w)), m_y(std::move(y)), m_theta0(std::move(theta0)), m_residual(m_y.size())
{}

template <typename T>
T Quadratic<T>::valueAndGradient(const CVecRef<T>& theta, VecRef<T> grad, int /*step*/)
{
    // r = W theta - y;  f = r.r;  df/dtheta = 2 W^T r
    m_residual.noalias() = m_w * theta;
    m_residual -= m_y;
    grad.noalias() = T(2) * (m_w.transpose() * m_residual);
    return m_residual.squaredNorm();
}

template <typename T>
void Quadratic<T>::hessianVector(const CVecRef<T>& v, VecRef<T> out) const
{
    out.noalias() = T(2) * (m_w.transpose() * (m_w * v));
}

template <typename T>
QuadraticClass<T>::QuadraticClass(const Spec& spec)
{
    const std::string what = "problem 'quadratic'";
    checkKeys(spec, info().options, what);
    m_dim = intOption(spec, "dim", 10, 1, 4000, what);
    m_initStd = doubleOption(spec, "init_std", 0.01, 0.0, 100.0, what);
}

template <typename T>
std::unique_ptr<Problem<T>> QuadraticClass<T>::sample(std::uint64_t seed) const
{
    Rng rng(seed);
    Mat<T> w(m_dim, m_dim);
    Vec<T> y(m_dim), theta0(m_dim);
    for (Index j = 0; j < m_dim; ++j)
        for (Index i = 0; i < m_dim; ++i) w(i, j) = T(rng.normal());
    for (Index i = 0; i < m_dim; ++i) y(i) = T(rng.normal());
    for (Index i = 0; i < m_dim; ++i) theta0(i) = T(m_initStd * rng.normal());
    return std::make_unique<Quadratic<T>>(std::move(w), std::move(y), std::move(theta0));
}

template <typename T>
std::string QuadraticClass<T>::canonicalSpec() const
{
    std::ostringstream out;
    out.precision(10);
    out << "quadratic:dim=" << m_dim << ",init_std=" << m_initStd;
    return out.str();
}

template <typename T>
ProblemInfo QuadraticClass<T>::info()
{
    return {"quadratic",
            "f(theta) = ||W theta - y||^2, W and y IID N(0,1), theta_0 ~ N(0, init_std^2) (paper Sec. 3.1)",
            {{"dim", "10", "dimension n, integer in [1, 4000]"},
             {"init_std", "0.01", "std of the initial theta, in [0, 100]"}},
            false};
}

template class Quadratic<float>;
template class Quadratic<double>;
template class QuadraticClass<float>;
template class QuadraticClass<double>;

} // namespace l2l
