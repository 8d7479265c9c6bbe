// base/Parallel: lock-step lanes and parallel loops on kept helper threads.
#include "base/Parallel.h"
#include "base/Types.h"

#include <QtTest>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace l2l;

class TestParallel : public QObject {
    Q_OBJECT
private slots:
    void everyIndexOnceOnItsThread()
    {
        for (int threads : {1, 2, 3, 7}) {
            std::vector<int> count(100, 0);
            std::vector<std::thread::id> who(100);
            parallelFor(100, threads, [&](int i) {
                ++count[size_t(i)];
                who[size_t(i)] = std::this_thread::get_id();
            });
            for (int c : count) QCOMPARE(c, 1);
            // lane i runs on thread i % threads: lanes with the same residue share a thread
            for (int i = threads; i < 100; ++i) QCOMPARE(who[size_t(i)], who[size_t(i % threads)]);
        }
    }

    // parallelForWorkers names the worker: i % workers, one thread per worker, no two threads with one worker, and
    // each worker's indices in increasing order (per-worker scratch relies on all three).
    void workersAreThreadsAndResidues()
    {
        for (int threads : {1, 2, 3, 7, 0}) {
            const int n = 50, workers = effectiveThreads(threads, n);
            std::vector<int> worker(size_t(n), -1);
            std::vector<std::thread::id> who{size_t(n)};
            std::vector<std::vector<int>> order{size_t(workers)};
            std::mutex m;
            parallelForWorkers(n, threads, [&](int i, int w) {
                worker[size_t(i)] = w;
                who[size_t(i)] = std::this_thread::get_id();
                std::lock_guard lock(m);
                order[size_t(w)].push_back(i);
            });
            for (int i = 0; i < n; ++i) {
                QCOMPARE(worker[size_t(i)], i % workers);
                QCOMPARE(who[size_t(i)], who[size_t(i % workers)]);
            }
            for (int w = 1; w < workers; ++w) QVERIFY(who[size_t(w)] != who[0]);
            for (const auto& o : order) QVERIFY(std::is_sorted(o.begin(), o.end()));
        }
        // fewer indices than threads: only as many workers as indices
        std::vector<int> seen;
        std::mutex m;
        parallelForWorkers(2, 7, [&](int, int w) {
            std::lock_guard lock(m);
            seen.push_back(w);
        });
        std::sort(seen.begin(), seen.end());
        QCOMPARE(seen, (std::vector<int>{0, 1}));
        bool threw = false;
        try {
            parallelForWorkers(10, 2, [](int i, int) {
                if (i == 3) throw std::runtime_error("three");
            });
        } catch (const std::runtime_error& e) {
            threw = std::string(e.what()) == "three";
        }
        QVERIFY(threw);
    }
    void lockstepStepsInOrder()
    {
        const int lanes = 5, steps = 40;
        std::vector<std::vector<int>> seen(lanes);
        std::vector<int> after;
        runLockstep(
            lanes, steps, 2, [&](int lane, int step) { seen[size_t(lane)].push_back(step); },
            [&](int step) {
                // every lane has done this step, none the next
                for (const auto& s : seen) {
                    if (int(s.size()) != step + 1 || s.back() != step) return false;
                }
                after.push_back(step);
                return true;
            });
        QCOMPARE(int(after.size()), steps + 1);
        for (const auto& s : seen) QCOMPARE(int(s.size()), steps + 1);
    }

    void stopEndsEarly()
    {
        std::atomic<int> calls{0};
        runLockstep(
            4, 1000, 2, [&](int, int) { ++calls; }, [](int step) { return step < 9; });
        QCOMPARE(calls.load(), 4 * 10);
    }

    void errorIsRethrownAndPoolStaysUsable()
    {
        bool thrown = false;
        try {
            parallelFor(10, 2, [](int i) {
                if (i == 7) throw Error("lane 7 failed");
            });
        } catch (const Error& e) {
            thrown = QString(e.what()).contains("lane 7");
        }
        QVERIFY(thrown);
        std::atomic<int> sum{0};
        parallelFor(10, 2, [&](int i) { sum += i; });
        QCOMPARE(sum.load(), 45);
    }

    void nestedLoopsDoNotWaitForTheirCaller()
    {
        std::atomic<int> inner{0};
        parallelFor(4, 2, [&](int) { parallelFor(6, 2, [&](int) { parallelFor(3, 2, [&](int) { ++inner; }); }); });
        QCOMPARE(inner.load(), 4 * 6 * 3);
    }

    void callersOnSeveralThreadsAtOnce()
    {
        std::vector<std::thread> callers;
        std::vector<long> sums(4, 0);
        for (int c = 0; c < 4; ++c)
            callers.emplace_back([c, &sums] {
                for (int r = 0; r < 50; ++r) {
                    std::vector<long> part(64, 0);
                    parallelFor(64, 2, [&](int i) { part[size_t(i)] = i + c; });
                    for (long v : part) sums[size_t(c)] += v;
                }
            }); // each caller's helpers are joined when the caller ends
        for (auto& t : callers) t.join();
        for (int c = 0; c < 4; ++c) QCOMPARE(sums[size_t(c)], 50L * (64 * 63 / 2 + 64 * c));
    }
};

QTEST_APPLESS_MAIN(TestParallel)
#include "test_parallel.moc"
