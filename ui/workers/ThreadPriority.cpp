#include "workers/ThreadPriority.h"

#include <QThread>

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace l2l::ui {

void lowerPriorityOnStart(QThread& thread)
{
    // QThread::setPriority maps to SCHED_OTHER's single static priority on Linux (no effect), so the
    // nice value of the thread itself is raised; it is per thread on Linux and inherited by new threads.
    QObject::connect(
        &thread, &QThread::started, &thread,
        [] {
#ifdef __linux__
            setpriority(PRIO_PROCESS, id_t(syscall(SYS_gettid)), 5); // failure only leaves the default
#endif
        },
        Qt::DirectConnection);
}

} // namespace l2l::ui
