// Off-policy imitation (Chen et al. 2020; meta/Bptt.h Unroller::setImitation, `l2l train --imitate`): the
// imitation term's meta-gradient against finite differences, its value against a hand-designed rule replayed on
// the same gradients, the teacher's state carried across windows, the settings' checks, and a training that
// imitates really moving the learned update towards the rule's.
#include "RandomNet.h"
#include "meta/Bptt.h"
#include "meta/MetaTrainer.h"
#include "optimizers/LstmOptimizer.h"

#include <QtTest>

using namespace l2l;

namespace {
LstmArch arch(Preprocess pre)
{
    LstmArch a;
    a.preprocess = pre;
    a.layers = 2;
    a.hidden = 8;
    if (pre == Preprocess::Rnnprop) {
        a.inputLayer = 6;
        a.output = OutputActivation::Tanh;
    }
    return a;
}

EpisodeState<double> warmEpisode(const LstmNet<double>& net, Problem<double>& problem, const std::string& teacher,
                                 double lambda, int warmSteps)
{
    EpisodeState<double> traj;
    traj.start(problem, net.arch, teacher);
    Unroller<double> u(&net, 1);
    u.setImitation(lambda);
    u.window(problem, traj, warmSteps, false, nullptr);
    return traj;
}
} // namespace

class TestImitation : public QObject {
    Q_OBJECT
private slots:
    void metaGradient_data();
    void metaGradient();
    void lossMatchesTheRuleReplayed();
    void teacherStateCarriesAcrossWindows();
    void offLeavesResultsUnchanged();
    void settingsAreChecked();
    void trainingMovesTowardsTheRule();
    void historyRecordsTheImitationTerm();
};

void TestImitation::metaGradient_data()
{
    QTest::addColumn<QString>("problem");
    QTest::addColumn<int>("pre");
    QTest::addColumn<QString>("teacher");
    QTest::addColumn<double>("lambda");
    QTest::newRow("quadratic, log-sign, adam") << "quadratic:dim=10" << 1 << "adam:lr=0.05" << 30.0;
    QTest::newRow("quadratic, rnnprop, nag") << "quadratic:dim=10" << 2 << "nag:lr=0.02" << 30.0;
    QTest::newRow("mnist mlp, log-sign, rmsprop") << "mnist:hidden=5,batch=16" << 1 << "rmsprop:lr=0.01" << 300.0;
}

void TestImitation::metaGradient()
{
    // First order: the meta-gradient is the exact gradient of the surrogate whose optimizer inputs are the recorded
    // gradients; with imitation the surrogate is sum f + lambda/2 sum |u - a|^2, a the teacher's update on those
    // inputs (a constant target). Double precision, central differences with h = 1e-6: truncation O(h^2) and
    // rounding O(eps |L| / h) ~ 1e-10 relative to the O(1) gradients, so 1e-5 relative has a wide margin.
    QFETCH(QString, problem);
    QFETCH(int, pre);
    QFETCH(QString, teacher);
    QFETCH(double, lambda);
    auto cls = makeProblemClass<double>(problem.toStdString());
    auto prob = cls->sample(5);
    const LstmNet<double> net = randomNet(arch(pre == 2 ? Preprocess::Rnnprop
                                               : pre    ? Preprocess::LogSign
                                                        : Preprocess::None),
                                          8);
    const EpisodeState<double> start = warmEpisode(net, *prob, teacher.toStdString(), lambda, 3);
    QVERIFY(start.teacher.rule != nullptr);
    const int K = 5;
    EpisodeState<double> traj = start;
    Unroller<double> unroller(&net, 2);
    unroller.setImitation(lambda);
    Vec<double> dphi, dphiOff;
    std::vector<Vec<double>> inputs;
    const double sum = unroller.window(*prob, traj, K, false, &dphi, nullptr, &inputs);
    const double imitation = unroller.imitationLoss();
    QVERIFY(imitation > 0);
    qInfo("window: sum f %.6g, imitation term %.6g", sum, imitation);
    auto surrogate = [&](const Vec<double>& phi) {
        LstmNet<double> p{net.arch, phi};
        EpisodeState<double> t = start;
        Unroller<double> u(&p, 1);
        u.setImitation(lambda);
        const double f = u.window(*prob, t, K, false, nullptr, &inputs);
        return f + u.imitationLoss();
    };
    const double h = 1e-6;
    const double scale = dphi.cwiseAbs().maxCoeff();
    double maxRel = 0, maxAbs = 0;
    for (Index i = 0; i < net.params.size(); i += 3) {
        Vec<double> p = net.params;
        p(i) += h;
        const double fp = surrogate(p);
        p(i) -= 2 * h;
        const double fm = surrogate(p);
        const double err = std::abs((fp - fm) / (2 * h) - dphi(i));
        maxAbs = std::max(maxAbs, err / scale);
        if (std::abs(dphi(i)) > 1e-3 * scale) maxRel = std::max(maxRel, err / std::abs(dphi(i)));
    }
    qInfo("imitation meta-gradient vs surrogate FD: max rel err %.3g, max abs err/|g|inf %.3g", maxRel, maxAbs);
    QVERIFY(maxRel < 1e-5);
    QVERIFY(maxAbs < 1e-7);
    // The imitation term's gradient is really in it: without it the meta-gradient differs.
    EpisodeState<double> off = start;
    Unroller<double> plain(&net, 2);
    plain.window(*prob, off, K, false, &dphiOff, nullptr);
    QVERIFY((dphi - dphiOff).norm() > 1e-2 * dphi.norm());
}

void TestImitation::lossMatchesTheRuleReplayed()
{
    // The term is lambda/2 sum_j |u_j - a_j|^2 with a_j the rule's update on the gradient the LSTM saw, the rule
    // started fresh with the episode: replayed here from the trace with a separate Adam.
    auto cls = makeProblemClass<double>("quadratic:dim=10");
    auto prob = cls->sample(7);
    const LstmNet<double> net = randomNet(arch(Preprocess::LogSign), 3);
    const double lambda = 2.5;
    EpisodeState<double> traj;
    traj.start(*prob, net.arch, "adam:lr=0.03");
    Unroller<double> u(&net, 1);
    u.setImitation(lambda);
    WindowTrace<double> trace;
    u.setTrace(&trace);
    const int K = 6;
    u.window(*prob, traj, K, false, nullptr);
    QCOMPARE(int(trace.updates.size()), K);
    auto adam = makeUpdateRule<double>(UpdateRuleConfig::parse("adam:lr=0.03"));
    adam->reset(10);
    double expected = 0;
    for (int j = 0; j < K; ++j) {
        Vec<double> a = Vec<double>::Zero(10);
        adam->step(a, trace.grads[size_t(j)]);
        expected += 0.5 * lambda * (trace.updates[size_t(j)] - a).squaredNorm();
    }
    qInfo("imitation term %.12g, replayed %.12g", u.imitationLoss(), expected);
    // The same double arithmetic in another order of summation: agreement to rounding (1e-12 relative).
    QVERIFY(std::abs(u.imitationLoss() - expected) <= 1e-12 * expected);
}

void TestImitation::teacherStateCarriesAcrossWindows()
{
    // Two windows of 3 steps give the imitation terms of one window of 6: the teacher's moments carry on.
    auto cls = makeProblemClass<double>("quadratic:dim=10");
    auto prob = cls->sample(9);
    const LstmNet<double> net = randomNet(arch(Preprocess::LogSign), 4);
    EpisodeState<double> one, two;
    one.start(*prob, net.arch, "adam:lr=0.05");
    two.start(*prob, net.arch, "adam:lr=0.05");
    Unroller<double> u(&net, 1);
    u.setImitation(1.0);
    u.window(*prob, one, 6, false, nullptr);
    const double whole = u.imitationLoss();
    u.window(*prob, two, 3, false, nullptr);
    double split = u.imitationLoss();
    u.window(*prob, two, 3, false, nullptr);
    split += u.imitationLoss();
    qInfo("one window %.12g, two windows %.12g", whole, split);
    QVERIFY(std::abs(whole - split) <= 1e-12 * whole);
    QVERIFY(one.theta == two.theta); // the learned trajectory itself does not depend on the imitation
}

void TestImitation::offLeavesResultsUnchanged()
{
    // Weight 0, or no teacher: the meta-gradient is bit for bit that of a run without imitation.
    auto cls = makeProblemClass<float>("quadratic:dim=10");
    auto prob = cls->sample(11);
    const LstmNet<float> net = LstmNet<float>::init(arch(Preprocess::LogSign), 12);
    Vec<float> plain, zeroWeight, noTeacher;
    {
        EpisodeState<float> t;
        t.start(*prob, net.arch);
        Unroller<float> u(&net, 1);
        u.window(*prob, t, 8, false, &plain);
    }
    {
        EpisodeState<float> t;
        t.start(*prob, net.arch, "adam:lr=0.1");
        Unroller<float> u(&net, 1);
        u.setImitation(0);
        u.window(*prob, t, 8, false, &zeroWeight);
        QCOMPARE(u.imitationLoss(), 0.0);
    }
    {
        EpisodeState<float> t;
        t.start(*prob, net.arch);
        Unroller<float> u(&net, 1);
        u.setImitation(5);
        u.window(*prob, t, 8, false, &noTeacher);
    }
    QVERIFY(plain == zeroWeight);
    QVERIFY(plain == noTeacher);
}

void TestImitation::settingsAreChecked()
{
    MetaTrainConfig c;
    c.imitate = "adam:lr=0.01";
    c.validate();
    const auto refused = [&](const std::string& imitate, const char* expected) {
        MetaTrainConfig bad;
        bad.imitate = imitate;
        try {
            bad.validate();
        } catch (const Error& e) {
            const std::string what = e.what();
            if (what.find("--imitate") == std::string::npos || what.find(expected) == std::string::npos) {
                qWarning("message for '%s': %s", imitate.c_str(), what.c_str());
                return false;
            }
            return true;
        }
        return false;
    };
    QVERIFY(refused("adam", "learning rate"));
    QVERIFY(refused("lstm", "hand-designed"));
    QVERIFY(refused("lbfgs:lr=1", "lbfgs"));
    QVERIFY(refused("foo", "(sgd, nag, rmsprop or adam")); // the rules it takes, not every optimizer (lstm is refused)
    QVERIFY(refused("adam:lr=-1", "lr"));
    // The schedule: constant without imitation epochs, else falling linearly to 0.
    c.imitationWeight = 4;
    QCOMPARE(c.imitationWeightAt(0), 4.0);
    QCOMPARE(c.imitationWeightAt(999), 4.0);
    c.imitationEpochs = 10;
    QCOMPARE(c.imitationWeightAt(0), 4.0);
    QCOMPARE(c.imitationWeightAt(5), 2.0);
    QCOMPARE(c.imitationWeightAt(10), 0.0);
    QCOMPARE(c.imitationWeightAt(50), 0.0);
    c.imitate.clear();
    QCOMPARE(c.imitationWeightAt(0), 0.0);
    // The settings travel through an optimizer file's provenance (the table's JSON) and back.
    MetaTrainConfig d;
    d.imitate = "nag:lr=0.1";
    d.imitationWeight = 0.5;
    d.imitationEpochs = 7;
    MetaTrainConfig back;
    settingsFromJson(metaTrainSettings(), settingsToJson(metaTrainSettings(), d), back, 0, "test");
    QCOMPARE(back.imitate, d.imitate);
    QCOMPARE(back.imitationWeight, 0.5);
    QCOMPARE(back.imitationEpochs, 7);
}

void TestImitation::trainingMovesTowardsTheRule()
{
    // Meta-training with a heavy imitation weight makes the learned update close to Adam's: the imitation term of
    // a fixed held-out episode falls by more than half (it is the dominant part of the objective here). Also: the
    // result does not depend on the thread count (a meta-batch of 2 run on 1 and on 2 threads).
    MetaTrainConfig c;
    c.problem = "quadratic:dim=10";
    c.epochs = 40;
    c.horizon = 20;
    c.unroll = 10;
    c.validateEvery = 40;
    c.validationRuns = 2;
    c.metaBatch = 2;
    c.learningRate = 0.01;
    c.imitate = "adam:lr=0.1";
    c.imitationWeight = 100;
    c.threads = 1;
    const auto termOf = [&](const LstmNet<float>& net) {
        auto cls = makeProblemClass<float>(c.problem);
        double total = 0;
        for (std::uint64_t seed : {101u, 102u, 103u}) {
            auto prob = cls->sample(seed);
            EpisodeState<float> t;
            t.start(*prob, net.arch, c.imitate);
            Unroller<float> u(&net, 1);
            u.setImitation(1.0);
            u.window(*prob, t, 20, false, nullptr);
            total += u.imitationLoss();
        }
        return total;
    };
    MetaTrainer one(c);
    const double before = termOf(one.state().net);
    one.run({}, nullptr);
    const double after = termOf(one.state().net);
    qInfo("imitation term of 3 held-out episodes: %.4g before, %.4g after 40 epochs", before, after);
    QVERIFY(after < 0.5 * before);
    c.threads = 2;
    MetaTrainer two(c);
    two.run({}, nullptr);
    QVERIFY(one.state().net.params == two.state().net.params);
}

void TestImitation::historyRecordsTheImitationTerm()
{
    // Each epoch's history records the imitation term per step (lambda/2 |u - a|^2 summed over the window, over
    // the steps, averaged over the members), NaN once the weight has fallen to 0; it survives a checkpoint and
    // does not depend on the thread count. One window per episode, so epoch 0's figure can be recomputed from the
    // initial weights alone.
    MetaTrainConfig c;
    c.problem = "quadratic:dim=10";
    c.epochs = 6;
    c.horizon = 20;
    c.unroll = 20;
    c.validateEvery = 6;
    c.validationRuns = 2;
    c.metaBatch = 2;
    c.imitate = "adam:lr=0.1";
    c.imitationWeight = 3;
    c.imitationEpochs = 4; // weights 3, 2.25, 1.5, 0.75, then 0
    c.threads = 1;
    MetaTrainer one(c);
    const LstmNet<float> initial = one.state().net;
    one.run({}, nullptr);
    const auto& history = one.state().history;
    QCOMPARE(int(history.size()), 6);
    double expected = 0;
    auto cls = makeProblemClass<float>(c.problem);
    for (int b = 0; b < c.metaBatch; ++b) {
        auto prob = cls->sample(trainingInstanceSeed(c.seed, 0, b));
        EpisodeState<float> t;
        t.start(*prob, initial.arch, c.imitate);
        Unroller<float> u(&initial, 1);
        u.setImitation(c.imitationWeightAt(0));
        Vec<float> dphi;
        u.window(*prob, t, 20, false, &dphi);
        expected += u.imitationLoss() / 20;
    }
    expected /= c.metaBatch;
    qInfo("imitation term per step at epoch 0: %.6g (recomputed %.6g)", history[0].imitation, expected);
    QVERIFY(expected > 0);
    // The same operations in the same order in the same build: equal.
    QCOMPARE(history[0].imitation, expected);
    for (int e = 0; e < 4; ++e)
        QVERIFY2(std::isfinite(history[size_t(e)].imitation) && history[size_t(e)].imitation > 0,
                 qPrintable(QString("epoch %1").arg(e)));
    for (int e = 4; e < 6; ++e) QVERIFY(std::isnan(history[size_t(e)].imitation));
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/c.json").toStdString();
    saveCheckpoint(path, one.state());
    const MetaTrainState back = loadCheckpoint(path);
    for (size_t e = 0; e < history.size(); ++e) {
        QCOMPARE(back.history[e].imitation == history[e].imitation, std::isfinite(history[e].imitation));
        QCOMPARE(std::isnan(back.history[e].imitation), std::isnan(history[e].imitation));
    }
    c.threads = 2;
    MetaTrainer two(c);
    two.run({}, nullptr);
    for (size_t e = 0; e < history.size(); ++e)
        QVERIFY(two.state().history[e].imitation == history[e].imitation ||
                (std::isnan(two.state().history[e].imitation) && std::isnan(history[e].imitation)));
}

QTEST_APPLESS_MAIN(TestImitation)
#include "test_imitation.moc"
