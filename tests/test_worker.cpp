// The evaluation worker thread: snapshots and a final result for every optimizer, prompt Stop, errors
// reported as a message, and the RAII holder shutting down a running computation.
#include "workers/EvalWorker.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

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

    EvalRunner runner;
    QSignalSpy snapshots(&runner, &EvalRunner::snapshot);
    QSignalSpy finished(&runner, &EvalRunner::finished);
    QSignalSpy failed(&runner, &EvalRunner::failed);
    QSignalSpy log(&runner, &EvalRunner::logLine);
    runner.start(config);
    QVERIFY(runner.isRunning());
    QVERIFY(finished.wait(60000));
    QCOMPARE(failed.count(), 0);
    QVERIFY(!runner.isRunning());
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
    EvalRunner runner;
    QSignalSpy snapshots(&runner, &EvalRunner::snapshot);
    QSignalSpy finished(&runner, &EvalRunner::finished);
    QSignalSpy failed(&runner, &EvalRunner::failed);
    const EvalConfig config = longConfig();
    runner.start(config);
    QVERIFY(snapshots.wait(60000)); // the evaluation is under way
    QElapsedTimer clock;
    clock.start();
    runner.requestStop();
    QTRY_VERIFY_WITH_TIMEOUT(finished.count() + failed.count() > 0, 30000);
    const qint64 ms = clock.elapsed();
    qInfo("stop took %lld ms", ms);
    QCOMPARE(failed.count(), 0);
    QVERIFY2(ms < 1000, qPrintable(QString("stop took %1 ms").arg(ms)));
    const auto result = finished.first().at(0).value<EvalResult>();
    QVERIFY(result.cancelled);
    QVERIFY(result.completedSteps < config.steps);
    QCOMPARE(result.optimizers.size(), config.optimizers.size());
}

void TestWorker::stopDuringTuning()
{
    EvalConfig config = longConfig();
    config.optimizers = {"sgd"}; // tuning 100000-step runs: stopped long before it ends
    EvalRunner runner;
    QSignalSpy log(&runner, &EvalRunner::logLine);
    QSignalSpy finished(&runner, &EvalRunner::finished);
    QSignalSpy failed(&runner, &EvalRunner::failed);
    runner.start(config);
    QVERIFY(log.wait(60000)); // "tuning sgd: ..."
    QElapsedTimer clock;
    clock.start();
    runner.requestStop();
    QTRY_VERIFY_WITH_TIMEOUT(finished.count() + failed.count() > 0, 30000);
    QVERIFY2(clock.elapsed() < 1000, qPrintable(QString("stop took %1 ms").arg(clock.elapsed())));
    QCOMPARE(failed.count(), 0);
    QVERIFY(finished.first().at(0).value<EvalResult>().cancelled);
}

void TestWorker::stopBeforeStartIsNotLost()
{
    EvalRunner runner;
    QSignalSpy finished(&runner, &EvalRunner::finished);
    runner.start(longConfig());
    runner.requestStop(); // most likely before the worker thread has even picked the run up
    QVERIFY(finished.wait(30000));
    QVERIFY(finished.first().at(0).value<EvalResult>().cancelled);

    // ...and the stop does not leak into the next run.
    EvalConfig quick;
    quick.optimizers = {"sgd:lr=0.01"};
    quick.runs = 2;
    quick.steps = 10;
    finished.clear();
    runner.start(quick);
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
    EvalRunner runner;
    QSignalSpy finished(&runner, &EvalRunner::finished);
    QSignalSpy failed(&runner, &EvalRunner::failed);
    runner.start(config);
    QVERIFY(failed.wait(30000));
    QCOMPARE(finished.count(), 0);
    const QString message = failed.first().at(0).toString();
    QVERIFY2(message.contains("no-such-problem"), qPrintable(message));
    QVERIFY(!runner.isRunning());
}

void TestWorker::destructionStopsRun()
{
    auto runner = std::make_unique<EvalRunner>();
    QSignalSpy snapshots(runner.get(), &EvalRunner::snapshot);
    runner->start(longConfig());
    QVERIFY(snapshots.wait(60000));
    QElapsedTimer clock;
    clock.start();
    runner.reset(); // requests the stop, quits and joins the thread
    QVERIFY2(clock.elapsed() < 2000, qPrintable(QString("shutdown took %1 ms").arg(clock.elapsed())));
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
    const EvalResult light = EvalWorker::withoutRunCurves(full);
    QVERIFY(light.optimizers.at(0).curves.loss.empty());
    QCOMPARE(light.optimizers.at(0).curves.divergedAt.size(), size_t(3));
    QCOMPARE(light.optimizers.at(0).stats.mean.size(), size_t(11));
    QCOMPARE(light.optimizers.at(0).finalMean, 1.0);
}

QTEST_GUILESS_MAIN(TestWorker)
#include "test_worker.moc"
