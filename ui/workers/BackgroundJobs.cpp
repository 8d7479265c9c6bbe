#include "workers/BackgroundJobs.h"

#include "workers/ThreadPriority.h"

namespace l2l::ui {

BackgroundJobs::BackgroundJobs(QObject* parent) : QObject(parent), m_context(new QObject)
{
    m_thread.setObjectName(QStringLiteral("l2l-jobs"));
    m_context->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_context, &QObject::deleteLater);
    lowerPriorityOnStart(m_thread);
    m_thread.start();
}

BackgroundJobs::~BackgroundJobs()
{
    if (m_cancel) m_cancel->store(true);
    m_thread.quit();
    m_thread.wait();
}

void BackgroundJobs::post(quint64, std::function<void()> job)
{
    QMetaObject::invokeMethod(m_context, std::move(job), Qt::QueuedConnection);
}

void BackgroundJobs::deliver(quint64 id, const std::function<void()>& callback)
{
    if (id != m_latest.load()) return; // superseded while it ran
    m_busy = false;
    callback();
    emit idle();
}

} // namespace l2l::ui
