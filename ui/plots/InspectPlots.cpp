#include "plots/InspectPlots.h"

#include "plots/LossPlot.h"
#include "plots/Theme.h"
#include "plots/Tickers.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace l2l::ui {

namespace {

// Linear thresholds of the response plot's symlog axes: gradients and updates below these read as 0.
constexpr double kGradientLinear = 1e-6;
constexpr double kUpdateLinear = 1e-6;
// ... and of the effective learning rate's axis (which has both signs: -u/g < 0 is a move uphill).
constexpr double kRateLinear = 1e-3;

QFont font(double points, bool bold = false)
{
    QFont f;
    f.setPointSizeF(points);
    f.setBold(bold);
    return f;
}

void styleAxis(QCPAxis* axis, const QString& label)
{
    axis->setLabel(label);
    axis->setLabelFont(font(9));
    axis->setTickLabelFont(font(8));
    axis->grid()->setPen(QPen(QColor(200, 200, 200), 1, Qt::DotLine));
    axis->grid()->setSubGridPen(QPen(QColor(230, 230, 230), 1, Qt::DotLine));
}

// Row 0 of every figure is its title (also where a placeholder message goes).
QCPTextElement* title(QCustomPlot* plot)
{
    QCPLayoutGrid* layout = plot->plotLayout();
    if (auto* t = qobject_cast<QCPTextElement*>(layout->elementAt(0))) return t;
    layout->insertRow(0);
    auto* t = new QCPTextElement(plot, QString(), font(10, true));
    layout->addElement(0, 0, t);
    return t;
}

void begin(QCustomPlot* plot, const QString& text)
{
    plot->setBackground(Qt::white);
    plot->setAntialiasedElements(QCP::aeAll);
    setFittedText(title(plot), text);
    plot->clearGraphs();
    plot->legend->setVisible(true);
    plot->legend->setFont(font(8));
    plot->legend->setBrush(Qt::white);
    plot->legend->setBorderPen(Qt::NoPen);
}

QCPGraph* line(QCustomPlot* plot, QCPAxis* x, QCPAxis* y, const QString& name, const QPen& pen,
               const QVector<double>& keys, const QVector<double>& values)
{
    QCPGraph* g = plot->addGraph(x, y);
    g->setName(name);
    g->setPen(pen);
    g->setData(keys, values, true);
    return g;
}

// Ticks of a symlog axis at 0 and +-10^k, as densely as their labels fit (plots/Tickers).
void useSymlogTicker(QCPAxis* axis, double c, double maxAbs)
{
    axis->setTicker(symlogTicker(axis, c, maxAbs));
    axis->setSubTicks(false);
}

void logAxis(QCPAxis* axis)
{
    axis->setScaleType(QCPAxis::stLogarithmic);
    auto ticker = QSharedPointer<QCPAxisTickerLog>::create();
    ticker->setSubTickCount(8);
    axis->setTicker(ticker);
    axis->setNumberFormat(QStringLiteral("eb"));
    axis->setNumberPrecision(0);
}

QVector<double> positiveOrGap(const std::vector<double>& v)
{
    QVector<double> out;
    for (double x : v) out.push_back(std::isfinite(x) && x > 0 ? x : std::numeric_limits<double>::quiet_NaN());
    return out;
}

QVector<double> symlogOrGap(const std::vector<double>& v, double c)
{
    QVector<double> out;
    for (double x : v) out.push_back(std::isfinite(x) ? symlog(x, c) : std::numeric_limits<double>::quiet_NaN());
    return out;
}

} // namespace

double symlog(double v, double c) { return std::copysign(std::log10(1.0 + std::abs(v) / c), v); }

void drawPlaceholder(QCustomPlot* plot, const QString& message)
{
    begin(plot, message);
    for (int i = 0; i < plot->plottableCount(); ++i) plot->plottable(i)->setVisible(false); // heat maps
    plot->legend->setVisible(false);
    restylePlot(plot); // the theme and presentation scale; queues the replot
}

void drawResponse(QCustomPlot* plot, const ResponseCurve& r, const QString& adamSource, const QString& sgdSource)
{
    begin(plot, QObject::tr("Update u against the gradient g (symmetric log axes)"));
    QVector<double> x, first, warm, adam, sgd;
    double maxU = kUpdateLinear * 10, maxG = kGradientLinear * 10;
    for (size_t i = 0; i < r.gradients.size(); ++i) {
        x.push_back(symlog(r.gradients[i], kGradientLinear));
        first.push_back(symlog(r.lstmFirst[i], kUpdateLinear));
        warm.push_back(symlog(r.lstmWarm[i], kUpdateLinear));
        adam.push_back(symlog(r.adam[i], kUpdateLinear));
        sgd.push_back(symlog(r.sgd[i], kUpdateLinear));
        maxG = std::max(maxG, std::abs(r.gradients[i]));
        for (double u : {r.lstmFirst[i], r.lstmWarm[i], r.adam[i], r.sgd[i]})
            if (std::isfinite(u)) maxU = std::max(maxU, std::abs(u));
    }
    const auto note = [](const QString& source) {
        return source.isEmpty() ? QString() : QStringLiteral(", ") + source;
    };
    line(plot, plot->xAxis, plot->yAxis, QObject::tr("SGD (lr %1%2)").arg(r.sgdRate, 0, 'g', 3).arg(note(sgdSource)),
         QPen(optimizerColor(QStringLiteral("sgd")), 1.5), x, sgd);
    line(plot, plot->xAxis, plot->yAxis,
         QObject::tr("Adam, step 1 (lr %1%2)").arg(r.adamRate, 0, 'g', 3).arg(note(adamSource)),
         QPen(optimizerColor(QStringLiteral("adam")), 1.5), x, adam);
    const QColor lstm = optimizerColor(QStringLiteral("lstm"));
    line(plot, plot->xAxis, plot->yAxis, QObject::tr("LSTM, step 1"), QPen(lstm, 2), x, first);
    line(plot, plot->xAxis, plot->yAxis, QObject::tr("LSTM after %1 equal g").arg(r.warmupSteps),
         QPen(lstm, 2, Qt::DashLine), x, warm);
    styleAxis(plot->xAxis, QObject::tr("gradient g"));
    styleAxis(plot->yAxis, QObject::tr("update u  (θ ← θ + u)"));
    const double gx = symlog(maxG, kGradientLinear) * 1.03, uy = symlog(maxU, kUpdateLinear) * 1.08;
    plot->xAxis->setRange(-gx, gx);
    plot->yAxis->setRange(-uy, uy);
    useSymlogTicker(plot->xAxis, kGradientLinear, maxG);
    useSymlogTicker(plot->yAxis, kUpdateLinear, maxU);
    restylePlot(plot);              // the theme and presentation scale; queues the replot
    placeLegendOutside(plot, true); // under the axes, measured in the restyled font: the curves fill the rect
}

void drawEffectiveLr(QCustomPlot* plot, const InspectTrace& tr, double sgdRate)
{
    double uphill = 0, maxAbs = std::max(sgdRate, kRateLinear * 10);
    int counted = 0;
    for (double f : tr.lrNegative)
        if (std::isfinite(f)) uphill += f, ++counted;
    for (const auto* v : {&tr.lrLow, &tr.lrHigh, &tr.lrMedian})
        for (double x : *v)
            if (std::isfinite(x)) maxAbs = std::max(maxAbs, std::abs(x));
    begin(plot, QObject::tr("Effective learning rate −u/g (< 0: uphill, %1% of moves)")
                    .arg(counted ? 100.0 * uphill / counted : 0.0, 0, 'f', 1));
    QVector<double> steps, lossSteps;
    for (int t = 0; t < int(tr.lrMedian.size()); ++t) steps.push_back(t);
    for (int t = 0; t < int(tr.loss.size()); ++t) lossSteps.push_back(t);
    const QColor lstm = optimizerColor(QStringLiteral("lstm"));
    QColor fill = lstm, edge = lstm;
    fill.setAlpha(40);
    edge.setAlpha(90);
    // Symlog y: the rate spans decades and takes both signs.
    QCPGraph* low = line(plot, plot->xAxis, plot->yAxis, QObject::tr("10%"), QPen(edge, 0.8), steps,
                         symlogOrGap(tr.lrLow, kRateLinear));
    QCPGraph* high = line(plot, plot->xAxis, plot->yAxis, QObject::tr("10–90% of coordinates"), QPen(edge, 0.8), steps,
                          symlogOrGap(tr.lrHigh, kRateLinear));
    high->setBrush(fill);
    high->setChannelFillGraph(low);
    low->removeFromLegend();
    line(plot, plot->xAxis, plot->yAxis, QObject::tr("LSTM, median over coordinates"), QPen(lstm, 2), steps,
         symlogOrGap(tr.lrMedian, kRateLinear));
    const double sgd = symlog(sgdRate, kRateLinear);
    line(plot, plot->xAxis, plot->yAxis, QObject::tr("SGD's rate (%1)").arg(sgdRate, 0, 'g', 3),
         QPen(optimizerColor(QStringLiteral("sgd")), 1.2, Qt::DashLine), {0.0, double(std::max(1, tr.steps))},
         {sgd, sgd});
    line(plot, plot->xAxis, plot->yAxis2, QObject::tr("loss (right axis)"), QPen(QColor(150, 150, 150), 1.2), lossSteps,
         positiveOrGap(tr.loss));
    styleAxis(plot->xAxis, QObject::tr("step"));
    styleAxis(plot->yAxis, QObject::tr("−u/g"));
    styleAxis(plot->yAxis2, QObject::tr("loss"));
    const double top = symlog(maxAbs, kRateLinear) * 1.08;
    plot->yAxis->setRange(-top, top);
    useSymlogTicker(plot->yAxis, kRateLinear, maxAbs);
    logAxis(plot->yAxis2);
    plot->yAxis2->setVisible(true);
    plot->yAxis2->setTickLabels(true);
    bool found = false;
    const QCPRange loss = plot->graph(plot->graphCount() - 1)->getValueRange(found, QCP::sdPositive);
    if (found) plot->yAxis2->setRange(loss.lower / 1.5, loss.upper * 1.5);
    if (found && loss.upper < 100 * loss.lower) { // under two decades: plain numbers label the axis better
        plot->yAxis2->setTicker(plainLogTicker(plot->yAxis2));
        plot->yAxis2->setNumberFormat(QStringLiteral("g"));
        plot->yAxis2->setNumberPrecision(3);
    }
    plot->xAxis->setRange(0, std::max(1, tr.steps));
    restylePlot(plot);              // the theme and presentation scale; queues the replot
    placeLegendOutside(plot, true); // under the axes, measured in the restyled font: the curves fill the rect
}

namespace {

// Built once: the default axis rect (mean |h|) above a second one holding the heat map and its scale.
struct HiddenLayout {
    QCPAxisRect* heatRect;
    QCPColorMap* map;
    QCPColorScale* scale;
};

HiddenLayout hiddenLayout(QCustomPlot* plot)
{
    if (plot->axisRectCount() > 1) {
        QCPColorMap* map = nullptr;
        for (int i = 0; i < plot->plottableCount(); ++i)
            if (auto* m = qobject_cast<QCPColorMap*>(plot->plottable(i))) map = m;
        return {plot->axisRect(1), map, map->colorScale()};
    }
    title(plot);
    auto* row = new QCPLayoutGrid;
    plot->plotLayout()->addElement(2, 0, row);
    auto* rect = new QCPAxisRect(plot);
    auto* scale = new QCPColorScale(plot);
    row->addElement(0, 0, rect);
    row->addElement(0, 1, scale);
    auto* margins = new QCPMarginGroup(plot);
    plot->axisRect(0)->setMarginGroup(QCP::msLeft, margins);
    rect->setMarginGroup(QCP::msLeft | QCP::msTop | QCP::msBottom, margins);
    scale->setMarginGroup(QCP::msTop | QCP::msBottom, margins);
    scale->setType(QCPAxis::atRight);
    scale->setLabel(QStringLiteral("h"));
    scale->setGradient(QCPColorGradient(QCPColorGradient::gpPolar));
    scale->setDataRange(QCPRange(-1, 1)); // h = o tanh(c) is in (-1, 1)
    auto* map = new QCPColorMap(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
    map->setColorScale(scale);
    map->setInterpolate(false);
    map->removeFromLegend();
    return {rect, map, scale};
}

} // namespace

void drawHidden(QCustomPlot* plot, const InspectTrace& tr, int trackedIndex)
{
    const HiddenLayout h = hiddenLayout(plot);
    begin(plot, QObject::tr("Hidden-state activity"));
    QVector<double> steps;
    for (int t = 0; t < tr.completedSteps; ++t) steps.push_back(t + 1);
    const QColor layerColours[] = {QColor(0x17, 0xbe, 0xcf), QColor(0x20, 0x20, 0x20), QColor(0xbc, 0xbd, 0x22),
                                   QColor(0x8c, 0x56, 0x4b)};
    for (size_t l = 0; l < tr.meanAbsH.size(); ++l)
        line(plot, plot->xAxis, plot->yAxis, QObject::tr("layer %1").arg(l + 1), QPen(layerColours[l % 4], 1.8), steps,
             QVector<double>(tr.meanAbsH[l].begin(), tr.meanAbsH[l].end()));
    styleAxis(plot->xAxis, QObject::tr("step"));
    styleAxis(plot->yAxis, QObject::tr("mean |h| over coordinates"));
    plot->xAxis->setRange(0.5, std::max(1, tr.steps) + 0.5);
    plot->yAxis->rescale();
    plot->yAxis->setRangeLower(0);
    plot->yAxis->setRangeUpper(plot->yAxis->range().upper * 1.1 + 1e-6);

    QCPAxis* x = h.heatRect->axis(QCPAxis::atBottom);
    QCPAxis* y = h.heatRect->axis(QCPAxis::atLeft);
    h.map->setVisible(true);
    const bool has = trackedIndex >= 0 && trackedIndex < int(tr.topHidden.size()) && tr.completedSteps > 0;
    const Mat<double> top = has ? tr.topHidden[size_t(trackedIndex)] : Mat<double>::Zero(1, 1);
    h.map->data()->setSize(int(top.cols()), int(top.rows()));
    h.map->data()->setRange(QCPRange(1, double(top.cols())), QCPRange(1, double(top.rows())));
    for (Index t = 0; t < top.cols(); ++t)
        for (Index u = 0; u < top.rows(); ++u) h.map->data()->setCell(int(t), int(u), top(u, t));
    styleAxis(x, QObject::tr("step"));
    styleAxis(y, has ? QObject::tr("top-layer unit of θ[%1]").arg(tr.tracked[size_t(trackedIndex)]) : QString());
    x->setRange(0.5, std::max(1, tr.steps) + 0.5);
    y->setRange(0.5, double(top.rows()) + 0.5);
    restylePlot(plot);              // the theme and presentation scale; queues the replot
    placeLegendOutside(plot, true); // under the axes, measured in the restyled font: the curves fill the rect
}

} // namespace l2l::ui
