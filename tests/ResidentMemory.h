#pragma once
// Resident memory of this process (Linux /proc/self/statm), in MiB: the soak tests check it stays flat.
#include <QFile>
#include <QList>

#include <unistd.h>

namespace l2l::test {
inline double residentMiB()
{
    QFile f("/proc/self/statm");
    if (!f.open(QIODevice::ReadOnly)) return 0;
    const QList<QByteArray> fields = f.readAll().split(' ');
    return fields.size() > 1 ? fields[1].toDouble() * double(sysconf(_SC_PAGESIZE)) / (1 << 20) : 0;
}
} // namespace l2l::test
