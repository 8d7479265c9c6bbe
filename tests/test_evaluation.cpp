// Paired evaluation, determinism across thread counts, divergence, tuning and its cache, cancellation.
#include "ExpectError.h"
#include "TimeLimits.h"
#include "base/AtomicFile.h"
#include "base/Resources.h"
#include "base/Rng.h"
#include "base/Stats.h"
#include "eval/Evaluation.h"
#include "eval/Lanes.h"
#include "eval/Transfer.h"
#include "eval/Tuning.h"
#include "io/EvalCsv.h"
#include "optimizers/LstmOptimizer.h"
#include "optimizers/OptimizerFile.h"
#include "problems/Quadratic.h"

#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <malloc.h>
#include <random>
#include <thread>

// Under AddressSanitizer or ThreadSanitizer (scripts/sanitize.sh) malloc is theirs, and glibc's mallinfo2 does not
// see it. GCC defines __SANITIZE_*__; clang answers __has_feature.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define L2L_SANITIZED_HEAP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define L2L_SANITIZED_HEAP 1
#endif
#endif
#ifndef L2L_SANITIZED_HEAP
#define L2L_SANITIZED_HEAP 0
#endif

using namespace l2l;

namespace {
EvalConfig quick(const std::string& problem, std::vector<std::string> opts, int runs, int steps)
{
    EvalConfig c;
    c.problem = problem;
    c.optimizers = std::move(opts);
    c.runs = runs;
    c.steps = steps;
    c.useCache = false;
    return c;
}
} // namespace

// Equal bit for bit, NaN (a step not computed or after divergence) matching NaN.
bool sameCurves(const std::vector<std::vector<double>>& a, const std::vector<std::vector<double>>& b)
{
    if (a.size() != b.size()) return false;
    for (size_t r = 0; r < a.size(); ++r) {
        if (a[r].size() != b[r].size()) return false;
        for (size_t t = 0; t < a[r].size(); ++t)
            if (!(a[r][t] == b[r][t] || (std::isnan(a[r][t]) && std::isnan(b[r][t])))) return false;
    }
    return true;
}

class TestEvaluation : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;

private slots:
    void pairedInstances()
    {
        // Every optimizer starts from the same instance and theta_0: identical initial losses per run,
        // and the same rule listed twice gives identical curves.
        const auto r = evaluate(quick("quadratic", {"sgd:lr=0.01", "adam:lr=0.1", "adam:lr=0.1"}, 7, 20));
        QCOMPARE(int(r.optimizers.size()), 3);
        for (int run = 0; run < 7; ++run) {
            QCOMPARE(r.optimizers[0].curves.loss[run][0], r.optimizers[1].curves.loss[run][0]);
            QVERIFY(r.optimizers[0].curves.loss[run][5] != r.optimizers[1].curves.loss[run][5]);
        }
        QVERIFY(r.optimizers[1].curves.loss == r.optimizers[2].curves.loss);
        QCOMPARE(int(r.optimizers[0].stats.mean.size()), 21);
        QCOMPARE(r.completedSteps, 20);
        QVERIFY(!r.cancelled);
        // Runs differ from each other (fresh instances).
        QVERIFY(r.optimizers[0].curves.loss[0][0] != r.optimizers[0].curves.loss[1][0]);
    }
    void statistics()
    {
        const auto r = evaluate(quick("quadratic", {"adam:lr=0.1"}, 5, 10));
        const auto& o = r.optimizers[0];
        double sum = 0;
        for (const auto& run : o.curves.loss) sum += run[10];
        QCOMPARE(o.finalMean, sum / 5);
        QCOMPARE(o.stats.mean[10], o.finalMean);
        double ss = 0;
        for (const auto& run : o.curves.loss) ss += (run[10] - o.finalMean) * (run[10] - o.finalMean);
        QVERIFY(std::abs(o.finalStd - std::sqrt(ss / 4)) < 1e-12);
        QCOMPARE(o.stats.alive[10], 5);
    }
    void deterministicAcrossThreads_data()
    {
        QTest::addColumn<QString>("problem");
        QTest::newRow("quadratic") << "quadratic";
        QTest::newRow("mnist") << "mnist";
        QTest::newRow("rosenbrock") << "rosenbrock";
    }
    void deterministicAcrossThreads()
    {
        QFETCH(QString, problem);
        std::vector<std::vector<std::vector<double>>> losses;
        for (int threads : {1, 2, 3}) {
            auto c = quick(problem.toStdString(), {"sgd:lr=0.001", "nag:lr=0.001", "rmsprop:lr=0.001", "adam:lr=0.001"},
                           3, 15);
            c.threads = threads;
            c.testMetrics = false;
            const auto r = evaluate(c);
            std::vector<std::vector<double>> all;
            for (const auto& o : r.optimizers)
                for (const auto& run : o.curves.loss) all.push_back(run);
            losses.push_back(all);
        }
        QVERIFY(losses[0] == losses[1]); // bit-identical
        QVERIFY(losses[0] == losses[2]);
    }
    void wavesGiveTheSameRuns_data()
    {
        QTest::addColumn<QString>("problem");
        QTest::addColumn<QString>("first");
        QTest::newRow("quadratic") << "quadratic"
                                   << "sgd:lr=1000"; // diverges: the waves carry divergence too
        QTest::newRow("mnist") << "mnist:hidden=5,batch=16"
                               << "sgd:lr=1"; // test split and test curves
    }
    void wavesGiveTheSameRuns()
    {
        QFETCH(QString, problem);
        QFETCH(QString, first);
        // Runs in waves (lanes alive at once capped): every curve, divergence and test metric is the one of the
        // run done in one wave, and the memory estimate stops growing with the runs beyond one wave.
        auto cls = makeProblemClass<float>(problem.toStdString());
        std::vector<RuleFactory> rules;
        for (const std::string& spec : {first.toStdString(), std::string("adam:lr=0.01"), std::string("lstm")}) {
            const auto c = UpdateRuleConfig::parse(spec);
            if (c.learned())
                rules.push_back([] { return std::make_unique<LstmRule<float>>(LstmNet<float>::init(LstmArch{}, 3)); });
            else
                rules.push_back([c] { return makeUpdateRule<float>(c); });
        }
        LaneConfig one;
        one.runs = 5;
        one.steps = 12;
        one.threads = 2;
        one.testMetrics = true;
        one.testEvery = 4;
        const LaneRun whole = runLanes(*cls, rules, one);
        QCOMPARE(laneWaveRuns(*cls, rules, one), 5);
        LaneConfig waves = one;
        waves.waveBytes = 1; // one run at a time
        QCOMPARE(laneWaveRuns(*cls, rules, waves), 1);
        std::vector<int> wavesSeen;
        long long lastDone = -1;
        const LaneRun split =
            runLanes(*cls, rules, waves, nullptr, [&](const LaneStep& at, const std::vector<Curves>&) {
                if (at.step == 0) wavesSeen.push_back(at.wave);
                QCOMPARE(at.waves, 5);
                QCOMPARE(at.total(), 5LL * 12);
                QCOMPARE(at.done(),
                         lastDone + (at.step == 0 && at.wave > 0 ? 0 : 1)); // step 12 of a wave = 0 of the next
                lastDone = at.done();
            });
        QVERIFY((wavesSeen == std::vector<int>{0, 1, 2, 3, 4}));
        QCOMPARE(lastDone, 5LL * 12);
        QCOMPARE(split.completed, 12);
        QCOMPARE(split.runsCompleted, 5);
        for (size_t i = 0; i < rules.size(); ++i) {
            QVERIFY(sameCurves(split.curves[i].loss, whole.curves[i].loss)); // bit for bit
            QVERIFY(split.curves[i].divergedAt == whole.curves[i].divergedAt);
            for (int run = 0; run < 5; ++run) {
                QCOMPARE(split.curves[i].test[size_t(run)].has_value(), whole.curves[i].test[size_t(run)].has_value());
                if (whole.curves[i].test[size_t(run)])
                    QCOMPARE(split.curves[i].test[size_t(run)]->loss, whole.curves[i].test[size_t(run)]->loss);
                for (size_t k = 0;
                     k < whole.curves[i].testCurve.size() && k < whole.curves[i].testCurve[size_t(run)].size(); ++k) {
                    const double a = split.curves[i].testCurve[size_t(run)][k].loss;
                    const double b = whole.curves[i].testCurve[size_t(run)][k].loss;
                    QVERIFY(a == b || (std::isnan(a) && std::isnan(b)));
                }
            }
        }
        if (problem == "quadratic") QVERIFY(whole.curves[0].divergedAt[0] >= 0);
        QCOMPARE(whole.curves[0].testCurve.empty(), !cls->hasTestSplit());
        // A stop in the third wave: the first two are complete, the third ends at its last complete step, the
        // rest never ran.
        std::atomic<bool> cancel{false};
        const LaneRun stopped =
            runLanes(*cls, rules, waves, &cancel, [&](const LaneStep& at, const std::vector<Curves>&) {
                if (at.wave == 2 && at.step == 6) cancel = true;
            });
        QCOMPARE(stopped.runsCompleted, 2);
        QCOMPARE(stopped.completed, 6);
        for (size_t i = 1; i < rules.size(); ++i) {
            QVERIFY(sameCurves({stopped.curves[i].loss[0], stopped.curves[i].loss[1]},
                               {whole.curves[i].loss[0], whole.curves[i].loss[1]}));
            QVERIFY(sameCurves({{stopped.curves[i].loss[2][6]}}, {{whole.curves[i].loss[2][6]}}));
            QVERIFY(std::isnan(stopped.curves[i].loss[2][7]));
            QVERIFY(std::isnan(stopped.curves[i].loss[3][0]));
        }
        // Memory: beyond one wave, more runs add only their curves.
        LaneConfig many = waves;
        many.runs = 1000;
        const double perRun =
            double(estimateLaneBytes(*cls, rules, many) - estimateLaneBytes(*cls, rules, waves)) / 995;
        const double testPoints = cls->hasTestSplit() ? double(testCurveSteps(12, 4).size() + 1) : 0.0;
        QCOMPARE(perRun, 3 * 2 * (13 * 8 + testPoints * sizeof(TestMetrics) + 64)); // the curves' bytes only
    }
    void networkWorkspaceIsPerThread_data()
    {
        QTest::addColumn<QString>("problem");
        QTest::newRow("neural-art") << "neural-art";
        QTest::newRow("convnet") << "convnet";
        QTest::newRow("mnist") << "mnist";
    }
    void networkWorkspaceIsPerThread()
    {
        // A neural-art or conv-net instance keeps its images and parameters; the network's feature maps are one
        // per thread (perThread), so the full tuning grid (16 rates x 5 runs) fits one wave, where the race can
        // drop rates for every run (it ran one run per wave when the maps were counted per instance). An MLP
        // instance keeps its minibatch's activations; the test split's 1000-example chunks are the thread's (when
        // every instance kept its last chunk's, 3.4 MB, a 200-run MNIST evaluation used more than it estimated).
        // The threads' workspace is counted once per thread (estimatesHoldOnTheHeap checks the counts).
        QFETCH(QString, problem);
        auto cls = makeProblemClass<float>(problem.toStdString());
        QVERIFY(cls->threadBytes() > 0);
        QVERIFY(cls->threadBytes() > 2 * cls->instanceBytes()); // the workspace outweighs what an instance keeps
        TuneConfig tune;
        const std::vector<RuleFactory> grid(
            tune.grid().size(), [] { return makeUpdateRule<float>(UpdateRuleConfig::parse("nag:lr=0.1")); });
        QCOMPARE(int(grid.size()), 16);
        LaneConfig lanes = LaneConfig::of(tune.runs, 100, tune.seed, kTuneInstances, 1);
        QCOMPARE(laneWaveRuns(*cls, grid, lanes), tune.runs);
        LaneConfig two = lanes;
        two.threads = 2;
        QCOMPARE(estimateLaneBytes(*cls, grid, two) - estimateLaneBytes(*cls, grid, lanes), cls->threadBytes());
    }
    // What the memory budget counts for one instance and one thread, against the heap: an instance sampled,
    // stepped and tested on a fresh thread (whose per-thread workspace is made there) holds at most
    // instanceBytes() + threadBytes(), and not less than half of it.
    void estimatesHoldOnTheHeap_data()
    {
        QTest::addColumn<QString>("problem");
        QTest::newRow("neural-art") << "neural-art";
        QTest::newRow("convnet") << "convnet";
        QTest::newRow("mnist") << "mnist";
        QTest::newRow("mnist two layers, rescaled") << "mnist:hidden=20-20,xscale=3";
        QTest::newRow("fashion-mnist relu") << "fashion-mnist:activation=relu";
        QTest::newRow("quadratic") << "quadratic:dim=500";
        QTest::newRow("quadratic rescaled") << "quadratic:dim=500,fscale=10,xscale=1";
    }
    void estimatesHoldOnTheHeap()
    {
#if L2L_SANITIZED_HEAP
        QSKIP("the sanitizers' allocators are not glibc's heap, which mallinfo2 reads");
#else
        QFETCH(QString, problem);
        auto cls = makeProblemClass<float>(problem.toStdString());
        long long held = 0; // signed: a heap that shrank must not wrap to a huge number
        std::thread([&] {
            Vec<float> theta(cls->dim()), grad(cls->dim()); // the caller's, not the instance's
            const auto before = mallinfo2();
            auto instance = cls->sample(7);
            theta = instance->initialTheta();
            instance->valueAndGradient(theta, grad, 0);
            (void)instance->testMetrics(theta);
            const auto after = mallinfo2();
            held = (long long)(after.uordblks + after.hblkhd) - (long long)(before.uordblks + before.hblkhd);
        }).join();
        const long long estimate = (long long)(cls->instanceBytes() + cls->threadBytes());
        // The estimate counts the buffers' contents; the allocator adds bookkeeping and alignment (glibc: a 16-byte
        // header, Eigen: up to 64 bytes of alignment per block; these instances make fewer than 200 blocks).
        const long long slack = 200 * (16 + 64);
        qInfo("heap %lld, estimate %lld", held, estimate);
        QVERIFY2(held <= estimate + slack && held >= estimate / 2,
                 qPrintable(QString("heap %1 bytes, estimate %2").arg(held).arg(estimate)));
#endif
    }
    void divergenceIsReported()
    {
        const auto r = evaluate(quick("quadratic", {"sgd:lr=1000", "adam:lr=0.1"}, 4, 30));
        const auto& bad = r.optimizers[0];
        QCOMPARE(bad.divergedRuns, 4);
        QVERIFY(std::isnan(bad.finalMean)); // no number: reported as diverged
        for (int run = 0; run < 4; ++run) {
            const int at = bad.curves.divergedAt[run];
            QVERIFY(at > 0 && at < 30);
            for (int t = at; t <= 30; ++t) QVERIFY(std::isnan(bad.curves.loss[run][t]));
        }
        QCOMPARE(r.optimizers[1].divergedRuns, 0);
        QVERIFY(std::isfinite(r.optimizers[1].finalMean));
    }
    // The shipped table (resources/tuned-rates.json, scripts/ship_rates.sh) holds, for the build that wrote it,
    // exactly what that build's own search gives: the quick problems are re-tuned here and compared bit for bit.
    // Any other build must not use it.
    void shippedRatesAreThisBuildsSearch()
    {
        const ShippedRates shipped(ShippedRates::defaultPath());
        QVERIFY2(shipped.warning().empty(), shipped.warning().c_str());
        QVERIFY2(!shipped.build().empty(), "resources/tuned-rates.json is missing or has no build");
        const TuneConfig tune;
        const auto same = [](const std::vector<double>& a, const std::vector<double>& b) {
            if (a.size() != b.size()) return false;
            for (size_t i = 0; i < a.size(); ++i)
                if (!(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i])))) return false;
            return true;
        };
        for (const std::string problem : {"quadratic", "mnist", "fashion-mnist", "neural-art"}) {
            const auto cls = makeProblemClass<float>(problem);
            for (const std::string name : {"sgd", "nag", "rmsprop", "adam"}) {
                const UpdateRuleConfig rule = UpdateRuleConfig::parse(name);
                const std::string key =
                    TuningCache::key(ShippedRates::withoutDataPath(cls->canonicalSpec()), rule, 100, tune);
                TuneResult table;
                const bool found = shipped.lookup(key, table);
                if (!shipped.applies()) { // another build: its search may differ in the last bits, so it tunes
                    QVERIFY(!found);
                    continue;
                }
                QVERIFY2(found, ("not shipped: " + key).c_str());
                if (problem != "quadratic" && name != "adam") continue; // the rest is re-tuned by ship_rates.sh
                const TuneResult fresh = tuneRate(*cls, rule, 100, tune, 0, nullptr);
                QVERIFY2(
                    fresh.bestRate == table.bestRate && same(fresh.rates, table.rates) &&
                        same(fresh.finalMeans, table.finalMeans),
                    ("the shipped entry differs from this build's search; run scripts/ship_rates.sh: " + key).c_str());
            }
        }
        // The user's own data is never matched by the default data's rates.
        QVERIFY(shippedRatesFor("mnist:data=/somewhere/else", true, {}) == nullptr);
        QVERIFY(shippedRatesFor("quadratic", false, {}) == nullptr); // --no-cache tunes afresh
        QCOMPARE(ShippedRates::withoutDataPath("mnist:hidden=20,data=/x/y,batch=128"),
                 std::string("mnist:hidden=20,batch=128"));
    }
    // A table that is not one is a warning, not a failure; a build that differs is not used.
    void shippedRatesFromStrangers()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("rates.json").toStdString();
        std::ofstream(path) << R"({"format": "l2l-tuned-rates", "version": 1, "build": 7, "entries": {}})";
        const ShippedRates bad(path);
        QVERIFY(!bad.applies());
        QVERIFY2(bad.warning().find("build") != std::string::npos && bad.warning().find(path) != std::string::npos,
                 bad.warning().c_str());
        std::ofstream(path) << R"({"format": "l2l-tuned-rates", "version": 1, "build": "another build", "entries": )"
                            << R"({"quadratic | sgd | k": {"best_rate": 0.1, "rates": [0.1], "final_means": [1]}}})";
        const ShippedRates other(path);
        QVERIFY(other.warning().empty());
        TuneResult t;
        QVERIFY(!other.applies() && !other.lookup("quadratic | sgd | k", t));
        const ShippedRates missing(dir.filePath("none.json").toStdString());
        QVERIFY(missing.warning().empty() && !missing.applies());
    }
    void tuningPicksTheBestMeanFinalLoss()
    {
        auto cls = makeProblemClass<float>("quadratic");
        TuneConfig t;
        t.minRate = 1e-3;
        t.maxRate = 1;
        t.perDecade = 2;
        t.runs = 4;
        const auto rule = UpdateRuleConfig::parse("sgd");
        std::vector<int> progress; // every step of the search is reported, in order, for progress and ETA
        const auto result = tuneRate(*cls, rule, 50, t, 0, nullptr, [&](int done, int total) {
            QCOMPARE(total, 50);
            progress.push_back(done);
        });
        QCOMPARE(int(progress.size()), 51);
        for (int i = 0; i <= 50; ++i) QCOMPARE(progress[size_t(i)], i);
        {
            // Forced into waves of one instance each: progress counts all four waves and never goes back, and
            // the full grid (no race) picks from the same numbers, since every run is computed alike.
            TuneConfig waves = t;
            waves.waveBytes = 1;
            std::vector<int> done;
            const auto inWaves = tuneRate(*cls, rule, 50, waves, 0, nullptr, [&](int d, int total) {
                QCOMPARE(total, 4 * 50);
                done.push_back(d);
            });
            QCOMPARE(int(done.size()), 4 * 51);
            QVERIFY(std::is_sorted(done.begin(), done.end()));
            QCOMPARE(done.front(), 0);
            QCOMPARE(done.back(), 4 * 50);
            QCOMPARE(inWaves.bestRate, result.bestRate);
            for (size_t i = 0; i < result.rates.size(); ++i)
                QVERIFY(inWaves.finalMeans[i] == result.finalMeans[i] ||
                        (std::isnan(inWaves.finalMeans[i]) && std::isnan(result.finalMeans[i])));
            QCOMPARE(TuningCache::key("quadratic", rule, 50, waves),
                     TuningCache::key("quadratic", rule, 50, t)); // same rate
        }
        QCOMPARE(int(result.rates.size()), 7); // 1e-3 ... 1 at 2 per decade
        QVERIFY(std::abs(result.rates.back() - 1.0) < 1e-12);
        double best = INFINITY;
        for (size_t i = 0; i < result.rates.size(); ++i)
            if (std::isfinite(result.finalMeans[i]) && result.finalMeans[i] < best) best = result.finalMeans[i];
        for (size_t i = 0; i < result.rates.size(); ++i)
            if (result.finalMeans[i] == best) QCOMPARE(result.bestRate, result.rates[i]);
        QVERIFY(std::isnan(result.finalMeans.back())); // lr 1 diverges on 10-d Gaussian quadratics
        // Re-evaluating the rate independently on the tuning instances reproduces the grid value.
        UpdateRuleConfig fixed = rule;
        fixed.lr = result.bestRate;
        const LaneConfig lanes = LaneConfig::of(4, 50, t.seed, kTuneInstances, 1);
        const auto again = runLanes(*cls, {makeRuleFactory(fixed, "quadratic")}, lanes).curves;
        double sum = 0;
        for (const auto& run : again[0].loss) sum += run[50];
        QCOMPARE(sum / 4, best);
    }
    // The reference search: every rate of the grid run to the end on the tuning instances, nothing retired.
    static std::vector<Curves> fullGrid(const ProblemClass<float>& cls, const UpdateRuleConfig& rule, int steps,
                                        const TuneConfig& t)
    {
        std::vector<RuleFactory> rules;
        for (double lr : t.grid()) {
            UpdateRuleConfig r = rule;
            r.lr = lr;
            rules.push_back([r] { return makeUpdateRule<float>(r); });
        }
        return runLanes(cls, rules, LaneConfig::of(t.runs, steps, t.seed, kTuneInstances, 1)).curves;
    }
    static double meanAt(const Curves& c, int step)
    {
        double sum = 0;
        for (const auto& run : c.loss) sum += run[size_t(step)];
        return sum / double(c.loss.size());
    }
    static bool divergedBy(const Curves& c, int step)
    {
        for (const int at : c.divergedAt)
            if (at >= 0 && at <= step) return true;
        return false;
    }
    void stoppingDivergedRatesChangesNothing()
    {
        // A rate is disqualified by its first diverged run and its other runs stop there: the search's result is
        // that of the full grid, bit for bit.
        auto cls = makeProblemClass<float>("quadratic");
        TuneConfig t;
        t.minRate = 1e-3;
        t.maxRate = 10;
        t.perDecade = 2;
        t.runs = 3;
        const auto rule = UpdateRuleConfig::parse("sgd");
        const auto ref = fullGrid(*cls, rule, 50, t);
        const auto result = tuneRate(*cls, rule, 50, t, 0, nullptr);
        QCOMPARE(result.rates.size(), ref.size());
        int disqualified = 0;
        for (size_t i = 0; i < ref.size(); ++i) {
            QCOMPARE(result.droppedAt[i], -1);
            if (divergedBy(ref[i], 50)) {
                ++disqualified;
                QVERIFY(std::isnan(result.finalMeans[i]));
            } else {
                QCOMPARE(result.finalMeans[i], meanAt(ref[i], 50));
            }
        }
        QVERIFY(disqualified >= 2); // lr 3.16 and 10 diverge on 10-d Gaussian quadratics
    }
    void raceKeepsTheBetterHalf()
    {
        auto cls = makeProblemClass<float>("quadratic");
        TuneConfig t;
        t.minRate = 1e-3;
        t.maxRate = 1;
        t.perDecade = 4;
        t.runs = 3;
        t.race = true;
        const int steps = 40;
        QCOMPARE(raceCheckpoints(t, steps), (std::vector<int>{10, 20}));
        const auto rule = UpdateRuleConfig::parse("adam");
        const auto ref = fullGrid(*cls, rule, steps, t);
        const auto one = tuneRate(*cls, rule, steps, t, 1, nullptr);
        const auto two = tuneRate(*cls, rule, steps, t, 2, nullptr);
        QCOMPARE(one.droppedAt, two.droppedAt); // decisions are made between steps: the thread count is irrelevant
        QCOMPARE(one.bestRate, two.bestRate);
        QVERIFY(sameCurves({one.finalMeans}, {two.finalMeans}));
        {
            // In waves of one instance each (a search too big for memory), the race decides in the last wave on
            // every run: the same drops, means and rate as in one wave.
            TuneConfig waves = t;
            waves.waveBytes = 1;
            const auto split = tuneRate(*cls, rule, steps, waves, 2, nullptr);
            QCOMPARE(split.droppedAt, one.droppedAt);
            QCOMPARE(split.bestRate, one.bestRate);
            QVERIFY(sameCurves({split.finalMeans}, {one.finalMeans}));
        }
        std::vector<size_t> alive;
        for (size_t i = 0; i < ref.size(); ++i)
            if (!divergedBy(ref[i], 10)) alive.push_back(i);
        for (const int at : {10, 20}) {
            std::vector<size_t> kept, dropped;
            for (const size_t i : alive) (one.droppedAt[i] == at ? dropped : kept).push_back(i);
            QCOMPARE(kept.size(), std::max<size_t>(kRaceKeep, (alive.size() + 1) / 2));
            for (const size_t d : dropped)
                for (const size_t k : kept) QVERIFY(meanAt(ref[d], at) >= meanAt(ref[k], at));
            alive.clear();
            for (const size_t i : kept)
                if (!divergedBy(ref[i], at == 10 ? 20 : steps)) alive.push_back(i);
        }
        // The rates run to the end have the full grid's bits, and the best of them is chosen.
        double best = INFINITY;
        for (size_t i = 0; i < ref.size(); ++i) {
            if (std::isnan(one.finalMeans[i])) continue;
            QCOMPARE(one.droppedAt[i], -1);
            QCOMPARE(one.finalMeans[i], meanAt(ref[i], steps));
            best = std::min(best, one.finalMeans[i]);
        }
        for (size_t i = 0; i < ref.size(); ++i)
            if (one.finalMeans[i] == best) QCOMPARE(one.bestRate, one.rates[i]);
        QVERIFY(!alive.empty() && alive.size() < ref.size() / 2); // 13 rates: 7 go on at step 10, 4 at step 20
        // Too few steps for a checkpoint, or the race off: none.
        QVERIFY(raceCheckpoints(t, 1).empty());
        t.race = false;
        QVERIFY(raceCheckpoints(t, steps).empty());
    }
    void racedRatesAreCachedApart()
    {
        const std::string cachePath = (m_tmp.path() + "/race-cache.json").toStdString();
        TuneConfig t;
        const auto rule = UpdateRuleConfig::parse("sgd");
        const std::string grid = TuningCache::key("quadratic:dim=10", rule, 20, t);
        t.race = true;
        const std::string raced = TuningCache::key("quadratic:dim=10", rule, 20, t);
        QVERIFY(grid != raced);
        TuneResult r;
        r.bestRate = 0.1;
        r.rates = {0.01, 0.1, 1};
        r.finalMeans = {0.5, 0.25, std::nan("")};
        r.droppedAt = {-1, -1, 5};
        {
            TuningCache cache(cachePath);
            cache.store(raced, r);
        }
        TuningCache cache(cachePath);
        TuneResult hit;
        QVERIFY(cache.lookup(raced, hit));
        QCOMPARE(hit.droppedAt, r.droppedAt);
        QVERIFY(!cache.lookup(grid, hit));
        // A stranger's dropped_at that does not fit its grid: the cache is reported and rebuilt, not believed.
        for (const char* bad : {"[-1, 5]", "[-1, -1, -7]", "[\"x\", 1, 2]"}) {
            const std::string path = (m_tmp.path() + "/race-bad.json").toStdString();
            std::ofstream(path) << "{\"format\": \"l2l-tuning-cache\", \"version\": 1, \"entries\": {\"k\": "
                                   "{\"best_rate\": 0.1, \"rates\": [0.01, 0.1, 1], \"final_means\": [1, 0.5, null], "
                                   "\"dropped_at\": "
                                << bad << "}}}";
            TuningCache strange(path);
            QVERIFY2(QString::fromStdString(strange.warning()).contains("race-bad.json"), bad);
            QVERIFY(!strange.lookup("k", hit));
        }
    }
    void tuningAndEvaluationUseDifferentInstances()
    {
        auto cls = makeProblemClass<double>("quadratic");
        for (std::uint64_t s = 0; s < 20; ++s) {
            auto a = cls->sample(deriveSeed(s, 0, kEvalInstances));
            auto b = cls->sample(deriveSeed(s, 0, kTuneInstances));
            QVERIFY(dynamic_cast<Quadratic<double>&>(*a).w() != dynamic_cast<Quadratic<double>&>(*b).w());
        }
    }
    void tunedRatesAreCached()
    {
        const std::string cachePath = (m_tmp.path() + "/cache/tuning.json").toStdString();
        auto c = quick("quadratic", {"sgd", "adam"}, 3, 20);
        c.useCache = true;
        c.cachePath = cachePath;
        c.tune.runs = 2;
        std::vector<std::string> logs;
        EvalCallbacks cb;
        cb.log = [&](const std::string& l) { logs.push_back(l); };
        const auto first = evaluate(c, cb);
        QVERIFY(first.optimizers[0].tunedRate);
        QVERIFY(QFile::exists(QString::fromStdString(cachePath)));
        TuningCache cache(cachePath);
        TuneResult hit;
        QVERIFY(
            cache.lookup(TuningCache::key(first.canonicalProblem, UpdateRuleConfig::parse("adam"), 20, c.tune), hit));
        QCOMPARE(hit.bestRate, first.optimizers[1].config.lr);
        logs.clear();
        const auto second = evaluate(c, cb);
        QCOMPARE(second.optimizers[0].config.lr, first.optimizers[0].config.lr);
        bool sawCached = false;
        for (const auto& l : logs) sawCached = sawCached || l.find("cached rate") != std::string::npos;
        QVERIFY(sawCached);
        // A different step count is a different tuning problem.
        QVERIFY(
            !cache.lookup(TuningCache::key(first.canonicalProblem, UpdateRuleConfig::parse("adam"), 21, c.tune), hit));
    }
    void corruptCacheIsRebuilt()
    {
        const std::string cachePath = (m_tmp.path() + "/corrupt.json").toStdString();
        std::ofstream(cachePath) << "{\"format\": \"l2l-tuning-cache\", \"version\": 1, \"entries\": {\"x\": ";
        TuningCache cache(cachePath);
        QVERIFY(QString::fromStdString(cache.warning()).contains("corrupt.json"));
        auto c = quick("quadratic", {"sgd"}, 2, 10);
        c.useCache = true;
        c.cachePath = cachePath;
        c.tune.runs = 2;
        const auto r = evaluate(c);
        QVERIFY(r.optimizers[0].config.lr > 0);
        TuningCache reread(cachePath);
        QVERIFY(reread.warning().empty());
    }
    void cancelStopsAtTheNextStep()
    {
        std::atomic<bool> cancel{false};
        EvalCallbacks cb;
        int last = -1;
        cb.onStep = [&](const EvalResult& partial, int step) {
            last = step;
            QCOMPARE(partial.completedSteps, step);
            if (step == 5) cancel = true;
        };
        const auto r = evaluate(quick("quadratic", {"adam:lr=0.1"}, 3, 1000), cb, &cancel);
        QVERIFY(r.cancelled);
        QCOMPARE(r.completedSteps, 5);
        QCOMPARE(last, 5);
        QVERIFY(std::isnan(r.optimizers[0].curves.loss[0][6]));
    }
    // Runs that do not fit in memory at once go in waves: the snapshots say which wave, so the studio's bar and the
    // CLI's line count over all of them; the result equals the one-wave evaluation bit for bit, and a stop inside
    // a wave names that wave.
    void evaluationInWavesReportsTheWave()
    {
        EvalConfig one = quick("quadratic", {"sgd:lr=0.01", "adam:lr=0.1"}, 3, 10);
        EvalConfig waves = one;
        waves.waveBytes = 1;                   // one run at a time
        std::vector<std::pair<int, int>> seen; // (wave, step)
        EvalCallbacks cb;
        cb.onStep = [&](const EvalResult& partial, int step) {
            QCOMPARE(partial.waves, 3);
            seen.emplace_back(partial.wave, step);
        };
        const auto whole = evaluate(one);
        QCOMPARE(whole.waves, 1);
        const auto split = evaluate(waves, cb);
        QVERIFY(!split.cancelled);
        QCOMPARE(split.wave, 2);
        QCOMPARE(split.waves, 3);
        QCOMPARE(int(seen.size()), 3 * 11);
        for (size_t i = 0; i < seen.size(); ++i) QCOMPARE(seen[i], std::make_pair(int(i / 11), int(i % 11)));
        for (size_t i = 0; i < whole.optimizers.size(); ++i) {
            QVERIFY(sameCurves(split.optimizers[i].curves.loss, whole.optimizers[i].curves.loss));
            QCOMPARE(split.optimizers[i].finalMean, whole.optimizers[i].finalMean);
        }
        std::atomic<bool> cancel{false};
        cb.onStep = [&](const EvalResult& partial, int step) {
            if (partial.wave == 1 && step == 4) cancel = true;
        };
        const auto stopped = evaluate(waves, cb, &cancel);
        QVERIFY(stopped.cancelled);
        QCOMPARE(stopped.wave, 1);
        QCOMPARE(stopped.completedSteps, 4);
    }
    // A stop that lands inside a step (set from another thread at arbitrary moments) discards that
    // step: the result is exactly the prefix of an uninterrupted run, nothing is written past it.
    void cancelInsideAStepKeepsACleanPrefix()
    {
        EvalConfig config = quick("quadratic:dim=300", {"sgd:lr=0.001", "adam:lr=0.01", "nag:lr=0.001"}, 40, 400);
        config.threads = 2;
        const auto t0 = std::chrono::steady_clock::now();
        const EvalResult full = evaluate(config);
        const auto fullUs =
            std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
        int stopped = 0;
        for (long delayUs : {fullUs / 5, fullUs * 2 / 5, fullUs * 3 / 5, fullUs * 4 / 5}) {
            std::atomic<bool> cancel{false};
            std::thread stopper([&] {
                std::this_thread::sleep_for(std::chrono::microseconds(delayUs));
                cancel = true;
            });
            const EvalResult r = evaluate(config, {}, &cancel);
            stopper.join();
            if (!r.cancelled) continue; // finished first: nothing to check
            const int k = r.completedSteps;
            ++stopped;
            qInfo("stop after %ld of %ld us: result ends at step %d", delayUs, long(fullUs), k);
            for (size_t o = 0; o < r.optimizers.size(); ++o)
                for (size_t run = 0; run < 40; ++run) {
                    const auto& got = r.optimizers[o].curves.loss[run];
                    const auto& want = full.optimizers[o].curves.loss[run];
                    for (int t = 0; t <= k; ++t) QCOMPARE(got[size_t(t)], want[size_t(t)]);
                    for (int t = k + 1; t <= 400; ++t) QVERIFY(std::isnan(got[size_t(t)]));
                    QVERIFY(r.optimizers[o].curves.divergedAt[run] <= k);
                }
        }
        QVERIFY(stopped > 0); // at least one stop landed while the run was going
    }
    void mnistLearnsAndReportsTestMetrics()
    {
        const auto r = evaluate(quick("mnist", {"adam:lr=0.01"}, 2, 60));
        const auto& o = r.optimizers[0];
        QVERIFY(std::abs(o.stats.mean[0] - std::log(10.0)) < 0.02);
        QVERIFY2(o.finalMean < 1.0, qPrintable(QString::number(o.finalMean)));
        QVERIFY(o.testLossMean.has_value());
        QVERIFY(*o.testAccuracyMean > 0.6 && *o.testAccuracyMean <= 1.0);
    }
    void testCurvesEveryNSteps()
    {
        QCOMPARE(testCurveSteps(12, 5), (std::vector<int>{0, 5, 10, 12}));
        QCOMPARE(testCurveSteps(10, 5), (std::vector<int>{0, 5, 10}));
        QVERIFY(testCurveSteps(10, 0).empty());
        auto c = quick("mnist", {"sgd:lr=0.5", "adam:lr=0.01"}, 2, 12);
        c.testEvery = 5;
        const auto r = evaluate(c);
        QCOMPARE(r.testSteps, (std::vector<int>{0, 5, 10, 12}));
        for (const auto& o : r.optimizers) {
            QCOMPARE(o.testLossCurve.size(), size_t(4));
            // The last point is the end-of-run test metrics; the curve starts at ln 10 (theta_0).
            QCOMPARE(o.testLossCurve.back(), *o.testLossMean);
            QCOMPARE(o.testAccuracyCurve.back(), *o.testAccuracyMean);
            QVERIFY(std::abs(o.testLossCurve[0] - std::log(10.0)) < 0.05);
        }
        // Adam lowers the test loss step by step (2.30 -> 2.24 -> 2.08 -> 2.00 measured).
        const auto& adam = r.optimizers[1].testLossCurve;
        QVERIFY2(adam[1] < adam[0] && adam[2] < adam[1] && adam[3] < adam[0] - 0.2,
                 qPrintable(QString::number(adam[3])));
        // Same instances and theta_0: every optimizer has the same test loss at step 0.
        QCOMPARE(r.optimizers[0].testLossCurve[0], r.optimizers[1].testLossCurve[0]);
        // Each point is the test split at theta_t of its step t: the point at step 5 equals the end metrics
        // of the same runs stopped after 5 steps; threads do not change the curves.
        auto five = c;
        five.steps = 5;
        five.testEvery = 0;
        const auto r5 = evaluate(five);
        for (size_t i = 0; i < 2; ++i) QCOMPARE(r.optimizers[i].testLossCurve[1], *r5.optimizers[i].testLossMean);
        auto single = c;
        single.threads = 1;
        const auto r1 = evaluate(single);
        for (size_t i = 0; i < 2; ++i) {
            QVERIFY(r1.optimizers[i].testLossCurve == r.optimizers[i].testLossCurve);
            QVERIFY(r1.optimizers[i].testAccuracyCurve == r.optimizers[i].testAccuracyCurve);
        }
        // The curve does not change what is measured: the end metrics equal a run without it.
        c.testEvery = 0;
        const auto plain = evaluate(c);
        QVERIFY(plain.testSteps.empty() && plain.optimizers[1].testLossCurve.empty());
        QCOMPARE(*plain.optimizers[1].testLossMean, *r.optimizers[1].testLossMean);
        QCOMPARE(plain.optimizers[1].finalMean, r.optimizers[1].finalMean);
        // Problems without a test split take no curve; a negative interval is refused by name.
        auto q = quick("quadratic", {"adam:lr=0.1"}, 2, 10);
        q.testEvery = 5;
        QVERIFY(evaluate(q).testSteps.empty());
        q.testEvery = -1;
        try {
            evaluate(q);
            QFAIL("a negative test-every was accepted");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("test-every"), e.what());
        }
    }
    void pairedStatistics()
    {
        // Reference values of Student's t distribution (two-sided).
        QVERIFY(std::abs(studentTwoSidedP(2.0, 10) - 0.0733880) < 1e-6);
        QVERIFY(std::abs(studentTwoSidedP(-2.0, 10) - 0.0733880) < 1e-6);
        QVERIFY(std::abs(studentTwoSidedP(1.959964, 1e7) - 0.05) < 1e-5);
        QVERIFY(std::abs(studentTwoSidedP(0.0, 5) - 1.0) < 1e-12);
        // Differences a - b = (-1, -2, -3, 1, NaN-skipped): mean -1.25, sd 1.7078, t = -1.4639.
        const auto c = pairedCompare({1, 1, 1, 3, NAN}, {2, 3, 4, 2, 1});
        QCOMPARE(c.pairs, 4);
        QCOMPARE(c.winFraction, 0.75);
        QCOMPARE(c.meanDiff, -1.25);
        QVERIFY(std::abs(c.t - (-1.25 / (std::sqrt(35.0 / 12.0) / 2))) < 1e-12);
        QVERIFY(c.p > 0.2 && c.p < 0.3);
        // One comparable pair gives no t statistic; none gives nothing at all.
        const auto one = pairedCompare({1, NAN}, {2, 3});
        QCOMPARE(one.pairs, 1);
        QVERIFY(std::isnan(one.t) && std::isnan(one.p));
        QCOMPARE(pairedCompare({NAN}, {1}).pairs, 0);
        // Every pair differing by the same amount (identical runs) has no spread: t and p undefined, not p = 0.
        const auto shifted = pairedCompare({1, 2, 3}, {1.5, 2.5, 3.5}), equal = pairedCompare({4, 4}, {4, 4});
        QCOMPARE(shifted.pairs, 3);
        QCOMPARE(shifted.meanDiff, -0.5);
        QCOMPARE(shifted.winFraction, 1.0);
        QVERIFY(std::isnan(shifted.t) && std::isnan(shifted.p));
        QCOMPARE(equal.pairs, 2);
        QVERIFY(std::isnan(equal.t) && std::isnan(equal.p));
    }
    // The three stages alone: resolve without running, summarise synthetic curves.
    void resolveAloneFindsFilesAndKeepsGivenRates()
    {
        const auto cls = makeProblemClass<float>("quadratic");
        EvalConfig c = quick("quadratic", {"adam:lr=0.05", "lstm"}, 2, 5);
        std::vector<std::string> lines;
        const ResolvedOptimizers r = resolveOptimizers(
            c, *cls, [&](const std::string& l) { lines.push_back(l); }, nullptr);
        QVERIFY(!r.cancelled);
        QCOMPARE(int(r.optimizers.size()), 2);
        QCOMPARE(int(r.factories.size()), 2);
        QCOMPARE(r.optimizers[0].config.lr, 0.05);
        QVERIFY(!r.optimizers[0].tunedRate);
        QVERIFY(r.optimizers[1].config.path.find("optimizers/quadratic.json") != std::string::npos);
        QVERIFY(QString::fromStdString(r.optimizers[1].provenance).startsWith("trained on quadratic"));
        QVERIFY(r.optimizers[0].curves.loss.empty()); // nothing ran
        QVERIFY(r.factories[1]() != nullptr);
    }
    // A live summary brought up to date step by step equals one computed afresh, bit for bit, also when a run
    // diverges midway (which changes every step's population).
    void incrementalSummaryEqualsFresh()
    {
        Curves c;
        const double nan = std::numeric_limits<double>::quiet_NaN();
        const int steps = 40, runs = 5;
        c.loss.assign(runs, std::vector<double>(steps + 1, nan));
        c.divergedAt.assign(runs, -1);
        c.test.assign(runs, std::nullopt);
        std::mt19937 gen(7);
        std::uniform_real_distribution<double> u(0.1, 3.0);
        const auto same = [](const std::vector<double>& a, const std::vector<double>& b) {
            return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
        };
        StepStats live;
        for (int t = 0; t <= steps; ++t) {
            for (int run = 0; run < runs; ++run)
                if (c.divergedAt[size_t(run)] < 0) c.loss[size_t(run)][size_t(t)] = u(gen);
            if (t == 23) { // run 2 diverges
                c.loss[2][23] = nan;
                c.divergedAt[2] = 23;
            }
            if (t % 3 != 0 && t != steps) continue; // summaries at some steps only, like the live display
            updateStepStats(live, c, t);
            StepStats fresh;
            updateStepStats(fresh, c, t);
            QVERIFY2(same(live.mean, fresh.mean) && same(live.std, fresh.std) && same(live.median, fresh.median) &&
                         live.alive == fresh.alive,
                     qPrintable(QString("step %1").arg(t)));
        }
        QCOMPARE(live.alive[5], runs - 1); // the diverged run left every step's population
        QCOMPARE(live.upTo, steps);
    }
    void summariseAloneExcludesDivergedRuns()
    {
        Curves c;
        const double nan = std::numeric_limits<double>::quiet_NaN();
        c.loss = {{4, 2, 1}, {4, 3, 2}, {4, 1e30, nan}};
        c.divergedAt = {-1, -1, 1};
        c.test.assign(3, std::nullopt);
        OptimizerResult r;
        summarizeOptimizer(r, c, 2, {});
        QCOMPARE(r.divergedRuns, 1);
        QCOMPARE(r.finalMean, 1.5);   // over the two runs that never diverged
        QCOMPARE(r.finalMedian, 2.0); // over all three, the diverged one as the worst: median of {1, 2, +inf}
        QCOMPARE(r.stats.median[0], 4.0);
        QCOMPARE(r.stats.alive[1], 2);
        QCOMPARE(r.finalStd, std::sqrt(0.5));
        // Two of three diverged: the median is a diverged run from the step the second one diverged at (over the
        // survivor alone it was that run's loss, the lowest of all).
        c.loss = {{4, 2, 1}, {4, nan, nan}, {4, 3, nan}};
        c.divergedAt = {-1, 1, 2};
        OptimizerResult q;
        summarizeOptimizer(q, c, 2, {});
        QCOMPARE(q.finalMean, 1.0);
        QCOMPARE(q.stats.median[1], 3.0); // {2, +inf, 3}
        QCOMPARE(q.finalMedian, std::numeric_limits<double>::infinity());
    }
    // A transfer cell: the ratio to the best baseline among those that diverged least, the runs won against it and
    // the paired p over the runs both finished.
    void transferCellAgainstTheBestBaseline()
    {
        const double nan = std::numeric_limits<double>::quiet_NaN();
        const auto result = [&](const std::string& name, std::vector<double> finals, std::vector<int> diverged) {
            OptimizerResult o;
            o.config = UpdateRuleConfig::parse(name);
            Curves c;
            for (size_t r = 0; r < finals.size(); ++r) c.loss.push_back({10.0, finals[r]});
            c.divergedAt = std::move(diverged);
            c.test.assign(finals.size(), std::nullopt);
            summarizeOptimizer(o, c, 1, {});
            o.curves = c;
            return o;
        };
        EvalResult r;
        r.config.steps = 1;
        r.completedSteps = 1; // the final losses are those of step 1
        r.optimizers.push_back(result("lstm", {1, 2, 3, 4}, {-1, -1, -1, -1}));
        r.optimizers.push_back(result("sgd", {0.1, nan, 0.1, 0.1}, {-1, 0, -1, -1})); // lowest mean, but diverged once
        r.optimizers.push_back(result("adam", {2, 3, 4, 7}, {-1, -1, -1, -1}));
        r.optimizers.push_back(result("nag", {3, 3, 3, 3}, {-1, -1, -1, -1}));
        const TransferCell c = transferCell(r, r.optimizers[0], {&r.optimizers[1], &r.optimizers[2], &r.optimizers[3]});
        QCOMPARE(c.baseline, std::string("nag")); // 3 < 4 (adam), and sgd diverged
        QCOMPARE(c.learnedFinal, 2.5);
        QCOMPARE(c.baselineFinal, 3.0);
        QCOMPARE(c.ratio, 2.5 / 3.0);
        QCOMPARE(c.won, 2);
        QCOMPARE(c.pairs, 4);
        QCOMPARE(c.p, pairedCompare({1, 2, 3, 4}, {3, 3, 3, 3}).p);
        // Every baseline diverged everywhere: no ratio.
        r.optimizers.push_back(result("rmsprop", {nan, nan, nan, nan}, {0, 0, 0, 0}));
        const TransferCell none = transferCell(r, r.optimizers[0], {&r.optimizers[4]});
        QVERIFY(std::isnan(none.ratio));
        QVERIFY(none.baseline.empty());
        // The comparison's best (the CLI's pairs, the studio's bold row) follows the same rule: sgd's mean of 0.1 is
        // over its three survivors, so the best is lstm, the lowest mean of those that finished every run.
        QCOMPARE(bestByFinalMean(r), &r.optimizers[0]);
        r.optimizers[1] = result("sgd", {0.1, 0.1, 0.1, 0.1}, {-1, -1, -1, -1});
        QCOMPARE(bestByFinalMean(r), &r.optimizers[1]);
    }

    // The cell where an optimizer was trained (its problem's canonical spec and its horizon) is marked on the map:
    // computed from the file's provenance, kept in the JSON, and a stranger's malformed record is refused naming it.
    void transferMarksWhereEachWasTrained()
    {
        const std::string bundled = resourceDir() + "/optimizers/quadratic.json";
        TransferConfig c;
        c.optimizers = {bundled};
        c.variants = {{"given", "quadratic", "quadratic", 100},
                      {"given", "dim=3", "quadratic:dim=3", 100},
                      {"horizon", "T=200", "quadratic", 200}};
        c.runs = 2;
        c.useCache = false;
        c.tune.runs = 1;
        c.tune.perDecade = 1;
        const TransferResult r = computeTransfer(c);
        QCOMPARE(int(r.trainedOn.size()), 1);
        QCOMPARE(r.trainedOn[0], makeProblemClass<float>("quadratic")->canonicalSpec());
        QCOMPARE(r.trainedSteps[0], loadOptimizer(bundled).provenance.training.horizon);
        QVERIFY(r.trainedHere(0, 0));
        QVERIFY(!r.trainedHere(1, 0)); // another dimension
        QVERIFY(!r.trainedHere(2, 0)); // another horizon
        const std::string path = (m_tmp.path() + "/trained-on.json").toStdString();
        writeFileAtomically(path, transferJson(r));
        const TransferResult back = readTransfer(path);
        QCOMPARE(back.trainedOn, r.trainedOn);
        QCOMPARE(back.trainedSteps, r.trainedSteps);
        QVERIFY(back.trainedHere(0, 0));
        std::string bad = transferJson(r);
        bad.replace(bad.find("\"steps\": ["), 10, "\"steps\": [-5, ");
        writeFileAtomically(path, bad);
        l2l::test::expectError([&] { readTransfer(path); }, {"trained_on"});
    }

    // Every family's grid names problems that build, and the horizon variant doubles the steps.
    void transferGridsAreProblems()
    {
        for (const auto& family : transferFamilies()) {
            const auto grid = transferGrid(family, 50);
            QVERIFY(grid.size() >= 5);
            for (const auto& v : grid) {
                QVERIFY2(makeProblemClass<float>(v.problem) != nullptr, v.problem.c_str());
                QCOMPARE(v.steps, v.axis == "horizon" ? 100 : 50);
            }
        }
        QCOMPARE(transferFamilyOf("fashion-mnist:hidden=40"), std::string("mnist"));
        QCOMPARE(transferFamilyOf("rosenbrock"), std::string("2d"));
        l2l::test::expectError([] { transferGrid("cifar", 10); }, {"unknown family 'cifar'", "quadratic, mnist"});
    }

    // One CSV writer (CLI and studio): a name with a comma is quoted, NaN is an empty field, a negative mean stays.
    void csvQuotesNamesAndKeepsSigns()
    {
        EvalResult r;
        r.completedSteps = 1;
        OptimizerResult o;
        o.config.name = "lstm";
        o.config.path = "/some/where/my,optimizer.json";
        o.stats.mean = {-0.5, std::numeric_limits<double>::quiet_NaN()};
        o.stats.std = {0.25, 0};
        o.stats.median = {-0.5, 1};
        o.stats.alive = {3, 0};
        r.optimizers.push_back(o);
        const QStringList lines = QString::fromStdString(evalCsv(r)).trimmed().split('\n');
        QCOMPARE(lines.size(), 3);
        QCOMPARE(lines[0], QString("optimizer,learning_rate,step,loss_mean,loss_std,loss_median,runs_counted"));
        QCOMPARE(lines[1], QString("\"lstm:my,optimizer.json\",learned,0,-0.5,0.25,-0.5,3"));
        QVERIFY2(lines[2].endsWith(",1,,0,1,0"), qPrintable(lines[2]));
        // With a test split: its loss and accuracy where they were measured (test curve), the end's otherwise.
        r.optimizers[0].testLossMean = 0.75;
        r.optimizers[0].testAccuracyMean = 0.5;
        const QStringList end = QString::fromStdString(evalCsv(r)).trimmed().split('\n');
        QCOMPARE(end[0], QString("optimizer,learning_rate,step,loss_mean,loss_std,loss_median,runs_counted,"
                                 "test_loss_mean,test_accuracy_mean"));
        QVERIFY2(end[1].endsWith(",3,,"), qPrintable(end[1])); // not measured at step 0
        QVERIFY2(end[2].endsWith(",0,0.75,0.5"), qPrintable(end[2]));
        r.testSteps = {0, 1};
        r.optimizers[0].testLossCurve = {2.5, 0.25};
        r.optimizers[0].testAccuracyCurve = {0.125, 0.875};
        const QStringList curve = QString::fromStdString(evalCsv(r)).trimmed().split('\n');
        QVERIFY2(curve[1].endsWith(",3,2.5,0.125"), qPrintable(curve[1]));
        QVERIFY2(curve[2].endsWith(",0,0.25,0.875"), qPrintable(curve[2]));
    }
    void badConfig()
    {
        auto c = quick("quadratic", {"adam"}, 0, 10);
        QVERIFY_THROWS_EXCEPTION(Error, evaluate(c));
        c.runs = 1;
        c.steps = 0;
        QVERIFY_THROWS_EXCEPTION(Error, evaluate(c));
        c.steps = 10;
        c.optimizers.clear();
        QVERIFY_THROWS_EXCEPTION(Error, evaluate(c));
        c.optimizers = {"adam"};
        c.tune.minRate = -1;
        QVERIFY_THROWS_EXCEPTION(Error, evaluate(c));
    }
    void memoryBudget()
    {
        // 4 optimizers x 10000 runs x 100000 steps keep 4e9 loss values (32 GB, twice with the watchers' copy):
        // refused at once, before tuning, with the estimate; under an explicit 1-MiB limit a small run is refused
        // too, and a 256-MiB limit lets it through.
        QuadraticClass<float> cls(Spec::parse("quadratic"));
        auto huge = quick("quadratic", {"sgd", "nag", "rmsprop", "adam"}, 10000, 100000);
        huge.memoryLimitMiB = 16 * 1024;
        const auto t0 = std::chrono::steady_clock::now();
        l2l::test::expectError([&] { evaluate(huge); }, {"needs about", "GiB", "--memory-limit", "fewer runs"});
        QVERIFY(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(l2l::test::msLimit(5000)));
        LaneConfig lanes;
        lanes.runs = 10000;
        lanes.steps = 100000;
        const std::vector<RuleFactory> four(
            4, [] { return makeUpdateRule<float>(UpdateRuleConfig::parse("adam:lr=0.1")); });
        const double estimate = double(estimateLaneBytes(cls, four, lanes));
        QVERIFY2(estimate >= 2 * 4 * 10000 * 100001.0 * 8, qPrintable(QString::number(estimate)));
        auto small = quick("quadratic", {"adam:lr=0.1"}, 20, 20000); // 20 x 20001 x 8 x 2 bytes of curves: 6.4 MB
        small.memoryLimitMiB = 1;
        l2l::test::expectError([&] { evaluate(small); }, {"allowed by --memory-limit"});
        small.memoryLimitMiB = 256;
        QCOMPARE(evaluate(small).completedSteps, 20000);
    }
};

QTEST_APPLESS_MAIN(TestEvaluation)
#include "test_evaluation.moc"
