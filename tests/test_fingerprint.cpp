// The fingerprint (core/measure/Fingerprint.h): its hashes do not depend on the thread count (a real property: the
// lanes' arithmetic is fixed per run, whatever thread runs it), they see a single changed bit, and a bad
// expected-hash file is named with its line. test_fingerprint_committed compares with the committed hashes.
#include "ExpectError.h"
#include "base/AtomicFile.h"
#include "measure/Fingerprint.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace l2l;
using l2l::test::expectError;

class TestFingerprint : public QObject {
    Q_OBJECT
private slots:
    void hashSeesOneBit();
    void sameHashesOnOneAndTwoThreads();
    void badExpectedFilesAreNamed_data();
    void badExpectedFilesAreNamed();
    void comparisonListsEveryDifference();

private:
    QTemporaryDir m_tmp;
};

void TestFingerprint::hashSeesOneBit()
{
    BitHash a, b, c;
    a.add(1.0);
    b.add(std::nextafter(1.0, 2.0));
    c.add(1.0);
    QVERIFY(a.hex() != b.hex());
    QCOMPARE(a.hex(), c.hex());
    QCOMPARE(a.hex().size(), size_t(16));
    BitHash n1, n2; // every NaN hashes alike (payloads are not results)
    n1.add(std::nan("1"));
    n2.add(std::nan("2"));
    QCOMPARE(n1.hex(), n2.hex());
}

void TestFingerprint::sameHashesOnOneAndTwoThreads()
{
    const auto one = runFingerprint(1);
    const auto two = runFingerprint(2);
    QCOMPARE(one.size(), two.size());
    QVERIFY(one.size() >= 10);
    for (size_t i = 0; i < one.size(); ++i) {
        QCOMPARE(one[i].name, two[i].name);
        QVERIFY2(one[i].hash == two[i].hash, qPrintable(QString::fromStdString(one[i].name)));
    }
    // Round trip through the file format.
    const std::string path = m_tmp.filePath("fp.txt").toStdString();
    writeFileAtomically(path, "# comment\n" + fingerprintFileText(one));
    QVERIFY(compareFingerprint(two, readFingerprintFile(path)).empty());
}

void TestFingerprint::badExpectedFilesAreNamed_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    QTest::newRow("empty") << ""
                           << "no fingerprint lines";
    QTest::newRow("short hash") << "eval-mnist 12ab\n"
                                << ":1: expected 'NAME HASH'";
    QTest::newRow("upper case") << "# x\neval-mnist 0123456789ABCDEF\n"
                                << ":2: expected 'NAME HASH'";
    QTest::newRow("extra field") << "eval-mnist 0123456789abcdef zz\n"
                                 << ":1: expected";
    QTest::newRow("twice") << "a 0123456789abcdef\na 0123456789abcdef\n"
                           << ":2: 'a' appears twice";
}

void TestFingerprint::badExpectedFilesAreNamed()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    const std::string path = m_tmp.filePath("bad.txt").toStdString();
    writeFileAtomically(path, text.toStdString());
    expectError([&] { readFingerprintFile(path); }, {QString::fromStdString(path), expected});
    expectError([&] { readFingerprintFile(path + ".missing"); }, {QString::fromStdString(path + ".missing")});
}

void TestFingerprint::comparisonListsEveryDifference()
{
    std::vector<FingerprintItem> items{{"a", "", "0000000000000001", "", 0}, {"b", "", "0000000000000002", "", 0}};
    const std::map<std::string, std::string> want{
        {"a", "0000000000000001"}, {"b", "0000000000000003"}, {"c", "0000000000000004"}};
    const auto d = compareFingerprint(items, want);
    QCOMPARE(d.size(), size_t(2));
    QVERIFY(d[0].find("b: 0000000000000002, expected 0000000000000003") != std::string::npos);
    QVERIFY(d[1].find("c: expected") != std::string::npos);
}

QTEST_APPLESS_MAIN(TestFingerprint)
#include "test_fingerprint.moc"
