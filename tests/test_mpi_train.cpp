// `mpirun -n 2 l2l train` (README "Meta-training over MPI", issue 22): two ranks sharing each meta-batch give
// weights bit-identical to one process with the same meta-batch (even and odd splits, quadratic and MNIST); a rank
// that dies or hangs ends the job with a message naming it, the last checkpoint loads, and resuming it (with any
// number of ranks) ends on the weights of an uninterrupted run; a meta-batch smaller than the ranks is refused.
// A build without MPI fails this test (scripts/setup.sh installs OpenMPI), it does not skip it.
#include "meta/MetaTrainer.h"
#include "optimizers/OptimizerFile.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cstring>

using namespace l2l;

namespace {
struct Run {
    int code = -1;
    QString out, err;
    bool crashed = false;
    double seconds = 0;
};

Run start(const QString& program, const QStringList& args, const QStringList& env = {}, int timeoutMs = 120000)
{
    QProcess p;
    QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
    for (const QString& kv : env) e.insert(kv.section('=', 0, 0), kv.section('=', 1));
    p.setProcessEnvironment(e);
    QElapsedTimer clock;
    clock.start();
    p.start(program, args);
    Run r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
    }
    r.seconds = double(clock.elapsed()) / 1000;
    r.crashed = p.exitStatus() != QProcess::NormalExit;
    r.code = p.exitCode();
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

QString l2lPath() { return qEnvironmentVariable("L2L_BIN_DIR") + "/app/l2l"; }

Run runL2l(const QStringList& args) { return start(l2lPath(), args); }

// As root (CI) OpenMPI needs --allow-run-as-root; --oversubscribe lets 2 ranks run on a machine it counts fewer
// slots on.
Run mpirun(int ranks, const QStringList& args, const QStringList& env = {})
{
#ifdef L2L_TEST_MPIRUN
    return start(L2L_TEST_MPIRUN,
                 QStringList{"--allow-run-as-root", "--oversubscribe", "-n", QString::number(ranks), l2lPath()} + args,
                 env);
#else
    Q_UNUSED(ranks);
    Q_UNUSED(args);
    Q_UNUSED(env);
    return {};
#endif
}

QString describe(const Run& r)
{
    return QString("exit %1%2\nstdout: %3\nstderr: %4")
        .arg(r.code)
        .arg(r.crashed ? " (crashed)" : "")
        .arg(r.out.left(2000), r.err.right(3000));
}

// Bit-for-bit equality of two float vectors; on a difference, how many and how far.
bool sameBits(const Vec<float>& a, const Vec<float>& b, const char* what)
{
    if (a.size() != b.size()) {
        qWarning("%s: sizes %d and %d", what, int(a.size()), int(b.size()));
        return false;
    }
    if (std::memcmp(a.data(), b.data(), size_t(a.size()) * sizeof(float)) == 0) return true;
    int differ = 0;
    double maxdiff = 0;
    for (Index i = 0; i < a.size(); ++i)
        if (std::memcmp(&a(i), &b(i), sizeof(float)) != 0) {
            ++differ;
            maxdiff = std::max(maxdiff, double(std::abs(a(i) - b(i))));
        }
    qWarning("%s: %d of %d values differ, max |difference| %g", what, differ, int(a.size()), maxdiff);
    return false;
}

// The trained optimizers and the checkpoints' whole training state are the same bits.
void compareRuns(const QString& outA, const QString& outB)
{
    const OptimizerFile a = loadOptimizer(outA.toStdString()), b = loadOptimizer(outB.toStdString());
    QVERIFY(sameBits(a.net.params, b.net.params, "optimizer weights"));
    QCOMPARE(a.provenance.bestEpoch, b.provenance.bestEpoch);
    QCOMPARE(a.provenance.validationLoss, b.provenance.validationLoss);
    const MetaTrainState s = loadCheckpoint((outA + ".checkpoint.json").toStdString());
    const MetaTrainState t = loadCheckpoint((outB + ".checkpoint.json").toStdString());
    QCOMPARE(s.epoch, t.epoch);
    QVERIFY(sameBits(s.net.params, t.net.params, "checkpoint weights"));
    QVERIFY(sameBits(s.best.params, t.best.params, "checkpoint best weights"));
    QVERIFY(sameBits(s.adam.m, t.adam.m, "Adam m"));
    QVERIFY(sameBits(s.adam.v, t.adam.v, "Adam v"));
    QCOMPARE(s.adam.t, t.adam.t);
    QCOMPARE(s.history.size(), t.history.size());
    for (size_t i = 0; i < s.history.size(); ++i) {
        QCOMPARE(s.history[i].metaLoss, t.history[i].metaLoss);
        QCOMPARE(std::isnan(s.history[i].validationLoss), std::isnan(t.history[i].validationLoss));
        if (!std::isnan(s.history[i].validationLoss))
            QCOMPARE(s.history[i].validationLoss, t.history[i].validationLoss);
        QCOMPARE(std::isnan(s.history[i].gradientNoise), std::isnan(t.history[i].gradientNoise));
        if (!std::isnan(s.history[i].gradientNoise)) QCOMPARE(s.history[i].gradientNoise, t.history[i].gradientNoise);
    }
}

// A short quadratic training with a meta-batch of 4: six epochs, validated and checkpointed every second.
QStringList quadratic(const QString& out)
{
    return {"train",     "--problem",
            "quadratic", "--epochs",
            "6",         "--horizon",
            "20",        "--unroll",
            "5",         "--meta-batch",
            "4",         "--validate-every",
            "2",         "--validation-runs",
            "3",         "--seed",
            "7",         "--out",
            out,         "-q"};
}
} // namespace

class TestMpiTrain : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    QString m_quadraticReference; // the one-process run of quadratic(), for the failure tests

    QString path(const QString& name) const { return m_tmp.filePath(name); }

private slots:
    void initTestCase()
    {
#ifndef L2L_TEST_MPIRUN
        QFAIL("this build has no MPI, so `l2l train` cannot run over ranks: install OpenMPI (scripts/setup.sh "
              "installs openmpi-bin and libopenmpi-dev) and configure again (L2L_MPI=AUTO or ON)");
#endif
        QVERIFY(m_tmp.isValid());
        m_quadraticReference = path("quadratic-1.json");
        const Run r = runL2l(quadratic(m_quadraticReference) + QStringList{"--threads", "2"});
        QVERIFY2(r.code == 0, qPrintable(describe(r)));
    }

    // Two ranks against one process with the same meta-batch: identical bits, whatever the split.
    void sameWeightsAsOneProcess_data()
    {
        QTest::addColumn<QStringList>("args");
        const QStringList q = {"--problem", "quadratic", "--epochs",         "4", "--horizon",         "20",
                               "--unroll",  "5",         "--validate-every", "2", "--validation-runs", "3"};
        QTest::newRow("quadratic, meta-batch 4 (2 + 2)") << q + QStringList{"--meta-batch", "4", "--seed", "3"};
        QTest::newRow("quadratic, meta-batch 3 (1 + 2), second derivatives")
            << q + QStringList{"--meta-batch", "3", "--seed", "5", "--second-derivatives"};
        // MNIST (784-20-10 MLP on real data): validation runs split 2 + 1.
        QTest::newRow("mnist, meta-batch 3 (1 + 2)")
            << QStringList{"--problem",    "mnist", "--epochs",         "2", "--horizon",         "6", "--unroll", "3",
                           "--meta-batch", "3",     "--validate-every", "1", "--validation-runs", "3", "--seed",   "2"};
    }
    void sameWeightsAsOneProcess()
    {
        QFETCH(QStringList, args);
        const QString tag = QString::number(qHash(QString(QTest::currentDataTag())));
        const QString one = path("one-" + tag + ".json"), two = path("two-" + tag + ".json");
        const Run a = runL2l(QStringList{"train"} + args + QStringList{"--threads", "2", "--out", one, "-q"});
        QVERIFY2(a.code == 0, qPrintable(describe(a)));
        const Run b = mpirun(2, QStringList{"train"} + args + QStringList{"--threads", "1", "--out", two});
        QVERIFY2(b.code == 0 && !b.crashed, qPrintable(describe(b)));
        // Rank 0 alone reports: one summary line, and the ranks in the header.
        QCOMPARE(b.out.count("wrote "), 1);
        QVERIFY2(b.err.contains("2 MPI ranks share each meta-batch"), qPrintable(b.err));
        compareRuns(one, two);
        // The provenance records the ranks (absent, i.e. 1, for one process) and the meta-batch.
        const Provenance p1 = loadOptimizer(one.toStdString()).provenance,
                         p2 = loadOptimizer(two.toStdString()).provenance;
        QCOMPARE(p1.ranks, 1);
        QCOMPARE(p2.ranks, 2);
        QCOMPARE(p2.training.metaBatch, p1.training.metaBatch);
        qInfo("%s: one process %.1f s, two ranks %.1f s", QTest::currentDataTag(), a.seconds, b.seconds);
    }

    // A rank killed after epoch 3: mpirun ends the job naming it; the checkpoint (epoch 2, written by rank 0) loads;
    // one process resumes it and ends on the uninterrupted run's weights.
    void killedRank()
    {
        const QString out = path("killed.json");
        const Run r = mpirun(2, quadratic(out), {"L2L_TEST_RANK_FAILURE=die:3"});
        QVERIFY2(r.code != 0, qPrintable(describe(r)));
        QVERIFY2(r.err.contains("rank 1") && r.err.contains("signal 9"), qPrintable(describe(r)));
        const MetaTrainState s = loadCheckpoint((out + ".checkpoint.json").toStdString());
        QVERIFY2(s.epoch == 2, qPrintable(QString("checkpoint at epoch %1, expected 2").arg(s.epoch)));
        const Run resumed = runL2l({"train", "--resume", out + ".checkpoint.json", "--out", out, "-q"});
        QVERIFY2(resumed.code == 0, qPrintable(describe(resumed)));
        compareRuns(m_quadraticReference, out);
    }

    // A rank that stops responding after epoch 3: rank 0 waits --rank-timeout seconds, then ends the job naming it
    // and where; two ranks resume the checkpoint to the uninterrupted run's weights.
    void hungRank()
    {
        const QString out = path("hung.json");
        const Run r = mpirun(2, quadratic(out) + QStringList{"--rank-timeout", "2"}, {"L2L_TEST_RANK_FAILURE=hang:3"});
        QVERIFY2(r.code != 0, qPrintable(describe(r)));
        QVERIFY2(r.err.contains("l2l: rank 0 of 2: rank 1 did not reach the start of epoch 4 within 2 s"),
                 qPrintable(describe(r)));
        QVERIFY2(r.seconds < 60, qPrintable(QString("the job took %1 s to end").arg(r.seconds)));
        const MetaTrainState s = loadCheckpoint((out + ".checkpoint.json").toStdString());
        QVERIFY2(s.epoch == 2, qPrintable(QString("checkpoint at epoch %1, expected 2").arg(s.epoch)));
        const Run resumed = mpirun(2, {"train", "--resume", out + ".checkpoint.json", "--out", out, "-q"});
        QVERIFY2(resumed.code == 0, qPrintable(describe(resumed)));
        compareRuns(m_quadraticReference, out);
    }

    // Every rank needs a member of the meta-batch.
    void moreRanksThanMembers()
    {
        const Run r = mpirun(2, {"train", "--problem", "quadratic", "--epochs", "1", "--horizon", "5", "--unroll", "5",
                                 "--meta-batch", "1", "--out", path("never.json")});
        QVERIFY2(r.code != 0, qPrintable(describe(r)));
        QVERIFY2(r.err.contains("a meta-batch of 1 (--meta-batch) cannot be shared by 2 ranks"),
                 qPrintable(describe(r)));
        QVERIFY(!QFile::exists(path("never.json")));
    }
};

QTEST_APPLESS_MAIN(TestMpiTrain)
#include "test_mpi_train.moc"
