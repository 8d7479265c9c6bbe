// LSTM+GAC, the paper's Appendix D (core/optimizers/LstmNet.h): the first G units of every layer are global
// averaging cells, their rows of h replaced after every step by their mean over the coordinates of the net.
// Checked here: what a step does to the state; that G = 0 and a lone coordinate change nothing; the truncated-BPTT
// meta-gradient against finite differences in double (first order against the frozen-gradient surrogate, second
// order against the true loss), one and two layers, one and two nets; the same bits on 1, 2 and 3 threads over
// several 256-column blocks; the optimizer file (round trip, bad values named), the settings, the PyTorch export's
// refusal and the Inspect response curve.
#include "ExpectError.h"
#include "FdCheck.h"
#include "GroupedQuadratic.h"
#include "RandomNet.h"
#include "base/Rng.h"
#include "eval/Inspect.h"
#include "io/TorchExport.h"
#include "meta/Bptt.h"
#include "meta/MetaTrainer.h"
#include "optimizers/LstmOptimizer.h"
#include "optimizers/MetaTrainConfig.h"
#include "optimizers/OptimizerFile.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <fstream>
#include <limits>

using namespace l2l;
using l2l::test::expectError;
using l2l::test::GroupedQuadratic;

namespace {

LstmArch gacArch(int layers, int hidden, int gac, Preprocess pre = Preprocess::LogSign)
{
    LstmArch a;
    a.layers = layers;
    a.hidden = hidden;
    a.gac = gac;
    a.preprocess = pre;
    a.outputScale = 0.1;
    return a;
}

// Which net serves coordinate k of a problem (one net: 0).
std::vector<int> netOf(const std::vector<NetSpan>& spans)
{
    std::vector<int> out;
    for (const NetSpan& s : spans) out.insert(out.end(), size_t(s.size), s.net);
    return out;
}

std::unique_ptr<Problem<double>> makeProblem(const QString& spec)
{
    if (spec == "grouped") return std::make_unique<GroupedQuadratic<double>>(4, 3, 5, 7);
    return makeProblemClass<double>(spec.toStdString())->sample(5);
}

} // namespace

class TestGac : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    QString path(const char* name) { return m_tmp.path() + "/" + name; }

private slots:
    void averagedRowsAfterAStep();
    void noCellsOrOneCoordinateChangeNothing();
    void firstOrderMetaGradient_data();
    void firstOrderMetaGradient();
    void secondOrderMetaGradient_data();
    void secondOrderMetaGradient();
    void threadsDoNotChangeTheBits_data();
    void threadsDoNotChangeTheBits();
    void settingsAndValidation();
    void fileRoundTripAndBadValues();
    void trainingRecordsIt();
    void torchExportRefusesIt();
    void responseCurveIsPerValue();
};

void TestGac::averagedRowsAfterAStep()
{
    // Two nets, net 0 on two spans. From the zero state, step 1 computes the same raw h with and without GAC (h_prev
    // is 0 either way): the GAC state's rows < G must be the mean of the raw rows over each net's coordinates (both
    // of net 0's spans together), equal across those coordinates, and every other row and the update unchanged.
    const int G = 3;
    const LstmNet<double> plain = randomNet(gacArch(2, 8, 0), 3, 2);
    LstmNet<double> gac = plain;
    gac.arch.gac = G;
    GroupedQuadratic<double> prob(300, 280, 40, 2); // blocks 256 + 44 | 256 + 24 | 40
    const Index n = prob.dim();
    const std::vector<NetSpan> spans = netSpans(2, prob.paramBlocks(), n);
    const std::vector<int> net = netOf(spans);
    Vec<double> g(n);
    prob.valueAndGradient(prob.initialTheta(), g, 0);
    LstmRunner<double> rp(&plain, 2), rg(&gac, 2);
    rp.reset(spans);
    rg.reset(spans);
    LstmState<double> sp, sg;
    sp.reset(plain.arch, n);
    sg.reset(gac.arch, n);
    Vec<double> up(n), ug(n);
    LstmStepCache<double> cache;
    cache.resize(gac.arch, n);
    rp.forward(g, sp, up, nullptr);
    rg.forward(g, sg, ug, &cache);
    QVERIFY(up == ug); // exact: the update reads the raw h
    double worst = 0;
    for (int l = 0; l < 2; ++l) {
        const size_t L = size_t(l);
        QVERIFY(sp.h[L].bottomRows(8 - G) == sg.h[L].bottomRows(8 - G));
        QVERIFY(sp.c[L] == sg.c[L]); // cells are never averaged
        QCOMPARE(int(cache.hMean[L].rows()), G);
        QCOMPARE(int(cache.hMean[L].cols()), 2);
        for (int k = 0; k < 2; ++k)
            for (int r = 0; r < G; ++r) {
                long double sum = 0; // the mean in extended precision: the runner's double sum is within
                Index count = 0;     // count * 2^-53 * sum |h| of it, then rounded once
                double abs = 0;
                for (Index c = 0; c < n; ++c)
                    if (net[size_t(c)] == k) sum += sp.h[L](r, c), abs += std::abs(sp.h[L](r, c)), ++count;
                const double mean = double(sum / count), bound = (double(count) + 2) * 0x1p-53 * abs / double(count);
                worst = std::max(worst, std::abs(cache.hMean[L](r, k) - mean) / bound);
                for (Index c = 0; c < n; ++c)
                    if (net[size_t(c)] == k) QVERIFY(sg.h[L](r, c) == cache.hMean[L](r, k)); // one value everywhere
            }
        // The two nets' means differ (they average different coordinates with different weights).
        QVERIFY(cache.hMean[L].col(0) != cache.hMean[L].col(1));
    }
    qInfo("GAC means vs extended-precision means: largest difference / its rounding bound %.3g", worst);
    QVERIFY(worst <= 1);
    // Step 2 reads the means as h_prev: the updates now differ.
    rp.forward(g, sp, up, nullptr);
    rg.forward(g, sg, ug, nullptr);
    QVERIFY((up - ug).cwiseAbs().maxCoeff() > 1e-6);
}

void TestGac::noCellsOrOneCoordinateChangeNothing()
{
    // G = 0 is the paper's LSTM bit for bit (test_fingerprint_committed checks the published numbers). And the mean
    // over one coordinate is that coordinate's own value (sum in double of one float, divided by 1, rounded back):
    // on a single coordinate, GAC changes no bit, in float like the optimizer runs, for 20 steps.
    LstmNet<float> plain = LstmNet<float>::init(gacArch(2, 20, 0), 5);
    LstmNet<float> gac = plain;
    gac.arch.gac = 7;
    LstmRule<float> a(plain, 1), b(gac, 1);
    a.reset(1);
    b.reset(1);
    Vec<float> ta = Vec<float>::Constant(1, 0.3f), tb = ta, g(1);
    for (int s = 0; s < 20; ++s) {
        g(0) = 2.0f * ta(0) - 0.1f; // f = (theta - 0.05)^2
        a.step(ta, g);
        g(0) = 2.0f * tb(0) - 0.1f;
        b.step(tb, g);
        for (int l = 0; l < 2; ++l) QVERIFY(a.state().h[size_t(l)] == b.state().h[size_t(l)]);
    }
    QVERIFY(ta(0) == tb(0));
    // With two coordinates the cells do couple them.
    LstmRule<float> c(plain, 1), d(gac, 1);
    c.reset(2);
    d.reset(2);
    Vec<float> tc(2), td(2), g2(2);
    tc << 0.3f, -2.0f;
    td = tc;
    for (int s = 0; s < 5; ++s) {
        g2 = 2.0f * tc;
        c.step(tc, g2);
        g2 = 2.0f * td;
        d.step(td, g2);
    }
    QVERIFY(tc != td);
}

void TestGac::firstOrderMetaGradient_data()
{
    QTest::addColumn<QString>("problem");
    QTest::addColumn<int>("layers");
    QTest::addColumn<int>("hidden");
    QTest::addColumn<int>("gac");
    QTest::addColumn<int>("nets");
    QTest::addColumn<int>("entries"); // phi entries checked (all if >= the count)
    QTest::addColumn<bool>("rnnprop");
    QTest::newRow("quadratic, 1 layer of 8, G = 3, every entry") << "quadratic" << 1 << 8 << 3 << 1 << 100000 << false;
    QTest::newRow("quadratic, 2 layers of 8, G = 2, every entry") << "quadratic" << 2 << 8 << 2 << 1 << 100000 << false;
    QTest::newRow("quadratic, 2 layers of 6, every unit a GAC") << "quadratic" << 2 << 6 << 6 << 1 << 100000 << false;
    QTest::newRow("2 nets on 3 spans, 2 layers of 6, G = 2, every entry")
        << "grouped" << 2 << 6 << 2 << 2 << 100000 << false;
    QTest::newRow("2 nets, 1 layer of 5, G = 1, every entry") << "grouped" << 1 << 5 << 1 << 2 << 100000 << false;
    QTest::newRow("quadratic, rnnprop + input layer + tanh, G = 3, 1000 entries")
        << "quadratic" << 2 << 10 << 3 << 1 << 1000 << true;
    QTest::newRow("mnist mlp, 2 layers of 20, G = 4, 100 entries")
        << "mnist:hidden=5,batch=16" << 2 << 20 << 4 << 1 << 100 << false;
}

void TestGac::firstOrderMetaGradient()
{
    // Surrogate: the optimizee gradients of one trajectory frozen as the optimizer's inputs; L(phi) = sum_j
    // f(theta_{s0+j}(phi)) differentiated by central differences. The window starts from a warmed-up state (its
    // averaged rows non-zero) and runs on 2 threads.
    QFETCH(QString, problem);
    QFETCH(int, layers);
    QFETCH(int, hidden);
    QFETCH(int, gac);
    QFETCH(int, nets);
    QFETCH(int, entries);
    QFETCH(bool, rnnprop);
    auto prob = makeProblem(problem);
    LstmArch a = gacArch(layers, hidden, gac);
    if (rnnprop) {
        a.preprocess = Preprocess::Rnnprop;
        a.inputLayer = 6;
        a.output = OutputActivation::Tanh;
    }
    const LstmNet<double> net = randomNet(a, 8, nets);
    EpisodeState<double> start;
    start.start(*prob, net.arch);
    Unroller<double> warm(&net, 1);
    warm.window(*prob, start, 3, false, nullptr);
    const int K = 5;
    EpisodeState<double> traj = start;
    Unroller<double> unroller(&net, 2);
    Vec<double> dphi;
    std::vector<Vec<double>> inputs;
    unroller.window(*prob, traj, K, false, &dphi, nullptr, &inputs);
    auto surrogate = [&](const Vec<double>& phi) {
        LstmNet<double> p{net.arch, phi, nets};
        EpisodeState<double> t = start;
        Unroller<double> u(&p, 1);
        return u.window(*prob, t, K, false, nullptr, &inputs);
    };
    const FdCheck r = fdCheck(dphi, sumLoss(surrogate), net.params, entries, 1e-6, 8, phiBlocks(net.arch, nets));
    qInfo("%s: GAC first-order meta-gradient vs surrogate FD over %d of %d entries and %d directions: worst error / "
          "bound %.3g, max rel "
          "err %.3g, largest bound / |dphi|inf %.3g",
          qPrintable(problem), r.checked, int(net.params.size()), r.directions, r.worstRatio, r.maxRelErr, r.maxBound);
    L2L_VERIFY_FD_CHECK(r);
}

void TestGac::secondOrderMetaGradient_data()
{
    QTest::addColumn<QString>("problem");
    QTest::addColumn<int>("layers");
    QTest::addColumn<int>("nets");
    QTest::newRow("quadratic dim 10, 2 layers, G = 3") << "quadratic:dim=10" << 2 << 1;
    QTest::newRow("2 nets on 3 spans, 1 layer, G = 3") << "grouped" << 1 << 2;
}

void TestGac::secondOrderMetaGradient()
{
    // With second derivatives the meta-gradient is the exact gradient of the true truncated loss.
    QFETCH(QString, problem);
    QFETCH(int, layers);
    QFETCH(int, nets);
    auto prob = makeProblem(problem);
    const LstmNet<double> net = randomNet(gacArch(layers, 8, 3), 9, nets);
    EpisodeState<double> start;
    start.start(*prob, net.arch);
    Unroller<double> warm(&net, 1);
    warm.window(*prob, start, 3, false, nullptr);
    const int K = 6;
    EpisodeState<double> traj = start, traj2 = start;
    Unroller<double> unroller(&net, 2);
    Vec<double> dphi, dphiFirst;
    unroller.window(*prob, traj, K, true, &dphi);
    unroller.window(*prob, traj2, K, false, &dphiFirst);
    auto trueLoss = [&](const Vec<double>& phi) {
        LstmNet<double> p{net.arch, phi, nets};
        EpisodeState<double> t = start;
        Unroller<double> u(&p, 1);
        return u.window(*prob, t, K, false, nullptr);
    };
    const FdCheck r = fdCheck(dphi, sumLoss(trueLoss), net.params, 100000, 1e-6);
    const double differ = (dphi - dphiFirst).norm() / dphi.norm();
    qInfo("%s: GAC second-order meta-gradient vs true-loss FD over all %d entries: worst error / bound %.3g, max rel "
          "err %.3g; first order differs by %.3g",
          qPrintable(problem), r.checked, r.worstRatio, r.maxRelErr, differ);
    L2L_VERIFY_FD_CHECK(r);
    QVERIFY(differ > 1e-3); // the second-order terms are really there
}

void TestGac::threadsDoNotChangeTheBits_data()
{
    QTest::addColumn<int>("nets");
    QTest::newRow("1 net, 1070 coordinates in 5 blocks") << 1;
    QTest::newRow("2 nets, 3 spans in 6 blocks") << 2;
}

void TestGac::threadsDoNotChangeTheBits()
{
    // Float, as training runs: two windows of BPTT (forward states, losses, meta-gradient) on 1, 2 and 3 threads.
    QFETCH(int, nets);
    GroupedQuadratic<float> prob(300, 520, 250, 4);
    const LstmNet<float> net = randomNet(gacArch(2, 12, 4), 6, nets).cast<float>();
    struct Result {
        Vec<float> theta, dphi;
        std::vector<Mat<float>> h;
        double loss = 0;
    };
    auto run = [&](int threads) {
        EpisodeState<float> traj;
        traj.start(prob, net.arch);
        Unroller<float> u(&net, threads);
        Result r;
        Vec<float> d;
        r.loss = u.window(prob, traj, 5, false, &d);
        r.loss += u.window(prob, traj, 5, false, &r.dphi);
        r.dphi += d;
        r.theta = traj.theta;
        r.h = traj.state.h;
        return r;
    };
    const Result one = run(1);
    for (int threads : {2, 3}) {
        const Result r = run(threads);
        QVERIFY2(r.theta == one.theta, qPrintable(QString("%1 threads").arg(threads)));
        QVERIFY(r.dphi == one.dphi);
        QVERIFY(r.h == one.h);
        QVERIFY(r.loss == one.loss);
    }
    QVERIFY(one.dphi.allFinite() && one.dphi.norm() > 0);
    // The averaged rows are equal across each net's coordinates in the state carried between windows.
    const std::vector<int> net0 = netOf(netSpans(nets, prob.paramBlocks(), prob.dim()));
    for (const Mat<float>& h : one.h)
        for (Index c = 1; c < h.cols(); ++c) {
            const Index first = net0[size_t(c)] == 0 ? 0 : 300; // the first coordinate of the same net
            QVERIFY(h.topRows(4).col(c) == h.topRows(4).col(first));
        }
}

void TestGac::settingsAndValidation()
{
    // A row of the architecture's table, so a flag of `l2l train`, a key of files and provenance, in the recorded
    // command; added in settings version 6 (older files load with 0).
    const auto* f = metaTrainSettings().find("gac");
    QVERIFY(f);
    QCOMPARE(f->flag, std::string("gac"));
    QCOMPARE(f->since, 6);
    QVERIFY((f->use & kInFile) && (f->use & kInCli));
    MetaTrainConfig c;
    c.arch.gac = 5;
    QVERIFY(settingsCommand(metaTrainSettings(), c, MetaTrainConfig{}).find(" --gac 5") != std::string::npos);
    QVERIFY(settingsCommand(metaTrainSettings(), MetaTrainConfig{}, MetaTrainConfig{}).find("gac") ==
            std::string::npos);
    c.validate();
    c.arch.gac = 21; // more cells than units
    expectError([&] { c.validate(); }, {"train:", "gac (--gac)", "hidden (--hidden) = 20", "got 21"});
    c.arch.hidden = 40;
    c.validate();
    c.arch.gac = -1;
    expectError([&] { c.validate(); }, {"gac (--gac)", "[0, 256]", "-1"});
    LstmArch a;
    a.gac = 30;
    expectError([&] { a.validate(); }, {"lstm:", "gac (--gac)", "at most hidden"});
    expectError([&] { LstmNet<float>::init(a, 1); }, {"gac"});
}

void TestGac::fileRoundTripAndBadValues()
{
    OptimizerFile f;
    f.net = LstmNet<float>::init(gacArch(2, 20, 3), 11);
    const std::string text = optimizerToJson(f);
    QCOMPARE(nlohmann::json::parse(text)["architecture"]["gac"].get<int>(), 3);
    saveOptimizer(path("gac.json").toStdString(), f);
    const OptimizerFile g = loadOptimizer(path("gac.json").toStdString());
    QCOMPARE(g.net.arch.gac, 3);
    QVERIFY(g.net.arch == f.net.arch);
    QVERIFY(g.net.params == f.net.params);
    // Without cells the file is what it always was: no "gac" key (and a file without one reads as 0).
    OptimizerFile plain;
    plain.net = LstmNet<float>::init(gacArch(2, 20, 0), 11);
    const std::string plainText = optimizerToJson(plain);
    QVERIFY(!nlohmann::json::parse(plainText)["architecture"].contains("gac"));
    QCOMPARE(optimizerFromJson(plainText, "p.json").net.arch.gac, 0);
    QVERIFY(plain.net.params == f.net.params); // the cells add no weights: the same init
    // A stranger's file: every bad value is refused, naming the file and the key.
    struct Bad {
        nlohmann::json value;
        std::vector<QString> parts;
    };
    const std::vector<Bad> bad = {
        {21, {"bad.json", "gac (--gac)", "at most hidden", "20", "got 21"}},
        {-1, {"bad.json", "gac", "[0, 256]"}},
        {257, {"bad.json", "gac", "[0, 256]"}},
        {4294967299ULL, {"bad.json", "gac"}}, // must not wrap to 3
        {2.5, {"bad.json", "\"gac\"", "integer"}},
        {"3", {"bad.json", "\"gac\""}},
        {nullptr, {"bad.json", "\"gac\""}},
    };
    for (const Bad& b : bad) {
        nlohmann::json doc = nlohmann::json::parse(text);
        doc["architecture"]["gac"] = b.value;
        std::ofstream(path("bad.json").toStdString()) << doc.dump();
        try {
            loadOptimizer(path("bad.json").toStdString());
            QFAIL(qPrintable("accepted gac = " + QString::fromStdString(b.value.dump())));
        } catch (const Error& e) {
            for (const QString& part : b.parts)
                QVERIFY2(QString(e.what()).contains(part),
                         qPrintable(QString::fromStdString(b.value.dump()) + ": " + e.what()));
        }
    }
}

void TestGac::trainingRecordsIt()
{
    // Meta-training with cells: the kept optimizer has them, its provenance command says so, and evaluation of the
    // saved file runs them (the learned optimizer on 5 quadratics, paired with SGD).
    MetaTrainConfig c;
    c.problem = "quadratic";
    c.epochs = 3;
    c.horizon = 20;
    c.validateEvery = 3;
    c.validationRuns = 3;
    c.threads = 1;
    c.arch.gac = 2;
    MetaTrainer t(c);
    t.run({}, nullptr);
    const std::string command = "l2l train" + settingsCommand(metaTrainSettings(), c, MetaTrainConfig{});
    const OptimizerFile f = t.bestOptimizer(command);
    QCOMPARE(f.net.arch.gac, 2);
    saveOptimizer(path("trained.json").toStdString(), f);
    const OptimizerFile g = loadOptimizer(path("trained.json").toStdString());
    QCOMPARE(g.provenance.training.arch.gac, 2);
    QVERIFY(g.provenance.command.find("--gac 2") != std::string::npos);
}

void TestGac::torchExportRefusesIt()
{
    // The PyTorch module runs each parameter's coordinates on their own: it does not reproduce the cells, so it
    // refuses the file, naming the setting, rather than approximating it.
    OptimizerFile f;
    f.net = LstmNet<float>::init(gacArch(2, 20, 2), 1);
    const std::string why = torchExportRefusal(f);
    QVERIFY2(why.find("\"gac\" = 2") != std::string::npos && why.find("refusing") != std::string::npos, why.c_str());
    expectError([&] { torchModule(f, "some/gac.json"); }, {"some/gac.json", "PyTorch", "gac"});
    f.net.arch.gac = 0;
    QVERIFY(torchExportRefusal(f).empty());
}

void TestGac::responseCurveIsPerValue()
{
    // The response curve of a GAC net: every gradient value as if all coordinates saw it, so one value's curve does
    // not depend on the other values of the sweep.
    const LstmNet<float> net = randomNet(gacArch(2, 10, 3), 12, 1).cast<float>();
    const std::vector<double> sweep = symmetricLogGradients(5, 1e-4, 10);
    const ResponseCurve all = lstmResponse(net, sweep, 4);
    for (size_t i : {size_t(0), size_t(4), size_t(9)}) {
        const ResponseCurve one = lstmResponse(net, {sweep[i]}, 4);
        QVERIFY(one.lstmFirst[0] == all.lstmFirst[i]);
        QVERIFY(one.lstmWarm[0] == all.lstmWarm[i]);
    }
    QVERIFY(all.lstmWarm.front() != all.lstmWarm.back());
}

QTEST_APPLESS_MAIN(TestGac)
#include "test_gac.moc"
