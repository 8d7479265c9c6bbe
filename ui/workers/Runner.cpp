#include "workers/Runner.h"

#include "workers/ThreadPriority.h"

#include <QPointer>

#include <exception>

namespace l2l::ui {

Runner::Runner(const QString& threadName, QObject* parent) : QObject(parent), m_context(new QObject)
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
}

void Runner::request(Job job)
{
    if (m_abort) m_abort->store(true); // the previous job is superseded
    auto abort = std::make_shared<std::atomic<bool>>(false);
    m_abort = abort;
    const quint64 id = ++m_latest;
    m_busy = true;
    QPointer<Runner> self(this);
    QMetaObject::invokeMethod(
        m_context,
        [self, id, abort, job = std::move(job)] {
            if (!self || id != self->m_latest.load()) return; // superseded before it began: nothing to deliver
            Control control;
            control.m_runner = self.data();
            control.m_id = id;
            control.m_abort = abort;
            std::function<void()> end;
            try {
                const QVariant result = job(control);
                const bool aborted = abort->load();
                end = [self, result, aborted] { emit self->finished(result, aborted); };
            } catch (const std::exception& e) { // l2l::Error names the bad field or file
                end = [self, message = QString::fromStdString(e.what())] { emit self->failed(message); };
            } catch (...) {
                end = [self] { emit self->failed(QStringLiteral("the computation failed with an unknown error")); };
            }
            QMetaObject::invokeMethod(
                self.data(),
                [self, id, end] {
                    if (self) self->deliver(id, end, true);
                },
                Qt::QueuedConnection);
        },
        Qt::QueuedConnection);
}

void Runner::abort()
{
    if (m_busy && m_abort) m_abort->store(true);
}

void Runner::deliver(quint64 id, const std::function<void()>& emitIt, bool last)
{
    if (id != m_latest.load()) return; // superseded
    if (last) m_busy = false;
    emitIt();
}

bool Runner::Control::snapshotDue() const
{
    return !m_sinceSnapshot.isValid() || m_sinceSnapshot.elapsed() >= 1000 / kSnapshotsPerSecond;
}

void Runner::Control::post(std::function<void(Runner*)> emitIt)
{
    QPointer<Runner> self(m_runner);
    const quint64 id = m_id;
    QMetaObject::invokeMethod(
        m_runner,
        [self, id, emitIt = std::move(emitIt)] {
            if (self)
                self->deliver(
                    id, [&] { emitIt(self.data()); }, false);
        },
        Qt::QueuedConnection);
}

bool Runner::Control::send(const QVariant& value, bool always)
{
    if (!always && !snapshotDue()) return false;
    m_sinceSnapshot.start();
    post([value](Runner* r) { emit r->snapshot(value); });
    return true;
}

void Runner::Control::log(const QString& line)
{
    post([line](Runner* r) { emit r->logLine(line); });
}

} // namespace l2l::ui
