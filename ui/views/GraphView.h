#pragma once
// The Graph view (lecture issue, item 1): the paper's Fig. 2 alive. One truncated window of the learned optimizer
// on the Trajectories view's function and start is recorded by the same BPTT meta-training runs
// (meta/GraphTrace.h, computed by the view's Runner) and drawn by a GraphCanvas: Step (F10) walks forward through
// time and then the meta-gradient back through the window; Play animates it; the window length, how many steps the
// run takes before it, and first or second order are the controls. Hovering a node shows its formula and value
// in the text line below the graph.
#include "meta/GraphTrace.h"
#include "workers/Runner.h"

#include <QPointF>
#include <QTimer>
#include <QWidget>

#include <optional>

Q_DECLARE_METATYPE(l2l::GraphResult)

class QCheckBox;
class QLabel;
class QPushButton;
class QScrollArea;
class QSpinBox;

namespace l2l::ui {

class GraphCanvas;

class GraphView : public QWidget {
    Q_OBJECT
public:
    explicit GraphView(QWidget* parent = nullptr);

    // The function and start the graph runs on (the Trajectories view's); recomputes when they change.
    // The function, start and learned optimizer the graph runs (the Trajectories view's function and start, the
    // panel's LSTM file; an empty path: the optimizer bundled for 2-d functions); recomputes when they change.
    void setFunction(const QString& spec, std::optional<QPointF> start, const QString& optimizerPath = QString());
    QString functionSpec() const { return m_spec; }
    GraphConfig config() const; // what the controls ask for
    void setWindow(int steps);  // clamped to [1, 20]; recomputes
    void setOffset(int steps);  // clamped to [0, 1000]; recomputes
    void setSecondOrder(bool on);
    // In a lesson the slide's text says how to step, so the hint under the graph keeps two lines, not three: at
    // 1280x720 the bundled slide then fits without scrolling.
    void setCaptionsVisible(bool visible);
    bool isComputing() const { return m_runner->isBusy(); }
    bool isPlaying() const { return m_playTimer.isActive(); }
    const std::optional<GraphResult>& result() const { return m_result; }
    GraphCanvas* canvas() const { return m_canvas; }
    QString detailText() const; // the text line below the graph
    // One row per step of the window: step,theta_x,theta_y,loss,grad_x,grad_y,update_x,update_y,dL_dtheta_x,
    // dL_dtheta_y,dphi_share_norm. Written atomically.
    bool exportCsv(const QString& path, QString* error) const;

public slots:
    void stepForward(); // the next stage (after the last: back to the start)
    void stepBack();
    void togglePlay();
    void restart(); // plays from the first stage (once the graph is computed)
    void pause();
    void recompute();

signals:
    void computed();
    void failed(const QString& message);

private:
    void updateUi();
    GraphCanvas* m_canvas = nullptr;
    QSpinBox* m_windowSpin = nullptr;
    QScrollArea* m_scroll = nullptr; // around the canvas: a long window scrolls sideways, following the step
    QSpinBox* m_offsetSpin = nullptr;
    QCheckBox* m_secondOrder = nullptr;
    QPushButton* m_backButton = nullptr;
    QPushButton* m_stepButton = nullptr;
    QPushButton* m_playButton = nullptr;
    QLabel* m_detail = nullptr;
    QLabel* m_status = nullptr;
    QLabel* m_stageLabel = nullptr;
    Runner* m_runner = nullptr;
    QTimer m_playTimer;
    QString m_spec = QStringLiteral("quadratic2d");
    std::optional<QPointF> m_start;
    QString m_optimizer; // empty: the bundled one
    std::optional<GraphResult> m_result;
    bool m_playWhenComputed = false;
};

} // namespace l2l::ui
