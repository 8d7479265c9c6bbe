#include "plots/Theme.h"

#include <qcustomplot.h>

#include <QApplication>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace l2l::ui {

namespace {

struct State {
    Theme::Kind kind = Theme::Light;
    double scale = 1.0;
    bool boldPaths = false;
};

State& state()
{
    static State s;
    return s;
}

QColor learnedColourFor(Theme::Kind kind)
{
    return kind == Theme::Dark ? QColor(0xee, 0xee, 0xee) : QColor(0x20, 0x20, 0x20);
}

} // namespace

Theme::Kind Theme::kind() { return state().kind; }
void Theme::setKind(Kind kind) { state().kind = kind; }
double Theme::scale() { return state().scale; }
void Theme::setScale(double scale) { state().scale = std::clamp(scale, kMinScale, kMaxScale); }
bool Theme::boldPaths() { return state().boldPaths; }
void Theme::setBoldPaths(bool bold) { state().boldPaths = bold; }

QString Theme::name(Kind kind)
{
    switch (kind) {
    case Dark:
        return QStringLiteral("dark");
    case HighContrast:
        return QStringLiteral("high-contrast");
    case Light:
        break;
    }
    return QStringLiteral("light");
}

bool Theme::fromName(const QString& name, Kind* kind)
{
    for (Kind k : {Light, Dark, HighContrast})
        if (name == Theme::name(k)) {
            *kind = k;
            return true;
        }
    return false;
}

QPalette Theme::palette()
{
    switch (kind()) {
    case Dark: {
        QPalette p;
        const QColor window(0x2b, 0x2b, 0x2b), base(0x1e, 0x1e, 0x1e), text(0xe8, 0xe8, 0xe8);
        p.setColor(QPalette::Window, window);
        p.setColor(QPalette::WindowText, text);
        p.setColor(QPalette::Base, base);
        p.setColor(QPalette::AlternateBase, QColor(0x26, 0x26, 0x26));
        p.setColor(QPalette::Text, text);
        p.setColor(QPalette::Button, QColor(0x35, 0x35, 0x35));
        p.setColor(QPalette::ButtonText, text);
        p.setColor(QPalette::ToolTipBase, QColor(0x3a, 0x3a, 0x3a));
        p.setColor(QPalette::ToolTipText, text);
        p.setColor(QPalette::PlaceholderText, QColor(0xa0, 0xa0, 0xa0));
        p.setColor(QPalette::Highlight, QColor(0x3d, 0x8e, 0xe0));
        p.setColor(QPalette::HighlightedText, Qt::white);
        p.setColor(QPalette::Link, QColor(0x7a, 0xb8, 0xff));
        p.setColor(QPalette::BrightText, Qt::white);
        p.setColor(QPalette::Light, QColor(0x50, 0x50, 0x50));
        p.setColor(QPalette::Midlight, QColor(0x40, 0x40, 0x40));
        p.setColor(QPalette::Mid, QColor(0x30, 0x30, 0x30));
        p.setColor(QPalette::Dark, QColor(0x18, 0x18, 0x18));
        p.setColor(QPalette::Shadow, Qt::black);
        for (auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
            p.setColor(QPalette::Disabled, role, QColor(0x80, 0x80, 0x80));
        return p;
    }
    case HighContrast: {
        QPalette p;
        p.setColor(QPalette::Window, Qt::white);
        p.setColor(QPalette::WindowText, Qt::black);
        p.setColor(QPalette::Base, Qt::white);
        p.setColor(QPalette::AlternateBase, QColor(0xf0, 0xf0, 0xf0));
        p.setColor(QPalette::Text, Qt::black);
        p.setColor(QPalette::Button, Qt::white);
        p.setColor(QPalette::ButtonText, Qt::black);
        p.setColor(QPalette::ToolTipBase, Qt::white);
        p.setColor(QPalette::ToolTipText, Qt::black);
        p.setColor(QPalette::PlaceholderText, QColor(0x40, 0x40, 0x40));
        p.setColor(QPalette::Highlight, QColor(0x00, 0x3c, 0xa0));
        p.setColor(QPalette::HighlightedText, Qt::white);
        p.setColor(QPalette::Link, QColor(0x00, 0x3c, 0xa0));
        p.setColor(QPalette::Light, Qt::white);
        p.setColor(QPalette::Midlight, QColor(0xe0, 0xe0, 0xe0));
        p.setColor(QPalette::Mid, Qt::black);
        p.setColor(QPalette::Dark, Qt::black);
        p.setColor(QPalette::Shadow, Qt::black);
        for (auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
            p.setColor(QPalette::Disabled, role, QColor(0x55, 0x55, 0x55));
        return p;
    }
    case Light:
        break;
    }
    return QApplication::style() ? QApplication::style()->standardPalette() : QPalette();
}

QColor Theme::plotBackground() { return kind() == Dark ? QColor(0x1e, 0x1e, 0x1e) : QColor(Qt::white); }
QColor Theme::plotForeground() { return kind() == Dark ? QColor(0xe8, 0xe8, 0xe8) : QColor(Qt::black); }
QColor Theme::gridColour()
{
    switch (kind()) {
    case Dark:
        return QColor(0x60, 0x60, 0x60);
    case HighContrast:
        return QColor(0x90, 0x90, 0x90);
    case Light:
        break;
    }
    return QColor(200, 200, 200);
}
QColor Theme::subGridColour() { return kind() == Dark ? QColor(0x3a, 0x3a, 0x3a) : QColor(230, 230, 230); }
QColor Theme::learnedColour() { return learnedColourFor(kind()); }

QFont Theme::font(double points, bool bold)
{
    QFont f; // the application's family; the size is the plot's own, scaled
    f.setPointSizeF(points * scale());
    f.setBold(bold);
    return f;
}

double Theme::pen(double width) { return width * scale() * (kind() == HighContrast ? 1.5 : 1.0); }

namespace {

// The value an element had when first seen (its base, at scale 1 in the light theme), kept as a property.
double base(QObject* o, const char* key, double current)
{
    const QVariant v = o->property(key);
    if (v.isValid()) return v.toDouble();
    o->setProperty(key, current);
    return current;
}

QFont scaledFont(QObject* o, const char* key, QFont f)
{
    f.setPointSizeF(base(o, key, f.pointSizeF()) * Theme::scale());
    return f;
}

// A plot's refitting functions (onPlotResize), run after each resize and by restylePlot; one object per plot, found
// by its name.
class ResizeHooks : public QObject {
public:
    explicit ResizeHooks(QCustomPlot* plot) : QObject(plot), m_plot(plot)
    {
        setObjectName(QStringLiteral("l2lResizeHooks"));
        plot->installEventFilter(this);
    }
    static ResizeHooks* of(QCustomPlot* plot)
    {
        return static_cast<ResizeHooks*>(
            plot->findChild<QObject*>(QStringLiteral("l2lResizeHooks"), Qt::FindDirectChildrenOnly));
    }
    void add(const char* key, std::function<bool()> refit)
    {
        if (std::none_of(m_hooks.begin(), m_hooks.end(), [&](const auto& h) { return h.first == key; }))
            m_hooks.emplace_back(key, std::move(refit));
    }
    bool run() // true when something changed
    {
        bool changed = false;
        for (auto& [key, refit] : m_hooks) changed = refit() || changed;
        return changed;
    }
    bool eventFilter(QObject* watched, QEvent* event) override
    {
        if (watched == m_plot && event->type() == QEvent::Resize && run()) m_plot->replot(QCustomPlot::rpQueuedReplot);
        return false;
    }

private:
    QCustomPlot* m_plot;
    std::vector<std::pair<std::string, std::function<bool()>>> m_hooks;
};

} // namespace

void onPlotResize(QCustomPlot* plot, const char* key, std::function<bool()> refit)
{
    ResizeHooks* hooks = ResizeHooks::of(plot);
    if (!hooks) hooks = new ResizeHooks(plot);
    hooks->add(key, std::move(refit));
}

void restylePlot(QCustomPlot* plot)
{
    const QColor fg = Theme::plotForeground();
    plot->setBackground(Theme::plotBackground());
    for (QCPAxisRect* rect : plot->axisRects()) {
        rect->setBackground(Theme::plotBackground());
        for (QCPAxis* axis : rect->axes()) {
            axis->setLabelFont(scaledFont(axis, "l2lLabelPt", axis->labelFont()));
            axis->setTickLabelFont(scaledFont(axis, "l2lTickPt", axis->tickLabelFont()));
            axis->setLabelColor(fg);
            axis->setTickLabelColor(fg);
            axis->setBasePen(QPen(fg, Theme::pen(1)));
            axis->setTickPen(QPen(fg, Theme::pen(1)));
            axis->setSubTickPen(QPen(fg, Theme::pen(1)));
            axis->setTickLengthIn(int(std::lround(5 * Theme::scale())));
            axis->setSubTickLengthIn(int(std::lround(2 * Theme::scale())));
            QPen grid = axis->grid()->pen();
            grid.setColor(Theme::gridColour());
            axis->grid()->setPen(grid);
            QPen sub = axis->grid()->subGridPen();
            sub.setColor(Theme::subGridColour());
            axis->grid()->setSubGridPen(sub);
        }
    }
    std::vector<QCPLayoutElement*> elements{plot->plotLayout()};
    for (size_t k = 0; k < elements.size(); ++k) // every text element, also in nested grids
        for (QCPLayoutElement* child : elements[k]->elements(false)) {
            if (!child) continue;
            if (auto* text = qobject_cast<QCPTextElement*>(child)) {
                text->setFont(scaledFont(text, "l2lFontPt", text->font()));
                text->setTextColor(fg); // (fitted to the new font by the resize hooks below)
            } else if (qobject_cast<QCPLayoutGrid*>(child) && child != plot->legend) {
                elements.push_back(child);
            }
        }
    if (QCPLegend* legend = plot->legend) {
        const double points = base(legend, "l2lFontPt", legend->font().pointSizeF()) * Theme::scale();
        QFont f = legend->font();
        f.setPointSizeF(points);
        legend->setFont(f);
        legend->setTextColor(fg);
        legend->setBrush(Theme::plotBackground());
        legend->setIconSize(int(std::lround(32 * Theme::scale())), int(std::lround(18 * Theme::scale())));
        for (int i = 0; i < legend->itemCount(); ++i)
            if (QCPAbstractLegendItem* item = legend->item(i)) {
                item->setFont(f);
                item->setTextColor(fg);
            }
    }
    const QRgb learned[] = {learnedColourFor(Theme::Light).rgb(), learnedColourFor(Theme::Dark).rgb()};
    for (int i = 0; i < plot->graphCount(); ++i) {
        QCPGraph* g = plot->graph(i);
        QCPScatterStyle scatter = g->scatterStyle();
        if (!scatter.isNone()) {
            scatter.setSize(base(g, "l2lMarker", scatter.size()) * Theme::scale());
            g->setScatterStyle(scatter);
        }
        QPen pen = g->pen();
        if (pen.style() == Qt::NoPen) continue;
        pen.setWidthF(base(g, "l2lWidth", pen.widthF()) * Theme::pen(1));
        const QColor colour(QRgb(base(g, "l2lRgb", double(pen.color().rgb() & 0xffffff))));
        const bool isLearned = colour.rgb() == learned[0] || colour.rgb() == learned[1];
        const QColor c = isLearned ? Theme::learnedColour() : colour;
        pen.setColor(QColor(c.red(), c.green(), c.blue(), pen.color().alpha()));
        g->setPen(pen);
    }
    // The titles and the legend fitted again: the fonts changed, or entries came since they were placed (a plot
    // drawn off-screen for a file gets no resize, and its legend was placed while it was empty).
    if (ResizeHooks* hooks = ResizeHooks::of(plot)) hooks->run();
    plot->replot(QCustomPlot::rpQueuedReplot);
}

void setFittedText(QCPTextElement* element, const QString& text)
{
    element->setProperty("l2lFullText", text);
    QCustomPlot* plot = element->parentPlot();
    onPlotResize(plot, "l2lTitleFitter", [plot] { // the titles fitted again to the new width
        bool changed = false;
        for (QCPTextElement* text : plot->findChildren<QCPTextElement*>())
            if (text->property("l2lFullText").isValid()) {
                const QString before = text->text();
                setFittedText(text, fullText(text));
                changed = changed || text->text() != before;
            }
        return changed;
    });
    // Greedy: as many words on a line as fit; a word wider than the plot gets a line of its own.
    const QFontMetrics metrics(element->font());
    // The title's row is as wide as the plot, less a legend column beside the axes (placeLegendOutside's "beside":
    // the title sits over the axes' column only, and a line fitted to the whole width was cut at both ends there).
    int width = plot->width() - 16;
    if (plot->property("l2lLegendSpot").toString() == QLatin1String("beside") && plot->legend)
        width -= plot->legend->minimumOuterSizeHint().width() + 12;
    width = std::max(40, width);
    QStringList lines;
    for (const QString& paragraph : text.split(QLatin1Char('\n'))) {
        QString line;
        for (const QString& word : paragraph.split(QLatin1Char(' '))) {
            const QString longer = line.isEmpty() ? word : line + QLatin1Char(' ') + word;
            if (!line.isEmpty() && metrics.horizontalAdvance(longer) > width) {
                lines << line;
                line = word;
            } else {
                line = longer;
            }
        }
        lines << line;
    }
    element->setText(lines.join(QLatin1Char('\n')));
}

QString fullText(const QCPTextElement* element)
{
    const QVariant full = element->property("l2lFullText");
    return full.isValid() ? full.toString() : element->text();
}

} // namespace l2l::ui
