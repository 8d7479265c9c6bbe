// The one way to run work off the GUI thread (workers/Runner.h) and the Compare view's job on it: snapshots and
// a final result for every optimizer, prompt Stop, errors reported as a message, the latest request winning,
// one snapshot rate, and destruction shutting down a running computation.
#include "ResidentMemory.h"
#include "TimeLimits.h"
#include "workers/EvalJob.h"
#include "workers/Runner.h"
#include "workers/TrainJob.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QSignalSpy>
#include <QTest>
#include <QThread>

#include <unistd.h>

#include <cmath>
#include <memory>

using namespace l2l;
using namespace l2l::ui;

namespace {

// Runs long enough (hours) that only Stop can end it. Kept at 20 runs: the time from Stop to finished
// includes copying every per-run curve (runs x (steps + 1) doubles per optimizer) across the thread.
EvalConfig longConfig()
{
    EvalConfig c;
    c.problem = "quadratic:dim=200";
    c.optimizers = {"sgd:lr=0.001", "nag:lr=0.001", "rmsprop:lr=0.01", "adam:lr=0.01"};
    c.runs = 20;
    c.steps = 100000;
    return c;
}

} // namespace

class TestWorker : public QObject {
    Q_OBJECT
private slots:
    void runsEveryOptimizer_data();
    void runsEveryOptimizer();
    void stopIsPrompt();
    void stopDuringTuning();
    void stopBeforeStartIsNotLost();
    void badProblemFails();
    void destructionStopsRun();
    void snapshotsOmitRunCurves();
    void latestRequestWins();
    void snapshotRateIsLimited();
    void thousandStartStopsOfAnEvaluation();
    void thousandStartStopsOfATraining();
};

void TestWorker::runsEveryOptimizer_data()
{
    QTest::addColumn<QStringList>("optimizers");
    QTest::addColumn<bool>("tuned");
    QTest::newRow("given rates") << QStringList{"sgd:lr=0.01", "nag:lr=0.01", "rmsprop:lr=0.03", "adam:lr=0.1"}
                                 << false;
    QTest::newRow("tuned rate") << QStringList{"adam"} << true;
}

void TestWorker::runsEveryOptimizer()
{
    QFETCH(QStringList, optimizers);
    QFETCH(bool, tuned);
    EvalConfig config;
    config.runs = 4;
    config.steps = 30;
    config.optimizers.clear();
    for (const QString& o : optimizers) config.optimizers.push_back(o.toStdString());

    Runner runner(QStringLiteral("test"));
    QSignalSpy snapshots(&runner, &Runner::snapshot);
    QSignalSpy finished(&runner, &Runner::finished);
    QSignalSpy failed(&runner, &Runner::failed);
    QSignalSpy log(&runner, &Runner::logLine);
    runner.request(evalJob(config));
    QVERIFY(runner.isBusy());
    QVERIFY(finished.wait(60000));
    QCOMPARE(failed.count(), 0);
    QVERIFY(!runner.isBusy());
    QVERIFY(snapshots.count() >= 1);
    QVERIFY(log.count() >= 1);

    const auto last = snapshots.last().at(0).value<EvalResult>();
    QCOMPARE(last.completedSteps, config.steps);
    const auto result = finished.first().at(0).value<EvalResult>();
    QVERIFY(!result.cancelled);
    QCOMPARE(result.completedSteps, config.steps);
    QCOMPARE(result.optimizers.size(), size_t(optimizers.size()));
    for (const auto& o : result.optimizers) {
        QCOMPARE(o.tunedRate, tuned);
        QVERIFY(std::isfinite(o.config.lr) && o.config.lr > 0);
        QCOMPARE(o.curves.loss.size(), size_t(config.runs));
        QCOMPARE(o.stats.mean.size(), size_t(config.steps + 1));
        for (double m : o.stats.mean) QVERIFY(std::isfinite(m));
        QVERIFY(std::isfinite(o.finalMean));
        QVERIFY2(o.finalMean < o.stats.mean.front(), o.config.label().c_str()); // it optimizes
    }
}

void TestWorker::stopIsPrompt()
{
    Runner runner(QStringLiteral("test"));
    QSignalSpy snapshots(&runner, &Runner::snapshot);
    QSignalSpy finished(&runner, &Runner::finished);
    QSignalSpy failed(&runner, &Runner::failed);
    const EvalConfig config = longConfig();
    runner.request(evalJob(config));
    QVERIFY(snapshots.wait(60000)); // the evaluation is under way
    QElapsedTimer clock;
    clock.start();
    runner.abort();
    QTRY_VERIFY_WITH_TIMEOUT(finished.count() + failed.count() > 0, 30000);
    const qint64 ms = clock.elapsed();
    qInfo("stop took %lld ms", ms);
    QCOMPARE(failed.count(), 0);
    QVERIFY2(ms < l2l::test::msLimit(1000), qPrintable(QString("stop took %1 ms").arg(ms)));
    const auto result = finished.first().at(0).value<EvalResult>();
    QVERIFY(result.cancelled);
    QVERIFY(result.completedSteps < config.steps);
    QCOMPARE(result.optimizers.size(), config.optimizers.size());
}

void TestWorker::stopDuringTuning()
{
    EvalConfig config = longConfig();
    config.optimizers = {"sgd"}; // tuning 100000-step runs: stopped long before it ends
    Runner runner(QStringLiteral("test"));
    QSignalSpy log(&runner, &Runner::logLine);
    QSignalSpy finished(&runner, &Runner::finished);
    QSignalSpy failed(&runner, &Runner::failed);
    runner.request(evalJob(config));
    QVERIFY(log.wait(60000)); // "tuning sgd: ..."
    QElapsedTimer clock;
    clock.start();
    runner.abort();
    QTRY_VERIFY_WITH_TIMEOUT(finished.count() + failed.count() > 0, 30000);
    QVERIFY2(clock.elapsed() < l2l::test::msLimit(1000), qPrintable(QString("stop took %1 ms").arg(clock.elapsed())));
    QCOMPARE(failed.count(), 0);
    QVERIFY(finished.first().at(0).value<EvalResult>().cancelled);
}

void TestWorker::stopBeforeStartIsNotLost()
{
    Runner runner(QStringLiteral("test"));
    QSignalSpy finished(&runner, &Runner::finished);
    runner.request(evalJob(longConfig()));
    runner.abort(); // most likely before the worker thread has even picked the run up
    QVERIFY(finished.wait(30000));
    QVERIFY(finished.first().at(0).value<EvalResult>().cancelled);

    // ...and the stop does not leak into the next run.
    EvalConfig quick;
    quick.optimizers = {"sgd:lr=0.01"};
    quick.runs = 2;
    quick.steps = 10;
    finished.clear();
    runner.request(evalJob(quick));
    QVERIFY(finished.wait(30000));
    const auto result = finished.first().at(0).value<EvalResult>();
    QVERIFY(!result.cancelled);
    QCOMPARE(result.completedSteps, quick.steps);
}

void TestWorker::badProblemFails()
{
    EvalConfig config;
    config.problem = "no-such-problem";
    config.optimizers = {"sgd:lr=0.1"};
    Runner runner(QStringLiteral("test"));
    QSignalSpy finished(&runner, &Runner::finished);
    QSignalSpy failed(&runner, &Runner::failed);
    runner.request(evalJob(config));
    QVERIFY(failed.wait(30000));
    QCOMPARE(finished.count(), 0);
    const QString message = failed.first().at(0).toString();
    QVERIFY2(message.contains("no-such-problem"), qPrintable(message));
    QVERIFY(!runner.isBusy());
}

void TestWorker::destructionStopsRun()
{
    auto runner = std::make_unique<Runner>(QStringLiteral("test"));
    QSignalSpy snapshots(runner.get(), &Runner::snapshot);
    runner->request(evalJob(longConfig()));
    QVERIFY(snapshots.wait(60000));
    QElapsedTimer clock;
    clock.start();
    runner.reset(); // requests the stop, quits and joins the thread
    QVERIFY2(clock.elapsed() < l2l::test::msLimit(2000),
             qPrintable(QString("shutdown took %1 ms").arg(clock.elapsed())));
}

void TestWorker::snapshotsOmitRunCurves()
{
    EvalResult full;
    full.config.runs = 3;
    OptimizerResult o;
    o.curves.loss.assign(3, std::vector<double>(11, 1.0));
    o.curves.divergedAt.assign(3, -1);
    o.stats.mean.assign(11, 1.0);
    o.finalMean = 1.0;
    full.optimizers.push_back(o);
    const EvalResult light = withoutRunCurves(full);
    QVERIFY(light.optimizers.at(0).curves.loss.empty());
    QCOMPARE(light.optimizers.at(0).curves.divergedAt.size(), size_t(3));
    QCOMPARE(light.optimizers.at(0).stats.mean.size(), size_t(11));
    QCOMPARE(light.optimizers.at(0).finalMean, 1.0);
}

// A request supersedes the job in progress: it is aborted, and nothing it sends after is delivered.
void TestWorker::latestRequestWins()
{
    Runner runner(QStringLiteral("test"));
    QSignalSpy snapshots(&runner, &Runner::snapshot);
    QSignalSpy finished(&runner, &Runner::finished);
    runner.request([](Runner::Control& c) {
        while (!c.aborted()) {
            c.send(QString("first"), true);
            QThread::msleep(1);
        }
        for (int i = 0; i < 5; ++i) c.send(QString("first, after its abort"), true); // dropped
        return QVariant(QString("first"));
    });
    QVERIFY(snapshots.wait(10000));
    runner.request([](Runner::Control&) { return QVariant(QString("second")); });
    QVERIFY(finished.wait(10000));
    QTest::qWait(100);
    QCOMPARE(finished.count(), 1);
    QCOMPARE(finished.first().at(0).toString(), QString("second"));
    QCOMPARE(finished.first().at(1).toBool(), false);
    for (const auto& s : snapshots) QCOMPARE(s.at(0).toString(), QString("first"));
    QVERIFY(!runner.isBusy());
}

// Snapshots offered without `always` arrive at most kSnapshotsPerSecond a second.
void TestWorker::snapshotRateIsLimited()
{
    Runner runner(QStringLiteral("test"));
    QSignalSpy snapshots(&runner, &Runner::snapshot);
    QSignalSpy finished(&runner, &Runner::finished);
    runner.request([](Runner::Control& c) {
        QElapsedTimer clock;
        clock.start();
        int offered = 0;
        while (clock.elapsed() < 500) {
            c.send(offered++);
            QThread::usleep(100);
        }
        return QVariant(offered);
    });
    QVERIFY(finished.wait(10000));
    const int offered = finished.first().at(0).toInt();
    QVERIFY(offered > 100);
    QVERIFY2(snapshots.count() >= 2 && snapshots.count() <= kSnapshotsPerSecond / 2 + 2,
             qPrintable(QString("%1 snapshots of %2 offered in 0.5 s").arg(snapshots.count()).arg(offered)));
}

namespace {
// Processes events until `done` (blocking for the next event, no polling interval), at most `ms`.
template <typename F>
bool waitUntil(F done, int ms = 30000)
{
    QElapsedTimer clock;
    clock.start();
    while (!done() && clock.elapsed() < ms) QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
    return done();
}

using l2l::test::residentMiB;
} // namespace

// Soak: 1000 starts, each stopped at once (some before they begin, some inside a step). Every one ends, the
// last result is whole, and memory does not grow with the count.
void TestWorker::thousandStartStopsOfAnEvaluation()
{
    Runner runner(QStringLiteral("test"));
    int finished = 0, failed = 0; // counted, not kept: a spy would hold every result
    bool lastAborted = false;
    connect(&runner, &Runner::finished, this, [&](const QVariant&, bool aborted) {
        ++finished;
        lastAborted = aborted;
    });
    connect(&runner, &Runner::failed, this, [&] { ++failed; });
    EvalConfig soak = longConfig(); // hours if not stopped, on instances that are quick to draw
    soak.problem = "quadratic";
    soak.runs = 2;
    soak.steps = 20000;
    soak.useCache = false;
    soak.threads = 1;
    double before = 0;
    for (int i = 0; i < 1000; ++i) {
        if (i == 100) before = residentMiB(); // after the allocator has warmed up
        runner.request(evalJob(soak));
        if (i % 2 == 0) QThread::usleep(200); // some are stopped inside a step, some before they begin
        runner.abort();
        QVERIFY(waitUntil([&] { return !runner.isBusy(); }));
    }
    QCOMPARE(failed, 0);
    QCOMPARE(finished, 1000);
    QVERIFY(lastAborted);
    // Superseding: requests piling up while one runs end as one (the others never begin).
    for (int i = 0; i < 1000; ++i) {
        runner.request(evalJob(soak));
        runner.abort();
    }
    QVERIFY(waitUntil([&] { return !runner.isBusy(); }));
    QCOMPARE(failed, 0);
    QVERIFY(finished >= 1001 && finished < 2000);
    const double after = residentMiB();
    qInfo("1000 runs started and stopped, then 1000 superseded (%d ended); resident memory %.1f MiB after 100, "
          "%.1f MiB after 2000",
          finished - 1000, before, after);
    QVERIFY2(after < before + 64, qPrintable(QString("grew from %1 to %2 MiB").arg(before).arg(after)));
    // Still usable: a short run completes.
    EvalConfig quick;
    quick.optimizers = {"sgd:lr=0.01"};
    quick.runs = 2;
    quick.steps = 10;
    QSignalSpy done(&runner, &Runner::finished);
    runner.request(evalJob(quick));
    QVERIFY(done.wait(30000));
    QVERIFY(!done.first().at(1).toBool());
    QCOMPARE(done.first().at(0).value<EvalResult>().completedSteps, 10);
}

void TestWorker::thousandStartStopsOfATraining()
{
    TrainSession session;
    QSignalSpy finished(&session, &TrainSession::finished);
    QSignalSpy failed(&session, &TrainSession::failed);
    MetaTrainConfig c;
    c.epochs = 1000000;
    c.horizon = 20;
    c.unroll = 5;
    double before = 0;
    for (int i = 0; i < 1000; ++i) {
        if (i == 100) before = residentMiB();
        session.start(c);
        if (i % 2 == 0) QThread::usleep(200);
        if (i % 7 == 0) {
            session.pause();
            QVERIFY(waitUntil([&] { return session.state() != TrainSession::State::Running; }));
        }
        session.stop();
        QVERIFY(waitUntil([&] { return session.state() == TrainSession::State::Idle; }));
    }
    QCOMPARE(failed.count(), 0);
    QCOMPARE(finished.count(), 1000);
    const double after = residentMiB();
    qInfo("resident memory %.1f MiB after 100 trainings started and stopped, %.1f MiB after 1000", before, after);
    QVERIFY2(after < before + 64, qPrintable(QString("grew from %1 to %2 MiB").arg(before).arg(after)));
}

QTEST_GUILESS_MAIN(TestWorker)
#include "test_worker.moc"
