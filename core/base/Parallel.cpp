#include "base/Parallel.h"

#include <algorithm>
#include <atomic>
#include <barrier>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace l2l {

int effectiveThreads(int requested, int lanes)
{
    int t = requested > 0 ? requested : int(std::max(1u, std::thread::hardware_concurrency()));
    return std::max(1, std::min(t, lanes));
}

namespace {
// Helper threads that stay alive between calls (a meta-training episode makes about 200 parallel calls, and
// starting and joining a thread for each cost more than the call's synchronisation). Every calling thread has
// its own pools, one per nesting depth (a lane that itself runs a parallel loop uses the next pool), so calls
// from different threads never wait for each other and a nested call never waits for its own caller. Helpers
// are joined when the calling thread ends.
class HelperPool {
public:
    ~HelperPool()
    {
        {
            std::lock_guard lock(m_mutex);
            m_quit = true;
        }
        m_wake.notify_all();
        for (auto& t : m_helpers) t.join();
    }
    // Runs body(0) here and body(1..threads-1) on helpers; returns when all have returned. body must not throw.
    void run(int threads, const std::function<void(int)>& body)
    {
        while (int(m_helpers.size()) < threads - 1) {
            const int index = int(m_helpers.size()) + 1;
            m_helpers.emplace_back([this, index] { helper(index); });
        }
        {
            std::lock_guard lock(m_mutex);
            m_body = &body;
            m_participants = threads - 1;
            m_unfinished = threads - 1;
            ++m_generation;
        }
        m_wake.notify_all();
        body(0);
        std::unique_lock lock(m_mutex);
        m_done.wait(lock, [this] { return m_unfinished == 0; });
        m_body = nullptr;
    }

private:
    void helper(int index)
    {
        std::uint64_t seen = 0;
        std::unique_lock lock(m_mutex);
        for (;;) {
            m_wake.wait(lock, [&] { return m_quit || m_generation != seen; });
            if (m_quit) return;
            seen = m_generation;
            if (index > m_participants) continue;
            const std::function<void(int)>* body = m_body;
            lock.unlock();
            (*body)(index);
            lock.lock();
            if (--m_unfinished == 0) m_done.notify_one();
        }
    }
    std::vector<std::thread> m_helpers;
    std::mutex m_mutex;
    std::condition_variable m_wake, m_done;
    const std::function<void(int)>* m_body = nullptr;
    std::uint64_t m_generation = 0;
    int m_participants = 0, m_unfinished = 0;
    bool m_quit = false;
};

// body(t) for t in [0, threads) on this thread and `threads - 1` kept helpers.
void runOnThreads(int threads, const std::function<void(int)>& body)
{
    thread_local std::vector<std::unique_ptr<HelperPool>> pools; // by nesting depth
    thread_local int depth = 0;
    if (int(pools.size()) <= depth) pools.push_back(std::make_unique<HelperPool>());
    HelperPool& pool = *pools[size_t(depth)];
    ++depth;
    try {
        pool.run(threads, body);
    } catch (...) {
        --depth;
        throw;
    }
    --depth;
}

// The first exception thrown by any thread, kept to be rethrown by the caller once all have stopped; setting it also
// sets `stop`, which tells the others to skip what is left.
struct FirstError {
    std::atomic<bool> stop{false};
    std::exception_ptr error;
    std::mutex mutex;
    // Runs f(); if it throws, keeps the exception (the first one only) and sets stop. Never throws.
    template <typename F>
    void guard(F&& f) noexcept
    {
        try {
            f();
        } catch (...) {
            std::lock_guard lock(mutex);
            if (!error) error = std::current_exception();
            stop = true;
        }
    }
    void rethrow()
    {
        if (error) std::rethrow_exception(error);
    }
};
} // namespace

void runLockstep(int lanes, int steps, int threads, const std::function<void(int, int)>& stepLane,
                 const std::function<bool(int)>& afterStep)
{
    threads = effectiveThreads(threads, lanes);
    FirstError failure; // its stop is also set by afterStep: skip the remaining lanes
    bool done = false;  // written only in the barrier's completion, so all threads see it together
    int step = 0;
    auto completion = [&]() noexcept {
        if (!failure.stop.load())
            failure.guard([&] {
                if (!afterStep(step)) failure.stop = true;
            });
        ++step;
        if (step > steps || failure.stop.load()) done = true;
    };
    std::barrier sync(threads, completion);
    auto body = [&](int t) {
        while (!done) {
            const int s = step; // stable until the barrier completes
            for (int lane = t; lane < lanes; lane += threads) {
                if (failure.stop.load()) break;
                failure.guard([&] { stepLane(lane, s); });
            }
            sync.arrive_and_wait();
        }
    };
    if (threads == 1)
        body(0);
    else
        runOnThreads(threads, body);
    failure.rethrow();
}

void parallelFor(int n, int threads, const std::function<void(int)>& fn)
{
    parallelForWorkers(n, threads, [&](int i, int) { fn(i); });
}

void parallelForWorkers(int n, int threads, const std::function<void(int, int)>& fn)
{
    if (n <= 0) return;
    threads = effectiveThreads(threads, n);
    if (threads == 1) {
        for (int i = 0; i < n; ++i) fn(i, 0);
        return;
    }
    FirstError failure;
    runOnThreads(threads, [&](int w) {
        for (int i = w; i < n && !failure.stop.load(std::memory_order_relaxed); i += threads)
            failure.guard([&] { fn(i, w); });
    });
    failure.rethrow();
}

} // namespace l2l
