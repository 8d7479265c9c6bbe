#pragma once
// A one-thread job queue for the views' short computations (trajectories, response curves, inspection
// runs): the GUI thread never computes, it submits a function and gets the result back in its own
// thread. Latest request wins: a job submitted while another waits supersedes it, and the result of a
// job that has been superseded is dropped, so dragging a start point never piles up stale work.
// A job gets a cancel flag it may poll; it is set when a newer job is submitted or the owner dies.
#include <QObject>
#include <QPointer>
#include <QString>
#include <QThread>

#include <atomic>
#include <exception>
#include <functional>
#include <memory>

namespace l2l::ui {

class BackgroundJobs : public QObject {
    Q_OBJECT
public:
    explicit BackgroundJobs(QObject* parent = nullptr);
    ~BackgroundJobs() override; // cancels the running job and waits for it

    // Runs work(cancel) on the job thread; then done(result) or failed(message) in this object's thread,
    // unless a newer job was submitted in the meantime. Exceptions from work become failed(what()).
    template <typename R>
    void submit(std::function<R(const std::atomic<bool>& cancel)> work, std::function<void(R)> done,
                std::function<void(const QString&)> failed = {});

    // True from submit() until the latest job's result (or failure) has been delivered.
    bool isBusy() const { return m_busy; }

signals:
    void idle(); // the latest job's result has been delivered

private:
    void post(quint64 id, std::function<void()> job);
    void deliver(quint64 id, const std::function<void()>& callback);

    QThread m_thread;
    QObject* m_context; // lives in m_thread: jobs are queued to it
    std::shared_ptr<std::atomic<bool>> m_cancel;
    std::atomic<quint64> m_latest{0};
    bool m_busy = false;
};

template <typename R>
void BackgroundJobs::submit(std::function<R(const std::atomic<bool>&)> work, std::function<void(R)> done,
                            std::function<void(const QString&)> failed)
{
    if (m_cancel) m_cancel->store(true); // the previous job is superseded
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    m_cancel = cancel;
    const quint64 id = ++m_latest;
    m_busy = true;
    QPointer<BackgroundJobs> self(this);
    post(id, [self, id, cancel, work = std::move(work), done = std::move(done), failed = std::move(failed)] {
        if (cancel->load()) return; // superseded before it began
        std::function<void()> callback;
        try {
            auto result = std::make_shared<R>(work(*cancel));
            callback = [done, result] { if (done) done(std::move(*result)); };
        } catch (const std::exception& e) {
            const QString message = QString::fromStdString(e.what());
            callback = [failed, message] { if (failed) failed(message); };
        } catch (...) {
            callback = [failed] { if (failed) failed(QStringLiteral("the computation failed with an unknown error")); };
        }
        if (self) QMetaObject::invokeMethod(self.data(), [self, id, callback] {
            if (self) self->deliver(id, callback);
        }, Qt::QueuedConnection);
    });
}

} // namespace l2l::ui
