#include "views/MetaTrainView.h"
#include "views/WatchPanel.h"

#include "base/Spec.h"
#include "plots/LossPlot.h"
#include "plots/SaveText.h"
#include "plots/Theme.h"
#include "views/ElidedLabel.h"
#include "views/SpinBox.h"
#include "workers/TrainJob.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontMetrics>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardPaths>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <climits>
#include <cmath>
#include <sstream>

namespace l2l::ui {

namespace {

enum Graph { GraphMetaLoss, GraphRunningMean, GraphValidation, GraphBest };

const QColor kMetaLossColor(170, 170, 170);
const QColor kValidationColor(0x94, 0x67, 0xbd); // purple: not an optimizer colour of the other views

QPushButton* button(const QString& name, const QString& text, const QString& tip)
{
    auto* b = new QPushButton(text);
    b->setObjectName(name);
    b->setToolTip(tip);
    return b;
}

QString duration(double seconds)
{
    if (!std::isfinite(seconds) || seconds < 0) return QStringLiteral("–");
    const long t = std::lround(seconds);
    if (t >= 3600) return QStringLiteral("%1h%2m").arg(t / 3600).arg((t % 3600) / 60, 2, 10, QLatin1Char('0'));
    if (t >= 60) return QStringLiteral("%1m%2s").arg(t / 60).arg(t % 60, 2, 10, QLatin1Char('0'));
    return QString::number(seconds, 'f', seconds < 10 ? 1 : 0) + QStringLiteral("s");
}

QString number(double v) { return std::isfinite(v) ? QString::number(v, 'g', 4) : QStringLiteral("diverged"); }

// Runs `f`; an exception becomes false with its message in *error (the views' "false with a message" calls).
template <typename F>
bool reporting(QString* error, F&& f)
{
    try {
        f();
        return true;
    } catch (const std::exception& e) {
        if (error) *error = QString::fromStdString(e.what());
        return false;
    }
}

// A problem spec as part of a file name: 'mnist:activation=relu,hidden=40' gives 'mnist-activation-relu-hidden-40'
// (letters, digits, '.', '_' and '-' only; at most 80 characters).
QString problemFileStem(const std::string& spec)
{
    QString out;
    for (const QChar c : QString::fromStdString(spec)) {
        const bool keep = c.isLetterOrNumber() || c == QLatin1Char('.') || c == QLatin1Char('_');
        if (keep && c.unicode() < 128)
            out += c;
        else if (!out.endsWith(QLatin1Char('-')))
            out += QLatin1Char('-');
    }
    while (out.endsWith(QLatin1Char('-'))) out.chop(1);
    return out.left(80);
}

} // namespace

MetaTrainView::MetaTrainView(QWidget* parent) : QWidget(parent), m_runner(new TrainSession(this))
{
    m_confirmStop = [this](const QString& question) {
        return QMessageBox::question(this, tr("Stop meta-training?"), question, QMessageBox::Yes | QMessageBox::Cancel,
                                     QMessageBox::Cancel) == QMessageBox::Yes;
    };
    m_plot = new QCustomPlot;
    m_plot->setObjectName(QStringLiteral("trainPlot"));
    m_replotTimer = new QTimer(this);
    m_replotTimer->setSingleShot(true);
    m_replotTimer->setInterval(100);
    connect(m_replotTimer, &QTimer::timeout, m_plot, [this] {
        m_plot->replot();
        // Beside the OpenGL landscape at scale 2 the plot's own repaints reached the screen seconds late (Mesa,
        // Xvfb: the curve stood at epoch 1000 while the counter said 3300); the whole window's does not lag.
        if (m_watch->isVisible()) window()->update();
    });
    m_plot->setMinimumSize(400, 250);
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    connect(m_plot, &QCustomPlot::mouseMove, this, [this](QMouseEvent* e) {
        if (e->buttons() != Qt::NoButton) m_userView = true;
    });
    connect(m_plot, &QCustomPlot::mouseWheel, this, [this] { m_userView = true; });
    connect(m_plot, &QCustomPlot::mouseDoubleClick, this, [this] {
        m_userView = false;
        fitView();
        m_plot->replot();
    });
    auto* layout = new QHBoxLayout(this);
    // The form scrolls when the window is shorter than its rows (every training setting has one), so that it
    // never sets the window's minimum height. The buttons and the progress stay above it, in sight at any height.
    auto* settingsScroll = new QScrollArea;
    settingsScroll->setObjectName(QStringLiteral("trainSettingsScroll"));
    settingsScroll->setWidget(buildSettings());
    settingsScroll->setWidgetResizable(true);
    settingsScroll->setFrameShape(QFrame::NoFrame);
    settingsScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    const int columnWidth = 270 + settingsScroll->verticalScrollBar()->sizeHint().width() + 4;
    auto* column = new QWidget;
    column->setObjectName(QStringLiteral("trainColumn"));
    column->setFixedWidth(columnWidth);
    auto* columnLayout = new QVBoxLayout(column);
    columnLayout->setContentsMargins(0, 0, 0, 0);
    columnLayout->addWidget(buildControls());
    columnLayout->addWidget(settingsScroll, 1);
    layout->addWidget(column);
    // The curve, and beside it (2-d function classes only) the learned path on a fixed function of the class.
    m_watch = new WatchPanel;
    m_watch->setVisible(WatchPanel::watches(m_problem));
    auto* split = new QSplitter(Qt::Vertical);
    split->setObjectName(QStringLiteral("trainSplit"));
    split->setChildrenCollapsible(false);
    split->addWidget(m_plot);
    split->addWidget(m_watch);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    layout->addWidget(split, 1);
    connect(m_watch, &WatchPanel::referenceReady, this, &MetaTrainView::drawBaselineLevels);
    resetPlot(m_base.epochs);

    m_epochTimer = new QTimer(this);
    m_epochTimer->setInterval(500);
    connect(m_epochTimer, &QTimer::timeout, this, [this] {
        if (m_runner->state() != TrainSession::State::Running || m_sinceEpoch.elapsed() < 1000) return;
        const int percent = int(100 * m_runner->epochFraction());
        // The elapsed time and the ETA count on from the last epoch's (they stood still for a long epoch).
        const double since = m_sinceEpoch.elapsed() / 1000.0;
        const QString times =
            m_shownEpoch > 0 ? tr("elapsed %1 · ETA %2 · ")
                                   .arg(duration(m_lastElapsed + since),
                                        duration(std::isfinite(m_lastEta) ? std::max(0.0, m_lastEta - since) : NAN))
                             : tr("elapsed %1 · ").arg(duration(since));
        m_etaLabel->setText(times + tr("epoch %1: %2 % done").arg(m_shownEpoch + 1).arg(percent));
    });
    connect(m_runner, &TrainSession::snapshot, this, &MetaTrainView::onSnapshot);
    connect(m_runner, &TrainSession::logLine, this, &MetaTrainView::logLine);
    connect(m_runner, &TrainSession::bestChanged, this, [this](const OptimizerFile& best) {
        m_best = best;
        updateButtons();
    });
    connect(m_runner, &TrainSession::paused, this, [this](const MetaProgress& p) {
        showProgress(p);
        m_epochTimer->stop();
        m_etaLabel->setText(tr("paused; elapsed %1").arg(duration(p.elapsedSeconds)));
        updateButtons();
        emit trainingStateChanged(true, true);
    });
    connect(m_runner, &TrainSession::finished, this, [this](const MetaProgress& p) {
        showProgress(p);
        m_epochTimer->stop();
        m_etaLabel->setText(
            p.epoch >= p.epochs
                ? tr("done in %1; Continue goes on after raising Epochs").arg(duration(p.elapsedSeconds))
            : m_best ? tr("stopped after %1; Continue goes on from here").arg(duration(p.elapsedSeconds))
                     : tr("stopped after %1, before the first validation: no optimizer kept; Continue "
                          "goes on from here")
                           .arg(duration(p.elapsedSeconds)));
        updateButtons();
        emit trainingStateChanged(false, false);
        emit finished();
    });
    connect(m_runner, &TrainSession::failed, this, [this](const QString& message) {
        m_epochTimer->stop();
        m_etaLabel->setText(tr("failed"));
        updateButtons();
        emit trainingStateChanged(false, false);
        emit failed(message);
    });
    updateButtons();
}

MetaTrainView::~MetaTrainView() = default;

QWidget* MetaTrainView::buildControls()
{
    auto* box = new QGroupBox(tr("Meta-training"));
    box->setObjectName(QStringLiteral("trainControls"));
    auto* layout = new QVBoxLayout(box);
    m_start = button("trainStart", tr("Start"), tr("Meta-train a new LSTM optimizer on the problem class"));
    m_pause = button("trainPause", tr("Pause"), tr("Pause after the optimizee step in progress"));
    m_resume = button("trainResume", tr("Resume"), tr("Continue exactly where it paused"));
    m_files = button("trainFiles", tr("Checkpoint and fine-tune"),
                     tr("Go on from a checkpoint, fine-tune a trained optimizer, or save this run's checkpoint"));
    auto* files = new QMenu(m_files);
    files->setObjectName(QStringLiteral("trainFilesMenu"));
    m_openCheckpointAction =
        files->addAction(tr("Continue from a checkpoint…"), this, &MetaTrainView::openCheckpointWithDialog);
    m_openCheckpointAction->setObjectName(QStringLiteral("trainOpenCheckpoint"));
    m_fineTuneAction = files->addAction(tr("Fine-tune an optimizer file…"), this, &MetaTrainView::fineTuneWithDialog);
    m_fineTuneAction->setObjectName(QStringLiteral("trainFineTune"));
    m_saveCheckpointAction =
        files->addAction(tr("Save this run's checkpoint…"), this, &MetaTrainView::saveCheckpointWithDialog);
    m_saveCheckpointAction->setObjectName(QStringLiteral("trainSaveCheckpoint"));
    m_files->setMenu(files);
    m_stop = button("trainStop", tr("Stop"), tr("End the run, keeping the best optimizer so far"));
    m_save = button("trainSave", tr("Save best…"), tr("Write the best optimizer (by validation) to a file"));
    m_use = button("trainUse", tr("Use in Compare and Trajectories"),
                   tr("Save the best optimizer for this session and select it as the LSTM of the other views"));
    connect(m_start, &QPushButton::clicked, this, &MetaTrainView::start);
    connect(m_pause, &QPushButton::clicked, this, &MetaTrainView::pause);
    connect(m_resume, &QPushButton::clicked, this, &MetaTrainView::resume);
    connect(m_stop, &QPushButton::clicked, this, &MetaTrainView::requestStop);
    connect(m_save, &QPushButton::clicked, this, &MetaTrainView::saveBestWithDialog);
    connect(m_use, &QPushButton::clicked, this, &MetaTrainView::useBest);
    auto* row1 = new QHBoxLayout;
    for (QPushButton* b : {m_start, m_pause, m_resume, m_stop}) row1->addWidget(b);
    row1->setSpacing(4);
    layout->addLayout(row1);
    layout->addWidget(m_save);
    layout->addWidget(m_use);
    layout->addWidget(m_files);
    m_progress = new QProgressBar;
    m_progress->setObjectName(QStringLiteral("trainProgress"));
    m_epochLabel = new ElidedLabel;
    m_epochLabel->setObjectName(QStringLiteral("trainEpochLabel"));
    m_etaLabel = new WrappedLabel; // "stopped after 13s, before the first validation: no optimizer kept" in full
    m_etaLabel->setObjectName(QStringLiteral("trainEtaLabel"));
    m_bestLabel = new ElidedLabel(tr("best validation: –"));
    m_bestLabel->setObjectName(QStringLiteral("trainBestLabel"));
    for (QWidget* w : std::initializer_list<QWidget*>{m_progress, m_epochLabel, m_etaLabel, m_bestLabel})
        layout->addWidget(w);
    return box;
}

QWidget* MetaTrainView::buildSettings()
{
    const MetaTrainConfig d;
    auto* box = new QGroupBox(tr("Settings"));
    box->setFixedWidth(270);
    auto* form = new QFormLayout(box);
    m_problemLabel = new QLabel(m_problem);
    m_problemLabel->setWordWrap(true);
    m_problemLabel->setToolTip(tr("The problem class chosen in the side panel"));
    form->addRow(tr("Problem"), m_problemLabel);
    m_settings.build(form, metaTrainSettings(), d, QStringLiteral("train"));
    // Before a run, the empty plot and the counter follow the Epochs set (an opened experiment's 4000 showed
    // "epoch 0 / 1000" on a 0-1000 axis).
    if (auto* epochs = qobject_cast<QSpinBox*>(m_settings.widget("epochs")))
        connect(epochs, &QSpinBox::valueChanged, this, [this](int value) {
            if (!isTraining() && m_history.empty() && m_runProblem.isEmpty()) resetPlot(value);
        });

    m_watchEvery = spinBox(QStringLiteral("trainWatchEvery"), 1, 100000, 25,
                           tr("On a 2-d function class: how often the learned path beside the curve is redrawn from "
                              "the weights being trained"));
    m_watchEvery->setSuffix(tr(" epochs"));
    m_watchEveryLabel = new QLabel(tr("Path every"));
    m_watchEveryLabel->setBuddy(m_watchEvery);
    form->addRow(m_watchEveryLabel, m_watchEvery);
    m_watchEvery->setVisible(WatchPanel::watches(m_problem));
    m_watchEveryLabel->setVisible(m_watchEvery->isVisibleTo(box));
    return box;
}

void MetaTrainView::setProblem(const QString& problemSpec)
{
    if (isTraining()) return; // the run in progress keeps its problem
    m_problem = problemSpec;
    m_problemLabel->setText(problemSpec);
    if (!m_runProblem.isEmpty()) { // the curves stay the last run's; the title says so once the form says otherwise
        setPlotTitle(m_plot, plotTitle());
        m_plot->replot(QCustomPlot::rpQueuedReplot);
    }
    const bool watch = WatchPanel::watches(problemSpec);
    m_watch->setVisible(watch);
    m_watchEvery->setVisible(watch);
    m_watchEveryLabel->setVisible(watch);
}

MetaTrainConfig MetaTrainView::config() const
{
    MetaTrainConfig c = m_base;
    const Spec spec = Spec::parse(m_problem.toStdString());
    const auto names = problemNames();
    if (std::find(names.begin(), names.end(), spec.name) == names.end())
        throw Error("train: unknown problem '" + spec.name + "' (valid: " + joinNames(names) + ")");
    c.problem = m_problem.toStdString();
    m_settings.read(metaTrainSettings(), c, "train");
    c.validate(); // names the field and its range (e.g. "unroll must be in [1, horizon]")
    return c;
}

void MetaTrainView::setConfig(const MetaTrainConfig& config)
{
    if (isTraining()) return;
    m_base = config;
    setProblem(QString::fromStdString(config.problem));
    m_settings.write(metaTrainSettings(), config);
}

bool MetaTrainView::isTraining() const { return m_runner->state() != TrainSession::State::Idle; }
void MetaTrainView::setStartBlocked(const QString& reason)
{
    m_blocked = reason;
    updateButtons();
}

bool MetaTrainView::isPaused() const { return m_runner->state() == TrainSession::State::Paused; }

void MetaTrainView::start() { startRun(std::nullopt, {}, tr("starting…")); }

void MetaTrainView::startRun(std::optional<LstmNet<float>> initial, std::vector<Ancestor> ancestors,
                             const QString& what)
{
    if (isTraining() || !m_blocked.isEmpty()) return;
    MetaTrainConfig c;
    try {
        c = config();
    } catch (const Error& e) {
        emit failed(QString::fromStdString(e.what())); // nothing runs
        return;
    }
    m_best.reset();
    m_sessionPath.clear();
    m_savedPath.clear();
    m_runProblem = QString::fromStdString(c.problem);
    resetPlot(c.epochs);
    if (initial) c.arch = initial->arch; // what the watch panel draws with
    if (WatchPanel::watches(m_problem)) {
        m_watch->begin(c);
        m_runner->setWatch(WatchPanel::watchedFunction(c), m_watchEvery->value());
    } else {
        m_watch->stop(); // no reference from an earlier run's job lands on this one
        m_runner->setWatch(std::nullopt, 1);
    }
    m_runner->setCheckpointPath(newCheckpointPath(c.problem));
    m_runner->start(c, std::move(initial), std::move(ancestors));
    beginRunUi(c.epochs);
    m_etaLabel->setText(what);
    m_shownEpoch = 0;
    emit trainingStateChanged(true, false);
}

void MetaTrainView::beginRunUi(int epochs)
{
    m_plotEpochs = epochs;
    m_progress->setMaximum(std::max(1, epochs));
    m_sinceEpoch.start();
    m_epochTimer->start();
    updateButtons();
}

bool MetaTrainView::canContinue() const { return !isTraining() && m_runner->kept().has_value(); }

QString MetaTrainView::checkpointPath() const { return m_runner->checkpointPath(); }

bool MetaTrainView::openCheckpoint(const QString& path, QString* error)
{
    return reporting(error, [&] {
        if (isTraining()) throw Error("meta-training is under way: stop it before opening a checkpoint");
        MetaTrainState state = loadCheckpoint(path.toStdString()); // names the file and the field
        setConfig(state.config);
        m_best.reset();
        if (state.bestEpoch >= 0) m_best = bestOptimizerOf(state, lastCommand(state));
        m_sessionPath.clear();
        m_savedPath.clear();
        m_runProblem = QString::fromStdString(state.config.problem);
        resetPlot(state.config.epochs);
        if (WatchPanel::watches(m_runProblem))
            m_watch->begin(state.config); // the baselines' levels; the learned path from the next redraw on
        else
            m_watch->stop();
        const MetaProgress progress = progressOf(state);
        onSnapshot(TrainSnapshot{progress, state.history, std::nullopt, {}, {}});
        m_epochTimer->stop();
        const bool done = state.epoch >= state.config.epochs;
        m_runner->keep(std::move(state));
        m_runner->setCheckpointPath(QString()); // set by Continue: the opened file is not written over
        m_etaLabel->setText(done ? tr("opened a checkpoint that has done all its %1 epochs: raise Epochs and Continue")
                                       .arg(progress.epochs)
                                 : tr("opened a checkpoint at epoch %1 of %2: Continue goes on from it")
                                       .arg(progress.epoch)
                                       .arg(progress.epochs));
        updateButtons();
    });
}

bool MetaTrainView::saveCheckpoint(const QString& path, QString* error) const
{
    return reporting(error, [&] {
        const MetaTrainState* state = m_runner->currentState();
        if (!state) throw Error("no run to save: start one, or pause it first");
        l2l::saveCheckpoint(path.toStdString(), *state); // temporary file and rename: the old file survives a failure
    });
}

bool MetaTrainView::fineTune(const QString& optimizerPath, QString* error)
{
    return reporting(error,
                     [&] {
                         if (isTraining())
                             throw Error("meta-training is under way: stop it before starting a fine-tune");
                         if (!m_blocked.isEmpty()) throw Error(m_blocked.toStdString());
                         OptimizerFile f = loadOptimizer(optimizerPath.toStdString());
                         startRun(std::move(f.net), lineageFrom(f, optimizerFileDigest(optimizerPath.toStdString())),
                                  tr("fine-tuning %1…").arg(QFileInfo(optimizerPath).fileName()));
                     }) &&
           isTraining();
}

void MetaTrainView::openCheckpointWithDialog()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Continue from a checkpoint"),
                                                      dataDirectory(QStringLiteral("checkpoints")),
                                                      tr("Checkpoints (*.checkpoint.json *.json)"));
    if (path.isEmpty()) return;
    QString error;
    if (!openCheckpoint(path, &error)) emit failed(error);
}

void MetaTrainView::saveCheckpointWithDialog()
{
    const QString family = QString::fromStdString(Spec::parse(m_runProblem.toStdString()).name);
    const QString path = QFileDialog::getSaveFileName(this, tr("Save this run's checkpoint"),
                                                      family + QStringLiteral(".checkpoint.json"),
                                                      tr("Checkpoints (*.checkpoint.json *.json)"));
    if (path.isEmpty()) return;
    QString error;
    if (!saveCheckpoint(path, &error))
        emit failed(error);
    else
        emit logLine(tr("saved the checkpoint to %1 (l2l train --resume, or Continue from a checkpoint)").arg(path));
}

void MetaTrainView::fineTuneWithDialog()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Fine-tune an optimizer file"), QString(),
                                                      tr("Optimizer files (*.json)"));
    if (path.isEmpty()) return;
    QString error;
    if (!fineTune(path, &error)) emit failed(error);
}

void MetaTrainView::pause()
{
    if (m_runner->state() != TrainSession::State::Running) return;
    m_runner->pause();
    m_pause->setEnabled(false); // until paused() arrives
    m_etaLabel->setText(tr("pausing…"));
}

void MetaTrainView::resume()
{
    if (isPaused()) {
        m_runner->resume();
        m_sinceEpoch.start();
        m_epochTimer->start();
        updateButtons();
        emit trainingStateChanged(true, false);
        return;
    }
    if (!canContinue() || !m_blocked.isEmpty()) return;
    const MetaTrainState& kept = *m_runner->kept();
    // Its own settings, up to the Epochs set (the form shows the kept run's unless it was edited since).
    int epochs = kept.config.epochs;
    if (auto* field = qobject_cast<QSpinBox*>(m_settings.widget("epochs"))) epochs = field->value();
    const MetaTrainConfig c = kept.config;
    const int from = kept.epoch;
    // An opened checkpoint: a file of its own from here on (the opened one is not written over).
    if (m_runner->checkpointPath().isEmpty()) m_runner->setCheckpointPath(newCheckpointPath(c.problem));
    if (WatchPanel::watches(m_runProblem))
        m_runner->setWatch(WatchPanel::watchedFunction(c), m_watchEvery->value());
    else
        m_runner->setWatch(std::nullopt, 1);
    QString error;
    if (!m_runner->continueRun(epochs, &error)) {
        emit failed(error); // nothing runs
        return;
    }
    beginRunUi(epochs);
    m_etaLabel->setText(tr("continuing from epoch %1…").arg(from));
    emit trainingStateChanged(true, false);
}

void MetaTrainView::requestStop()
{
    if (!isTraining()) return;
    // Stop before the first validation kept nothing, silently: 13 s of MNIST training vanished in a trial.
    if (!m_best && m_confirmStop &&
        !m_confirmStop(tr("No validation has finished yet, so stopping now keeps no optimizer: the best is kept from "
                          "the first validation on (Validate every). Stop anyway?")))
        return;
    stop();
}

void MetaTrainView::stop()
{
    if (!isTraining()) return;
    m_runner->stop();
    m_pause->setEnabled(false);
    m_stop->setEnabled(false);
    m_etaLabel->setText(tr("stopping…"));
}

void MetaTrainView::updateButtons()
{
    const auto state = m_runner->state();
    const bool idle = state == TrainSession::State::Idle;
    m_start->setEnabled(idle && m_blocked.isEmpty());
    m_start->setToolTip(m_blocked.isEmpty() ? tr("Start meta-training with these settings (Ctrl+R in this view)")
                                            : m_blocked);
    m_pause->setEnabled(state == TrainSession::State::Running);
    const bool paused = state == TrainSession::State::Paused;
    m_resume->setText(paused || !canContinue() ? tr("Resume") : tr("Continue"));
    m_resume->setToolTip(!paused && canContinue()
                             ? tr("Go on with the last run from epoch %1 (%2), with its own settings, up to Epochs")
                                   .arg(m_runner->kept()->epoch)
                                   .arg(QString::fromStdString(m_runner->kept()->config.problem))
                             : tr("Continue exactly where it paused"));
    m_resume->setEnabled(paused || (canContinue() && m_blocked.isEmpty()));
    m_saveCheckpointAction->setEnabled(m_runner->currentState() != nullptr);
    m_openCheckpointAction->setEnabled(idle);
    m_fineTuneAction->setEnabled(idle && m_blocked.isEmpty());
    m_stop->setEnabled(!idle);
    m_save->setEnabled(m_best.has_value());
    m_use->setEnabled(m_best.has_value());
    m_settings.setEnabled(idle);
}

// The running mean is over the last m_window epochs: about 1/100 of the run, so it smooths the
// per-episode noise (every epoch is a fresh random optimizee) without hiding the trend.
QString MetaTrainView::plotTitle() const
{
    if (m_runProblem.isEmpty()) return {};
    return m_problem == m_runProblem ? tr("Meta-training on %1").arg(m_runProblem)
                                     : tr("Meta-training on %1 (last run)").arg(m_runProblem);
}

void MetaTrainView::resetPlot(int epochs)
{
    m_history.clear();
    m_stageStarts = {0};
    m_levelGraphs.clear(); // plotEvalResult below removes the graphs
    m_windowSum = 0;
    m_windowCount = 0;
    m_window = std::clamp(epochs / 100, 5, 200);
    m_plotEpochs = epochs;
    m_userView = false;
    // The house style of every loss plot; the title names the run's problem, which stays with its curves when the
    // panel's problem changes afterwards.
    plotEvalResult(m_plot, EvalResult{}, plotTitle());
    m_plot->legend->setVisible(true);
    m_plot->xAxis->setLabel(tr("epoch"));
    m_plot->yAxis->setLabel(tr("loss (mean over the horizon)"));
    // A short plot (1024x640 beside the learned path) has room for "loss" only: the long label was cut at both ends.
    onPlotResize(m_plot, "l2lTrainLossLabel", [plot = m_plot, this] {
        const QString full = tr("loss (mean over the horizon)"), brief = tr("loss");
        const bool fits =
            QFontMetrics(plot->yAxis->labelFont()).horizontalAdvance(full) <= plot->axisRect()->height() + 20;
        const QString want = fits ? full : brief;
        if (plot->yAxis->label() == want) return false;
        plot->yAxis->setLabel(want);
        return true;
    });
    auto add = [this](const QString& name, const QPen& pen) {
        QCPGraph* g = m_plot->addGraph();
        g->setName(name);
        g->setPen(pen);
        return g;
    };
    add(tr("meta-loss (one episode)"), QPen(kMetaLossColor, 1));
    add(tr("meta-loss, mean of last %1").arg(m_window), QPen(optimizerColor(QStringLiteral("lstm")), 2));
    QCPGraph* valid = add(tr("validation"), QPen(kValidationColor, 1.5));
    valid->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, kValidationColor, Qt::white, 6));
    QCPGraph* best = add(tr("best validation"), QPen(Qt::NoPen));
    best->setLineStyle(QCPGraph::lsNone);
    // Large and heavy enough to pick out among the validation markers.
    QCPScatterStyle star(QCPScatterStyle::ssStar, kValidationColor, 20);
    star.setPen(QPen(kValidationColor, 2.5));
    best->setScatterStyle(star);
    m_progress->setRange(0, epochs);
    m_progress->setValue(0);
    m_epochLabel->setText(tr("epoch 0 / %1").arg(epochs));
    m_bestLabel->setText(tr("best validation: –"));
    fitView();
    restylePlot(m_plot); // theme and presentation scale; queues the replot
}

void MetaTrainView::setWatchEvery(int epochs) { m_watchEvery->setValue(epochs); }

namespace {
// A level the log-scaled curve can show: finite and positive (else a gap).
double drawnLevel(double level)
{
    return std::isfinite(level) && level > 0 ? level : std::numeric_limits<double>::quiet_NaN();
}
// Whether a baseline gets a line: its level on the last (longest) horizon can be drawn. One that diverges there
// gets none even if a shorter horizon's level is finite: such levels (1e20 and more on ill-conditioned 2-d
// quadratics) would stretch the axis over the curve; the watch panel's caption names it.
bool hasLevelLine(const BaselineLevel& b) { return !std::isnan(drawnLevel(b.level)); }
} // namespace

void MetaTrainView::drawBaselineLevels()
{
    const auto& ref = m_watch->reference();
    // A reference computed for an earlier run on a 2-d class may still arrive after a run on another class began.
    if (!ref || !WatchPanel::watches(m_problem)) return;
    for (QCPGraph* g : m_levelGraphs) m_plot->removeGraph(g);
    m_levelGraphs.clear();
    for (const BaselineLevel& b : ref->levels) {
        if (!hasLevelLine(b)) continue;
        const QString name = QString::fromStdString(b.optimizer);
        QCPGraph* g = m_plot->addGraph();
        g->setName(tr("%1 level (tuned)").arg(name)); // the rate is in the watch panel's caption
        g->setPen(QPen(optimizerColor(name), 1.5, Qt::DashLine));
        m_levelGraphs.push_back(g);
    }
    setLevelData();
    placeLegendOutside(m_plot); // more entries: the legend may need another row
    fitView();
    restylePlot(m_plot);
}

// Validation measures on another horizon in each curriculum stage (a mean over 20 steps is not one over 100), so a
// level is drawn from the epoch its stage began to the next stage's start (the last to the end of the run); NaN (a
// gap) where the baseline diverged on that stage's horizon.
void MetaTrainView::setLevelData()
{
    const auto& ref = m_watch->reference();
    if (!ref) return;
    const double right = std::max(10, m_progress->maximum());
    size_t graph = 0;
    for (const BaselineLevel& b : ref->levels) {
        if (!hasLevelLine(b)) continue;
        if (graph >= m_levelGraphs.size()) break;
        QCPGraph* g = m_levelGraphs[graph++];
        g->data()->clear();
        // Without a curriculum: one stage, from epoch 0 (m_stageStarts starts as {0}) to the end.
        const size_t stages = std::min(m_stageStarts.size(), b.stageLevels.size());
        for (size_t s = 0; s < stages; ++s) {
            const double x0 = m_stageStarts[s], x1 = s + 1 < stages ? m_stageStarts[s + 1] : right;
            const double y = drawnLevel(b.stageLevels[s]);
            g->addData(x0, y);
            g->addData(x1, y);
        }
    }
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void MetaTrainView::onSnapshot(const TrainSnapshot& s)
{
    if (!s.paths.empty()) m_watch->addSnapshots(s.paths, s.pathEpochs);
    const size_t stagesBefore = m_stageStarts.size();
    for (const MetaHistoryPoint& p : s.newPoints) {
        m_history.push_back(p);
        while (int(m_stageStarts.size()) <= p.stage) m_stageStarts.push_back(p.epoch);
        const double x = p.epoch;
        if (std::isfinite(p.metaLoss) && p.metaLoss > 0) m_plot->graph(GraphMetaLoss)->addData(x, p.metaLoss);
        // Running mean over the finite meta-losses among the last m_window epochs.
        auto add = [this](const MetaHistoryPoint& q, double sign) {
            if (std::isfinite(q.metaLoss)) {
                m_windowSum += sign * q.metaLoss;
                m_windowCount += int(sign);
            }
        };
        add(p, 1);
        if (m_history.size() > size_t(m_window)) add(m_history[m_history.size() - 1 - size_t(m_window)], -1);
        if (m_windowCount > 0) m_plot->graph(GraphRunningMean)->addData(x, m_windowSum / m_windowCount);
        if (std::isfinite(p.validationLoss) && p.validationLoss > 0)
            m_plot->graph(GraphValidation)->addData(x, p.validationLoss);
    }
    if (m_stageStarts.size() != stagesBefore) setLevelData(); // a new curriculum stage: its levels from here on
    showProgress(s.progress);
    emit progressed(s.progress);
}

void MetaTrainView::showProgress(const MetaProgress& p)
{
    m_progress->setMaximum(std::max(1, p.epochs));
    m_progress->setValue(p.epoch);
    QString label = tr("epoch %1 / %2").arg(p.epoch).arg(p.epochs);
    if (p.stages > 1) label += tr(" · stage %1 of %2 (horizon %3)").arg(p.stage + 1).arg(p.stages).arg(p.horizon);
    if (std::isfinite(p.gradientNoise)) label += tr(" · meta-gradient noise %1").arg(number(p.gradientNoise));
    if (std::isfinite(p.imitation)) label += tr(" · imitation term %1").arg(number(p.imitation));
    m_epochLabel->setText(label);
    m_epochLabel->setToolTip(tr("With a meta-batch: the estimated variance of the averaged meta-gradient over its "
                                "squared length (near or above 1, the update's direction is mostly noise; a larger "
                                "meta-batch brings it down). With imitation: the term \u03bb/2 |u \u2212 a|\u00b2 per "
                                "step, on the scale of the meta-loss (mean f per step); when it dwarfs the "
                                "meta-loss, the optimizer mostly copies the teacher."));
    m_lastElapsed = p.elapsedSeconds;
    m_lastEta = p.etaSeconds;
    m_etaLabel->setText(tr("elapsed %1 · ETA %2").arg(duration(p.elapsedSeconds), duration(p.etaSeconds)));
    if (p.epoch != m_shownEpoch) {
        m_shownEpoch = p.epoch;
        m_sinceEpoch.start();
    }
    if (p.bestEpoch >= 0 && std::isfinite(p.bestValidation)) {
        m_bestLabel->setText(tr("best validation: %1 (epoch %2)").arg(number(p.bestValidation)).arg(p.bestEpoch));
        QCPGraph* best = m_plot->graph(GraphBest);
        best->data()->clear();
        best->addData(p.bestEpoch, p.bestValidation);
    }
    if (!m_userView) fitView();
    // At most about ten replots a second: a live run sends snapshots faster than a large plot redraws (at scale 2,
    // beside the learned-path landscape, the curve fell thousands of epochs behind the counter). The timer is not
    // restarted while it runs, so the last snapshot is always drawn, at most 100 ms late.
    if (!m_replotTimer->isActive()) m_replotTimer->start();
}

// x: every epoch of the run from the start (an empty plot spans the Epochs set, not 0-10; the curve grows across),
// and a margin, so that a marker on the last epoch (the best validation's star) is not cut by the frame. A total
// more than ten times ahead of what is done (and of 1000) would squeeze the curve into a vertical line at 0 (Epochs
// 9999999): x then spans twice the epochs done, rounded up to 1, 2 or 5 times a power of ten, so the axis jumps
// now and then instead of at every snapshot. A run stopped early spans the epochs it did.
// y: the data.
void MetaTrainView::fitView()
{
    const int done = m_history.empty() ? 0 : m_history.back().epoch;
    int span = m_plotEpochs;
    if (!isTraining() && done > 0 && done < m_plotEpochs) {
        span = done;
    } else if (double(m_plotEpochs) > 10.0 * std::max(done, 1000)) {
        const double target = 2.0 * std::max(done, 50);
        double nice = std::pow(10.0, std::floor(std::log10(target)));
        for (double step : {1.0, 2.0, 5.0, 10.0})
            if (step * nice >= target) {
                nice *= step;
                break;
            }
        span = int(std::min<double>(nice, m_plotEpochs));
    }
    span = std::max({10, done, span});
    // y: the run's curves, and a baseline's level only within two decades of them: NAG's level at 5.9e7 on the
    // 2-d class squashed the curve (about 0.1) into the bottom of the plot. The watch panel's caption gives every
    // level. Before the curves have data, every graph.
    QList<QCPGraph*> shown;
    for (int g : {GraphMetaLoss, GraphRunningMean, GraphValidation, GraphBest}) shown << m_plot->graph(g);
    QCPRange curve, level;
    if (positiveValueRange(m_plot, shown, &curve)) {
        for (QCPGraph* g : m_levelGraphs)
            if (positiveValueRange(m_plot, {g}, &level) && level.upper <= 100 * curve.upper &&
                level.lower >= curve.lower / 100)
                shown << g;
    } else {
        shown.clear();
    }
    fitLossPlotView(m_plot, span, shown);
    // The margin in pixels: the star's radius and a little, at any width and presentation scale.
    const double radius = m_plot->graphCount() > 3 ? m_plot->graph(3)->scatterStyle().size() / 2 + 3 : 10;
    const double width = std::max(100, m_plot->axisRect()->width());
    m_plot->xAxis->setRange(0, span / (1 - std::min(0.2, radius / width)));
}

bool MetaTrainView::saveBest(const QString& path, QString* error)
{
    return reporting(error, [&] {
        if (!m_best) throw Error("no trained optimizer yet: start meta-training first");
        saveOptimizer(path.toStdString(), *m_best); // temp file + rename: the old file survives a failure
        m_savedPath = path;
        m_savedEpoch = m_best->provenance.bestEpoch;
    });
}

void MetaTrainView::saveBestWithDialog()
{
    if (!m_best) return;
    const QString family = QString::fromStdString(Spec::parse(m_best->provenance.training.problem).name);
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Save the best optimizer"), family + QStringLiteral("-optimizer.json"),
                                     tr("Optimizer files (*.json)"));
    if (path.isEmpty()) return;
    QString error;
    if (!saveBest(path, &error)) {
        QMessageBox::warning(this, tr("Save best optimizer"), error);
        return;
    }
    emit optimizerSaved(path);
}

// Optimizers handed to the other views are kept in the application's data directory (so that an
// experiment file that names one still loads next time), or in a directory that lives as long as this
// view when that is not writable.
QString MetaTrainView::dataDirectory(const QString& sub)
{
    const QString base = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    if (base.isEmpty()) return {};
    const QString dir = base + QLatin1Char('/') + sub;
    return QDir().mkpath(dir) && QFileInfo(dir).isWritable() ? dir : QString();
}

// A run's own checkpoint, 'quadratic-dim-20-20261206-101530-042.checkpoint.json' in the app data's checkpoints (empty
// when that is not writable: the run writes none).
QString MetaTrainView::newCheckpointPath(const std::string& problem)
{
    const QString dir = dataDirectory(QStringLiteral("checkpoints"));
    if (dir.isEmpty()) return {};
    return QStringLiteral("%1/%2-%3.checkpoint.json")
        .arg(dir, problemFileStem(problem),
             QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss-zzz")));
}

bool MetaTrainView::isSessionOptimizer(const QString& path)
{
    const QString dir = sessionDirectory();
    return !dir.isEmpty() && !path.isEmpty() && QFileInfo(path).absoluteDir() == QDir(dir);
}

QString MetaTrainView::sessionDirectory()
{
    const QString dir = dataDirectory(QStringLiteral("optimizers"));
    if (!dir.isEmpty()) return dir;
    if (!m_sessionDir) m_sessionDir = std::make_unique<QTemporaryDir>();
    return m_sessionDir->isValid() ? m_sessionDir->path() : QString();
}

void MetaTrainView::useBest()
{
    if (!m_best) {
        emit failed(tr("no trained optimizer yet: start meta-training first"));
        return;
    }
    // The file the user saved these weights to, if still there: the legends and exports then name it (they named
    // the session copy, 'quadratic-epoch1350-20261205-203044-265.json').
    if (!m_savedPath.isEmpty() && m_savedEpoch == m_best->provenance.bestEpoch && QFileInfo::exists(m_savedPath)) {
        m_sessionPath = m_savedPath;
        emit optimizerReady(m_savedPath);
        return;
    }
    const QString dir = sessionDirectory();
    // A short name that says what it was trained on ('quadratic-dim-20-epoch1350.json'), numbered when an earlier
    // session left one of that name.
    const QString stem = QStringLiteral("%1/%2-epoch%3")
                             .arg(dir, problemFileStem(m_best->provenance.training.problem))
                             .arg(m_best->provenance.bestEpoch);
    QString path = stem + QStringLiteral(".json");
    for (int n = 2; QFileInfo::exists(path); ++n) path = stem + QStringLiteral("-%1.json").arg(n);
    QString error;
    if (dir.isEmpty() || !saveBest(path, &error)) {
        emit failed(tr("cannot save the optimizer for this session: %1")
                        .arg(dir.isEmpty() ? tr("no writable directory") : error));
        return;
    }
    m_sessionPath = path;
    emit optimizerReady(path);
}

bool MetaTrainView::exportCsv(const QString& path, QString* error) const
{
    std::ostringstream out;
    out.precision(9);
    out << "epoch,meta_loss,validation_loss,meta_gradient_noise,curriculum_stage,imitation_term\n";
    // Empty where not validated (or not finite; the noise only with a meta-batch, the imitation term only while
    // imitating): a CSV never holds "nan".
    for (const MetaHistoryPoint& p : m_history) {
        out << p.epoch << ',';
        if (std::isfinite(p.metaLoss)) out << p.metaLoss;
        out << ',';
        if (std::isfinite(p.validationLoss)) out << p.validationLoss;
        out << ',';
        if (std::isfinite(p.gradientNoise)) out << p.gradientNoise;
        out << ',' << p.stage << ',';
        if (std::isfinite(p.imitation)) out << p.imitation;
        out << '\n';
    }
    return saveTextFile(path, QByteArray::fromStdString(out.str()), error);
}

} // namespace l2l::ui
