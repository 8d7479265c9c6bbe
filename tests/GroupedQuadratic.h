#pragma once
// A test problem with three parameter blocks (tests of parameter groups and of LSTM+GAC).
#include "base/Rng.h"
#include "problems/Problem.h"

#include <cmath>
#include <cstdint>
#include <vector>

namespace l2l::test {

// f(theta) = |A theta - y|^2 / n with a random A: every coordinate is coupled to every other, so the nets' updates
// interact through the loss. Blocks: [0, a) group 0, [a, a+b) group 1, the rest group 0 again (two group-0 spans:
// net 0 serves both, which exercises the merging of blocks into spans and GAC's averaging over both). Exact
// Hessian-vector products H v = 2 A^T A v / n, for second-order meta-gradients.
template <typename T>
class GroupedQuadratic : public Problem<T> {
public:
    GroupedQuadratic(Index a, Index b, Index c, std::uint64_t seed) : m_a(a), m_b(b), m_c(c)
    {
        const Index n = a + b + c;
        Rng rng(seed);
        m_A.resize(n, n);
        m_y.resize(n);
        m_theta0.resize(n);
        for (Index j = 0; j < n; ++j)
            for (Index i = 0; i < n; ++i) m_A(i, j) = T(rng.normal() / std::sqrt(double(n)));
        for (Index i = 0; i < n; ++i) m_y(i) = T(rng.normal()), m_theta0(i) = T(rng.normal());
    }
    Index dim() const override { return m_a + m_b + m_c; }
    T valueAndGradient(const CVecRef<T>& theta, VecRef<T> grad, int) override
    {
        const Vec<T> r = m_A * theta - m_y;
        grad = (T(2) / T(dim())) * (m_A.transpose() * r);
        return r.squaredNorm() / T(dim());
    }
    Vec<T> initialTheta() const override { return m_theta0; }
    std::vector<ParamBlock> paramBlocks() const override
    {
        return {{"a", 0, m_a, 0}, {"b", m_a, m_b, 1}, {"c", m_a + m_b, m_c, 0}};
    }
    bool hasHessianVector() const override { return true; }
    void hessianVector(const CVecRef<T>&, const CVecRef<T>& v, VecRef<T> out, int) override
    {
        out = (T(2) / T(dim())) * (m_A.transpose() * (m_A * v));
    }

private:
    Index m_a, m_b, m_c;
    Mat<T> m_A;
    Vec<T> m_y, m_theta0;
};

} // namespace l2l::test
