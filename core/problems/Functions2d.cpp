#include "problems/Functions2d.h"
#include "base/DetMath.h"

#include "base/Rng.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace l2l {

namespace {

struct Entry {
    Function2dKind kind;
    const char* name;
    const char* summary;
    double x0, y0;
    Bounds2d bounds;
};

// Default starts are chosen to show each function's characteristic difficulty.
const std::vector<Entry>& entries()
{
    static const std::vector<Entry> table = {
        {Function2dKind::Quadratic,
         "quadratic2d",
         "random 2-d member of the quadratic family ||W theta - y||^2, W, y IID N(0,1)",
         0,
         0,
         {-3, 3, -3, 3}},
        {Function2dKind::IllConditioned,
         "ill-conditioned",
         "0.5 (u^2 + kappa v^2), (u, v) = (x, y) rotated by 30 degrees; minimum 0 at the origin",
         -2.5,
         1.5,
         {-3, 3, -3, 3}},
        {Function2dKind::Rosenbrock,
         "rosenbrock",
         "(1 - x)^2 + 100 (y - x^2)^2; curved valley, minimum 0 at (1, 1)",
         -1.2,
         1.0,
         {-2, 2, -1, 3}},
        {Function2dKind::Saddle,
         "saddle",
         "x^2 + y^4/4 - y^2/2 + 1/4; saddle at the origin, minima 0 at (0, +-1)",
         2.0,
         0.01,
         {-2.5, 2.5, -2.5, 2.5}},
        {Function2dKind::Himmelblau,
         "himmelblau",
         "(x^2 + y - 11)^2 + (x + y^2 - 7)^2; four minima of value 0",
         0.0,
         0.0,
         {-5, 5, -5, 5}},
        {Function2dKind::Rastrigin,
         "rastrigin",
         "20 + sum (x_i^2 - 10 cos(2 pi x_i)); many local minima, global 0 at the origin",
         2.2,
         -1.7,
         {-5.12, 5.12, -5.12, 5.12}},
        {Function2dKind::Beale,
         "beale",
         "(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2; flat plateaus, minimum 0 at (3, 0.5)",
         1.0,
         1.5,
         {-4.5, 4.5, -4.5, 4.5}},
    };
    return table;
}

const Entry& entryFor(Function2dKind kind)
{
    for (const auto& e : entries())
        if (e.kind == kind) return e;
    throw Error("internal: unknown 2-d function");
}

} // namespace

template <typename T>
Function2d<T>::Function2d(Function2dKind kind, std::array<double, 6> quad, double kappa, Vec<T> start, Bounds2d bounds)
    : m_kind(kind), m_quad(quad), m_kappa(kappa), m_start(std::move(start)), m_bounds(bounds)
{}

template <typename T>
double Function2d<T>::value(double x, double y) const
{
    switch (m_kind) {
    case Function2dKind::Quadratic: {
        const double r0 = m_quad[0] * x + m_quad[1] * y - m_quad[4];
        const double r1 = m_quad[2] * x + m_quad[3] * y - m_quad[5];
        return r0 * r0 + r1 * r1;
    }
    case Function2dKind::IllConditioned: {
        const double c = 0.86602540378443864676, s = 0.5; // cos, sin of pi/6
        const double u = c * x + s * y, v = -s * x + c * y;
        return 0.5 * (u * u + m_kappa * v * v);
    }
    case Function2dKind::Rosenbrock:
        return (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);
    case Function2dKind::Saddle:
        return x * x + 0.25 * y * y * y * y - 0.5 * y * y + 0.25;
    case Function2dKind::Himmelblau: {
        const double a = x * x + y - 11, b = x + y * y - 7;
        return a * a + b * b;
    }
    case Function2dKind::Rastrigin:
        return 20 + x * x - 10 * detCos(2 * M_PI * x) + y * y - 10 * detCos(2 * M_PI * y);
    case Function2dKind::Beale: {
        const double t1 = 1.5 - x + x * y, t2 = 2.25 - x + x * y * y, t3 = 2.625 - x + x * y * y * y;
        return t1 * t1 + t2 * t2 + t3 * t3;
    }
    }
    return 0;
}

template <typename T>
std::vector<std::array<double, 2>> Function2d<T>::globalMinima() const
{
    switch (m_kind) {
    case Function2dKind::Quadratic: { // W theta = y, by Cramer's rule
        const double det = m_quad[0] * m_quad[3] - m_quad[1] * m_quad[2];
        const double scale = std::abs(m_quad[0] * m_quad[3]) + std::abs(m_quad[1] * m_quad[2]);
        if (!(std::abs(det) > 1e-12 * scale)) return {};
        return {{(m_quad[3] * m_quad[4] - m_quad[1] * m_quad[5]) / det,
                 (m_quad[0] * m_quad[5] - m_quad[2] * m_quad[4]) / det}};
    }
    case Function2dKind::IllConditioned:
    case Function2dKind::Rastrigin:
        return {{0.0, 0.0}};
    case Function2dKind::Rosenbrock:
        return {{1.0, 1.0}};
    case Function2dKind::Saddle:
        return {{0.0, 1.0}, {0.0, -1.0}};
    case Function2dKind::Himmelblau: // Newton's method from near each, to double precision
        return {{3.0, 2.0},
                {-2.805118086952745, 3.131312518250573},
                {-3.779310253377747, -3.283185991286169},
                {3.5844283403304917, -1.8481265269644034}};
    case Function2dKind::Beale:
        return {{3.0, 0.5}};
    }
    return {};
}

template <typename T>
std::array<double, 2> Function2d<T>::gradient(double x, double y) const
{
    switch (m_kind) {
    case Function2dKind::Quadratic: {
        // 2 W^T (W p - y)
        const double r0 = m_quad[0] * x + m_quad[1] * y - m_quad[4];
        const double r1 = m_quad[2] * x + m_quad[3] * y - m_quad[5];
        return {2 * (m_quad[0] * r0 + m_quad[2] * r1), 2 * (m_quad[1] * r0 + m_quad[3] * r1)};
    }
    case Function2dKind::IllConditioned: {
        const double c = 0.86602540378443864676, s = 0.5; // cos, sin of pi/6
        const double u = c * x + s * y, v = -s * x + c * y;
        return {u * c - m_kappa * v * s, u * s + m_kappa * v * c};
    }
    case Function2dKind::Rosenbrock:
        return {-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)};
    case Function2dKind::Saddle:
        return {2 * x, y * y * y - y};
    case Function2dKind::Himmelblau: {
        const double a = x * x + y - 11, b = x + y * y - 7;
        return {4 * x * a + 2 * b, 2 * a + 4 * y * b};
    }
    case Function2dKind::Rastrigin:
        return {2 * x + 20 * M_PI * detSin(2 * M_PI * x), 2 * y + 20 * M_PI * detSin(2 * M_PI * y)};
    case Function2dKind::Beale: {
        const double t1 = 1.5 - x + x * y, t2 = 2.25 - x + x * y * y, t3 = 2.625 - x + x * y * y * y;
        return {2 * t1 * (y - 1) + 2 * t2 * (y * y - 1) + 2 * t3 * (y * y * y - 1),
                2 * t1 * x + 4 * t2 * x * y + 6 * t3 * x * y * y};
    }
    }
    return {0, 0};
}

template <typename T>
std::array<double, 4> Function2d<T>::hessian(double x, double y) const
{
    switch (m_kind) {
    case Function2dKind::Quadratic: { // 2 W^T W
        const double a = m_quad[0], b = m_quad[1], c = m_quad[2], d = m_quad[3];
        const double xy = 2 * (a * b + c * d);
        return {2 * (a * a + c * c), xy, xy, 2 * (b * b + d * d)};
    }
    case Function2dKind::IllConditioned: { // R^T diag(1, kappa) R
        const double c = 0.86602540378443864676, s = 0.5;
        const double xy = c * s - m_kappa * s * c;
        return {c * c + m_kappa * s * s, xy, xy, s * s + m_kappa * c * c};
    }
    case Function2dKind::Rosenbrock:
        return {2 - 400 * (y - x * x) + 800 * x * x, -400 * x, -400 * x, 200};
    case Function2dKind::Saddle:
        return {2, 0, 0, 3 * y * y - 1};
    case Function2dKind::Himmelblau: {
        const double a = x * x + y - 11, b = x + y * y - 7;
        const double xy = 4 * x + 4 * y;
        return {4 * a + 8 * x * x + 2, xy, xy, 2 + 4 * b + 8 * y * y};
    }
    case Function2dKind::Rastrigin:
        return {2 + 40 * M_PI * M_PI * detCos(2 * M_PI * x), 0, 0, 2 + 40 * M_PI * M_PI * detCos(2 * M_PI * y)};
    case Function2dKind::Beale: {
        // f = sum_i t_i^2, t_i = c_i - x + x y^i: H = 2 sum_i (grad t_i grad t_i^T + t_i Hess t_i).
        const double c[3] = {1.5, 2.25, 2.625};
        double hxx = 0, hxy = 0, hyy = 0;
        for (int i = 1; i <= 3; ++i) {
            const double yi = std::pow(y, i), yi1 = std::pow(y, i - 1);
            const double t = c[i - 1] - x + x * yi;
            const double tx = yi - 1, ty = i * x * yi1;
            const double txy = i * yi1, tyy = i >= 2 ? i * (i - 1) * x * std::pow(y, i - 2) : 0.0;
            hxx += 2 * tx * tx;
            hxy += 2 * (tx * ty + t * txy);
            hyy += 2 * (ty * ty + t * tyy);
        }
        return {hxx, hxy, hxy, hyy};
    }
    }
    return {0, 0, 0, 0};
}

template <typename T>
void Function2d<T>::hessianVector(const CVecRef<T>& theta, const CVecRef<T>& v, VecRef<T> out, int /*step*/)
{
    const auto h = hessian(double(theta(0)), double(theta(1)));
    const double v0 = double(v(0)), v1 = double(v(1));
    out(0) = T(h[0] * v0 + h[1] * v1);
    out(1) = T(h[2] * v0 + h[3] * v1);
}

template <typename T>
T Function2d<T>::valueAndGradient(const CVecRef<T>& theta, VecRef<T> grad, int /*step*/)
{
    const double x = double(theta(0)), y = double(theta(1));
    const auto g = gradient(x, y);
    grad(0) = T(g[0]);
    grad(1) = T(g[1]);
    return T(value(x, y));
}

template <typename T>
Function2dClass<T>::Function2dClass(Function2dKind kind, const Spec& spec) : m_kind(kind)
{
    const Entry& e = entryFor(kind);
    m_name = e.name;
    const std::string what = "problem '" + m_name + "'";
    std::vector<OptionInfo> allowed;
    for (const auto& info : infos())
        if (info.name == m_name) allowed = info.options;
    checkKeys(spec, allowed, what);
    m_x0 = doubleOption(spec, "x0", e.x0, -1e3, 1e3, what);
    m_y0 = doubleOption(spec, "y0", e.y0, -1e3, 1e3, what);
    m_startNoise = doubleOption(spec, "start_noise", kind == Function2dKind::Quadratic ? 0.01 : 0.0, 0.0, 100.0, what);
    m_kappa = doubleOption(spec, "kappa", 50.0, 1.0, 1e6, what);
}

template <typename T>
std::unique_ptr<Function2d<T>> Function2dClass<T>::sample2d(std::uint64_t seed) const
{
    Rng rng(seed);
    std::array<double, 6> quad{};
    Bounds2d bounds = entryFor(m_kind).bounds;
    if (m_kind == Function2dKind::Quadratic) {
        for (double& q : quad) q = rng.normal();
        // View box around theta_0 and the minimiser W^-1 y (when W is not near-singular).
        const double det = quad[0] * quad[3] - quad[1] * quad[2];
        double cx = m_x0, cy = m_y0, half = 1.5;
        if (std::abs(det) > 1e-3) {
            const double sx = (quad[3] * quad[4] - quad[1] * quad[5]) / det;
            const double sy = (-quad[2] * quad[4] + quad[0] * quad[5]) / det;
            if (std::abs(sx) < 50 && std::abs(sy) < 50) {
                cx = 0.5 * (sx + m_x0);
                cy = 0.5 * (sy + m_y0);
                half = std::max(half, 0.65 * std::max(std::abs(sx - m_x0), std::abs(sy - m_y0)) + 0.5);
            }
        }
        bounds = {cx - half, cx + half, cy - half, cy + half};
    }
    Vec<T> start(2);
    start << T(m_x0 + m_startNoise * rng.normal()), T(m_y0 + m_startNoise * rng.normal());
    return std::make_unique<Function2d<T>>(m_kind, quad, m_kappa, std::move(start), bounds);
}

template <typename T>
std::unique_ptr<Problem<T>> Function2dClass<T>::sample(std::uint64_t seed) const
{
    return sample2d(seed);
}

template <typename T>
std::string Function2dClass<T>::canonicalSpec() const
{
    std::ostringstream out;
    out.precision(10);
    out << m_name << ":x0=" << m_x0 << ",y0=" << m_y0 << ",start_noise=" << m_startNoise;
    if (m_kind == Function2dKind::IllConditioned) out << ",kappa=" << m_kappa;
    return out.str();
}

template <typename T>
std::vector<ProblemInfo> Function2dClass<T>::infos()
{
    std::vector<ProblemInfo> out;
    for (const auto& e : entries()) {
        std::ostringstream x0, y0;
        x0 << e.x0;
        y0 << e.y0;
        ProblemInfo info{e.name,
                         e.summary,
                         {{"x0", x0.str(), "start x, in [-1000, 1000]"},
                          {"y0", y0.str(), "start y, in [-1000, 1000]"},
                          {"start_noise", e.kind == Function2dKind::Quadratic ? "0.01" : "0",
                           "std of Gaussian noise added to the start per sampled instance, in [0, 100]"}},
                         true};
        if (e.kind == Function2dKind::IllConditioned)
            info.options.push_back({"kappa", "50", "condition number, in [1, 1e6]"});
        out.push_back(std::move(info));
    }
    return out;
}

template class Function2d<float>;
template class Function2d<double>;
template class Function2dClass<float>;
template class Function2dClass<double>;

std::optional<Function2dKind> function2dKind(const std::string& name)
{
    for (const auto& e : entries())
        if (name == e.name) return e.kind;
    return std::nullopt;
}

} // namespace l2l
