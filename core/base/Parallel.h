#pragma once
// Lock-step execution of independent "lanes" (one optimizer on one problem instance each) on a fixed
// number of threads. Lane i always runs on thread i % threads and lanes never share state, so results
// are bit-identical whatever the thread count. After every step all threads meet at a barrier, where
// `afterStep(step)` runs on one thread: it may report progress and returns false to stop.
#include <functional>
#include <memory>
#include <utility>
#include <vector>

namespace l2l {

// The calling thread's own object for `key`: made by make() (a std::unique_ptr<T>) on first use, freed
// when the thread ends. For scratch that problem instances can share because a thread runs one of them
// at a time (a network's activations): one per thread instead of one per instance.
template <typename T, typename Key, typename Make>
T& perThread(const Key& key, Make make)
{
    thread_local std::vector<std::pair<Key, std::unique_ptr<T>>> objects;
    for (auto& [k, object] : objects)
        if (k == key) return *object;
    objects.emplace_back(key, make());
    return *objects.back().second;
}

// Effective thread count: `requested` if > 0, else the hardware concurrency; never more than `lanes`.
int effectiveThreads(int requested, int lanes);

void runLockstep(int lanes, int steps, int threads, const std::function<void(int lane, int step)>& stepLane,
                 const std::function<bool(int step)>& afterStep);

// Runs fn(i) for i in [0, n) on `threads` threads (static partition i % threads).
void parallelFor(int n, int threads, const std::function<void(int)>& fn);

// The same, telling each call which worker runs it: worker w in [0, effectiveThreads(threads, n)) runs the i with
// i % that count == w, in increasing order, so scratch kept per worker is never used by two threads at once (and
// stays in that core's caches from one call to the next). The first exception thrown is rethrown after all workers
// have stopped; the remaining i of every worker are skipped.
void parallelForWorkers(int n, int threads, const std::function<void(int i, int worker)>& fn);

} // namespace l2l
