#pragma once
// The studio's Meta-train view: settings of a meta-training run on the problem class chosen in the side
// panel, Start / Pause / Resume / Stop, and live curves (meta-loss per epoch with a running mean,
// validation loss, log scale), epoch counter, progress bar, ETA and the best validation so far. The best
// optimizer can be saved to a file or handed to Compare and Trajectories ("Use"). All training happens in
// a TrainSession's runner; this widget only draws the snapshots it sends.
#include "meta/MetaTrainer.h"
#include "views/SettingsForm.h"
#include "workers/TrainJob.h" // the metatypes of the signals below

#include <QElapsedTimer>
#include <QString>
#include <QTemporaryDir>
#include <QWidget>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

class QCPGraph;
class QCustomPlot;
class QTimer;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QAction;
class QComboBox;
class QSplitter;

namespace l2l::ui {

class WatchPanel;

class MetaTrainView : public QWidget {
    Q_OBJECT
public:
    explicit MetaTrainView(QWidget* parent = nullptr);
    ~MetaTrainView() override;

    void setProblem(const QString& problemSpec); // the class to train on (ignored while training)
    QString problem() const { return m_problem; }
    MetaTrainConfig config() const;                // throws l2l::Error naming a bad field
    void setConfig(const MetaTrainConfig& config); // for experiment files (also sets the problem)
    bool isTraining() const;                       // running or paused
    // Another job of the window is running: Start is disabled with `reason` as its tooltip (empty: enabled).
    void setStartBlocked(const QString& reason);
    bool isPaused() const;
    std::optional<OptimizerFile> bestOptimizer() const { return m_best; }
    // Idle with a stopped or finished run, or an opened checkpoint: Continue goes on from it (its own settings, up
    // to the Epochs set), as `l2l train --resume` does.
    bool canContinue() const;
    // Opens a checkpoint (`l2l train`'s, or the studio's own): its settings fill the form, its curves are drawn and
    // Continue goes on from it. Not while training; false with a message naming the file and the field (the run
    // drawn and kept before stays).
    bool openCheckpoint(const QString& path, QString* error);
    // Writes the stopped, finished, paused or opened run's checkpoint (atomic). False with a message.
    bool saveCheckpoint(const QString& path, QString* error) const;
    // Starts a fine-tune: the form's settings from the weights of an optimizer file (its architecture replaces the
    // form's), as `l2l train --init`. False with a message naming the file when it cannot be read.
    bool fineTune(const QString& optimizerPath, QString* error);
    // Where the run under way (or the last one) writes its checkpoint: after every validation, and when it
    // pauses or stops. Empty: no writable data directory.
    QString checkpointPath() const;
    // Atomic (core saveOptimizer): the old file stays on failure. False with a message on error.
    bool saveBest(const QString& path, QString* error);
    QString sessionOptimizerPath() const { return m_sessionPath; } // where useBest() saved it (empty before)
    // Whether `path` is one of the optimizers useBest() keeps in the studio's data folder (or its temporary one):
    // an experiment saved naming it is given a copy beside it (MainWindow::saveExperimentTo).
    bool isSessionOptimizer(const QString& path);
    QCustomPlot* plot() const { return m_plot; }
    WatchPanel* watchPanel() const { return m_watch; }         // shown for 2-d function classes
    void setWatchEvery(int epochs);                            // how often the watched path is redrawn
    bool exportCsv(const QString& path, QString* error) const; // epoch,meta_loss,validation_loss

    // Asked by requestStop before any validation has finished (stopping then keeps no optimizer); true: stop.
    // Default: a dialog. Empty: stop without asking.
    void setStopConfirmation(std::function<bool(const QString& question)> ask) { m_confirmStop = std::move(ask); }

public slots:
    void start();
    void pause();
    void resume();      // paused: resumes; idle with a run kept: continues it (canContinue)
    void stop();        // at once (quitting, a test)
    void requestStop(); // the user's Stop (the button, Esc, the toolbar): asks first if it would keep nothing
    void useBest();     // saves the best to a session file, then optimizerReady(path)

signals:
    void trainingStateChanged(bool training, bool paused);
    void progressed(const l2l::MetaProgress& progress);
    void finished();
    void failed(const QString& message);
    void optimizerReady(const QString& path);
    void optimizerSaved(const QString& path); // Save best… wrote it
    void logLine(const QString& line);        // the training job's notes (a checkpoint not written, ...)

private:
    QWidget* buildControls(); // Start … Stop, Save, Use, and the progress: above the scrolling form
    QWidget* buildSettings();
    void resetPlot(int epochs);
    QString plotTitle() const; // "Meta-training on X" for the run drawn, "(last run)" once the form has another
    void onSnapshot(const TrainSnapshot& s);
    void drawBaselineLevels(); // the watch panel's validation levels as dashed lines on the curve
    void setLevelData();       // their data: one level per curriculum stage, from the epoch the stage began
    void showProgress(const MetaProgress& p);
    void fitView();
    void updateButtons();
    void saveBestWithDialog();
    QString sessionDirectory();
    QString dataDirectory(const QString& sub); // the app data's `sub`, made; empty if not writable
    QString newCheckpointPath(const std::string& problem);
    // A new run (or fine-tune from `initial`) with the form's settings.
    void startRun(std::optional<LstmNet<float>> initial, std::vector<Ancestor> ancestors, const QString& what);
    void beginRunUi(int epochs); // the counters, timers and buttons of a run starting or continuing
    void openCheckpointWithDialog();
    void saveCheckpointWithDialog();
    void fineTuneWithDialog();

    TrainSession* m_runner;
    MetaTrainConfig m_base; // fields without a widget (threads, the memory limit) survive setConfig/config
    QString m_problem = QStringLiteral("quadratic");
    QTimer* m_replotTimer = nullptr; // the curve's replots during a run, at most every 100 ms
    // While an epoch lasts over a second (MNIST with a large meta-batch: minutes), how far it has got, twice a
    // second, after the last progress's text.
    QTimer* m_epochTimer = nullptr;
    QElapsedTimer m_sinceEpoch; // since the epoch counter last moved
    int m_shownEpoch = -1;
    double m_lastElapsed = 0, m_lastEta = 0; // the last progress's, counted on from m_sinceEpoch
    QString m_runProblem;                    // the problem of the run whose curves are drawn (empty before the first)
    std::optional<OptimizerFile> m_best;
    std::vector<MetaHistoryPoint> m_history; // what has been drawn
    std::vector<int> m_stageStarts;          // the epoch each curriculum stage reached so far began at
    std::vector<QCPGraph*> m_levelGraphs;    // drawBaselineLevels's, in the reference's order of finite levels
    double m_windowSum = 0;                  // sum of the finite meta-losses in the running-mean window
    int m_windowCount = 0, m_window = 25;
    QString m_sessionPath;
    QString m_savedPath; // where saveBest last wrote this run's best, that of epoch m_savedEpoch
    int m_savedEpoch = -1;
    QString m_blocked; // why Start is disabled (another job runs), empty when it is not
    std::function<bool(const QString&)> m_confirmStop;
    std::unique_ptr<QTemporaryDir> m_sessionDir; // fallback when the app data directory is not writable
    bool m_userView = false;
    int m_plotEpochs = 0; // the run's epochs: the plot's x extent

    QLabel* m_problemLabel;
    SettingsForm m_settings; // the rows of metaTrainSettings() marked for the form
    QPushButton *m_start, *m_pause, *m_resume, *m_stop, *m_save, *m_use, *m_files;
    QAction *m_saveCheckpointAction = nullptr, *m_openCheckpointAction = nullptr, *m_fineTuneAction = nullptr;
    QProgressBar* m_progress;
    QLabel *m_epochLabel, *m_etaLabel, *m_bestLabel;
    QCustomPlot* m_plot;
    WatchPanel* m_watch;
    QSpinBox* m_watchEvery;
    QLabel* m_watchEveryLabel;
};

} // namespace l2l::ui
