#include "views/GraphCanvas.h"

#include "plots/Theme.h"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace l2l::ui {

namespace {

QString sub(int n)
{
    static const char16_t digits[] = u"₀₁₂₃₄₅₆₇₈₉";
    const QString s = QString::number(n);
    QString out;
    for (QChar c : s) out += c.isDigit() ? QChar(digits[c.digitValue()]) : c;
    return out;
}

QString num(double v) { return QString::number(v, 'g', 4); }

// A number shown in a node: with fewer significant digits until it fits the width (4, then 3, 2, 1), elided
// only if even one digit does not fit; anything that is not a number is elided.
QString fitted(const QString& text, const QFontMetricsF& fm, double width)
{
    bool isNumber = false;
    const double v = text.toDouble(&isNumber);
    QString best = text;
    // Fewer digits only while that makes it narrower ('g' may switch to an exponent, which can be wider).
    for (int digits = 3; isNumber && fm.horizontalAdvance(best) > width && digits >= 1; --digits) {
        const QString shorter = QString::number(v, 'g', digits);
        if (fm.horizontalAdvance(shorter) < fm.horizontalAdvance(best)) best = shorter;
    }
    return fm.elidedText(best, Qt::ElideRight, width);
}

template <typename V>
QString pair(const V& v)
{
    return QStringLiteral("(%1, %2)").arg(num(double(v(0))), num(double(v(1))));
}

QColor backwardColour() { return Theme::kind() == Theme::Dark ? QColor(255, 120, 90) : QColor(200, 40, 20); }
QColor accentColour() { return Theme::kind() == Theme::Dark ? QColor(110, 170, 255) : QColor(20, 90, 200); }

// A colour for an LSTM activation in [-1, 1]: blue for negative, red for positive, the background at 0.
QColor heat(double v, const QColor& base)
{
    const double a = std::clamp(std::abs(v), 0.0, 1.0);
    const QColor to = v < 0 ? QColor(40, 90, 220) : QColor(220, 50, 40);
    return QColor::fromRgbF(float(base.redF() + a * (to.redF() - base.redF())),
                            float(base.greenF() + a * (to.greenF() - base.greenF())),
                            float(base.blueF() + a * (to.blueF() - base.blueF())));
}

} // namespace

QString nodeLabel(const QString& name, const QString& value, const QFont& font, double width, double* scale)
{
    const QStringList parts = value.startsWith('(') && value.endsWith(')')
                                  ? value.mid(1, value.size() - 2).split(QStringLiteral(", "))
                                  : QStringList{value};
    QString label;
    for (const double s : {1.0, 0.85, 0.72}) {
        QFont f = font;
        f.setPointSizeF(font.pointSizeF() * s);
        const QFontMetricsF fm(f);
        label = name;
        bool elided = false;
        for (const QString& part : parts) {
            const QString shown = fitted(part, fm, width);
            elided = elided || (shown != part && shown.endsWith(QChar(0x2026)));
            label += "\n" + shown;
        }
        *scale = s;
        if (!elided) break;
    }
    return label;
}

QString nodeInfoText(const GraphCanvas::NodeInfo& info)
{
    QString text = info.name + QStringLiteral(" = ") + info.formula;
    if (!info.value.isEmpty()) text += QStringLiteral("\n") + info.value;
    if (!info.derivative.isEmpty()) text += QStringLiteral("\n") + info.derivative;
    return text;
}

GraphCanvas::GraphCanvas(QWidget* parent) : QWidget(parent)
{
    setMouseTracking(true);
    setObjectName("graphCanvas");
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    setWhatsThis(tr("The paper's Fig. 2 with this run's numbers: the optimizee's parameters θ, loss f and gradient ∇ "
                    "at every step of one truncated window, the LSTM optimizer m producing the updates g, and the "
                    "meta-loss L = Σ w f it is trained on. Step forward with F10; after the last step the "
                    "meta-gradient flows back. Hover a node for its formula and value."));
}

void GraphCanvas::setResult(const GraphResult& result)
{
    m_result = result;
    m_stage = 0;
    m_hover.reset();
    layoutNodes();
    updateGeometry(); // its minimum width follows the window's length
    update();
}

void GraphCanvas::clear()
{
    m_result.reset();
    m_nodes.clear();
    m_hover.reset();
    m_stage = 0;
    update();
}

int GraphCanvas::stageCount() const { return m_result ? 2 * window() + 2 : 0; }

void GraphCanvas::setStage(int stage)
{
    const int s = std::clamp(stage, 0, std::max(0, stageCount() - 1));
    if (s == m_stage) return;
    m_stage = s;
    update();
    emit stageChanged(m_stage);
}

int GraphCanvas::focusStep() const { return backward() ? window() - (m_stage - window() - 1) : m_stage; }

QString GraphCanvas::stageText() const
{
    if (!m_result) return {};
    const int t0 = m_result->config.offset;
    if (!backward()) return tr("Forward: step %1 of %2 (t = %3)").arg(m_stage).arg(window()).arg(t0 + m_stage);
    const int r = focusStep();
    if (r == 0) return tr("Backward: ∂L/∂φ complete (θ%1 is detached: the window starts there)").arg(sub(t0));
    return tr("Backward: ∂L/∂θ%1 and the share of ∂L/∂φ from step %2").arg(sub(t0 + r)).arg(t0 + r);
}

// At least about 6.5 em per step of the window, so that a node keeps room for a signed number of four digits
// (rectOf: a node is 0.46 of its column); a long window scrolls sideways in the view instead of squeezing the nodes
// to single glyphs.
QSize GraphCanvas::minimumSizeHint() const
{
    const int em = fontMetrics().height();
    const int K = std::max(window(), 1);
    return {std::max(em * 28, int(std::ceil(em * (1.6 + 6.5 * (K + 1.9))))), em * 26};
}

QSize GraphCanvas::sizeHint() const
{
    const int em = fontMetrics().height();
    return {em * 60, em * 28};
}

QRectF GraphCanvas::rectOf(NodeKind kind, int step) const
{
    const int K = window();
    const double w = width(), h = height();
    const double em = fontMetrics().height();
    const double margin = em * 0.8;
    const double col = (w - 2 * margin) / (K + 1.9);
    const double nodeW = std::min(col * 0.46, em * 9.0), nodeH = em * 3.3; // name, then x and y
    const double yF = margin + em * 1.6 + nodeH / 2, yPhi = h - margin - em;
    const double yTheta = yF + (yPhi - yF) * 0.27, yGrad = yF + (yPhi - yF) * 0.52, yM = yF + (yPhi - yF) * 0.78;
    const double x = margin + col * (step + 0.35);
    auto box = [&](double cx, double cy, double bw, double bh) { return QRectF(cx - bw / 2, cy - bh / 2, bw, bh); };
    switch (kind) {
    case NodeKind::Loss:
        return box(x, yF, nodeW, nodeH);
    case NodeKind::Theta:
        return box(x, yTheta, nodeW, nodeH);
    case NodeKind::Grad:
        return box(x, yGrad, nodeW, nodeH);
    case NodeKind::Update:
        return box(x + col / 2, yGrad, nodeW * 0.9, nodeH);
    case NodeKind::Lstm:
        return box(x + col / 2, yM, nodeW, nodeH);
    case NodeKind::MetaLoss:
        return box(margin + col * (K + 1.35), yF, std::min(col * 0.9, em * 10.0), nodeH);
    case NodeKind::Phi: { // a bar under every LSTM step: the weights all of them share
        const double left = margin + col * 0.85 - nodeW / 2, right = margin + col * (K - 0.15) + nodeW / 2;
        return box((left + right) / 2, yPhi, std::max(right - left, em * 14.0), em * 2.0);
    }
    }
    return {};
}

void GraphCanvas::layoutNodes()
{
    m_nodes.clear();
    if (!m_result) return;
    const int K = window();
    for (int j = 0; j <= K; ++j) {
        m_nodes.push_back({NodeKind::Theta, j, rectOf(NodeKind::Theta, j)});
        m_nodes.push_back({NodeKind::Loss, j, rectOf(NodeKind::Loss, j)});
        m_nodes.push_back({NodeKind::Grad, j, rectOf(NodeKind::Grad, j)});
        if (j < K) {
            m_nodes.push_back({NodeKind::Lstm, j, rectOf(NodeKind::Lstm, j)});
            m_nodes.push_back({NodeKind::Update, j, rectOf(NodeKind::Update, j)});
        }
    }
    m_nodes.push_back({NodeKind::MetaLoss, -1, rectOf(NodeKind::MetaLoss, -1)});
    m_nodes.push_back({NodeKind::Phi, -1, rectOf(NodeKind::Phi, -1)});
}

void GraphCanvas::resizeEvent(QResizeEvent*) { layoutNodes(); }

std::optional<GraphCanvas::Node> GraphCanvas::nodeAt(QPointF p) const
{
    for (const Node& n : m_nodes)
        if (n.rect.contains(p)) return n;
    return std::nullopt;
}

bool GraphCanvas::shown(const Node& n) const
{
    if (!m_result) return false;
    switch (n.kind) {
    case NodeKind::Phi:
        return true;
    case NodeKind::MetaLoss:
        return m_stage >= window();
    case NodeKind::Theta:
    case NodeKind::Loss:
    case NodeKind::Grad:
        return n.step <= m_stage;
    case NodeKind::Lstm:
    case NodeKind::Update:
        return n.step < m_stage;
    }
    return false;
}

GraphCanvas::NodeInfo GraphCanvas::info(NodeKind kind, int j) const
{
    NodeInfo i;
    if (!m_result) return i;
    const GraphResult& r = *m_result;
    const WindowTrace<float>& t = r.trace;
    const int K = window();
    const int t0 = r.config.offset;
    const bool second = r.config.secondOrder;
    const bool haveBackward = !t.adjoints.empty();
    switch (kind) {
    case NodeKind::Theta:
        i.name = "θ" + sub(t0 + j);
        i.formula = j == 0 ? tr("the parameters where the window starts (carried over, detached)")
                           : "θ" + sub(t0 + j - 1) + " + g" + sub(t0 + j - 1);
        i.value = pair(t.thetas[size_t(j)]);
        if (haveBackward && j >= 1) {
            i.derivative = "∂L/∂θ" + sub(t0 + j) + " = " + pair(t.adjoints[size_t(j)]);
            if (second && j < K)
                i.derivative += tr("  (second order adds H∂L/∂∇ = %1)").arg(pair(t.hessian[size_t(j)]));
        } else if (j == 0) {
            i.derivative = tr("no derivative: truncated BPTT stops at the window's start");
        }
        break;
    case NodeKind::Loss:
        i.name = "f" + sub(t0 + j);
        i.formula = "f(θ" + sub(t0 + j) + ")";
        i.value = num(t.losses[size_t(j)]);
        if (j >= 1)
            i.derivative = "∂L/∂f" + sub(t0 + j) + " = w" + sub(t0 + j) + " = " + num(t.weights[size_t(j)]);
        else
            i.derivative = tr("not in this window's meta-loss (it counted in the window before)");
        break;
    case NodeKind::Grad: {
        i.name = "∇" + sub(t0 + j);
        i.formula = "∇f(θ" + sub(t0 + j) + ")";
        i.value = pair(t.grads[size_t(j)]);
        if (r.arch.preprocess == Preprocess::LogSign) {
            Mat<float> x(2, 2);
            preprocessGradient<float>(r.arch, t.grads[size_t(j)], x);
            i.value += tr("; the LSTM reads (log|∇|/p, sgn ∇) = (%1, %2) and (%3, %4)")
                           .arg(num(x(0, 0)), num(x(1, 0)), num(x(0, 1)), num(x(1, 1)));
        }
        i.derivative = second ? tr("second order: ∂∇/∂θ = H(θ) is followed (solid edge)")
                              : tr("first order: ∂∇/∂θ is dropped (dashed edge), ∇ is a constant input to m");
        break;
    }
    case NodeKind::Lstm: {
        i.name = "m" + sub(t0 + j);
        i.formula = tr("[g, h]%1 = m(∇%2, h%2; φ): one step of a %3-layer LSTM with %4 units, run on each coordinate")
                        .arg(sub(t0 + j + 1), sub(t0 + j))
                        .arg(r.arch.layers)
                        .arg(r.arch.hidden);
        if (r.arch.gac > 0)
            i.formula += tr("; its first %1 units per layer are global averaging cells (LSTM+GAC): after the step "
                            "their h is averaged over the coordinates")
                             .arg(r.arch.gac);
        const Mat<float>& h = t.states[size_t(j) + 1].h.back();
        i.value = tr("|h| of the top layer after the step: %1 (x), %2 (y)")
                      .arg(num(double(h.col(0).norm())), num(double(h.col(1).norm())));
        if (haveBackward)
            i.derivative =
                tr("share of ∂L/∂φ from this step: |·| = %1").arg(num(double(t.dphiSteps[size_t(j)].norm())));
        break;
    }
    case NodeKind::Update:
        i.name = "g" + sub(t0 + j);
        i.formula = r.arch.output == OutputActivation::Tanh
                        ? tr("%1 · tanh(w·h + b), per coordinate").arg(num(r.arch.outputScale))
                        : tr("%1 · (w·h + b), per coordinate").arg(num(r.arch.outputScale));
        i.value = pair(t.updates[size_t(j)]);
        if (haveBackward)
            i.derivative =
                "∂L/∂g" + sub(t0 + j) + " = ∂L/∂θ" + sub(t0 + j + 1) + " = " + pair(t.adjoints[size_t(j) + 1]);
        break;
    case NodeKind::MetaLoss:
        i.name = "L(φ)";
        i.formula = r.config.metaLoss == MetaLoss::Log ? tr("Σ log f_t over the window's %1 steps (w_t = 1/f_t)").arg(K)
                                                       : tr("Σ w_t f_t over the window's %1 steps (w_t = 1)").arg(K);
        i.value = num(r.metaLoss);
        if (haveBackward)
            i.derivative = tr("|∂L/∂φ| = %1; meta-training takes one Adam step on it").arg(num(double(r.dphi.norm())));
        break;
    case NodeKind::Phi:
        i.name = "φ";
        i.formula = tr("the optimizer's %1 weights, shared by every coordinate and every step").arg(r.paramCount);
        i.value = QString::fromStdString(r.optimizerPath);
        if (haveBackward)
            i.derivative =
                tr("∂L/∂φ = the sum of the %1 steps' shares, |∂L/∂φ| = %2").arg(K).arg(num(double(r.dphi.norm())));
        break;
    }
    return i;
}

bool GraphCanvas::edgeBackwardLit(NodeKind from, int fromStep, NodeKind to, int toStep) const
{
    if (!backward()) return false;
    const int r = focusStep();
    const bool second = m_result->config.secondOrder;
    auto reached = [&](int s) { return s >= std::max(r, 1); };
    using K = NodeKind;
    if (to == K::MetaLoss) return true;
    if (from == K::Theta && to == K::Loss) return reached(fromStep);
    if (from == K::Theta && to == K::Theta) return reached(fromStep);
    if (from == K::Update && to == K::Theta) return fromStep >= r;
    if (from == K::Lstm && to == K::Update) return fromStep >= r;
    if (from == K::Lstm && to == K::Lstm) return fromStep >= r;
    if (from == K::Phi && to == K::Lstm) return toStep >= r;
    if (from == K::Grad && to == K::Lstm) return second && reached(fromStep);
    if (from == K::Theta && to == K::Grad) return second && reached(fromStep);
    (void)toStep;
    return false;
}

void GraphCanvas::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QPalette pal = palette();
    p.fillRect(rect(), pal.color(QPalette::Base));
    if (!m_result) {
        p.setPen(pal.color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter, tr("Computing the graph…"));
        return;
    }
    const GraphResult& r = *m_result;
    const WindowTrace<float>& t = r.trace;
    const int K = window();
    const int t0 = r.config.offset;
    const QColor fg = pal.color(QPalette::Text), faint = pal.color(QPalette::PlaceholderText);
    const QColor back = backwardColour(), accent = accentColour();
    const double lw = Theme::pen(1.4);
    const QFontMetricsF fm(font());

    auto center = [&](NodeKind k, int s) { return rectOf(k, s).center(); };
    auto edgeShown = [&](NodeKind to, int toStep) { return shown({to, toStep, {}}); };
    // An edge between two nodes' borders, with an arrow head; dashed for the dropped derivative.
    auto edge = [&](NodeKind a, int sa, NodeKind b, int sb, bool dashed = false) {
        const QRectF ra = rectOf(a, sa), rb = rectOf(b, sb);
        QPointF pa = ra.center(), pb = rb.center();
        const QLineF full(pa, pb);
        auto clip = [](const QRectF& rc, QPointF from, QPointF to) { // where from->to leaves rc
            const QLineF l(from, to);
            const QLineF sides[4] = {{rc.topLeft(), rc.topRight()},
                                     {rc.topRight(), rc.bottomRight()},
                                     {rc.bottomRight(), rc.bottomLeft()},
                                     {rc.bottomLeft(), rc.topLeft()}};
            QPointF hit = from;
            for (const auto& s : sides)
                if (l.intersects(s, &hit) == QLineF::BoundedIntersection) return hit;
            return from;
        };
        pa = clip(ra, full.p1(), full.p2());
        pb = clip(rb, full.p2(), full.p1());
        if (a == NodeKind::Phi) { // straight up from the bar into the step
            pa = QPointF(rb.center().x(), ra.top());
            pb = QPointF(rb.center().x(), rb.bottom());
        }
        const bool lit = edgeShown(b, sb);
        const bool backLit = edgeBackwardLit(a, sa, b, sb);
        QColor c = backLit ? back : lit ? fg : faint;
        if (!lit && !backLit) c.setAlpha(90);
        QPen pen(c, backLit ? lw * 2.0 : lw);
        if (dashed) pen.setStyle(Qt::DashLine);
        p.setPen(pen);
        p.drawLine(pa, pb);
        // Arrow head at pb (forward direction); backward-lit edges get a head at pa too, pointing back.
        auto head = [&](QPointF tip, QPointF from) {
            const QLineF l(tip, from);
            const double ang = std::atan2(l.dy(), l.dx()), s = Theme::pen(7);
            QPolygonF poly;
            poly << tip << tip + QPointF(std::cos(ang + 0.4) * s, std::sin(ang + 0.4) * s)
                 << tip + QPointF(std::cos(ang - 0.4) * s, std::sin(ang - 0.4) * s);
            p.setBrush(c);
            p.setPen(Qt::NoPen);
            p.drawPolygon(poly);
            p.setPen(pen);
            p.setBrush(Qt::NoBrush);
        };
        head(pb, pa);
        if (backLit) head(pa, pb);
    };

    // The sum bar: every f_t of the window (t >= 1) into L.
    {
        const QRectF rl = rectOf(NodeKind::MetaLoss, -1);
        const double yBar = rectOf(NodeKind::Loss, 0).top() - fm.height() * 0.7;
        const double x1 = center(NodeKind::Loss, 1).x();
        const bool lit = m_stage >= K;
        QColor c = backward() ? back : lit ? fg : faint;
        QPen pen(c, backward() ? lw * 2.0 : lw);
        p.setPen(pen);
        p.drawLine(QPointF(x1, yBar), QPointF(rl.center().x(), yBar));
        p.drawLine(QPointF(rl.center().x(), yBar), QPointF(rl.center().x(), rl.top()));
        for (int j = 1; j <= K; ++j) {
            const QRectF rf = rectOf(NodeKind::Loss, j);
            QColor cj = backward() ? back : j <= m_stage ? fg : faint;
            p.setPen(QPen(cj, backward() ? lw * 2.0 : lw));
            p.drawLine(QPointF(rf.center().x(), rf.top()), QPointF(rf.center().x(), yBar));
            p.setPen(cj);
            p.drawText(QPointF(rf.center().x() + 3, yBar - 3), "w" + sub(t0 + j));
        }
    }
    for (int j = 0; j <= K; ++j) {
        edge(NodeKind::Theta, j, NodeKind::Loss, j);
        edge(NodeKind::Theta, j, NodeKind::Grad, j, !r.config.secondOrder);
        if (j < K) {
            edge(NodeKind::Grad, j, NodeKind::Lstm, j);
            edge(NodeKind::Lstm, j, NodeKind::Update, j);
            edge(NodeKind::Update, j, NodeKind::Theta, j + 1);
            edge(NodeKind::Theta, j, NodeKind::Theta, j + 1);
            edge(NodeKind::Phi, -1, NodeKind::Lstm, j);
            if (j + 1 < K) edge(NodeKind::Lstm, j, NodeKind::Lstm, j + 1);
        }
    }

    // Nodes.
    for (const Node& n : m_nodes) {
        const bool on = shown(n);
        const NodeInfo in = info(n.kind, n.step);
        QColor border = on ? (n.kind == NodeKind::Lstm || n.kind == NodeKind::Phi ? accent : fg) : faint;
        if (m_hover && m_hover->kind == n.kind && m_hover->step == n.step) border = accent;
        p.setPen(QPen(border, on ? lw * 1.3 : lw));
        p.setBrush(pal.color(on ? QPalette::AlternateBase : QPalette::Base));
        const double rad = fm.height() * (n.kind == NodeKind::Loss || n.kind == NodeKind::MetaLoss ? 0.9 : 0.25);
        p.drawRoundedRect(n.rect, rad, rad);
        p.setPen(on ? fg : faint);
        QRectF text = n.rect.adjusted(3, 2, -3, -2);
        if (n.kind == NodeKind::Lstm && on) {
            // The top layer's h after the step: one strip per coordinate.
            const Mat<float>& h = t.states[size_t(n.step) + 1].h.back();
            const QRectF strip = n.rect.adjusted(4, n.rect.height() * 0.5, -4, -4);
            const double cw = strip.width() / double(h.rows()), ch = strip.height() / 2;
            for (int c = 0; c < 2; ++c)
                for (Index u = 0; u < h.rows(); ++u)
                    p.fillRect(QRectF(strip.left() + cw * double(u), strip.top() + ch * c, cw + 0.5, ch - 1),
                               heat(double(h(u, c)), pal.color(QPalette::Base)));
            // "m₁₂  h₁₃" in every node: closer, then in a smaller font where the node is narrow (a long window;
            // dropping h on some nodes only read as two kinds of node).
            const QRectF top = n.rect.adjusted(3, 1, -3, -n.rect.height() * 0.5);
            const QFont normal = p.font();
            QString label = in.name + " h" + sub(t0 + n.step + 1);
            for (const double scale : {1.0, 0.85, 0.72}) {
                QFont f = normal;
                f.setPointSizeF(normal.pointSizeF() * scale);
                p.setFont(f);
                const QString pair = in.name + (scale == 1.0 ? "  h" : " h") + sub(t0 + n.step + 1);
                if (p.fontMetrics().horizontalAdvance(pair) <= top.width()) {
                    label = pair;
                    break;
                }
            }
            p.drawText(top, Qt::AlignCenter, label);
            p.setFont(normal);
        } else {
            QString label = in.name;
            double scale = 1; // of the font
            if (on && n.kind != NodeKind::Phi && n.kind != NodeKind::Lstm) {
                label = nodeLabel(in.name, in.value.section(';', 0, 0), p.font(), text.width(), &scale);
            } else if (n.kind == NodeKind::Phi) {
                // Centred in the part of the bar in sight (a long window scrolls sideways; GraphView repaints the
                // canvas when it scrolls), with the whole meta-gradient's size once the backward pass is done.
                const QRectF seen = text.intersected(QRectF(visibleRegion().boundingRect()));
                if (!seen.isEmpty()) text = seen;
                label = tr("φ: %1 shared weights").arg(r.paramCount);
                if (backward() && focusStep() == 0) {
                    const QString d = "   |∂L/∂φ| " + num(double(r.dphi.norm()));
                    const double lw0 = fm.horizontalAdvance(label), dw = fm.horizontalAdvance(d);
                    const double x0 = text.center().x() - (lw0 + dw) / 2;
                    p.drawText(QRectF(x0, text.top(), lw0 + 1, text.height()), Qt::AlignVCenter, label);
                    p.setPen(back);
                    p.drawText(QRectF(x0 + lw0, text.top(), dw + 1, text.height()), Qt::AlignVCenter, d);
                    label.clear();
                }
            }
            if (!label.isEmpty()) {
                const QFont normal = p.font();
                QFont f = normal;
                f.setPointSizeF(normal.pointSizeF() * scale);
                p.setFont(f);
                p.drawText(text, Qt::AlignCenter, label);
                p.setFont(normal);
            }
        }
        // Backward values below the node.
        if (backward()) {
            const int rr = focusStep();
            QString d;
            if (n.kind == NodeKind::Theta && n.step >= std::max(rr, 1) && !t.adjoints.empty())
                d = "∂L/∂θ " + QStringLiteral("(%1, %2)")
                                   .arg(QString::number(double(t.adjoints[size_t(n.step)](0)), 'g', 3),
                                        QString::number(double(t.adjoints[size_t(n.step)](1)), 'g', 3));
            else if (n.kind == NodeKind::Lstm && n.step >= rr && !t.dphiSteps.empty())
                d = "|∂L/∂φ| " + num(double(t.dphiSteps[size_t(n.step)].norm()));
            if (!d.isEmpty()) {
                p.setPen(back);
                // Under the node, as wide as the gap to the next column allows; on two lines if it needs them, and
                // in a smaller font where even those are wider (drawn into the box, "(-69.8, -1.29)" lost its
                // brackets at K = 20).
                const double w = n.rect.width() * 1.7;
                QString shown = d;
                if (fm.horizontalAdvance(d) > w && d.contains(' '))
                    shown = d.section(' ', 0, 0) + "\n" + d.section(' ', 1);
                const QFont normal = p.font();
                for (const double scale : {0.85, 0.72}) {
                    double widest = 0;
                    for (const QString& line : shown.split('\n'))
                        widest = std::max(widest, double(p.fontMetrics().horizontalAdvance(line)));
                    if (widest <= w) break;
                    QFont f = normal;
                    f.setPointSizeF(normal.pointSizeF() * scale);
                    p.setFont(f);
                }
                const QRectF below(n.rect.center().x() - w / 2, n.rect.bottom() + 1, w, fm.height() * 2.2);
                QColor plate = pal.color(QPalette::Base);
                plate.setAlpha(215); // edges pass behind the numbers, not through them
                p.fillRect(p.boundingRect(below, Qt::AlignHCenter | Qt::AlignTop, shown).adjusted(-2, 0, 2, 0), plate);
                p.drawText(below, Qt::AlignHCenter | Qt::AlignTop, shown);
                p.setFont(normal);
            }
        }
    }
}

void GraphCanvas::mouseMoveEvent(QMouseEvent* e)
{
    const auto n = nodeAt(e->position());
    const bool changed = n.has_value() != m_hover.has_value() ||
                         (n && m_hover && (n->kind != m_hover->kind || n->step != m_hover->step));
    m_hover = n;
    if (changed) {
        emit hovered(n ? nodeInfoText(info(n->kind, n->step)) : QString());
        update();
    }
}

void GraphCanvas::leaveEvent(QEvent*)
{
    if (!m_hover) return;
    m_hover.reset();
    emit hovered(QString());
    update();
}

bool GraphCanvas::event(QEvent* e)
{
    if (e->type() == QEvent::ToolTip) {
        auto* he = static_cast<QHelpEvent*>(e);
        if (const auto n = nodeAt(he->pos()))
            QToolTip::showText(he->globalPos(), nodeInfoText(info(n->kind, n->step)), this);
        else
            QToolTip::hideText();
        return true;
    }
    return QWidget::event(e);
}

} // namespace l2l::ui
