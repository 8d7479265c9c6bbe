#pragma once
// Loss curves of a paired comparison drawn as a paper figure: per optimizer the mean loss over the runs
// (solid line) and a translucent mean ± std band, on a log-scale loss axis. Used live by the studio's
// Compare view and off-screen by `l2l eval --plot`.
#include "eval/Summary.h"

#include <QColor>
#include <QList>
#include <QString>

class QCustomPlot;
class QCPGraph;
class QCPRange;

namespace l2l::ui {

// The same optimizer name always gets the same colour in every view and file
// (sgd blue, nag green, rmsprop orange, adam red, lstm black; other names a fixed palette entry).
QColor optimizerColor(const QString& name);
// Optimizer i of a result: its kind's colour, or for a repeat of a kind already listed (two learned
// files) a colour of its own.
QColor optimizerColor(const EvalResult& r, size_t i);

// Legend label: "adam (lr 0.0316, tuned)", "sgd (lr 0.1)", "lstm (quadratic.json)",
// plus " (3/20 runs diverged)" when some did.
QString optimizerLabel(const OptimizerResult& r, int runs);

// Replaces the plot's content by `r`: three graphs per optimizer, all band edges first so that every
// mean line is drawn on top. Graph names: the label for the mean, "<label> band+" / "<label> band-" for
// the band edges (only the means are in the legend). NaN points (steps not computed yet, or no run alive)
// are skipped. On the log axis the lower band edge is max(mean - std, mean / 10): where the spread reaches
// zero the band is drawn one decade below the mean instead of down to the bottom of the axis.
// Fits the view (fitLossPlotView) and queues a replot.
void plotEvalResult(QCustomPlot* plot, const EvalResult& r, const QString& title = {});

// The range of the positive values drawn by `graphs` (every graph of the plot if empty); false if there are none.
bool positiveValueRange(QCustomPlot* plot, const QList<QCPGraph*>& graphs, QCPRange* range);
// x = [0, steps]; y = the decades spanned by the data `graphs` draw (every graph's if empty), with a small margin.
void fitLossPlotView(QCustomPlot* plot, int steps, const QList<QCPGraph*>& graphs = {});
// Log-scale ticks labelled 10^n over wide ranges, plain numbers over ranges under two decades.
void useTickerFor(QCustomPlot* plot);
// White paper-figure look: log loss axis, full frame, the legend outside the data (placeLegendOutside).
void styleLossPlot(QCustomPlot* plot);
// Puts the legend outside the axis rect, never over a curve: in a column of its own on the right, top-aligned,
// when the plot is wide enough to spare it (the data keeps at least max(400 px, the plot's height)), else in a
// row under the axis with the entries side by side. Follows the plot's size from then on. True if it moved.
// `belowOnly`: always the row under the axis (a plot whose layout has more below, such as Inspect's heat map,
// which a column beside the first axis rect would narrow); remembered for the later resizes.
bool placeLegendOutside(QCustomPlot* plot, bool belowOnly = false);

// The title, an optional first row of the plot layout (empty: none), fitted to the plot's width.
void setPlotTitle(QCustomPlot* plot, const QString& title);
// The figure title used for saved plots: the problem spec, and "stopped at step k" when cancelled.
QString defaultPlotTitle(const EvalResult& r);

// Renders `r` off-screen (needs a QApplication, e.g. on the offscreen platform) and saves it as PNG or
// PDF according to the extension of `path`: a layout of width x height, a PNG at `scale` pixels per layout pixel
// (a PDF is vector). Throws l2l::Error naming the file on an unknown extension or a failed write.
void saveEvalPlot(const EvalResult& r, const QString& path, int width = 800, int height = 500, double scale = 1);

// Test-split curves (EvalResult::testSteps, from `l2l eval --test-every`): mean test loss over the runs
// per optimizer, one marker per measured step, on a log axis, as the paper's CIFAR figures.
void plotTestCurves(QCustomPlot* plot, const EvalResult& r, const QString& title = {});
// "dir/name.png" -> "dir/name-test.png".
QString testPlotPath(const QString& plotPath);
void saveTestPlot(const EvalResult& r, const QString& path, int width = 800, int height = 500, double scale = 1);

} // namespace l2l::ui
