// The LSTM optimizer's hand-written backward passes, in double precision: the cell against finite
// differences, the batched runner against a per-coordinate loop, and the truncated-BPTT meta-gradient
// against finite differences of the surrogate (first order) and of the true loss (second order).
#include "FdCheck.h"
#include "GradCheck.h"
#include "GroupedQuadratic.h"
#include "LstmReference.h"
#include "RandomNet.h"
#include "base/Rng.h"
#include "meta/Bptt.h"
#include "optimizers/LstmOptimizer.h"

#include <QtTest>

#include <cstring>

using namespace l2l;

namespace {
Mat<double> randomMat(Index r, Index c, Rng& rng, double s = 1.0)
{
    Mat<double> m(r, c);
    for (Index j = 0; j < c; ++j)
        for (Index i = 0; i < r; ++i) m(i, j) = s * rng.normal();
    return m;
}

LstmArch arch(Preprocess pre, int layers = 2, int hidden = 20, double scale = 0.1)
{
    LstmArch a;
    a.preprocess = pre;
    a.layers = layers;
    a.hidden = hidden;
    a.outputScale = scale;
    return a;
}

// Warm-up window so that the checked window starts from a non-zero optimizer state.
EpisodeState<double> warmEpisode(const LstmNet<double>& net, Problem<double>& problem, int warmSteps)
{
    EpisodeState<double> traj;
    traj.start(problem, net.arch);
    Unroller<double> u(&net, 1);
    if (warmSteps > 0) u.window(problem, traj, warmSteps, false, nullptr);
    return traj;
}

} // namespace

class TestLstm : public QObject {
    Q_OBJECT
private slots:
    void cellBackward();
    void batchedEqualsPerCoordinate_data();
    void batchedEqualsPerCoordinate();
    void firstOrderMetaGradient_data();
    void firstOrderMetaGradient();
    void blockOrderEqualsStepOrder();
    void secondOrderMetaGradient_data();
    void secondOrderMetaGradient();
    void logMetaLossGradient_data();
    void logMetaLossGradient();
    void preprocessing();
    void directionsCatchOneWrongEntry();
};

void TestLstm::cellBackward()
{
    // L = <rh, h> + <rc, c>; every input of the cell against central differences.
    const Index H = 7, I = 3, B = 5;
    Rng rng(1);
    const Mat<double> w = randomMat(4 * H, I + H, rng, 0.5);
    const Vec<double> b = randomMat(4 * H, 1, rng, 0.5);
    Mat<double> in(I + H, B);
    in.topRows(I) = randomMat(I, B, rng);
    in.bottomRows(H) = randomMat(H, B, rng, 0.5);
    const Mat<double> c0 = randomMat(H, B, rng);
    const Mat<double> rh = randomMat(H, B, rng), rc = randomMat(H, B, rng);
    auto loss = [&](const Mat<double>& w_, const Vec<double>& b_, const Mat<double>& in_, const Mat<double>& c_) {
        Mat<double> gates(4 * H, B), c(H, B), h(H, B);
        lstmCellForward<double>(w_, b_, in_, c_, gates, c, h);
        return (rh.array() * h.array()).sum() + (rc.array() * c.array()).sum();
    };
    Mat<double> gates(4 * H, B), c(H, B), h(H, B);
    lstmCellForward<double>(w, b, in, c0, gates, c, h);
    Mat<double> dc = rc, din(I + H, B), dz, dW = Mat<double>::Zero(4 * H, I + H);
    const Mat<double> tc = c.array().tanh().matrix();
    Vec<double> db = Vec<double>::Zero(4 * H);
    lstmCellBackward<double>(w, in, c0, gates, tc, rh, dc, din, dW, db, dz);
    double worst = 0;
    auto check = [&](Mat<double> base, const Mat<double>& analytic, auto&& f) {
        for (Index k = 0; k < base.size(); ++k) {
            const double old = base(k), eps = 1e-6;
            base(k) = old + eps;
            const double fp = f(base);
            base(k) = old - eps;
            const double fm = f(base);
            base(k) = old;
            const double num = (fp - fm) / (2 * eps);
            worst = std::max(worst, std::abs(num - analytic(k)) / std::max(1.0, std::abs(num)));
        }
    };
    check(w, dW, [&](const Mat<double>& m) { return loss(m, b, in, c0); });
    check(b, db, [&](const Mat<double>& m) { return loss(w, m, in, c0); });
    check(in, din, [&](const Mat<double>& m) { return loss(w, b, m, c0); });
    check(c0, dc, [&](const Mat<double>& m) { return loss(w, b, in, m); });
    qInfo("LSTM cell: max error %.3g over all of dW, db, d[x; h_prev], dc_prev", worst);
    QVERIFY(worst < 1e-8);
}

void TestLstm::batchedEqualsPerCoordinate_data()
{
    QTest::addColumn<int>("threads");
    QTest::newRow("1 thread") << 1;
    QTest::newRow("2 threads") << 2;
}

void TestLstm::batchedEqualsPerCoordinate()
{
    // 2,500 coordinates span ten blocks; each column must equal the same LSTM run on that coordinate alone, up
    // to rounding: a block multiplies (4H, I+H) by (I+H, 256) matrices, a lone coordinate runs matrix-vector
    // and dot products, which sum in other orders. Each run lies within the double-precision bound of
    // test::lstmReference (derivation in tests/LstmReference.h) of the exact values, so the two differ by at
    // most twice it (of order 1e-12 for nets like this one).
    QFETCH(int, threads);
    const LstmNet<double> net = randomNet(arch(Preprocess::LogSign), 3);
    const Index n = 2500;
    Rng rng(4);
    LstmRunner<double> batched(&net, threads);
    LstmState<double> state;
    state.reset(net.arch, n);
    std::vector<LstmState<double>> single(3);
    std::vector<Index> probe = {0, 1500, 2499};
    std::vector<std::vector<double>> history(probe.size()); // the gradients each probe has seen
    LstmRunner<double> one(&net, 1);
    for (auto& s : single) s.reset(net.arch, 1);
    Vec<double> u(n), u1(1);
    double maxdiff = 0, worst = 0; // the largest difference, and the largest difference / tolerance
    for (int step = 0; step < 4; ++step) {
        Vec<double> g(n);
        for (Index k = 0; k < n; ++k) g(k) = rng.normal() * std::pow(10.0, -4 * rng.uniform());
        batched.forward(g, state, u, nullptr);
        for (size_t p = 0; p < probe.size(); ++p) {
            Vec<double> gk(1);
            gk(0) = g(probe[p]);
            one.forward(gk, single[p], u1, nullptr);
            history[p].push_back(gk(0));
            const test::LstmReferenceStep ref = test::lstmReference(net, history[p]).back();
            const double du = std::abs(u1(0) - u(probe[p]));
            maxdiff = std::max(maxdiff, du);
            worst = std::max(worst, du / (2 * test::kDoubleUnit * ref.uError));
            for (int l = 0; l < net.arch.layers; ++l) {
                const size_t L = size_t(l);
                const Vec<double> dh = (single[p].h[L].col(0) - state.h[L].col(probe[p])).cwiseAbs();
                maxdiff = std::max(maxdiff, dh.maxCoeff());
                worst = std::max(worst, (dh.array() / (2 * test::kDoubleUnit * ref.hError[L].array())).maxCoeff());
            }
        }
    }
    qInfo("batched vs per-coordinate: maxdiff %.3g; largest difference / its double bound %.3g", maxdiff, worst);
    QVERIFY2(worst <= 1, qPrintable(QString("a difference exceeds its rounding bound %1 times").arg(worst)));
}

void TestLstm::firstOrderMetaGradient_data()
{
    QTest::addColumn<QString>("problem");
    QTest::addColumn<int>("pre");
    QTest::addColumn<int>("hidden");
    QTest::addColumn<int>("entries"); // phi entries checked (all if >= paramCount)
    QTest::addColumn<int>("inputLayer");
    QTest::addColumn<bool>("tanhOutput");
    QTest::newRow("quadratic, no preprocessing, every phi entry") << "quadratic" << 0 << 20 << 100000 << 0 << false;
    QTest::newRow("quadratic, log-sign, every phi entry") << "quadratic" << 1 << 20 << 100000 << 0 << false;
    QTest::newRow("mnist mlp, log-sign, 50 entries + small blocks")
        << "mnist:hidden=5,batch=16" << 1 << 20 << 50 << 0 << false;
    // RNNprop: moment inputs, an ELU input layer, a tanh output; and each of the three alone.
    QTest::newRow("quadratic, rnnprop, 1500 entries") << "quadratic" << 2 << 20 << 1500 << 20 << true;
    QTest::newRow("quadratic, rnnprop inputs only, 800 entries") << "quadratic" << 2 << 12 << 800 << 0 << false;
    QTest::newRow("quadratic, log-sign + input layer") << "quadratic" << 1 << 12 << 100000 << 8 << false;
    QTest::newRow("quadratic, log-sign + tanh output") << "quadratic" << 1 << 12 << 100000 << 0 << true;
    QTest::newRow("mnist mlp, rnnprop, 50 entries + small blocks")
        << "mnist:hidden=5,batch=16" << 2 << 20 << 50 << 20 << true;
}

void TestLstm::firstOrderMetaGradient()
{
    // Surrogate: record the optimizee gradients along one trajectory, freeze them as the optimizer's
    // inputs, and differentiate L(phi) = sum_j f(theta_{s0+j}(phi)) by finite differences.
    QFETCH(QString, problem);
    QFETCH(int, pre);
    QFETCH(int, hidden);
    QFETCH(int, entries);
    QFETCH(int, inputLayer);
    QFETCH(bool, tanhOutput);
    auto cls = makeProblemClass<double>(problem.toStdString());
    auto prob = cls->sample(5);
    LstmArch a = arch(pre == 2 ? Preprocess::Rnnprop : pre ? Preprocess::LogSign : Preprocess::None, 2, hidden, 0.1);
    a.inputLayer = inputLayer;
    a.output = tanhOutput ? OutputActivation::Tanh : OutputActivation::Linear;
    const LstmNet<double> net = randomNet(a, 8);
    const EpisodeState<double> start = warmEpisode(net, *prob, 3);
    if (a.hasMoments()) QCOMPARE(start.state.t, 3);
    const int K = 5;
    EpisodeState<double> traj = start;
    Unroller<double> unroller(&net, 2);
    Vec<double> dphi;
    std::vector<Vec<double>> inputs;
    unroller.window(*prob, traj, K, false, &dphi, nullptr, &inputs);
    auto surrogate = [&](const Vec<double>& phi) {
        LstmNet<double> p{net.arch, phi};
        EpisodeState<double> t = start;
        Unroller<double> u(&p, 1);
        return u.window(*prob, t, K, false, nullptr, &inputs);
    };
    const FdCheck r = fdCheck(dphi, sumLoss(surrogate), net.params, entries, 1e-6, 8, phiBlocks(net.arch));
    qInfo("%s: first-order meta-gradient vs surrogate FD over %d of %d phi entries and %d directions: worst error / "
          "bound %.3g, max rel err %.3g, largest bound / |dphi|inf %.3g",
          qPrintable(problem), r.checked, int(net.params.size()), r.directions, r.worstRatio, r.maxRelErr, r.maxBound);
    QVERIFY(r.directions > 0);
    L2L_VERIFY_FD_CHECK(r);
}

void TestLstm::secondOrderMetaGradient_data()
{
    QTest::addColumn<QString>("problem");
    QTest::addColumn<int>("pre");
    QTest::addColumn<int>("entries"); // phi entries checked (all if >= paramCount)
    QTest::addColumn<double>(
        "h"); // FD step: the MLP's losses are larger relative to dphi, so roundoff needs a larger h
    QTest::newRow("quadratic, no preprocessing") << "quadratic:dim=10" << 0 << 100000 << 1e-6;
    QTest::newRow("quadratic, log-sign") << "quadratic:dim=10" << 1 << 100000 << 1e-6;
    QTest::newRow("mnist mlp, log-sign, 50 entries + small blocks") << "mnist:hidden=5,batch=16" << 1 << 50 << 1e-5;
    QTest::newRow("mnist mlp 2 tanh layers, log-sign, 50 entries + small blocks")
        << "mnist:hidden=4-3,activation=tanh,batch=8" << 1 << 50 << 1e-5;
}

void TestLstm::secondOrderMetaGradient()
{
    // With second derivatives, the meta-gradient is the exact gradient of the true truncated loss.
    QFETCH(QString, problem);
    QFETCH(int, pre);
    QFETCH(int, entries);
    QFETCH(double, h);
    auto cls = makeProblemClass<double>(problem.toStdString());
    auto prob = cls->sample(6);
    const LstmNet<double> net = randomNet(arch(pre ? Preprocess::LogSign : Preprocess::None, 2, 20, 0.1), 9);
    const EpisodeState<double> start = warmEpisode(net, *prob, 3);
    const int K = 6;
    EpisodeState<double> traj = start;
    Unroller<double> unroller(&net, 1);
    Vec<double> dphi, dphiFirst;
    unroller.window(*prob, traj, K, true, &dphi);
    EpisodeState<double> traj2 = start;
    unroller.window(*prob, traj2, K, false, &dphiFirst);
    auto trueLoss = [&](const Vec<double>& phi) {
        LstmNet<double> p{net.arch, phi};
        EpisodeState<double> t = start;
        Unroller<double> u(&p, 1);
        return u.window(*prob, t, K, false, nullptr);
    };
    const FdCheck r = fdCheck(dphi, sumLoss(trueLoss), net.params, entries, h, 8, phiBlocks(net.arch));
    const double differ = (dphi - dphiFirst).norm() / dphi.norm();
    qInfo("%s: second-order meta-gradient vs true-loss FD over %d entries and %d directions: worst error / bound "
          "%.3g, max rel err %.3g, largest bound / |dphi|inf %.3g; first-order differs by %.3g (relative)",
          qPrintable(problem), r.checked, r.directions, r.worstRatio, r.maxRelErr, r.maxBound, differ);
    QVERIFY(r.directions > 0);
    L2L_VERIFY_FD_CHECK(r);
    QVERIFY(differ > 1e-3); // the second-order terms are really there
}

void TestLstm::logMetaLossGradient_data()
{
    QTest::addColumn<QString>("problem");
    QTest::addColumn<bool>("secondOrder");
    QTest::addColumn<int>("entries");
    QTest::newRow("mnist mlp, first order (frozen-gradient surrogate), 50 entries + small blocks")
        << "mnist:hidden=5,batch=16" << false << 50;
    QTest::newRow("quadratic, first order, 1500 entries") << "quadratic" << false << 1500;
    QTest::newRow("quadratic, second order (true loss), 1500 entries") << "quadratic" << true << 1500;
}

void TestLstm::logMetaLossGradient()
{
    // The log meta-loss L = sum_j log(f(theta_{s0+j}) + 1e-8): finite differences of that sum (of the surrogate
    // with frozen gradient inputs at first order, of the true loss at second order).
    QFETCH(QString, problem);
    QFETCH(bool, secondOrder);
    QFETCH(int, entries);
    auto cls = makeProblemClass<double>(problem.toStdString());
    auto prob = cls->sample(5);
    const LstmNet<double> net = randomNet(arch(Preprocess::LogSign, 2, 20, 0.1), 8);
    const EpisodeState<double> start = warmEpisode(net, *prob, 3);
    const int K = 5;
    EpisodeState<double> traj = start;
    Unroller<double> unroller(&net, 2);
    unroller.setMetaLoss(MetaLoss::Log);
    Vec<double> dphi, dphiSum;
    std::vector<Vec<double>> inputs;
    std::vector<double> losses;
    unroller.window(*prob, traj, K, secondOrder, &dphi, nullptr, &inputs, &losses);
    for (double f : losses) QVERIFY(f > 0);
    auto logLoss = [&](const Vec<double>& phi) {
        LstmNet<double> p{net.arch, phi};
        EpisodeState<double> t = start;
        Unroller<double> u(&p, 1);
        std::vector<double> fs;
        u.window(*prob, t, K, false, nullptr, secondOrder ? nullptr : &inputs, nullptr, &fs);
        // S for the log meta-loss (FdCheck.h): an error of kappa eps f in f moves log f by kappa eps.
        double sum = 0, magnitude = 0;
        for (double f : fs) {
            sum += std::log(f + 1e-8);
            magnitude += 1 + std::abs(std::log(f + 1e-8));
        }
        return FdLoss{sum, magnitude};
    };
    const FdCheck r = fdCheck(dphi, logLoss, net.params, entries, 1e-6, 8, phiBlocks(net.arch));
    // Not the sum's gradient: the weights 1/f are really applied.
    EpisodeState<double> again = start;
    Unroller<double> plain(&net, 1);
    plain.window(*prob, again, K, secondOrder, &dphiSum);
    const double differ = (dphi - dphiSum).norm() / dphi.norm();
    qInfo("%s: log meta-loss gradient vs FD over %d entries and %d directions: worst error / bound %.3g, max rel "
          "err %.3g, largest bound / |dphi|inf %.3g; differs from the sum's by %.3g",
          qPrintable(problem), r.checked, r.directions, r.worstRatio, r.maxRelErr, r.maxBound, differ);
    QVERIFY(r.directions > 0);
    L2L_VERIFY_FD_CHECK(r);
    QVERIFY(differ > 1e-2);
    QVERIFY(metaLossFromName("log") == MetaLoss::Log && metaLossName(MetaLoss::Sum) == "sum");
    QVERIFY_THROWS_EXCEPTION(Error, metaLossFromName("mean"));
}

void TestLstm::preprocessing()
{
    LstmArch a = arch(Preprocess::LogSign);
    Vec<double> g(4);
    g << 1.0, -1e-2, 1e-6, -1e-5;
    Mat<double> x(2, 4);
    preprocessGradient<double>(a, g, x);
    QCOMPARE(x(0, 0), 0.0);
    QCOMPARE(x(1, 0), 1.0);
    QVERIFY(std::abs(x(0, 1) - std::log(1e-2) / 10) < 1e-15);
    QCOMPARE(x(1, 1), -1.0);
    QCOMPARE(x(0, 2), -1.0); // |g| < e^-10 = 4.5e-5: (-1, e^p g)
    QVERIFY(std::abs(x(1, 2) - std::exp(10.0) * 1e-6) < 1e-12);
    QVERIFY(std::abs(x(0, 3) + 1.0) < 1e-15);

    // RNNprop: Adam's moments (beta 0.95), bias-corrected, inputs g / s and m_hat / s with s = sqrt(v_hat) + 1e-8.
    // Invariant to the objective's scale: gradients 1000 times larger give the same inputs (to rounding).
    Vec<double> m = Vec<double>::Zero(4), v = Vec<double>::Zero(4), m2 = m, v2 = v;
    Mat<double> x2(2, 4);
    const Vec<double> g2 = Vec<double>::Constant(4, 0.5);
    for (int t = 1; t <= 2; ++t) {
        const Vec<double>& gt = t == 1 ? g : g2;
        rnnpropInputs<double>(gt, m, v, t, x);
        rnnpropInputs<double>(Vec<double>(1000 * gt), m2, v2, t, x2);
    }
    for (Index k = 0; k < 4; ++k) {
        const double mk = 0.95 * 0.05 * g(k) + 0.05 * 0.5, vk = 0.95 * 0.05 * g(k) * g(k) + 0.05 * 0.25;
        const double s = std::sqrt(vk / (1 - 0.95 * 0.95)) + 1e-8;
        QVERIFY(std::abs(x(0, k) - 0.5 / s) <= 1e-12 * std::abs(0.5 / s));
        QVERIFY(std::abs(x(1, k) - mk / (1 - 0.95 * 0.95) / s) <= 1e-12 * std::abs(mk / (1 - 0.95 * 0.95) / s));
        // The 1e-8 in s is the only term that does not scale: a relative 1e-8 / s at most.
        QVERIFY(std::abs(x2(0, k) - x(0, k)) <= 1e-7 * std::abs(x(0, k)));
        QVERIFY(std::abs(x2(1, k) - x(1, k)) <= 1e-7 * std::abs(x(1, k)));
    }
}

void TestLstm::directionsCatchOneWrongEntry()
{
    // The directional checks are what cover the entries the MNIST rows do not sample: one entry wrong by 1 % of
    // the largest, in a 5,000-entry gradient the per-entry checks skip entirely (count 0), must fail them. The loss
    // is about 6, like a window of the MNIST rows (the bound's rounding term grows with it), at their h.
    const Index n = 5000;
    Rng rng(4);
    Vec<double> a(n), phi(n);
    for (Index i = 0; i < n; ++i) {
        a(i) = 0.5 + rng.uniform();
        phi(i) = 0.05 * rng.normal();
    }
    const FdLossFn loss = sumLoss([&](const Vec<double>& p) { return 0.5 * (a.array() * p.array().square()).sum(); });
    Vec<double> g = (a.array() * phi.array()).matrix();
    const FdCheck right = fdCheck(g, loss, phi, 0, 1e-6);
    QVERIFY(right.directions == 8 && right.worstRatio <= 1);
    g(1234) += 0.01 * g.cwiseAbs().maxCoeff();
    const FdCheck wrong = fdCheck(g, loss, phi, 0, 1e-6);
    qInfo("worst error / bound: exact gradient %.3g, one entry 1 %% off %.3g", right.worstRatio, wrong.worstRatio);
    QVERIFY(wrong.worstRatio > 1);
}

void TestLstm::blockOrderEqualsStepOrder()
{
    // Unroller::window's first-order backward pass runs block by block (LstmBackward::windowByBlocks); with a trace
    // it runs step by step over all blocks (LstmBackward::step). Both must give the same bits: in float, on spans
    // that start at no multiple of the block size or of a SIMD packet (300, 1001), with one net and with two, with
    // and without imitation, on 1 and 3 threads.
    const l2l::test::GroupedQuadratic<float> problem(300, 701, 263, 11);
    for (int nets : {1, 2})
        for (bool imitate : {false, true})
            for (int threads : {1, 3}) {
                const LstmNet<float> net = randomNet(arch(Preprocess::LogSign), 5, nets).cast<float>();
                auto run = [&](bool traced) {
                    l2l::test::GroupedQuadratic<float> p = problem;
                    EpisodeState<float> traj;
                    traj.start(p, net.arch, imitate ? "adam:lr=0.01" : "");
                    Unroller<float> u(&net, threads);
                    if (imitate) u.setImitation(0.5);
                    u.window(p, traj, 3, false, nullptr); // a state that is not zero
                    WindowTrace<float> trace;
                    if (traced) u.setTrace(&trace);
                    Vec<float> dphi;
                    u.window(p, traj, 7, false, &dphi);
                    return dphi;
                };
                const Vec<float> byBlocks = run(false), bySteps = run(true);
                QCOMPARE(byBlocks.size(), net.params.size());
                QVERIFY(byBlocks.cwiseAbs().maxCoeff() > 0);
                QVERIFY2(std::memcmp(byBlocks.data(), bySteps.data(), sizeof(float) * size_t(byBlocks.size())) == 0,
                         qPrintable(QString("nets %1, imitation %2, threads %3: max difference %4")
                                        .arg(nets)
                                        .arg(imitate)
                                        .arg(threads)
                                        .arg(double((byBlocks - bySteps).cwiseAbs().maxCoeff()))));
            }
}

QTEST_APPLESS_MAIN(TestLstm)
#include "test_lstm.moc"
