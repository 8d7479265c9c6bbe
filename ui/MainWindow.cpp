#include "MainWindow.h"

#include "CompareView.h"
#include "EvalWorker.h"
#include "ExperimentPanel.h"

#include <QAction>
#include <QApplication>
#include <QDockWidget>
#include <QKeySequence>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QToolBar>

namespace l2l::ui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent), m_runner(new EvalRunner(this))
{
    setWindowTitle(tr("L2L Studio"));
    setObjectName(QStringLiteral("mainWindow"));
    m_views = new QTabWidget;
    m_views->setObjectName(QStringLiteral("views"));
    m_views->setDocumentMode(true);
    m_compare = new CompareView;
    m_views->addTab(m_compare, tr("Compare"));
    setCentralWidget(m_views);
    createPanel();
    createActions();
    connect(m_runner, &EvalRunner::logLine, m_panel, &ExperimentPanel::appendLog);
    connect(m_runner, &EvalRunner::snapshot, this, &MainWindow::onSnapshot);
    connect(m_runner, &EvalRunner::finished, this, &MainWindow::onFinished);
    connect(m_runner, &EvalRunner::failed, this, &MainWindow::onFailed);
    statusBar()->showMessage(tr("Ready"));
    resize(1180, 740);
}

void MainWindow::createPanel()
{
    m_panel = new ExperimentPanel;
    connect(m_panel, &ExperimentPanel::runRequested, this, &MainWindow::runExperiment);
    connect(m_panel, &ExperimentPanel::stopRequested, this, &MainWindow::stopExperiment);
    auto* dock = new QDockWidget(tr("Experiment"));
    dock->setObjectName(QStringLiteral("experimentDock"));
    dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    dock->setWidget(m_panel);
    addDockWidget(Qt::LeftDockWidgetArea, dock);
    resizeDocks({dock}, {300}, Qt::Horizontal);
}

void MainWindow::createActions()
{
    m_runAction = new QAction(style()->standardIcon(QStyle::SP_MediaPlay), tr("&Run"), this);
    m_runAction->setObjectName(QStringLiteral("runAction"));
    m_runAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    m_runAction->setToolTip(tr("Run the experiment (Ctrl+R)"));
    connect(m_runAction, &QAction::triggered, this, &MainWindow::runExperiment);
    m_stopAction = new QAction(style()->standardIcon(QStyle::SP_MediaStop), tr("&Stop"), this);
    m_stopAction->setObjectName(QStringLiteral("stopAction"));
    m_stopAction->setShortcut(QKeySequence(Qt::Key_Escape));
    m_stopAction->setToolTip(tr("Stop after the step in progress (Esc)"));
    m_stopAction->setEnabled(false);
    connect(m_stopAction, &QAction::triggered, this, &MainWindow::stopExperiment);
    auto* quit = new QAction(tr("&Quit"), this);
    quit->setShortcut(QKeySequence::Quit);
    connect(quit, &QAction::triggered, this, &QWidget::close);

    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(quit);
    QMenu* experiment = menuBar()->addMenu(tr("&Experiment"));
    experiment->addAction(m_runAction);
    experiment->addAction(m_stopAction);
    QToolBar* toolbar = addToolBar(tr("Experiment"));
    toolbar->setObjectName(QStringLiteral("experimentToolbar"));
    toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    toolbar->addAction(m_runAction);
    toolbar->addAction(m_stopAction);
}

bool MainWindow::isRunning() const
{
    return m_runner->isRunning();
}

void MainWindow::runExperiment()
{
    if (isRunning()) return;
    EvalConfig config;
    try {
        config = m_panel->config();
    } catch (const Error& e) { // a bad learning-rate field: nothing is started
        showError(QString::fromStdString(e.what()));
        return;
    }
    m_drewLive = false;
    m_clock.start();
    const QString what = tr("%1: %2 optimizers × %3 runs × %4 steps, seed %5")
                             .arg(QString::fromStdString(config.problem))
                             .arg(config.optimizers.size())
                             .arg(config.runs)
                             .arg(config.steps)
                             .arg(config.seed);
    m_panel->appendLog(tr("run %1").arg(what));
    m_panel->setStatus(tr("Running %1…").arg(what));
    setRunning(true);
    m_runner->start(config);
}

void MainWindow::stopExperiment()
{
    if (!isRunning()) return;
    m_runner->requestStop();
    m_panel->setStatus(tr("Stopping…"));
}

void MainWindow::setRunning(bool running)
{
    m_panel->setRunning(running);
    m_runAction->setEnabled(!running);
    m_stopAction->setEnabled(running);
    statusBar()->showMessage(running ? tr("Running") : tr("Ready"));
}

void MainWindow::onSnapshot(const EvalResult& partial)
{
    m_drewLive = true;
    m_compare->showResult(partial);
    m_panel->setStatus(tr("Step %1 of %2").arg(partial.completedSteps).arg(partial.config.steps));
}

void MainWindow::onFinished(const EvalResult& result)
{
    setRunning(false);
    const double seconds = double(m_clock.elapsed()) / 1000.0;
    if (result.optimizers.empty() || (result.completedSteps == 0 && result.cancelled)) {
        // Stopped while tuning: nothing new to show, keep the previous figure.
        if (m_lastFinished) m_compare->showResult(*m_lastFinished);
        m_panel->setStatus(tr("Stopped before the evaluation began."));
        m_panel->appendLog(tr("stopped after %1 s").arg(seconds, 0, 'f', 1));
        emit runFinished(result);
        return;
    }
    m_lastFinished = EvalWorker::withoutRunCurves(result);
    m_compare->showResult(*m_lastFinished);
    const QString status = result.cancelled
                               ? tr("Stopped at step %1 of %2 after %3 s.").arg(result.completedSteps)
                                     .arg(result.config.steps).arg(seconds, 0, 'f', 1)
                               : tr("Finished in %1 s.").arg(seconds, 0, 'f', 1);
    m_panel->setStatus(status);
    m_panel->appendLog(status);
    emit runFinished(result);
}

void MainWindow::onFailed(const QString& message)
{
    setRunning(false);
    if (m_drewLive) { // keep the previous figure, not half of the failed run
        if (m_lastFinished)
            m_compare->showResult(*m_lastFinished);
        else
            m_compare->showResult(EvalResult{});
    }
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

} // namespace l2l::ui
