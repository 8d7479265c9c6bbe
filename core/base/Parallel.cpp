#include "base/Parallel.h"

#include <algorithm>
#include <atomic>
#include <barrier>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace l2l {

int effectiveThreads(int requested, int lanes)
{
    int t = requested > 0 ? requested : int(std::max(1u, std::thread::hardware_concurrency()));
    return std::max(1, std::min(t, lanes));
}

void runLockstep(int lanes, int steps, int threads, const std::function<void(int, int)>& stepLane,
                 const std::function<bool(int)>& afterStep)
{
    threads = effectiveThreads(threads, lanes);
    std::atomic<bool> stop{false}; // set by an error or by afterStep: skip remaining lanes
    bool done = false;             // written only in the barrier's completion, so all threads see it together
    std::exception_ptr error;
    std::mutex errorMutex;
    int step = 0;
    auto completion = [&]() noexcept {
        if (!stop.load()) {
            try {
                if (!afterStep(step)) stop = true;
            } catch (...) {
                std::lock_guard lock(errorMutex);
                if (!error) error = std::current_exception();
                stop = true;
            }
        }
        ++step;
        if (step > steps || stop.load()) done = true;
    };
    std::barrier sync(threads, completion);
    auto body = [&](int t) {
        while (!done) {
            const int s = step; // stable until the barrier completes
            for (int lane = t; lane < lanes; lane += threads) {
                if (stop.load()) break;
                try {
                    stepLane(lane, s);
                } catch (...) {
                    std::lock_guard lock(errorMutex);
                    if (!error) error = std::current_exception();
                    stop = true;
                }
            }
            sync.arrive_and_wait();
        }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(body, t);
    body(0);
    for (auto& th : pool) th.join();
    if (error) std::rethrow_exception(error);
}

void parallelFor(int n, int threads, const std::function<void(int)>& fn)
{
    if (n <= 0) return;
    runLockstep(
        n, 0, threads, [&](int lane, int) { fn(lane); }, [](int) { return true; });
}

} // namespace l2l
