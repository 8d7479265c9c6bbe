#pragma once
// Worker threads run at a lower scheduling priority than the GUI thread (nice +5 on Linux), so that on
// a machine whose every core computes, the scheduler still gives the event loop its turn at once.
// Threads that the core starts from a worker thread inherit it. Results do not depend on it.
class QThread;

namespace l2l::ui {

// Lowers the priority of `thread` as soon as it starts (call before QThread::start()).
void lowerPriorityOnStart(QThread& thread);

} // namespace l2l::ui
