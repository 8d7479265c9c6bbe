#include "workers/EvalWorker.h"

#include "workers/ThreadPriority.h"

#include <QElapsedTimer>
#include <QMetaType>

#include <algorithm>
#include <exception>

namespace l2l::ui {

void registerEvalMetaTypes()
{
    static std::once_flag once;
    std::call_once(once, [] {
        qRegisterMetaType<l2l::EvalConfig>("l2l::EvalConfig");
        qRegisterMetaType<l2l::EvalResult>("l2l::EvalResult");
    });
}

EvalWorker::EvalWorker(QObject* parent) : QObject(parent)
{
    registerEvalMetaTypes();
}

void EvalWorker::noteQueuedRun()
{
    std::lock_guard lock(m_mutex);
    ++m_queued;
}

void EvalWorker::requestStop()
{
    std::lock_guard lock(m_mutex);
    m_stopUpTo = m_queued; // every run announced so far, including one still in the event queue
    if (m_active) m_stop.store(true);
}

// A run stopped before it began starts with the flag set and ends after its first step.
void EvalWorker::beginRun()
{
    std::lock_guard lock(m_mutex);
    const quint64 id = ++m_started;
    m_queued = std::max(m_queued, id);
    m_active = true;
    m_stop.store(id <= m_stopUpTo);
}

void EvalWorker::endRun()
{
    std::lock_guard lock(m_mutex);
    m_active = false;
    m_stop.store(false);
}

EvalResult EvalWorker::withoutRunCurves(const EvalResult& r)
{
    EvalResult out;
    out.config = r.config;
    out.canonicalProblem = r.canonicalProblem;
    out.hasTestSplit = r.hasTestSplit;
    out.testSteps = r.testSteps;
    out.completedSteps = r.completedSteps;
    out.cancelled = r.cancelled;
    for (const auto& opt : r.optimizers) {
        OptimizerResult o;
        o.config = opt.config;
        o.tunedRate = opt.tunedRate;
        o.tuneRates = opt.tuneRates;
        o.tuneFinalMeans = opt.tuneFinalMeans;
        o.curves.divergedAt = opt.curves.divergedAt;
        o.curves.test = opt.curves.test;
        o.stats = opt.stats;
        o.finalMean = opt.finalMean;
        o.finalStd = opt.finalStd;
        o.finalMedian = opt.finalMedian;
        o.divergedRuns = opt.divergedRuns;
        o.testLossMean = opt.testLossMean;
        o.testAccuracyMean = opt.testAccuracyMean;
        o.testLossCurve = opt.testLossCurve;
        o.testAccuracyCurve = opt.testAccuracyCurve;
        out.optimizers.push_back(std::move(o));
    }
    return out;
}

void EvalWorker::start(const l2l::EvalConfig& config)
{
    // The callbacks run on one of the core's threads (whichever reaches the step barrier last); emitting
    // from there is fine: every receiver lives in another thread, so the connections are queued.
    QElapsedTimer sinceSnapshot;
    EvalCallbacks callbacks;
    callbacks.log = [this](const std::string& line) { emit logLine(QString::fromStdString(line)); };
    callbacks.minStepInterval = 1.0 / kSnapshotsPerSecond; // the core skips building snapshots in between
    callbacks.onStep = [&](const EvalResult& partial, int step) {
        if (step < partial.config.steps && sinceSnapshot.isValid() &&
            sinceSnapshot.elapsed() < 1000 / kSnapshotsPerSecond)
            return;
        sinceSnapshot.start();
        emit snapshot(withoutRunCurves(partial));
    };
    beginRun();
    try {
        EvalResult result = evaluate(config, callbacks, &m_stop);
        endRun();
        emit snapshot(withoutRunCurves(result)); // the final state, whatever the throttle dropped
        emit finished(result);
    } catch (const std::exception& e) { // l2l::Error carries a message naming the bad field/file
        endRun();
        emit failed(QString::fromStdString(e.what()));
    } catch (...) {
        endRun();
        emit failed(QStringLiteral("evaluation failed with an unknown error"));
    }
}

EvalRunner::EvalRunner(QObject* parent) : QObject(parent), m_worker(new EvalWorker)
{
    m_thread.setObjectName(QStringLiteral("l2l-eval"));
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    // Signal-to-signal relays, queued into this object's thread.
    connect(m_worker, &EvalWorker::logLine, this, &EvalRunner::logLine, Qt::QueuedConnection);
    connect(m_worker, &EvalWorker::snapshot, this, &EvalRunner::snapshot, Qt::QueuedConnection);
    connect(m_worker, &EvalWorker::finished, this, [this](const EvalResult& r) {
        m_running = false;
        emit finished(r);
    }, Qt::QueuedConnection);
    connect(m_worker, &EvalWorker::failed, this, [this](const QString& message) {
        m_running = false;
        emit failed(message);
    }, Qt::QueuedConnection);
    lowerPriorityOnStart(m_thread);
    m_thread.start();
}

EvalRunner::~EvalRunner()
{
    m_worker->requestStop();
    m_thread.quit();
    m_thread.wait();
}

void EvalRunner::start(const EvalConfig& config)
{
    m_running = true;
    m_worker->noteQueuedRun();
    QMetaObject::invokeMethod(m_worker, "start", Qt::QueuedConnection, Q_ARG(l2l::EvalConfig, config));
}

void EvalRunner::requestStop()
{
    if (m_running) m_worker->requestStop();
}

} // namespace l2l::ui
