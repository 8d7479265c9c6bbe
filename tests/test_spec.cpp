// The shared spec syntax and the problem factory's validation messages.
#include "base/Spec.h"
#include "problems/Problem.h"

#include "ExpectError.h"

#include <QtTest>

using namespace l2l;

class TestSpec : public QObject {
    Q_OBJECT
private slots:
    void parse()
    {
        const Spec s = Spec::parse("mnist:hidden=20-20, activation=relu");
        QCOMPARE(QString::fromStdString(s.name), QString("mnist"));
        QCOMPARE(int(s.options.size()), 2);
        QCOMPARE(QString::fromStdString(s.get("activation", "")), QString("relu"));
        QCOMPARE(QString::fromStdString(s.str()), QString("mnist:hidden=20-20,activation=relu"));
        QCOMPARE(QString::fromStdString(Spec::parse("quadratic").str()), QString("quadratic"));
        // A value with a ',' cannot be written: it would read back as another option (art's "--style scream,beta=0"
        // set the style weight to 0).
        Spec built{"neural-art", {{"style", "scream,beta=0"}}};
        l2l::test::expectError([&] { (void)built.str(); }, {"option 'style' of 'neural-art'", "contains a ','"});
        built.options[0].second = "a=b:c.png"; // '=' and ':' read back as written
        QCOMPARE(QString::fromStdString(Spec::parse(built.str()).get("style", "")), QString("a=b:c.png"));
    }
    void parseErrors_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("message");
        QTest::newRow("empty") << ""
                               << "empty name";
        QTest::newRow("no value") << "mnist:hidden"
                                  << "option 'hidden' in 'mnist:hidden' has no value";
        QTest::newRow("empty key") << "mnist:=3"
                                   << "empty key";
        QTest::newRow("twice") << "quadratic:dim=3,dim=4"
                               << "option 'dim' given twice";
    }
    void parseErrors()
    {
        QFETCH(QString, text);
        QFETCH(QString, message);
        l2l::test::expectError([&] { Spec::parse(text.toStdString()); }, {message});
    }
    void factoryErrors_data()
    {
        QTest::addColumn<QString>("spec");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown problem")
            << "nosuch"
            << "unknown problem 'nosuch' (valid problems: quadratic, mnist, fashion-mnist, neural-art, quadratic2d";
        QTest::newRow("unknown option")
            << "quadratic:dimension=3"
            << "problem 'quadratic': unknown option 'dimension' (valid options: dim, init_std, fscale, xscale)";
        QTest::newRow("dim too small") << "quadratic:dim=0"
                                       << "option 'dim' must be in [1, 4000], got 0";
        QTest::newRow("dim not int") << "quadratic:dim=3.5"
                                     << "'3.5' is not an integer";
        QTest::newRow("bad activation") << "mnist:activation=gelu"
                                        << "option 'activation' must be one of sigmoid, relu, tanh, got 'gelu'";
        QTest::newRow("bad hidden") << "mnist:hidden=20-x"
                                    << "'x' is not an integer";
        QTest::newRow("hidden trailing dash") << "mnist:hidden=20-" // was read as 20
                                              << "joined by '-' (e.g. 20-20) or 'none', got '20-'";
        QTest::newRow("hidden double dash") << "mnist:hidden=20--20"
                                            << "joined by '-' (e.g. 20-20) or 'none', got '20--20'";
        QTest::newRow("hex") << "quadratic:init_std=0x1p-3" // was read as 0.125
                             << "'0x1p-3' is not a decimal number";
        QTest::newRow("underflow") << "quadratic:init_std=1e-400"
                                   << "'1e-400' is too close to 0 for a double";
        QTest::newRow("hidden zero") << "mnist:hidden=20-0"
                                     << "sizes must be in [1, 4096], got 0";
        QTest::newRow("hidden 0 is not none") << "mnist:hidden=0"
                                              << "sizes must be in [1, 4096], got 0";
        QTest::newRow("batch range") << "mnist:batch=0"
                                     << "option 'batch' must be in [1, 10000]";
        QTest::newRow("missing data dir") << "mnist:data=/nonexistent/mnist"
                                          << "data directory '/nonexistent/mnist' does not exist";
        QTest::newRow("kappa") << "ill-conditioned:kappa=0.5"
                               << "option 'kappa' must be in [1, 1e+06], got 0.5";
        QTest::newRow("2d unknown option")
            << "rosenbrock:kappa=3"
            << "unknown option 'kappa' (valid options: x0, y0, start_noise, fscale, xscale)";
    }
    void factoryErrors()
    {
        QFETCH(QString, spec);
        QFETCH(QString, message);
        l2l::test::expectError([&] { makeProblemClass<float>(spec.toStdString()); }, {message});
    }
    // checkValues reads a number option's range from its help ("in [lo, hi]"): those ranges must be the factory's.
    // A value just outside is refused by both (with the same words), the bounds and the default by neither check.
    void rangesInTheHelpAreTheFactorys()
    {
        int ranged = 0;
        for (const auto& info : problemCatalog())
            for (const auto& o : info.options) {
                const std::optional<NumberRange> range = statedRange(o);
                if (!range) continue;
                const double lo = range->lo, hi = range->hi;
                ++ranged;
                const std::string spec = info.name + ":" + o.key + "=";
                checkProblemSpec(spec + exactNumber(lo));
                checkProblemSpec(spec + exactNumber(hi));
                if (o.defaultValue.find_first_not_of("0123456789+-.e") == std::string::npos)
                    checkProblemSpec(spec + o.defaultValue);
                const std::string above = spec + exactNumber(hi + std::max(1.0, std::abs(hi)));
                l2l::test::expectError([&] { checkProblemSpec(above); },
                                       {QString::fromStdString("option '" + o.key + "' must be in [")});
                l2l::test::expectError([&] { makeProblemClass<float>(above); },
                                       {QString::fromStdString("option '" + o.key + "'")});
            }
        QVERIFY(ranged >= 30);
        l2l::test::expectError([] { checkProblemSpec("quadratic:init_std=nan"); },
                               {"option 'init_std'", "'nan' is not a decimal number"});
        l2l::test::expectError([] { checkProblemSpec("quadratic:dim=3.5"); }, {"'3.5' is not an integer"});
        checkProblemSpec("mnist:hidden=20-20,activation=relu"); // no range: left to the factory
    }
    void catalogueDrivesTheFactory()
    {
        // Every catalogued problem builds with its defaults, and its canonical spec builds the same class.
        for (const auto& info : problemCatalog()) {
            auto cls = makeProblemClass<float>(info.name);
            QVERIFY(cls->dim() > 0);
            auto again = makeProblemClass<float>(cls->canonicalSpec());
            QCOMPARE(QString::fromStdString(again->canonicalSpec()), QString::fromStdString(cls->canonicalSpec()));
        }
        QCOMPARE(makeProblemClass<float>("mnist:hidden=40")->dim(), Index(784 * 40 + 40 + 40 * 10 + 10));
        QCOMPARE(makeProblemClass<float>("mnist:hidden=20-20")->dim(),
                 Index(784 * 20 + 20 + 20 * 20 + 20 + 20 * 10 + 10));
        QCOMPARE(makeProblemClass<float>("quadratic:dim=50")->dim(), Index(50));
    }
};

QTEST_APPLESS_MAIN(TestSpec)
#include "test_spec.moc"
