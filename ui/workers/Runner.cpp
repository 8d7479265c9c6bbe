#include "workers/Runner.h"

#include "workers/ThreadPriority.h"

#include <QPointer>

#include <exception>
#include <utility>

namespace l2l::ui {

void detail::RunnerContext::runPending() { m_runner->runPending(); }

Runner::Runner(const QString& threadName, QObject* parent) : QObject(parent), m_context(new detail::RunnerContext(this))
{
    m_thread.setObjectName(threadName);
    m_context->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_context, &QObject::deleteLater);
    lowerPriorityOnStart(m_thread);
    m_thread.start();
}

Runner::~Runner()
{
    if (m_abort) m_abort->store(true);
    m_thread.quit();
    m_thread.wait();
    std::lock_guard lock(m_mailMutex); // orders the thread's last post before the mailboxes are destroyed here
    m_pending.reset();
    m_outbox.clear();
}

void Runner::request(Job job)
{
    if (m_abort) m_abort->store(true); // the previous job is superseded
    auto abort = std::make_shared<std::atomic<bool>>(false);
    m_abort = abort;
    const quint64 id = ++m_latest;
    m_busy = true;
    // The wake-up is posted under the lock, so that this thread's use of m_context is ordered before the
    // thread takes the job (and, at its end, deletes m_context).
    std::lock_guard lock(m_mailMutex);
    m_pending = Pending{id, std::move(job), std::move(abort)}; // one not yet begun is dropped: nothing to deliver
    QMetaObject::invokeMethod(m_context, "runPending", Qt::QueuedConnection);
}

void Runner::runPending()
{
    Pending pending;
    {
        std::lock_guard lock(m_mailMutex);
        if (!m_pending) return; // taken by an earlier wake-up
        pending = std::move(*m_pending);
        m_pending.reset();
    }
    Control control;
    control.m_runner = this;
    control.m_id = pending.id;
    control.m_abort = pending.abort;
    Delivery end{Delivery::Finished, pending.id, {}, {}, false};
    try {
        end.value = pending.job(control);
        end.aborted = pending.abort->load();
    } catch (const std::exception& e) { // l2l::Error names the bad field or file
        end.kind = Delivery::Failed;
        end.text = QString::fromStdString(e.what());
    } catch (...) {
        end.kind = Delivery::Failed;
        end.text = QStringLiteral("the computation failed with an unknown error");
    }
    pending.job = nullptr; // its captures end in this thread, before the end is posted
    post(std::move(end));
}

void Runner::post(Delivery delivery)
{
    // Under the lock for the same reason as in request(): ~Runner takes the lock before it ends.
    std::lock_guard lock(m_mailMutex);
    const bool wake = m_outbox.empty(); // otherwise a wake-up is already on its way and takes this too
    m_outbox.push_back(std::move(delivery));
    if (wake) QMetaObject::invokeMethod(this, "deliverPending", Qt::QueuedConnection);
}

void Runner::deliverPending()
{
    // One at a time: a slot may open a nested event loop (a message box) that delivers the rest in order, or
    // delete this runner.
    const QPointer<Runner> alive(this);
    while (alive) {
        Delivery d;
        {
            std::lock_guard lock(m_mailMutex);
            if (m_outbox.empty()) return; // the next post wakes us again
            d = std::move(m_outbox.front());
            m_outbox.pop_front();
        }
        if (d.id != m_latest.load()) continue; // superseded
        switch (d.kind) {
        case Delivery::Snapshot:
            emit snapshot(d.value);
            break;
        case Delivery::Log:
            emit logLine(d.text);
            break;
        case Delivery::Finished:
            m_busy = false;
            emit finished(d.value, d.aborted);
            break;
        case Delivery::Failed:
            m_busy = false;
            emit failed(d.text);
            break;
        }
    }
}

void Runner::abort()
{
    if (m_busy && m_abort) m_abort->store(true);
}

bool Runner::Control::snapshotDue() const
{
    return !m_sinceSnapshot.isValid() || m_sinceSnapshot.elapsed() >= 1000 / kSnapshotsPerSecond;
}

bool Runner::Control::send(QVariant value, bool always)
{
    if (!always && !snapshotDue()) return false;
    m_sinceSnapshot.start();
    m_runner->post(Delivery{Delivery::Snapshot, m_id, std::move(value), {}, false});
    return true;
}

void Runner::Control::log(const QString& line) { m_runner->post(Delivery{Delivery::Log, m_id, {}, line, false}); }

} // namespace l2l::ui
