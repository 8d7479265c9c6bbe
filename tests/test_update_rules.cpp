// Update rules against steps computed by hand from their formulas (theta = (1, -2), lr = 0.1,
// g1 = (0.5, -1), g2 = (0.25, 0.5)), and their configuration parsing.
#include "optimizers/UpdateRule.h"

#include "ExpectError.h"

#include <QtTest>

using namespace l2l;

namespace {
Vec<double> vec2(double a, double b)
{
    Vec<double> v(2);
    v << a, b;
    return v;
}

// Two steps of `spec` from (1, -2); returns theta after step 1 and step 2.
std::pair<Vec<double>, Vec<double>> twoSteps(const std::string& spec)
{
    auto rule = makeUpdateRule<double>(UpdateRuleConfig::parse(spec));
    Vec<double> theta = vec2(1, -2);
    rule->reset(2);
    rule->step(theta, vec2(0.5, -1));
    const Vec<double> first = theta;
    rule->step(theta, vec2(0.25, 0.5));
    return {first, theta};
}

// The first two steps of RMSprop and Adam (lr = 0.1, Torch7 defaults otherwise) from their formulas in the
// catalog, in double: the expected values, rather than numbers read off one machine.
std::pair<Vec<double>, Vec<double>> rmspropByFormula()
{
    const double lr = 0.1, alpha = 0.99, eps = 1e-8;
    Vec<double> theta = vec2(1, -2), m = Vec<double>::Zero(2);
    std::vector<Vec<double>> after;
    for (const Vec<double>& g : {vec2(0.5, -1), vec2(0.25, 0.5)}) {
        m = alpha * m + (1 - alpha) * g.cwiseAbs2();
        theta.array() -= lr * g.array() / (m.array().sqrt() + eps);
        after.push_back(theta);
    }
    return {after[0], after[1]};
}

std::pair<Vec<double>, Vec<double>> adamByFormula()
{
    const double lr = 0.1, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
    Vec<double> theta = vec2(1, -2), m = Vec<double>::Zero(2), v = Vec<double>::Zero(2);
    std::vector<Vec<double>> after;
    int t = 0;
    for (const Vec<double>& g : {vec2(0.5, -1), vec2(0.25, 0.5)}) {
        ++t;
        m = beta1 * m + (1 - beta1) * g;
        v = beta2 * v + (1 - beta2) * g.cwiseAbs2();
        const double stepSize = lr * std::sqrt(1 - std::pow(beta2, t)) / (1 - std::pow(beta1, t));
        theta.array() -= stepSize * m.array() / (v.array().sqrt() + eps);
        after.push_back(theta);
    }
    return {after[0], after[1]};
}

// Double against double: |theta| <= 2 and each coordinate is a dozen operations from its formula, so the
// rule and the formula (summed or fused differently) are within ~12 * 2 * 2^-53 = 3e-15 of each other.
void compareVec(const Vec<double>& got, const Vec<double>& want, double tol = 1e-12)
{
    QVERIFY2((got - want).cwiseAbs().maxCoeff() <= tol, qPrintable(QString("got (%1, %2), want (%3, %4)")
                                                                       .arg(got(0), 0, 'g', 15)
                                                                       .arg(got(1), 0, 'g', 15)
                                                                       .arg(want(0), 0, 'g', 15)
                                                                       .arg(want(1), 0, 'g', 15)));
}
} // namespace

class TestUpdateRules : public QObject {
    Q_OBJECT
private slots:
    void sgd()
    {
        // theta - lr g: (1 - 0.05, -2 + 0.1) then (0.95 - 0.025, -1.9 - 0.05)
        auto [s1, s2] = twoSteps("sgd:lr=0.1");
        compareVec(s1, vec2(0.95, -1.9));
        compareVec(s2, vec2(0.925, -1.95));
    }
    void nag()
    {
        // v1 = -lr g1 = (-0.05, 0.1); theta1 = theta0 + 0.9 v1 - lr g1 = (0.905, -1.81)
        // v2 = 0.9 v1 - lr g2 = (-0.07, 0.04); theta2 = theta1 + 0.9 v2 - lr g2 = (0.817, -1.824)
        auto [s1, s2] = twoSteps("nag:lr=0.1");
        compareVec(s1, vec2(0.905, -1.81));
        compareVec(s2, vec2(0.817, -1.824));
    }
    void rmsprop()
    {
        // m1 = 0.01 g1^2 = (0.0025, 0.01); theta1 = theta0 - 0.1 g1 / (sqrt(m1) + 1e-8) ~ (2e-7, -1.0000001)
        // m2 = 0.99 m1 + 0.01 g2^2 = (0.0031, 0.0124); theta2 = theta1 - 0.1 g2 / sqrt(m2)
        auto [s1, s2] = twoSteps("rmsprop:lr=0.1");
        const auto [w1, w2] = rmspropByFormula();
        compareVec(s1, w1);
        compareVec(s2, w2);
    }
    void adam()
    {
        // Step 1 of Adam moves by lr * sign(g) (up to eps): (0.9, -1.9).
        // Step 2: m = (0.07, -0.04), v = (0.00031225, 0.001249), step size 0.1 sqrt(1-0.999^2)/(1-0.9^2).
        auto [s1, s2] = twoSteps("adam:lr=0.1");
        const auto [w1, w2] = adamByFormula();
        compareVec(s1, w1);
        compareVec(s2, w2);
        compareVec(s1, vec2(0.9, -1.9), 1e-7); // lr sign(g), up to lr eps / (sqrt(1 - b2) |g|) <= 6.4e-8
    }
    void floatMatchesDouble()
    {
        // 50 steps from theta in [-1, 1]. Both runs are fed the double run's gradients g = sin(theta) + 0.1 k
        // (|g| <= 5.9), so float errors are not fed back through g: they come from rounding theta (<= u |theta|,
        // u = 2^-24) and from the step Delta (constants rounded, the state's recurrence, the arithmetic). With
        // |theta| <= 1 + sum |Delta|, the bound over the 50 steps is 50 u (max |theta| + max |dDelta| / u):
        //  sgd      |Delta| <= lr |g| <= 0.06, |theta| <= 2.8; Delta within 3 u:           50 u (2.8 + 0.2) = 9e-6
        //  nag      |v| <= lr max|g| / (1 - mu) = 0.59 >= |Delta|, |theta| <= 31; v's roundings decay with
        //           mu, mu^k rounded: |dv|, |dDelta| <= 18 u:                                50 u (31 + 18) = 1.5e-4
        //  rmsprop  |Delta| <= lr / sqrt(1 - alpha) = 0.1, |theta| <= 6; 1 - alpha is 100 u off once alpha is
        //           rounded, 3 u a step: m within 300 u relative, Delta within 155 u:      50 u (6 + 16) = 6.6e-5
        //  adam     |Delta| <= 7.3 lr sqrt(1-b2^t)/(1-b1^t) <= 0.023 (Cauchy-Schwarz), |theta| <= 2.2;
        //           |dm| <= 30 u max|g|, sqrt(v) >= 0.03 max|g|: |dDelta| <= 6 u:           50 u (2.2 + 6) = 2.5e-5
        const std::vector<std::pair<std::string, double>> rules = {
            {"sgd", 1e-5}, {"nag", 2e-4}, {"rmsprop", 1e-4}, {"adam", 5e-5}};
        for (const auto& [name, tol] : rules) {
            auto cfg = UpdateRuleConfig::parse(name + ":lr=0.01");
            auto rf = makeUpdateRule<float>(cfg);
            auto rd = makeUpdateRule<double>(cfg);
            Vec<float> tf = Vec<float>::LinSpaced(100, -1, 1);
            Vec<double> td = tf.cast<double>();
            rf->reset(100);
            rd->reset(100);
            for (int k = 0; k < 50; ++k) {
                const Vec<double> g = td.array().sin() + 0.1 * double(k);
                rd->step(td, g);
                rf->step(tf, g.cast<float>());
            }
            const double diff = (tf.cast<double>() - td).cwiseAbs().maxCoeff();
            qInfo("%s: float vs double after 50 steps: maxdiff %.3g (bound %.3g)", name.c_str(), diff, tol);
            QVERIFY2(diff <= tol, name.c_str());
        }
    }
    void resetForgetsState()
    {
        auto rule = makeUpdateRule<double>(UpdateRuleConfig::parse("adam:lr=0.1"));
        Vec<double> a = vec2(1, -2), b = vec2(1, -2);
        rule->reset(2);
        rule->step(a, vec2(0.5, -1));
        rule->reset(2);
        rule->step(b, vec2(0.5, -1));
        compareVec(a, b, 0);
    }
    void parseDefaultsAreTorch()
    {
        const auto nag = UpdateRuleConfig::parse("nag");
        QVERIFY(nag.tuned());
        QCOMPARE(nag.momentum, 0.9);
        const auto rms = UpdateRuleConfig::parse("rmsprop:lr=0.01");
        QCOMPARE(rms.alpha, 0.99);
        QCOMPARE(rms.eps, 1e-8);
        QCOMPARE(rms.lr, 0.01);
        const auto adam = UpdateRuleConfig::parse("adam:beta1=0.8");
        QCOMPARE(adam.beta1, 0.8);
        QCOMPARE(adam.beta2, 0.999);
        QCOMPARE(QString::fromStdString(adam.label()), QString("adam"));
    }
    void parseErrors_data()
    {
        QTest::addColumn<QString>("spec");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown") << "adamw"
                                 << "unknown optimizer 'adamw' (valid optimizers: sgd, nag, rmsprop, adam, lstm)";
        QTest::newRow("unknown key") << "sgd:momentum=0.9"
                                     << "unknown option 'momentum' (valid options: lr)";
        QTest::newRow("negative lr") << "sgd:lr=-1"
                                     << "option 'lr' must be in";
        QTest::newRow("zero lr") << "adam:lr=0"
                                 << "option 'lr' must be in (0, 10000]";
        QTest::newRow("not a number") << "adam:lr=fast"
                                      << "'fast' is not a decimal number";
        QTest::newRow("nan") << "adam:lr=nan"
                             << "'nan' is not a decimal number";
        QTest::newRow("hex") << "adam:lr=0x10" // strtod reads 16
                             << "'0x10' is not a decimal number";
        QTest::newRow("overflow") << "adam:lr=1e999"
                                  << "'1e999' is not a finite number";
        QTest::newRow("beta out of range") << "adam:beta1=1"
                                           << "option 'beta1' must be in [0, 0.999999]";
    }
    void parseErrors()
    {
        QFETCH(QString, spec);
        QFETCH(QString, message);
        l2l::test::expectError([&] { UpdateRuleConfig::parse(spec.toStdString()); }, {message});
    }
    void tunedRuleCannotBeBuilt()
    {
        QVERIFY_THROWS_EXCEPTION(Error, makeUpdateRule<float>(UpdateRuleConfig::parse("adam")));
    }
};

QTEST_APPLESS_MAIN(TestUpdateRules)
#include "test_update_rules.moc"
