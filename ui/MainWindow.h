#pragma once
// The studio window: the experiment panel on the left, the views (for now: Compare) in the centre.
// The window never computes: Run turns the panel into an EvalConfig and queues it on the worker thread,
// snapshots redraw the views as they arrive, Stop sets the worker's flag directly.
#include "Evaluation.h"

#include <QElapsedTimer>
#include <QMainWindow>

#include <optional>

class QAction;
class QTabWidget;

namespace l2l::ui {

class CompareView;
class EvalRunner;
class ExperimentPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT
    Q_PROPERTY(QString lastError READ lastError)
    Q_PROPERTY(bool running READ isRunning)
public:
    explicit MainWindow(QWidget* parent = nullptr);

    bool isRunning() const;
    // The message of the last error shown (bad input, failed run); empty before any.
    QString lastError() const { return m_lastError; }
    // Off: errors go to the status line, the log and runFailed only, never a modal dialog (--screenshot).
    void setErrorDialogsEnabled(bool enabled) { m_errorDialogs = enabled; }

    ExperimentPanel* panel() const { return m_panel; }
    CompareView* compareView() const { return m_compare; }

public slots:
    void runExperiment();
    void stopExperiment();

signals:
    void runFinished(const l2l::EvalResult& result); // also when stopped (result.cancelled)
    void runFailed(const QString& message);          // bad input or a core error

private:
    void createActions();
    void createPanel();
    void setRunning(bool running);
    void onSnapshot(const EvalResult& partial);
    void onFinished(const EvalResult& result);
    void onFailed(const QString& message);
    void showError(const QString& message);

    EvalRunner* m_runner;
    ExperimentPanel* m_panel = nullptr;
    CompareView* m_compare = nullptr;
    QTabWidget* m_views = nullptr;
    QAction* m_runAction = nullptr;
    QAction* m_stopAction = nullptr;
    QElapsedTimer m_clock;                    // since Run
    std::optional<EvalResult> m_lastFinished; // statistics of the last completed run (no per-run curves)
    bool m_drewLive = false;                  // the running experiment has replaced the plot
    bool m_errorDialogs = true;
    QString m_lastError;
};

} // namespace l2l::ui
