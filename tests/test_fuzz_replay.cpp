// Every input committed under tests/fuzz/corpus/<target>/ (seeds, and whatever scripts/fuzz.sh found worth
// keeping) through its reader in the normal build: each must be accepted or refused with l2l::Error. A crash,
// another exception or a hang fails the test. Every target must have inputs, so the test cannot pass empty.
#include "TimeLimits.h"
#include "base/Types.h"
#include "fuzz/FuzzTargets.h"
#include "io/ExperimentFile.h"
#include "meta/MetaTrainer.h"
#include "optimizers/OptimizerFile.h"

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
    void hostileInputsNameTheirField_data();
    void hostileInputsNameTheirField();
};

// The hostile inputs of the issue that filed them (wrapped integers, negative counters and seeds), each refused
// with a message that names the file and the field: replayed through the readers themselves.
void TestFuzzReplay::hostileInputsNameTheirField_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("field");
    QTest::newRow("checkpoint epoch -1000") << "checkpoint/epoch-negative.json"
                                            << "\"epoch\"";
    QTest::newRow("checkpoint adam_t -5") << "checkpoint/adam-t-negative.json"
                                          << "\"adam_t\"";
    QTest::newRow("checkpoint epochs 2^32+1") << "checkpoint/epochs-wrap.json"
                                              << "epochs";
    QTest::newRow("experiment runs 2^32+1") << "experiment/runs-wrap.json"
                                            << "runs";
    QTest::newRow("experiment seed -1") << "experiment/seed-negative.json"
                                        << "seed";
    QTest::newRow("optimizer layers 2^32+1") << "optimizer/layers-wrap.json"
                                             << "layers";
    QTest::newRow("optimizer provenance seed -1") << "optimizer/provenance-seed.json"
                                                  << "seed";
    QTest::newRow("checkpoint number 1e3558232377522") << "checkpoint/crash-number-overflow.json"
                                                       << "not valid JSON";
    QTest::newRow("experiment without version") << "experiment/crash-no-version-key.json"
                                                << "\"version\"";
    QTest::newRow("optimizer format 7") << "optimizer/format-not-string.json"
                                        << "\"format\": \"l2l-optimizer\"";
}

void TestFuzzReplay::hostileInputsNameTheirField()
{
    QFETCH(QString, file);
    QFETCH(QString, field);
    const QString path = qEnvironmentVariable("L2L_SOURCE_DIR") + "/tests/fuzz/corpus/" + file;
    QFile f(path);
    QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(path));
    const std::string text = f.readAll().toStdString(), name = path.toStdString();
    std::string message;
    try {
        if (file.startsWith("checkpoint/"))
            checkpointFromJson(text, name);
        else if (file.startsWith("experiment/"))
            experimentFromJson(text, name);
        else
            optimizerFromJson(text, name);
    } catch (const Error& e) {
        message = e.what();
    }
    QVERIFY2(!message.empty(), qPrintable(file + " was accepted"));
    QVERIFY2(QString::fromStdString(message).contains(path), message.c_str());
    QVERIFY2(QString::fromStdString(message).contains(field), message.c_str());
    QVERIFY2(message.size() < 400, message.c_str()); // an excerpt, never the whole bad value
}

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
    QVERIFY2(clock.elapsed() < l2l::test::msLimit(10000), qPrintable(QString("took %1 ms").arg(clock.elapsed())));
}

QTEST_APPLESS_MAIN(TestFuzzReplay)
#include "test_fuzz_replay.moc"
