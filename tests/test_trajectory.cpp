// Optimizer paths on 2-d functions (core/eval/Trajectory.h): deterministic, starting where asked, with the
// function's own values and gradients along them, SGD matching the update written out by hand, the
// learned optimizer resolving to the one trained on 2-d problems, and errors that name the culprit.
// (The 2-d gradients themselves are checked against finite differences in test_problems.)
#include "ExpectError.h"
#include "eval/Trajectory.h"

#include <QDir>
#include <QtTest>

#include <cmath>

using namespace l2l;
using l2l::test::expectError;

class TestTrajectory : public QObject {
    Q_OBJECT
private slots:
    void deterministic();
    void startsAtTheGivenPoint();
    void lossAndGradientAreTheFunctions_data();
    void lossAndGradientAreTheFunctions();
    void sgdMatchesHandComputation();
    void tunedRatesWithoutCache();
    void movedStartKeepsTheTunedRates();
    void lstmUsesTheTwoDOptimizer();
    void divergedPathStops();
    void cancelStops();
    void errorsNameTheCulprit();
};

void TestTrajectory::deterministic()
{
    TrajectoryConfig c;
    c.problem = "quadratic2d";
    c.steps = 50;
    const auto a = computeTrajectories(c), b = computeTrajectories(c);
    QCOMPARE(a.paths.size(), c.optimizers.size());
    for (size_t i = 0; i < a.paths.size(); ++i) {
        QCOMPARE(a.paths[i].optimizer, b.paths[i].optimizer);
        QCOMPARE(a.paths[i].rule.lr, b.paths[i].rule.lr);
        QVERIFY(a.paths[i].points == b.paths[i].points); // bit-identical
        QVERIFY(a.paths[i].loss == b.paths[i].loss);
    }
    QCOMPARE(a.quad, b.quad);
    QCOMPARE(a.kind, Function2dKind::Quadratic);
}

void TestTrajectory::startsAtTheGivenPoint()
{
    TrajectoryConfig c;
    c.steps = 20;
    QCOMPARE(computeTrajectories(c).start, (std::array<double, 2>{-1.2, 1.0})); // rosenbrock's default
    c.start = std::array<double, 2>{0.3125, -0.71};
    const auto r = computeTrajectories(c);
    QCOMPARE(r.start, *c.start);
    for (const auto& p : r.paths) {
        QCOMPARE(p.points.size(), size_t(c.steps) + 1);
        QCOMPARE(p.points.front(), *c.start); // exact: no start noise
        QVERIFY(p.points.back() != p.points.front());
    }
}

void TestTrajectory::lossAndGradientAreTheFunctions_data()
{
    QTest::addColumn<QString>("problem");
    for (const auto& info : problemCatalog())
        if (info.twoD) QTest::newRow(info.name.c_str()) << QString::fromStdString(info.name);
}

void TestTrajectory::lossAndGradientAreTheFunctions()
{
    QFETCH(QString, problem);
    TrajectoryConfig c;
    c.problem = problem.toStdString();
    c.steps = 30;
    const auto r = computeTrajectories(c);
    const auto fn = trajectoryFunction(c);
    QCOMPARE(int(r.kind), int(fn->kind()));
    QCOMPARE(r.quad, fn->quad());
    // Exact: the paths were evaluated by this same function (the one compiled Function2d<double>::
    // valueAndGradient) at these points. value() and gradient() are not compared: inlined into
    // valueAndGradient they may be fused into multiply-adds differently, and near a minimum, where the terms
    // cancel, that moves the small result by far more than a relative 1e-12.
    Vec<double> theta(2), g(2);
    for (const auto& p : r.paths) {
        QCOMPARE(p.loss.size(), p.points.size());
        QCOMPARE(p.grad.size(), p.points.size());
        for (size_t t = 0; t < p.points.size(); ++t) {
            theta << p.points[t][0], p.points[t][1];
            const double f = fn->valueAndGradient(theta, g, int(t));
            QVERIFY2(p.loss[t] == f && p.grad[t][0] == g(0) && p.grad[t][1] == g(1),
                     qPrintable(QString("%1, step %2").arg(QString::fromStdString(p.optimizer)).arg(t)));
        }
    }
}

void TestTrajectory::sgdMatchesHandComputation()
{
    TrajectoryConfig c;
    c.optimizers = {"sgd:lr=0.001"};
    c.steps = 3;
    c.start = std::array<double, 2>{-1.2, 1.0};
    const auto r = computeTrajectories(c);
    const auto& p = r.paths.at(0);
    QCOMPARE(p.optimizer, std::string("sgd:lr=0.001"));
    QVERIFY(!p.tunedRate);
    double x = -1.2, y = 1.0;
    double maxDiff = 0;
    for (int t = 0; t <= 3; ++t) {
        maxDiff = std::max({maxDiff, std::abs(p.points[size_t(t)][0] - x), std::abs(p.points[size_t(t)][1] - y)});
        // Rosenbrock: df/dx = -2 (1 - x) - 400 x (y - x^2),  df/dy = 200 (y - x^2)
        const double gx = -2 * (1 - x) - 400 * x * (y - x * x), gy = 200 * (y - x * x);
        x -= 0.001 * gx;
        y -= 0.001 * gy;
    }
    // Double against double, the same formula fused or summed differently: |g| <= 220 from terms <= 480, so
    // each gradient is within ~4 * 2^-53 * 500 = 2e-13 and each step moves theta by 1e-3 of that; over 3
    // steps (|1 - lr f''| <= 3 per step) that stays below 1e-14.
    qInfo("sgd vs hand: maxdiff %.3g", maxDiff);
    QVERIFY(maxDiff < 1e-13);
}

void TestTrajectory::tunedRatesWithoutCache()
{
    TrajectoryConfig c;
    c.optimizers = {"sgd", "adam", "nag:lr=0.0001"};
    c.steps = 40;
    const auto r = computeTrajectories(c);
    QVERIFY(r.paths[0].tunedRate && r.paths[1].tunedRate && !r.paths[2].tunedRate);
    QVERIFY(r.paths[0].rule.lr > 0 && r.paths[1].rule.lr > 0);
    QCOMPARE(r.paths[2].rule.lr, 1e-4);
    QCOMPARE(r.paths[0].optimizer, std::string("sgd"));
    // A tuned rate does at least as well as the fixed tiny one on this deterministic function.
    QVERIFY(r.paths[1].loss.back() < r.paths[2].loss.back());
    const QString cacheDir = qEnvironmentVariable("L2L_CACHE_DIR");
    if (!cacheDir.isEmpty()) QVERIFY(!QFile::exists(QDir(cacheDir).filePath("tuning.json")));
}

void TestTrajectory::lstmUsesTheTwoDOptimizer()
{
    for (const char* problem : {"rosenbrock", "himmelblau:x0=1,y0=1", "quadratic2d"}) {
        TrajectoryConfig c;
        c.problem = problem;
        c.optimizers = {"lstm"};
        c.steps = 10;
        const auto r = computeTrajectories(c);
        const auto& p = r.paths.at(0);
        QCOMPARE(p.optimizer, std::string("lstm"));
        QVERIFY2(QString::fromStdString(p.rule.path).endsWith("optimizers/2d.json"), p.rule.path.c_str());
        QCOMPARE(p.points.size(), size_t(11));
        QVERIFY(p.points.back() != p.points.front());
    }
}

void TestTrajectory::divergedPathStops()
{
    TrajectoryConfig c;
    c.optimizers = {"sgd:lr=1", "adam:lr=0.01"};
    c.steps = 100;
    const auto r = computeTrajectories(c);
    const auto& bad = r.paths[0];
    QVERIFY(bad.divergedAt > 0);
    QVERIFY(bad.points.size() <= size_t(bad.divergedAt) + 1);
    for (double l : bad.loss) QVERIFY(std::isfinite(l));
    QCOMPARE(r.paths[1].divergedAt, -1);
    QCOMPARE(r.paths[1].points.size(), size_t(101));
}

void TestTrajectory::cancelStops()
{
    std::atomic<bool> cancel{true};
    TrajectoryConfig c;
    c.optimizers = {"sgd:lr=0.001"};
    const auto r = computeTrajectories(c, &cancel);
    QVERIFY(r.cancelled);
    QVERIFY(r.paths[0].points.empty());
}

void TestTrajectory::errorsNameTheCulprit()
{
    TrajectoryConfig c;
    c.problem = "quadratic:dim=10";
    expectError([&] { computeTrajectories(c); }, {"'quadratic'", "not a 2-d function", "rosenbrock"});
    c.problem = "rosenbrock";
    c.optimizers = {"adam", "adagrad"};
    expectError([&] { computeTrajectories(c); }, {"adagrad"});
    c.optimizers = {"lstm:/nonexistent/opt.json"};
    expectError([&] { computeTrajectories(c); }, {"/nonexistent/opt.json"});
    c.optimizers = {"sgd"};
    c.steps = 0;
    expectError([&] { computeTrajectories(c); }, {"steps", "[1, 10000]"});
    c.steps = 10;
    c.start = std::array<double, 2>{0, 1e5};
    expectError([&] { computeTrajectories(c); }, {"start", "[-1000, 1000]"});
    c.start.reset();
    c.problem = "rosenbrock:kappa=3";
    expectError([&] { computeTrajectories(c); }, {"kappa"});
}

// A moved start keeps the rates tuned from the function's own start (the studio's drag must not re-tune them);
// tuneAtStart tunes from the moved start instead.
void TestTrajectory::movedStartKeepsTheTunedRates()
{
    TrajectoryConfig own;
    own.problem = "rosenbrock";
    own.optimizers = {"sgd", "rmsprop", "adam"};
    own.steps = 50;
    const TrajectoryResult a = computeTrajectories(own);
    TrajectoryConfig moved = own;
    moved.start = std::array<double, 2>{1.5, -0.5};
    const TrajectoryResult b = computeTrajectories(moved);
    TrajectoryConfig here = moved;
    here.tuneAtStart = true;
    const TrajectoryResult c = computeTrajectories(here);
    bool anyDiffers = false;
    for (size_t i = 0; i < a.paths.size(); ++i) {
        QCOMPARE(b.paths[i].rule.lr, a.paths[i].rule.lr);
        QVERIFY(a.paths[i].tunedHere && !b.paths[i].tunedHere && c.paths[i].tunedHere);
        QCOMPARE(b.paths[i].points.front()[0], 1.5); // the paths themselves start where asked
        anyDiffers = anyDiffers || c.paths[i].rule.lr != a.paths[i].rule.lr;
    }
    QVERIFY2(anyDiffers, "tuning from (1.5, -0.5) gives the same rates as from the function's start: the test "
                         "does not tell the two apart");
}

QTEST_APPLESS_MAIN(TestTrajectory)
#include "test_trajectory.moc"
