#pragma once
// The unrolled computational graph of the paper's Fig. 2, drawn from one recorded window (meta/GraphTrace.h):
// per step t the optimizee's parameters theta_t, its loss f_t and gradient grad_t, the LSTM step m_t with its
// state h_t (a heat strip per coordinate), the update g_t, and on the right the meta-loss L = sum w_t f_t with
// the shared weights phi below. The edges d grad_t / d theta_t that first-order training drops are dashed; with
// second derivatives they are solid.
//
// The canvas shows a stage of an animation: forward stages 0..K light the steps up to t with their values;
// backward stages then run from L back to the window's start, showing dL/dtheta_t on the parameters and each
// step's share of dL/dphi on the LSTM steps, the edges the meta-gradient flows along drawn in the backward colour.
// Hovering a node shows its formula and value (hovered() and a tooltip).
#include "meta/GraphTrace.h"

#include <QRectF>
#include <QString>
#include <QWidget>

#include <optional>
#include <vector>

namespace l2l::ui {

class GraphCanvas : public QWidget {
    Q_OBJECT
public:
    enum class NodeKind { Loss, Theta, Grad, Lstm, Update, MetaLoss, Phi };
    struct Node {
        NodeKind kind;
        int step; // j within the window (0..K); -1 for MetaLoss and Phi
        QRectF rect;
    };
    // What a node shows: its name, the formula that computes it, and the run's value (and, backwards, the
    // derivative of the meta-loss with respect to it).
    struct NodeInfo {
        QString name, formula, value, derivative;
    };

    explicit GraphCanvas(QWidget* parent = nullptr);
    void setResult(const GraphResult& result); // resets the animation to stage 0
    void clear();
    bool hasResult() const { return m_result.has_value(); }
    // Stages: 0..K forward (steps lit up to the stage), then K+1..2K+1 backward (K+1: dL/dtheta_K, ...).
    int stage() const { return m_stage; }
    int stageCount() const;   // 2K + 2, or 0 without a result
    void setStage(int stage); // clamped
    bool backward() const { return hasResult() && m_stage > window(); }
    int window() const { return m_result ? m_result->config.window : 0; }
    // The step the forward pass has reached, or the step the backward pass has reached back to.
    int focusStep() const;
    QString stageText() const; // "Forward: step 3 of 5", "Backward: dL/dθ_4"

    const std::vector<Node>& nodes() const { return m_nodes; } // laid out for the current size
    std::optional<Node> nodeAt(QPointF p) const;
    NodeInfo info(NodeKind kind, int step) const; // for any node, shown or not yet reached
    bool shown(const Node& n) const;              // lit at the current stage
    QSize minimumSizeHint() const override;
    QSize sizeHint() const override;

signals:
    void hovered(const QString& text); // the hovered node's name, formula, value (empty when none)
    void stageChanged(int stage);

protected:
    void paintEvent(QPaintEvent*) override;
    void resizeEvent(QResizeEvent*) override;
    void mouseMoveEvent(QMouseEvent* e) override;
    void leaveEvent(QEvent*) override;
    bool event(QEvent* e) override;

private:
    void layoutNodes();
    QRectF rectOf(NodeKind kind, int step) const;
    bool edgeBackwardLit(NodeKind from, int fromStep, NodeKind to, int toStep) const;
    std::optional<GraphResult> m_result;
    int m_stage = 0;
    std::vector<Node> m_nodes;
    std::optional<Node> m_hover;
};

QString nodeInfoText(const GraphCanvas::NodeInfo& info); // "name: formula\nvalue\nderivative"

// What a node shows: its name and, below, its value (a pair "(x, y)" on two lines), each number with fewer
// significant digits until it fits `width`, and in a smaller font (0.85, then 0.72 of `font`) where even one digit
// does not; *scale says which. Elided ("…") only where nothing fits.
QString nodeLabel(const QString& name, const QString& value, const QFont& font, double width, double* scale);

} // namespace l2l::ui
