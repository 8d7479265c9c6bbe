#include "plots/Tickers.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

namespace l2l::ui {

namespace {

// The axis's length in pixels (before the first layout, an estimate from the plot) and the least distance two
// tick labels need along it: a line and a bit on a vertical axis, the widest label and a space on a horizontal one.
double axisPixels(const QCPAxis* axis)
{
    const bool vertical = axis->orientation() == Qt::Vertical;
    const QRect rect = axis->axisRect()->rect();
    double length = vertical ? rect.height() : rect.width();
    if (length < 20) length = 0.7 * (vertical ? axis->parentPlot()->height() : axis->parentPlot()->width());
    return std::max(length, 20.0);
}

double labelSpacing(const QCPAxis* axis, const QVector<QString>& labels)
{
    const QFontMetrics metrics(axis->tickLabelFont());
    if (axis->orientation() == Qt::Vertical) return metrics.height() * 1.15;
    int widest = 0;
    for (const QString& l : labels) widest = std::max(widest, metrics.horizontalAdvance(l));
    return widest + metrics.horizontalAdvance(QStringLiteral("  "));
}

// Where `value` sits along the axis, in pixels from its lower end, for a range [lo, hi] (log or linear).
double position(const QCPAxis* axis, double value, const QCPRange& range, double pixels)
{
    if (axis->scaleType() == QCPAxis::stLogarithmic)
        return std::log(value / range.lower) / std::log(range.upper / range.lower) * pixels;
    return (value - range.lower) / (range.upper - range.lower) * pixels;
}

bool fits(const QCPAxis* axis, const QVector<double>& ticks, const QVector<QString>& labels, const QCPRange& range)
{
    const double pixels = axisPixels(axis), spacing = labelSpacing(axis, labels);
    for (int i = 1; i < ticks.size(); ++i)
        if (std::abs(position(axis, ticks[i], range, pixels) - position(axis, ticks[i - 1], range, pixels)) < spacing)
            return false;
    return true;
}

QVector<QString> labelsOf(const QVector<double>& ticks, const QLocale& locale, QChar format, int precision)
{
    QVector<QString> labels;
    for (double t : ticks) labels.push_back(locale.toString(t, format.toLatin1(), precision));
    return labels;
}

// The tickers here remember the axis length they were generated for; after a replot whose layout changed that
// length (the first replot after a resize measures the old layout), the plot is replotted once more.
class MeasuringTicker : public QCPAxisTicker {
public:
    explicit MeasuringTicker(QCPAxis* axis) : m_axis(axis) {}
    double measured() const { return m_measured; }
    QCPAxis* axis() const { return m_axis; }

protected:
    void measure() { m_measured = axisPixels(m_axis); }
    QCPAxis* m_axis; // the ticker belongs to the axis (or to the plot's other axis on the same range)

private:
    double m_measured = 0;
};

void followLayout(QCustomPlot* plot)
{
    if (plot->property("l2lTickersFollow").toBool()) return;
    plot->setProperty("l2lTickersFollow", true);
    auto retries = std::make_shared<int>(0);
    QObject::connect(plot, &QCustomPlot::afterReplot, plot, [plot, retries] {
        bool stale = false;
        for (QCPAxisRect* rect : plot->axisRects())
            for (QCPAxis* axis : rect->axes())
                if (auto* t = dynamic_cast<MeasuringTicker*>(axis->ticker().data()); t && t->axis() == axis)
                    stale = stale || std::abs(axisPixels(axis) - t->measured()) > 2;
        *retries = stale ? *retries + 1 : 0;
        if (stale && *retries <= 3) plot->replot(QCustomPlot::rpQueuedReplot);
    });
}

class PlainLogTicker : public MeasuringTicker {
public:
    explicit PlainLogTicker(QCPAxis* axis) : MeasuringTicker(axis) {}

    void generate(const QCPRange& range, const QLocale& locale, QChar format, int precision, QVector<double>& ticks,
                  QVector<double>* subTicks, QVector<QString>* tickLabels) override
    {
        measure();
        ticks.clear();
        if (subTicks) subTicks->clear();
        if (tickLabels) tickLabels->clear();
        if (!(range.lower > 0) || !(range.upper > range.lower) || !std::isfinite(range.upper)) {
            QCPAxisTicker::generate(range, locale, format, precision, ticks, subTicks, tickLabels);
            return;
        }
        static const std::vector<std::vector<double>> kMantissas = {
            {1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 5}, {1, 2, 5}, {1, 3}, {1}};
        const int first = int(std::floor(std::log10(range.lower))), last = int(std::ceil(std::log10(range.upper)));
        auto candidates = [&](const std::vector<double>& mantissas) {
            QVector<double> out;
            for (int k = first; k <= last; ++k)
                for (double m : mantissas) {
                    // Rounded through text: 3 x 10^-1 is 0.30000000000000004 in binary.
                    const double v = QString::number(m * std::pow(10.0, k), 'g', 6).toDouble();
                    if (v >= range.lower && v <= range.upper) out.push_back(v);
                }
            return out;
        };
        if (candidates(kMantissas.front()).size() < 3) { // narrower than a few unit steps: linear ticks read best
            QCPAxisTicker::generate(range, locale, format, precision, ticks, subTicks, tickLabels);
            return;
        }
        for (const auto& mantissas : kMantissas) {
            ticks = candidates(mantissas);
            if (fits(m_axis, ticks, labelsOf(ticks, locale, format, precision), range)) break;
        }
        if (tickLabels) *tickLabels = labelsOf(ticks, locale, format, precision);
        if (subTicks)
            for (double v : candidates(kMantissas.front()))
                if (!ticks.contains(v)) subTicks->push_back(v);
    }
};

QString superscript(int n)
{
    static const QString digits = QStringLiteral("⁰¹²³⁴⁵⁶⁷⁸⁹");
    QString s = n < 0 ? QStringLiteral("⁻") : QString();
    for (QChar c : QString::number(std::abs(n))) s += digits[c.digitValue()];
    return s;
}

class SymlogTicker : public MeasuringTicker {
public:
    SymlogTicker(QCPAxis* axis, double c, double maxAbs) : MeasuringTicker(axis), m_c(c), m_maxAbs(maxAbs) {}

    void generate(const QCPRange& range, const QLocale&, QChar, int, QVector<double>& ticks, QVector<double>* subTicks,
                  QVector<QString>* tickLabels) override
    {
        measure();
        const int lo = int(std::ceil(std::log10(m_c))), hi = int(std::floor(std::log10(m_maxAbs)));
        QVector<QString> labels;
        for (int step = 1; step <= std::max(1, hi - lo + 1); ++step) {
            std::vector<std::pair<double, QString>> marks{{0.0, QStringLiteral("0")}};
            for (int k = hi; k >= lo; k -= step) {
                const double v = std::pow(10.0, k);
                if (v < 5 * m_c) break; // its label would touch the "0"
                const QString label = QStringLiteral("10") + superscript(k);
                const double at = std::log10(1.0 + v / m_c);
                marks.push_back({at, label});
                marks.push_back({-at, QStringLiteral("−") + label});
            }
            std::sort(marks.begin(), marks.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
            ticks.clear();
            labels.clear();
            for (const auto& [at, label] : marks)
                if (at >= range.lower && at <= range.upper) {
                    ticks.push_back(at);
                    labels.push_back(label);
                }
            if (fits(m_axis, ticks, labels, range)) break;
        }
        if (subTicks) subTicks->clear();
        if (tickLabels) *tickLabels = labels;
    }

private:
    double m_c, m_maxAbs;
};

} // namespace

QSharedPointer<QCPAxisTicker> plainLogTicker(QCPAxis* axis)
{
    followLayout(axis->parentPlot());
    return QSharedPointer<PlainLogTicker>::create(axis);
}

QSharedPointer<QCPAxisTicker> symlogTicker(QCPAxis* axis, double c, double maxAbs)
{
    followLayout(axis->parentPlot());
    return QSharedPointer<SymlogTicker>::create(axis, c, maxAbs);
}

} // namespace l2l::ui
