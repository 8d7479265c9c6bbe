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
//
// The hand-off: jobs and what they send pass between the threads through two mailboxes under one std::mutex;
// Qt's event queue only wakes the other side (an invocation by name that carries nothing). So every value that
// crosses threads is ordered by a lock that ThreadSanitizer sees (scripts/sanitize.sh tsan), not by the futex
// inside an uninstrumented Qt.
#include <QObject>
#include <QString>
#include <QThread>
#include <QVariant>

#include <QElapsedTimer>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>

namespace l2l::ui {

// Snapshots per second of every runner (a snapshot sent with `always` -- the first, the last, a validation --
// is never held back).
constexpr int kSnapshotsPerSecond = 30;

class Runner;

// A QVariant holding `value` moved in, not copied (Qt 6.4's QVariant::fromValue copies): an evaluation's result
// carries every run's curve, tens of MB on a long run.
template <typename T>
QVariant movedIntoVariant(T&& value)
{
    using V = std::decay_t<T>;
    QVariant v(QMetaType::fromType<V>());
    *static_cast<V*>(v.data()) = std::forward<T>(value);
    return v;
}

// The value a QVariant holds, by reference (no copy); nullptr if it holds another type.
template <typename T>
const T* variantValue(const QVariant& v)
{
    return v.metaType() == QMetaType::fromType<T>() ? static_cast<const T*>(v.constData()) : nullptr;
}

namespace detail {
// Lives in a runner's thread; a queued runPending() there takes the waiting job from the mailbox.
class RunnerContext : public QObject {
    Q_OBJECT
public:
    explicit RunnerContext(Runner* runner) : m_runner(runner) {}
    Q_INVOKABLE void runPending();

private:
    Runner* m_runner;
};
} // namespace detail

class Runner : public QObject {
    Q_OBJECT
public:
    // What a job gets: the abort flag to pass to the core, and the way to send values back.
    class Control {
    public:
        const std::atomic<bool>* abortFlag() const { return m_abort.get(); }
        bool aborted() const { return m_abort->load(); }
        // Delivers `value` as snapshot(value) in the owner's thread; at most kSnapshotsPerSecond a second
        // unless `always`. Returns whether it was sent. Taken by value and moved: the owner's copy shares no
        // reference count with one this thread still holds.
        bool send(QVariant value, bool always = false);
        // A due snapshot would be sent now (to skip building one that send() would drop).
        bool snapshotDue() const;
        void log(const QString& line); // logLine(line) in the owner's thread, never held back

    private:
        friend class Runner;
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
    friend class detail::RunnerContext;
    struct Pending {
        quint64 id = 0;
        Job job;
        std::shared_ptr<std::atomic<bool>> abort;
    };
    struct Delivery {
        enum Kind { Snapshot, Log, Finished, Failed } kind = Snapshot;
        quint64 id = 0;
        QVariant value; // Snapshot, Finished
        QString text;   // Log, Failed
        bool aborted{}; // Finished
    };
    void runPending();                 // in m_thread
    void post(Delivery delivery);      // from m_thread
    Q_INVOKABLE void deliverPending(); // in the owner's thread

    QThread m_thread;
    detail::RunnerContext* m_context;           // lives in m_thread
    std::shared_ptr<std::atomic<bool>> m_abort; // the latest job's (owner's thread only)
    std::atomic<quint64> m_latest{0};
    bool m_busy = false;

    std::mutex m_mailMutex;           // guards the two mailboxes
    std::optional<Pending> m_pending; // the job waiting for the thread (a newer request replaces it)
    std::deque<Delivery> m_outbox;    // what jobs sent, waiting for the owner's thread
};

} // namespace l2l::ui
