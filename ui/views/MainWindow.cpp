#include "views/MainWindow.h"

#include "views/WheelGuard.h"

#include "base/Spec.h"
#include "io/ExperimentFile.h"

#include "views/ArtView.h"
#include "views/CompareView.h"
#include "views/ElidedLabel.h"
#include "views/ExperimentPanel.h"
#include "views/FocusRing.h"
#include "views/GraphView.h"
#include "views/InspectView.h"
#include "views/LessonBar.h"
#include "views/MetaTrainView.h"
#include "views/TrajectoryView.h"
#include "views/TransferView.h"
#include "workers/EvalJob.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QKeySequence>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QScreen>
#include <QScrollArea>
#include <QScrollBar>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>
#include <QWhatsThis>

#include <cmath>

namespace l2l::ui {

namespace {

// The learning rate typed for `name` in the experiment, NaN for tuned or unparsable (Inspect's
// reference curves then use their defaults).
double typedRate(const Experiment& e, const std::string& name)
{
    for (const auto& o : e.optimizers)
        if (o.name == name && !o.rate.empty()) try {
                return parseDouble(o.rate, name);
            } catch (const Error&) {
            }
    return std::nan("");
}

// An action's tooltip: what it does, and its key ("Run the comparison… (Ctrl+R)").
QString withShortcut(const QString& tip, const QKeySequence& key)
{
    return key.isEmpty() ? tip : tip + QStringLiteral(" (") + key.toString(QKeySequence::NativeText) + ')';
}

} // namespace

MainWindow::MainWindow(QSettings* settings, QWidget* parent)
    : QMainWindow(parent), m_settings(settings), m_runner(new Runner(QStringLiteral("l2l-eval"), this))
{
    setWindowTitle(tr("L2L Studio"));
    setObjectName(QStringLiteral("mainWindow"));
    setAcceptDrops(true);
    // Once per application: wheel over an unfocused spin or combo box scrolls the form instead (WheelGuard.h).
    if (qApp && !qApp->property("l2lWheelGuard").toBool()) {
        qApp->installEventFilter(new WheelGuard(qApp));
        qApp->setProperty("l2lWheelGuard", true);
    }
    // Keys the focused widget would take from the window: Ctrl+E in a field, Page Down/Up in a lesson (eventFilter).
    if (qApp) qApp->installEventFilter(this);
    createViews();
    createPanel();
    m_baseFont = QApplication::font();
    createActions();
    createLectureActions();
    createMenus();
    connectViews();
    m_jobLabel = new ElidedLabel;
    m_jobLabel->setObjectName(QStringLiteral("jobLabel"));
    statusBar()->addPermanentWidget(m_jobLabel);
    m_confirmQuit = [this](const QString& question) {
        return QMessageBox::question(this, tr("L2L Studio"), question, QMessageBox::Yes | QMessageBox::Cancel,
                                     QMessageBox::Cancel) == QMessageBox::Yes;
    };
    new FocusRing(this);
    // 1280x800, or the screen's available area where that is smaller (a 1024x640 screen had the status bar and the
    // views' right edges off-screen).
    const QRect screen = QGuiApplication::primaryScreen() ? QGuiApplication::primaryScreen()->availableGeometry()
                                                          : QRect(0, 0, 1280, 800);
    resize(std::min(1280, screen.width()), std::min(800, screen.height()));
    restoreSettings();
    syncViews();
    updatePanelScope();
    updateJobState();
    // What's This (Shift+F1, Help menu): every control's help is its tooltip (as set up to here, start buttons
    // included), unless it has a longer text of its own.
    for (QWidget* w : findChildren<QWidget*>())
        if (w->whatsThis().isEmpty() && !w->toolTip().isEmpty()) w->setWhatsThis(w->toolTip());
    for (QAction* a : findChildren<QAction*>())
        if (a->whatsThis().isEmpty() && !a->statusTip().isEmpty()) a->setWhatsThis(a->statusTip());
}

MainWindow::~MainWindow() = default;

void MainWindow::createViews()
{
    m_views = new QTabWidget;
    m_views->setObjectName(QStringLiteral("views"));
    m_views->setDocumentMode(true);
    m_compare = new CompareView;
    m_metaTrain = new MetaTrainView;
    m_trajectories = new TrajectoryView;
    m_inspect = new InspectView;
    m_art = new ArtView;
    m_transfer = new TransferView;
    m_graph = new GraphView;
    // Each view fills its tab and scrolls when the window is smaller than the view's minimum (large presentation
    // scales, a lesson strip above): a view never makes the window grow.
    auto scrolled = [](QWidget* view) {
        auto* area = new QScrollArea;
        area->setObjectName(QStringLiteral("viewScroll"));
        area->setWidget(view);
        area->setWidgetResizable(true);
        area->setFrameShape(QFrame::NoFrame);
        // As wide as the view needs at scale 1 (the window's minimum width is what it was without the scroll
        // area); at larger presentation scales a view wider than that scrolls sideways instead of growing the window.
        area->setMinimumWidth(view->minimumSizeHint().width());
        return area;
    };
    m_views->addTab(scrolled(m_compare), tr("Compare"));
    m_views->addTab(scrolled(m_metaTrain), tr("Meta-train"));
    m_views->addTab(scrolled(m_trajectories), tr("Trajectories"));
    m_views->addTab(scrolled(m_inspect), tr("Inspect"));
    m_views->addTab(scrolled(m_art), tr("Art"));
    m_views->addTab(scrolled(m_transfer), tr("Transfer"));
    m_views->addTab(scrolled(m_graph), tr("Graph"));
    m_views->setTabToolTip(Compare, tr("Loss curves of every optimizer over the same runs (Ctrl+1)"));
    m_views->setTabToolTip(MetaTrain, tr("Train an LSTM optimizer on the problem class (Ctrl+2)"));
    m_views->setTabToolTip(Trajectories, tr("Optimizer paths on a 2-d function (Ctrl+3)"));
    m_views->setTabToolTip(Inspect, tr("What the LSTM optimizer does with a gradient (Ctrl+4)"));
    m_views->setTabToolTip(Art, tr("Images stylised live by every optimizer: neural art (Ctrl+5)"));
    m_views->setTabToolTip(Transfer, tr("Where learned optimizers hold up: a heat map over variants of a problem "
                                        "(Ctrl+6)"));
    m_views->setTabToolTip(Graph, tr("The paper's Fig. 2 with a live run: the unrolled graph, forward and the "
                                     "meta-gradient backward (Ctrl+7)"));
    // The lecture strip (hidden until a lesson is opened) above the views.
    m_lessonBar = new LessonBar;
    m_lessonBar->hide();
    connect(m_lessonBar, &LessonBar::nextRequested, this, &MainWindow::nextSlide);
    connect(m_lessonBar, &LessonBar::previousRequested, this, &MainWindow::previousSlide);
    connect(m_lessonBar, &LessonBar::endRequested, this, &MainWindow::endLesson);
    auto* central = new QWidget;
    auto* column = new QVBoxLayout(central);
    column->setContentsMargins(0, 0, 0, 0);
    column->setSpacing(0);
    column->addWidget(m_lessonBar);
    column->addWidget(m_views, 1);
    setCentralWidget(central);
}

void MainWindow::createPanel()
{
    m_panel = new ExperimentPanel;
    connect(m_panel, &ExperimentPanel::runRequested, this, [this] { // the panel's Run: always a comparison
        showView(Compare);
        runExperiment();
    });
    connect(m_panel, &ExperimentPanel::stopRequested, this, &MainWindow::requestStopExperiment);
    connect(m_runner, &Runner::logLine, m_panel, &ExperimentPanel::appendLog);
    connect(m_runner, &Runner::snapshot, this, [this](const QVariant& v) {
        if (const auto* r = variantValue<EvalResult>(v))
            onSnapshot(*r);
        else if (const auto* p = variantValue<TuneProgress>(v))
            onTuneProgress(*p);
    });
    connect(m_runner, &Runner::finished, this, [this](const QVariant& v, bool) {
        if (const auto* r = variantValue<EvalResult>(v)) onFinished(*r);
    });
    connect(m_runner, &Runner::failed, this, &MainWindow::onFailed);
    auto* dock = new QDockWidget(tr("Experiment"));
    dock->setObjectName(QStringLiteral("experimentDock"));
    dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    // The panel scrolls vertically in a short window instead of setting the window's minimum height.
    auto* scroll = new QScrollArea;
    scroll->setObjectName(QStringLiteral("experimentScroll"));
    scroll->setWidget(m_panel);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setMinimumWidth(m_panel->minimumSizeHint().width() + scroll->verticalScrollBar()->sizeHint().width());
    m_panelScroll = scroll; // its minimum width follows the panel's (eventFilter: a file row adds a button)
    dock->setWidget(scroll);
    addDockWidget(Qt::LeftDockWidgetArea, dock);
    resizeDocks({dock}, {350}, Qt::Horizontal);
}

void MainWindow::createActions()
{
    auto action = [this](const QString& name, const QString& text, const QKeySequence& key, const QString& tip,
                         QStyle::StandardPixmap icon = QStyle::SP_CustomBase) {
        auto* a = new QAction(text, this);
        a->setObjectName(name);
        if (icon != QStyle::SP_CustomBase) a->setIcon(style()->standardIcon(icon));
        if (!key.isEmpty()) a->setShortcut(key);
        a->setToolTip(withShortcut(tip, key));
        a->setStatusTip(tip);
        return a;
    };
    m_runAction = action("runAction", tr("&Run"), QKeySequence(Qt::CTRL | Qt::Key_R),
                         tr("Run the experiment: tune missing rates, then every optimizer on the same instances"),
                         QStyle::SP_MediaPlay);
    m_stopAction = action("stopAction", tr("&Stop"), QKeySequence(Qt::Key_Escape),
                          tr("Stop the running experiment after the step in progress"), QStyle::SP_MediaStop);
    m_stopAction->setEnabled(false);
    m_stepAction = action("stepAction", tr("S&tep"), QKeySequence(Qt::Key_F10),
                          tr("Advance the trajectories by one step"), QStyle::SP_MediaSeekForward);
    m_playAction = action("playAction", tr("&Play / Pause"), QKeySequence(Qt::Key_F5),
                          tr("Play or pause the trajectories"), QStyle::SP_MediaPause);
    m_openAction = action("openAction", tr("&Open…"), QKeySequence::Open, tr("Open an experiment or an optimizer file"),
                          QStyle::SP_DialogOpenButton);
    m_saveAction = action("saveAction", tr("&Save Experiment"), QKeySequence::Save,
                          tr("Save every setting and the seed to an experiment file"), QStyle::SP_DialogSaveButton);
    m_saveAsAction = action("saveAsAction", tr("Save Experiment &As…"), QKeySequence::SaveAs,
                            tr("Save the experiment to a new file"));
    m_exportPlotAction = action("exportPlotAction", tr("&Export Plot…"), QKeySequence(Qt::CTRL | Qt::Key_E),
                                tr("Save the current view's plot as PNG or PDF"));
    m_exportCsvAction =
        action("exportCsvAction", tr("Export &Data (CSV)…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E),
               tr("Save the current view's numbers as CSV"));
    m_resetViewAction = action("resetViewAction", tr("&Reset Plot View"), QKeySequence(Qt::CTRL | Qt::Key_0),
                               tr("Fit the Compare plot to its data"));
    connect(m_runAction, &QAction::triggered, this, &MainWindow::runExperiment);
    connect(m_stopAction, &QAction::triggered, this, &MainWindow::requestStopExperiment);
    connect(m_stepAction, &QAction::triggered, this, &MainWindow::stepTrajectory);
    connect(m_playAction, &QAction::triggered, this, [this] {
        if (currentView() == Graph) {
            m_graph->togglePlay();
            return;
        }
        if (currentView() == MetaTrain) { // pauses or resumes the training (it jumped to Trajectories)
            if (m_metaTrain->isPaused())
                m_metaTrain->resume();
            else if (m_metaTrain->isTraining())
                m_metaTrain->pause();
            return;
        }
        showView(Trajectories);
        m_trajectories->togglePlay();
    });
    connect(m_openAction, &QAction::triggered, this, &MainWindow::openDialog);
    connect(m_saveAction, &QAction::triggered, this, [this] { saveDialog(false); });
    connect(m_saveAsAction, &QAction::triggered, this, [this] { saveDialog(true); });
    connect(m_exportPlotAction, &QAction::triggered, this, &MainWindow::exportPlotDialog);
    connect(m_exportCsvAction, &QAction::triggered, this, &MainWindow::exportCsvDialog);
    connect(m_resetViewAction, &QAction::triggered, m_compare, &CompareView::resetView);
}

void MainWindow::createMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(m_openAction);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    m_recentMenu->setObjectName(QStringLiteral("recentMenu"));
    connect(m_recentMenu, &QMenu::aboutToShow, this, &MainWindow::fillRecentMenu);
    QMenu* examplesMenu = file->addMenu(tr("E&xamples"));
    examplesMenu->setObjectName(QStringLiteral("examplesMenu"));
    for (const auto& [title, path] : examples()) {
        auto* a = examplesMenu->addAction(title, this, [this, path = path] { openExample(path); });
        a->setStatusTip(path);
    }
    if (examplesMenu->isEmpty()) examplesMenu->addAction(tr("(no examples found)"))->setEnabled(false);
    file->addActions({m_saveAction, m_saveAsAction});
    file->addSeparator();
    file->addActions({m_exportPlotAction, m_exportCsvAction});
    file->addSeparator();
    auto* quit = file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);
    quit->setObjectName(QStringLiteral("quitAction"));

    QMenu* experiment = menuBar()->addMenu(tr("&Experiment"));
    experiment->addActions({m_runAction, m_stopAction});
    experiment->addSeparator();
    experiment->addActions({m_stepAction, m_playAction});

    QMenu* view = menuBar()->addMenu(tr("&View"));
    for (int i = 0; i < m_views->count(); ++i) {
        auto* a = view->addAction(m_views->tabText(i), QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + i)), this,
                                  [this, i] { showView(View(i)); });
        a->setObjectName(QStringLiteral("view_") + viewName(View(i)));
    }
    view->addSeparator();
    view->addAction(m_resetViewAction);
    QMenu* lecture = menuBar()->addMenu(tr("&Lecture"));
    lecture->setObjectName(QStringLiteral("lectureMenu"));
    fillLectureMenu(lecture, view);

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("The Paper in &Five Minutes"), QKeySequence::HelpContents, this, &MainWindow::showPaperSummary)
        ->setObjectName(QStringLiteral("paperSummaryAction"));
    help->addAction(tr("&What's This?"), QKeySequence(Qt::SHIFT | Qt::Key_F1), this,
                    [] { QWhatsThis::enterWhatsThisMode(); });
    help->addSeparator();
    help->addAction(tr("&About L2L Studio"), this, [this] {
        QMessageBox::about(this, tr("About L2L Studio"),
                           tr("<p><b>L2L Studio</b> 0.1</p><p>Learning to learn by gradient descent by gradient "
                              "descent (Andrychowicz et al., NIPS 2016): compare hand-designed optimizers with a "
                              "learned LSTM optimizer, meta-train one, and watch what it does.</p>"));
    });

    QToolBar* toolbar = addToolBar(tr("Experiment"));
    toolbar->setObjectName(QStringLiteral("experimentToolbar"));
    toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    toolbar->addActions({m_runAction, m_stopAction});
    toolbar->addSeparator();
    toolbar->addActions({m_stepAction, m_playAction});
    toolbar->addSeparator();
    toolbar->addActions({m_openAction, m_saveAction, m_exportPlotAction});
}

void MainWindow::connectViews()
{
    connect(m_panel, &ExperimentPanel::experimentChanged, this, &MainWindow::syncViews);
    connect(m_metaTrain, &MetaTrainView::optimizerReady, this, [this](const QString& path) {
        m_panel->setSessionOptimizer(path); // syncs every view through experimentChanged
        m_panel->appendLog(tr("using the optimizer trained here: %1").arg(path));
        statusBar()->showMessage(tr("The trained optimizer is now the LSTM in Compare, Trajectories and Inspect"),
                                 8000);
    });
    connect(m_metaTrain, &MetaTrainView::optimizerSaved, this, [this](const QString& path) {
        m_panel->appendLog(tr("saved the best optimizer to %1").arg(path));
        statusBar()->showMessage(tr("Saved %1").arg(path), 8000);
    });
    connect(m_metaTrain, &MetaTrainView::failed, this, &MainWindow::showError);
    connect(m_metaTrain, &MetaTrainView::logLine, m_panel, &ExperimentPanel::appendLog);
    connect(m_metaTrain, &MetaTrainView::trainingStateChanged, this, [this](bool training, bool paused) {
        m_jobDetail = training && paused ? tr("paused") : QString();
        updateJobState();
    });
    connect(m_metaTrain, &MetaTrainView::progressed, this,
            [this](const MetaProgress& p) { showJobDetail(tr("epoch %1 of %2").arg(p.epoch).arg(p.epochs)); });
    connect(m_art, &ArtView::started, this, [this] {
        m_jobDetail.clear();
        updateJobState();
    });
    connect(m_art, &ArtView::snapshotShown, this,
            [this](int step) { showJobDetail(tr("step %1 of %2").arg(step).arg(m_art->steps())); });
    connect(m_art, &ArtView::logged, m_panel, [this](const QString& line) { m_panel->appendLog(tr("art: ") + line); });
    connect(m_art, &ArtView::finished, this, &MainWindow::updateJobState);
    connect(m_art, &ArtView::failed, this, &MainWindow::updateJobState);
    connect(m_transfer, &TransferView::computingChanged, this, [this] {
        m_jobDetail.clear();
        updateJobState();
    });
    connect(m_trajectories, &TrajectoryView::failed, this, &MainWindow::showError);
    connect(m_graph, &GraphView::failed, this, &MainWindow::showError);
    connect(m_inspect, &InspectView::failed, this, &MainWindow::showError);
    connect(m_transfer, &TransferView::failed, this, &MainWindow::showError);
    // A transfer cell opens its comparison in Compare: the variant's problem, steps, runs and seed, that optimizer
    // as the LSTM beside the four tuned baselines, and runs it.
    connect(m_transfer, &TransferView::openComparison, this,
            [this](const QString& problem, int steps, int runs, quint64 seed, const QString& file) {
                if (refuseWhileBusy(tr("this comparison"))) return;
                Experiment e = m_panel->experiment();
                e.eval.problem = problem.toStdString();
                e.eval.steps = steps;
                e.eval.runs = runs;
                e.eval.seed = seed;
                e.optimizers = Experiment::defaultChoices();
                try {
                    m_panel->setExperiment(e);
                    m_panel->setOptimizerFile(file);
                } catch (const Error& err) {
                    showError(QString::fromStdString(err.what()));
                    return;
                }
                showView(Compare);
                runExperiment();
            });
    connect(m_views, &QTabWidget::currentChanged, this, &MainWindow::updatePanelScope);
    connect(m_views, &QTabWidget::currentChanged, this, [this](int index) {
        if (index == Inspect && m_inspectStale) {
            m_inspectStale = false;
            m_inspect->refresh();
        }
        if (index == Graph) syncGraph();
        // Step has nothing to step in Meta-train (Play / Pause pauses the training there).
        m_stepAction->setEnabled(index != MetaTrain);
        const QString tip =
            index == MetaTrain ? tr("Pause or resume the meta-training") : tr("Play or pause the trajectories");
        m_playAction->setStatusTip(tip);
        m_playAction->setToolTip(withShortcut(tip, m_playAction->shortcut()));
    });
}

// Hands the panel's experiment to the views that follow it. Cheap views recompute at once (trajectories
// are milliseconds, in their own thread); Inspect recomputes when it is next shown.
void MainWindow::syncViews()
{
    const Experiment e = m_panel->experiment();
    const QString problem = QString::fromStdString(e.eval.problem);
    // Results belong to the settings that made them: a change of problem, runs, steps or seed clears the figure.
    // A failed run's message stays while the settings are the ones it failed on; with no figure, the title follows
    // the settings (it kept "quadratic:colour=blue" after the option was removed).
    if (!isRunning()) {
        const bool dropped = dropStaleResult();
        if (!m_failedSettings.empty() && experimentToJson(e) != m_failedSettings) {
            m_failedSettings.clear(); // the side panel's "Failed: ..." goes with the title's message
            m_panel->setStatus(tr("Ready."));
        }
        // With no figure, a failure's settings still set mean the title is that failure's message.
        if (dropped || (!m_lastFinished && m_failedSettings.empty()))
            m_compare->showPlaceholder(tr("%1: press Run (Ctrl+R) to compare the checked optimizers").arg(problem));
    }
    // A setting that is not valid yet (a rate being typed) is marked in the panel and named by Run; the views keep
    // what they had rather than each raising a dialog while the user types.
    try {
        e.validate();
    } catch (const Error&) {
        return;
    }
    QStringList specs;
    for (const auto& o : e.optimizers)
        if (o.enabled) specs << QString::fromStdString(o.spec()); // lstm: the panel's chosen source
    m_trajectories->setExperiment(problem, specs, e.eval.steps);
    m_metaTrain->setProblem(problem);
    m_art->setExperiment(problem, specs, e.eval.steps);
    m_inspect->setInspection(problem, m_panel->lstmSpec(), e.eval.seed, e.eval.steps, typedRate(e, "adam"),
                             typedRate(e, "sgd"), e.eval.tune);
    if (currentView() == Graph) syncGraph(); // a new LSTM file in the panel
    m_inspectStale = true;
    if (currentView() == Inspect) {
        m_inspectStale = false;
        m_inspect->refresh();
    }
}

// The side panel shows what the current view takes from it; the rest is disabled, with a note.
void MainWindow::updatePanelScope()
{
    // Which of the panel's settings the view takes (the others are disabled), and the note saying so.
    const auto uses = [](bool problem, bool optimizers, bool runs, bool steps, bool seed, const QString& note) {
        ExperimentPanel::Scope scope;
        scope.problem = problem;
        scope.optimizers = optimizers;
        scope.runs = runs;
        scope.steps = steps;
        scope.seed = seed;
        scope.note = note;
        return scope;
    };
    ExperimentPanel::Scope s;
    switch (currentView()) {
    case Compare:
        break;
    case MetaTrain:
        s = uses(true, false, false, false, false,
                 tr("Meta-train trains on the problem chosen here; its other settings are in the view."));
        break;
    case Trajectories:
        s = uses(false, true, false, true, false,
                 tr("Trajectories uses the checked optimizers, their rates and Steps; the 2-d function is chosen above "
                    "the plot."));
        break;
    case Inspect:
        s = uses(true, true, false, true, true,
                 tr("Inspect uses the problem, the LSTM, the Adam and SGD rates, Steps and Seed."));
        break;
    case Art:
        s = uses(false, true, false, false, false,
                 tr("Art uses the checked optimizers (the LSTM as chosen here); content, style, size and steps are in "
                    "the view."));
        break;
    case Transfer:
        s = uses(
            false, false, false, false, false,
            tr("Transfer uses none of these settings: the family and the optimizer files are chosen in the view."));
        break;
    case Graph:
        s = uses(false, true, false, false, false,
                 tr("Graph runs the LSTM chosen here (bundled: the one trained on 2-d problems) on the Trajectories "
                    "view's function and start; the window is set in the view."));
        break;
    }
    s.race = currentView() == Compare || currentView() == Inspect; // the views that tune with the panel's search
    if (currentView() == Art) s.bundledFor = QStringLiteral("neural-art");
    if (currentView() == Trajectories || currentView() == Graph) s.bundledFor = m_trajectories->functionSpec();
    m_panel->setScope(s);
    // Run starts the current view's job (runExperiment): its tip says which.
    QString tip = tr("Run the comparison: tune missing rates, then every optimizer on the same instances");
    if (currentView() == MetaTrain) tip = tr("Start meta-training with the view's settings (or resume a paused run)");
    if (currentView() == Art) tip = tr("Stylise the content image with every checked optimizer");
    if (currentView() == Transfer) tip = tr("Compute the transfer map of the chosen optimizer files");
    m_runAction->setStatusTip(tip);
    m_runAction->setToolTip(withShortcut(tip, m_runAction->shortcut()));
}

bool MainWindow::dropStaleResult()
{
    if (!m_lastFinished || resultFitsPanel()) return false;
    m_lastFinished.reset();
    return true;
}

bool MainWindow::resultFitsPanel() const
{
    if (!m_lastFinished) return false;
    const EvalConfig& made = m_lastFinished->config;
    const EvalConfig now = m_panel->experiment().eval;
    return made.problem == now.problem && made.runs == now.runs && made.steps == now.steps && made.seed == now.seed;
}

const char* MainWindow::viewName(View view)
{
    return experimentViews().at(size_t(view)).c_str(); // the names experiment files use
}

void MainWindow::showView(View view) { m_views->setCurrentIndex(int(view)); }

MainWindow::View MainWindow::currentView() const { return View(m_views->currentIndex()); }

bool MainWindow::isRunning() const { return m_runner->isBusy(); }

MainWindow::Job MainWindow::activeJob() const
{
    if (m_runner->isBusy()) return Job::Compare;
    if (m_metaTrain->isTraining()) return Job::MetaTrain;
    if (m_art->isRunning()) return Job::Art;
    if (m_transfer->isComputing()) return Job::Transfer;
    return Job::None;
}

QString MainWindow::jobName(Job job)
{
    switch (job) {
    case Job::Compare:
        return tr("A comparison");
    case Job::MetaTrain:
        return tr("Meta-training");
    case Job::Art:
        return tr("Neural art");
    case Job::Transfer:
        return tr("A transfer map");
    case Job::None:
        break;
    }
    return {};
}

QString MainWindow::busyReason(Job job) const
{
    if (job == Job::MetaTrain && m_metaTrain->isPaused()) // it said "running" while paused
        return tr("%1 is paused: stop it first (Stop or Esc)").arg(jobName(job));
    return tr("%1 is running: stop it first (Stop or Esc)").arg(jobName(job));
}

bool MainWindow::refuseWhileBusy(const QString& what)
{
    const Job job = activeJob();
    if (job == Job::None) return false;
    const QString message = tr("%1, then start %2.").arg(busyReason(job), what);
    m_lastError = message;
    statusBar()->showMessage(message, 10000);
    m_panel->appendLog(message);
    return true;
}

void MainWindow::updateJobState()
{
    const Job job = activeJob();
    const bool busy = job != Job::None;
    m_runAction->setEnabled(!busy);
    m_stopAction->setEnabled(busy);
    const QString reason = busy ? busyReason(job) : QString();
    m_panel->setRunBlocked(job == Job::Compare ? QString() : reason); // during a comparison: its own Stop
    m_metaTrain->setStartBlocked(job == Job::MetaTrain ? QString() : reason);
    m_art->setStartBlocked(job == Job::Art ? QString() : reason);
    m_transfer->setStartBlocked(job == Job::Transfer ? QString() : reason);
    if (!busy) m_jobDetail.clear();
    showJobDetail(m_jobDetail);
}

// Progress of the running job: only the status-bar label changes (many times a second during a run).
void MainWindow::showJobDetail(const QString& detail)
{
    m_jobDetail = detail;
    const Job job = activeJob();
    m_jobLabel->setText(job == Job::None   ? tr("Ready")
                        : detail.isEmpty() ? tr("%1 is running").arg(jobName(job))
                                           : tr("%1: %2").arg(jobName(job), detail));
}

void MainWindow::runExperiment()
{
    switch (currentView()) { // Run starts the current view's job
    case MetaTrain:
        if (m_metaTrain->isPaused()) {
            m_metaTrain->resume();
            return;
        }
        if (!refuseWhileBusy(tr("meta-training"))) m_metaTrain->start();
        return;
    case Art:
        if (!refuseWhileBusy(tr("neural art"))) m_art->run();
        return;
    case Transfer:
        if (!refuseWhileBusy(tr("a transfer map"))) m_transfer->compute();
        return;
    default:
        break;
    }
    if (refuseWhileBusy(tr("a comparison"))) return;
    EvalConfig config;
    try {
        config = m_panel->config();
    } catch (const Error& e) { // a bad learning-rate field: nothing is started
        showError(QString::fromStdString(e.what()));
        return;
    }
    showView(Compare);
    m_runProblem = QString::fromStdString(config.problem);
    m_drewLive = false;
    m_clock.start();
    const QString what = tr("%1: %2 × %3 × %4, seed %5") // "1 optimizer × 20 runs × 100 steps"
                             .arg(QString::fromStdString(config.problem),
                                  QString::fromStdString(countOf(long(config.optimizers.size()), "optimizer")),
                                  QString::fromStdString(countOf(config.runs, "run")),
                                  QString::fromStdString(countOf(config.steps, "step")))
                             .arg(config.seed);
    m_panel->appendLog(tr("run %1").arg(what));
    m_panel->setStatus(tr("Running %1…").arg(what));
    setRunning(true);
    m_panel->setProgress(-1, tr("Starting: loading %1 and the optimizers…").arg(m_runProblem));
    m_runner->request(evalJob(config));
    updateJobState(); // the runner is busy from here
}

void MainWindow::stopExperiment()
{
    switch (activeJob()) { // whatever view is shown: the one job that runs
    case Job::Compare:
        m_runner->abort();
        m_panel->setStatus(tr("Stopping…"));
        break;
    case Job::MetaTrain:
        m_metaTrain->stop();
        break;
    case Job::Art:
        m_art->stop();
        break;
    case Job::Transfer:
        m_transfer->stop();
        break;
    case Job::None:
        break;
    }
}

void MainWindow::requestStopExperiment()
{
    if (activeJob() == Job::MetaTrain)
        m_metaTrain->requestStop(); // asks first if no validation has finished (it would keep nothing)
    else
        stopExperiment();
}

void MainWindow::syncGraph()
{
    // The panel's LSTM when it names a file (one trained here, say); "lstm" alone: the one bundled for 2-d functions.
    const QString lstm = m_panel->lstmSpec();
    m_graph->setFunction(m_trajectories->functionSpec(), m_trajectories->userStart(),
                         lstm.startsWith(QStringLiteral("lstm:")) ? lstm.mid(5) : QString());
}

void MainWindow::stepTrajectory()
{
    if (currentView() == Graph) {
        m_graph->pause();
        m_graph->stepForward();
        return;
    }
    showView(Trajectories);
    m_trajectories->pause();
    m_trajectories->stepForward();
}

void MainWindow::setRunning(bool running)
{
    m_panel->setRunning(running);
    if (running) { // the previous figure belongs to the previous run: say what is happening until this one draws
        m_failedSettings.clear();
        m_compare->showPlaceholder(tr("%1: starting…").arg(m_runProblem));
    }
    m_jobDetail = running ? tr("starting") : QString();
    updateJobState();
}

void MainWindow::onSnapshot(const EvalResult& partial)
{
    const bool scheduled = m_pendingSnapshot.has_value();
    m_pendingSnapshot = partial;
    if (scheduled) return;
    QTimer::singleShot(0, this, [this] {
        if (!m_pendingSnapshot) return; // the run ended in between: onFinished drew the result
        m_drewLive = true;
        m_compare->showResult(*m_pendingSnapshot);
        const EvalResult& r = *m_pendingSnapshot;
        const int done = r.completedSteps, steps = r.config.steps;
        // Runs too many for memory at once go in waves, each from step 0 (Lanes.h): the bar counts all of them.
        const QString where = r.waves > 1
                                  ? tr("wave %1 of %2, step %3 of %4").arg(r.wave + 1).arg(r.waves).arg(done).arg(steps)
                                  : tr("step %1 of %2").arg(done).arg(steps);
        m_panel->setStatus(where.left(1).toUpper() + where.mid(1));
        showJobDetail(where);
        m_panel->setProgress(r.progress(), tr("Evaluating: %1").arg(where));
        m_pendingSnapshot.reset();
    });
}

void MainWindow::onTuneProgress(const TuneProgress& p)
{
    const double share = p.steps > 0 ? double(p.step) / p.steps : 0;
    const QString text = tuneProgressText(p);
    // The whole tuning stage: the searches before this one are done.
    m_panel->setProgress(p.count > 0 ? (p.index + share) / p.count : share, text);
    m_panel->setStatus(tr("Tuning learning rates before the comparison (cached afterwards)."));
    if (!m_drewLive) m_compare->showPlaceholder(tr("%1: %2").arg(m_runProblem, text));
    showJobDetail(text);
}

void MainWindow::onFinished(const EvalResult& result)
{
    m_pendingSnapshot.reset();
    setRunning(false);
    const double seconds = double(m_clock.elapsed()) / 1000.0;
    if (result.optimizers.empty() || (result.completedSteps == 0 && result.cancelled)) {
        // Stopped while tuning: nothing new to show, keep the previous figure if it belongs to these settings.
        dropStaleResult();
        if (m_lastFinished)
            m_compare->showResult(*m_lastFinished);
        else
            m_compare->showPlaceholder(tr("%1: stopped before the evaluation began").arg(m_runProblem));
        m_panel->setStatus(tr("Stopped before the evaluation began."));
        m_panel->appendLog(tr("stopped after %1 s").arg(seconds, 0, 'f', 1));
        emit runFinished(result);
        return;
    }
    m_lastFinished = withoutRunCurves(result);
    m_compare->showResult(*m_lastFinished);
    const QString status = result.cancelled ? tr("Stopped at step %1 of %2 after %3 s.")
                                                  .arg(result.completedSteps)
                                                  .arg(result.config.steps)
                                                  .arg(seconds, 0, 'f', 1)
                                            : tr("Finished in %1 s.").arg(seconds, 0, 'f', 1);
    m_panel->setStatus(status);
    m_panel->appendLog(status);
    emit runFinished(result);
}

void MainWindow::onFailed(const QString& message)
{
    m_pendingSnapshot.reset();
    setRunning(false);
    // The previous figure, if it still belongs to the settings on screen; never half of the failed run.
    dropStaleResult();
    m_failedSettings = experimentToJson(m_panel->experiment());
    if (m_lastFinished)
        m_compare->showResult(*m_lastFinished);
    else
        m_compare->showPlaceholder(tr("%1: failed (%2)").arg(m_runProblem, message));
    m_panel->setStatus(tr("Failed: %1").arg(message));
    m_panel->appendLog(tr("error: %1").arg(message));
    showError(message);
    emit runFailed(message);
}

void MainWindow::showError(const QString& message)
{
    m_lastError = message;
    statusBar()->showMessage(message, 10000);
    if (m_errorDialogs) QMessageBox::warning(this, tr("L2L Studio"), message);
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    if (const Job job = activeJob(); job != Job::None) {
        const QString question =
            tr("%1 is running. Stop it and quit? (Nothing is saved that you have not saved: a trained optimizer "
               "is kept only by Save best or Use.)")
                .arg(jobName(job));
        if (m_confirmQuit && !m_confirmQuit(question)) {
            event->ignore();
            return;
        }
    }
    saveSettings();
    m_runner->abort();
    m_metaTrain->stop();
    m_art->stop();
    event->accept();
}

} // namespace l2l::ui
