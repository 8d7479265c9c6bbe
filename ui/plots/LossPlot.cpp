#include "plots/LossPlot.h"
#include "plots/SaveText.h"

#include "plots/Theme.h"
#include "plots/Tickers.h"

#include "base/AtomicFile.h"

#include <qcustomplot.h>

#include <QBuffer>
#include <QFileInfo>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace l2l::ui {

namespace {

// Lower band edge where mean - std <= 0 (the log axis cannot show zero): this fraction of the mean.
constexpr double kBandFloor = 0.1;
constexpr int kBandAlpha = 28;     // fill: four overlapping bands stay readable
constexpr int kBandEdgeAlpha = 90; // thin edge lines tell the bands apart

struct BandData {
    QVector<double> keys, mean, upper, lower;
};

BandData bandData(const StepStats& s)
{
    BandData d;
    for (size_t t = 0; t < s.mean.size(); ++t) {
        const double m = s.mean[t];
        if (!std::isfinite(m) || m <= 0) continue; // not computed, nobody alive, or not drawable on log
        const double sd = std::isfinite(s.std[t]) ? s.std[t] : 0.0;
        d.keys.push_back(double(t));
        d.mean.push_back(m);
        d.upper.push_back(m + sd);
        d.lower.push_back(std::max(m - sd, kBandFloor * m));
    }
    return d;
}

QFont plotFont(double pointSize, bool bold = false)
{
    QFont font; // the application font, so figures match the platform
    font.setPointSizeF(pointSize);
    font.setBold(bold);
    return font;
}

void styleAxis(QCPAxis* axis, const QString& label)
{
    axis->setLabel(label);
    axis->setLabelFont(plotFont(10));
    axis->setTickLabelFont(plotFont(9));
    axis->setBasePen(QPen(Qt::black, 1));
    axis->setTickPen(QPen(Qt::black, 1));
    axis->setSubTickPen(QPen(Qt::black, 1));
    axis->grid()->setPen(QPen(QColor(200, 200, 200), 1, Qt::DotLine));
    axis->grid()->setSubGridPen(QPen(QColor(230, 230, 230), 1, Qt::DotLine));
    axis->grid()->setZeroLinePen(Qt::NoPen);
}

QCPGraph* addGraph(QCustomPlot* plot, const QString& name, const QVector<double>& keys, const QVector<double>& values,
                   const QPen& pen)
{
    QCPGraph* graph = plot->addGraph();
    graph->setName(name);
    graph->setPen(pen);
    graph->setData(keys, values, true);
    return graph;
}

// Colours for names the studio has no fixed colour for, picked by a stable hash of the name.
const QColor kPalette[] = {QColor(0x94, 0x67, 0xbd), QColor(0x8c, 0x56, 0x4b), QColor(0xe3, 0x77, 0xc2),
                           QColor(0x17, 0xbe, 0xcf), QColor(0xbc, 0xbd, 0x22), QColor(0x7f, 0x7f, 0x7f)};

} // namespace

void setPlotTitle(QCustomPlot* plot, const QString& title)
{
    QCPLayoutGrid* layout = plot->plotLayout();
    auto* existing = qobject_cast<QCPTextElement*>(layout->elementCount() > 0 ? layout->elementAt(0) : nullptr);
    if (title.isEmpty()) {
        if (existing) {
            layout->remove(existing);
            layout->simplify();
        }
        return;
    }
    if (!existing) {
        layout->insertRow(0);
        existing = new QCPTextElement(plot, title, plotFont(11, true));
        layout->addElement(0, 0, existing);
    }
    setFittedText(existing, title);
}

// White paper-figure look: log loss axis, full frame, legend outside the data (placeLegendOutside).
void styleLossPlot(QCustomPlot* plot)
{
    plot->setBackground(Qt::white);
    plot->axisRect()->setBackground(Qt::white);
    plot->setAntialiasedElements(QCP::aeAll);
    styleAxis(plot->xAxis, QStringLiteral("step"));
    styleAxis(plot->yAxis, QStringLiteral("loss"));
    plot->yAxis->setScaleType(QCPAxis::stLogarithmic);
    auto ticker = QSharedPointer<QCPAxisTickerLog>::create();
    ticker->setSubTickCount(8);
    plot->yAxis->setTicker(ticker);
    plot->yAxis->setNumberFormat(QStringLiteral("eb")); // 10^n, as in the paper's figures
    plot->yAxis->setNumberPrecision(0);
    plot->yAxis->grid()->setSubGridVisible(true);
    plot->xAxis2->setVisible(true);
    plot->yAxis2->setVisible(true);
    plot->xAxis2->setTickLabels(false);
    plot->yAxis2->setTickLabels(false);
    plot->yAxis2->setScaleType(QCPAxis::stLogarithmic);
    plot->yAxis2->setTicker(ticker);
    QObject::connect(plot->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), plot->xAxis2,
                     qOverload<const QCPRange&>(&QCPAxis::setRange), Qt::UniqueConnection);
    QObject::connect(plot->yAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), plot->yAxis2,
                     qOverload<const QCPRange&>(&QCPAxis::setRange), Qt::UniqueConnection);
    // A zoom or drag changes the range without a fit: the ticker follows it (powers of ten over two decades, plain
    // numbers under; zoomed into one decade, the powers-of-ten labels read "10⁰" twice). Once per plot.
    if (!plot->property("l2lTickerFollowsRange").toBool()) {
        plot->setProperty("l2lTickerFollowsRange", true);
        QObject::connect(plot->yAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), plot,
                         [plot](const QCPRange&) { // not on an axis made linear with a ticker of its own (Inspect)
                             if (plot->yAxis->scaleType() == QCPAxis::stLogarithmic) useTickerFor(plot);
                         });
    }
    plot->legend->setVisible(true);
    plot->legend->setFont(plotFont(9));
    plot->legend->setBrush(Qt::white);
    plot->legend->setBorderPen(Qt::NoPen);
    placeLegendOutside(plot);
}

namespace {
// "loss (mean over 50 runs)"; when some runs diverged, the means are over the runs that finished, which may be
// fewer for some curves than for others: "loss (mean over finished runs, of 50)".
QString meanOverRunsLabel(const QString& what, const EvalResult& r)
{
    if (r.optimizers.empty()) return what; // nothing run yet: the panel's Runs may still change
    const bool anyDiverged = std::any_of(r.optimizers.begin(), r.optimizers.end(),
                                         [](const OptimizerResult& o) { return o.divergedRuns > 0; });
    return anyDiverged ? QStringLiteral("%1 (mean over finished runs, of %2)").arg(what).arg(r.config.runs)
                       : QStringLiteral("%1 (mean over %2 runs)").arg(what).arg(r.config.runs);
}

void cellOf(QCPLayoutGrid* grid, QCPLayoutElement* element, int& row, int& column)
{
    for (int i = 0; i < grid->elementCount(); ++i)
        if (grid->elementAt(i) == element) grid->indexToRowCol(i, row, column);
}

} // namespace

bool placeLegendOutside(QCustomPlot* plot, bool belowOnly)
{
    if (belowOnly) plot->setProperty("l2lLegendBelowOnly", true);
    onPlotResize(plot, "l2lLegendPlacer", [plot] { return placeLegendOutside(plot); });
    QCPLegend* legend = plot->legend;
    QCPLayoutGrid* grid = plot->plotLayout();
    QCPAxisRect* rect = plot->axisRect();
    // Item sizes, whatever the legend's current wrapping.
    std::vector<int> widths;
    int itemWidth = 0;
    for (int i = 0; i < legend->itemCount(); ++i) {
        // A wrapped legend's grid may hold empty cells (items removed, or fewer than a full row): item() is null there.
        const QCPAbstractLegendItem* item = legend->item(i);
        if (!item) continue;
        widths.push_back(item->minimumOuterSizeHint().width());
        itemWidth = std::max(itemWidth, widths.back());
    }
    const int besideWidth = itemWidth + 12;
    const bool beside =
        !plot->property("l2lLegendBelowOnly").toBool() && plot->width() - besideWidth >= std::max(400, plot->height());
    // Below: as many entries per row as fit, each column as wide as its widest entry (entry i in column i % wrap).
    int wrap = 1;
    for (int w = int(widths.size()); !beside && w > 1; --w) {
        std::vector<int> columns(size_t(w), 0);
        for (size_t i = 0; i < widths.size(); ++i) columns[i % size_t(w)] = std::max(columns[i % size_t(w)], widths[i]);
        int total = 20;
        for (int c : columns) total += c + 8;
        if (total <= plot->width()) {
            wrap = w;
            break;
        }
    }
    if (beside) wrap = 0;
    const QString spot = beside ? QStringLiteral("beside") : QStringLiteral("below:%1").arg(wrap);
    if (legend->layout() != rect->insetLayout() && plot->property("l2lLegendSpot").toString() == spot) return false;
    plot->setProperty("l2lLegendSpot", spot);

    // Detach the legend from wherever it is, and drop the cells that held it.
    if (auto* holder = qobject_cast<QCPLayoutGrid*>(legend->layout()); holder && holder != grid) {
        holder->take(legend);
        grid->remove(holder); // the side column's sub-grid (and its spacer)
    } else if (legend->layout() == grid) {
        grid->take(legend);
    } else if (legend->layout()) {
        legend->layout()->take(legend);
    }
    grid->simplify();
    int row = 0, column = 0;
    cellOf(grid, rect, row, column);
    legend->setMargins(QMargins(6, 4, 6, 4));
    if (beside) { // a column right of the axis rect, the legend at its top, an empty cell below taking the rest
        legend->setWrap(0); // before the rearranging setFillOrder: setWrap alone does not re-flow the entries
        legend->setFillOrder(QCPLayoutGrid::foRowsFirst, true);
        auto* side = new QCPLayoutGrid;
        grid->addElement(row, column + 1, side);
        side->addElement(0, 0, legend);
        side->addElement(1, 0, new QCPLayoutElement(plot));
        side->setRowStretchFactor(0, 0.001);
        side->setMargins(QMargins(0, 0, 0, 0));
        grid->setColumnStretchFactor(column + 1, 0.001);
    } else { // a row under the axis rect, the entries side by side, wrapped to the width
        legend->setWrap(wrap);
        legend->setFillOrder(QCPLayoutGrid::foColumnsFirst, true);
        grid->insertRow(row + 1);
        grid->addElement(row + 1, column, legend);
        grid->setRowStretchFactor(row + 1, 0.001);
    }
    return true;
}

QColor optimizerColor(const QString& name)
{
    if (name == QLatin1String("sgd")) return QColor(0x1f, 0x77, 0xb4);
    if (name == QLatin1String("nag")) return QColor(0x2c, 0xa0, 0x2c);
    if (name == QLatin1String("rmsprop")) return QColor(0xff, 0x7f, 0x0e);
    if (name == QLatin1String("adam")) return QColor(0xd6, 0x27, 0x28);
    if (name == QLatin1String("lstm")) return Theme::learnedColour(); // near-black, near-white in the dark theme
    quint32 hash = 2166136261u;                                       // FNV-1a: the same colour in every process
    for (QChar c : name) hash = (hash ^ c.unicode()) * 16777619u;
    return kPalette[hash % (sizeof(kPalette) / sizeof(kPalette[0]))];
}

QColor optimizerColor(const EvalResult& r, size_t i)
{
    const std::string& name = r.optimizers[i].config.name;
    bool repeated = false;
    for (size_t j = 0; j < i; ++j) repeated = repeated || r.optimizers[j].config.name == name;
    if (!repeated) return optimizerColor(QString::fromStdString(name));
    // A second optimizer of the same kind (two learned files, adam at two rates): a colour of its own,
    // from its full spec, so that the curves can be told apart.
    return optimizerColor(QString::fromStdString(r.optimizers[i].config.label()) + QStringLiteral("#"));
}

QString optimizerLabel(const OptimizerResult& r, int runs)
{
    QString label = QString::fromStdString(r.config.name);
    if (r.config.learned()) {
        const QString file = QFileInfo(QString::fromStdString(r.config.path)).fileName();
        if (!file.isEmpty()) label += QStringLiteral(" (") + file + QLatin1Char(')');
    } else {
        label += QStringLiteral(" (lr ") + QString::number(r.config.lr, 'g', 3) +
                 (r.tunedRate ? QStringLiteral(", tuned)") : QStringLiteral(")"));
    }
    if (r.divergedRuns > 0) label += QStringLiteral(" (%1/%2 diverged, not in the mean)").arg(r.divergedRuns).arg(runs);
    return label;
}

QString defaultPlotTitle(const EvalResult& r)
{
    QString title = QString::fromStdString(r.config.problem);
    if (r.cancelled) title += QStringLiteral("  (stopped at step %1)").arg(r.completedSteps);
    return title;
}

void plotEvalResult(QCustomPlot* plot, const EvalResult& r, const QString& title)
{
    styleLossPlot(plot);
    setPlotTitle(plot, title);
    plot->clearGraphs();
    plot->yAxis->setLabel(meanOverRunsLabel(QStringLiteral("loss"), r));
    std::vector<BandData> data;
    for (const auto& opt : r.optimizers) data.push_back(bandData(opt.stats));
    for (size_t i = 0; i < data.size(); ++i) { // bands first: they stay behind every mean line
        const QString label = optimizerLabel(r.optimizers[i], r.config.runs);
        const QColor colour = optimizerColor(r, i);
        QColor fill = colour, edge = colour;
        fill.setAlpha(kBandAlpha);
        edge.setAlpha(kBandEdgeAlpha);
        const QPen edgePen(edge, 0.8);
        QCPGraph* lower = addGraph(plot, label + QStringLiteral(" band-"), data[i].keys, data[i].lower, edgePen);
        QCPGraph* upper = addGraph(plot, label + QStringLiteral(" band+"), data[i].keys, data[i].upper, edgePen);
        upper->setBrush(fill);
        upper->setChannelFillGraph(lower);
        lower->removeFromLegend();
        upper->removeFromLegend();
    }
    for (size_t i = 0; i < data.size(); ++i) {
        const QString label = optimizerLabel(r.optimizers[i], r.config.runs);
        const QColor colour = optimizerColor(r, i);
        addGraph(plot, label, data[i].keys, data[i].mean, QPen(colour, 2));
    }
    fitLossPlotView(plot, r.config.steps);
    restylePlot(plot); // the theme and presentation scale; queues the replot
}

bool positiveValueRange(QCustomPlot* plot, const QList<QCPGraph*>& graphs, QCPRange* range)
{
    double lo = std::numeric_limits<double>::infinity(), hi = 0;
    const int count = graphs.isEmpty() ? plot->graphCount() : int(graphs.size());
    for (int g = 0; g < count; ++g) {
        bool found = false;
        const QCPRange r = (graphs.isEmpty() ? plot->graph(g) : graphs[g])->getValueRange(found, QCP::sdPositive);
        if (!found) continue;
        lo = std::min(lo, r.lower);
        hi = std::max(hi, r.upper);
    }
    if (!(hi > 0) || !std::isfinite(lo)) return false;
    *range = QCPRange(lo, hi);
    return true;
}

void fitLossPlotView(QCustomPlot* plot, int steps, const QList<QCPGraph*>& graphs)
{
    plot->xAxis->setRange(0, std::max(1, steps));
    QCPRange drawn;
    if (!positiveValueRange(plot, graphs, &drawn)) {
        plot->yAxis->setRange(1e-3, 1e1); // nothing drawn yet
        return;
    }
    double lo = drawn.lower, hi = drawn.upper;
    if (hi <= lo * 1.01) { // a flat curve: show one decade around it
        lo /= 3.2;
        hi *= 3.2;
    }
    plot->yAxis->setRange(lo / 1.5, hi * 1.5);
    useTickerFor(plot);
}

void useTickerFor(QCustomPlot* plot)
{
    // Powers of ten label a wide range well; under about two decades they leave most of the axis
    // unlabelled (an MNIST figure from 0.2 to 4 would show only "10^0"), so use plain numbers there.
    const QCPRange r = plot->yAxis->range();
    const bool wide = r.lower > 0 && r.upper / r.lower > 100;
    QSharedPointer<QCPAxisTicker> ticker;
    if (wide) {
        auto log = QSharedPointer<QCPAxisTickerLog>::create();
        log->setSubTickCount(8);
        ticker = log;
    } else {
        ticker = plainLogTicker(plot->yAxis); // 1-2-5 and the like, as densely as the labels fit
    }
    for (QCPAxis* axis : {plot->yAxis, plot->yAxis2}) axis->setTicker(ticker);
    plot->yAxis->setNumberFormat(wide ? QStringLiteral("eb") : QStringLiteral("g"));
    plot->yAxis->setNumberPrecision(wide ? 0 : 3);
}

namespace {
// Through a temporary file and a rename, like every file the project writes: a failure keeps the old plot, and missing
// folders are created (as for the run's other outputs).
void savePlotFile(QCustomPlot& plot, const QString& path, int width, int height, double scale)
{
    const QString ext = QFileInfo(path).suffix().toLower();
    const std::string target = path.toStdString();
    if (ext == QLatin1String("png")) {
        QByteArray bytes;
        QBuffer buffer(&bytes);
        if (!buffer.open(QIODevice::WriteOnly) || !plot.toPixmap(width, height, scale).save(&buffer, "PNG"))
            throw Error("cannot encode plot '" + target + "' as PNG");
        writeFileAtomically(target, bytes.toStdString());
        return;
    }
    writeThroughTemporary(target, "pdf", "plot", [&](const QString& tmp) { return plot.savePdf(tmp, width, height); });
}

void checkPlotExtension(const QString& path)
{
    const QString ext = QFileInfo(path).suffix().toLower();
    if (ext != QLatin1String("png") && ext != QLatin1String("pdf"))
        throw Error("cannot save plot '" + path.toStdString() + "': unknown extension '" + ext.toStdString() +
                    "' (use .png or .pdf)");
}
} // namespace

void saveEvalPlot(const EvalResult& r, const QString& path, int width, int height, double scale)
{
    checkPlotExtension(path);
    QCustomPlot plot;
    plot.resize(width, height);
    plotEvalResult(&plot, r, defaultPlotTitle(r));
    savePlotFile(plot, path, width, height, scale);
}

void plotTestCurves(QCustomPlot* plot, const EvalResult& r, const QString& title)
{
    styleLossPlot(plot);
    setPlotTitle(plot, title);
    plot->clearGraphs();
    plot->yAxis->setLabel(meanOverRunsLabel(QStringLiteral("test-split loss"), r));
    for (size_t i = 0; i < r.optimizers.size(); ++i) {
        const OptimizerResult& o = r.optimizers[i];
        QVector<double> keys, values;
        for (size_t k = 0; k < r.testSteps.size() && k < o.testLossCurve.size(); ++k)
            if (std::isfinite(o.testLossCurve[k]) && o.testLossCurve[k] > 0) {
                keys.push_back(r.testSteps[k]);
                values.push_back(o.testLossCurve[k]);
            }
        QCPGraph* g = addGraph(plot, optimizerLabel(o, r.config.runs), keys, values, QPen(optimizerColor(r, i), 2));
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
    }
    fitLossPlotView(plot, r.config.steps);
    restylePlot(plot); // the theme and presentation scale; queues the replot
}

QString testPlotPath(const QString& plotPath)
{
    const QFileInfo info(plotPath);
    const QString name = info.completeBaseName() + QStringLiteral("-test.") + info.suffix();
    return info.path() == QLatin1String(".") && !plotPath.startsWith(QLatin1String("./"))
               ? name
               : info.path() + QLatin1Char('/') + name;
}

void saveTestPlot(const EvalResult& r, const QString& path, int width, int height, double scale)
{
    checkPlotExtension(path);
    QCustomPlot plot;
    plot.resize(width, height);
    plotTestCurves(&plot, r, defaultPlotTitle(r) + QStringLiteral("  (test split)"));
    savePlotFile(plot, path, width, height, scale);
}

} // namespace l2l::ui
