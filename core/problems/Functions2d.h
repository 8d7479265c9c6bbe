#pragma once
// Classic 2-d test functions for the trajectory view, each with its exact gradient, a default start,
// and a viewing box. Every value is >= 0 with minimum 0 (so losses can be drawn on a log scale).
#include "problems/Problem.h"

#include <array>

namespace l2l {

struct Bounds2d {
    double xmin = -1, xmax = 1, ymin = -1, ymax = 1;
};

enum class Function2dKind { Quadratic, IllConditioned, Rosenbrock, Saddle, Himmelblau, Rastrigin, Beale };

template <typename T>
class Function2d : public Problem<T> {
public:
    // `quad` holds W (row-major 2x2, 4 values) and y (2 values) for the Quadratic kind; kappa is used by
    // IllConditioned.
    Function2d(Function2dKind kind, std::array<double, 6> quad, double kappa, Vec<T> start, Bounds2d bounds);
    Index dim() const override { return 2; }
    T valueAndGradient(const CVecRef<T>& theta, VecRef<T> grad, int step) override;
    Vec<T> initialTheta() const override { return m_start; }
    // Value and gradient at (x, y), in double: for drawing the landscape.
    double value(double x, double y) const;
    std::array<double, 2> gradient(double x, double y) const;
    // The exact Hessian at (x, y), row-major {fxx, fxy, fyx, fyy}, in double.
    std::array<double, 4> hessian(double x, double y) const;
    bool hasHessianVector() const override { return true; }
    void hessianVector(const CVecRef<T>& theta, const CVecRef<T>& v, VecRef<T> out, int step) override;
    Bounds2d bounds() const { return m_bounds; }
    // Where the function takes its least value, 0 (every minimum of that value: Himmelblau's four, the saddle's two);
    // empty for a quadratic whose W is singular (a line of minima, or none of value 0).
    std::vector<std::array<double, 2>> globalMinima() const;
    Function2dKind kind() const { return m_kind; }
    // The parameters a landscape shader needs to evaluate the function itself.
    const std::array<double, 6>& quad() const { return m_quad; }
    double kappa() const { return m_kappa; }

private:
    Function2dKind m_kind;
    std::array<double, 6> m_quad;
    double m_kappa;
    Vec<T> m_start;
    Bounds2d m_bounds;
};

template <typename T>
class Function2dClass : public ProblemClass<T> {
public:
    Function2dClass(Function2dKind kind, const Spec& spec);
    std::unique_ptr<Problem<T>> sample(std::uint64_t seed) const override;
    // The concrete type, for views that draw the landscape.
    std::unique_ptr<Function2d<T>> sample2d(std::uint64_t seed) const;
    Index dim() const override { return 2; }
    std::string canonicalSpec() const override;
    static std::vector<ProblemInfo> infos();

private:
    Function2dKind m_kind;
    std::string m_name;
    double m_x0, m_y0, m_startNoise, m_kappa;
};

} // namespace l2l

namespace l2l {
// The kind named `name`, if it is one of the 2-d functions.
std::optional<Function2dKind> function2dKind(const std::string& name);
} // namespace l2l
