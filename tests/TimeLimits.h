#pragma once
// Wall-clock limits of the tests that check promptness (a stop within a second, a fast computation). They hold on
// an ordinary build with the machine otherwise idle; builds that are slower by design (scripts/sanitize.sh: ASan,
// TSan) set L2L_TIME_SCALE to scale every such limit, so those runs check correctness, not speed.
#include <QString>
#include <QtGlobal>

#include <ctime>

namespace l2l::test {
inline qint64 msLimit(qint64 ms)
{
    bool ok = false;
    const double scale = qEnvironmentVariable("L2L_TIME_SCALE").toDouble(&ok);
    return ok && scale >= 1 && scale <= 100 ? qint64(double(ms) * scale) : ms;
}

// CPU time of the whole process (every thread) in ms. For a test of how much work a computation takes: other
// processes on the machine slow its wall-clock time down, not this (a loaded CI machine failed such a test with
// 2.9 s of wall-clock time for 1.3 s of CPU time).
inline qint64 processCpuMs()
{
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return qint64(ts.tv_sec) * 1000 + qint64(ts.tv_nsec / 1000000);
}
} // namespace l2l::test
