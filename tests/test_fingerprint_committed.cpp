// The promise of the default build: every machine with its instruction-set level computes the committed
// hashes (resources/fingerprints/LEVEL.txt) bit for bit. Registered only for builds that have such a file
// and the compiler it was made with (see tests/CMakeLists.txt); a native build's bits are its CPU's own.
#include "base/BuildInfo.h"
#include "measure/Fingerprint.h"

#include <QtTest>

using namespace l2l;

class TestFingerprintCommitted : public QObject {
    Q_OBJECT
private slots:
    void matchesCommittedHashes();
};

void TestFingerprintCommitted::matchesCommittedHashes()
{
    const std::string path = L2L_EXPECTED_FINGERPRINT;
    const auto expected = readFingerprintFile(path);
    const auto items = runFingerprint(0, [](const FingerprintItem& i) {
        qInfo("%s %s (%.1f s) %s", i.name.c_str(), i.hash.c_str(), i.seconds, i.summary.c_str());
    });
    const auto diffs = compareFingerprint(items, expected);
    for (const auto& d : diffs) qWarning("differs: %s", d.c_str());
    QVERIFY2(diffs.empty(), qPrintable(QString("%1 of %2 hashes differ from %3 on a '%4' build")
                                           .arg(diffs.size())
                                           .arg(items.size())
                                           .arg(QString::fromStdString(path), QString::fromStdString(buildInfo()))));
}

QTEST_APPLESS_MAIN(TestFingerprintCommitted)
#include "test_fingerprint_committed.moc"
