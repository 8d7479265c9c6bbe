// Inspecting a learned optimizer: the response curve against independent single-coordinate LstmRule runs
// and the hand-designed rules' own steps; the effective learning rate and hidden state of a trajectory
// against a hand-run LstmRule on the same instance; determinism; errors naming the bad input; an MNIST trajectory
// (100 steps, 15,910 coordinates) within 2 s of CPU time.
#include "ExpectError.h"
#include "LstmReference.h"
#include "TimeLimits.h"
#include "base/Rng.h"
#include "eval/Evaluation.h"
#include "eval/Inspect.h"
#include "optimizers/LstmOptimizer.h"
#include "optimizers/OptimizerFile.h"

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

// Doubles that the two sides compute by formulas written differently (10^x against a literal; a quantile
// interpolated as lo + q (hi - lo) against 0.5 (lo + hi)) from the same inputs: a few double roundings
// apart, ~1e-16 relative, far inside this. Not for float results of different code paths (see
// responseMatchesSingleCoordinateRuns).
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
    // The curve runs all gradients as one batch (matrix-matrix products over the batch), a coordinate on its
    // own runs matrix-vector and dot products: other summation orders, so the two agree up to float rounding,
    // not bit for bit. Each must lie within the float error bound of test::lstmReference (its derivation is in
    // tests/LstmReference.h) around the double reference, so they differ by at most twice that bound.
    const LstmNet<float> net = bundledNet("quadratic");
    const LstmNet<double> netD = net.cast<double>();
    const std::vector<double> g = symmetricLogGradients(9, 1e-6, 1e2);
    const ResponseCurve r0 = lstmResponse(net, g, 0);
    const ResponseCurve r5 = lstmResponse(net, g, 5);
    QCOMPARE(r0.gradients, g);
    double maxdiff = 0, worst = 0; // the largest |batched - single|, and the largest |difference| / tolerance
    for (size_t i = 0; i < g.size(); ++i) {
        const double first = singleCoordinateUpdate(net, g[i], 1), sixth = singleCoordinateUpdate(net, g[i], 6);
        // Both float runs see g rounded to float; so does the reference.
        const auto ref = test::lstmReference(netD, std::vector<double>(6, double(float(g[i]))));
        const double batched[2] = {r0.lstmFirst[i], r5.lstmWarm[i]}, single[2] = {first, sixth};
        const size_t step[2] = {0, 5}; // steps 1 and 6
        for (int k = 0; k < 2; ++k) {
            const test::LstmReferenceStep& s = ref[step[k]];
            const double tol = s.uError * (test::kFloatUnit + test::kDoubleUnit); // one float run vs the reference
            const double diff = std::abs(batched[k] - single[k]);
            const double fromRef = std::max(std::abs(batched[k] - s.u), std::abs(single[k] - s.u));
            maxdiff = std::max(maxdiff, diff);
            worst = std::max({worst, diff / (2 * tol), fromRef / tol});
            QVERIFY2(diff <= 2 * tol && fromRef <= tol,
                     qPrintable(QString("g %1, step %2: batched %3, single coordinate %4, double reference %5, "
                                        "tolerance %6")
                                    .arg(g[i])
                                    .arg(step[k] + 1)
                                    .arg(batched[k], 0, 'g', 9)
                                    .arg(single[k], 0, 'g', 9)
                                    .arg(s.u, 0, 'g', 9)
                                    .arg(tol, 0, 'g', 3)));
        }
        QCOMPARE(r0.lstmWarm[i], r0.lstmFirst[i]);  // no warm-up: the same step
        QCOMPARE(r5.lstmFirst[i], r0.lstmFirst[i]); // the same batch, the same arithmetic
    }
    qInfo("response vs single-coordinate LstmRule: maxdiff %g; largest difference / its float bound %.3g", maxdiff,
          worst);
    // A trained optimizer moves downhill for a clear gradient.
    QVERIFY(r0.lstmFirst.back() < 0 && r0.lstmFirst.front() > 0);
}

void TestInspect::referenceCurvesAreTheRulesOwnSteps()
{
    const std::vector<double> g = symmetricLogGradients(7, 1e-6, 1e2);
    const ResponseCurve r = lstmResponse(bundledNet("quadratic"), g, 3, 0.05, 0.02);
    QCOMPARE(r.adamRate, 0.05);
    QCOMPARE(r.sgdRate, 0.02);
    // The rules run in float, the formulas here in double. Adam's first step is at most 12 float roundings
    // from its formula (g; (1 - b1) and its product; g^2, (1 - b2) and their product, counted half through the
    // sqrt; the sqrt; eps and the sum; the division; the step size; the product): relative error <= 12 * 2^-24
    // = 7e-7. SGD's -lr g: lr, g, one product: <= 3 * 2^-24.
    const double adamTol = 16 * test::kFloatUnit, sgdTol = 4 * test::kFloatUnit;
    for (size_t i = 0; i < g.size(); ++i) {
        // Adam, t = 1: m = 0.1 g, v = 0.001 g^2, step = lr sqrt(0.001) / 0.1 => -lr g / (|g| + eps / sqrt(0.001)).
        const double adam = -0.05 * g[i] / (std::abs(g[i]) + 1e-8 / std::sqrt(0.001));
        QVERIFY2(std::abs(r.adam[i] - adam) <= adamTol * std::abs(adam), qPrintable(QString::number(g[i])));
        QVERIFY(std::abs(r.sgd[i] - (-0.02 * g[i])) <= sgdTol * std::abs(0.02 * g[i]));
    }
    // Far above eps, Adam's first step is -lr sign(g): at g = 100, -lr g / (|g| + 3.2e-7) is 3.2e-9 from it
    // relatively, plus the float rounding above.
    QVERIFY(std::abs(r.adam.back() + 0.05) <= (adamTol + 1e-8) * 0.05);
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

    // The same instance evaluate() uses as run 0, stepped by hand. The trace and this run are the same float
    // computation (one block of 6 columns in both), so loss, u and h are the same bits; close() only absorbs
    // the quantile formulas written differently in double.
    auto cls = makeProblemClass<float>(problem);
    auto inst = cls->sample(deriveSeed(7, 0, kEvalInstances));
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
        const double median = 0.5 * (lr[2] + lr[3]);      // 6 values: q = 0.5 at position 2.5
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
    const InspectTrace a = inspectTrajectory("quadratic", "lstm", 3, 30),
                       b = inspectTrajectory("quadratic", "lstm", 3, 30);
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
    const qint64 cpu0 = l2l::test::processCpuMs();
    const InspectTrace tr = inspectTrajectory("mnist", "lstm", 1, 100);
    const qint64 ms = l2l::test::processCpuMs() - cpu0; // the work, whatever else the machine runs
    qInfo("inspect mnist, 100 steps, %lld coordinates: %lld ms of CPU time (%lld ms wall-clock)",
          static_cast<long long>(tr.dim), ms, static_cast<long long>(clock.elapsed()));
    QCOMPARE(tr.dim, Index(15910));
    QCOMPARE(tr.completedSteps, 100);
    QVERIFY(tr.lrCount[0] > 0 && tr.lrCount[0] < 15910); // black pixels have g = 0: not counted
    QVERIFY(std::isfinite(tr.lrMedian.back()));
    QVERIFY2(ms < l2l::test::msLimit(2000), qPrintable(QString("%1 ms").arg(ms)));
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
    QVERIFY(lstmResponse(two, {1e-3}, 0, 0.1, 0.01, 0).lstmFirst !=
            lstmResponse(two, {1e-3}, 0, 0.1, 0.01, 1).lstmFirst);
}

QTEST_APPLESS_MAIN(TestInspect)
#include "test_inspect.moc"
