#pragma once
// The studio window, organised around one experiment: the experiment panel on the left (problem,
// optimizers, LSTM source, runs, steps, seed), five views in the centre (Compare, Meta-train,
// Trajectories, Inspect, Art), menus, toolbar and shortcuts for run / stop / step / open / save / export.
// The window never computes: Run queues an EvalConfig on the worker thread and snapshots redraw the
// views; the other views own their workers. Settings and layout persist through the QSettings given
// to the constructor (none: nothing is read or written, as in tests and the screenshot tour).
#include "eval/Evaluation.h"
#include "io/ExperimentFile.h"
#include "io/LessonFile.h"
#include "plots/Theme.h"
#include "workers/EvalJob.h" // the metatypes of the signals below

#include <QElapsedTimer>
#include <QMainWindow>

#include <functional>
#include <optional>

class QAction;
class QLabel;
class QScrollArea;
class QMenu;
class QSettings;
class QTabWidget;

namespace l2l::ui {

class ArtView;
class TransferView;
class GraphView;
class CompareView;
class Runner;
class ExperimentPanel;
class InspectView;
class LessonBar;
class MetaTrainView;
class TrajectoryView;

class MainWindow : public QMainWindow {
    Q_OBJECT
    Q_PROPERTY(QString lastError READ lastError)
    Q_PROPERTY(bool running READ isRunning)
public:
    enum View { Compare, MetaTrain, Trajectories, Inspect, Art, Transfer, Graph };
    static constexpr int kViewCount = 7;

    explicit MainWindow(QSettings* settings = nullptr, QWidget* parent = nullptr);
    ~MainWindow() override;

    // A comparison is running (the Compare job; see activeJob() for every kind).
    bool isRunning() const;

    // The one job of the window: at most one runs, whatever view started it. Run starts the current view's
    // job (Compare, Trajectories and Inspect: a comparison; Meta-train: training; Art: stylising; Transfer: the
    // heat map) and is refused with the reason while another runs; Stop and Esc stop the one running.
    enum class Job { None, Compare, MetaTrain, Art, Transfer };
    Job activeJob() const;
    bool isBusy() const { return activeJob() != Job::None; }
    static QString jobName(Job job); // "A comparison", "Meta-training", ...
    // The running job's progress as the status bar shows it ("step 3 of 100", "epoch 2 of 50", "Tuning ...").
    QString jobDetail() const { return m_jobDetail; }
    // Asked before the window closes while a job runs; true: stop it and quit. Default: a dialog.
    void setQuitConfirmation(std::function<bool(const QString& question)> ask) { m_confirmQuit = std::move(ask); }
    // The message of the last error shown (bad input, failed run, bad file); empty before any.
    QString lastError() const { return m_lastError; }
    // Off: errors go to the status line, the log and runFailed only, never a modal dialog.
    void setErrorDialogsEnabled(bool enabled) { m_errorDialogs = enabled; }

    ExperimentPanel* panel() const { return m_panel; }
    CompareView* compareView() const { return m_compare; }
    MetaTrainView* metaTrainView() const { return m_metaTrain; }
    TrajectoryView* trajectoryView() const { return m_trajectories; }
    InspectView* inspectView() const { return m_inspect; }
    ArtView* artView() const { return m_art; }
    TransferView* transferView() const { return m_transfer; }
    GraphView* graphView() const { return m_graph; }
    void showView(View view);
    static const char* viewName(View view); // "compare", "meta-train", "trajectories", "inspect", "art", "transfer",
                                            // "graph"
    View currentView() const;

    // Everything on screen as an experiment (the panel, the trajectory function and start, the
    // meta-training settings, the current view); withResults: also the last comparison's statistics, when it
    // was made with the panel's problem, runs, steps and seed (what Save writes).
    Experiment experiment(bool withResults = false) const;
    // Applies `e` to every view (its results, if any, shown in Compare as a finished run); throws l2l::Error and
    // changes nothing if it cannot be shown.
    void applyExperiment(const Experiment& e);

    // File operations without dialogs (the menu actions ask for the path, then call these). They return
    // false after showing an error that names the file and the problem; nothing is half-done.
    bool openFile(const QString& path); // an experiment or an optimizer file
    // File > Examples: the bundled experiment files (resources/examples), as (title, path), in file-name order.
    static QList<QPair<QString, QString>> examples();
    // Opens a bundled example; Save then asks for a path (the bundled file is never overwritten).
    bool openExample(const QString& path);
    // File > Open Recent: files opened or saved, newest first (at most 10; kept in the QSettings).
    QStringList recentFiles() const { return m_recent; }
    bool saveExperimentTo(const QString& path);
    bool exportPlotTo(const QString& path); // the current view's plot(s): .png or .pdf
    bool exportCsvTo(const QString& path);  // the current view's data

    // Lectures (MainWindowLecture.cpp). A lesson (io/LessonFile.h) is shown one slide at a time in the strip
    // above the views: the slide's experiment is applied and its action taken (a job already running is
    // stopped first); Page Down / Page Up step through it. Returns false after showing an error.
    bool openLesson(const QString& path);
    static QString bundledLessonPath(); // resources/lessons/learning-to-learn.json
    bool hasLesson() const { return m_lesson.has_value(); }
    int slideIndex() const { return m_slide; }
    int slideCount() const { return m_lesson ? int(m_lesson->slides.size()) : 0; }
    void goToSlide(int index);
    void endLesson();
    // Appends the current state (settings and view) as a slide, starting a lesson if none is open.
    void addSlideFromState(const QString& title, const QString& text);
    bool saveLessonTo(const QString& path);
    LessonBar* lessonBar() const { return m_lessonBar; }

    // Presentation: a theme, a scale of every font, line width and marker, bold paths, and full screen with the
    // side panel and toolbar hidden. Kept in the QSettings.
    void setTheme(Theme::Kind kind);
    void setPresentationScale(double scale); // clamped to [Theme::kMinScale, Theme::kMaxScale]
    double presentationScale() const { return Theme::scale(); }
    void setBoldPaths(bool bold);
    void setPresentationMode(bool on);
    bool presentationMode() const { return m_presenting; }
    void showPaperSummary(); // Help > The Paper in Five Minutes
public slots:
    void nextSlide();
    void previousSlide();
    void runExperiment();
    void stopExperiment();        // the running job, at once (a lecture's next slide, a tour)
    void requestStopExperiment(); // the user's Stop (Esc, the toolbar, the panel): meta-training asks first if it
                                  // would keep nothing (MetaTrainView::requestStop)
    void stepTrajectory();        // F10: one step of the trajectories, or of the graph when it is shown
    void syncGraph();             // the graph runs on the Trajectories view's function and start

signals:
    void runFinished(const l2l::EvalResult& result); // also when stopped (result.cancelled)
    void runFailed(const QString& message);          // bad input or a core error
    void fileOpened(const QString& path);
    void slideShown(int index); // after the slide's experiment was applied and its action started

protected:
    // While a lesson is open, Page Down / Page Up step through it whichever widget has the focus (a spin box or a
    // combo box would otherwise take them as their own keys).
    bool eventFilter(QObject* watched, QEvent* event) override;
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void createViews();
    void createActions();
    void createMenus();
    void createLectureActions();
    void fillLectureMenu(QMenu* lecture, QMenu* view);
    void applySlide(int index, int generation);
    void setLessonOpen(bool open); // the strip, the lesson actions and the Page-key filter, together
    void showPresentationState();  // the View menu's theme and bold-path check marks from Theme's state
    void applyPresentation();      // palette, fonts, every plot and GL overlay
    void createPanel();
    void connectViews();
    void syncViews();
    void setRunning(bool running);
    void updatePanelScope();
    bool resultFitsPanel() const;
    bool
    dropStaleResult(); // forgets the last result if it does not fit the panel; true if it did so // the last result was made with the panel's problem, runs, steps and seed
    void showJobDetail(const QString& detail); // the running job's progress, on the status-bar label only
    void updateJobState();                     // actions, buttons of every view and the status bar's job label
    QString busyReason(Job job) const; // "Meta-training is running: stop it first (Stop or Esc)", or "is paused"
    bool refuseWhileBusy(const QString& what); // true, with the reason shown, when a job runs
    void onSnapshot(const EvalResult& partial);
    void onFinished(const EvalResult& result);
    void onTuneProgress(const TuneProgress& progress);
    void onFailed(const QString& message);
    void showError(const QString& message);
    void openDialog();
    void saveDialog(bool askPath);
    void exportPlotDialog();
    void exportCsvDialog();
    void restoreSettings();
    void saveSettings() const;
    QString dialogDir() const; // the last folder used, else the user's documents folder
    void addRecent(const QString& path);
    void fillRecentMenu();

    QSettings* m_settings;
    Runner* m_runner; // runs the comparison (workers/EvalJob)
    ExperimentPanel* m_panel = nullptr;
    CompareView* m_compare = nullptr;
    MetaTrainView* m_metaTrain = nullptr;
    TrajectoryView* m_trajectories = nullptr;
    InspectView* m_inspect = nullptr;
    ArtView* m_art = nullptr;
    TransferView* m_transfer = nullptr;
    GraphView* m_graph = nullptr;
    QTabWidget* m_views = nullptr;
    QAction *m_runAction = nullptr, *m_stopAction = nullptr, *m_stepAction = nullptr, *m_playAction = nullptr;
    QAction *m_openAction = nullptr, *m_saveAction = nullptr, *m_saveAsAction = nullptr;
    QAction *m_exportPlotAction = nullptr, *m_exportCsvAction = nullptr, *m_resetViewAction = nullptr;
    QLabel* m_jobLabel = nullptr; // the status bar's permanent "what runs" label
    QString m_runProblem;         // the running comparison's problem spec
    QString m_jobDetail;          // its progress text for the running job ("epoch 3 of 100")
    std::function<bool(const QString&)> m_confirmQuit;
    QElapsedTimer m_clock;                       // since Run
    std::optional<EvalResult> m_lastFinished;    // statistics of the last completed run (no per-run curves)
    std::optional<EvalResult> m_pendingSnapshot; // drawn on the next turn of the event loop, unless the
                                                 // final result arrives first (no double replot at the end)
    QStringList m_recent;
    QMenu* m_recentMenu = nullptr;
    QString m_experimentPath;             // the file Save writes to (empty: ask)
    bool m_drewLive = false;              // the running experiment has replaced the plot
    QScrollArea* m_panelScroll = nullptr; // around the side panel
    // The panel's experiment (as JSON) when the last run failed; empty after a change of settings or a new run.
    // Set while there is no figure: the Compare plot's title is that failure's message.
    std::string m_failedSettings;
    bool m_inspectStale = true; // recompute Inspect when it is shown
    bool m_errorDialogs = true;
    QString m_lastError;

    // Lectures and presentation (MainWindowLecture.cpp)
    LessonBar* m_lessonBar = nullptr;
    std::optional<Lesson> m_lesson;
    int m_slide = -1;
    int m_slideGeneration = 0; // a newer slide request cancels a pending one (waiting for a job to stop)
    QAction *m_nextSlideAction = nullptr, *m_previousSlideAction = nullptr, *m_fullScreenAction = nullptr;
    QAction *m_boldPathsAction = nullptr, *m_endLessonAction = nullptr, *m_saveLessonAction = nullptr;
    QList<QAction*> m_themeActions;
    QFont m_baseFont; // the application font at scale 1
    bool m_presenting = false;
    bool m_panelWasVisible = true, m_toolbarWasVisible = true;
};

} // namespace l2l::ui
