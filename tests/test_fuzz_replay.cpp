// Every input committed under tests/fuzz/corpus/<target>/ (seeds, and whatever scripts/fuzz.sh found worth
// keeping) through its reader in the normal build: each must be accepted or refused with l2l::Error. A crash,
// another exception or a hang fails the test. Every target must have inputs, so the test cannot pass empty.
#include "fuzz/FuzzTargets.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QtTest>

using namespace l2l;

class TestFuzzReplay : public QObject {
    Q_OBJECT
private slots:
    void corpus_data();
    void corpus();
};

void TestFuzzReplay::corpus_data()
{
    QTest::addColumn<int>("target");
    QTest::addColumn<QString>("file");
    const QString root = qEnvironmentVariable("L2L_SOURCE_DIR") + "/tests/fuzz/corpus/";
    const auto& targets = fuzz::targets();
    for (int t = 0; t < int(targets.size()); ++t) {
        const QDir dir(root + targets[size_t(t)].name);
        const QStringList files = dir.entryList(QDir::Files, QDir::Name);
        QVERIFY2(!files.isEmpty(), qPrintable("no inputs in " + dir.path()));
        for (const QString& f : files)
            QTest::newRow(qPrintable(QString(targets[size_t(t)].name) + "/" + f)) << t << dir.filePath(f);
    }
}

void TestFuzzReplay::corpus()
{
    QFETCH(int, target);
    QFETCH(QString, file);
    QFile f(file);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray bytes = f.readAll();
    QElapsedTimer clock;
    clock.start();
    try {
        fuzz::targets()[size_t(target)].run(reinterpret_cast<const std::uint8_t*>(bytes.constData()),
                                            std::size_t(bytes.size()));
    } catch (const std::exception& e) {
        QFAIL(qPrintable(QString("not an l2l::Error: ") + e.what()));
    }
    QVERIFY2(clock.elapsed() < 10000, qPrintable(QString("took %1 ms").arg(clock.elapsed())));
}

QTEST_APPLESS_MAIN(TestFuzzReplay)
#include "test_fuzz_replay.moc"
