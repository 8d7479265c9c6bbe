#include "CompareView.h"

#include "LossPlot.h"

#include <qcustomplot.h>

#include <QHeaderView>
#include <QPixmap>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <cmath>

namespace l2l::ui {

namespace {

enum Column { ColOptimizer, ColRate, ColFinal, ColMedian, ColDiverged, ColTestLoss, ColTestAccuracy, ColCount };

QString number(double v)
{
    return std::isfinite(v) ? QString::number(v, 'g', 3) : QStringLiteral("–");
}

QTableWidgetItem* item(const QString& text, Qt::Alignment align = Qt::AlignRight | Qt::AlignVCenter)
{
    auto* it = new QTableWidgetItem(text);
    it->setTextAlignment(align);
    it->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
    return it;
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
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    connect(m_plot, &QCustomPlot::mouseMove, this, [this](QMouseEvent* e) {
        if (e->buttons() != Qt::NoButton) m_userView = true;
    });
    connect(m_plot, &QCustomPlot::mouseWheel, this, [this] { m_userView = true; });
    connect(m_plot, &QCustomPlot::mouseDoubleClick, this, &CompareView::resetView);

    m_table = new QTableWidget(0, ColCount);
    m_table->setObjectName(QStringLiteral("summaryTable"));
    m_table->setHorizontalHeaderLabels({tr("optimizer"), tr("learning rate"), tr("final loss (mean ± std)"),
                                        tr("median"), tr("diverged"), tr("test loss"), tr("test accuracy")});
    m_table->verticalHeader()->setVisible(false);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(ColOptimizer, QHeaderView::ResizeToContents);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);

    auto* splitter = new QSplitter(Qt::Vertical);
    splitter->addWidget(m_plot);
    splitter->addWidget(m_table);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 0);
    splitter->setSizes({560, 170}); // the table: its header and about five rows
    splitter->setChildrenCollapsible(false);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(splitter);

    fillTable(EvalResult{});
    plotEvalResult(m_plot, EvalResult{}, tr("Choose a problem and optimizers, then Run"));
}

void CompareView::showResult(const EvalResult& r)
{
    const QCPRange x = m_plot->xAxis->range(), y = m_plot->yAxis->range();
    m_steps = r.config.steps;
    plotEvalResult(m_plot, r, r.optimizers.empty() ? QString() : defaultPlotTitle(r));
    if (m_userView) { // keep what the user is looking at
        m_plot->xAxis->setRange(x);
        m_plot->yAxis->setRange(y);
    }
    fillTable(r);
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
    m_table->horizontalHeaderItem(ColFinal)->setText(
        r.cancelled ? tr("loss at step %1 (mean ± std)").arg(r.completedSteps) : tr("final loss (mean ± std)"));
    for (int row = 0; row < int(r.optimizers.size()); ++row) {
        const OptimizerResult& o = r.optimizers[size_t(row)];
        const QString name = QString::fromStdString(o.config.name);
        auto* nameItem = item(name, Qt::AlignLeft | Qt::AlignVCenter);
        nameItem->setIcon(swatch(optimizerColor(name)));
        m_table->setItem(row, ColOptimizer, nameItem);
        const QString rate = o.config.learned() ? tr("learned")
                             : number(o.config.lr) + (o.tunedRate ? tr(" (tuned)") : tr(" (given)"));
        m_table->setItem(row, ColRate, item(rate));
        m_table->setItem(row, ColFinal, item(number(o.finalMean) + QStringLiteral(" ± ") + number(o.finalStd)));
        m_table->setItem(row, ColMedian, item(number(o.finalMedian)));
        m_table->setItem(row, ColDiverged, item(QStringLiteral("%1/%2").arg(o.divergedRuns).arg(r.config.runs)));
        m_table->setItem(row, ColTestLoss, item(o.testLossMean ? number(*o.testLossMean) : QStringLiteral("–")));
        m_table->setItem(row, ColTestAccuracy, item(o.testAccuracyMean
                                                        ? QString::number(100.0 * *o.testAccuracyMean, 'f', 2) + " %"
                                                        : QStringLiteral("–")));
    }
    m_table->setColumnHidden(ColTestLoss, !r.hasTestSplit);
    m_table->setColumnHidden(ColTestAccuracy, !r.hasTestSplit);
}

} // namespace l2l::ui
