#include "views/CompareView.h"

#include "eval/Summary.h"
#include "io/EvalCsv.h"

#include "plots/LossPlot.h"
#include "plots/SaveText.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QHeaderView>
#include <QPixmap>
#include <QSplitter>
#include <QTableWidget>
#include <QTextStream>
#include <QToolTip>
#include <QVBoxLayout>

#include <cmath>
#include <limits>

namespace l2l::ui {

namespace {

enum Column {
    ColOptimizer,
    ColRate,
    ColFinal,
    ColMedian,
    ColDiverged,
    ColPaired,
    ColTestLoss,
    ColTestAccuracy,
    ColCount
};

QString number(double v) { return std::isfinite(v) ? QString::number(v, 'g', 3) : QStringLiteral("–"); }
// A median counts diverged runs as the worst: +inf once half of them diverged (Summary.h).
QString medianText(double v)
{
    return v == std::numeric_limits<double>::infinity() ? CompareView::tr("diverged") : number(v);
}

QTableWidgetItem* item(const QString& text, Qt::Alignment align = Qt::AlignRight | Qt::AlignVCenter)
{
    auto* it = new QTableWidgetItem(text);
    it->setTextAlignment(align);
    it->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
    return it;
}

// The cell of `o`'s pair with the best: "best lower in 17/20 · p 0.0012", with the whole statement as its tooltip.
QTableWidgetItem* pairedItem(const OptimizerResult& o, const OptimizerResult* best)
{
    if (!best) return item(QStringLiteral("–"));
    if (&o == best) return item(QObject::tr("(the best)"));
    if (!o.vsBest) { // a result saved before the pairs were kept
        auto* cell = item(QStringLiteral("–"));
        cell->setToolTip(QObject::tr("Not in this saved result: Run computes it"));
        return cell;
    }
    const PairedComparison& c = *o.vsBest;
    const QString bestName = QString::fromStdString(best->displayName());
    const QString name = QString::fromStdString(o.displayName());
    if (c.pairs < 2) {
        auto* cell = item(QObject::tr("too few runs"));
        cell->setToolTip(
            QObject::tr("Fewer than 2 runs where both %1 and %2 finished: no paired comparison").arg(bestName, name));
        return cell;
    }
    const int wins = int(std::lround(c.winFraction * c.pairs));
    const QString p =
        std::isnan(c.p) ? QObject::tr("no spread") : QObject::tr("p %1").arg(QString::number(c.p, 'g', 2));
    auto* cell = item(QObject::tr("best lower in %1/%2 · %3").arg(wins).arg(c.pairs).arg(p));
    QString tip = QObject::tr("%1 ended lower than %2 in %3 of the %4 runs where both finished")
                      .arg(bestName, name)
                      .arg(wins)
                      .arg(c.pairs);
    tip += std::isnan(c.t) ? QObject::tr("; the difference is the same in every run (no t-test)")
                           : QObject::tr("; paired t-test on the final losses: t = %1, p = %2 (two-sided)")
                                 .arg(QString::number(c.t, 'g', 3), QString::number(c.p, 'g', 2));
    cell->setToolTip(tip);
    return cell;
}

QIcon swatch(const QColor& colour)
{
    QPixmap pixmap(12, 12);
    pixmap.fill(colour);
    return QIcon(pixmap);
}

} // namespace

CompareView::CompareView(QWidget* parent) : QWidget(parent)
{
    m_plot = new QCustomPlot;
    m_plot->setObjectName(QStringLiteral("lossPlot"));
    m_plot->setMinimumHeight(250);
    m_plot->setWhatsThis(tr("Each line is an optimizer's mean loss over the runs that did not diverge (the legend "
                            "says how many did); the shaded band is ± one standard deviation, its lower edge at most "
                            "a decade below the mean (where mean − std is lower or negative: the log axis cannot show "
                            "zero). Every optimizer runs on the same instances, starts and minibatches."));
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    connect(m_plot, &QCustomPlot::mouseMove, this, [this](QMouseEvent* e) {
        if (e->buttons() != Qt::NoButton)
            m_userView = true;
        else
            showReadout(e);
    });
    m_plot->setMouseTracking(true);
    m_plot->installEventFilter(this); // the hover cursor goes when the pointer leaves the plot
    connect(m_plot, &QCustomPlot::mouseWheel, this, [this] { m_userView = true; });
    connect(m_plot, &QCustomPlot::mouseDoubleClick, this, &CompareView::resetView);

    m_table = new QTableWidget(0, ColCount);
    m_table->setObjectName(QStringLiteral("summaryTable"));
    m_table->setTabKeyNavigation(false); // Tab leaves the table (arrows move between cells): it trapped the focus
    m_table->setHorizontalHeaderLabels({tr("optimizer"), tr("learning rate"), tr("final loss (mean ± std)"),
                                        tr("median"), tr("diverged"), tr("paired with the best"), tr("test loss"),
                                        tr("test accuracy")});
    m_table->horizontalHeaderItem(ColMedian)->setToolTip(
        tr("The median final loss over every run, a diverged run counted as the worst: 'diverged' when half of the "
           "runs or more diverged (the mean and std are over the runs that finished)"));
    m_table->horizontalHeaderItem(ColPaired)->setToolTip(
        tr("Every optimizer ran on the same instances, so each run of the best (bold) has a twin run of "
           "this one: in how many of them the best ended lower, and the two-sided p of a paired t-test "
           "on the final losses (small p: the difference is unlikely to be chance)"));
    m_table->verticalHeader()->setVisible(false);
    // Columns as wide as their contents (numbers stay on one line); a narrow window scrolls the table sideways, a
    // wide one leaves the spare width after the last column (stretched, a short column sat far from its header).
    m_table->setWordWrap(false);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setStretchLastSection(false);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);

    m_testToggle = new QCheckBox(tr("Test split"));
    m_testToggle->setObjectName(QStringLiteral("showTestCurves"));
    m_testToggle->setToolTip(tr("Show the loss on the held-out test split, measured every N steps (set 'Test split "
                                "every' in the panel; MNIST and the conv net have a test split)"));
    m_testToggle->setEnabled(false);
    m_testToggle->setVisible(false); // until a result on a problem with a test split
    connect(m_testToggle, &QCheckBox::toggled, this, [this] {
        m_userView = false;
        redraw();
    });
    auto* top = new QWidget;
    auto* topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->setSpacing(2);
    topLayout->addWidget(m_testToggle);
    topLayout->addWidget(m_plot, 1);
    auto* splitter = new QSplitter(Qt::Vertical);
    splitter->addWidget(top);
    splitter->addWidget(m_table);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 0);
    splitter->setSizes({560, 170}); // the table: its header and about five rows
    splitter->setChildrenCollapsible(false);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(splitter);

    showPlaceholder(tr("Choose a problem and optimizers, then Run (Ctrl+R)"));
}

void CompareView::showPlaceholder(const QString& title)
{
    m_placeholder = title;
    m_result = EvalResult{};
    m_testToggle->setVisible(false);
    fillTable(m_result);
    plotEvalResult(m_plot, m_result, title);
    m_plot->setToolTip(title);
}

void CompareView::showResult(const EvalResult& r)
{
    const QCPRange x = m_plot->xAxis->range(), y = m_plot->yAxis->range();
    m_placeholder.clear();
    m_plot->setToolTip(QString());
    m_steps = r.config.steps;
    m_result = r;
    for (auto& o : m_result.optimizers) o.curves.loss.clear(); // the statistics are all the read-out needs
    m_testToggle->setVisible(r.hasTestSplit);                  // problems without a test split: no row for it
    m_testToggle->setEnabled(!r.testSteps.empty());
    if (r.testSteps.empty() && m_testToggle->isChecked()) { // a run without test curves: back to the loss
        const QSignalBlocker block(m_testToggle);
        m_testToggle->setChecked(false);
    }
    redraw();
    if (m_userView) { // keep what the user is looking at
        m_plot->xAxis->setRange(x);
        m_plot->yAxis->setRange(y);
    }
    fillTable(r);
}

void CompareView::redraw()
{
    const QString title = m_result.optimizers.empty() ? QString() : defaultPlotTitle(m_result);
    if (showsTestCurves())
        plotTestCurves(m_plot, m_result, title + tr("  (test split)"));
    else
        plotEvalResult(m_plot, m_result, title);
}

void CompareView::refreshStyle()
{
    if (!m_placeholder.isEmpty()) {
        showPlaceholder(m_placeholder);
        return;
    }
    redraw();
    fillTable(m_result);
}

void CompareView::setShowTestCurves(bool on) { m_testToggle->setChecked(on); }

bool CompareView::showsTestCurves() const { return m_testToggle->isChecked() && !m_result.testSteps.empty(); }

QString CompareView::readoutAt(int step) const
{
    if (showsTestCurves()) {                 // the nearest measured step
        const auto& at = m_result.testSteps; // measured so far: at[k] <= completedSteps
        size_t k = 0;
        for (size_t i = 1; i < at.size() && at[i] <= m_result.completedSteps; ++i)
            if (std::abs(at[i] - step) < std::abs(at[k] - step)) k = i;
        QStringList lines{tr("step %1, test split").arg(at[k])};
        for (const auto& o : m_result.optimizers) {
            if (k >= o.testLossCurve.size()) continue;
            const double acc = o.testAccuracyCurve[k];
            lines << tr("%1: %2 (accuracy %3)")
                         .arg(QString::fromStdString(o.displayName()), number(o.testLossCurve[k]),
                              std::isfinite(acc) ? QString::number(100.0 * acc, 'f', 1) + QStringLiteral(" %")
                                                 : QStringLiteral("–"));
        }
        return lines.join(QLatin1Char('\n'));
    }
    QStringList lines{tr("step %1").arg(step)};
    for (const auto& o : m_result.optimizers) {
        if (step < 0 || step >= int(o.stats.mean.size())) continue;
        const double mean = o.stats.mean[size_t(step)], median = o.stats.median[size_t(step)];
        lines
            << tr("%1: %2 (median %3)").arg(QString::fromStdString(o.displayName()), number(mean), medianText(median));
    }
    return lines.join(QLatin1Char('\n'));
}

void CompareView::hideReadout()
{
    QToolTip::hideText();
    if (cursorShown()) {
        m_cursor->setVisible(false);
        m_plot->replot(QCustomPlot::rpQueuedReplot);
    }
}

bool CompareView::cursorShown() const { return m_cursor && m_plot->hasItem(m_cursor) && m_cursor->visible(); }

bool CompareView::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == m_plot && event->type() == QEvent::Leave) hideReadout();
    return QWidget::eventFilter(watched, event);
}

void CompareView::showReadout(QMouseEvent* event)
{
    if (m_result.optimizers.empty()) return;
    const int step = int(std::lround(m_plot->xAxis->pixelToCoord(event->position().x())));
    if (step < 0 || step > m_result.completedSteps ||
        !m_plot->axisRect()->rect().contains(event->position().toPoint())) {
        hideReadout();
        return;
    }
    if (!m_cursor || !m_plot->hasItem(m_cursor)) {
        m_cursor = new QCPItemStraightLine(m_plot);
        m_cursor->setPen(QPen(QColor(0, 0, 0, 90), 1, Qt::DashLine));
        m_cursor->setSelectable(false);
        m_cursor->setProperty("l2lTransient", true); // never in an exported figure (MainWindowFiles.cpp)
    }
    m_cursor->setVisible(true);
    m_cursor->point1->setCoords(step, 1);
    m_cursor->point2->setCoords(step, 10);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
    QToolTip::showText(event->globalPosition().toPoint() + QPoint(14, 10), readoutAt(step), m_plot);
}

bool CompareView::exportCsv(const QString& path, QString* error) const
{
    return saveTextFile(path, QByteArray::fromStdString(evalCsv(m_result)), error); // the columns of `l2l eval --csv`
}

void CompareView::resetView()
{
    m_userView = false;
    fitLossPlotView(m_plot, m_steps);
    m_plot->replot();
}

void CompareView::fillTable(const EvalResult& r)
{
    m_table->setRowCount(int(r.optimizers.size()));
    // Live or stopped, the numbers are of the step reached, not final (a live table said "final" at step 32 of 100).
    const bool partial = !r.optimizers.empty() && (r.cancelled || r.progress() < 1); // (none: no run yet)
    m_table->horizontalHeaderItem(ColFinal)->setText(partial ? tr("loss at step %1 (mean ± std)").arg(r.completedSteps)
                                                             : tr("final loss (mean ± std)"));
    const OptimizerResult* best = bestByFinalMean(r); // in bold: fewest diverged runs, then lowest mean
    for (int row = 0; row < int(r.optimizers.size()); ++row) {
        const OptimizerResult& o = r.optimizers[size_t(row)];
        const QString name = QString::fromStdString(o.config.name);
        auto* nameItem = item(name, Qt::AlignLeft | Qt::AlignVCenter);
        nameItem->setIcon(swatch(optimizerColor(r, size_t(row))));
        m_table->setItem(row, ColOptimizer, nameItem);
        const QString rate =
            o.config.learned() ? tr("learned") : number(o.config.lr) + (o.tunedRate ? tr(" (tuned)") : tr(" (given)"));
        m_table->setItem(row, ColRate, item(rate));
        // A mean over the runs that finished says so: 11 diverged of 20, its mean is over the 9 others.
        const int finished = r.config.runs - o.divergedRuns;
        auto* final = item(number(o.finalMean) + QStringLiteral(" ± ") + number(o.finalStd) +
                           (o.divergedRuns > 0 && finished > 0 ? tr(" (over %1 runs)").arg(finished) : QString()));
        if (&o == best) {
            QFont bold = final->font();
            bold.setBold(true);
            final->setFont(bold);
            final->setToolTip(tr("The best: of the optimizers that diverged in the fewest runs, the lowest mean"));
        }
        m_table->setItem(row, ColFinal, final);
        m_table->setItem(row, ColMedian, item(medianText(o.finalMedian)));
        m_table->setItem(row, ColDiverged, item(QStringLiteral("%1/%2").arg(o.divergedRuns).arg(r.config.runs)));
        m_table->setItem(row, ColPaired, pairedItem(o, best));
        m_table->setItem(row, ColTestLoss, item(o.testLossMean ? number(*o.testLossMean) : QStringLiteral("–")));
        m_table->setItem(row, ColTestAccuracy,
                         item(o.testAccuracyMean ? QString::number(100.0 * *o.testAccuracyMean, 'f', 2) + " %"
                                                 : QStringLiteral("–")));
    }
    m_table->setColumnHidden(ColTestLoss, !r.hasTestSplit);
    m_table->setColumnHidden(ColTestAccuracy, !r.hasTestSplit);
}

} // namespace l2l::ui
