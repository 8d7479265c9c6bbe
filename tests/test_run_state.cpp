// The studio window's one run state (issue 20): whatever view started the job, Run, Stop, Esc, the status bar and
// quitting refer to it; another job is refused with the reason while one runs. Also: results belong to the settings
// that made them (a problem change clears them), the bundled examples open and run, and the first MNIST comparison
// shows progress within a second of Run.
#include "GuiTest.h"
#include "TimeLimits.h"
#include "gl/LandscapeWidget.h"
#include "io/ExperimentFile.h"
#include "views/ArtView.h"
#include "views/CompareView.h"
#include "views/ExperimentPanel.h"
#include "views/FocusRing.h"
#include "views/MainWindow.h"
#include "views/MetaTrainView.h"
#include "views/TrajectoryView.h"
#include "views/TransferView.h"

#include <QAbstractSlider>
#include <QAbstractSpinBox>
#include <QAction>
#include <QComboBox>
#include <QElapsedTimer>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSet>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableWidget>
#include <QTest>
#include <QTimer>

#include <memory>

using namespace l2l;
using namespace l2l::ui;
using l2l::test::child;

class TestRunState : public QObject {
    Q_OBJECT
public:
    static void initMain() { l2l::test::useStudioGlFormat(); }

private slots:
    void init();
    void cleanup();
    void escAndToolbarStopEndMetaTraining();
    void otherJobsAreRefusedWhileTraining();
    void runInAViewStartsThatViewsJob();
    void transferMapIsTheJob();
    void quitAsksWhileAJobRuns();
    void problemChangeClearsOldResults();
    void examplesOpenAndRun();
    void panelShowsWhatTheViewUses();
    void optionsAreCheckedAsTyped();
    void keyboardReachesEverything();
    void firstMnistComparisonShowsProgressAtOnce();

private:
    void startLongTraining();
    void waitIdle();
    QAction* action(const QString& name) { return child<QAction>(m_window.get(), name); }
    QString jobLabel() { return child<QLabel>(m_window.get(), "jobLabel")->text(); }
    std::unique_ptr<MainWindow> m_window;
};

void TestRunState::init()
{
    m_window = std::make_unique<MainWindow>();
    m_window->setErrorDialogsEnabled(false);
    m_window->setQuitConfirmation([](const QString&) { return true; });
    m_window->metaTrainView()->setStopConfirmation([](const QString&) { return true; }); // no dialog
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    m_window->activateWindow(); // keys go to the window (shortcuts: Ctrl+R, Esc)
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
}

void TestRunState::cleanup()
{
    if (m_window) {
        m_window->stopExperiment();
        waitIdle();
    }
    m_window.reset();
}

void TestRunState::waitIdle() { QTRY_VERIFY_WITH_TIMEOUT(!m_window->isBusy(), 60000); }

// Meta-training on 10-d quadratics for far more epochs than a test lasts, started from the view by Ctrl+R.
void TestRunState::startLongTraining()
{
    m_window->showView(MainWindow::MetaTrain);
    child<QSpinBox>(m_window.get(), "trainEpochs")->setValue(1000000);
    child<QSpinBox>(m_window.get(), "trainValidateEvery")->setValue(1000);
    QTest::keyClick(m_window.get(), Qt::Key_R, Qt::ControlModifier); // Run in the Meta-train view: train
    QTRY_VERIFY_WITH_TIMEOUT(m_window->activeJob() == MainWindow::Job::MetaTrain, 5000);
    QVERIFY2(m_window->lastError().isEmpty(), qPrintable(m_window->lastError()));
    QVERIFY(m_window->metaTrainView()->isTraining());
    QVERIFY(action("stopAction")->isEnabled());
    QVERIFY(!action("runAction")->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(jobLabel().startsWith("Meta-training"), 5000);
}

void TestRunState::escAndToolbarStopEndMetaTraining()
{
    // Before the first validation the user's Stop asks first (it would keep nothing): Cancel goes on, Yes stops.
    QStringList asked;
    bool answer = false;
    m_window->metaTrainView()->setStopConfirmation([&](const QString& question) {
        asked << question;
        return answer;
    });
    startLongTraining();
    QTest::keyClick(m_window.get(), Qt::Key_Escape);
    QCOMPARE(asked.size(), 1);
    QVERIFY2(asked[0].contains("keeps no optimizer"), qPrintable(asked[0]));
    QTest::qWait(200);
    QVERIFY(m_window->metaTrainView()->isTraining());
    answer = true;
    QTest::keyClick(m_window.get(), Qt::Key_Escape);
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->metaTrainView()->isTraining(), l2l::test::msLimit(5000));
    QVERIFY2(child<QLabel>(m_window.get(), "trainEtaLabel")->text().contains("no optimizer kept"),
             qPrintable(child<QLabel>(m_window.get(), "trainEtaLabel")->text()));
    QCOMPARE(jobLabel(), QString("Ready"));
    QVERIFY(action("runAction")->isEnabled());
    QVERIFY(!action("stopAction")->isEnabled());

    // The toolbar's Stop from another view stops it too.
    startLongTraining();
    m_window->showView(MainWindow::Compare);
    QVERIFY(action("stopAction")->isEnabled());
    action("stopAction")->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->metaTrainView()->isTraining(), l2l::test::msLimit(5000));
    QVERIFY(!m_window->isBusy());
}

void TestRunState::otherJobsAreRefusedWhileTraining()
{
    startLongTraining();
    // Every other start is disabled, with the reason as its tooltip.
    for (const char* name : {"runButton", "artRun", "transferCompute"}) {
        auto* b = child<QPushButton>(m_window.get(), name);
        QVERIFY2(!b->isEnabled(), name);
        QVERIFY2(b->toolTip().contains("Meta-training is running"), qPrintable(b->toolTip()));
    }
    // Run from Compare (a shortcut or a call) is refused and says why; nothing starts.
    m_window->showView(MainWindow::Compare);
    m_window->runExperiment();
    QVERIFY(!m_window->isRunning());
    QVERIFY2(m_window->lastError().contains("Meta-training is running"), qPrintable(m_window->lastError()));
    m_window->showView(MainWindow::Art);
    m_window->runExperiment();
    QVERIFY(!m_window->artView()->isRunning());
    m_window->showView(MainWindow::Transfer);
    m_window->runExperiment();
    QVERIFY(!m_window->transferView()->isComputing());
    QCOMPARE(m_window->activeJob(), MainWindow::Job::MetaTrain);
    m_window->stopExperiment();
    waitIdle();
    for (const char* name : {"runButton", "artRun", "transferCompute"})
        QVERIFY2(child<QPushButton>(m_window.get(), name)->isEnabled(), name);
}

// A transfer map is the window's job too: Run and the other starts are refused until it ends; Esc stops it.
void TestRunState::transferMapIsTheJob()
{
    m_window->transferView()->setFamily("mnist");
    m_window->transferView()->setRuns(20);
    m_window->showView(MainWindow::Transfer);
    m_window->runExperiment();
    QCOMPARE(m_window->activeJob(), MainWindow::Job::Transfer);
    QVERIFY(!action("runAction")->isEnabled());
    QVERIFY(action("stopAction")->isEnabled());
    QVERIFY(!child<QPushButton>(m_window.get(), "trainStart")->isEnabled());
    QVERIFY(jobLabel().startsWith("A transfer map"));
    m_window->showView(MainWindow::Compare);
    m_window->runExperiment();
    QVERIFY(!m_window->isRunning());
    QVERIFY2(m_window->lastError().contains("A transfer map is running"), qPrintable(m_window->lastError()));
    // The side panel says so, and its Stop stops the map (it was disabled: only Esc and the toolbar stopped it).
    auto* status = child<QLabel>(m_window.get(), "statusLabel");
    QVERIFY2(status->text().startsWith("A transfer map is running"), qPrintable(status->text()));
    auto* stop = child<QPushButton>(m_window.get(), "stopButton");
    QVERIFY(stop->isEnabled());
    QTest::mouseClick(stop, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->isBusy(), l2l::test::msLimit(30000));
    QVERIFY(action("runAction")->isEnabled());
    QVERIFY(!stop->isEnabled());
    QCOMPARE(status->text(), QString("Ready.")); // the comparison's status again
}

// Run starts the current view's job; while a comparison runs, Meta-train's Start is refused.
void TestRunState::runInAViewStartsThatViewsJob()
{
    auto* combo = child<QComboBox>(m_window.get(), "problemCombo");
    combo->setCurrentIndex(combo->findData("mnist")); // milliseconds per step: long enough to act on
    child<QSpinBox>(m_window.get(), "runsField")->setValue(2);
    child<QSpinBox>(m_window.get(), "stepsField")->setValue(20000);
    for (const char* n : {"sgd", "nag", "rmsprop", "adam"})
        child<QLineEdit>(m_window.get(), QString("rate_") + n)->setText("0.01");
    m_window->showView(MainWindow::Compare);
    m_window->runExperiment();
    QVERIFY(m_window->isRunning());
    QCOMPARE(m_window->activeJob(), MainWindow::Job::Compare);
    QTRY_VERIFY_WITH_TIMEOUT(jobLabel().startsWith("A comparison"), 5000);
    QVERIFY(!child<QPushButton>(m_window.get(), "trainStart")->isEnabled());
    m_window->showView(MainWindow::MetaTrain);
    m_window->runExperiment();
    QVERIFY(!m_window->metaTrainView()->isTraining());
    QVERIFY2(m_window->lastError().contains("A comparison is running"), qPrintable(m_window->lastError()));
    QTest::keyClick(m_window.get(), Qt::Key_Escape); // Esc in Meta-train stops the comparison
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->isRunning(), l2l::test::msLimit(5000));
    QCOMPARE(jobLabel(), QString("Ready"));
}

void TestRunState::quitAsksWhileAJobRuns()
{
    QStringList asked;
    m_window->setQuitConfirmation([&asked](const QString& q) {
        asked << q;
        return false;
    });
    QVERIFY(m_window->close()); // nothing runs: no question
    QVERIFY(asked.isEmpty());
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    m_window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    startLongTraining();
    QVERIFY(!m_window->close()); // declined: the window and the training stay
    QCOMPARE(asked.size(), 1);
    QVERIFY2(asked[0].contains("Meta-training is running"), qPrintable(asked[0]));
    QVERIFY(m_window->isVisible());
    QVERIFY(m_window->metaTrainView()->isTraining());
    m_window->setQuitConfirmation([&asked](const QString& q) {
        asked << q;
        return true;
    });
    QVERIFY(m_window->close()); // accepted: stopped
    QCOMPARE(asked.size(), 2);
    waitIdle();
}

void TestRunState::problemChangeClearsOldResults()
{
    child<QSpinBox>(m_window.get(), "runsField")->setValue(2);
    child<QSpinBox>(m_window.get(), "stepsField")->setValue(10);
    for (const char* n : {"sgd", "nag", "rmsprop", "adam"})
        child<QLineEdit>(m_window.get(), QString("rate_") + n)->setText("0.01");
    QSignalSpy finished(m_window.get(), &MainWindow::runFinished);
    m_window->runExperiment();
    QVERIFY(finished.wait(60000));
    CompareView* compare = m_window->compareView();
    QCOMPARE(int(compare->result().optimizers.size()), 5);
    QVERIFY(compare->table()->rowCount() > 0);
    auto* combo = child<QComboBox>(m_window.get(), "problemCombo");
    combo->setCurrentIndex(combo->findData("mnist"));
    QVERIFY(compare->result().optimizers.empty());
    QCOMPARE(compare->table()->rowCount(), 0);
    QVERIFY2(compare->placeholder().startsWith("mnist"), qPrintable(compare->placeholder()));
    // A change of the run count makes the same figure stale too.
    combo->setCurrentIndex(combo->findData("quadratic"));
    m_window->runExperiment();
    QVERIFY(finished.wait(60000));
    QVERIFY(!compare->result().optimizers.empty());
    child<QSpinBox>(m_window.get(), "runsField")->setValue(3);
    QVERIFY(compare->result().optimizers.empty());
}

void TestRunState::examplesOpenAndRun()
{
    const auto examples = MainWindow::examples();
    QVERIFY2(examples.size() >= 13, qPrintable(QString::number(examples.size())));
    QStringList views;
    for (const auto& [title, path] : examples) {
        QVERIFY2(!title.endsWith(".json"), qPrintable(title)); // every example has a title
        QVERIFY2(m_window->openExample(path), qPrintable(m_window->lastError()));
        const Experiment e = loadExperiment(path.toStdString());
        QCOMPARE(m_window->panel()->experiment().eval.problem, e.eval.problem);
        QCOMPARE(QString(MainWindow::viewName(m_window->currentView())), QString::fromStdString(e.view));
        QVERIFY2(m_window->windowTitle().contains(title), qPrintable(m_window->windowTitle()));
        QVERIFY(m_window->recentFiles().isEmpty()); // bundled files stay out of Recent
        if (e.view == "trajectories")
            QCOMPARE(m_window->trajectoryView()->functionSpec(), QString::fromStdString(e.trajectoryFunction));
        views << QString::fromStdString(e.view);
    }
    QVERIFY(views.contains("compare") && views.contains("trajectories") && views.contains("art"));
    // The quadratic figure runs as shipped (20 runs x 100 steps, tuned rates) and draws every optimizer.
    for (const auto& [title, path] : examples)
        if (path.endsWith("fig4-quadratic.json")) QVERIFY(m_window->openExample(path));
    QSignalSpy finished(m_window.get(), &MainWindow::runFinished);
    m_window->runExperiment();
    QVERIFY(finished.wait(120000));
    QVERIFY2(m_window->lastError().isEmpty(), qPrintable(m_window->lastError()));
    QCOMPARE(int(m_window->compareView()->result().optimizers.size()), 5);
    QCOMPARE(m_window->compareView()->result().completedSteps, 100);
}

// The side panel's groups are enabled only where the current view uses them, with a note saying what it uses.
void TestRunState::panelShowsWhatTheViewUses()
{
    auto* note = child<QLabel>(m_window.get(), "scopeNote");
    auto* problem = child<QComboBox>(m_window.get(), "problemCombo");
    auto* rate = child<QLineEdit>(m_window.get(), "rate_adam");
    auto* runs = child<QSpinBox>(m_window.get(), "runsField");
    auto* steps = child<QSpinBox>(m_window.get(), "stepsField");
    struct Expect {
        MainWindow::View view;
        bool problem, optimizers, runs, steps;
    };
    for (const Expect& e :
         {Expect{MainWindow::Compare, true, true, true, true}, Expect{MainWindow::MetaTrain, true, false, false, false},
          Expect{MainWindow::Trajectories, false, true, false, true},
          Expect{MainWindow::Inspect, true, true, false, true}, Expect{MainWindow::Art, false, true, false, false},
          Expect{MainWindow::Transfer, false, false, false, false}}) {
        m_window->showView(e.view);
        const char* name = MainWindow::viewName(e.view);
        QVERIFY2(problem->isEnabledTo(m_window.get()) == e.problem, name);
        QVERIFY2(rate->isEnabledTo(m_window.get()) == e.optimizers, name);
        QVERIFY2(runs->isEnabled() == e.runs, name);
        QVERIFY2(steps->isEnabled() == e.steps, name);
        QVERIFY2(note->isVisibleTo(m_window.get()) == (e.view != MainWindow::Compare), name);
    }
    // The panel's Run is a comparison from any view.
    m_window->showView(MainWindow::Transfer);
    child<QSpinBox>(m_window.get(), "runsField");
    QSignalSpy finished(m_window.get(), &MainWindow::runFinished);
    m_window->showView(MainWindow::Compare);
    runs->setValue(2);
    steps->setValue(5);
    m_window->showView(MainWindow::Art);
    QTest::mouseClick(child<QPushButton>(m_window.get(), "runButton"), Qt::LeftButton);
    QCOMPARE(m_window->currentView(), MainWindow::Compare);
    QVERIFY(finished.wait(60000));
}

// The Options field says what is wrong while it is typed (unknown key, malformed text), with a red frame.
void TestRunState::optionsAreCheckedAsTyped()
{
    auto* options = child<QLineEdit>(m_window.get(), "optionsEdit");
    auto* message = child<QLabel>(m_window.get(), "optionsError");
    QVERIFY(!message->isVisible());
    QTest::keyClicks(options, "colour=blue");
    QVERIFY(message->isVisible());
    QVERIFY2(message->text().contains("colour") && message->text().contains("dim"), qPrintable(message->text()));
    QVERIFY(options->styleSheet().contains("border"));
    options->clear();
    QTest::keyClicks(options, "dim=20");
    QVERIFY(!message->isVisible());
    QVERIFY(options->styleSheet().isEmpty());
    QTest::keyClicks(options, ",dim"); // malformed: no '='
    QVERIFY(message->isVisible());
}

// Every control has an accessible name (its own, or the label it is the buddy of); the keyboard focus is framed;
// the Trajectories start point moves with the arrow keys.
void TestRunState::keyboardReachesEverything()
{
    QSet<QWidget*> labelled;
    for (QLabel* l : m_window->findChildren<QLabel*>())
        if (l->buddy()) labelled.insert(l->buddy());
    QStringList unnamed;
    for (QWidget* w : m_window->findChildren<QWidget*>()) {
        const bool control = qobject_cast<QLineEdit*>(w) || qobject_cast<QComboBox*>(w) ||
                             qobject_cast<QAbstractSpinBox*>(w) || qobject_cast<QAbstractSlider*>(w);
        if (!control || w->focusPolicy() == Qt::NoFocus || qobject_cast<QAbstractSpinBox*>(w->parentWidget()) ||
            qobject_cast<QComboBox*>(w->parentWidget()))
            continue; // (a spin box's or combo box's own line edit is named by its owner)
        if (w->accessibleName().isEmpty() && !labelled.contains(w))
            unnamed << QString("%1 '%2'").arg(w->metaObject()->className(), w->objectName());
    }
    QVERIFY2(unnamed.isEmpty(), qPrintable(unnamed.join(", ")));

    auto* rate = child<QLineEdit>(m_window.get(), "rate_adam");
    rate->setFocus(Qt::TabFocusReason);
    auto* ring = child<FocusRing>(m_window.get(), "focusRing");
    QTRY_VERIFY(ring->isVisible() && ring->target() == rate);
    QVERIFY(ring->geometry().contains(QRect(rate->mapTo(m_window.get(), QPoint(0, 0)), rate->size())));
    // A view whose scope hides or disables panel groups moves the focused field without a Move event of its own
    // (or takes the focus elsewhere): the frame is where its target is now, in every view (it was left behind).
    child<QLineEdit>(m_window.get(), "optionsEdit")->setFocus(Qt::TabFocusReason);
    QTRY_VERIFY(ring->target() == child<QLineEdit>(m_window.get(), "optionsEdit"));
    for (int v = 0; v < MainWindow::kViewCount; ++v) {
        m_window->showView(MainWindow::View(v));
        QTest::qWait(20);
        QWidget* target = ring->target();
        if (!target || !ring->isVisible()) continue;
        const QRect framed(target->mapTo(m_window.get(), QPoint(0, 0)), target->size());
        QVERIFY2(ring->geometry().adjusted(3, 3, -3, -3) == framed,
                 qPrintable(QString("%1: %2 framed at %3,%4, is at %5,%6")
                                .arg(MainWindow::viewName(MainWindow::View(v)), target->objectName())
                                .arg(ring->x() + 3)
                                .arg(ring->y() + 3)
                                .arg(framed.x())
                                .arg(framed.y())));
    }
    m_window->showView(MainWindow::Trajectories);
    auto* landscape = m_window->trajectoryView()->findChild<LandscapeWidget*>();
    QVERIFY(landscape);
    landscape->setFocus(Qt::TabFocusReason);
    QTRY_VERIFY(ring->target() == landscape);
    const QPointF before = m_window->trajectoryView()->startPoint();
    QTest::keyClick(landscape, Qt::Key_Right);
    QTest::keyClick(landscape, Qt::Key_Up, Qt::ShiftModifier);
    const QPointF after = m_window->trajectoryView()->startPoint();
    QVERIFY2(after.x() > before.x() && after.y() > before.y(),
             qPrintable(QString("%1,%2 -> %3,%4").arg(before.x()).arg(before.y()).arg(after.x()).arg(after.y())));
}

// The first MNIST comparison from an empty cache (this test's own cache directory) shows its phase and progress
// within a second of Run (its start-up phase on a busy bar), then the worker's progress (tuning or evaluating).
void TestRunState::firstMnistComparisonShowsProgressAtOnce()
{
    auto* combo = child<QComboBox>(m_window.get(), "problemCombo");
    combo->setCurrentIndex(combo->findData("mnist"));
    child<QSpinBox>(m_window.get(), "runsField")->setValue(20);
    child<QSpinBox>(m_window.get(), "stepsField")->setValue(100);
    auto* bar = child<QProgressBar>(m_window.get(), "runProgress");
    QElapsedTimer clock;
    clock.start();
    m_window->runExperiment();
    QVERIFY(bar->isVisible()); // at once: the start-up phase

    QVERIFY2(bar->format().startsWith("Starting"), qPrintable(bar->format()));
    QCOMPARE(bar->maximum(), 0); // a busy bar while the problem and the optimizers load
    QVERIFY2(clock.elapsed() < l2l::test::msLimit(1000), qPrintable(QString::number(clock.elapsed())));
    // Then the worker's own progress: tuning (which rate) or evaluating (which step), with its share.
    // (0.7 s on the 2-core development machine since the lanes' LSTMs share one block's scratch; 2.7 s before.)
    QTRY_VERIFY_WITH_TIMEOUT(bar->format().startsWith("Tuning") || bar->format().startsWith("Evaluating"),
                             l2l::test::msLimit(3000));
    QVERIFY(bar->maximum() > 0);
    qInfo("worker progress after %lld ms: %s", clock.elapsed(), qPrintable(bar->format()));
    QVERIFY(!m_window->compareView()->placeholder().contains("Choose a problem"));
    m_window->stopExperiment();
    waitIdle();
}

QTEST_MAIN(TestRunState)
#include "test_run_state.moc"
