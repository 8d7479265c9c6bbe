// detExp / detLog (core/DetMath.h): the float exp and log of the hot paths, written in plain arithmetic so
// that results do not depend on which libm variant the CPU selects. Checked against double-precision std::exp
// and std::log over their whole float range: the Cephes algorithms promise a relative error within 2 float
// ulps (range reduction exact to ~2^-33, polynomial error < 1 ulp, two roundings of the final sum).
#include "DetMath.h"

#include <QtTest>

#include <cmath>
#include <limits>

using namespace l2l;

class TestDetMath : public QObject {
    Q_OBJECT
private slots:
    void expWithinTwoUlps();
    void logWithinTwoUlps();
    void specialValues();
    void doublesUseTheLibrary();
};

namespace {
// One unit in the last place of a float of magnitude |v| (normal range).
double ulpOf(double v)
{
    int e = 0;
    std::frexp(std::fabs(v), &e);
    return std::ldexp(1.0, std::max(e - 24, -149));
}
} // namespace

void TestDetMath::expWithinTwoUlps()
{
    double worst = 0;
    float at = 0;
    // Every 97th float from the underflow limit to the overflow limit (about 10^7 points).
    for (float x = -103.0f; x < 88.72f; x = std::nextafter(x, 100.0f)) {
        const double ref = std::exp(double(x));
        const double err = std::fabs(double(detExp(x)) - ref) / ulpOf(ref);
        if (err > worst) { worst = err; at = x; }
        for (int k = 0; k < 96 && x < 88.72f; ++k) x = std::nextafter(x, 100.0f);
    }
    qInfo("detExp: worst error %.3f ulp at x = %.9g", worst, double(at));
    QVERIFY2(worst <= 2.0, qPrintable(QString("detExp error %1 ulp at x = %2").arg(worst).arg(double(at))));
}

void TestDetMath::logWithinTwoUlps()
{
    double worst = 0;
    float at = 0;
    // Every 97th positive float, subnormals included; the error is relative to |log x| away from x = 1 and
    // absolute (in ulps of x - 1) near it, where log x ~ x - 1.
    for (float x = std::numeric_limits<float>::denorm_min(); x < std::numeric_limits<float>::max();
         x = std::nextafter(x, std::numeric_limits<float>::infinity())) {
        const double ref = std::log(double(x));
        const double scale = std::max(ulpOf(ref), std::fabs(x - 1.0) < 0.5 ? ulpOf(double(x) - 1.0) : 0.0);
        const double err = std::fabs(double(detLog(x)) - ref) / (ref == 0 ? ulpOf(1.0) : scale);
        if (err > worst) { worst = err; at = x; }
        for (int k = 0; k < 96 && x < std::numeric_limits<float>::max() / 2; ++k)
            x = std::nextafter(x, std::numeric_limits<float>::infinity());
    }
    qInfo("detLog: worst error %.3f ulp at x = %.9g", worst, double(at));
    QVERIFY2(worst <= 2.0, qPrintable(QString("detLog error %1 ulp at x = %2").arg(worst).arg(double(at))));
}

void TestDetMath::specialValues()
{
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    QCOMPARE(detExp(0.0f), 1.0f);
    QCOMPARE(detExp(100.0f), inf);
    QCOMPARE(detExp(inf), inf);
    QCOMPARE(detExp(-200.0f), 0.0f);
    QCOMPARE(detExp(-inf), 0.0f);
    QVERIFY(std::isnan(detExp(nan)));
    QVERIFY(detExp(88.7f) < inf); // e^88.7 = 3.3e38 < FLT_MAX: no false overflow near the top
    QVERIFY(detExp(-100.0f) > 0.0f); // a subnormal, not 0
    QCOMPARE(detLog(1.0f), 0.0f);
    QCOMPARE(detLog(0.0f), -inf);
    QCOMPARE(detLog(inf), inf);
    QVERIFY(std::isnan(detLog(-1.0f)));
    QVERIFY(std::isnan(detLog(nan)));
}

void TestDetMath::doublesUseTheLibrary()
{
    // The double overloads (finite-difference checks) are the library's, exactly.
    QCOMPARE(detExp(0.3), std::exp(0.3));
    QCOMPARE(detLog(0.3), std::log(0.3));
}

QTEST_APPLESS_MAIN(TestDetMath)
#include "test_detmath.moc"
