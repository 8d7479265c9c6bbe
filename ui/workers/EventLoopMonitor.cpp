#include "workers/EventLoopMonitor.h"

#include <algorithm>

namespace l2l::ui {

EventLoopMonitor::EventLoopMonitor(int intervalMs, QObject* parent) : QObject(parent), m_intervalMs(intervalMs)
{
    m_timer.setTimerType(Qt::PreciseTimer);
    m_timer.setInterval(intervalMs);
    connect(&m_timer, &QTimer::timeout, this, &EventLoopMonitor::tick);
}

void EventLoopMonitor::start()
{
    m_worst = m_sum = 0;
    m_ticks = 0;
    m_histogram.assign(2001, 0);
    m_clock.start();
    m_lastNs = 0;
    m_timer.start();
}

void EventLoopMonitor::stop() { m_timer.stop(); }

void EventLoopMonitor::tick()
{
    const qint64 now = m_clock.nsecsElapsed();
    const double delay = std::max(0.0, double(now - m_lastNs) / 1e6 - m_intervalMs);
    m_lastNs = now;
    if (delay > m_worst) {
        m_worst = delay;
        m_worstAt = double(now) / 1e9;
    }
    m_sum += delay;
    ++m_ticks;
    ++m_histogram[size_t(std::min(delay, 2000.0))];
}

double EventLoopMonitor::p99DelayMs() const
{
    long seen = 0;
    for (size_t ms = 0; ms < m_histogram.size(); ++ms) {
        seen += m_histogram[ms];
        if (double(seen) >= 0.99 * double(m_ticks)) return double(ms + 1);
    }
    return m_worst;
}

} // namespace l2l::ui
