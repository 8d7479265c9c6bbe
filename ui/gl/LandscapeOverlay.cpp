// LandscapeWidget, part 2: what QPainter draws over the shader pass (paths, current points, -grad f
// arrows, start marker, legend) and the mouse (start point, zoom, pan).
#include "gl/LandscapeWidget.h"

#include "plots/LossPlot.h"
#include "plots/Theme.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace l2l::ui {

namespace {

constexpr double kArrowLength = 30; // pixels: the arrow shows the direction of -grad f, not its size
constexpr int kMaxDots = 400;       // step dots are drawn on paths up to this many points

// The plots' colours, but the learned optimizer stays near-black whatever the theme: the landscape's colour map is
// the same in every theme.
QColor pathColour(const TrajectoryPath& path)
{
    return path.rule.learned() ? QColor(0x20, 0x20, 0x20) : optimizerColor(QString::fromStdString(path.rule.name));
}

// Keeps diverged points far outside the widget from overflowing QPainter's fixed-point paths.
QPointF clampToCanvas(QPointF p) { return {std::clamp(p.x(), -1e5, 1e5), std::clamp(p.y(), -1e5, 1e5)}; }

// Widths and sizes at scale 1, times the presentation scale (View > Presentation), and doubled for bold paths.
double ink(double width) { return width * Theme::scale() * (Theme::boldPaths() ? 2.0 : 1.0); }
double scaled(double pixels) { return pixels * Theme::scale(); }

QPen halo(double width) { return QPen(QColor(255, 255, 255, 170), width, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin); }

} // namespace

void LandscapeWidget::drawOverlay(QPainter& painter)
{
    drawAxes(painter);
    drawMinima(painter);
    drawTrails(painter);
    for (const auto& path : m_paths) drawPath(painter, path);
    drawStart(painter);
    for (const auto& path : m_paths) drawCurrent(painter, path);
    if (!(m_rendering && m_legendCollapsed)) drawLegend(painter); // a collapsed legend's tab is a control, not data
    if (!m_rendering) drawHover(painter);
}

namespace {

// Tick values for a visible interval [lo, hi] shown over `pixels`: multiples of 1, 2 or 5 x 10^k, about `spacing`
// px apart (x: 90, room for the labels side by side; y: 55, labels one line high).
std::vector<double> ticksFor(double lo, double hi, double pixels, double spacing)
{
    std::vector<double> ticks;
    if (!(hi > lo) || !(pixels > 0) || !std::isfinite(hi - lo)) return ticks;
    const double rough = (hi - lo) / std::max(1.0, pixels / spacing);
    const double decade = std::pow(10.0, std::floor(std::log10(rough)));
    double step = decade;
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * decade >= rough) {
            step = m * decade;
            break;
        }
    for (double k = std::ceil(lo / step); k * step <= hi && ticks.size() < 100; k += 1)
        ticks.push_back(std::abs(k) < 0.5 ? 0.0 : k * step); // no "-0"
    return ticks;
}

QString tickLabel(double v) { return QString::number(v, 'g', 4); }

} // namespace

std::vector<double> LandscapeWidget::xTicks() const
{
    const QRectF v = viewRect();
    return ticksFor(v.left(), v.right(), width(), 90);
}

std::vector<double> LandscapeWidget::yTicks() const
{
    const QRectF v = viewRect();
    return ticksFor(v.top(), v.bottom(), height(), 55);
}

QSizeF LandscapeWidget::tickStrips() const
{
    if (!m_fn) return {0, 0};
    const QFontMetrics metrics(font());
    int widest = 0;
    for (double y : yTicks()) widest = std::max(widest, metrics.horizontalAdvance(tickLabel(y)));
    return {scaled(6) + 1 + widest + 4 + 4, scaled(6) + 1 + metrics.height() + 4};
}

// Short ticks inward from the bottom and left edges, each with its value on a translucent plate: where a point is,
// without clicking it (which would move the start).
void LandscapeWidget::drawAxes(QPainter& painter) const
{
    if (!m_fn) return;
    const QFontMetrics metrics(font());
    const double tick = scaled(6), pad = 2;
    const QColor plate(255, 255, 255, 170), ink(40, 40, 40);
    auto label = [&](const QPointF& anchor, const QString& text, Qt::Alignment align) {
        QRectF box(0, 0, metrics.horizontalAdvance(text) + 2 * pad, metrics.height());
        if (align & Qt::AlignHCenter) box.moveCenter(QPointF(anchor.x(), 0));
        if (align & Qt::AlignLeft) box.moveLeft(anchor.x());
        if (align & Qt::AlignVCenter)
            box.moveTop(anchor.y() - box.height() / 2);
        else
            box.moveBottom(anchor.y());
        painter.setPen(Qt::NoPen);
        painter.setBrush(plate);
        painter.drawRoundedRect(box, 2, 2);
        painter.setPen(ink);
        painter.drawText(box, Qt::AlignCenter, text);
    };
    for (double x : xTicks()) {
        const double px = toPixelF({x, 0}).x();
        if (px < metrics.horizontalAdvance(QStringLiteral("-0.00")) || px > width() - 20) continue;
        painter.setPen(QPen(ink, scaled(1.2)));
        painter.drawLine(QPointF(px, height()), QPointF(px, height() - tick));
        label(QPointF(px, height() - tick - 1), tickLabel(x), Qt::AlignHCenter | Qt::AlignBottom);
    }
    const double bottomStrip = tickStrips().height();
    for (double y : yTicks()) {
        const double py = toPixelF({0, y}).y();
        if (py < metrics.height() / 2.0 + 1 || py > height() - bottomStrip - metrics.height() / 2.0)
            continue; // whole, and clear of the x labels
        painter.setPen(QPen(ink, scaled(1.2)));
        painter.drawLine(QPointF(0, py), QPointF(tick, py));
        label(QPointF(tick + 1, py), tickLabel(y), Qt::AlignLeft | Qt::AlignVCenter);
    }
}

// A white five-pointed star with a dark rim at every global minimum in view.
void LandscapeWidget::drawMinima(QPainter& painter) const
{
    if (!m_fn) return;
    const double outer = scaled(8), inner = outer * 0.45;
    for (const auto& [x, y] : m_fn->globalMinima()) {
        const QPointF c = toPixelF({x, y});
        if (!rect().adjusted(-20, -20, 20, 20).contains(c.toPoint())) continue;
        QPainterPath star;
        for (int i = 0; i < 10; ++i) {
            const double r = i % 2 ? inner : outer, a = -M_PI / 2 + i * M_PI / 5;
            const QPointF p = c + QPointF(r * std::cos(a), r * std::sin(a));
            if (i == 0)
                star.moveTo(p);
            else
                star.lineTo(p);
        }
        star.closeSubpath();
        painter.setPen(QPen(QColor(30, 30, 30), scaled(1.3)));
        painter.setBrush(Qt::white);
        painter.drawPath(star);
    }
}

QString LandscapeWidget::hoverText() const
{
    if (!m_hover || !m_fn) return {};
    const QPointF w = toWorld(*m_hover);
    return tr("x %1  y %2  f %3")
        .arg(QString::number(w.x(), 'g', 4), QString::number(w.y(), 'g', 4),
             QString::number(m_fn->value(w.x(), w.y()), 'g', 4));
}

// The read-out in the top corner away from the legend (the bottom edge holds the x ticks).
void LandscapeWidget::drawHover(QPainter& painter) const
{
    const QString text = hoverText();
    if (text.isEmpty()) return;
    const QFontMetrics metrics(font());
    const QSizeF size(metrics.horizontalAdvance(text) + 12, metrics.height() + 6);
    const double margin = 8;
    const QRectF legend = legendRect(); // (it weighs every path point: once)
    const QSizeF strips = tickStrips();
    QRectF box(QPointF(width() - margin - size.width(), margin), size);
    if (box.intersects(legend)) box.moveLeft(margin + strips.width()); // clear of the y labels
    if (box.intersects(legend)) box.moveTop(height() - margin - strips.height() - size.height());
    painter.setPen(QPen(QColor(120, 120, 120, 160), 1));
    painter.setBrush(QColor(255, 255, 255, 225));
    painter.drawRoundedRect(box, 4, 4);
    painter.setPen(Qt::black);
    painter.drawText(box, Qt::AlignCenter, text);
}

void LandscapeWidget::leaveEvent(QEvent* e)
{
    m_hover.reset();
    update();
    QOpenGLWidget::leaveEvent(e);
}

void LandscapeWidget::setTrails(std::vector<TrajectoryPath> trails)
{
    m_trails = std::move(trails);
    update();
}

// Older snapshots fainter: alpha from 25 (oldest) to 140 (the newest trail), all thin.
void LandscapeWidget::drawTrails(QPainter& painter) const
{
    const size_t n = m_trails.size();
    for (size_t i = 0; i < n; ++i) {
        const TrajectoryPath& path = m_trails[i];
        if (path.points.size() < 2) continue;
        QColor colour = pathColour(path);
        colour.setAlpha(int(25 + 115.0 * double(i + 1) / double(n)));
        QPainterPath line;
        for (size_t t = 0; t < path.points.size(); ++t) {
            const QPointF p = clampToCanvas(toPixelF({path.points[t][0], path.points[t][1]}));
            if (t == 0)
                line.moveTo(p);
            else
                line.lineTo(p);
        }
        painter.strokePath(line, QPen(colour, ink(1.2), Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
    }
}

// The whole path faint, the part up to the current step solid with a dot per step (step sizes show).
void LandscapeWidget::drawPath(QPainter& painter, const TrajectoryPath& path) const
{
    if (path.points.empty()) return;
    const QColor colour = pathColour(path);
    const size_t current = std::min(size_t(m_step), path.points.size() - 1);
    QPainterPath all, done;
    for (size_t t = 0; t < path.points.size(); ++t) {
        const QPointF p = clampToCanvas(toPixelF({path.points[t][0], path.points[t][1]}));
        if (t == 0)
            all.moveTo(p);
        else
            all.lineTo(p);
        if (t == 0)
            done.moveTo(p);
        else if (t <= current)
            done.lineTo(p);
    }
    QColor faint = colour;
    faint.setAlpha(110);
    painter.strokePath(all, QPen(faint, ink(1.4), Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
    painter.strokePath(done, halo(ink(4.2)));
    painter.strokePath(done, QPen(colour, ink(2.0), Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
    if (path.points.size() > size_t(kMaxDots)) return;
    painter.setPen(Qt::NoPen);
    painter.setBrush(colour);
    for (size_t t = 1; t <= current; ++t)
        painter.drawEllipse(clampToCanvas(toPixelF({path.points[t][0], path.points[t][1]})), ink(2.0), ink(2.0));
}

// The point at the current step (the last one if the path diverged before) and the arrow along -grad f.
void LandscapeWidget::drawCurrent(QPainter& painter, const TrajectoryPath& path) const
{
    if (path.points.empty()) return;
    const size_t t = std::min(size_t(m_step), path.points.size() - 1);
    const QColor colour = pathColour(path);
    const QPointF p = clampToCanvas(toPixelF({path.points[t][0], path.points[t][1]}));
    const double gx = path.grad[t][0], gy = path.grad[t][1], norm = std::hypot(gx, gy);
    if (norm > 0 && std::isfinite(norm)) {
        // -grad f in pixels: world y is up, widget y is down.
        const QPointF dir(-gx / norm, gy / norm);
        const QPointF tip = p + scaled(kArrowLength) * dir, side(-dir.y(), dir.x());
        QPainterPath arrow;
        arrow.moveTo(p);
        arrow.lineTo(tip);
        arrow.moveTo(tip - scaled(7) * dir + scaled(4) * side);
        arrow.lineTo(tip);
        arrow.lineTo(tip - scaled(7) * dir - scaled(4) * side);
        painter.strokePath(arrow, halo(ink(4.0)));
        painter.strokePath(arrow, QPen(colour, ink(1.8), Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
    }
    const bool stopped = path.divergedAt >= 0 && m_step >= int(path.points.size()) - 1;
    painter.setPen(QPen(Qt::white, scaled(1.6)));
    painter.setBrush(stopped ? QBrush(Qt::NoBrush) : QBrush(colour));
    if (stopped) painter.setPen(QPen(colour, ink(2.0)));
    painter.drawEllipse(p, ink(5.0), ink(5.0));
}

void LandscapeWidget::drawStart(QPainter& painter) const
{
    if (!m_hasStart) return;
    const QPointF p = clampToCanvas(toPixelF(m_start));
    painter.setBrush(Qt::white);
    painter.setPen(QPen(Qt::black, scaled(1.5)));
    painter.drawEllipse(p, scaled(6.5), scaled(6.5));
    painter.drawLine(p - QPointF(scaled(3.5), 0), p + QPointF(scaled(3.5), 0));
    painter.drawLine(p - QPointF(0, scaled(3.5)), p + QPointF(0, scaled(3.5)));
}

QStringList LandscapeWidget::legendLines() const
{
    QStringList lines;
    for (const auto& path : m_paths) {
        QString name = QString::fromStdString(path.optimizer);
        if (path.divergedAt >= 0) name += tr(" (diverged at %1)").arg(path.divergedAt);
        lines << name;
    }
    if (!m_trails.empty()) lines << tr("faint: %n earlier snapshot(s)", nullptr, int(m_trails.size()));
    lines << tr("arrows: -grad f");
    return lines;
}

QRectF LandscapeWidget::legendRect() const
{
    if (m_paths.empty()) return {};
    const QFontMetrics metrics(font());
    const int row = metrics.height() + 2;
    QSizeF size;
    if (m_legendCollapsed) {
        size = QSizeF(metrics.horizontalAdvance(tr("legend ▸")) + 16, row + 6);
    } else {
        const QStringList lines = legendLines();
        int textWidth = 0;
        for (const QString& line : lines) textWidth = std::max(textWidth, metrics.horizontalAdvance(line));
        size = QSizeF(textWidth + 40, row * lines.size() + 8);
    }
    // Inside the tick labels along the left and bottom edges, which it would otherwise cover.
    const QSizeF strips = tickStrips();
    const double margin = 8, left = margin + strips.width(), bottom = margin + strips.height();
    const QRectF corners[] = {
        QRectF(QPointF(left, margin), size), QRectF(QPointF(width() - margin - size.width(), margin), size),
        QRectF(QPointF(left, height() - bottom - size.height()), size),
        QRectF(QPointF(width() - margin - size.width(), height() - bottom - size.height()), size)};
    // What the legend would hide there: every path point (a step) and, above all, the start marker.
    int best = 0;
    long long fewest = -1;
    for (int c = 0; c < 4; ++c) {
        const QRectF box = corners[c].adjusted(-4, -4, 4, 4);
        long long covered = m_hasStart && box.contains(toPixelF(m_start)) ? 1000000 : 0;
        for (const auto& path : m_paths) { // at most ~2000 points a path: long paths are sampled
            const size_t stride = std::max<size_t>(1, path.points.size() / 2000);
            for (size_t t = 0; t < path.points.size(); t += stride)
                covered +=
                    box.contains(toPixelF({path.points[t][0], path.points[t][1]})) ? static_cast<long long>(stride) : 0;
        }
        if (fewest < 0 || covered < fewest) fewest = covered, best = c;
    }
    return corners[best];
}

void LandscapeWidget::setLegendCollapsed(bool collapsed)
{
    m_legendCollapsed = collapsed;
    update();
}

void LandscapeWidget::drawLegend(QPainter& painter) const
{
    const QRectF box = legendRect();
    if (box.isEmpty()) return;
    const QFontMetrics metrics(font());
    const int row = metrics.height() + 2;
    painter.setPen(QPen(QColor(120, 120, 120, 160), 1));
    painter.setBrush(QColor(255, 255, 255, 215));
    painter.drawRoundedRect(box, 4, 4);
    if (m_legendCollapsed) {
        painter.setPen(Qt::black);
        painter.drawText(box, Qt::AlignCenter, tr("legend ▸"));
        return;
    }
    const QStringList lines = legendLines();
    for (int i = 0; i + 1 < lines.size(); ++i) {
        const double y = box.top() + 4 + row * (i + 0.5);
        QColor swatch = i < int(m_paths.size()) ? pathColour(m_paths[size_t(i)]) : pathColour(m_trails.back());
        if (i >= int(m_paths.size())) swatch.setAlpha(90); // the trails' line
        painter.setPen(QPen(swatch, i < int(m_paths.size()) ? ink(2.5) : ink(1.2)));
        painter.drawLine(QPointF(box.left() + 8, y), QPointF(box.left() + 28, y));
        painter.setPen(Qt::black);
        painter.drawText(QPointF(box.left() + 34, y + metrics.ascent() / 2.0 - 1), lines[i]);
    }
    painter.setPen(QColor(60, 60, 60));
    painter.drawText(QPointF(box.left() + 8, box.top() + 4 + row * (lines.size() - 0.5) + metrics.ascent() / 2.0 - 1),
                     lines.back());
}

void LandscapeWidget::setStartFromMouse(QPoint pixel)
{
    const QPointF w = toWorld(pixel);
    setStartMarker(w);
    emit startPointChanged(w.x(), w.y());
}

void LandscapeWidget::mousePressEvent(QMouseEvent* e)
{
    if (e->button() == Qt::LeftButton && m_overlay && legendRect().contains(e->position())) {
        setLegendCollapsed(!m_legendCollapsed); // the legend is not a place to start from
        e->accept();
        return;
    }
    if (e->button() == Qt::LeftButton) {
        m_drag = Drag::Start;
        setStartFromMouse(e->position().toPoint());
    } else if (e->button() == Qt::RightButton || e->button() == Qt::MiddleButton) {
        m_drag = Drag::Pan;
        m_panFrom = e->position().toPoint();
        m_panCenter = m_center;
        setCursor(Qt::ClosedHandCursor);
    }
    e->accept();
}

void LandscapeWidget::mouseMoveEvent(QMouseEvent* e)
{
    m_hover = e->position().toPoint();
    if (m_drag == Drag::None) update(); // the read-out follows; a drag repaints anyway
    if (m_drag == Drag::Start) {
        setStartFromMouse(e->position().toPoint());
    } else if (m_drag == Drag::Pan) {
        const QPoint d = e->position().toPoint() - m_panFrom;
        m_center = m_panCenter + QPointF(-d.x() * m_scale, d.y() * m_scale);
        m_userView = true;
        updateColourRange();
        emit viewChanged();
        update();
    }
    e->accept();
}

void LandscapeWidget::mouseReleaseEvent(QMouseEvent* e)
{
    if (m_drag == Drag::Start && e->button() == Qt::LeftButton) setStartFromMouse(e->position().toPoint());
    m_drag = Drag::None;
    setCursor(Qt::CrossCursor);
    e->accept();
}

// The keyboard's way to do what the mouse does: arrows move the start by 2 % of the visible width (10 % with
// Shift) and recompute the paths; + and - zoom about the centre; Home fits the function's box.
void LandscapeWidget::keyPressEvent(QKeyEvent* e)
{
    const double step = m_scale * width() * ((e->modifiers() & Qt::ShiftModifier) ? 0.10 : 0.02);
    QPointF move;
    switch (e->key()) {
    case Qt::Key_Left:
        move = {-step, 0};
        break;
    case Qt::Key_Right:
        move = {step, 0};
        break;
    case Qt::Key_Up:
        move = {0, step};
        break;
    case Qt::Key_Down:
        move = {0, -step};
        break;
    case Qt::Key_Plus:
    case Qt::Key_Equal:
    case Qt::Key_Minus:
        m_scale = std::clamp(m_scale * (e->key() == Qt::Key_Minus ? 1.25 : 0.8), 1e-9, 1e4);
        m_userView = true;
        updateColourRange();
        emit viewChanged();
        update();
        return;
    case Qt::Key_Home:
        resetView();
        return;
    default:
        QOpenGLWidget::keyPressEvent(e);
        return;
    }
    const QPointF w = m_start + move;
    setStartMarker(w);
    emit startPointChanged(w.x(), w.y());
}

void LandscapeWidget::mouseDoubleClickEvent(QMouseEvent* e)
{
    resetView();
    e->accept();
}

// Zooms by 1.15 per wheel notch, keeping the world point under the cursor fixed.
void LandscapeWidget::wheelEvent(QWheelEvent* e)
{
    const double notches = e->angleDelta().y() / 120.0;
    if (notches == 0) return;
    const QPointF pixel = e->position();
    const QPointF anchor = toWorld(pixel.toPoint());
    m_scale = std::clamp(m_scale * std::pow(1.15, -notches), 1e-9, 1e4);
    const QPointF moved = toWorld(pixel.toPoint());
    m_center += anchor - moved;
    m_userView = true;
    updateColourRange();
    emit viewChanged();
    update();
    e->accept();
}

} // namespace l2l::ui
