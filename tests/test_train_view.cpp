// The Meta-train and Inspect views driven through their widgets: a short meta-training advancing the
// epoch label, progress bar and plot; Pause holding the epoch and Resume continuing from it; Stop ending
// the run with a best optimizer that saves, loads and is handed on by Use; bad settings failing before
// anything runs; the stop latency on MNIST; Inspect drawing all three figures.
// Set L2L_SHOT_DIR to save grabs of both views there.
#include "ExpectError.h"
#include "GuiTest.h"
#include "eval/MetaBaselines.h"
#include "eval/Resolve.h"
#include "eval/Tuning.h"
#include "gl/LandscapeWidget.h"
#include "meta/MetaTrainer.h"
#include "optimizers/OptimizerFile.h"
#include "views/InspectView.h"
#include "views/MetaTrainView.h"
#include "views/WatchPanel.h"
#include "workers/TrainJob.h"

#include <qcustomplot.h>

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QSurfaceFormat>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <limits>

using namespace l2l;
using namespace l2l::ui;
using l2l::test::child;

namespace {

void click(QWidget* root, const QString& name)
{
    auto* b = child<QPushButton>(root, name);
    QVERIFY2(b->isEnabled(), qPrintable(name + " is disabled"));
    QTest::mouseClick(b, Qt::LeftButton);
}

int epochOf(QWidget* root) { return child<QProgressBar>(root, "trainProgress")->value(); }

void setSettings(MetaTrainView& v, int epochs, int validateEvery, int horizon = 100, int unroll = 20)
{
    child<QSpinBox>(&v, "trainEpochs")->setValue(epochs);
    child<QSpinBox>(&v, "trainValidateEvery")->setValue(validateEvery);
    child<QSpinBox>(&v, "trainHorizon")->setValue(horizon);
    child<QSpinBox>(&v, "trainUnroll")->setValue(unroll);
}

void grabTo(QWidget* w, const QString& name)
{
    const QString dir = qEnvironmentVariable("L2L_SHOT_DIR");
    if (dir.isEmpty()) return;
    QVERIFY(w->grab().save(dir + "/" + name));
}

} // namespace

class TestTrainView : public QObject {
    Q_OBJECT
public:
    static void initMain() { l2l::test::useStudioGlFormat(); }

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void shortRunFinishesSavesAndUses();
    void pauseHoldsResumeContinuesStopFinishes();
    void badSettingsFailBeforeRunning_data();
    void badSettingsFailBeforeRunning();
    void configRoundTrip();
    void stopLatencyOnMnist();
    void stopInTheFirstEpochSavesNothing();
    void stopThenContinueIsTheUninterruptedRun();
    void checkpointOpensAndContinues();
    void fineTuneStartsFromTheFile();
    void hugeEpochCountKeepsTheCurveReadable();
    void watchShowsItLearning();
    void levelsFollowTheCurriculum();
    void inspectDrawsEveryFigure();
    void inspectBadFileFails();
    void inspectOneNetPerGroup();
};

void TestTrainView::shortRunFinishesSavesAndUses()
{
    MetaTrainView v;
    v.resize(1100, 600);
    v.show();
    v.setProblem("quadratic:dim=8");
    setSettings(v, 60, 10);
    QSignalSpy finished(&v, &MetaTrainView::finished), failed(&v, &MetaTrainView::failed);
    QSignalSpy progressed(&v, &MetaTrainView::progressed), state(&v, &MetaTrainView::trainingStateChanged);
    click(&v, "trainStart");
    QVERIFY(v.isTraining());
    QVERIFY(v.plot()->xAxis->range().upper >= 60); // from the start, the run's whole extent (it was 0-10)
    QVERIFY(finished.wait(60000));
    QCOMPARE(failed.count(), 0);
    QVERIFY(!v.isTraining());
    QVERIFY(progressed.count() >= 6); // every validation is sent
    QCOMPARE(state.last().at(0).toBool(), false);
    QCOMPARE(epochOf(&v), 60);
    QCOMPARE(child<QLabel>(&v, "trainEpochLabel")->text(), QString("epoch 60 / 60"));
    QCOMPARE(v.plot()->graph(0)->dataCount(), 60); // meta-loss per epoch
    QCOMPARE(v.plot()->graph(2)->dataCount(), 6);  // validations
    // Every validation marker, the best one's star on the last epoch included, lies whole inside the axes.
    v.plot()->replot();
    const QRect axes = v.plot()->axisRect()->rect();
    for (int g : {2, 3})
        for (auto it = v.plot()->graph(g)->data()->begin(); it != v.plot()->graph(g)->data()->end(); ++it) {
            const double x = v.plot()->xAxis->coordToPixel(it->key);
            const double r = v.plot()->graph(g)->scatterStyle().size() / 2;
            QVERIFY2(x + r <= axes.right() && x - r >= axes.left(), qPrintable(QString("epoch %1").arg(it->key)));
        }
    QVERIFY(child<QPushButton>(&v, "trainStart")->isEnabled());

    QVERIFY(v.bestOptimizer().has_value());
    QTemporaryDir dir;
    const QString path = dir.filePath("best.json");
    QString error;
    QVERIFY2(v.saveBest(path, &error), qPrintable(error));
    const OptimizerFile f = loadOptimizer(path.toStdString());
    QCOMPARE(f.provenance.epochsDone, 60);
    QVERIFY(f.provenance.bestEpoch % 10 == 0);
    QVERIFY(std::isfinite(f.provenance.validationLoss));
    QVERIFY(QString::fromStdString(f.provenance.command).contains("--epochs 60"));
    QVERIFY(!v.saveBest("/proc/l2l-no-such-dir/best.json", &error)); // a message, not an exception
    QVERIFY(error.contains("/proc/l2l-no-such-dir"));

    QSignalSpy ready(&v, &MetaTrainView::optimizerReady);
    click(&v, "trainUse");
    QCOMPARE(ready.count(), 1);
    const QString used = ready.first().at(0).toString();
    QCOMPARE(v.sessionOptimizerPath(), used);
    QCOMPARE(used, path); // the file saved with these weights: legends and exports name it, not a session copy
    QCOMPARE(loadOptimizer(used.toStdString()).net.params, f.net.params);
    // Without it, a session copy with a short name that says what it was trained on, made once.
    QVERIFY(QFile::remove(path));
    click(&v, "trainUse");
    const QString copy = ready.last().at(0).toString();
    QVERIFY2(QRegularExpression("/quadratic-dim-8-epoch[0-9]+(-[0-9]+)?\\.json$").match(copy).hasMatch(),
             qPrintable(copy));
    QCOMPARE(loadOptimizer(copy.toStdString()).net.params, f.net.params);
    click(&v, "trainUse");
    QCOMPARE(ready.last().at(0).toString(), copy);
    QFile::remove(copy);

    QVERIFY(v.exportCsv(dir.filePath("train.csv"), &error));
    QFile csv(dir.filePath("train.csv"));
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = csv.readAll().trimmed().split('\n');
    QCOMPARE(lines.size(), 61);
    QCOMPARE(lines[0],
             QByteArray("epoch,meta_loss,validation_loss,meta_gradient_noise,curriculum_stage,imitation_term"));
    const QList<QByteArray> validated = lines[10].split(','), plain = lines[9].split(',');
    QCOMPARE(validated.size(), 6);
    QVERIFY(validated[5].isEmpty()); // no imitation
    QVERIFY(validated[0] == "10" && !validated[2].isEmpty());
    QVERIFY(plain[2].isEmpty());
    QVERIFY(validated[3].isEmpty());         // no meta-batch, no noise
    QCOMPARE(validated[4], QByteArray("0")); // no curriculum: stage 0

    // Another problem in the panel: the curves stay the run's, and the title says they are the last run's.
    const auto title = [&] { return qobject_cast<QCPTextElement*>(v.plot()->plotLayout()->elementAt(0))->text(); };
    QCOMPARE(title(), QString("Meta-training on quadratic:dim=8"));
    v.setProblem("quadratic2d");
    QVERIFY2(title().contains("Meta-training on quadratic:dim=8 (last run)"), qPrintable(title()));
    v.setProblem("quadratic:dim=8");
    QCOMPARE(title(), QString("Meta-training on quadratic:dim=8"));
}

void TestTrainView::pauseHoldsResumeContinuesStopFinishes()
{
    MetaTrainView v;
    v.resize(1100, 600);
    v.show();
    v.setProblem("quadratic");
    setSettings(v, 200000, 50);
    QSignalSpy state(&v, &MetaTrainView::trainingStateChanged), finished(&v, &MetaTrainView::finished);
    QSignalSpy progressed(&v, &MetaTrainView::progressed);
    click(&v, "trainStart");
    QTRY_VERIFY_WITH_TIMEOUT(epochOf(&v) >= 300, 60000);
    QVERIFY(v.plot()->graph(0)->dataCount() > 0);
    QVERIFY(child<QLabel>(&v, "trainEtaLabel")->text().contains("ETA"));

    click(&v, "trainPause");
    QTRY_VERIFY_WITH_TIMEOUT(v.isPaused(), 10000);
    QCOMPARE(state.last().at(1).toBool(), true);
    const int pausedAt = epochOf(&v);
    const int points = v.plot()->graph(0)->dataCount();
    QCOMPARE(points, pausedAt); // every epoch up to the pause is drawn
    QVERIFY(child<QPushButton>(&v, "trainResume")->isEnabled());
    QVERIFY(!child<QPushButton>(&v, "trainPause")->isEnabled());
    QTest::qWait(500); // nothing may happen while paused
    QCOMPARE(epochOf(&v), pausedAt);
    QCOMPARE(v.plot()->graph(0)->dataCount(), points);

    progressed.clear();
    click(&v, "trainResume");
    QVERIFY(progressed.wait(30000));
    const auto first = progressed.first().at(0).value<MetaProgress>();
    QVERIFY2(first.epoch > pausedAt && first.epoch < pausedAt + 200, qPrintable(QString::number(first.epoch)));
    QTRY_VERIFY_WITH_TIMEOUT(epochOf(&v) >= pausedAt + 300, 60000);
    QCOMPARE(v.plot()->graph(0)->data()->begin()->key, 1.0); // the curve continues, it did not restart

    click(&v, "trainStop");
    QVERIFY(finished.wait(10000));
    QVERIFY(!v.isTraining());
    QVERIFY(v.bestOptimizer().has_value());
    QVERIFY(v.bestOptimizer()->provenance.epochsDone >= pausedAt + 300);
    QCOMPARE(v.plot()->graph(0)->dataCount(), epochOf(&v));
    QVERIFY(v.plot()->graph(2)->dataCount() >= 12);
    QTest::qWait(50); // let the queued replot happen before grabbing
    grabTo(&v, "meta-train.png");
}

void TestTrainView::badSettingsFailBeforeRunning_data()
{
    QTest::addColumn<QString>("problem");
    QTest::addColumn<int>("horizon");
    QTest::addColumn<int>("unroll");
    QTest::addColumn<QString>("named");
    QTest::newRow("unroll > horizon") << "quadratic" << 50 << 60 << "unroll";
    QTest::newRow("unknown problem") << "nosuchproblem" << 100 << 20 << "nosuchproblem";
    QTest::newRow("bad problem option") << "quadratic:dim=0" << 100 << 20 << "dim";
}

void TestTrainView::badSettingsFailBeforeRunning()
{
    QFETCH(QString, problem);
    QFETCH(int, horizon);
    QFETCH(int, unroll);
    QFETCH(QString, named);
    MetaTrainView v;
    v.setProblem(problem);
    setSettings(v, 100, 10, horizon, unroll);
    QSignalSpy failed(&v, &MetaTrainView::failed), progressed(&v, &MetaTrainView::progressed);
    click(&v, "trainStart");
    if (failed.isEmpty()) QVERIFY(failed.wait(10000)); // a bad option is found when the class is built
    QVERIFY2(failed.first().at(0).toString().contains(named), qPrintable(failed.first().at(0).toString()));
    QVERIFY(!v.isTraining());
    QCOMPARE(progressed.count(), 0);
    QCOMPARE(epochOf(&v), 0);
    QVERIFY(child<QPushButton>(&v, "trainStart")->isEnabled());
    child<QLineEdit>(&v, "trainLearningRate")->setText("2");
    v.setProblem("quadratic");
    setSettings(v, 100, 10);
    QSignalSpy again(&v, &MetaTrainView::failed);
    v.start();
    QVERIFY(again.count() == 1 && again.first().at(0).toString().contains("learning rate"));
}

void TestTrainView::configRoundTrip()
{
    MetaTrainView v;
    MetaTrainConfig c;
    c.problem = "quadratic:dim=5";
    c.epochs = 1234;
    c.horizon = 50;
    c.unroll = 10;
    c.learningRate = 0.003;
    c.validateEvery = 7;
    c.validationRuns = 3;
    c.seed = 42;
    c.secondDerivatives = true;
    c.groups = ParamGroups::PerBlock;
    c.lrSchedule = LrSchedule::Cosine;
    c.clipNorm = 50;
    v.setConfig(c);
    QCOMPARE(v.findChild<QComboBox*>("trainLrSchedule")->currentData().toString(), QString("cosine"));
    QCOMPARE(v.findChild<QLineEdit*>("trainClipNorm")->text(), QString("50"));
    QCOMPARE(v.findChild<QComboBox*>("trainGroups")->currentData().toString(), QString("per-block"));
    QCOMPARE(v.problem(), QString("quadratic:dim=5"));
    const MetaTrainConfig back = v.config();
    QCOMPARE(back.problem, c.problem);
    QCOMPARE(back.epochs, 1234);
    QCOMPARE(back.unroll, 10);
    QCOMPARE(back.learningRate, 0.003);
    QCOMPARE(back.validateEvery, 7);
    QCOMPARE(back.validationRuns, 3);
    QCOMPARE(back.seed, std::uint64_t(42));
    QVERIFY(back.secondDerivatives); // fields without a widget survive
    QVERIFY(back.groups == ParamGroups::PerBlock);
    QVERIFY(back.lrSchedule == LrSchedule::Cosine);
    QCOMPARE(back.clipNorm, 50.0);
    // Before a run the empty plot and the counter follow the Epochs set (they said 1000, the default, after an
    // experiment with 4000 was opened).
    QCOMPARE(child<QLabel>(&v, "trainEpochLabel")->text(), QString("epoch 0 / 1234"));
    QVERIFY(v.plot()->xAxis->range().upper >= 1234);
    // The command recorded in a studio-trained optimizer file repeats them.
    const QString command = QString::fromStdString(l2l::ui::trainCommand(back));
    QVERIFY2(command.contains(" --lr-schedule cosine") && command.contains(" --clip 50"), qPrintable(command));
    QVERIFY(!QString::fromStdString(l2l::ui::trainCommand(MetaTrainConfig{})).contains("--clip"));
    v.findChild<QLineEdit*>("trainClipNorm")->setText("-1");
    l2l::test::expectError([&] { v.config(); }, {"Clip meta-gradient", "-1"});
    v.findChild<QLineEdit*>("trainClipNorm")->setText("0");
    v.findChild<QComboBox*>("trainGroups")->setCurrentIndex(0);
    QVERIFY(v.config().groups == ParamGroups::Shared);
}

// Stop and Pause must take effect within one optimizee step, in an episode and in a validation.
void TestTrainView::stopLatencyOnMnist()
{
    try {
        makeProblemClass<float>("mnist");
    } catch (const Error& e) {
        QFAIL(e.what()); // MNIST must be installed: scripts/setup.sh fetches it
    }
    MetaTrainView v;
    v.setProblem("mnist");
    setSettings(v, 100, 1);
    QSignalSpy progressed(&v, &MetaTrainView::progressed), state(&v, &MetaTrainView::trainingStateChanged);
    QSignalSpy finished(&v, &MetaTrainView::finished);
    v.start();
    QVERIFY(progressed.wait(60000)); // epoch 1 trained and validated
    // Epoch 2's episode takes ~1 s, then its validation: pause inside the validation.
    QElapsedTimer sinceEpoch;
    sinceEpoch.start();
    QTRY_VERIFY_WITH_TIMEOUT(sinceEpoch.elapsed() > 1600, 5000);
    state.clear();
    QElapsedTimer clock;
    clock.start();
    v.pause();
    QTRY_VERIFY_WITH_TIMEOUT(!state.isEmpty(), 10000);
    const qint64 pauseMs = clock.elapsed();
    QVERIFY(v.isPaused());
    v.resume();
    QTRY_VERIFY_WITH_TIMEOUT(clock.elapsed() > pauseMs + 400, 5000); // inside the next episode
    clock.restart();
    v.stop();
    QVERIFY(finished.wait(10000));
    const qint64 stopMs = clock.elapsed();
    qInfo("MNIST: pause took %lld ms (at %lld ms after an epoch ended), stop took %lld ms", pauseMs,
          static_cast<long long>(1600), stopMs);
    QVERIFY2(pauseMs < 1000, qPrintable(QString::number(pauseMs)));
    QVERIFY2(stopMs < 1000, qPrintable(QString::number(stopMs)));
}

// An epoch that lasts (MNIST, meta-batch 8: several seconds) shows how far it has got; a stop inside the first one
// leaves nothing to save (Save best... wrote the random initial weights as "epochs": 0) and states the time it ran
// (it said "stopped after 0.0s" after 55 s).
void TestTrainView::stopInTheFirstEpochSavesNothing()
{
    MetaTrainView v;
    v.setProblem("mnist");
    setSettings(v, 5, 1);
    child<QSpinBox>(&v, "trainMetaBatch")->setValue(8);
    QSignalSpy finished(&v, &MetaTrainView::finished);
    v.start();
    auto* eta = child<QLabel>(&v, "trainEtaLabel");
    // The clock starts once the epoch has done some of its work: the time reported counts the training, not the
    // loading of MNIST before it (a test run alone, with the data not yet in the page cache, saw 1.5 s of 2).
    const QRegularExpression begun(QStringLiteral("epoch 1: [1-9][0-9]* % done"));
    QTRY_VERIFY_WITH_TIMEOUT(begun.match(eta->text()).hasMatch(), 20000);
    QElapsedTimer clock;
    clock.start();
    QTRY_VERIFY_WITH_TIMEOUT(clock.elapsed() > 2000, 5000);
    QVERIFY(v.isTraining());
    QVERIFY(!child<QPushButton>(&v, "trainSave")->isEnabled());
    v.stop();
    QVERIFY(finished.wait(10000));
    QVERIFY(!child<QPushButton>(&v, "trainSave")->isEnabled());
    QVERIFY(!child<QPushButton>(&v, "trainUse")->isEnabled());
    QString error;
    QVERIFY(!v.saveBest(QDir::temp().filePath("l2l-untrained.json"), &error));
    QVERIFY(!QFile::exists(QDir::temp().filePath("l2l-untrained.json")));
    // "stopped after 2.0s" or more, not 0.0s, and that nothing was kept.
    const QString text = eta->text();
    QVERIFY2(text.startsWith("stopped after ") &&
                 text.contains("before the first validation: no optimizer kept; Continue goes on from here"),
             qPrintable(text));
    const double seconds = text.mid(14).section(',', 0, 0).chopped(1).toDouble();
    QVERIFY2(seconds >= 1.9, qPrintable(text));
}

namespace {
// A quick training on the quadratic class: horizon 40, unroll 20.
MetaTrainConfig shortQuadratic(int epochs, int validateEvery)
{
    MetaTrainConfig c;
    c.problem = "quadratic";
    c.epochs = epochs;
    c.validateEvery = validateEvery;
    c.horizon = 40;
    c.unroll = 20;
    return c;
}

// The weights an uninterrupted MetaTrainer run of `config` ends with (optionally from `initial`).
Vec<float> uninterrupted(const MetaTrainConfig& config, const LstmNet<float>* initial = nullptr)
{
    auto t = initial ? std::make_unique<MetaTrainer>(config, *initial) : std::make_unique<MetaTrainer>(config);
    t->run([](const MetaProgress&) {}, nullptr);
    return t->state().net.params;
}
} // namespace

// Stop, then Continue: the run goes on from where it stopped with its own settings and ends with the weights of a
// run that never stopped (bit for bit: same build, and the result does not depend on the thread count). The run's
// checkpoint is written beside, and Continue asks for more Epochs once all are done.
void TestTrainView::stopThenContinueIsTheUninterruptedRun()
{
    MetaTrainView v;
    v.resize(1100, 600);
    v.show();
    v.setProblem("quadratic");
    setSettings(v, 400, 50, 40, 20);
    const MetaTrainConfig config = v.config();
    QSignalSpy finished(&v, &MetaTrainView::finished), failed(&v, &MetaTrainView::failed);
    auto* resume = child<QPushButton>(&v, "trainResume");
    QVERIFY(!resume->isEnabled());
    // Stopped from the progress of epoch 120 or so (it takes effect within an optimizee step): a poll of the counter
    // could come after the last epoch on a fast machine.
    connect(&v, &MetaTrainView::progressed, &v, [&v](const MetaProgress& p) {
        if (p.epoch >= 120 && p.epoch < p.epochs) v.stop();
    });
    click(&v, "trainStart");
    QVERIFY(finished.wait(60000));
    disconnect(&v, &MetaTrainView::progressed, &v, nullptr);
    const int stoppedAt = epochOf(&v);
    QVERIFY2(stoppedAt < 400, "the run ended before it could be stopped: give it more epochs");
    QVERIFY(v.canContinue());
    QCOMPARE(resume->text(), QStringLiteral("Continue"));
    QVERIFY(resume->isEnabled());
    QVERIFY2(child<QLabel>(&v, "trainEtaLabel")->text().contains("Continue goes on"),
             qPrintable(child<QLabel>(&v, "trainEtaLabel")->text()));
    const int points = v.plot()->graph(0)->dataCount();
    QCOMPARE(points, stoppedAt);

    click(&v, "trainResume");
    QVERIFY(v.isTraining());
    QVERIFY(finished.wait(60000));
    QCOMPARE(failed.count(), 0);
    QCOMPARE(epochOf(&v), 400);
    QCOMPARE(v.plot()->graph(0)->dataCount(), 400); // one curve, continued
    QVERIFY(v.bestOptimizer().has_value());
    QCOMPARE(v.bestOptimizer()->provenance.epochsDone, 400);
    // The provenance names the start and the Continue.
    const Provenance continued = v.bestOptimizer()->provenance;
    QCOMPARE(int(continued.earlierCommands.size()), 1);
    QVERIFY(QString::fromStdString(continued.earlierCommands[0]).startsWith("l2l train"));
    QVERIFY2(QString::fromStdString(continued.command).contains("Continue from epoch"), continued.command.c_str());
    const Vec<float> straight = uninterrupted(config);
    // The kept state (what Continue goes on from, and the checkpoint holds) is the uninterrupted run's.
    QString error;
    const QString saved = QDir::temp().filePath("l2l-test-continue.checkpoint.json");
    QVERIFY2(v.saveCheckpoint(saved, &error), qPrintable(error));
    const MetaTrainState kept = loadCheckpoint(saved.toStdString());
    QFile::remove(saved);
    QCOMPARE(kept.epoch, 400);
    QVERIFY(kept.net.params == straight);
    // The run wrote its own checkpoint as it went, and at the end.
    QVERIFY(!v.checkpointPath().isEmpty());
    QVERIFY(v.checkpointPath().endsWith(".checkpoint.json"));
    QCOMPARE(loadCheckpoint(v.checkpointPath().toStdString()).epoch, 400);
    QVERIFY(loadCheckpoint(v.checkpointPath().toStdString()).net.params == straight);

    // All epochs done: Continue needs more of them, and says which field.
    QVERIFY(resume->isEnabled());
    click(&v, "trainResume");
    QCOMPARE(failed.count(), 1);
    QVERIFY2(failed.last().at(0).toString().contains("Epochs 400"), qPrintable(failed.last().at(0).toString()));
    QVERIFY(!v.isTraining());
    QVERIFY(v.canContinue()); // nothing lost by the refusal
}

// A checkpoint opened in a fresh view: its settings fill the form, its curve is drawn, and Continue with more Epochs
// gives the run that went on to them without stopping. A corrupt or missing file is refused naming the file, and
// what was open before stays.
void TestTrainView::checkpointOpensAndContinues()
{
    QTemporaryDir dir;
    MetaTrainConfig config = shortQuadratic(100, 50);
    config.seed = 7;
    const QString path = dir.filePath("q.checkpoint.json");
    {
        MetaTrainer t(config);
        t.run([](const MetaProgress&) {}, nullptr);
        saveCheckpoint(path.toStdString(), t.state());
    }
    MetaTrainView v;
    v.resize(1100, 600);
    v.show();
    QVERIFY(!v.canContinue());
    QString error;
    QVERIFY2(v.openCheckpoint(path, &error), qPrintable(error));
    QVERIFY(v.canContinue());
    QCOMPARE(v.plot()->graph(0)->dataCount(), 100);
    QCOMPARE(epochOf(&v), 100);
    QCOMPARE(child<QSpinBox>(&v, "trainEpochs")->value(), 100);
    QCOMPARE(child<QSpinBox>(&v, "trainHorizon")->value(), 40);
    QVERIFY(v.bestOptimizer().has_value()); // Save best and Use work on an opened run
    QVERIFY(child<QPushButton>(&v, "trainSave")->isEnabled());
    QVERIFY2(child<QLabel>(&v, "trainEtaLabel")->text().contains("raise Epochs"),
             qPrintable(child<QLabel>(&v, "trainEtaLabel")->text()));

    // Bad files: nothing changes.
    const QString bad = dir.filePath("bad.checkpoint.json");
    QFile f(bad);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("{\"config\": {\"problem\": \"quadratic\"}, \"epoch\": \"many\"}");
    f.close();
    for (const QString& p : {bad, dir.filePath("missing.json")}) {
        QVERIFY(!v.openCheckpoint(p, &error));
        QVERIFY2(error.contains(p), qPrintable(error));
        QVERIFY(v.canContinue());
        QCOMPARE(v.plot()->graph(0)->dataCount(), 100);
    }

    QSignalSpy finished(&v, &MetaTrainView::finished), failed(&v, &MetaTrainView::failed);
    child<QSpinBox>(&v, "trainEpochs")->setValue(150);
    click(&v, "trainResume");
    QVERIFY(finished.wait(60000));
    QCOMPARE(failed.count(), 0);
    QCOMPARE(epochOf(&v), 150);
    QCOMPARE(v.plot()->graph(0)->dataCount(), 150);
    config.epochs = 150;
    QVERIFY(v.bestOptimizer()->net.params.size() > 0);
    QVERIFY(loadCheckpoint(v.checkpointPath().toStdString()).net.params == uninterrupted(config));
    QVERIFY(v.checkpointPath() != path); // the opened file is not written over
    QCOMPARE(loadCheckpoint(path.toStdString()).epoch, 100);
}

// Fine-tune: a new run from an optimizer file's weights, as `l2l train --init` (the uninterrupted MetaTrainer run
// from the same net); a file that cannot be read is refused naming it, and nothing starts.
void TestTrainView::fineTuneStartsFromTheFile()
{
    QTemporaryDir dir;
    MetaTrainer first(shortQuadratic(60, 30));
    first.run([](const MetaProgress&) {}, nullptr);
    const QString file = dir.filePath("start.json");
    saveOptimizer(file.toStdString(), first.bestOptimizer("test"));

    MetaTrainView v;
    v.resize(1100, 600);
    v.show();
    v.setProblem("quadratic");
    setSettings(v, 90, 30, 40, 20);
    QString error;
    QVERIFY(!v.fineTune(dir.filePath("missing.json"), &error));
    QVERIFY2(error.contains("missing.json"), qPrintable(error));
    QVERIFY(!v.isTraining());
    QSignalSpy finished(&v, &MetaTrainView::finished), failed(&v, &MetaTrainView::failed);
    QVERIFY2(v.fineTune(file, &error), qPrintable(error));
    QVERIFY(v.isTraining());
    QVERIFY(finished.wait(60000));
    QCOMPARE(failed.count(), 0);
    const MetaTrainConfig form = v.config();
    const LstmNet<float> start = loadOptimizer(file.toStdString()).net;
    QVERIFY(loadCheckpoint(v.checkpointPath().toStdString()).net.params == uninterrupted(form, &start));
    QVERIFY(loadCheckpoint(v.checkpointPath().toStdString()).net.params != uninterrupted(form));
    // Its provenance says what it started from.
    const OptimizerFile best = *v.bestOptimizer();
    const Provenance& p = best.provenance;
    QCOMPARE(int(p.ancestors.size()), 1);
    QCOMPARE(p.ancestors[0].epochsDone, 60);
    QCOMPARE(p.ancestors[0].commands, std::vector<std::string>{"test"});
    QCOMPARE(p.ancestors[0].digest, optimizerFileDigest(file.toStdString()));
}

// Epochs 9999999: the x axis spanned all of them, so the curve was a vertical line at 0, running and stopped.
void TestTrainView::hugeEpochCountKeepsTheCurveReadable()
{
    MetaTrainView v;
    v.setProblem("quadratic");
    setSettings(v, 9999999, 100, 20, 20);
    QSignalSpy finished(&v, &MetaTrainView::finished);
    v.start();
    auto* plot = child<QCustomPlot>(&v, "trainPlot");
    QTRY_VERIFY_WITH_TIMEOUT(plot->graph(0)->dataCount() >= 300, 30000);
    QVERIFY2(plot->xAxis->range().upper < 20000, qPrintable(QString::number(plot->xAxis->range().upper)));
    v.stop();
    QVERIFY(finished.wait(10000));
    const double done = plot->graph(0)->dataMainKey(plot->graph(0)->dataCount() - 1);
    QVERIFY2(plot->xAxis->range().upper >= done && plot->xAxis->range().upper < 1.3 * done,
             qPrintable(QStringLiteral("%1 epochs, x to %2").arg(done).arg(plot->xAxis->range().upper)));
}

// Lecture issue item 2: meta-training on 2-d quadratics draws the learned path on a fixed function every N epochs
// from the weights being trained (checked against a MetaTrainer run here to the same epoch), the earlier ones as
// trails, the tuned baselines' paths, their validation levels as lines on the curve (checked against
// validationBaselines), and says from which snapshot on the learned path beats Adam's.
void TestTrainView::watchShowsItLearning()
{
    MetaTrainView v;
    v.resize(1100, 700);
    v.show();
    QVERIFY(QTest::qWaitForWindowExposed(&v));
    v.setProblem("quadratic");
    QVERIFY(!v.watchPanel()->isVisible()); // not a 2-d function class
    v.setProblem("quadratic2d");
    QVERIFY(v.watchPanel()->isVisible());
    setSettings(v, 120, 40);
    v.setWatchEvery(30);
    const MetaTrainConfig config = v.config();
    QSignalSpy finished(&v, &MetaTrainView::finished);
    click(&v, "trainStart");
    QVERIFY(finished.wait(120000));
    WatchPanel* w = v.watchPanel();
    QTRY_VERIFY_WITH_TIMEOUT(!w->isComputing() && w->reference().has_value(), 120000);
    QCOMPARE(w->snapshotEpochs(), (std::vector<int>{0, 30, 60, 90, 120}));
    QCOMPARE(w->landscape()->trailCount(), 4);
    // The last snapshot is the path of the weights after 120 epochs: the same training, run here.
    MetaTrainer trainer(config);
    trainer.run([](const MetaProgress&) {}, nullptr);
    const TrajectoryPath expected = learnedPath(WatchPanel::watchedFunction(config), trainer.state().net, "x");
    QVERIFY(w->snapshots().back().points == expected.points);
    QVERIFY(w->snapshots().front().points != expected.points); // it moved while training
    // The reference: every baseline's path on the same function, and their validation levels on the curve.
    const auto& ref = *w->reference();
    QCOMPARE(ref.paths.paths.size(), WatchPanel::baselines().size());
    const auto levels = validationBaselines(config, WatchPanel::baselines());
    int lines = 0;
    for (size_t i = 0; i < levels.size(); ++i) {
        QCOMPARE(ref.levels[i].level, levels[i].level);
        if (!std::isfinite(levels[i].level)) continue;
        const QCPGraph* g = v.plot()->graph(4 + lines++);
        QCOMPARE(g->name(), QString("%1 level (tuned)").arg(QString::fromStdString(levels[i].optimizer)));
        QCOMPARE(g->data()->begin()->value, levels[i].level);
    }
    QCOMPARE(v.plot()->graphCount(), 4 + lines);
    { // The y axis follows the curves: a level more than two decades above them stays off it (NAG's at 5.9e7).
        double curveHi = 0;
        for (int g = 0; g < 4; ++g) {
            bool found = false;
            const QCPRange r = v.plot()->graph(g)->getValueRange(found, QCP::sdPositive);
            if (found) curveHi = std::max(curveHi, r.upper);
        }
        QVERIFY(curveHi > 0);
        QVERIFY2(v.plot()->yAxis->range().upper <= 1.5 * 100 * curveHi * (1 + 1e-9),
                 qPrintable(QStringLiteral("%1 vs curve %2").arg(v.plot()->yAxis->range().upper).arg(curveHi)));
    }
    // When the learned path first beats Adam's mean loss on the function.
    double adam = 0;
    for (const auto& p : ref.paths.paths)
        if (p.rule.name == "adam") adam = meanLossOverSteps(p);
    int since = -1;
    for (size_t i = 0; i < w->snapshots().size() && since < 0; ++i)
        if (meanLossOverSteps(w->snapshots()[i]) < adam) since = w->snapshotEpochs()[i];
    QCOMPARE(w->beatsAdamSince(), since);
    QVERIFY(w->caption().contains("Epoch 120"));
    QVERIFY(w->caption().contains(since >= 0 ? QString("since epoch %1").arg(since) : QString("Not below")));
    QVERIFY(w->caption().contains("Dashed on the curve"));
    grabTo(&v, "meta-train-watch.png");
    // A run on a class that is not 2-d sends no paths.
    v.setProblem("quadratic");
    setSettings(v, 20, 10);
    click(&v, "trainStart");
    QVERIFY(finished.wait(60000));
    QCOMPARE(w->snapshotCount(), 5); // unchanged
}

// With a curriculum, validation measures on another horizon in each stage, so the baselines' dashed levels step
// with it: from the epoch a stage began, each is that stage's level (validationBaselines' stageLevels).
void TestTrainView::levelsFollowTheCurriculum()
{
    MetaTrainView v;
    v.resize(1100, 700);
    v.show();
    QVERIFY(QTest::qWaitForWindowExposed(&v));
    v.setProblem("quadratic2d");
    MetaTrainConfig c = v.config();
    c.epochs = 120;
    c.validateEvery = 5;
    c.horizon = 40;
    c.unroll = 10;
    c.curriculum = "10,20,40";
    c.curriculumPatience = 1;
    v.setConfig(c);
    v.setWatchEvery(60);
    const MetaTrainConfig config = v.config();
    QCOMPARE(config.curriculum, std::string("10,20,40"));
    QSignalSpy finished(&v, &MetaTrainView::finished);
    click(&v, "trainStart");
    QVERIFY(finished.wait(120000));
    WatchPanel* w = v.watchPanel();
    QTRY_VERIFY_WITH_TIMEOUT(!w->isComputing() && w->reference().has_value(), 120000);
    // The stage each epoch trained in, from the view's own history (its CSV export).
    QTemporaryDir dir;
    QString error;
    QVERIFY2(v.exportCsv(dir.filePath("t.csv"), &error), qPrintable(error));
    QFile csv(dir.filePath("t.csv"));
    QVERIFY(csv.open(QIODevice::ReadOnly));
    std::vector<double> starts{0}; // stage 0 from the start
    for (const QByteArray& line : csv.readAll().trimmed().split('\n').mid(1)) {
        const QList<QByteArray> f = line.split(',');
        while (int(starts.size()) <= f[4].toInt()) starts.push_back(f[0].toDouble());
    }
    QVERIFY2(starts.size() >= 2, "the run should reach a second stage"); // else the test shows nothing
    const auto levels = validationBaselines(config, WatchPanel::baselines());
    int lines = 0;
    for (const BaselineLevel& b : levels) {
        QCOMPARE(int(b.stageLevels.size()), 3);
        // A line for every baseline with a finite positive level on the last stage; a gap (NaN) where it diverged.
        if (!std::isfinite(b.level) || b.level <= 0) continue;
        const QCPGraph* g = v.plot()->graph(4 + lines++);
        QCOMPARE(g->name(), QString("%1 level (tuned)").arg(QString::fromStdString(b.optimizer)));
        // Two points per stage reached: its start and the next one's (the last: the end of the run).
        QCOMPARE(g->data()->size(), int(2 * starts.size()));
        for (size_t s = 0; s < starts.size(); ++s) {
            const auto first = g->data()->at(int(2 * s)), last = g->data()->at(int(2 * s + 1));
            QCOMPARE(first->key, starts[s]);
            QCOMPARE(last->key, s + 1 < starts.size() ? starts[s + 1] : 120.0);
            const double l = b.stageLevels[s];
            const double drawn = std::isfinite(l) && l > 0 ? l : std::numeric_limits<double>::quiet_NaN();
            QCOMPARE(first->value, drawn);
            QCOMPARE(last->value, drawn);
        }
    }
    QVERIFY(lines > 0);
    QTest::qWait(50); // the queued replot
    grabTo(&v, "meta-train-curriculum.png");
}

void TestTrainView::inspectDrawsEveryFigure()
{
    InspectView v;
    v.resize(1280, 760);
    v.show();
    v.setInspection("quadratic", "lstm", 1, 100, std::numeric_limits<double>::quiet_NaN(), 0.05);
    QSignalSpy computed(&v, &InspectView::computed), failed(&v, &InspectView::failed);
    v.refresh();
    QVERIFY(v.isComputing());
    QVERIFY(computed.wait(30000));
    QCOMPARE(failed.count(), 0);
    QVERIFY(!v.isComputing());
    const QList<QCustomPlot*> plots = v.plots();
    QCOMPARE(plots.size(), 3);
    QCOMPARE(plots[0]->objectName(), QString("responsePlot"));
    QVERIFY(plots[0]->graphCount() == 4);
    for (int i = 0; i < 4; ++i) QCOMPARE(plots[0]->graph(i)->dataCount(), 122);
    // Adam's rate was not given: the one a comparison would use if it is known without a search (shipped for this
    // build, or cached), else the default; SGD's was given.
    TuneResult known;
    bool fromShipped = false;
    const TuningCache cache(defaultCachePath());
    const bool tuned =
        knownTunedRate(makeProblemClass<float>("quadratic")->canonicalSpec(), UpdateRuleConfig::parse("adam"), 100,
                       TuneConfig{}, &cache, shippedRatesFor("quadratic", true, {}), known, fromShipped);
    const QString adamName = plots[0]->graph(1)->name();
    QVERIFY2(
        adamName.contains(tuned ? QString("lr %1, tuned").arg(known.bestRate, 0, 'g', 3) : QString("lr 0.1, default")),
        qPrintable(adamName));
    QVERIFY2(plots[0]->graph(0)->name().endsWith("(lr 0.05)"), qPrintable(plots[0]->graph(0)->name()));
    {
        // A horizon nothing was tuned for (no search is run for Inspect): the default, said so.
        InspectView other;
        other.setInspection("quadratic", "lstm", 1, 37, std::numeric_limits<double>::quiet_NaN(),
                            std::numeric_limits<double>::quiet_NaN());
        QSignalSpy done(&other, &InspectView::computed);
        other.refresh();
        QVERIFY(done.wait(30000));
        const QString sgdName = other.plots()[0]->graph(0)->name();
        QVERIFY2(sgdName.contains("lr 0.01, default"), qPrintable(sgdName));
    }
    QCOMPARE(plots[1]->objectName(), QString("effectiveLrPlot"));
    for (int i = 0; i < plots[1]->graphCount(); ++i) QVERIFY(plots[1]->graph(i)->dataCount() > 0);
    QCOMPARE(plots[2]->objectName(), QString("hiddenPlot"));
    QCOMPARE(plots[2]->graphCount(), 2); // mean |h| of both layers
    QCOMPARE(plots[2]->graph(0)->dataCount(), 100);
    QCPColorMap* map = nullptr;
    for (int i = 0; i < plots[2]->plottableCount(); ++i)
        if (auto* m = qobject_cast<QCPColorMap*>(plots[2]->plottable(i))) map = m;
    QVERIFY(map && map->data()->keySize() == 100 && map->data()->valueSize() == 20);
    QTemporaryDir dir;
    QString error;
    QVERIFY2(v.exportCsv(dir.filePath("inspect.csv"), &error), qPrintable(error));
    QTest::qWait(50);
    grabTo(&v, "inspect.png");
}

void TestTrainView::inspectBadFileFails()
{
    InspectView v;
    v.setInspection("quadratic", "lstm:/nonexistent/opt.json", 1, 100, 0.1, 0.01);
    QSignalSpy computed(&v, &InspectView::computed), failed(&v, &InspectView::failed);
    v.refresh();
    QVERIFY(failed.wait(30000));
    QVERIFY(failed.first().at(0).toString().contains("/nonexistent/opt.json"));
    QCOMPARE(computed.count(), 0);
    QString error;
    QVERIFY(!v.exportCsv("/tmp/never.csv", &error));
}

void TestTrainView::inspectOneNetPerGroup()
{
    // The conv net's bundled optimizer has one LSTM per parameter group: the run is inspected with both,
    // and the response curve is that of the chosen net.
    InspectView v;
    v.resize(1280, 760);
    v.show();
    v.setInspection("convnet:batch=16,channels=4,fc_units=8", "lstm", 1, 10, 0.01, 0.05);
    QSignalSpy computed(&v, &InspectView::computed), failed(&v, &InspectView::failed);
    v.refresh();
    QVERIFY(computed.wait(60000));
    QCOMPARE(failed.count(), 0);
    auto* group = v.findChild<QComboBox*>("inspectGroup");
    QVERIFY(group && !group->isHidden());
    QCOMPARE(group->count(), 2);
    QCOMPARE(group->currentIndex(), 0);
    QCPGraph* lstm = v.plots()[0]->graph(2); // SGD, Adam, then the LSTM's first step
    QVERIFY(lstm->name().startsWith("LSTM, step 1"));
    QVector<double> first;
    for (auto it = lstm->data()->constBegin(); it != lstm->data()->constEnd(); ++it) first << it->value;
    group->setCurrentIndex(1);
    emit group->activated(1);
    QVERIFY(computed.wait(60000));
    QVector<double> second;
    lstm = v.plots()[0]->graph(2);
    for (auto it = lstm->data()->constBegin(); it != lstm->data()->constEnd(); ++it) second << it->value;
    QCOMPARE(first.size(), second.size());
    QVERIFY(first != second); // two different nets
    QCOMPARE(group->currentIndex(), 1);
    // A quadratic (one net) hides the choice again.
    v.setInspection("quadratic", "lstm", 1, 20, 0.1, 0.05);
    v.refresh();
    QVERIFY(computed.wait(30000));
    QVERIFY(group->isHidden());
}

QTEST_MAIN(TestTrainView)
#include "test_train_view.moc"
