// Inspecting a learned optimizer: the response curve against independent single-coordinate LstmRule runs
// and the hand-designed rules' own steps; the effective learning rate and hidden state of a trajectory
// against a hand-run LstmRule on the same instance; determinism; errors naming the bad input.
#include "Evaluation.h"
#include "ExpectError.h"
#include "Inspect.h"
#include "LstmOptimizer.h"
#include "OptimizerFile.h"
#include "Rng.h"

#include <QElapsedTimer>
#include <QtTest>

#include <cmath>

using namespace l2l;

namespace {

LstmNet<float> bundledNet(const std::string& problem) { return loadOptimizer(bundledOptimizerPath(problem)).net; }

// The update an LSTM gives one coordinate fed g at every step, at step `step` (1-based), by itself.
double singleCoordinateUpdate(const LstmNet<float>& net, double g, int step)
{
    LstmRule<float> rule(net, 1);
    rule.reset(1);
    Vec<float> theta = Vec<float>::Zero(1), grad = Vec<float>::Constant(1, float(g));
    for (int s = 0; s < step; ++s) rule.step(theta, grad);
    return double(rule.lastUpdate()(0));
}

// Float results of the batched and the single-coordinate runs may differ in the last bits only.
bool close(double a, double b) { return std::abs(a - b) <= 1e-6 * std::max(std::abs(a), std::abs(b)) + 1e-9; }

} // namespace

class TestInspect : public QObject {
    Q_OBJECT
private slots:
    void gradientsAreSymmetricLogSpaced();
    void responseMatchesSingleCoordinateRuns();
    void referenceCurvesAreTheRulesOwnSteps();
    void effectiveLrMatchesHandRun();
    void deterministic();
    void quantiles();
    void mnistIsFast();
    void errorsNameTheInput();
};

void TestInspect::gradientsAreSymmetricLogSpaced()
{
    const auto g = symmetricLogGradients(5, 1e-4, 1);
    QCOMPARE(g.size(), size_t(10));
    QVERIFY(std::is_sorted(g.begin(), g.end()));
    QCOMPARE(g.front(), -1.0);
    QCOMPARE(g.back(), 1.0);
    QVERIFY(close(g[5], 1e-4) && close(g[6], 1e-3));
    for (size_t i = 0; i < 5; ++i) QCOMPARE(g[i], -g[9 - i]);
}

void TestInspect::responseMatchesSingleCoordinateRuns()
{
    const LstmNet<float> net = bundledNet("quadratic");
    const std::vector<double> g = symmetricLogGradients(9, 1e-6, 1e2);
    const ResponseCurve r0 = lstmResponse(net, g, 0);
    const ResponseCurve r5 = lstmResponse(net, g, 5);
    QCOMPARE(r0.gradients, g);
    double maxdiff = 0;
    for (size_t i = 0; i < g.size(); ++i) {
        const double first = singleCoordinateUpdate(net, g[i], 1), sixth = singleCoordinateUpdate(net, g[i], 6);
        maxdiff = std::max({maxdiff, std::abs(r0.lstmFirst[i] - first), std::abs(r5.lstmWarm[i] - sixth)});
        QVERIFY2(close(r0.lstmFirst[i], first), qPrintable(QString("g %1: %2 vs %3").arg(g[i]).arg(r0.lstmFirst[i]).arg(first)));
        QCOMPARE(r0.lstmWarm[i], r0.lstmFirst[i]); // no warm-up: the same step
        QCOMPARE(r5.lstmFirst[i], r0.lstmFirst[i]);
        QVERIFY2(close(r5.lstmWarm[i], sixth), qPrintable(QString("g %1: %2 vs %3").arg(g[i]).arg(r5.lstmWarm[i]).arg(sixth)));
    }
    qInfo("response vs single-coordinate LstmRule: maxdiff %g", maxdiff);
    // A trained optimizer moves downhill for a clear gradient.
    QVERIFY(r0.lstmFirst.back() < 0 && r0.lstmFirst.front() > 0);
}

void TestInspect::referenceCurvesAreTheRulesOwnSteps()
{
    const std::vector<double> g = symmetricLogGradients(7, 1e-6, 1e2);
    const ResponseCurve r = lstmResponse(bundledNet("quadratic"), g, 3, 0.05, 0.02);
    QCOMPARE(r.adamRate, 0.05);
    QCOMPARE(r.sgdRate, 0.02);
    for (size_t i = 0; i < g.size(); ++i) {
        // Adam, t = 1: m = 0.1 g, v = 0.001 g^2, step = lr sqrt(0.001) / 0.1 => -lr g / (|g| + eps / sqrt(0.001)).
        const double adam = -0.05 * g[i] / (std::abs(g[i]) + 1e-8 / std::sqrt(0.001));
        QVERIFY2(std::abs(r.adam[i] - adam) <= 1e-5 * std::abs(adam), qPrintable(QString::number(g[i])));
        QVERIFY(std::abs(r.sgd[i] - (-0.02 * g[i])) <= 1e-6 * std::abs(0.02 * g[i]));
    }
    // Far above eps, Adam's first step is -lr sign(g).
    QVERIFY(close(r.adam.back(), -0.05));
}

void TestInspect::effectiveLrMatchesHandRun()
{
    const std::string problem = "quadratic:dim=6";
    const int steps = 12;
    const InspectTrace tr = inspectTrajectory(problem, "lstm", 7, steps);
    QCOMPARE(tr.completedSteps, steps);
    QCOMPARE(tr.dim, Index(6));
    QCOMPARE(tr.loss.size(), size_t(steps + 1));
    QCOMPARE(tr.tracked.size(), size_t(6)); // fewer coordinates than kInspectTracked: all of them
    QCOMPARE(tr.optimizerPath, bundledOptimizerPath(problem));

    // The same instance evaluate() uses as run 0, stepped by hand.
    auto cls = makeProblemClass<float>(problem);
    auto inst = cls->sample(deriveSeed(7, 0, kEvalDomain));
    Vec<float> theta = inst->initialTheta(), grad(theta.size());
    LstmRule<float> rule(bundledNet(problem), 1);
    rule.reset(theta.size());
    for (int t = 0; t < steps; ++t) {
        const double f = inst->valueAndGradient(theta, grad, t);
        QVERIFY(close(tr.loss[size_t(t)], f));
        rule.step(theta, grad);
        std::vector<double> lr;
        for (Index k = 0; k < grad.size(); ++k) lr.push_back(-double(rule.lastUpdate()(k)) / double(grad(k)));
        std::sort(lr.begin(), lr.end());
        const double median = 0.5 * (lr[2] + lr[3]); // 6 values: q = 0.5 at position 2.5
        const double low = lr[0] + 0.5 * (lr[1] - lr[0]); // q = 0.1 at position 0.5
        QVERIFY2(close(tr.lrMedian[size_t(t)], median), qPrintable(QString("step %1").arg(t)));
        QVERIFY(close(tr.lrLow[size_t(t)], low));
        QCOMPARE(tr.lrCount[size_t(t)], 6);
        double meanTop = 0;
        for (int l = 0; l < 2; ++l) {
            const double m = rule.state().h[size_t(l)].cwiseAbs().mean();
            QVERIFY(close(tr.meanAbsH[size_t(l)][size_t(t)], m));
            if (l == 1) meanTop = m;
        }
        QVERIFY(meanTop > 0);
        for (size_t i = 0; i < tr.tracked.size(); ++i)
            for (Index j = 0; j < rule.state().h.back().rows(); ++j)
                QVERIFY(close(tr.topHidden[i](j, t), rule.state().h.back()(j, tr.tracked[i])));
    }
    QVERIFY(tr.loss.back() < tr.loss.front());
}

void TestInspect::deterministic()
{
    const InspectTrace a = inspectTrajectory("quadratic", "lstm", 3, 30), b = inspectTrajectory("quadratic", "lstm", 3, 30);
    QCOMPARE(a.loss, b.loss);
    QCOMPARE(a.lrMedian, b.lrMedian);
    QCOMPARE(a.meanAbsH, b.meanAbsH);
    QVERIFY(a.topHidden[0] == b.topHidden[0]);
    const InspectTrace c = inspectTrajectory("quadratic", "lstm", 4, 30);
    QVERIFY(c.loss != a.loss); // another seed, another instance
    std::atomic<bool> stop{true};
    const InspectTrace d = inspectTrajectory("quadratic", "lstm", 3, 30, &stop);
    QVERIFY(d.cancelled);
    QCOMPARE(d.completedSteps, 0);
}

void TestInspect::quantiles()
{
    std::vector<double> v = {5, 1, 4, 2, 3};
    QCOMPARE(quantileInPlace(v, 0.5), 3.0);
    QCOMPARE(quantileInPlace(v, 0.0), 1.0);
    QCOMPARE(quantileInPlace(v, 1.0), 5.0);
    QCOMPARE(quantileInPlace(v, 0.1), 1.4);
    std::vector<double> empty;
    QVERIFY(std::isnan(quantileInPlace(empty, 0.5)));
}

void TestInspect::mnistIsFast()
{
    try {
        makeProblemClass<float>("mnist");
    } catch (const Error& e) {
        QFAIL(e.what()); // MNIST must be installed: scripts/setup.sh fetches it
    }
    QElapsedTimer clock;
    clock.start();
    const InspectTrace tr = inspectTrajectory("mnist", "lstm", 1, 100);
    const qint64 ms = clock.elapsed();
    qInfo("inspect mnist, 100 steps, %lld coordinates: %lld ms", static_cast<long long>(tr.dim), ms);
    QCOMPARE(tr.dim, Index(15910));
    QCOMPARE(tr.completedSteps, 100);
    QVERIFY(tr.lrCount[0] > 0 && tr.lrCount[0] < 15910); // black pixels have g = 0: not counted
    QVERIFY(std::isfinite(tr.lrMedian.back()));
    QVERIFY2(ms < 2000, qPrintable(QString("%1 ms").arg(ms)));
}

void TestInspect::errorsNameTheInput()
{
    test::expectError([] { inspectTrajectory("quadratic", "lstm:/nonexistent/opt.json", 1, 10); },
                      {"/nonexistent/opt.json"});
    test::expectError([] { inspectTrajectory("nosuchproblem", "lstm", 1, 10); }, {"nosuchproblem"});
    test::expectError([] { inspectTrajectory("quadratic", "adam", 1, 10); }, {"adam", "lstm"});
    test::expectError([] { inspectTrajectory("quadratic", "lstm", 1, 0); }, {"steps"});
    test::expectError([] { lstmResponse(bundledNet("quadratic"), {1.0}, -1); }, {"warm-up"});
    test::expectError([] { lstmResponse(bundledNet("convnet"), {1.0}, 0, 0.1, 0.01, 2); }, {"2 net(s)", "group 2"});
    test::expectError([] { lstmResponse(bundledNet("quadratic"), {1.0}, 0, 0.1, 0.01, 1); }, {"1 net(s)", "group 1"});
    // One net per parameter group: net k's curve is the curve of net k alone.
    const LstmNet<float> two = bundledNet("convnet");
    for (int k = 0; k < 2; ++k)
        QVERIFY(lstmResponse(two, {-1e-3, 1e-3}, 3, 0.1, 0.01, k).lstmWarm ==
                lstmResponse(two.single(k), {-1e-3, 1e-3}, 3).lstmWarm);
    QVERIFY(lstmResponse(two, {1e-3}, 0, 0.1, 0.01, 0).lstmFirst != lstmResponse(two, {1e-3}, 0, 0.1, 0.01, 1).lstmFirst);
}

QTEST_APPLESS_MAIN(TestInspect)
#include "test_inspect.moc"
