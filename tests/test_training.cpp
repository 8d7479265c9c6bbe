// Meta-training (learns, stops and resumes exactly, thread-independent), optimizer files (round trip,
// every kind of bad file), and the learned optimizer inside the paired evaluation.
#include "ExpectError.h"
#include "base/Rng.h"
#include "base/SeedStreams.h"
#include "eval/Evaluation.h"
#include "eval/MetaBaselines.h"
#include "meta/MetaTrainer.h"
#include "optimizers/AdamState.h"
#include "optimizers/OptimizerFile.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <chrono>
#include <fstream>
#include <thread>
#include <utility>

using namespace l2l;

namespace {
MetaTrainConfig quadConfig(int epochs)
{
    MetaTrainConfig c;
    c.problem = "quadratic";
    c.epochs = epochs;
    c.validateEvery = 50;
    c.validationRuns = 20;
    c.threads = 1;
    return c;
}

// A short MLP run: 20-step episodes in windows of 10, 2 validation instances, 1 thread.
MetaTrainConfig shortMlpConfig(const std::string& problem, int epochs, int validateEvery)
{
    MetaTrainConfig c;
    c.problem = problem;
    c.epochs = epochs;
    c.horizon = 20;
    c.unroll = 10;
    c.validateEvery = validateEvery;
    c.validationRuns = 2;
    c.threads = 1;
    return c;
}

// Trains `c`, stopped from another thread after `delayMs`; saves a checkpoint there and resumes from it to the end.
// Returns the epoch it stopped at and the resumed run's final state.
std::pair<int, MetaTrainState> stopSaveResume(const MetaTrainConfig& c, int delayMs, const std::string& checkpoint)
{
    std::atomic<bool> cancel{false};
    MetaTrainer first(c);
    std::thread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(delayMs));
        cancel = true;
    });
    first.run({}, &cancel);
    stopper.join();
    saveCheckpoint(checkpoint, first.state());
    MetaTrainer resumed(loadCheckpoint(checkpoint));
    resumed.run({}, nullptr);
    return {first.state().epoch, resumed.state()};
}

// One 10-step window per episode on quadratics, validated after every epoch on 2 instances.
MetaTrainConfig oneWindowConfig()
{
    MetaTrainConfig c = quadConfig(1);
    c.horizon = 10;
    c.unroll = 10;
    c.validateEvery = 1;
    c.validationRuns = 2;
    return c;
}

// dL/dphi of one 10-step window of `problem` from its start, for `net`.
Vec<float> firstWindowGradient(const LstmNet<float>& net, Problem<float>& problem)
{
    EpisodeState<float> traj;
    traj.start(problem, net.arch);
    Unroller<float> unroller(&net, 1);
    Vec<float> dphi;
    unroller.window(problem, traj, 10, false, &dphi);
    return dphi;
}

// The weights after a run's first Adam step (beta1 0.9, beta2 0.999, eps 1e-8) on meta-gradient g.
Vec<float> afterFirstAdamStep(const LstmNet<float>& start, const Vec<float>& g, double lr)
{
    AdamState<float> adam;
    adam.reset(g.size());
    Vec<float> w = start.params;
    adam.step(w, g, lr, 0.9, 0.999, 1e-8f);
    return w;
}

void writeText(const QString& path, const std::string& text)
{
    std::ofstream(path.toStdString(), std::ios::binary) << text;
}

void expectLoadError(const QString& path, const QString& part)
{
    l2l::test::expectError([&] { loadOptimizer(path.toStdString()); }, {part, path});
}
} // namespace

class TestTraining : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    QString path(const char* name) { return m_tmp.path() + "/" + name; }

private slots:
    void baselineLevelsAreTheValidationMeasure()
    {
        // The Meta-train view's reference lines: SGD written out here, theta <- theta - lr grad in float on the run's
        // validation instances, mean f over steps 1..T (as MetaTrainer::validate measures the LSTM), averaged.
        MetaTrainConfig c = quadConfig(10);
        c.horizon = 30;
        c.unroll = 10;
        c.validationRuns = 4;
        const auto levels = validationBaselines(c, {"sgd:lr=0.01", "adam"});
        QCOMPARE(int(levels.size()), 2);
        const auto cls = makeProblemClass<float>(c.problem);
        double total = 0;
        for (int run = 0; run < 4; ++run) {
            auto p = cls->sample(deriveSeed(c.seed, std::uint64_t(run), kValidInstances));
            Vec<float> theta = p->initialTheta(), g(theta.size());
            p->valueAndGradient(theta, g, 0);
            double sum = 0;
            for (int t = 1; t <= 30; ++t) {
                theta -= 0.01f * g;
                sum += double(p->valueAndGradient(theta, g, t));
            }
            total += sum / 30;
        }
        QCOMPARE(levels[0].level, total / 4);
        QCOMPARE(levels[0].rate, 0.01);
        QVERIFY(!levels[0].tuned);
        QVERIFY(levels[1].tuned && levels[1].rate > 0 && std::isfinite(levels[1].level));
        c.validateOnFinalLoss = true; // then the last loss, as validation would select by
        QVERIFY(validationBaselines(c, {"sgd:lr=0.01"})[0].level != levels[0].level);
        QCOMPARE(levels[0].stageLevels, std::vector<double>{levels[0].level}); // no curriculum: one stage
        // A curriculum validates stage s on the next stage's horizon (the last on its own): one level per stage,
        // each the level a run without a curriculum at that horizon has (the same runs, cut short).
        MetaTrainConfig staged = c;
        staged.validateOnFinalLoss = false;
        staged.curriculum = "10,20,30";
        QCOMPARE(staged.validationHorizons(), (std::vector<int>{20, 30, 30}));
        const auto byStage = validationBaselines(staged, {"sgd:lr=0.01"})[0];
        QCOMPARE(int(byStage.stageLevels.size()), 3);
        QCOMPARE(byStage.level, levels[0].level); // horizon 30, as above
        QCOMPARE(byStage.stageLevels[2], levels[0].level);
        QCOMPARE(byStage.stageLevels[1], levels[0].level);
        MetaTrainConfig short20 = c;
        short20.validateOnFinalLoss = false;
        short20.horizon = 20;
        QCOMPARE(byStage.stageLevels[0], validationBaselines(short20, {"sgd:lr=0.01"})[0].level);
        QVERIFY(byStage.stageLevels[0] != byStage.level);
        staged.validateOnFinalLoss = short20.validateOnFinalLoss = true;
        QCOMPARE(validationBaselines(staged, {"sgd:lr=0.01"})[0].stageLevels[0],
                 validationBaselines(short20, {"sgd:lr=0.01"})[0].level);
        l2l::test::expectError([&] { validationBaselines(c, {"lstm"}); }, {"lstm", "hand-designed"});
        l2l::test::expectError([&] { validationBaselines(c, {"nosuch"}); }, {"nosuch"});
    }
    void learnsOnQuadratics()
    {
        // 300 epochs take well under a second and already lower the validation loss a lot.
        MetaTrainer t(quadConfig(300));
        const double before = t.validate(t.state().net);
        std::vector<MetaProgress> seen;
        t.run([&](const MetaProgress& p) { seen.push_back(p); }, nullptr);
        QCOMPARE(int(seen.size()), 300);
        QCOMPARE(seen.back().epoch, 300);
        QVERIFY(std::isfinite(seen[49].validationLoss));
        QVERIFY(std::isnan(seen[48].validationLoss));
        const double after = t.state().bestValidation;
        qInfo("validation loss (mean f over 100 steps, 20 held-out quadratics): untrained %.4g, after 300 epochs %.4g",
              before, after);
        QVERIFY(after < 0.5 * before);
        QCOMPARE(t.validate(t.state().best), after); // the kept optimizer is the best validated one
    }
    void logMetaLossTrainsAndIsRecorded()
    {
        // The log meta-objective learns too, gives other weights than the sum, and is kept in the
        // checkpoint and the optimizer file.
        MetaTrainConfig c = quadConfig(200);
        c.metaLoss = MetaLoss::Log;
        MetaTrainer t(c);
        const double before = t.validate(t.state().net);
        t.run({}, nullptr);
        qInfo("log meta-loss: validation (mean f) untrained %.4g, after 200 epochs %.4g", before,
              t.state().bestValidation);
        QVERIFY(t.state().bestValidation < 0.5 * before);
        MetaTrainer sum(quadConfig(200));
        sum.run({}, nullptr);
        QVERIFY(!(sum.state().net.params == t.state().net.params));
        saveCheckpoint(path("log.ck.json").toStdString(), t.state());
        QVERIFY(loadCheckpoint(path("log.ck.json").toStdString()).config.metaLoss == MetaLoss::Log);
        saveOptimizer(path("log.json").toStdString(), t.bestOptimizer("l2l train --meta-loss log"));
        QCOMPARE(QString::fromStdString(
                     metaLossName(loadOptimizer(path("log.json").toStdString()).provenance.training.metaLoss)),
                 QString("log"));
    }
    void learningRateSchedule()
    {
        QCOMPARE(lrScheduleFactor(LrSchedule::Constant, 70, 100), 1.0);
        QCOMPARE(lrScheduleFactor(LrSchedule::Cosine, 0, 100), 1.0);
        QVERIFY(std::abs(lrScheduleFactor(LrSchedule::Cosine, 50, 100) - 0.5) < 1e-12);
        QVERIFY(std::abs(lrScheduleFactor(LrSchedule::Cosine, 25, 100) - (0.5 + 0.5 * std::sqrt(0.5))) < 1e-12);
        QVERIFY(lrScheduleFactor(LrSchedule::Cosine, 99, 100) < 3e-4);
        QVERIFY(lrScheduleFactor(LrSchedule::Cosine, 99, 100) > 0);
        QCOMPARE(QString::fromStdString(lrScheduleName(lrScheduleFromName("cosine"))), QString("cosine"));
        l2l::test::expectError([] { lrScheduleFromName("linear"); }, {"linear", "constant, cosine"});
        // Cosine decay learns, changes the weights, and a stopped and resumed run still matches an
        // uninterrupted one (the factor depends on the epoch only).
        MetaTrainConfig c = quadConfig(150);
        c.lrSchedule = LrSchedule::Cosine;
        MetaTrainer straight(c);
        const double before = straight.validate(straight.state().net);
        straight.run({}, nullptr);
        QVERIFY(straight.state().bestValidation < 0.5 * before);
        MetaTrainer constant(quadConfig(150));
        constant.run({}, nullptr);
        QVERIFY(!(constant.state().net.params == straight.state().net.params));
        std::atomic<bool> cancel{false};
        MetaTrainer first(c);
        first.run(
            [&](const MetaProgress& p) {
                if (p.epoch == 60) cancel = true;
            },
            &cancel);
        saveCheckpoint(path("cos.ck.json").toStdString(), first.state());
        MetaTrainState s = loadCheckpoint(path("cos.ck.json").toStdString());
        QVERIFY(s.config.lrSchedule == LrSchedule::Cosine);
        MetaTrainer resumed(std::move(s));
        resumed.run({}, nullptr);
        QVERIFY(resumed.state().net.params == straight.state().net.params);
        saveOptimizer(path("cos.json").toStdString(), straight.bestOptimizer("l2l train --lr-schedule cosine"));
        QCOMPARE(QString::fromStdString(
                     lrScheduleName(loadOptimizer(path("cos.json").toStdString()).provenance.training.lrSchedule)),
                 QString("cosine"));
    }
    void metaGradientClipping()
    {
        // A bound no meta-gradient reaches changes nothing; a tiny one clips every window, is counted,
        // and is kept in the checkpoint and the optimizer file.
        MetaTrainConfig c = quadConfig(60);
        MetaTrainer plain(c);
        plain.run({}, nullptr);
        c.clipNorm = 1e12;
        MetaTrainer loose(c);
        loose.run({}, nullptr);
        QVERIFY(loose.state().net.params == plain.state().net.params);
        QCOMPARE(loose.state().clippedUpdates, 0);
        c.clipNorm = 1e-3;
        MetaTrainer tight(c);
        std::vector<MetaProgress> seen;
        tight.run([&](const MetaProgress& p) { seen.push_back(p); }, nullptr);
        const int windows = 60 * (c.horizon / c.unroll);
        QCOMPARE(tight.state().clippedUpdates, windows - tight.state().skippedUpdates);
        QCOMPARE(seen.back().clippedUpdates, tight.state().clippedUpdates);
        QVERIFY(!(tight.state().net.params == plain.state().net.params));
        saveCheckpoint(path("clip.ck.json").toStdString(), tight.state());
        const MetaTrainState s = loadCheckpoint(path("clip.ck.json").toStdString());
        QCOMPARE(s.config.clipNorm, 1e-3);
        QCOMPARE(s.clippedUpdates, tight.state().clippedUpdates);
        // A checkpoint with a bad schedule or bound is refused with the file and the field named.
        QFile f(path("clip.ck.json"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray text = f.readAll();
        f.close();
        QVERIFY(text.contains("\"lr_schedule\":\"constant\"") && text.contains("\"clip_norm\":0.001"));
        writeText(path("bad1.ck.json"),
                  QByteArray(text).replace("\"lr_schedule\":\"constant\"", "\"lr_schedule\":\"linear\"").toStdString());
        l2l::test::expectError([&] { loadCheckpoint(path("bad1.ck.json").toStdString()); },
                               {path("bad1.ck.json"), "linear"});
        writeText(path("bad2.ck.json"),
                  QByteArray(text).replace("\"clip_norm\":0.001", "\"clip_norm\":-5").toStdString());
        l2l::test::expectError([&] { loadCheckpoint(path("bad2.ck.json").toStdString()); },
                               {path("bad2.ck.json"), "clip", "-5"});
        // A negative second moment (a NaN step) and a best validation without a best epoch are refused too.
        QByteArray negative = text;
        const int v = negative.indexOf("\"adam_v\":[") + int(qstrlen("\"adam_v\":["));
        negative.replace(v, negative.indexOf(',', v) - v, "-1");
        writeText(path("bad3.ck.json"), negative.toStdString());
        l2l::test::expectError([&] { loadCheckpoint(path("bad3.ck.json").toStdString()); },
                               {path("bad3.ck.json"), "adam_v", "entry 0 is -1", "never negative"});
        QVERIFY(std::isfinite(s.bestValidation) && s.bestEpoch > 0);
        writeText(path("bad4.ck.json"), QString::fromUtf8(text)
                                            .replace(QRegularExpression(R"("best_epoch":\d+)"), R"("best_epoch":-1)")
                                            .toStdString());
        l2l::test::expectError([&] { loadCheckpoint(path("bad4.ck.json").toStdString()); },
                               {path("bad4.ck.json"), "best_validation", "must be null"});
        saveOptimizer(path("clip.json").toStdString(), tight.bestOptimizer("l2l train --clip 0.001"));
        QCOMPARE(loadOptimizer(path("clip.json").toStdString()).provenance.training.clipNorm, 1e-3);
    }
    void stopAndResumeGivesTheSameWeights()
    {
        MetaTrainer straight(quadConfig(120));
        straight.run({}, nullptr);
        std::atomic<bool> cancel{false};
        MetaTrainer first(quadConfig(120));
        first.run(
            [&](const MetaProgress& p) {
                if (p.epoch == 70) cancel = true;
            },
            &cancel);
        QCOMPARE(first.state().epoch, 70);
        saveCheckpoint(path("ck.json").toStdString(), first.state());
        MetaTrainer resumed(loadCheckpoint(path("ck.json").toStdString()));
        QCOMPARE(resumed.state().epoch, 70);
        resumed.run({}, nullptr);
        QCOMPARE(resumed.state().epoch, 120);
        QVERIFY(resumed.state().net.params == straight.state().net.params);
        QVERIFY(resumed.state().best.params == straight.state().best.params);
        QCOMPARE(int(resumed.state().history.size()), 120);
    }
    void stopAnywhereAndResumeGivesTheSameWeights()
    {
        // A stop that lands inside an episode rolls that episode back: the resumed run still matches.
        MetaTrainConfig c = quadConfig(400);
        c.horizon = 200;
        MetaTrainer straight(c);
        straight.run({}, nullptr);
        for (int delayMs : {3, 17, 41}) {
            const auto [stoppedAt, resumed] = stopSaveResume(c, delayMs, path("ck2.json").toStdString());
            QVERIFY(stoppedAt < 400);
            QVERIFY2(resumed.net.params == straight.state().net.params,
                     qPrintable(QString("stopped at epoch %1").arg(stoppedAt)));
        }
    }
    void threadsDoNotChangeTraining()
    {
        // MNIST: 15,910 coordinates = 63 blocks, processed on 1 or 2 threads.
        MetaTrainConfig c = shortMlpConfig("mnist", 1, 1);
        MetaTrainer one(c);
        one.run({}, nullptr);
        c.threads = 2;
        MetaTrainer two(c);
        two.run({}, nullptr);
        QVERIFY(one.state().net.params == two.state().net.params);
        QCOMPARE(one.state().bestValidation, two.state().bestValidation);
    }
    void metaBatchAveragesMembersWhateverTheThreads()
    {
        // A meta-batch of 3 on quadratics, one window per episode: the first Adam step is the one on the mean of the
        // three members' meta-gradients (summed in member order), bit for bit; 1, 2 and 3 threads train the same
        // weights; the meta-gradient noise is reported with a batch and only then; a stop and resume inside an
        // epoch gives the weights of a straight run.
        MetaTrainConfig c = oneWindowConfig();
        c.metaBatch = 3;
        MetaTrainer trainer(c);
        const LstmNet<float> start = trainer.state().net;
        auto cls = makeProblemClass<float>(c.problem);
        Vec<float> mean;
        std::vector<Vec<float>> dphi(3);
        for (int b = 0; b < 3; ++b) {
            dphi[size_t(b)] = firstWindowGradient(start, *cls->sample(trainingInstanceSeed(c.seed, 0, b)));
            if (b == 0)
                mean = dphi[0];
            else
                mean += dphi[size_t(b)];
        }
        mean /= 3.0f;
        // The noise of the mean: the members' spread / ((B - 1) B), over the mean's squared length.
        double spread = 0;
        for (const auto& d : dphi) spread += double((d - mean).squaredNorm());
        const double noise = spread / (2.0 * 3.0) / double(mean.squaredNorm());
        const Vec<float> expected = afterFirstAdamStep(start, mean, c.learningRate);
        trainer.run({}, nullptr);
        QVERIFY(trainer.state().net.params == expected);
        QCOMPARE(trainer.state().history[0].gradientNoise, noise);
        QVERIFY(noise > 0);
        QVERIFY(expected != start.params);

        c.epochs = 6;
        c.horizon = 40;
        std::vector<Vec<float>> weights;
        for (int threads : {1, 2, 3}) {
            c.threads = threads;
            MetaTrainer t(c);
            t.run({}, nullptr);
            weights.push_back(t.state().net.params);
            QVERIFY(std::isfinite(t.state().history.back().gradientNoise));
        }
        QVERIFY(weights[0] == weights[1]);
        QVERIFY(weights[0] == weights[2]);
        c.epochs = 100;
        c.horizon = 200;
        c.threads = 2;
        MetaTrainer straight(c);
        straight.run({}, nullptr);
        for (int delayMs : {3, 17, 41}) {
            const auto [stoppedAt, resumed] = stopSaveResume(c, delayMs, path("ck-batch.json").toStdString());
            QVERIFY(stoppedAt < c.epochs);
            QCOMPARE(resumed.config.metaBatch, 3);
            QVERIFY2(resumed.net.params == straight.state().net.params,
                     qPrintable(QString("stopped at epoch %1").arg(stoppedAt)));
            for (const MetaHistoryPoint& point : resumed.history) QVERIFY(std::isfinite(point.gradientNoise));
        }
        c.metaBatch = 1;
        c.epochs = 6;
        c.horizon = 40;
        MetaTrainer single(c);
        single.run({}, nullptr);
        QVERIFY(std::isnan(single.state().history.back().gradientNoise));
        QVERIFY(single.state().net.params != weights[0]);
    }
    void randomScaleTrainsOnScaledInstancesAndValidatesOnPlainOnes()
    {
        // With --random-scale R the first Adam step is the one on the meta-gradient of the instance of
        // "problem,xscale=R" with the epoch's seed, bit for bit; validation runs on the problem as given; the
        // optimizer file records R.
        MetaTrainConfig c = oneWindowConfig();
        c.randomScale = 2;
        MetaTrainer trainer(c);
        const LstmNet<float> start = trainer.state().net;
        auto scaled = makeProblemClass<float>(c.problem + ":xscale=2");
        const Vec<float> dphi = firstWindowGradient(start, *scaled->sample(trainingInstanceSeed(c.seed, 0, 0)));
        const Vec<float> expected = afterFirstAdamStep(start, dphi, c.learningRate);
        trainer.run({}, nullptr);
        QVERIFY(trainer.state().net.params == expected);

        MetaTrainConfig plain = c;
        plain.randomScale = 0;
        MetaTrainConfig scaledValidation = plain;
        scaledValidation.problem = c.problem + ":xscale=2";
        const double valid = trainer.state().history[0].validationLoss;
        QCOMPARE(valid, MetaTrainer(plain).validate(trainer.state().net));
        QVERIFY(valid != MetaTrainer(scaledValidation).validate(trainer.state().net));
        // Without random scaling the first step differs.
        MetaTrainer unscaled(plain);
        unscaled.run({}, nullptr);
        QVERIFY(unscaled.state().net.params != expected);

        const std::string file = path("scaled.json").toStdString();
        saveOptimizer(file, trainer.bestOptimizer("l2l train --random-scale 2"));
        QCOMPARE(loadOptimizer(file).provenance.training.randomScale, 2.0);

        MetaTrainConfig both = c;
        both.problem = "quadratic:xscale=1";
        l2l::test::expectError([&] { both.validate(); }, {"xscale", "--random-scale"});
        both.problem = "quadratic";
        both.randomScale = 7;
        l2l::test::expectError([&] { both.validate(); }, {"random_scale"});
    }

    void curriculumMovesOnAndResumesExactly()
    {
        // Stages of 20, 40 and 80 steps, patience 1. Every weight is at least 1e-3 in size and the rate 1e-12: an
        // Adam step (at most a few times the rate) is below half a float ulp of every weight, so the weights never
        // change and no validation improves on the stage's best. The starting weights are validated before epoch 1
        // (a fine-tune's start is a candidate), so stage 0 lasts one validation (epochs 1-5); stage 1 starts with
        // its best validated afresh, so it lasts one too (epochs 6-10); then stage 2. Validation runs at the next
        // stage's horizon; the episodes at the stage's own.
        MetaTrainConfig c = quadConfig(30);
        c.unroll = 10;
        c.curriculum = "20,40,80";
        c.curriculumPatience = 1;
        c.validateEvery = 5;
        c.validationRuns = 4;
        c.learningRate = 1e-12;
        LstmNet<float> frozen = LstmNet<float>::init(c.arch, 5);
        for (Index i = 0; i < frozen.params.size(); ++i)
            if (std::abs(frozen.params(i)) < 1e-3f) frozen.params(i) = 1e-3f;
        MetaTrainer t(c, frozen);
        std::vector<int> horizons;
        t.run([&](const MetaProgress& p) { horizons.push_back(p.horizon); }, nullptr);
        const auto& h = t.state().history;
        QCOMPARE(int(h.size()), 30);
        for (int e = 0; e < 30; ++e) {
            QCOMPARE(h[size_t(e)].stage, e < 5 ? 0 : e < 10 ? 1 : 2);
            // The horizon reported after an epoch is the next epoch's: the stage changes after its validation.
            QCOMPARE(horizons[size_t(e)], e < 4 ? 20 : e < 9 ? 40 : 80);
        }
        MetaTrainConfig at40 = c;
        at40.curriculum.clear();
        at40.horizon = 40;
        QCOMPARE(h[4].validationLoss, MetaTrainer(at40).validate(t.state().best)); // epoch 5: stage 0 validates at 40
        QCOMPARE(t.state().stage, 2);
        QVERIFY(t.state().net.params == frozen.params);

        // A real rate: a stop anywhere and a resume from the checkpoint give the straight run's weights and stages.
        c.learningRate = 1e-3;
        c.epochs = 120;
        MetaTrainer straight(c);
        straight.run({}, nullptr);
        QVERIFY(straight.state().stage > 0);
        for (int delayMs : {5, 37}) {
            const auto [stoppedAt, resumed] = stopSaveResume(c, delayMs, path("ck-curriculum.json").toStdString());
            QVERIFY(stoppedAt < 120);
            QVERIFY2(resumed.net.params == straight.state().net.params,
                     qPrintable(QString("stopped at epoch %1").arg(stoppedAt)));
            QCOMPARE(resumed.stage, straight.state().stage);
            for (size_t e = 0; e < resumed.history.size(); ++e)
                QCOMPARE(resumed.history[e].stage, straight.state().history[e].stage);
        }

        MetaTrainConfig bad = quadConfig(10);
        bad.curriculum = "100,50";
        l2l::test::expectError([&] { bad.validate(); }, {"curriculum", "increase"});
        bad.curriculum = "100,x";
        l2l::test::expectError([&] { bad.validate(); }, {"curriculum"});
        bad.curriculum = "10,100";
        l2l::test::expectError([&] { bad.validate(); }, {"curriculum", "unroll"});
    }

    void fineTuneKeepsItsStartWhenNoEpochBeatsIt()
    {
        // A fine-tune validates its starting weights before epoch 1: the kept optimizer is the best of the start
        // and every validated epoch. From a trained optimizer with Adam's largest rate the epochs only do harm, so
        // the start is kept (epoch 0) and written out unchanged; before, the best of the epochs was written.
        MetaTrainer trained(quadConfig(300));
        trained.run({}, nullptr);
        const LstmNet<float> start = trained.state().best;
        MetaTrainConfig c = quadConfig(20);
        c.validateEvery = 10;
        c.learningRate = 1;
        MetaTrainer harm(c, start);
        const double startLoss = harm.validate(start);
        harm.run({}, nullptr);
        double bestEpochLoss = std::numeric_limits<double>::infinity();
        for (const MetaHistoryPoint& p : harm.state().history)
            if (p.validationLoss < bestEpochLoss) bestEpochLoss = p.validationLoss;
        qInfo("fine-tune at rate 1: start %.4g, best epoch's validation %.4g", startLoss, bestEpochLoss);
        QCOMPARE(harm.state().bestValidation, std::min(startLoss, bestEpochLoss));
        QVERIFY(startLoss < bestEpochLoss);
        QCOMPARE(harm.state().bestEpoch, 0);
        const OptimizerFile f = harm.bestOptimizer("test");
        QVERIFY(f.net.params == start.params);
        QCOMPARE(f.provenance.bestEpoch, 0);
        QCOMPARE(f.provenance.validationLoss, startLoss);

        // Stopped before the first epoch (here during the start's validation), checkpointed and resumed: the
        // start is still validated and kept, exactly as in the uninterrupted run.
        {
            MetaTrainer stopped(c, start);
            std::atomic<bool> stop{true};
            stopped.run({}, &stop);
            QCOMPARE(stopped.state().epoch, 0);
            QVERIFY(stopped.state().validateStart);
            const std::string path = (m_tmp.path() + "/fine-tune.checkpoint.json").toStdString();
            saveCheckpoint(path, stopped.state());
            MetaTrainer resumed(loadCheckpoint(path));
            resumed.run({}, nullptr);
            QCOMPARE(resumed.state().bestEpoch, 0);
            QCOMPARE(resumed.state().bestValidation, harm.state().bestValidation);
            QVERIFY(resumed.bestOptimizer("test").net.params == start.params);
            QVERIFY(resumed.state().net.params == harm.state().net.params);
            // A stranger's checkpoint claiming an unvalidated start after epoch 1 is refused, naming the key.
            MetaTrainState late = harm.state();
            late.validateStart = true;
            saveCheckpoint(path, late);
            l2l::test::expectError([&] { loadCheckpoint(path); }, {"validate_start", "fine-tune.checkpoint.json"});
        }

        // From untrained weights at the usual rate the epochs win: a later epoch is kept.
        c.learningRate = 1e-3;
        c.epochs = 100;
        c.validateEvery = 50;
        const LstmNet<float> untrained = LstmNet<float>::init(c.arch, 7);
        MetaTrainer learn(c, untrained);
        const double untrainedLoss = learn.validate(untrained);
        learn.run({}, nullptr);
        QVERIFY(learn.state().bestEpoch > 0);
        QVERIFY(learn.state().bestValidation < untrainedLoss);
        QVERIFY(learn.bestOptimizer("test").net.params != untrained.params);
    }
    void secondDerivativesTrain()
    {
        MetaTrainConfig c = quadConfig(60);
        c.secondDerivatives = true;
        MetaTrainer t(c);
        t.run({}, nullptr);
        QVERIFY(std::isfinite(t.state().bestValidation));
        // MLPs have Hessian-vector products too: a small one trains and validates.
        MetaTrainConfig m = shortMlpConfig("mnist:hidden=5,batch=16", 4, 2);
        m.secondDerivatives = true;
        MetaTrainer mlp(m);
        mlp.run({}, nullptr);
        QVERIFY(std::isfinite(mlp.state().bestValidation));
        QCOMPARE(mlp.state().adam.t, long(8)); // 4 episodes x 2 windows, every meta-update taken
        QCOMPARE(mlp.state().skippedUpdates, 0);
        c.problem = "rosenbrock"; // 2-d functions have exact Hessians too (the graph view's second order)
        MetaTrainer rosen(c);
        rosen.run({}, nullptr);
        QCOMPARE(rosen.state().skippedUpdates + int(rosen.state().adam.t), c.epochs * (c.horizon / c.unroll));
        // A conv net has no Hessian-vector product: refused with a message.
        MetaTrainConfig conv = shortMlpConfig("convnet:batch=4,channels=2,fc_units=4,conv_layers=1,kernel=3", 1, 1);
        conv.secondDerivatives = true;
        l2l::test::expectError(
            [&] {
                MetaTrainer r(conv);
                r.run({}, nullptr);
            },
            {"second derivatives", "Hessian-vector"});
    }
    void badConfig()
    {
        MetaTrainConfig c = quadConfig(10);
        c.unroll = 0;
        QVERIFY_THROWS_EXCEPTION(Error, MetaTrainer{c});
        c = quadConfig(10);
        c.unroll = 200; // > horizon
        QVERIFY_THROWS_EXCEPTION(Error, MetaTrainer{c});
        c = quadConfig(10);
        c.arch.hidden = 0;
        QVERIFY_THROWS_EXCEPTION(Error, MetaTrainer{c});
        c = quadConfig(10);
        c.problem = "nosuch";
        QVERIFY_THROWS_EXCEPTION(Error, MetaTrainer{c});
        c = quadConfig(10);
        c.clipNorm = -1;
        l2l::test::expectError([&] { MetaTrainer{c}; }, {"clip", "-1"});
        c.clipNorm = NAN;
        l2l::test::expectError([&] { MetaTrainer{c}; }, {"clip"});
    }
    void memoryBudget()
    {
        // The unrolled window dominates: unroll x coordinates x (input + 5 x layers x hidden + 1) floats of cache.
        // For MNIST (15,910 coordinates, unroll 20, 2 x 20) that is 15910 * 20 * 203 * 4 bytes = 258 MB; the
        // estimate holds it and stays within twice it (the instance, the state and validation come on top).
        MetaTrainConfig m = shortMlpConfig("mnist", 1, 1);
        m.unroll = 20;
        m.horizon = 100;
        const auto mnist = makeProblemClass<float>("mnist");
        const double cache = 15910.0 * 20 * (2 + 5 * 40 + 1) * 4;
        const double estimate = double(estimateTrainingBytes(m, *mnist));
        QVERIFY2(estimate >= cache && estimate < 2 * cache, qPrintable(QString::number(estimate)));
        // Refused before anything is trained, naming the limit.
        MetaTrainConfig c = quadConfig(10);
        c.memoryLimitMiB = 1;
        c.unroll = c.horizon;
        c.problem = "quadratic:dim=1000";
        MetaTrainer trainer(c);
        l2l::test::expectError([&] { trainer.run({}, nullptr); }, {"this training needs about", "--memory-limit"});
        QCOMPARE(trainer.state().epoch, 0);
    }
    void fileRoundTrip()
    {
        MetaTrainer t(quadConfig(50));
        t.run({}, nullptr);
        const OptimizerFile f = t.bestOptimizer("l2l train --problem quadratic --epochs 50");
        saveOptimizer(path("opt.json").toStdString(), f);
        const OptimizerFile g = loadOptimizer(path("opt.json").toStdString());
        QVERIFY(g.net.params == f.net.params); // float32 weights survive the text format exactly
        QVERIFY(g.net.arch == f.net.arch);
        QCOMPARE(QString::fromStdString(g.provenance.command), QString("l2l train --problem quadratic --epochs 50"));
        QCOMPARE(g.provenance.epochsDone, 50);
        QCOMPARE(g.provenance.validationLoss, f.provenance.validationLoss);
    }
    void rnnpropTrainsRoundTripsAndIgnoresTheObjectiveScale()
    {
        // RNNprop trains (validation improves on its start), its file keeps the architecture and weights, and its
        // steps do not depend on the objective's scale: on f and 100 f (double precision, one instance) the losses
        // stay in the ratio 100 up to the effect of the 1e-8 in sqrt(v_hat) + 1e-8, a relative 1e-8 / |g| on each
        // input (|g| stays above 1e-3 here, so about 1e-5 per step at most, and it does not compound to O(1) in 50
        // steps). The paper's log-sign inputs shift by log(100) / p and change the steps at O(1).
        MetaTrainConfig c = quadConfig(300);
        c.arch.preprocess = Preprocess::Rnnprop;
        c.arch.inputLayer = 20;
        c.arch.output = OutputActivation::Tanh;
        c.validateEvery = 100;
        MetaTrainer t(c);
        const double before = t.validate(t.state().net);
        t.run({}, nullptr);
        QVERIFY2(t.state().bestValidation < 0.8 * before,
                 qPrintable(QString("%1 -> %2").arg(before).arg(t.state().bestValidation)));
        const OptimizerFile f = t.bestOptimizer("l2l train --rnnprop");
        saveOptimizer(path("rnnprop.json").toStdString(), f);
        const OptimizerFile g = loadOptimizer(path("rnnprop.json").toStdString());
        QVERIFY(g.net.arch == c.arch);
        QVERIFY(g.net.params == f.net.params);

        const LstmNet<double> net = g.net.cast<double>();
        std::vector<double> finals;
        for (const char* spec : {"quadratic", "quadratic:fscale=100"}) {
            auto problem = makeProblemClass<double>(spec)->sample(7);
            LstmRule<double> rule(net, 1);
            rule.reset(problem->dim());
            Vec<double> theta = problem->initialTheta(), grad(theta.size());
            double f = problem->valueAndGradient(theta, grad, 0);
            for (int step = 1; step <= 50; ++step) {
                rule.step(theta, grad);
                f = problem->valueAndGradient(theta, grad, step);
            }
            finals.push_back(f);
        }
        qInfo("rnnprop after 50 steps: f %.10g, 100 f / 100 %.10g", finals[0], finals[1] / 100);
        QVERIFY(std::abs(finals[1] / 100 - finals[0]) <= 1e-4 * finals[0]);

        c.secondDerivatives = true;
        l2l::test::expectError([&] { c.validate(); }, {"second derivatives", "rnnprop"});
    }
    void lineageRoundTripsAndBadLineageIsNamed()
    {
        // The commands that trained a run and what it was fine-tuned from go through checkpoints and optimizer files
        // unchanged; a stranger's lineage of the wrong shape is refused naming the key.
        MetaTrainer t(quadConfig(1));
        t.recordCommand("l2l train --problem quadratic --epochs 1");
        t.run([](const MetaProgress&) {}, nullptr);
        const OptimizerFile parent = t.bestOptimizer("l2l train --problem quadratic --epochs 1");
        QVERIFY(parent.provenance.earlierCommands.empty()); // the one recorded is the command under way
        saveOptimizer(path("parent.json").toStdString(), parent);
        const std::vector<Ancestor> lineage = lineageFrom(loadOptimizer(path("parent.json").toStdString()),
                                                          optimizerFileDigest(path("parent.json").toStdString()));
        QCOMPARE(int(lineage.size()), 1);
        QCOMPARE(lineage[0].commands, std::vector<std::string>{"l2l train --problem quadratic --epochs 1"});
        QCOMPARE(lineage[0].epochsDone, 1);
        QCOMPARE(lineageSummary(lineage),
                 std::string("fine-tuned from an optimizer trained for 1 epochs on quadratic"));
        MetaTrainConfig c = quadConfig(2);
        MetaTrainer child(c, parent.net);
        child.setAncestors(lineage);
        child.recordCommand("first");
        saveCheckpoint(path("child.ck.json").toStdString(), child.state());
        MetaTrainState s = loadCheckpoint(path("child.ck.json").toStdString());
        QCOMPARE(s.commands, std::vector<std::string>{"first"});
        QVERIFY(s.ancestors == lineage);
        MetaTrainer resumed(std::move(s));
        resumed.recordCommand("second");
        const OptimizerFile f = resumed.bestOptimizer("second");
        QCOMPARE(f.provenance.earlierCommands, std::vector<std::string>{"first"});
        QCOMPARE(f.provenance.command, std::string("second"));
        saveOptimizer(path("child.json").toStdString(), f);
        const OptimizerFile back = loadOptimizer(path("child.json").toStdString());
        QCOMPARE(back.provenance.earlierCommands, f.provenance.earlierCommands);
        QVERIFY(back.provenance.ancestors == lineage);

        const std::string good = optimizerToJson(f);
        auto withProvenance = [&](const char* name, const char* key, const QJsonValue& value) {
            QJsonObject doc = QJsonDocument::fromJson(QByteArray::fromStdString(good)).object();
            QJsonObject p = doc.value("provenance").toObject();
            p.insert(key, value);
            doc.insert("provenance", p);
            writeText(path(name), QJsonDocument(doc).toJson().toStdString());
        };
        withProvenance("l1.json", "ancestors", QJsonValue(3));
        expectLoadError(path("l1.json"), "ancestors must be an array");
        withProvenance("l2.json", "ancestors", QJsonArray{QJsonObject{{"problem", "quadratic"}, {"epochs", 3}}});
        expectLoadError(path("l2.json"), "ancestors [0]");
        withProvenance("l3.json", "earlier_commands", QJsonArray{QJsonValue(1)});
        expectLoadError(path("l3.json"), "earlier_commands: every entry must be a string");
        QJsonArray many;
        for (int i = 0; i < 1001; ++i) many.append(QStringLiteral("c"));
        withProvenance("l4.json", "earlier_commands", many);
        expectLoadError(path("l4.json"), "at most 1000");
        withProvenance(
            "l5.json", "ancestors",
            QJsonArray{QJsonObject{
                {"problem", "q"}, {"epochs", -4}, {"commands", QJsonArray{}}, {"created", ""}, {"digest", ""}}});
        expectLoadError(path("l5.json"), "epochs");
    }
    void badFiles()
    {
        MetaTrainer t(quadConfig(1));
        const std::string good = optimizerToJson(t.bestOptimizer("x"));
        expectLoadError(path("missing.json"), "does not exist");
        writeText(path("empty.json"), "");
        expectLoadError(path("empty.json"), "the file is empty");
        writeText(path("truncated.json"), good.substr(0, good.size() / 2));
        expectLoadError(path("truncated.json"), "is not valid JSON");
        std::string v9 = good; // version 2 holds several nets (see test_param_groups)
        v9.replace(v9.find("\"version\": 1"), 12, "\"version\": 9");
        writeText(path("v9.json"), v9);
        expectLoadError(path("v9.json"), "has version 9; this build reads versions 1 and 2");
        std::string shape = good;
        shape.replace(shape.find("\"hidden\": 20"), 12, "\"hidden\": 21");
        writeText(path("shape.json"), shape);
        expectLoadError(path("shape.json"), "has 5141 weights, but a 2-layer LSTM of 21 units needs");
        std::string nan = good;
        const auto w = nan.find("\"weights\": [") + 12;
        nan.replace(w, nan.find(',', w) - w, "NaN");
        writeText(path("nan.json"), nan);
        expectLoadError(path("nan.json"), "not valid JSON"); // JSON has no NaN literal
        std::string nullWeight = good;
        nullWeight.replace(w, nullWeight.find(',', w) - w, "null");
        writeText(path("null.json"), nullWeight);
        expectLoadError(path("null.json"), "weight 0 is not a number");
        std::string huge = good;
        huge.replace(w, huge.find(',', w) - w, "1e39");
        writeText(path("huge.json"), huge);
        expectLoadError(path("huge.json"), "weight 0 (1e+39) is outside the float range");
        std::string noWeights = good;
        noWeights.replace(noWeights.find("\"weights\""), 9, "\"weightz\"");
        writeText(path("no-weights.json"), noWeights);
        expectLoadError(path("no-weights.json"), "unknown key \"weightz\""); // misspelt: named as such
        QJsonObject withoutWeights = QJsonDocument::fromJson(QByteArray::fromStdString(good)).object();
        withoutWeights.remove("weights");
        writeText(path("missing-weights.json"), QJsonDocument(withoutWeights).toJson().toStdString());
        expectLoadError(path("missing-weights.json"), "key \"weights\" is missing");
        writeText(path("other.json"), "{\"format\": \"something-else\"}");
        expectLoadError(path("other.json"), "is not an l2l optimizer");
        // A failed load leaves nothing half-done, and saving refuses NaN weights, keeping the old file.
        saveOptimizer(path("keep.json").toStdString(), t.bestOptimizer("x"));
        OptimizerFile bad = t.bestOptimizer("x");
        bad.net.params(3) = NAN;
        QVERIFY_THROWS_EXCEPTION(Error, saveOptimizer(path("keep.json").toStdString(), bad));
        QVERIFY(loadOptimizer(path("keep.json").toStdString()).net.params.allFinite());
    }
    void learnedOptimizerInEvaluation()
    {
        MetaTrainer t(quadConfig(200));
        t.run({}, nullptr);
        saveOptimizer(path("q.json").toStdString(), t.bestOptimizer("x"));
        EvalConfig e;
        e.problem = "quadratic";
        e.optimizers = {"sgd:lr=0.01", "lstm:" + path("q.json").toStdString()};
        e.runs = 20;
        e.steps = 100;
        e.useCache = false;
        const auto r = evaluate(e);
        QVERIFY(r.optimizers[1].config.learned());
        QCOMPARE(r.optimizers[0].curves.loss[3][0], r.optimizers[1].curves.loss[3][0]); // paired
        QVERIFY(r.optimizers[1].finalMean < r.optimizers[0].finalMean);
        e.optimizers = {"lstm:" + path("nothing.json").toStdString()};
        QVERIFY_THROWS_EXCEPTION(Error, evaluate(e));
    }
    void runsAFiftyThousandParameterOptimizee()
    {
        // MLP 784-64-10: 50,890 coordinates, each with its own LSTM state, one shared set of weights.
        MetaTrainer t(quadConfig(20));
        t.run({}, nullptr);
        saveOptimizer(path("q50k.json").toStdString(), t.bestOptimizer("x"));
        EvalConfig e;
        e.problem = "mnist:hidden=64";
        e.optimizers = {"lstm:" + path("q50k.json").toStdString()};
        e.runs = 1;
        e.steps = 5;
        e.useCache = false;
        e.testMetrics = false;
        const auto r = evaluate(e);
        QCOMPARE(makeProblemClass<float>(e.problem)->dim(), Index(50890));
        QCOMPARE(r.completedSteps, 5);
        QVERIFY(std::isfinite(r.optimizers[0].finalMean));
    }
    void bundledOptimizersLoad()
    {
        // `lstm` resolves to resources/optimizers/<family>.json and those files are valid.
        for (const char* problem : {"quadratic", "mnist", "convnet", "neural-art"}) {
            const std::string p = bundledOptimizerPath(problem);
            const OptimizerFile f = loadOptimizer(p);
            QVERIFY(f.provenance.command.rfind("l2l train", 0) == 0);
            QVERIFY(f.provenance.epochsDone > 0);
        }
        // The conv net's: one LSTM per parameter group, for every class subset of the family.
        QCOMPARE(loadOptimizer(bundledOptimizerPath("convnet:classes=0+1")).net.nets, 2);
        QCOMPARE(QString::fromStdString(bundledOptimizerPath("fashion-mnist:hidden=40")),
                 QString::fromStdString(bundledOptimizerPath("mnist")));
    }
};

QTEST_APPLESS_MAIN(TestTraining)
#include "test_training.moc"
