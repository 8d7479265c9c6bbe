#pragma once
// Wall-clock limits of the tests that check promptness (a stop within a second, a fast computation). They hold on
// an ordinary build with the machine otherwise idle; builds that are slower by design (scripts/sanitize.sh: ASan,
// TSan) set L2L_TIME_SCALE to scale every such limit, so those runs check correctness, not speed.
#include <QString>
#include <QtGlobal>

namespace l2l::test {
inline qint64 msLimit(qint64 ms)
{
    bool ok = false;
    const double scale = qEnvironmentVariable("L2L_TIME_SCALE").toDouble(&ok);
    return ok && scale >= 1 && scale <= 100 ? qint64(double(ms) * scale) : ms;
}
} // namespace l2l::test
