#pragma once
// The studio's look for teaching: a theme (light, dark, high-contrast light) and a presentation scale that
// multiplies every font, line width and marker (plots, tables, the OpenGL overlays), plus bold optimizer paths.
// One process-wide state, set by the window's View > Presentation menu; plots read it when they are styled,
// and restylePlot() brings an existing plot to the current state.
#include <functional>

#include <QColor>
#include <QFont>
#include <QPalette>
#include <QString>

class QCustomPlot;
class QCPTextElement;

namespace l2l::ui {

class Theme {
public:
    enum Kind { Light, Dark, HighContrast };
    static constexpr double kMinScale = 0.75, kMaxScale = 3.0;

    static Kind kind();
    static void setKind(Kind kind);
    static QString name(Kind kind); // "light", "dark", "high-contrast"
    static bool fromName(const QString& name, Kind* kind);
    static double scale();              // 1 = normal
    static void setScale(double scale); // clamped to [kMinScale, kMaxScale]
    static bool boldPaths();
    static void setBoldPaths(bool bold);

    static QPalette palette(); // the application's palette for the current kind
    static QColor plotBackground();
    static QColor plotForeground(); // axes, ticks, labels, titles
    static QColor gridColour();
    static QColor subGridColour();
    static QColor learnedColour(); // the LSTM's curve: black on white, near-white on dark
    // A plot font: `points` at scale 1 (the application font's family).
    static QFont font(double points, bool bold = false);
    // A line width: `width` at scale 1, times the scale (and 1.5 in high contrast).
    static double pen(double width);
};

// Brings a plot to the current theme and scale: background, axes, ticks, grid, legend, text elements, graph line
// widths and markers. Plots are built at scale 1 in the light theme (their base); each element's base is kept
// the first time it is seen, so restyling is idempotent. The plotting functions call it last; the window calls
// it on every plot when the theme or scale changes. Queues a replot.
void restylePlot(QCustomPlot* plot);

// Calls `refit` after each resize of `plot` and at each restylePlot, and replots when it returns true. Installed once
// per `key`: later calls with the same key do nothing.
void onPlotResize(QCustomPlot* plot, const char* key, std::function<bool()> refit);

// Sets a plot's text element (a title) to `text`, broken into lines at spaces wherever a line would be wider than
// the plot (QCPTextElement neither wraps nor elides: a long title was cut off at both ends). The text is fitted
// again when the plot is resized and when restylePlot changes its font. fullText() gives the text as set.
void setFittedText(QCPTextElement* element, const QString& text);
QString fullText(const QCPTextElement* element);

} // namespace l2l::ui
