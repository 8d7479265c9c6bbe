#pragma once
// Running l2l::evaluate off the GUI thread (in the style of Qt's mandelbrot example): the worker lives
// in its own QThread, owns everything the computation touches, and only sends copyable value objects
// back. Cancellation is an atomic flag that the core checks after every step, set directly by
// requestStop() (not through the event queue, which is blocked while evaluate runs).
#include "eval/Evaluation.h"

#include <QObject>
#include <QString>
#include <QThread>

#include <atomic>
#include <mutex>

Q_DECLARE_METATYPE(l2l::EvalConfig)
Q_DECLARE_METATYPE(l2l::EvalResult)

namespace l2l::ui {

// Registers EvalConfig / EvalResult for queued signals and invokeMethod by name. Idempotent.
void registerEvalMetaTypes();

// Snapshots are limited to this many per second (the last step is always sent).
constexpr int kSnapshotsPerSecond = 30;

class EvalWorker : public QObject {
    Q_OBJECT
public:
    explicit EvalWorker(QObject* parent = nullptr);

    // Thread-safe and immediate (sets the flag the core polls after every step, not through the event
    // queue, which is blocked while evaluate runs): stops the running start(), and also a start() that
    // was announced with noteQueuedRun() but has not begun yet. Never affects a later run.
    void requestStop();
    // Thread-safe: call right before queuing start(), so that a stop requested in between is not lost.
    void noteQueuedRun();

    // A copy of `r` without the per-run curves (statistics, summaries and test metrics only): what a
    // live view needs, at a cost independent of the number of runs.
    static EvalResult withoutRunCurves(const EvalResult& r);

public slots:
    // Runs the whole evaluation in this object's thread; emits snapshots while it runs, then exactly one
    // of finished (also when stopped: result.cancelled) or failed.
    void start(const l2l::EvalConfig& config);

signals:
    void logLine(const QString& line);
    void snapshot(const l2l::EvalResult& partial); // throttled; per-run curves omitted
    void finished(const l2l::EvalResult& result);  // complete, with per-run curves
    void failed(const QString& message);

private:
    void beginRun();
    void endRun();

    std::atomic<bool> m_stop{false}; // what the core polls
    std::mutex m_mutex;              // guards the run counters below and the transitions of m_stop
    quint64 m_queued = 0, m_started = 0, m_stopUpTo = 0;
    bool m_active = false;
};

// Owns a QThread with an EvalWorker in it and relays the worker's signals into the owner's thread.
// RAII: destruction stops the computation and waits for the thread (qBittorrent's thread holder).
class EvalRunner : public QObject {
    Q_OBJECT
public:
    explicit EvalRunner(QObject* parent = nullptr);
    ~EvalRunner() override;

    // Queues `config` on the worker thread. Call from the owner's thread; one run at a time.
    void start(const EvalConfig& config);
    // Stops the running evaluation at once (after the step in progress). No-op when idle.
    void requestStop();
    bool isRunning() const { return m_running; }

signals:
    void logLine(const QString& line);
    void snapshot(const l2l::EvalResult& partial);
    void finished(const l2l::EvalResult& result);
    void failed(const QString& message);

private:
    QThread m_thread;
    EvalWorker* m_worker; // lives in m_thread, deleted there when the thread finishes
    bool m_running = false;
};

} // namespace l2l::ui
