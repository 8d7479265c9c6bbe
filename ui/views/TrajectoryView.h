#pragma once
// The Trajectories view: a 2-d function's landscape with the paths of every chosen optimizer (the LSTM
// included) from a start point the user clicks or drags, and the controls to watch them: play, pause,
// single step, speed, a slider to scrub through the steps, and a table of each optimizer's point, loss
// and gradient at the scrubbed step. Paths are computed by the view's Runner (latest request
// wins, so a drag never queues stale work); playing only moves the scrubbed step.
#include "eval/Trajectory.h"
#include "workers/Runner.h"

#include <QElapsedTimer>
#include <QPointF>
#include <QStringList>
#include <QTimer>
#include <QWidget>

#include <optional>

Q_DECLARE_METATYPE(l2l::TrajectoryResult)

class QComboBox;
class QLabel;
class QPushButton;
class QSlider;
class QSpinBox;
class QTableWidget;

namespace l2l::ui {

class LandscapeWidget;

class TrajectoryView : public QWidget {
    Q_OBJECT
public:
    explicit TrajectoryView(QWidget* parent = nullptr);

    // From the side panel. If problemSpec names a 2-d function the view switches to it (with its
    // options; the start point is kept when the spec is unchanged); otherwise it keeps its own function.
    // Optimizer specs as in EvalConfig ("adam", "adam:lr=0.1", "lstm", "lstm:/path/file.json").
    // Steps are clamped to [1, 10000]. Recomputes.
    void setExperiment(const QString& problemSpec, const QStringList& optimizers, int steps);
    QString functionSpec() const { return m_functionSpec; } // the 2-d function drawn, e.g. "rosenbrock"
    void setFunctionSpec(const QString& spec);              // recomputes from the function's own start
    QPointF startPoint() const; // the user's point, else the function's own start once computed
    std::optional<QPointF> userStart() const { return m_start; } // none: the function's own start
    void setStartPoint(QPointF p); // recomputes, with the rates tuned at the function's own start
    // Re-tunes the rates that are not given from the current start point (on request only: moving the start keeps
    // the function's rates, so that paths from two starts compare like with like). Recomputes.
    void retuneAtStart();
    bool tunesAtStart() const { return m_tuneHere; }
    int currentStep() const { return m_step; }
    void setCurrentStep(int step); // clamped to [0, stepCount()]
    int stepCount() const { return m_steps; }
    bool isComputing() const { return m_runner->isBusy(); }
    const std::optional<l2l::TrajectoryResult>& result() const { return m_result; }
    LandscapeWidget* landscape() const { return m_landscape; }
    // One row per optimizer per step: optimizer,step,x,y,loss,gx,gy. Written atomically.
    bool exportCsv(const QString& path, QString* error) const;

public slots:
    void play();
    void pause();
    void togglePlay();
    void stepForward();
    void recompute();

signals:
    void computed();
    void failed(const QString& message);
    void startPointChanged(QPointF);

private:
    QWidget* makeControls();
    void makeTable();
    void onComputed(TrajectoryResult result, qint64 ms);
    void onFailed(const QString& message);
    void advancePlayback();
    void updateStepUi();
    void updateTable();
    void selectFunctionInCombo();
    void showStatus(const QString& text, bool error);

    LandscapeWidget* m_landscape = nullptr;
    QComboBox* m_functionCombo = nullptr;
    QPushButton* m_playButton = nullptr;
    QPushButton* m_stepButton = nullptr;
    QPushButton* m_retuneButton = nullptr;
    QSpinBox* m_speedSpin = nullptr;
    QSlider* m_stepSlider = nullptr;
    QLabel* m_stepLabel = nullptr;
    QLabel* m_status = nullptr;
    QTableWidget* m_table = nullptr;
    Runner* m_runner = nullptr;

    // What is asked for; on a failure it returns to what was last drawn.
    QString m_functionSpec = QStringLiteral("rosenbrock");
    QStringList m_optimizers = {"sgd", "nag", "rmsprop", "adam", "lstm"};
    int m_steps = 100;
    std::optional<QPointF> m_start; // none: the function's own start
    bool m_tuneHere = false;        // rates tuned from m_start (Re-tune here), until the start moves

    std::optional<TrajectoryResult> m_result;
    int m_step = 0;
    QTimer m_playTimer;
    QElapsedTimer m_playClock;
    double m_playCarry = 0; // fraction of a step owed to the next tick
    QElapsedTimer m_computeClock;
};

} // namespace l2l::ui
