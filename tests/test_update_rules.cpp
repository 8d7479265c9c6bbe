// Update rules against steps computed by hand from their formulas (theta = (1, -2), lr = 0.1,
// g1 = (0.5, -1), g2 = (0.25, 0.5)), and their configuration parsing.
#include "UpdateRule.h"

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

void compareVec(const Vec<double>& got, const Vec<double>& want, double tol = 1e-12)
{
    QVERIFY2((got - want).cwiseAbs().maxCoeff() <= tol,
             qPrintable(QString("got (%1, %2), want (%3, %4)").arg(got(0), 0, 'g', 15).arg(got(1), 0, 'g', 15)
                            .arg(want(0), 0, 'g', 15).arg(want(1), 0, 'g', 15)));
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
        compareVec(s1, vec2(1.9999996048181146e-07, -1.0000000999999905));
        compareVec(s2, vec2(-0.4490129744218298, -1.4490133147443505));
    }
    void adam()
    {
        // Step 1 of Adam moves by lr * sign(g) (up to eps): (0.9, -1.9).
        // Step 2: m = (0.07, -0.04), v = (0.00031225, 0.001249), step size 0.1 sqrt(1-0.999^2)/(1-0.9^2).
        auto [s1, s2] = twoSteps("adam:lr=0.1");
        compareVec(s1, vec2(0.9000000632455132, -1.9000000316227665));
        compareVec(s2, vec2(0.806782152117492, -1.8733663351928884));
    }
    void floatMatchesDouble()
    {
        for (const std::string name : {"sgd", "nag", "rmsprop", "adam"}) {
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
            QVERIFY2((tf.cast<double>() - td).cwiseAbs().maxCoeff() < 1e-4, name.c_str());
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
        QTest::newRow("unknown") << "adamw" << "unknown optimizer 'adamw' (valid optimizers: sgd, nag, rmsprop, adam, lstm)";
        QTest::newRow("unknown key") << "sgd:momentum=0.9" << "unknown option 'momentum' (valid options: lr)";
        QTest::newRow("negative lr") << "sgd:lr=-1" << "option 'lr' must be in";
        QTest::newRow("zero lr") << "adam:lr=0" << "option 'lr' must be in (0, 10000]";
        QTest::newRow("not a number") << "adam:lr=fast" << "'fast' is not a finite number";
        QTest::newRow("nan") << "adam:lr=nan" << "is not a finite number";
        QTest::newRow("beta out of range") << "adam:beta1=1" << "option 'beta1' must be in [0, 0.999999]";
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
