// `l2l export --torch` (core/io/TorchExport): the Python module it writes, run by Debian's PyTorch
// (/usr/bin/python3, python3-torch; L2L_TORCH_PYTHON overrides), against l2l's own float32 runs, 100 steps each.
//
// What is compared (tests/torch_export_driver.py runs the Python side):
//  - quadratic.json CLOSED LOOP: the module minimises ||W theta - y||^2 of a 10-d instance (its W, y and theta0 written
//    by this test) with gradients from torch's autograd; l2l runs the same instance. Both trajectories come from
//    their own gradients: the whole loop is compared.
//  - every bundled optimizer OPEN LOOP ("same gradient sequence"): the module receives the gradients l2l's run
//    recorded at l2l's own parameters and walks its own parameters; its trajectory is compared with l2l's. For
//    mnist.json (RNNprop) the gradients are those of l2l's run on a small MNIST MLP (mnist:hidden=2, 1600
//    coordinates, real minibatches) and the module updates the parameters of torch.nn.Linear layers holding that
//    MLP; feeding torch the same minibatches is not attempted, so the MLP's forward/backward is not part of what
//    is compared. For convnet.json (two nets, one per parameter group) and the others the gradients are synthetic
//    (log-uniform magnitudes over 7 decades, exact zeros, values below log-sign's threshold), and convnet's
//    parameters sit in two param groups marked "net": 0 and "net": 1 the way l2l's blocks interleave the groups.
//  - random architectures covering every option of the file (preprocessing none / log-sign with p = 5 / RNNprop,
//    the ELU input layer with either, linear and tanh outputs, scales, 1-3 layers, 1-3 nets), open loop.
// Besides: the decoded weights equal the file's bit for bit, PROVENANCE equals the file's provenance (including
// quotes, backslashes, a newline and non-ASCII text), a param group with a net the module lacks is refused, the
// exporter refuses a setting it does not reproduce, and the command line's messages name the file.
//
// The tolerance. Two float32 evaluations of the same formulas differ by rounding: each operation's result carries
// an error of at most b u (u = 2^-24, b per operation below), and the LSTM carries the errors of every step into
// the next through h and c (and, closed loop, through theta into the gradients). A worst-case bound carried this
// way (|W| times the incoming bound, as tests/LstmReference.h does for a few steps) grows by the gain of |W_h|
// every step and is useless after a few dozen (on mnist.json it bounds the error of 0.01-sized updates by 1e13 at
// step 100); the actual growth is that of the signed linearised dynamics, which mostly contract. So the tolerance
// is a probabilistic bound under the standard model of rounding errors as independent, mean-zero variables
// (Higham & Mary 2019, as test_convnet's sums): to first order an implementation's deviation from the exact
// trajectory is e = sum_i c_i d_i with |d_i| <= b_i u and c_i the sensitivity of the compared value to operation
// i, and by Hoeffding's inequality |e| <= lambda S with probability >= 1 - 2 exp(-lambda^2 / 2),
// S^2 = sum_i (c_i b_i u)^2; two implementations differ by at most lambda sqrt(2) S. S is measured by simulation
// ("Monte Carlo arithmetic", Parker 1997): the formulas are run in double (class Reference) with every
// operation's result perturbed by eps_i b_i u, eps_i uniform in [-1, 1] (variance (b_i u)^2 / 3), kSamples times
// beside an unperturbed run; the mean square of (perturbed - unperturbed) estimates S^2 / 3 per coordinate and
// step. The per-operation bounds b (units of u), worst cases over l2l (Eigen, core/base/DetMath.h) and PyTorch:
//   dot products of K terms plus a bias, any order, with or without FMA: (K + 1) sum |terms|;
//   tanh: 32 absolute (Eigen's float tanh, derived in tests/LstmReference.h; PyTorch's is within 1 ulp);
//   log: 5 relative (detLog < 2 ulp, torch's < 1 ulp, then / p); exp: 2 relative (detExp, torch's < 1 ulp);
//   +, -, *, /, sqrt: 1 relative per operation, e.g. c = f c' + i g: 2 (|f c'| + |i g|); theta + u: 1 relative.
// Constants (scale, p, e^p, e^-p, RNNprop's beta, 1 - beta, eps, bias corrections) are the same float32 values
// on both sides (the module carries them as exact hex literals), so they add no difference.
// lambda = 10: 2 exp(-50) = 4e-22 per compared value if S were known. The estimate of S from kSamples = 4 runs
// is itself random (below a third of S with probability 2 %), which still leaves more than 3 S, and every b is a
// worst case, far above the typical rounding error. The check is: |python - l2l| <= lambda sqrt(6) sigma, and each
// of them within lambda sqrt(3) sigma of the unperturbed double run (sigma = the estimated RMS deviation), for every
// coordinate and step, and never below one ulp of theta (two float32 runs may differ in its last bit whatever
// sigma); the second check also tests the reference's formulas against l2l's code.
//
// What the numbers show (the test prints them per case). Open loop the tolerance is a small fraction of a step
// (sigma at most ~2e-4 of the largest step) and the differences are far inside it. Closed loop, the quadratic's
// trajectory itself amplifies rounding: the simulated sigma grows from ~1e-3 at step 10 to ~1e-1 at step 20
// (theta ~ 1), and torch and l2l do part by the same orders (~1e-5, ~1e-2) while both converge to a small loss:
// the closed-loop comparison is tight over the first steps and after that only says that the two trajectories
// stay within the spread that float32 rounding alone produces. Two negative controls, modules with a subtle
// mistake (RNNprop's epsilon 1e-7 for 1e-8; log|g| / 10.1 for p = 10), must exceed the tolerance (they do by
// three orders of magnitude).
#include "base/Rng.h"
#include "base/Spec.h"
#include "io/TorchExport.h"
#include "optimizers/LstmOptimizer.h"
#include "optimizers/OptimizerFile.h"
#include "problems/Problem.h"
#include "problems/Quadratic.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

using namespace l2l;

namespace {

constexpr int kSteps = 100;
constexpr double kU = 0x1p-24;
constexpr int kSamples = 4;
constexpr double kLambda = 10;
constexpr double kTanhError = 32, kLogError = 5, kExpError = 2;

QString pythonPath() { return qEnvironmentVariable("L2L_TORCH_PYTHON", "/usr/bin/python3"); }
std::string sourceDir() { return qEnvironmentVariable("L2L_SOURCE_DIR").toStdString(); }

// Uniform noise in [-1, 1] (xorshift64*: cheap, the simulation needs many).
class Noise {
public:
    explicit Noise(std::uint64_t seed) : m_s(seed | 1) {}
    Eigen::ArrayXXd array(Index rows, Index cols)
    {
        Eigen::ArrayXXd a(rows, cols);
        double* d = a.data();
        const Index n = a.size();
        for (Index i = 0; i < n; i += 2) { // two 32-bit draws per step: plenty of resolution for a perturbation
            m_s ^= m_s >> 12;
            m_s ^= m_s << 25;
            m_s ^= m_s >> 27;
            const std::uint64_t r = m_s * 0x2545F4914F6CDD1DULL;
            d[i] = double(std::uint32_t(r)) * 0x1p-31 - 1.0;
            if (i + 1 < n) d[i + 1] = double(std::uint32_t(r >> 32)) * 0x1p-31 - 1.0;
        }
        return a;
    }

private:
    std::uint64_t m_s;
};

// tanh in double through the vectorised exp (std::tanh is scalar): within a few 1e-16 absolute.
Eigen::ArrayXXd tanhD(const Eigen::ArrayXXd& x)
{
    const Eigen::ArrayXXd e = (-2.0 * x.abs()).exp();
    return x.sign() * (1.0 - e) / (1.0 + e);
}

// The learned optimizer's formulas (core/optimizers/LstmNet.h) in double, written independently of the exporter,
// on copies x coordinates columns: copy 0 unperturbed, copies 1..kSamples with every operation perturbed (see the
// file comment). The perturbations' sizes are taken from copy 0 (first order: the copies differ by ~1e-6).
class Reference {
public:
    Reference(const LstmNet<float>& net, std::vector<NetSpan> spans, Index n)
        : m_net(net.cast<double>()), m_spans(std::move(spans)), m_n(n), m_noise(12345)
    {
        const LstmArch& a = net.arch;
        const Index cols = n * (kSamples + 1);
        m_h.assign(size_t(a.layers), Eigen::ArrayXXd::Zero(a.hidden, cols));
        m_c = m_h;
        m_m = Eigen::ArrayXd::Zero(cols);
        m_v = Eigen::ArrayXd::Zero(cols);
        m_scale = double(float(a.outputScale));
        m_p = double(float(a.p));
        m_threshold = double(float(std::exp(-a.p)));
        m_expP = double(float(std::exp(a.p)));
    }
    Index columns() const { return m_n * (kSamples + 1); }

    // theta (all copies) <- theta + u(g), every copy's operations perturbed but copy 0's.
    void step(const Eigen::ArrayXd& g, Eigen::ArrayXd& theta)
    {
        ++m_t;
        Eigen::ArrayXd u(columns());
        for (size_t s = 0; s < m_spans.size(); ++s)
            for (int copy = 0; copy <= kSamples; ++copy) {
                const NetSpan& span = m_spans[s];
                const Index col = copy * m_n + span.offset;
                u.segment(col, span.size) = update(span.net, col, span.size, g.segment(col, span.size), copy > 0, s);
            }
        theta += u;
        for (int copy = 1; copy <= kSamples; ++copy) { // theta + u rounded: 1 relative
            auto t = theta.segment(copy * m_n, m_n);
            t *= 1.0 + kU * m_noise.array(m_n, 1).col(0);
        }
    }

    // The RMS deviation of the perturbed copies from copy 0, per coordinate.
    static Eigen::ArrayXd sigma(const Eigen::ArrayXd& all, Index n)
    {
        Eigen::ArrayXd sum = Eigen::ArrayXd::Zero(n);
        for (int copy = 1; copy <= kSamples; ++copy) sum += (all.segment(copy * n, n) - all.head(n)).square();
        return (sum / kSamples).sqrt();
    }

private:
    // Bounds of one span's operations (units of u), from copy 0, reused by the perturbed copies.
    struct Bounds {
        Eigen::ArrayXXd in;                 // (E, cols) the input layer's dot products
        std::vector<Eigen::ArrayXXd> gates; // per layer (4H, cols)
        std::vector<Eigen::ArrayXXd> cell;  // per layer (H, cols): c = f c' + i g
        Eigen::ArrayXd out;                 // (cols) the output's dot product
    };

    Eigen::ArrayXXd perturb(const Eigen::ArrayXXd& bound, bool on)
    {
        if (!on) return Eigen::ArrayXXd::Zero(bound.rows(), bound.cols());
        return kU * bound * m_noise.array(bound.rows(), bound.cols());
    }
    Eigen::ArrayXXd relative(const Eigen::ArrayXXd& x, double b, bool on)
    {
        return on ? Eigen::ArrayXXd(x * (1.0 + b * kU * m_noise.array(x.rows(), x.cols()))) : x;
    }

    Eigen::ArrayXd update(int k, Index col, Index cols, const Eigen::ArrayXd& g, bool on, size_t span)
    {
        const LstmArch& a = m_net.arch;
        const Index H = a.hidden;
        if (m_bounds.size() <= span) m_bounds.resize(span + 1);
        Bounds& B = m_bounds[span];
        const bool first = !on; // copy 0 computes the bounds
        // Preprocessing: x (I, cols).
        Eigen::ArrayXXd x(a.inputSize(), cols);
        if (a.preprocess == Preprocess::None) {
            x.row(0) = g.transpose();
        } else if (a.preprocess == Preprocess::LogSign) {
            for (Index j = 0; j < cols; ++j) {
                const double ag = std::abs(g(j));
                if (ag >= m_threshold) {
                    x(0, j) = std::log(ag) / m_p;
                    x(1, j) = g(j) > 0 ? 1.0 : -1.0;
                } else {
                    x(0, j) = -1.0;
                    x(1, j) = m_expP * g(j);
                }
            }
            if (on) {
                const Eigen::ArrayXXd e = m_noise.array(1, cols);
                for (Index j = 0; j < cols; ++j) {
                    if (std::abs(g(j)) >= m_threshold)
                        x(0, j) *= 1.0 + kLogError * kU * e(0, j);
                    else
                        x(1, j) *= 1.0 + 2.0 * kU * e(0, j); // e^p g: one product (2: generous)
                }
            }
        } else { // RNNprop (LstmNet.cpp rnnpropInputs), beta, 1 - beta, eps, c1, c2 as the float32 values
            const double b1 = double(float(kRnnpropBeta1)), b2 = double(float(kRnnpropBeta2));
            const double a1 = double(1.0f - float(kRnnpropBeta1)), a2 = double(1.0f - float(kRnnpropBeta2));
            const double eps = double(float(kRnnpropEpsilon));
            const double c1 = double(float(1.0 / (1.0 - std::pow(kRnnpropBeta1, m_t))));
            const double c2 = double(float(1.0 / (1.0 - std::pow(kRnnpropBeta2, m_t))));
            auto m = m_m.segment(col, cols);
            auto v = m_v.segment(col, cols);
            m = relative(b1 * m + a1 * g, 2, on);          // two products, one sum
            v = relative(b2 * v + a2 * g.square(), 3, on); // g^2, two products, one sum
            const Eigen::ArrayXd q = relative(v * c2, 1, on);
            const Eigen::ArrayXd s = relative(relative(q.sqrt(), 1, on) + eps, 1, on);
            x.row(0) = relative(g / s, 1, on).transpose();
            x.row(1) = relative(relative(m * c1, 1, on) / s, 1, on).transpose();
        }
        Eigen::ArrayXXd below = x;
        if (a.inputLayer > 0) { // z = ELU(W_in x + b_in)
            const Mat<double> wIn = m_net.wIn(k);
            const Vec<double> bIn = m_net.bIn(k);
            Eigen::ArrayXXd z = (wIn * x.matrix()).array().colwise() + bIn.array();
            if (first)
                B.in = double(a.inputSize() + 1) *
                       ((wIn.cwiseAbs() * x.abs().matrix()).array().colwise() + bIn.cwiseAbs().array());
            z += perturb(B.in, on);
            const Eigen::ArrayXXd ez = relative(z.min(0.0).exp(), kExpError, on);
            below = (z > 0).select(z, relative(ez - 1.0, 1, on));
        }
        if (first) {
            B.gates.resize(size_t(a.layers));
            B.cell.resize(size_t(a.layers));
        }
        for (int l = 0; l < a.layers; ++l) {
            const size_t L = size_t(l);
            auto h = m_h[L].middleCols(col, cols);
            auto c = m_c[L].middleCols(col, cols);
            Eigen::ArrayXXd in(below.rows() + H, cols);
            in << below, h;
            const Mat<double> w = m_net.w(l, k);
            const Vec<double> b = m_net.b(l, k);
            Eigen::ArrayXXd z = (w * in.matrix()).array().colwise() + b.array();
            if (first)
                B.gates[L] = double(in.rows() + 1) *
                             ((w.cwiseAbs() * in.abs().matrix()).array().colwise() + b.cwiseAbs().array());
            z += perturb(B.gates[L], on);
            // i, f, o = (1 + tanh(z / 2)) / 2 as l2l computes them; g = tanh(z)
            Eigen::ArrayXXd t(4 * H, cols);
            t.topRows(2 * H) = tanhD(0.5 * z.topRows(2 * H));
            t.middleRows(2 * H, H) = tanhD(z.middleRows(2 * H, H));
            t.bottomRows(H) = tanhD(0.5 * z.bottomRows(H));
            t += perturb(Eigen::ArrayXXd::Constant(4 * H, cols, kTanhError), on);
            Eigen::ArrayXXd gate = t;
            gate.topRows(2 * H) = relative(0.5 * t.topRows(2 * H) + 0.5, 1, on);
            gate.bottomRows(H) = relative(0.5 * t.bottomRows(H) + 0.5, 1, on);
            const auto i = gate.topRows(H), f = gate.middleRows(H, H), gg = gate.middleRows(2 * H, H),
                       o = gate.bottomRows(H);
            Eigen::ArrayXXd cNew = f * c + i * gg;
            if (first) B.cell[L] = 2.0 * ((f * c).abs() + (i * gg).abs());
            cNew += perturb(B.cell[L], on);
            const Eigen::ArrayXXd tc = tanhD(cNew) + perturb(Eigen::ArrayXXd::Constant(H, cols, kTanhError), on);
            c = cNew;
            h = relative(o * tc, 1, on);
            below = h;
        }
        const Vec<double> wOut = m_net.wOut(k);
        Eigen::ArrayXd out = (below.matrix().transpose() * wOut).array() + m_net.bOut(k);
        if (first)
            B.out = double(H + 1) *
                    ((below.abs().matrix().transpose() * wOut.cwiseAbs()).array() + std::abs(m_net.bOut(k)));
        out += perturb(B.out, on).col(0);
        if (a.output == OutputActivation::Tanh)
            out = tanhD(out).col(0) + perturb(Eigen::ArrayXXd::Constant(cols, 1, kTanhError), on).col(0);
        return relative(m_scale * out, 1, on).col(0);
    }

    LstmNet<double> m_net;
    std::vector<NetSpan> m_spans;
    Index m_n;
    Noise m_noise;
    std::vector<Eigen::ArrayXXd> m_h, m_c;
    Eigen::ArrayXd m_m, m_v;
    int m_t = 0;
    double m_scale, m_p, m_threshold, m_expP;
    std::vector<Bounds> m_bounds;
};

// The spacing of floats at |x|.
double ulpOf(double x)
{
    const float f = float(std::abs(x));
    return double(std::nextafter(f, std::numeric_limits<float>::infinity())) - double(f);
}

// One comparison: the optimizer, its parameters' layout, the l2l run and what the reference makes of it.
struct Case {
    std::string name;
    OptimizerFile file;
    std::string source;                                         // the file's path, or "" for an exported-in-memory file
    std::vector<ParamBlock> blocks;                             // theta's layout (groups = nets)
    std::vector<std::vector<int>> shapes;                       // the Python parameters' shapes, one per block
    bool mlp = false;                                           // blocks are the W, b of Linear layers
    bool closedLoop = false;                                    // the quadratic: W, y below, gradients on each side
    std::vector<std::pair<std::string, std::string>> mutations; // a deliberately wrong module: must be caught
    Mat<float> w;
    Vec<float> y;
    Vec<float> theta0;
    Mat<float> grads;  // (N, steps), open loop
    Mat<float> cpp;    // (N, steps + 1) l2l's trajectory
    Mat<double> ref;   // (N, steps + 1) the unperturbed double run
    Mat<double> sigma; // (N, steps + 1) estimated RMS deviation of one float32 implementation
    Index dim() const { return theta0.size(); }
};

std::vector<NetSpan> spansOf(const Case& c) { return netSpans(c.file.net.nets, c.blocks, c.dim()); }

// l2l's run: LstmRule<float> (the evaluation's update rule) from theta0, fed the recorded gradients (open loop) or
// the quadratic's (closed loop, recorded into c.grads too).
void runL2l(Case& c)
{
    LstmRule<float> rule(c.file.net, 1);
    if (c.file.net.nets > 1) rule.setParamBlocks(c.blocks);
    rule.reset(c.dim());
    Vec<float> theta = c.theta0, grad(c.dim());
    c.cpp.resize(c.dim(), kSteps + 1);
    c.cpp.col(0) = theta;
    std::unique_ptr<Quadratic<float>> q;
    if (c.closedLoop) {
        q = std::make_unique<Quadratic<float>>(c.w, c.y, c.theta0);
        c.grads.resize(c.dim(), kSteps);
    }
    for (int t = 0; t < kSteps; ++t) {
        if (q) {
            q->valueAndGradient(theta, grad, t);
            c.grads.col(t) = grad;
        } else {
            grad = c.grads.col(t);
        }
        rule.step(theta, grad);
        c.cpp.col(t + 1) = theta;
    }
}

// The reference trajectories and sigma (see the file comment).
void runReference(Case& c)
{
    const Index n = c.dim();
    Reference ref(c.file.net, spansOf(c), n);
    Noise noise(777);
    Eigen::ArrayXd theta(ref.columns());
    for (int copy = 0; copy <= kSamples; ++copy) theta.segment(copy * n, n) = c.theta0.cast<double>().array();
    c.ref.resize(n, kSteps + 1);
    c.sigma.resize(n, kSteps + 1);
    c.ref.col(0) = theta.head(n).matrix();
    c.sigma.col(0).setZero();
    const Mat<double> w = c.w.cast<double>();
    const Vec<double> y = c.y.cast<double>();
    Eigen::ArrayXd g(ref.columns());
    for (int t = 0; t < kSteps; ++t) {
        for (int copy = 0; copy <= kSamples; ++copy) {
            if (!c.closedLoop) {
                g.segment(copy * n, n) = c.grads.col(t).cast<double>().array();
                continue;
            }
            // g = 2 W^T (W theta - y): n products and n sums, then n products and n - 1 sums (the 2 is exact).
            const Vec<double> th = theta.segment(copy * n, n).matrix();
            Eigen::ArrayXd r = (w * th - y).array();
            Eigen::ArrayXd gc = (2.0 * (w.transpose() * r.matrix())).array();
            if (copy > 0) {
                const Eigen::ArrayXd rb = double(n + 1) * ((w.cwiseAbs() * th.cwiseAbs()).array() + y.array().abs());
                r += kU * rb * noise.array(n, 1).col(0);
                gc = (2.0 * (w.transpose() * r.matrix())).array();
                const Eigen::ArrayXd gb = 2.0 * double(n) * (w.cwiseAbs().transpose() * r.abs().matrix()).array();
                gc += kU * gb * noise.array(n, 1).col(0);
            }
            g.segment(copy * n, n) = gc;
        }
        ref.step(g, theta);
        c.ref.col(t + 1) = theta.head(n).matrix();
        c.sigma.col(t + 1) = Reference::sigma(theta, n).matrix();
    }
}

void writeFloats(const QString& path, const float* data, Index count)
{
    std::ofstream out(path.toStdString(), std::ios::binary);
    out.write(reinterpret_cast<const char*>(data), std::streamsize(count * 4));
    QVERIFY2(out.good(), qPrintable("cannot write " + path));
}

Mat<float> readFloats(const QString& path, Index rows, Index cols)
{
    std::ifstream in(path.toStdString(), std::ios::binary);
    Mat<float> m(rows, cols); // the file is row-major (cols x rows from Python's (steps + 1, N))
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> r(cols, rows);
    in.read(reinterpret_cast<char*>(r.data()), std::streamsize(rows * cols * 4));
    if (!in.good()) return {};
    m = r.transpose();
    return m;
}

// Synthetic gradients: normal times 10^U(-6, 1), 3 % exact zeros, 3 % below log-sign's threshold e^-10.
Mat<float> syntheticGradients(Index n, std::uint64_t seed)
{
    Rng rng(seed);
    Mat<float> g(n, kSteps);
    for (Index t = 0; t < kSteps; ++t)
        for (Index k = 0; k < n; ++k) {
            const double r = rng.uniform();
            double v = rng.normal() * std::pow(10.0, -6.0 + 7.0 * rng.uniform());
            if (r < 0.03) v = 0;
            if (r > 0.97) v = rng.normal() * 1e-5;
            g(k, t) = float(v);
        }
    return g;
}

Vec<float> randomTheta(Index n, std::uint64_t seed)
{
    Rng rng(seed);
    Vec<float> t(n);
    for (Index k = 0; k < n; ++k) t(k) = float(0.1 * rng.normal());
    return t;
}

// A one-block layout, or blocks alternating between groups as a conv net's do (kernels 0, the rest 1).
std::vector<ParamBlock> layout(int nets, std::vector<std::vector<int>>& shapes)
{
    if (nets == 1) {
        shapes = {{10, 10}, {7}, {2, 3, 3}};
        return {{"a", 0, 100, 0}, {"b", 100, 7, 0}, {"c", 107, 18, 0}};
    }
    // conv1/w, its batch norm, conv2/w, fc/w, fc/b (and a third group for a third net)
    shapes = {{2, 1, 3, 3}, {4}, {3, 2, 3, 3}, {5, 8}, {5}};
    std::vector<ParamBlock> b = {
        {"conv1/w", 0, 18, 0}, {"bn1", 18, 4, 1}, {"conv2/w", 22, 54, 0}, {"fc/w", 76, 40, 1}, {"fc/b", 116, 5, 1}};
    if (nets == 3) {
        shapes.push_back({3, 3});
        b.push_back({"extra", 121, 9, 2});
    }
    return b;
}

} // namespace

class TestTorchExport : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void trajectoriesAgree();
    void refusesWhatItCannotExpress();
    void commandLine();

private:
    QTemporaryDir m_dir;
    QString runL2lCli(const QStringList& args, int* exitCode, QString* err = nullptr);
};

void TestTorchExport::initTestCase()
{
    QVERIFY(m_dir.isValid());
    if (qEnvironmentVariableIsSet("L2L_TORCH_EXPORT_DEBUG")) { // keep the cases for a look
        m_dir.setAutoRemove(false);
        qInfo("cases in %s", qPrintable(m_dir.path()));
    }
    // Whether torch is there, without importing it (that takes seconds; the driver does it once).
    QProcess p;
    p.start(pythonPath(), {"-c", "import importlib.util as u, sys; sys.exit(0 if u.find_spec('torch') and "
                                 "u.find_spec('numpy') else 3)"});
    QVERIFY2(p.waitForFinished(60000), qPrintable(pythonPath() + " did not finish"));
    QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0,
             qPrintable(pythonPath() + " has no PyTorch (scripts/setup.sh installs Debian's python3-torch): " +
                        QString::fromUtf8(p.readAllStandardError())));
}

QString TestTorchExport::runL2lCli(const QStringList& args, int* exitCode, QString* err)
{
    QProcess p;
    p.start(qEnvironmentVariable("L2L_BIN_DIR") + "/app/l2l", args);
    if (!p.waitForFinished(60000)) {
        *exitCode = -1;
        return {};
    }
    *exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    if (err) *err = QString::fromUtf8(p.readAllStandardError());
    return QString::fromUtf8(p.readAllStandardOutput());
}

void TestTorchExport::trajectoriesAgree()
{
    QElapsedTimer timer;
    timer.start();
    const std::string optimizers = sourceDir() + "/resources/optimizers/";
    std::vector<Case> cases;
    auto bundled = [&](const std::string& name) {
        Case c;
        c.source = optimizers + name + ".json";
        c.file = loadOptimizer(c.source);
        return c;
    };
    // quadratic.json closed loop on a 10-d instance of the class it was trained on, and open loop on synthetic
    // gradients.
    {
        Case c = bundled("quadratic");
        c.name = "quadratic.json closed loop (10-d quadratic)";
        auto cls = makeProblemClass<float>("quadratic");
        auto inst = cls->sample(2024);
        auto* q = dynamic_cast<Quadratic<float>*>(inst.get());
        QVERIFY(q);
        c.w = q->w();
        c.y = q->y();
        c.theta0 = q->initialTheta();
        c.blocks = {{"theta", 0, c.dim(), 0}};
        c.shapes = {{int(c.dim())}};
        c.closedLoop = true;
        cases.push_back(c);
    }
    // mnist.json on a small MNIST MLP: l2l's run records its gradients (its own minibatches, at its own theta).
    {
        Case c = bundled("mnist");
        c.name = "mnist.json (RNNprop) open loop, MLP 784-2-10 on MNIST";
        auto cls = makeProblemClass<float>("mnist:hidden=2");
        auto inst = cls->sample(7);
        c.theta0 = inst->initialTheta();
        c.mlp = true;
        const std::vector<int> sizes = {784, 2, 10};
        Index off = 0;
        for (size_t l = 0; l + 1 < sizes.size(); ++l) {
            const int in = sizes[l], out = sizes[l + 1];
            c.blocks.push_back({"W", off, Index(in) * out, 0});
            c.shapes.push_back({out, in});
            off += Index(in) * out;
            c.blocks.push_back({"b", off, out, 0});
            c.shapes.push_back({out});
            off += out;
        }
        QCOMPARE(off, c.dim());
        // l2l's closed-loop run on the MLP, recording the gradient of every step.
        LstmRule<float> rule(c.file.net, 1);
        rule.reset(c.dim());
        Vec<float> theta = c.theta0, grad(c.dim());
        c.grads.resize(c.dim(), kSteps);
        for (int t = 0; t < kSteps; ++t) {
            inst->valueAndGradient(theta, grad, t);
            c.grads.col(t) = grad;
            rule.step(theta, grad);
        }
        cases.push_back(c);
    }
    // Every bundled optimizer on synthetic gradients (convnet.json: its two nets by parameter group).
    for (const char* name : {"quadratic", "mnist", "convnet", "2d", "neural-art"}) {
        Case c = bundled(name);
        c.name = std::string(name) + ".json open loop, synthetic gradients";
        c.blocks = layout(c.file.net.nets, c.shapes);
        c.theta0 = randomTheta(c.blocks.back().offset + c.blocks.back().size, 11);
        c.grads = syntheticGradients(c.dim(), 12);
        cases.push_back(c);
    }
    // Random architectures: every option of the file, exported from memory. The weights are spread (trained-like
    // magnitudes) so that every part of the net moves the update.
    struct Variant {
        const char* name;
        LstmArch arch;
        int nets;
    };
    std::vector<Variant> variants;
    {
        LstmArch a;
        a.layers = 1, a.hidden = 7, a.preprocess = Preprocess::None, a.outputScale = 0.05;
        variants.push_back({"none, 1 layer of 7, linear, scale 0.05", a, 1});
        a = {};
        a.layers = 3, a.hidden = 5, a.p = 5, a.output = OutputActivation::Tanh, a.outputScale = 0.3;
        variants.push_back({"log-sign p = 5, 3 layers of 5, tanh, scale 0.3", a, 1});
        a = {};
        a.hidden = 9, a.inputLayer = 6, a.outputScale = 0.02;
        variants.push_back({"log-sign + ELU input layer of 6, linear, 2 nets", a, 2});
        a = {};
        a.hidden = 8, a.preprocess = Preprocess::Rnnprop, a.outputScale = 0.1;
        variants.push_back({"RNNprop inputs without input layer, linear", a, 1});
        a = {};
        a.hidden = 6, a.preprocess = Preprocess::Rnnprop, a.inputLayer = 4, a.output = OutputActivation::Tanh,
        a.outputScale = 0.5;
        variants.push_back({"RNNprop + ELU input layer of 4, tanh, scale 0.5, 3 nets", a, 3});
    }
    for (size_t i = 0; i < variants.size(); ++i) {
        Case c;
        c.name = std::string("random net: ") + variants[i].name;
        c.file.net = LstmNet<float>::init(variants[i].arch, 100 + i, variants[i].nets);
        Rng rng(200 + i);
        for (Index k = 0; k < c.file.net.params.size(); ++k) c.file.net.params(k) += float(0.4 * rng.normal());
        c.blocks = layout(variants[i].nets, c.shapes);
        c.theta0 = randomTheta(c.blocks.back().offset + c.blocks.back().size, 13 + i);
        c.grads = syntheticGradients(c.dim(), 14 + i);
        if (i == 0) { // provenance with characters a Python literal must escape
            c.file.provenance.known = true;
            c.file.provenance.training.problem = "quadratic";
            c.file.provenance.command =
                "l2l train --out \"a\"\"\"b.json \\ \\\" ''' caf\xc3\xa9 \xe2\x88\x87 \xf0\x9f\x98\x80\n"
                "second line\t@NETS@";
            c.file.provenance.created = "2026-12-03T00:00:00Z";
        }
        cases.push_back(c);
    }

    // Negative controls: two subtly wrong modules, which the comparison must reject. RNNprop's epsilon 1e-7 instead
    // of 1e-8 (changes only coordinates whose second moment is small), and log-sign's log|g| divided by 10.1
    // instead of p = 10.
    for (const char* name : {"mnist", "quadratic"}) {
        const std::string of = std::string(name) + ".json open loop, synthetic gradients";
        const auto it = std::find_if(cases.begin(), cases.end(), [&](const Case& x) { return x.name == of; });
        QVERIFY(it != cases.end());
        Case c = *it;
        c.mutations =
            std::string(name) == "mnist"
                ? std::vector<std::pair<std::string, std::string>>{{"_EPSILON = float.fromhex(",
                                                                    "_EPSILON = 10 * float.fromhex("}}
                : std::vector<std::pair<std::string, std::string>>{{"_P = float.fromhex(\"0x1.4p+3\")", "_P = 10.1"}};
        c.name = std::string("NEGATIVE CONTROL: ") + name + ".json with " +
                 (std::string(name) == "mnist" ? "epsilon 1e-7" : "log|g| / 10.1");
        cases.push_back(c);
    }

    // Export: the bundled files through the command line (end to end), the others through the core.
    nlohmann::json manifest = nlohmann::json::array();
    for (size_t i = 0; i < cases.size(); ++i) {
        Case& c = cases[i];
        const QString module = m_dir.filePath(QString("case%1.py").arg(i));
        if (!c.source.empty()) {
            int code = 0;
            QString err;
            runL2lCli({"export", "--torch", QString::fromStdString(c.source), "--out", module}, &code, &err);
            QVERIFY2(code == 0, qPrintable("l2l export failed: " + err));
        } else {
            std::ofstream(module.toStdString()) << torchModule(c.file, "memory", "case");
        }
        runL2l(c);
        if (!c.closedLoop) {
            const QString g = m_dir.filePath(QString("grads%1.f32").arg(i));
            // (steps, N) row-major on disk
            Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rows = c.grads.transpose();
            writeFloats(g, rows.data(), rows.size());
        }
        writeFloats(m_dir.filePath(QString("theta0_%1.f32").arg(i)), c.theta0.data(), c.dim());
        nlohmann::json j = {{"name", c.name},
                            {"module", QString("case%1.py").arg(i).toStdString()},
                            {"steps", kSteps},
                            {"theta0", QString("theta0_%1.f32").arg(i).toStdString()},
                            {"out", QString("out%1.f32").arg(i).toStdString()},
                            {"weights_out", QString("weights%1.f32").arg(i).toStdString()},
                            {"provenance_out", QString("provenance%1.json").arg(i).toStdString()}};
        if (!c.mutations.empty()) j["mutations"] = c.mutations;
        if (c.closedLoop) {
            Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> w = c.w;
            writeFloats(m_dir.filePath(QString("w%1.f32").arg(i)), w.data(), w.size());
            writeFloats(m_dir.filePath(QString("y%1.f32").arg(i)), c.y.data(), c.y.size());
            j["kind"] = "quadratic";
            j["n"] = c.dim();
            j["w"] = QString("w%1.f32").arg(i).toStdString();
            j["y"] = QString("y%1.f32").arg(i).toStdString();
        } else {
            j["kind"] = "gradients";
            j["grads"] = QString("grads%1.f32").arg(i).toStdString();
            nlohmann::json params = nlohmann::json::array();
            for (size_t b = 0; b < c.blocks.size(); ++b) {
                nlohmann::json p = {{"size", c.blocks[b].size}, {"shape", c.shapes[b]}};
                if (c.file.net.nets > 1) p["net"] = c.blocks[b].group;
                if (c.mlp) p["mlp"] = b % 2 == 0 ? "weight" : "bias";
                params.push_back(p);
            }
            j["params"] = params;
        }
        manifest.push_back(j);
    }
    std::ofstream(m_dir.filePath("cases.json").toStdString()) << manifest.dump(1);
    const qint64 prepared = timer.elapsed();

    QProcess py;
    py.setProcessChannelMode(QProcess::SeparateChannels);
    py.start(pythonPath(),
             {QString::fromStdString(sourceDir() + "/tests/torch_export_driver.py"), m_dir.filePath("cases.json")});
    // The references while Python runs (the test's two processes on two cores).
    QElapsedTimer refTimer;
    refTimer.start();
    std::vector<qint64> refMs;
    for (Case& c : cases) {
        const qint64 before = refTimer.elapsed();
        runReference(c);
        refMs.push_back(refTimer.elapsed() - before);
    }
    QVERIFY2(py.waitForFinished(300000), "the Python driver did not finish in 5 minutes");
    const QString pyErr = QString::fromUtf8(py.readAllStandardError());
    QVERIFY2(py.exitStatus() == QProcess::NormalExit && py.exitCode() == 0,
             qPrintable("the Python driver failed:\n" + pyErr + QString::fromUtf8(py.readAllStandardOutput())));
    const qint64 python = timer.elapsed() - prepared; // and the references, at the same time

    bool allOk = true;
    for (size_t i = 0; i < cases.size(); ++i) {
        Case& c = cases[i];
        // The weights, decoded by the module, are the file's bit for bit.
        {
            std::ifstream in(m_dir.filePath(QString("weights%1.f32").arg(i)).toStdString(), std::ios::binary);
            std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            QCOMPARE(Index(bytes.size()), c.file.net.params.size() * 4);
            QVERIFY2(std::memcmp(bytes.data(), c.file.net.params.data(), bytes.size()) == 0,
                     qPrintable(QString::fromStdString(c.name) + ": decoded weights differ from the file's"));
        }
        // PROVENANCE is the file's.
        {
            std::ifstream in(m_dir.filePath(QString("provenance%1.json").arg(i)).toStdString());
            const nlohmann::json got = nlohmann::json::parse(in);
            const nlohmann::json doc = nlohmann::json::parse(optimizerToJson(c.file));
            QVERIFY2(got == doc["provenance"],
                     qPrintable(QString::fromStdString(c.name + ": PROVENANCE " + got.dump() + " is not the file's " +
                                                       doc["provenance"].dump())));
        }
        const Mat<float> pyTheta = readFloats(m_dir.filePath(QString("out%1.f32").arg(i)), c.dim(), kSteps + 1);
        QVERIFY2(pyTheta.size() == c.cpp.size(), qPrintable(QString::fromStdString(c.name) + ": no trajectory"));
        double maxDiff = 0, worstPair = 0, worstOne = 0, maxStep = 0, maxSigma = 0;
        Index atK = 0, atT = 0;
        for (Index t = 0; t <= kSteps; ++t)
            for (Index k = 0; k < c.dim(); ++k) {
                const double p = pyTheta(k, t), l = c.cpp(k, t), r = c.ref(k, t), s = c.sigma(k, t);
                // theta is a float: whatever sigma, two float32 runs may differ in its last bit.
                const double ulp = ulpOf(std::max(std::abs(p), std::abs(l)));
                const double diff = std::abs(p - l);
                const double pair = diff == 0 ? 0 : diff / std::max(kLambda * std::sqrt(6.0) * s, ulp);
                const double one = std::max(std::abs(p - r), std::abs(l - r));
                const double oneRatio = one == 0 ? 0 : one / std::max(kLambda * std::sqrt(3.0) * s, ulp);
                if (pair > worstPair) atK = k, atT = t;
                maxDiff = std::max(maxDiff, diff);
                worstPair = std::max(worstPair, pair);
                worstOne = std::max(worstOne, oneRatio);
                maxSigma = std::max(maxSigma, s);
                if (t > 0) maxStep = std::max(maxStep, std::abs(double(c.cpp(k, t)) - c.cpp(k, t - 1)));
            }
        if (qEnvironmentVariableIsSet("L2L_TORCH_EXPORT_DEBUG")) qInfo("   reference: %lld ms", (long long)refMs[i]);
        if (qEnvironmentVariableIsSet("L2L_TORCH_EXPORT_DEBUG"))
            for (Index t = 10; t <= kSteps; t += 10)
                qInfo("   step %3lld: max |torch - l2l| %.3g, max sigma %.3g, max |theta| %.3g", (long long)t,
                      (pyTheta.col(t) - c.cpp.col(t)).cwiseAbs().maxCoeff(), c.sigma.col(t).maxCoeff(),
                      c.cpp.col(t).cwiseAbs().maxCoeff());
        if (c.closedLoop) {
            const Mat<double> w = c.w.cast<double>();
            const Vec<double> y = c.y.cast<double>();
            qInfo("   loss at step 100: torch %.6g, l2l %.6g (at step 0: %.6g)",
                  (w * pyTheta.col(kSteps).cast<double>() - y).squaredNorm(),
                  (w * c.cpp.col(kSteps).cast<double>() - y).squaredNorm(),
                  (w * c.cpp.col(0).cast<double>() - y).squaredNorm());
        }
        qInfo("%-62s max |torch - l2l| %.3g (largest step %.3g, sigma up to %.3g); worst difference / tolerance: "
              "torch vs l2l %.3g, either vs double %.3g",
              c.name.c_str(), maxDiff, maxStep, maxSigma, worstPair, worstOne);
        // A negative control must be caught: some value outside its tolerance.
        const bool ok = c.mutations.empty() ? worstPair <= 1 && worstOne <= 1 : worstPair > 1;
        allOk = allOk && ok;
        if (!ok || qEnvironmentVariableIsSet("L2L_TORCH_EXPORT_DEBUG")) {
            qWarning("  %s: at coordinate %lld, step %lld: torch %.9g, l2l %.9g, double %.9g, sigma %.3g",
                     c.name.c_str(), (long long)atK, (long long)atT, double(pyTheta(atK, atT)), double(c.cpp(atK, atT)),
                     c.ref(atK, atT), c.sigma(atK, atT));
        }
    }
    qInfo("%zu cases: prepared in %lld ms, Python (and the references meanwhile) %lld ms, comparison %lld ms",
          cases.size(), (long long)prepared, (long long)python, (long long)(timer.elapsed() - prepared - python));
    QVERIFY2(allOk, "a trajectory left its tolerance (see above)");
}

void TestTorchExport::refusesWhatItCannotExpress()
{
    const std::string optimizers = sourceDir() + "/resources/optimizers/";
    for (const char* name : {"quadratic", "mnist", "convnet", "2d", "neural-art"}) {
        const OptimizerFile f = loadOptimizer(optimizers + name + ".json");
        QVERIFY2(torchExportRefusal(f).empty(), qPrintable(QString::fromStdString(torchExportRefusal(f))));
    }
    // A setting the exporter did not know would be refused unless at its default (what older files do). Simulated
    // by leaving keys out of the known list.
    auto without = [](const std::string& key) {
        std::vector<std::string> known = torchExportableArchKeys();
        known.erase(std::find(known.begin(), known.end(), key));
        return known;
    };
    const OptimizerFile mnist = loadOptimizer(optimizers + "mnist.json");
    const std::string why = torchExportRefusal(mnist, without("input_layer"));
    QVERIFY2(why.find("\"input_layer\" = 20") != std::string::npos && why.find("refusing") != std::string::npos,
             why.c_str());
    QVERIFY(torchExportRefusal(mnist, without("output_activation")).find("'tanh'") != std::string::npos);
    const OptimizerFile quadratic = loadOptimizer(optimizers + "quadratic.json");
    QVERIFY(torchExportRefusal(quadratic, without("input_layer")).empty()); // 0: the default, what it computes
    QVERIFY(torchExportRefusal(quadratic, without("p")).empty());           // 10: the default
    OptimizerFile p5 = quadratic;
    p5.net.arch.p = 5;
    QVERIFY(torchExportRefusal(p5, without("p")).find("\"p\" = 5") != std::string::npos);
    // torchModule throws with the file's name when it refuses.
    OptimizerFile broken = quadratic;
    broken.net.params.conservativeResize(broken.net.params.size() - 1);
    try {
        torchModule(broken, "some/file.json");
        QFAIL("a file whose weights do not match its architecture was exported");
    } catch (const Error& e) {
        const std::string m = e.what();
        QVERIFY2(m.find("optimizer file 'some/file.json'") != std::string::npos &&
                     m.find("PyTorch") != std::string::npos,
                 e.what());
    }
}

void TestTorchExport::commandLine()
{
    int code = 0;
    QString err;
    // Standard output, with the provenance in the docstring.
    const QString module = runL2lCli(
        {"export", "--torch", QString::fromStdString(sourceDir() + "/resources/optimizers/mnist.json"), "--out", "-"},
        &code, &err);
    QCOMPARE(code, 0);
    QVERIFY(module.startsWith("# Generated by `l2l export --torch`"));
    QVERIFY(module.contains("class L2LOptimizer(torch.optim.Optimizer)"));
    QVERIFY(module.contains("l2l train --init ") && module.contains("--unroll 100")); // the bundled file's command
    QVERIFY(module.contains("selected by: l2l select on mnist"));
    // A missing file, a corrupt one, an output that is a directory: exit 1 and a message naming the file.
    runL2lCli({"export", "--torch", m_dir.filePath("missing.json"), "--out", m_dir.filePath("x.py")}, &code, &err);
    QCOMPARE(code, 1);
    QVERIFY2(err.contains("missing.json") && err.contains("does not exist"), qPrintable(err));
    QVERIFY(!QFile::exists(m_dir.filePath("x.py")));
    const QString corrupt = m_dir.filePath("corrupt.json");
    {
        std::ifstream in(sourceDir() + "/resources/optimizers/quadratic.json");
        nlohmann::json doc = nlohmann::json::parse(in);
        doc["architecture"]["hidden"] = 19;
        std::ofstream(corrupt.toStdString()) << doc.dump();
    }
    runL2lCli({"export", "--torch", corrupt, "--out", m_dir.filePath("x.py")}, &code, &err);
    QCOMPARE(code, 1);
    QVERIFY2(err.contains("corrupt.json") && err.contains("weights"), qPrintable(err));
    runL2lCli({"export", "--torch", QString::fromStdString(sourceDir() + "/resources/optimizers/2d.json"), "--out",
               m_dir.path()},
              &code, &err);
    QCOMPARE(code, 1);
    QVERIFY2(err.contains("--out"), qPrintable(err));
    runL2lCli({"export", "--out", m_dir.filePath("x.py")}, &code, &err);
    QVERIFY2(code != 0 && err.contains("--torch"), qPrintable(err));
}

QTEST_APPLESS_MAIN(TestTorchExport)
#include "test_torch_export.moc"
