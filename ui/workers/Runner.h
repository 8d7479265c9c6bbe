#pragma once
// The one way the studio runs work off the GUI thread, in the style of Qt's mandelbrot example: a view owns a
// Runner; request(job) runs the job on the runner's own thread; abort() sets the flag the core polls (directly,
// not through the event queue, which is blocked while the core computes); values come back as copies through
// one signal, snapshot(), at one rate (kSnapshotsPerSecond); the job's result through finished(), an
// exception's message through failed(). The GUI thread only draws what it receives.
//
// Latest request wins: a request while a job runs or waits aborts it, and nothing that job sends afterwards is
// delivered, so dragging a start point never piles up stale work. An abort() before the job begins is not
// lost: the job starts with its flag set. Destruction aborts the job and waits for the thread.
#include <QObject>
#include <QString>
#include <QThread>
#include <QVariant>

#include <QElapsedTimer>

#include <atomic>
#include <functional>
#include <memory>

namespace l2l::ui {

// Snapshots per second of every runner (a snapshot sent with `always` -- the first, the last, a validation --
// is never held back).
constexpr int kSnapshotsPerSecond = 30;

class Runner : public QObject {
    Q_OBJECT
public:
    // What a job gets: the abort flag to pass to the core, and the way to send values back.
    class Control {
    public:
        const std::atomic<bool>* abortFlag() const { return m_abort.get(); }
        bool aborted() const { return m_abort->load(); }
        // Delivers `value` as snapshot(value) in the owner's thread; at most kSnapshotsPerSecond a second
        // unless `always`. Returns whether it was sent.
        bool send(const QVariant& value, bool always = false);
        // A due snapshot would be sent now (to skip building one that send() would drop).
        bool snapshotDue() const;
        void log(const QString& line); // logLine(line) in the owner's thread, never held back

    private:
        friend class Runner;
        void post(std::function<void(Runner*)> emitIt); // emitIt(runner) in the owner's thread, unless superseded
        Runner* m_runner = nullptr;
        quint64 m_id = 0;
        std::shared_ptr<std::atomic<bool>> m_abort;
        QElapsedTimer m_sinceSnapshot;
    };
    using Job = std::function<QVariant(Control&)>;

    explicit Runner(const QString& threadName, QObject* parent = nullptr);
    ~Runner() override;

    void request(Job job);
    void abort();                          // the current job; no-op when idle
    bool isBusy() const { return m_busy; } // from request() until the latest job's end is delivered

signals:
    void snapshot(const QVariant& value);
    void logLine(const QString& line);
    void finished(const QVariant& result, bool aborted); // aborted: the flag was set when the job returned
    void failed(const QString& message);

private:
    void deliver(quint64 id, const std::function<void()>& emitIt, bool last);

    QThread m_thread;
    QObject* m_context; // lives in m_thread: jobs are queued to it
    std::shared_ptr<std::atomic<bool>> m_abort;
    std::atomic<quint64> m_latest{0};
    bool m_busy = false;
};

} // namespace l2l::ui
