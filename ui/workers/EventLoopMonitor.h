#pragma once
// Measures how late the GUI thread's event loop serves a timer that should fire every `intervalMs`:
// the lateness of each tick is the event-loop delay a click or key press would have seen. Used by the
// studio's `--latency-bench` and shown in the status bar's tooltip.
#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

namespace l2l::ui {

class EventLoopMonitor : public QObject {
    Q_OBJECT
public:
    explicit EventLoopMonitor(int intervalMs = 5, QObject* parent = nullptr);
    void start(); // resets the statistics
    void stop();
    double worstDelayMs() const { return m_worst; }
    double worstAtSeconds() const { return m_worstAt; } // when the worst delay ended, since start()
    double meanDelayMs() const { return m_ticks ? m_sum / double(m_ticks) : 0.0; }
    // Delay not exceeded by 99 % of the ticks (from a 1 ms histogram).
    double p99DelayMs() const;
    long ticks() const { return m_ticks; }

private:
    void tick();
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_lastNs = 0;
    int m_intervalMs;
    double m_worst = 0, m_worstAt = 0, m_sum = 0;
    long m_ticks = 0;
    std::vector<long> m_histogram; // [ms] -> ticks
};

} // namespace l2l::ui
