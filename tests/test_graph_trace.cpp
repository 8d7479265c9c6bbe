// The graph view's numbers (core/meta/GraphTrace.h): one truncated window of the learned optimizer on a 2-d
// function, recorded by the BPTT that meta-training runs. Checked against the run's own arithmetic (the trace only
// records: a window with and without it gives the same bits), against the update rule written out (theta_{t+1} =
// theta_t + g_t, L = sum f_t, the first-order adjoints sum_{i>=t} w_i grad_i), and the second-order adjoints
// dL/dtheta_t against central finite differences of the unrolled window in double precision.
#include "ExpectError.h"
#include "meta/GraphTrace.h"
#include "optimizers/OptimizerFile.h"

#include <QtTest>

#include <cmath>
#include <limits>

using namespace l2l;
using l2l::test::expectError;

class TestGraphTrace : public QObject {
    Q_OBJECT
private slots:
    void forwardIsTheRun();
    void traceChangesNothing();
    void firstOrderAdjoints();
    void stepsShareSumToTheMetaGradient();
    void secondOrderAdjointsMatchFiniteDifferences_data();
    void secondOrderAdjointsMatchFiniteDifferences();
    void errorsNameTheField();
};

namespace {

constexpr double kEps = std::numeric_limits<float>::epsilon();

GraphConfig config(int window, int offset, bool secondOrder)
{
    GraphConfig c;
    c.problem = "quadratic2d";
    c.window = window;
    c.offset = offset;
    c.secondOrder = secondOrder;
    return c;
}

} // namespace

void TestGraphTrace::forwardIsTheRun()
{
    const GraphResult r = computeGraph(config(6, 3, false));
    const auto& t = r.trace;
    QCOMPARE(int(t.thetas.size()), 7);
    QCOMPARE(int(t.updates.size()), 6);
    QCOMPARE(int(t.states.size()), 7);
    QCOMPARE(int(r.beforeLosses.size()), 4);
    QCOMPARE(r.beforeLosses.back(), t.losses[0]);
    TrajectoryConfig tc;
    tc.problem = "quadratic2d";
    auto fn = trajectoryFunctionFloat(tc);
    double sum = 0;
    for (size_t j = 0; j < t.thetas.size(); ++j) {
        // Exact: theta_{t+1} is computed as theta_t + g_t in float, f and grad by the same float code.
        if (j > 0) {
            const Vec<float> next = t.thetas[j - 1] + t.updates[j - 1];
            QVERIFY(next == t.thetas[j]);
        }
        Vec<float> g(2);
        const double f = double(fn->valueAndGradient(t.thetas[j], g, 0));
        QCOMPARE(f, t.losses[j]);
        QVERIFY(g == t.grads[j]);
        if (j > 0) sum += t.losses[j];
        if (j > 0) QCOMPARE(t.weights[j], 1.0);
    }
    QCOMPARE(r.metaLoss, sum); // the same additions in the same order
    QCOMPARE(int(r.dphi.size()), int(r.paramCount));
    QCOMPARE(r.optimizerPath, bundledOptimizerPath("quadratic2d"));
    // The state has the architecture's shape: h of every layer, (H, 2).
    QCOMPARE(int(t.states[3].h.size()), r.arch.layers);
    QCOMPARE(int(t.states[3].h.back().rows()), r.arch.hidden);
    QCOMPARE(int(t.states[3].h.back().cols()), 2);
    QVERIFY(!t.states[0].h.back().isZero()); // three steps into the run: the window starts from their state
    const GraphResult fresh = computeGraph(config(2, 0, false));
    QVERIFY(fresh.trace.states[0].h.back().isZero()); // a window at the run's start: the zero state
    QVERIFY(!fresh.trace.states[1].h.back().isZero());
}

void TestGraphTrace::traceChangesNothing()
{
    // The same window run by a plain Unroller, as meta-training runs it, from a run of `offset` single steps.
    for (bool second : {false, true}) {
        const GraphResult r = computeGraph(config(5, 4, second));
        const OptimizerFile file = loadOptimizer(r.optimizerPath);
        TrajectoryConfig tc;
        tc.problem = "quadratic2d";
        auto fn = trajectoryFunctionFloat(tc);
        Unroller<float> u(&file.net, 1);
        EpisodeState<float> traj;
        traj.start(*fn, file.net.arch);
        for (int s = 0; s < 4; ++s) u.window(*fn, traj, 1, false, nullptr);
        Vec<float> dphi;
        const double L = u.window(*fn, traj, 5, second, &dphi);
        QCOMPARE(L, r.metaLoss);
        QVERIFY(dphi == r.dphi);
        QVERIFY(traj.theta == r.trace.thetas.back());
    }
}

void TestGraphTrace::firstOrderAdjoints()
{
    // First order: grad_t is a constant input, so dL/dtheta_t = sum_{i>=t} w_i grad_i (t >= 1), and nothing else.
    const GraphResult r = computeGraph(config(8, 2, false));
    const auto& t = r.trace;
    const int K = 8;
    QCOMPARE(int(t.adjoints.size()), K + 1);
    QVERIFY(t.adjoints[0].isZero()); // theta at the window's start is detached
    Vec<double> expected = Vec<double>::Zero(2), scale = Vec<double>::Zero(2);
    for (int j = K; j >= 1; --j) {
        expected += t.weights[size_t(j)] * t.grads[size_t(j)].cast<double>();
        scale += (t.weights[size_t(j)] * t.grads[size_t(j)].cast<double>()).cwiseAbs();
        // Float sums of K terms: each addition rounds by at most eps/2 of the partial sum's size.
        const double tol = K * kEps * scale.maxCoeff() + 1e-30;
        QVERIFY2((t.adjoints[size_t(j)].cast<double>() - expected).cwiseAbs().maxCoeff() <= tol,
                 qPrintable(QString("step %1").arg(j)));
        QVERIFY(t.hessian[size_t(j)].isZero());
    }
}

void TestGraphTrace::stepsShareSumToTheMetaGradient()
{
    for (bool second : {false, true}) {
        const GraphResult r = computeGraph(config(6, 0, second));
        Vec<double> sum = Vec<double>::Zero(r.dphi.size()), scale = Vec<double>::Zero(r.dphi.size());
        for (const auto& d : r.trace.dphiSteps) {
            sum += d.cast<double>();
            scale += d.cast<double>().cwiseAbs();
        }
        // Each share is a difference of two float running sums (each rounded to eps/2 of its size per addition), and
        // the running sum itself accumulates over the 6 steps: 4 * K * eps of the largest partial sum bounds it.
        const double worst = (sum - r.dphi.cast<double>()).cwiseAbs().maxCoeff();
        const double bound = 4 * 6 * kEps * std::max(scale.maxCoeff(), double(r.dphi.cwiseAbs().maxCoeff()));
        qInfo("%s order: |sum of shares - dphi| = %.3g (bound %.3g)", second ? "second" : "first", worst, bound);
        QVERIFY(worst <= bound);
        QVERIFY(r.dphi.norm() > 0);
    }
}

void TestGraphTrace::secondOrderAdjointsMatchFiniteDifferences_data()
{
    QTest::addColumn<QString>("problem");
    QTest::newRow("quadratic2d") << "quadratic2d";
    QTest::newRow("rosenbrock") << "rosenbrock";
    QTest::newRow("himmelblau") << "himmelblau";
}

void TestGraphTrace::secondOrderAdjointsMatchFiniteDifferences()
{
    // In double: the same window with exact second derivatives; dL/dtheta_j against central differences of
    // L_j(theta) = w_j f(theta) + sum_{i>j} f(theta_i), where the window restarts at step j from theta with the
    // recorded optimizer state and the true gradient of theta. Error of the difference: h^2 times the third
    // derivative of the unrolled map (truncation) plus eps |L| / h (rounding); h = 1e-6 keeps both below 1e-6 of
    // max(1, |dL/dtheta|) for these smooth windows (log-sign inputs stay away from their kink at |g| = e^-10).
    QFETCH(QString, problem);
    const int K = 5;
    TrajectoryConfig tc;
    tc.problem = problem.toStdString();
    auto fn = trajectoryFunction(tc);
    const LstmNet<double> net = loadOptimizer(bundledOptimizerPath("quadratic2d")).net.cast<double>();
    Unroller<double> u(&net, 1);
    WindowTrace<double> t;
    EpisodeState<double> traj;
    traj.start(*fn, net.arch);
    u.window(*fn, traj, 2, false, nullptr); // two steps in: the state is not zero
    const int s0 = traj.step;
    u.setTrace(&t);
    Vec<double> dphi;
    u.window(*fn, traj, K, true, &dphi);
    u.setTrace(nullptr);
    bool someHessian = false;
    for (int j = 1; j <= K; ++j) {
        someHessian = someHessian || !t.hessian[size_t(j)].isZero();
        Vec<double> fd(2);
        for (int k = 0; k < 2; ++k) {
            double L[2];
            for (int sgn = 0; sgn < 2; ++sgn) {
                const double h = 1e-6;
                EpisodeState<double> e;
                e.theta = t.thetas[size_t(j)];
                e.theta(k) += sgn == 0 ? h : -h;
                e.grad.resize(2);
                e.loss = fn->valueAndGradient(e.theta, e.grad, s0 + j);
                e.step = s0 + j;
                e.state = t.states[size_t(j)];
                L[sgn] = e.loss + (j < K ? u.window(*fn, e, K - j, false, nullptr) : 0.0);
            }
            fd(k) = (L[0] - L[1]) / (2 * 1e-6);
        }
        const double err = (fd - t.adjoints[size_t(j)]).cwiseAbs().maxCoeff();
        const double scale = std::max(1.0, t.adjoints[size_t(j)].cwiseAbs().maxCoeff());
        qInfo("%s step %d: dL/dtheta (%.6g, %.6g), finite differences (%.6g, %.6g), rel err %.3g", qPrintable(problem),
              j, t.adjoints[size_t(j)](0), t.adjoints[size_t(j)](1), fd(0), fd(1), err / scale);
        QVERIFY(err <= 1e-5 * scale);
    }
    QVERIFY(someHessian);
}

void TestGraphTrace::errorsNameTheField()
{
    expectError([] { computeGraph(config(0, 0, false)); }, {"graph window", "[1, 20]", "0"});
    expectError([] { computeGraph(config(21, 0, false)); }, {"graph window", "21"});
    expectError([] { computeGraph(config(5, -1, false)); }, {"graph offset", "[0, 1000]"});
    expectError(
        [] {
            GraphConfig c = config(5, 0, false);
            c.problem = "mnist";
            computeGraph(c);
        },
        {"mnist", "not a 2-d function"});
    expectError(
        [] {
            GraphConfig c = config(5, 0, false);
            c.optimizer = "/nonexistent/opt.json";
            computeGraph(c);
        },
        {"/nonexistent/opt.json"});
}

QTEST_APPLESS_MAIN(TestGraphTrace)
#include "test_graph_trace.moc"
