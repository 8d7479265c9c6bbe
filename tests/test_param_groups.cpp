// Parameter groups (paper Sec. 3.3: one LSTM for the convolution kernels, one for the rest): an
// optimizer of two nets equals each net run alone on its group's coordinates; its BPTT meta-gradient
// against finite differences of the frozen-gradient surrogate (double); the version-2 file (round trip,
// every kind of bad file, version-1 files unchanged); the group-count mismatch; per-block meta-training.
#include "ExpectError.h"
#include "GroupedQuadratic.h"
#include "RandomNet.h"
#include "base/Rng.h"
#include "eval/Evaluation.h"
#include "meta/Bptt.h"
#include "meta/MetaTrainer.h"
#include "optimizers/LstmOptimizer.h"
#include "optimizers/OptimizerFile.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using namespace l2l;
using l2l::test::expectError;
using l2l::test::GroupedQuadratic;

namespace {
LstmArch smallArch(int hidden)
{
    LstmArch a;
    a.hidden = hidden;
    return a;
}

// Two nets with larger weights than init() gives (every path carries signal), and different from each other.
LstmNet<double> twoNets(const LstmArch& a, std::uint64_t seed) { return randomNet(a, seed, 2); }

void writeText(const QString& path, const std::string& text)
{
    std::ofstream(path.toStdString(), std::ios::binary) << text;
}
} // namespace

class TestParamGroups : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    QString path(const char* name) { return m_tmp.path() + "/" + name; }

private slots:
    void spans()
    {
        const GroupedQuadratic<double> p(3, 4, 2, 1);
        const auto s = netSpans(2, p.paramBlocks(), 9);
        QCOMPARE(int(s.size()), 3);
        QCOMPARE(s[1].offset, Index(3));
        QCOMPARE(s[1].size, Index(4));
        QCOMPARE(s[1].net, 1);
        QCOMPARE(s[2].net, 0);
        const auto one = netSpans(1, p.paramBlocks(), 9); // one net serves all groups
        QCOMPARE(int(one.size()), 1);
        QCOMPARE(one[0].size, Index(9));
        // Adjacent blocks of one group merge into one span.
        const auto merged = netSpans(2, {{"w1", 0, 2, 0}, {"w2", 2, 3, 0}, {"b", 5, 1, 1}}, 6);
        QCOMPARE(int(merged.size()), 2);
        QCOMPARE(merged[0].size, Index(5));
    }

    void twoNetsEqualEachNetOnItsSlice_data()
    {
        QTest::addColumn<int>("threads");
        QTest::newRow("1 thread") << 1;
        QTest::newRow("2 threads") << 2;
    }

    void twoNetsEqualEachNetOnItsSlice()
    {
        // Spans of 300, 700 and 250 coordinates: blocks of 256 are cut at the span borders. Every
        // coordinate's update and state must equal net k run alone on that slice.
        QFETCH(int, threads);
        const LstmNet<double> net = twoNets(smallArch(20), 3);
        const LstmNet<double> net0 = net.single(0), net1 = net.single(1);
        const std::vector<ParamBlock> blocks{{"a", 0, 300, 0}, {"b", 300, 700, 1}, {"c", 1000, 250, 0}};
        const Index n = 1250;
        struct Slice {
            Index offset, size;
            const LstmNet<double>* net;
        };
        const std::vector<Slice> slices{{0, 300, &net0}, {300, 700, &net1}, {1000, 250, &net0}};
        LstmRunner<double> both(&net, threads);
        both.reset(netSpans(2, blocks, n));
        LstmState<double> state;
        state.reset(net.arch, n);
        std::vector<LstmRunner<double>> alone;
        std::vector<LstmState<double>> aloneState(slices.size());
        for (size_t i = 0; i < slices.size(); ++i) {
            alone.emplace_back(slices[i].net, 1);
            alone.back().reset(slices[i].size);
            aloneState[i].reset(net.arch, slices[i].size);
        }
        Rng rng(4);
        Vec<double> u(n);
        double worst = 0, netsDiffer = 0;
        for (int step = 0; step < 4; ++step) {
            Vec<double> g(n);
            for (Index k = 0; k < n; ++k) g(k) = rng.normal() * std::pow(10.0, -4 * rng.uniform());
            both.forward(g, state, u, nullptr);
            for (size_t i = 0; i < slices.size(); ++i) {
                const Slice& sl = slices[i];
                Vec<double> us(sl.size);
                alone[i].forward(g.segment(sl.offset, sl.size), aloneState[i], us, nullptr);
                worst = std::max(worst, (us - u.segment(sl.offset, sl.size)).cwiseAbs().maxCoeff());
                for (int l = 0; l < net.arch.layers; ++l) {
                    const size_t L = size_t(l);
                    worst = std::max(
                        worst, (aloneState[i].h[L] - state.h[L].middleCols(sl.offset, sl.size)).cwiseAbs().maxCoeff());
                    worst = std::max(
                        worst, (aloneState[i].c[L] - state.c[L].middleCols(sl.offset, sl.size)).cwiseAbs().maxCoeff());
                }
            }
            // Net 1 really is a different net: on the group-1 gradients, net 0 would give other updates.
            LstmRunner<double> wrong(&net0, 1);
            LstmState<double> ws;
            ws.reset(net.arch, 700);
            Vec<double> uw(700);
            wrong.forward(g.segment(300, 700), ws, uw, nullptr);
            if (step == 0) netsDiffer = (uw - u.segment(300, 700)).cwiseAbs().maxCoeff();
        }
        qInfo("2-net runner vs each net alone on its slice: maxdiff %g (nets differ by %g)", worst, netsDiffer);
        // Exact, not a tolerance: the 2-net runner cuts its spans into the same blocks (256 + 44, 256 + 256 +
        // 188, 250 columns) as the runners on the slices do, so every column goes through the same products at
        // the same place in the same block shapes. (QCOMPARE against 0.0 lets |worst| <= 1e-12 pass.)
        QCOMPARE(worst, 0.0);
        QVERIFY(netsDiffer > 1e-6);
    }

    void ruleUsesTheLayout()
    {
        // LstmRule with the problem's blocks = the runner with the spans; without blocks it refuses.
        const LstmNet<double> net = twoNets(smallArch(8), 5);
        GroupedQuadratic<double> p(5, 6, 4, 2);
        LstmRule<double> rule(net, 1);
        rule.setParamBlocks(p.paramBlocks());
        rule.reset(p.dim());
        LstmRunner<double> runner(&net, 1);
        runner.reset(netSpans(2, p.paramBlocks(), p.dim()));
        LstmState<double> state;
        state.reset(net.arch, p.dim());
        Vec<double> theta = p.initialTheta(), theta2 = theta, g(p.dim()), u(p.dim());
        for (int step = 0; step < 3; ++step) {
            p.valueAndGradient(theta, g, step);
            rule.step(theta, g);
            runner.forward(g, state, u, nullptr);
            theta2 += u;
        }
        QCOMPARE((theta - theta2).cwiseAbs().maxCoeff(), 0.0); // exact: LstmRule runs an LstmRunner on the same spans
        LstmRule<double> blind(net, 1);
        expectError([&] { blind.reset(p.dim()); }, {"2 nets", "1 parameter group"});
    }

    void metaGradientOfTwoNets()
    {
        // Surrogate: the optimizee gradients of one trajectory frozen as the inputs; L(phi) for
        // phi = [net 0; net 1] by central differences, every entry of both nets.
        GroupedQuadratic<double> prob(4, 3, 2, 7);
        const LstmNet<double> net = twoNets(smallArch(5), 8);
        EpisodeState<double> start;
        start.start(prob, net.arch);
        Unroller<double> warm(&net, 1);
        warm.window(prob, start, 3, false, nullptr);
        const int K = 5;
        EpisodeState<double> traj = start;
        Unroller<double> unroller(&net, 2);
        Vec<double> dphi;
        std::vector<Vec<double>> inputs;
        unroller.window(prob, traj, K, false, &dphi, nullptr, &inputs);
        QCOMPARE(dphi.size(), net.params.size());
        auto surrogate = [&](const Vec<double>& phi) {
            LstmNet<double> p{net.arch, phi, 2};
            EpisodeState<double> t = start;
            Unroller<double> u(&p, 1);
            return u.window(prob, t, K, false, nullptr, &inputs);
        };
        const double scale = dphi.cwiseAbs().maxCoeff();
        double maxRel = 0, maxAbs = 0;
        const double h = 1e-6;
        for (Index i = 0; i < net.params.size(); ++i) {
            Vec<double> p = net.params;
            p(i) += h;
            const double fp = surrogate(p);
            p(i) -= 2 * h;
            const double fm = surrogate(p);
            const double err = std::abs((fp - fm) / (2 * h) - dphi(i));
            maxAbs = std::max(maxAbs, err / scale);
            if (std::abs(dphi(i)) > 1e-3 * scale) maxRel = std::max(maxRel, err / std::abs(dphi(i)));
        }
        const Index P = net.arch.paramCount();
        const double g0 = dphi.head(P).norm(), g1 = dphi.tail(P).norm();
        qInfo("2-net first-order meta-gradient vs surrogate FD over all %d entries: max rel err %.3g, max abs "
              "err/|g|inf %.3g; "
              "|dphi| net 0 %.3g, net 1 %.3g",
              int(dphi.size()), maxRel, maxAbs, g0, g1);
        QVERIFY(maxRel < 1e-5);
        QVERIFY(maxAbs < 1e-7);
        QVERIFY(g0 > 0 && g1 > 0); // both nets are trained
    }

    void fileRoundTrip()
    {
        OptimizerFile f;
        f.net = LstmNet<float>::init(smallArch(20), 11, 2);
        f.provenance.training.problem = "convnet";
        const std::string text = optimizerToJson(f);
        const auto doc = nlohmann::json::parse(text);
        QCOMPARE(doc["version"].get<int>(), 2);
        QCOMPARE(doc["groups"].get<int>(), 2);
        QCOMPARE(doc["nets"][1]["group"].get<int>(), 1);
        QVERIFY(!doc.contains("weights"));
        saveOptimizer(path("two.json").toStdString(), f);
        const OptimizerFile g = loadOptimizer(path("two.json").toStdString());
        QCOMPARE(g.net.nets, 2);
        QVERIFY(g.net.arch == f.net.arch);
        QVERIFY(g.net.params == f.net.params); // float32 weights survive the text format exactly
        QVERIFY(g.net.single(0).params == LstmNet<float>::init(smallArch(20), 11).params); // net 0 = the one-net init
        // Nets listed in any order land at their group.
        auto swapped = doc;
        std::swap(swapped["nets"][0], swapped["nets"][1]);
        QVERIFY(optimizerFromJson(swapped.dump(), "swapped").net.params == f.net.params);
    }

    void badMultiNetFiles()
    {
        OptimizerFile f;
        f.net = LstmNet<float>::init(smallArch(4), 12, 2);
        const auto doc = nlohmann::json::parse(optimizerToJson(f));
        auto check = [&](const char* name, const nlohmann::json& bad, const QString& part, const QString& part2 = {}) {
            writeText(path(name), bad.dump());
            expectError([&] { loadOptimizer(path(name).toStdString()); }, {part, part2, path(name)});
        };
        auto missing = doc;
        missing["nets"].erase(1);
        check("missing.json", missing, "the net for parameter group 1 is missing", "\"nets\" has 1");
        auto noGroups = doc;
        noGroups.erase("groups");
        check("nogroups.json", noGroups, "no integer \"groups\"");
        auto outOfRange = doc;
        outOfRange["nets"][1]["group"] = 2;
        check("range.json", outOfRange, "net 1: serves group 2", "\"groups\" is 2");
        auto twice = doc;
        twice["nets"][1]["group"] = 0;
        check("twice.json", twice, "net 1: serves group 0", "already serves");
        auto noGroup = doc;
        noGroup["nets"][0].erase("group");
        check("nogroup.json", noGroup, "net 0: has no integer \"group\"");
        auto noWeights = doc;
        noWeights["nets"][1].erase("weights");
        check("noweights.json", noWeights, "net 1: has no \"weights\"");
        auto shortNet = doc;
        shortNet["nets"][1]["weights"].erase(0);
        check("short.json", shortNet, "net 1: has " + QString::number(f.net.arch.paramCount() - 1) + " weights");
        auto nan = doc;
        nan["nets"][0]["weights"][3] = "x";
        check("nan.json", nan, "net 0: weight 3 is not a number");
        auto noNets = doc;
        noNets.erase("nets");
        check("nonets.json", noNets, "has no \"nets\" array");
        auto v3 = doc;
        v3["version"] = 3;
        check("v3.json", v3, "has version 3", "reads versions 1 and 2");
    }

    void singleNetFilesUnchanged()
    {
        // Every bundled optimizer loads; a one-net optimizer is still written as version 1 with a flat
        // "weights" array, a several-net one (the conv net's, one per parameter group) as version 2.
        const QDir dir(QString::fromStdString(resourceDir()) + "/optimizers");
        const QStringList files = dir.entryList({"*.json"});
        QVERIFY(files.size() >= 5);
        int multi = 0;
        for (const QString& name : files) {
            const OptimizerFile f = loadOptimizer(dir.filePath(name).toStdString());
            QCOMPARE(f.net.params.size(), Index(f.net.nets) * f.net.arch.paramCount());
            const auto doc = nlohmann::json::parse(optimizerToJson(f));
            QCOMPARE(doc["version"].get<int>(), f.net.nets == 1 ? 1 : 2);
            QCOMPARE(doc.contains("weights"), f.net.nets == 1);
            QVERIFY(optimizerFromJson(doc.dump(), name.toStdString()).net.params == f.net.params);
            if (f.net.nets > 1) ++multi;
        }
        QCOMPARE(multi, 1); // convnet.json
        QCOMPARE(loadOptimizer(dir.filePath("convnet.json").toStdString()).net.nets, 2);
    }

    void groupCountMismatch()
    {
        // A 2-net optimizer on a one-group problem: the unroller, the rule factory and fine-tuning refuse.
        const LstmNet<double> net = twoNets(smallArch(4), 13);
        auto quad = makeProblemClass<double>("quadratic:dim=6")->sample(1);
        EpisodeState<double> traj;
        traj.start(*quad, net.arch);
        Unroller<double> u(&net, 1);
        expectError([&] { u.window(*quad, traj, 2, false, nullptr); },
                    {"has 2 nets", "has 1 parameter group", "--groups per-block"});
        OptimizerFile f;
        f.net = net.cast<float>();
        saveOptimizer(path("two-nets.json").toStdString(), f);
        expectError(
            [&] {
                makeRuleFactory(UpdateRuleConfig::parse("lstm:path=" + path("two-nets.json").toStdString()),
                                "quadratic");
            },
            {"two-nets.json", "on quadratic", "has 2 nets", "has 1 parameter group"});
        MetaTrainConfig c;
        c.problem = "quadratic";
        c.threads = 1;
        expectError([&] { MetaTrainer t(c, f.net); }, {"initial optimizer has 2 nets", "needs 1"});
        QCOMPARE(paramGroupsFromName("per-block"), ParamGroups::PerBlock);
        expectError([] { paramGroupsFromName("layers"); },
                    {"unknown parameter grouping 'layers'", "shared, per-block"});
    }

    void perBlockTraining()
    {
        // --groups per-block on a tiny convnet: two nets, trained together; a checkpoint resumes exactly.
        MetaTrainConfig c;
        c.problem = "convnet:batch=4,channels=2,fc_units=4,conv_layers=1,kernel=3";
        c.groups = ParamGroups::PerBlock;
        c.epochs = 2;
        c.horizon = 4;
        c.unroll = 2;
        c.validateEvery = 1;
        c.validationRuns = 1;
        c.threads = 1;
        c.arch.hidden = 4;
        MetaTrainer t(c);
        QCOMPARE(t.state().net.nets, 2);
        const Vec<float> before = t.state().net.params;
        t.run(nullptr, nullptr);
        const Index P = c.arch.paramCount();
        const Vec<float> after = t.state().net.params;
        QVERIFY((after.head(P) - before.head(P)).norm() > 0);
        QVERIFY((after.tail(P) - before.tail(P)).norm() > 0);
        saveCheckpoint(path("ck.json").toStdString(), t.state());
        const MetaTrainState s = loadCheckpoint(path("ck.json").toStdString());
        QCOMPARE(s.net.nets, 2);
        QCOMPARE(s.best.nets, 2);
        QVERIFY(s.config.groups == ParamGroups::PerBlock);
        QVERIFY(s.net.params == after);
        const OptimizerFile best = t.bestOptimizer("test");
        QCOMPARE(best.net.nets, 2);
        // Shared grouping on the same class: one net.
        c.groups = ParamGroups::Shared;
        QCOMPARE(MetaTrainer(c).state().net.nets, 1);
    }
};

QTEST_APPLESS_MAIN(TestParamGroups)
#include "test_param_groups.moc"
