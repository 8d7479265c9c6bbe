#pragma once
// f(theta) = ||W theta - y||^2 with W (n x n) and y (n) IID N(0, 1) (the paper, Sec. 3.1).
// theta_0 ~ N(0, 0.01^2) IID, as in the official code (problems.py: random_normal stddev 0.01).
#include "problems/Problem.h"

namespace l2l {

template <typename T>
class Quadratic : public Problem<T> {
public:
    Quadratic(Mat<T> w, Vec<T> y, Vec<T> theta0);
    Index dim() const override { return m_y.size(); }
    T valueAndGradient(const CVecRef<T>& theta, VecRef<T> grad, int step) override;
    Vec<T> initialTheta() const override { return m_theta0; }
    // Hessian-vector product 2 W^T W v (exact second derivatives for meta-training).
    void hessianVector(const CVecRef<T>& v, VecRef<T> out) const;
    bool hasHessianVector() const override { return true; }
    void hessianVector(const CVecRef<T>&, const CVecRef<T>& v, VecRef<T> out, int) override { hessianVector(v, out); }
    const Mat<T>& w() const { return m_w; }
    const Vec<T>& y() const { return m_y; }

private:
    Mat<T> m_w;
    Vec<T> m_y, m_theta0, m_residual;
};

template <typename T>
class QuadraticClass : public ProblemClass<T> {
public:
    explicit QuadraticClass(const Spec& spec);
    std::unique_ptr<Problem<T>> sample(std::uint64_t seed) const override;
    Index dim() const override { return m_dim; }
    std::string canonicalSpec() const override;
    std::uint64_t instanceBytes() const override
    {
        return 4096 + (std::uint64_t(m_dim) * std::uint64_t(m_dim) + 8 * std::uint64_t(m_dim)) * sizeof(T);
    }
    static ProblemInfo info();

private:
    Index m_dim;
    double m_initStd;
};

} // namespace l2l
