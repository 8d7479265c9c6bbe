// Every problem's hand-written gradient against central finite differences, in double precision.
#include "ExpectError.h"
#include "GradCheck.h"
#include "nn/Mlp.h"
#include "problems/Functions2d.h"
#include "problems/MlpProblem.h"
#include "problems/Quadratic.h"

#include <QtTest>

#include <bit>
#include <cstring>
#include <limits>

using namespace l2l;
using l2l::test::checkProblem;

class TestProblems : public QObject {
    Q_OBJECT
private slots:
    void quadraticGradient_data();
    void quadraticGradient();
    void quadraticHessianVector();
    void quadraticSampling();
    void functions2dGradient_data();
    void functions2dGradient();
    void functions2dHessianVector_data() { functions2dGradient_data(); }
    void functions2dHessianVector();
    void functions2dMinimaAreZero();
    void mlpGradient_data();
    void mlpGradient();
    void mlpHessianVector_data() { mlpGradient_data(); }
    void mlpHessianVector();
    void mlpMinibatchesArePaired();
    void reluBackwardIsTheProductByTheMask();
    void mlpTestMetrics();
    void scaledGradient_data();
    void scaledGradient();
    void scaledHessianVector();
    void scaledIsTheScaledFunction();
    void scalingOptionsAreChecked();
};

void TestProblems::quadraticGradient_data()
{
    QTest::addColumn<int>("dim");
    QTest::newRow("dim 1") << 1;
    QTest::newRow("dim 10") << 10;
    QTest::newRow("dim 50") << 50;
}

void TestProblems::quadraticGradient()
{
    QFETCH(int, dim);
    auto cls = makeProblemClass<double>("quadratic:dim=" + std::to_string(dim));
    auto p = cls->sample(3);
    Rng rng(5);
    Vec<double> theta(dim);
    for (Index i = 0; i < dim; ++i) theta(i) = rng.normal();
    const auto r = checkProblem(*p, theta, dim, 3, 0, 1e-6);
    qInfo("quadratic dim %d: max rel err %.3g, dir rel err %.3g", dim, r.maxRelError, r.maxDirRelError);
    QVERIFY(r.maxRelError < 1e-7);
    QVERIFY(r.maxDirRelError < 1e-7);
}

void TestProblems::quadraticHessianVector()
{
    // H v against finite differences of the gradient: (g(theta + h v) - g(theta - h v)) / 2h.
    auto cls = makeProblemClass<double>("quadratic:dim=10");
    auto p = cls->sample(11);
    auto& q = dynamic_cast<Quadratic<double>&>(*p);
    Rng rng(2);
    Vec<double> theta(10), v(10), gp(10), gm(10), hv(10);
    for (Index i = 0; i < 10; ++i) theta(i) = rng.normal(), v(i) = rng.normal();
    const double h = 1e-5;
    q.valueAndGradient(theta + h * v, gp, 0);
    q.valueAndGradient(theta - h * v, gm, 0);
    q.hessianVector(v, hv);
    const double err = ((gp - gm) / (2 * h) - hv).norm() / hv.norm();
    qInfo("quadratic Hessian-vector rel err %.3g", err);
    QVERIFY(err < 1e-8);
}

void TestProblems::quadraticSampling()
{
    // Same seed -> same instance; W and y IID N(0,1); theta_0 ~ N(0, 0.01^2).
    auto cls = makeProblemClass<double>("quadratic:dim=200");
    auto a = cls->sample(42), b = cls->sample(42), c = cls->sample(43);
    const auto& qa = dynamic_cast<Quadratic<double>&>(*a);
    const auto& qb = dynamic_cast<Quadratic<double>&>(*b);
    const auto& qc = dynamic_cast<Quadratic<double>&>(*c);
    QVERIFY(qa.w() == qb.w());
    QVERIFY(qa.w() != qc.w());
    const double mean = qa.w().mean(), var = (qa.w().array() - mean).square().mean();
    QVERIFY(std::abs(mean) < 0.02);
    QVERIFY(std::abs(var - 1.0) < 0.03);
    const Vec<double> t0 = a->initialTheta();
    const double sd = std::sqrt(t0.squaredNorm() / double(t0.size()));
    QVERIFY(sd > 0.008 && sd < 0.012);
}

void TestProblems::functions2dGradient_data()
{
    QTest::addColumn<QString>("spec");
    for (const auto& info : problemCatalog())
        if (info.twoD) QTest::newRow(info.name.c_str()) << QString::fromStdString(info.name);
}

void TestProblems::functions2dGradient()
{
    QFETCH(QString, spec);
    auto cls = makeProblemClass<double>(spec.toStdString());
    auto p = cls->sample(9);
    Rng rng(1);
    double worst = 0;
    for (int k = 0; k < 20; ++k) {
        Vec<double> theta(2);
        theta << 3 * rng.normal(), 3 * rng.normal();
        const auto r = checkProblem(*p, theta, 2, 2, 0, 1e-6);
        worst = std::max({worst, r.maxRelError, r.maxDirRelError});
    }
    qInfo("%s: max rel err %.3g over 20 points", qPrintable(spec), worst);
    QVERIFY(worst < 1e-6);
}

void TestProblems::functions2dHessianVector()
{
    // H v against central differences of the exact gradient, (g(theta + h v) - g(theta - h v)) / 2h, at 20 points.
    // Error of the difference: h^2/6 times the third derivative (truncation) plus eps |g| / h (rounding); h = 1e-5
    // keeps both far below 1e-5 relative for these polynomials and cosines at |theta| ~ 3 (Beale's y^6 terms have
    // the largest third derivatives, ~1e4).
    QFETCH(QString, spec);
    auto cls = makeProblemClass<double>(spec.toStdString());
    auto p = cls->sample(9);
    QVERIFY(p->hasHessianVector());
    Rng rng(4);
    double worst = 0;
    for (int k = 0; k < 20; ++k) {
        Vec<double> theta(2), v(2), gp(2), gm(2), hv(2);
        theta << 3 * rng.normal(), 3 * rng.normal();
        v << rng.normal(), rng.normal();
        const double h = 1e-5;
        p->valueAndGradient(theta + h * v, gp, 0);
        p->valueAndGradient(theta - h * v, gm, 0);
        p->hessianVector(theta, v, hv, 0);
        const Vec<double> fd = (gp - gm) / (2 * h);
        worst = std::max(worst, (fd - hv).norm() / std::max(1.0, hv.norm()));
    }
    qInfo("%s: Hessian-vector max rel err %.3g over 20 points", qPrintable(spec), worst);
    QVERIFY(worst < 1e-5);
}

void TestProblems::functions2dMinimaAreZero()
{
    // Known minimisers have value 0 and zero gradient (needed for log-scale plots).
    const std::vector<std::tuple<std::string, double, double>> minima = {
        {"ill-conditioned", 0, 0}, {"rosenbrock", 1, 1}, {"saddle", 0, 1}, {"saddle", 0, -1},
        {"himmelblau", 3, 2},      {"rastrigin", 0, 0},  {"beale", 3, 0.5}};
    for (const auto& [name, x, y] : minima) {
        auto cls = makeProblemClass<double>(name);
        auto p = cls->sample(1);
        Vec<double> theta(2), g(2);
        theta << x, y;
        const double v = p->valueAndGradient(theta, g, 0);
        QVERIFY2(std::abs(v) < 1e-12 && g.norm() < 1e-9, name.c_str());
    }
    // globalMinima(), which the landscape marks: value 0 there and nowhere lower nearby (every 2-d function, the
    // random quadratics at several seeds). The values are of order 1 near the minima and computed in double with a
    // few dozen operations, so "0" is 1e-12 here; neighbours 1e-3 away are higher by the curvature, at least 1e-7.
    for (const auto& info : Function2dClass<double>::infos())
        for (std::uint64_t seed : {1, 2, 3, 4, 5}) {
            auto cls = std::dynamic_pointer_cast<Function2dClass<double>>(
                std::shared_ptr<ProblemClass<double>>(makeProblemClass<double>(info.name)));
            QVERIFY(cls);
            const auto f = cls->sample2d(seed);
            const auto minima = f->globalMinima();
            QVERIFY2(!minima.empty(), info.name.c_str());
            for (const auto& [x, y] : minima) {
                const QString where =
                    QString("%1 (seed %2) at (%3, %4)").arg(info.name.c_str()).arg(seed).arg(x).arg(y);
                QVERIFY2(std::abs(f->value(x, y)) < 1e-12, qPrintable(where + QString(": %1").arg(f->value(x, y))));
                for (const auto& [dx, dy] : {std::pair{1e-3, 0.0}, {-1e-3, 0.0}, {0.0, 1e-3}, {0.0, -1e-3}})
                    QVERIFY2(f->value(x + dx, y + dy) > f->value(x, y), qPrintable(where));
            }
        }
}

void TestProblems::mlpGradient_data()
{
    QTest::addColumn<QString>("spec");
    QTest::addColumn<double>("scale"); // spread of the test point: large enough to exercise the nonlinearity
    QTest::newRow("mnist default 784-20-10 sigmoid, paper init") << "mnist" << 0.0;
    QTest::newRow("mnist sigmoid, wide point") << "mnist" << 0.3;
    QTest::newRow("mnist 40 units") << "mnist:hidden=40" << 0.3;
    QTest::newRow("mnist 20-20 relu") << "mnist:hidden=20-20,activation=relu" << 0.3;
    QTest::newRow("mnist 20-20 tanh") << "mnist:hidden=20-20,activation=tanh" << 0.3;
    QTest::newRow("mnist no hidden layer") << "mnist:hidden=none" << 0.3;
    QTest::newRow("fashion-mnist") << "fashion-mnist:batch=32" << 0.3;
}

void TestProblems::mlpGradient()
{
    QFETCH(QString, spec);
    QFETCH(double, scale);
    auto cls = makeProblemClass<double>(spec.toStdString());
    auto p = cls->sample(17);
    Vec<double> theta = p->initialTheta();
    Rng rng(3);
    if (scale > 0)
        for (Index i = 0; i < theta.size(); ++i) theta(i) = scale * rng.normal();
    const auto r = checkProblem(*p, theta, 400, 4, 5, 1e-5);
    qInfo("%s (scale %.2g): %d coords, max rel err %.3g, max abs err/|g|inf %.3g, dir rel err %.3g", qPrintable(spec),
          scale, r.checked, r.maxRelError, r.maxAbsError, r.maxDirRelError);
    QVERIFY(r.maxRelError < 1e-5);
    QVERIFY(r.maxAbsError < 1e-6);
    QVERIFY(r.maxDirRelError < 1e-6);
}

void TestProblems::mlpHessianVector()
{
    // The R-operator's H v against central differences of the exact gradient along v, on the same
    // minibatch: (g(theta + h v) - g(theta - h v)) / 2h, every entry.
    QFETCH(QString, spec);
    QFETCH(double, scale);
    auto cls = makeProblemClass<double>(spec.toStdString());
    auto p = cls->sample(17);
    QVERIFY(p->hasHessianVector());
    const Index n = p->dim();
    Vec<double> theta = p->initialTheta(), v(n), gp(n), gm(n), hv(n);
    Rng rng(4);
    if (scale > 0)
        for (Index i = 0; i < n; ++i) theta(i) = scale * rng.normal();
    for (Index i = 0; i < n; ++i) v(i) = rng.normal();
    const int step = 3;
    p->hessianVector(theta, v, hv, step);
    const double h = 1e-5;
    p->valueAndGradient(theta + h * v, gp, step);
    p->valueAndGradient(theta - h * v, gm, step);
    const Vec<double> fd = (gp - gm) / (2 * h);
    const double rel = (fd - hv).norm() / fd.norm();
    const double worst = (fd - hv).cwiseAbs().maxCoeff() / fd.cwiseAbs().maxCoeff();
    qInfo("%s (scale %.2g): H v over %lld entries, rel err (2-norm) %.3g, max abs err/|Hv|inf %.3g", qPrintable(spec),
          scale, static_cast<long long>(n), rel, worst);
    QVERIFY(hv.allFinite());
    QVERIFY(fd.norm() > 0);
    QVERIFY(rel < 1e-7);
    QVERIFY(worst < 1e-7);
}

void TestProblems::reluBackwardIsTheProductByTheMask()
{
    // ReLU's backward multiplies d by exactly 1 or 0 where a > 0 or not: the bits of the expression
    // d *= (a > 0).cast<T>() it replaced, including -0 (d < 0 cut), NaN (infinite or NaN d cut) and NaN a, on a
    // block with an outer stride (a conv net's channel column is one, an MLP's layer a whole matrix) whose rows are
    // not a multiple of the vector width.
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    const std::vector<float> values{0.0f, -0.0f, 1.5f, -2.25f, 1e-40f, -1e-40f, inf, -inf, nan, 3e38f, -7.0f};
    const Index rows = 37, cols = 3;
    Mat<float> a(rows + 2, cols), d(rows + 2, cols);
    Index k = 0;
    for (Index j = 0; j < cols; ++j)
        for (Index i = 0; i < rows + 2; ++i, ++k) {
            a(i, j) = values[size_t(k % Index(values.size()))];
            d(i, j) = values[size_t((k / Index(values.size()) + 3 * k) % Index(values.size()))];
        }
    Mat<float> want = d;
    want.topRows(rows).array() *= (a.topRows(rows).array() > 0.0f).cast<float>();
    activationBackward<float>(Activation::Relu, a.topRows(rows), d.topRows(rows));
    for (Index j = 0; j < cols; ++j)
        for (Index i = 0; i < rows + 2; ++i)
            QVERIFY2(std::bit_cast<std::uint32_t>(d(i, j)) == std::bit_cast<std::uint32_t>(want(i, j)),
                     qPrintable(QString("(%1, %2): a %3, got bits %4, want %5")
                                    .arg(i)
                                    .arg(j)
                                    .arg(double(a(i, j)))
                                    .arg(std::bit_cast<std::uint32_t>(d(i, j)), 8, 16, QChar('0'))
                                    .arg(std::bit_cast<std::uint32_t>(want(i, j)), 8, 16, QChar('0'))));
}

void TestProblems::mlpMinibatchesArePaired()
{
    // The minibatch of a step depends only on the instance seed and the step: what pairs the optimizers.
    auto cls = makeProblemClass<float>("mnist");
    auto a = cls->sample(5), b = cls->sample(5), c = cls->sample(6);
    auto& ma = dynamic_cast<MlpProblem<float>&>(*a);
    auto& mb = dynamic_cast<MlpProblem<float>&>(*b);
    auto& mc = dynamic_cast<MlpProblem<float>&>(*c);
    QCOMPARE(ma.batchIndices(3), mb.batchIndices(3));
    QVERIFY(ma.batchIndices(3) != ma.batchIndices(4));
    QVERIFY(ma.batchIndices(3) != mc.batchIndices(3));
    QCOMPARE(int(ma.batchIndices(0).size()), 128);
    QCOMPARE(a->dim(), Index(784 * 20 + 20 + 20 * 10 + 10)); // 15,910 as in the paper
    // Initial loss on the plateau: small weights give ~uniform predictions, loss ~ ln 10.
    Vec<float> g(a->dim());
    const float f0 = a->valueAndGradient(a->initialTheta(), g, 0);
    QVERIFY(std::abs(f0 - std::log(10.0f)) < 0.01f);
}

void TestProblems::mlpTestMetrics()
{
    auto cls = makeProblemClass<float>("mnist");
    QVERIFY(cls->hasTestSplit());
    auto p = cls->sample(1);
    const auto m = p->testMetrics(p->initialTheta());
    QVERIFY(m.has_value());
    QVERIFY(std::abs(m->loss - std::log(10.0)) < 0.01);
    QVERIFY(m->accuracy >= 0.0 && m->accuracy <= 1.0);
}

void TestProblems::scaledGradient_data()
{
    QTest::addColumn<QString>("spec");
    QTest::newRow("quadratic, both") << "quadratic:dim=10,fscale=3,xscale=2";
    QTest::newRow("quadratic, fscale 0.01") << "quadratic:dim=10,fscale=0.01";
    QTest::newRow("mnist, both") << "mnist:hidden=8,fscale=0.01,xscale=1.5";
    QTest::newRow("rosenbrock, xscale") << "rosenbrock:xscale=1";
}

void TestProblems::scaledGradient()
{
    // g(psi) = S f(c ⊙ psi): its gradient S c ⊙ ∇f(c ⊙ psi) against central differences of g itself.
    QFETCH(QString, spec);
    auto cls = makeProblemClass<double>(spec.toStdString());
    auto p = cls->sample(23);
    Vec<double> psi = p->initialTheta();
    Rng rng(6);
    for (Index i = 0; i < psi.size(); ++i) psi(i) += 0.3 * rng.normal();
    const auto r = checkProblem(*p, psi, 300, 4, 2, 1e-6);
    qInfo("%s: %d coords, max rel err %.3g, dir rel err %.3g", qPrintable(spec), r.checked, r.maxRelError,
          r.maxDirRelError);
    // Double precision, h = 1e-6: truncation h^2 |f'''| and rounding eps |f| / h are both far below 1e-5 of the
    // gradient here (c_i <= e^2 keeps the third derivatives of the MLP's sigmoids within a few hundred).
    QVERIFY(r.maxRelError < 1e-5);
    QVERIFY(r.maxDirRelError < 1e-6);
}

void TestProblems::scaledHessianVector()
{
    // S c ⊙ H(c ⊙ psi)(c ⊙ v) against central differences of the scaled gradient along v.
    for (const char* spec : {"quadratic:dim=10,fscale=3,xscale=2", "mnist:hidden=8,fscale=0.5,xscale=1"}) {
        auto cls = makeProblemClass<double>(spec);
        auto p = cls->sample(29);
        QVERIFY(p->hasHessianVector());
        const Index n = p->dim();
        Vec<double> psi = p->initialTheta(), v(n), gp(n), gm(n), hv(n);
        Rng rng(8);
        for (Index i = 0; i < n; ++i) v(i) = rng.normal(), psi(i) += 0.2 * rng.normal();
        p->hessianVector(psi, v, hv, 1);
        const double h = 1e-5;
        p->valueAndGradient(psi + h * v, gp, 1);
        p->valueAndGradient(psi - h * v, gm, 1);
        const Vec<double> fd = (gp - gm) / (2 * h);
        const double rel = (fd - hv).norm() / fd.norm();
        qInfo("%s: H v rel err %.3g", spec, rel);
        QVERIFY(fd.norm() > 0);
        QVERIFY(rel < 1e-6);
    }
}

void TestProblems::scaledIsTheScaledFunction()
{
    // The same instance seed draws the same inner problem: g(psi) = S f(c ⊙ psi) and c ⊙ psi_0 = theta_0.
    const double S = 4.0, R = 2.0;
    auto plain = makeProblemClass<double>("quadratic:dim=12");
    auto scaled = makeProblemClass<double>("quadratic:dim=12,fscale=4,xscale=2");
    QCOMPARE(scaled->canonicalSpec(), plain->canonicalSpec() + ",fscale=4,xscale=2");
    QCOMPARE(makeProblemClass<double>("quadratic:dim=12,fscale=1,xscale=0")->canonicalSpec(), plain->canonicalSpec());
    QCOMPARE(makeProblemClass<double>("rosenbrock:fscale=2")->canonicalSpec(),
             makeProblemClass<double>("rosenbrock")->canonicalSpec() + ",fscale=2");
    auto f = plain->sample(31);
    auto g = scaled->sample(31);
    const Vec<double> theta0 = f->initialTheta(), psi0 = g->initialTheta();
    // c_i = theta0_i / psi0_i where theta0_i is not tiny; each within [e^-R, e^R], and not all alike.
    double lo = 1e300, hi = 0;
    for (Index i = 0; i < theta0.size(); ++i) {
        if (std::abs(theta0(i)) < 1e-6) continue;
        const double c = theta0(i) / psi0(i);
        lo = std::min(lo, c);
        hi = std::max(hi, c);
    }
    QVERIFY(lo >= std::exp(-R) && hi <= std::exp(R));
    QVERIFY(hi / lo > 1.5);
    Vec<double> gradF(12), gradG(12), psi = psi0;
    Rng rng(9);
    for (Index i = 0; i < 12; ++i) psi(i) += rng.normal();
    g->valueAndGradient(psi, gradG, 0);
    // c from the start point, then f at c ⊙ psi.
    const Vec<double> c = theta0.cwiseQuotient(psi0);
    const double fv = f->valueAndGradient(c.cwiseProduct(psi), gradF, 0);
    const double gv = g->valueAndGradient(psi, gradG, 0);
    // c recovered through theta0 / psi0 carries a relative rounding of a few ulps, amplified by the condition
    // of the quadratic at psi: 1e-9 relative is far above that and far below any real difference.
    QVERIFY2(std::abs(gv - S * fv) <= 1e-9 * std::abs(gv), qPrintable(QString::number(gv - S * fv)));
    // Another instance seed draws other factors.
    const Vec<double> c2 = makeProblemClass<double>("quadratic:dim=12,xscale=2")->sample(32)->initialTheta();
    QVERIFY(c2 != g->initialTheta());
}

void TestProblems::scalingOptionsAreChecked()
{
    using l2l::test::expectError;
    expectError([] { makeProblemClass<float>("quadratic:xscale=7"); }, {"xscale", "quadratic"});
    expectError([] { makeProblemClass<float>("mnist:fscale=0"); }, {"fscale", "mnist"});
    expectError([] { makeProblemClass<float>("quadratic:fscale=abc"); }, {"fscale"});
    expectError([] { makeProblemClass<float>("nosuch:fscale=2"); }, {"unknown problem 'nosuch'"});
}

QTEST_APPLESS_MAIN(TestProblems)
#include "test_problems.moc"
