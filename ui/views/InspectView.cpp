#include "views/InspectView.h"

#include "eval/Resolve.h"
#include "eval/Tuning.h"
#include "optimizers/OptimizerFile.h"
#include "optimizers/UpdateRule.h"
#include "plots/InspectPlots.h"
#include "plots/SaveText.h"
#include "views/ElidedLabel.h"
#include "workers/Runner.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QSpinBox>
#include <QSplitter>
#include <QVBoxLayout>

#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>

namespace l2l::ui {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

QCustomPlot* newPlot(const QString& name, int minHeight)
{
    auto* plot = new QCustomPlot;
    plot->setObjectName(name);
    plot->setMinimumSize(300, minHeight);
    plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    return plot;
}

} // namespace

InspectView::InspectView(QWidget* parent)
    : QWidget(parent), m_runner(new Runner(QStringLiteral("l2l-inspect"), this)), m_adamRate(kNaN), m_sgdRate(kNaN)
{
    connect(m_runner, &Runner::finished, this, [this](const QVariant& v, bool) {
        const auto r = v.value<std::shared_ptr<const Result>>();
        m_result = r;
        showResult(*r);
        emit computed();
    });
    connect(m_runner, &Runner::failed, this, [this](const QString& message) {
        m_status->setText(tr("Inspect failed: %1").arg(message));
        for (QCustomPlot* p : {m_response, m_effectiveLr, m_hidden}) drawPlaceholder(p, tr("Nothing to show"));
        emit failed(message);
    });
    // Title, axes and the legend under them take about 130 px; the data keeps at least about as much.
    m_response = newPlot(QStringLiteral("responsePlot"), 280);
    m_effectiveLr = newPlot(QStringLiteral("effectiveLrPlot"), 270);
    m_hidden = newPlot(QStringLiteral("hiddenPlot"), 300);

    m_status = new QLabel;
    m_status->setObjectName(QStringLiteral("inspectStatus"));
    m_status->setWordWrap(true);
    m_warmup = new QSpinBox;
    m_warmup->setObjectName(QStringLiteral("inspectWarmup"));
    m_warmup->setAccessibleName(tr("Warm-up steps"));
    m_warmup->setRange(1, 1000);
    m_warmup->setValue(20);
    m_warmup->setToolTip(tr("Steps of the same constant gradient before the dashed LSTM response"));
    connect(m_warmup, &QSpinBox::editingFinished, this, &InspectView::refresh);
    m_coordinate = new QComboBox;
    m_coordinate->setObjectName(QStringLiteral("hiddenCoordinate"));
    m_coordinate->setAccessibleName(tr("Coordinate of the hidden-state heat map"));
    // Not as wide as its longest entry (MNIST's coordinate names made the view scroll sideways at 1024 px).
    m_coordinate->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_coordinate->setMinimumContentsLength(12);
    m_coordinate->setToolTip(tr("The coordinate whose top-layer hidden state the heat map shows "
                                "(the coordinates of largest |g| at step 0)"));
    connect(m_coordinate, &QComboBox::currentIndexChanged, this, &InspectView::drawHeatMap);

    m_group = new QComboBox;
    m_group->setObjectName(QStringLiteral("inspectGroup"));
    m_group->setAccessibleName(tr("Parameter group"));
    m_group->setToolTip(
        tr("This optimizer has one LSTM per parameter group (the conv net: group 0 = the convolution kernels, "
           "group 1 = the rest): the net whose response curve is drawn"));
    m_groupLabel = new QLabel(tr("response of"));
    m_group->setVisible(false);
    m_groupLabel->setVisible(false);
    connect(m_group, &QComboBox::activated, this, &InspectView::refresh);

    auto* controls = new QHBoxLayout;
    controls->addWidget(m_status, 1);
    controls->addWidget(m_groupLabel);
    controls->addWidget(m_group);
    controls->addWidget(new QLabel(tr("warm-up steps")));
    controls->addWidget(m_warmup);
    controls->addWidget(new QLabel(tr("heat map of")));
    controls->addWidget(m_coordinate);

    // Under each plot, what to look for in it (also its What's This help).
    auto captioned = [this](QCustomPlot* plot, const QString& text) {
        auto* box = new QWidget;
        auto* column = new QVBoxLayout(box);
        column->setContentsMargins(0, 0, 0, 0);
        column->setSpacing(2);
        auto* caption = new WrappedLabel(text); // never over the plot: a narrow window scrolls instead
        caption->setObjectName(QStringLiteral("caption_") + plot->objectName());
        caption->setTextFormat(Qt::PlainText);
        // The window's text colour, in italics (the placeholder grey was hard to read on a projector).
        QFont italic = caption->font();
        italic.setItalic(true);
        caption->setFont(italic);
        plot->setWhatsThis(text);
        column->addWidget(plot, 1);
        column->addWidget(caption);
        m_captions << caption;
        return box;
    };
    auto* left = new QSplitter(Qt::Vertical);
    left->addWidget(captioned(
        m_response, tr("What to look for: SGD's update is a straight line through the origin (−α·g) and Adam's "
                       "flattens to a step of about its rate whatever the gradient's size. The LSTM's curve is "
                       "learned: where it bends it acts like Adam; how it moves after k equal gradients is its "
                       "memory at work (momentum).")));
    left->addWidget(captioned(
        m_effectiveLr, tr("What to look for: the LSTM's effective rate −u/g per coordinate along a real run (median "
                          "and 10–90 % band) against SGD's fixed rate. Rising rates: it speeds up where gradients "
                          "agree; a band below zero: some coordinates step uphill.")));
    auto* splitter = new QSplitter(Qt::Horizontal);
    splitter->addWidget(left);
    splitter->addWidget(captioned(
        m_hidden, tr("What to look for: how active the LSTM's memory is (mean |h| per layer) and, in the heat map, "
                     "one coordinate's units over the steps: the state carried from step to step is what a "
                     "hand-designed rule keeps in its momentum or RMS averages.")));
    splitter->setChildrenCollapsible(false);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(controls);
    layout->addWidget(splitter, 1);

    for (QCustomPlot* p : {m_response, m_effectiveLr, m_hidden})
        drawPlaceholder(p, tr("Inspect shows what the LSTM optimizer does once it is computed"));
    m_status->setText(tr("Not computed yet."));
}

void InspectView::setInspection(const QString& problemSpec, const QString& lstmSpec, std::uint64_t seed, int steps,
                                double adamRate, double sgdRate, const TuneConfig& tune)
{
    m_tune = tune;
    m_problem = problemSpec;
    m_lstm = lstmSpec;
    m_seed = seed;
    m_steps = steps;
    m_adamRate = adamRate;
    m_sgdRate = sgdRate;
}

void InspectView::setCaptionsVisible(bool visible)
{
    for (QWidget* caption : m_captions) caption->setVisible(visible);
    // Without them (a lesson) the two left plots may also be shorter, so that at 1280x720 both fit the view; with
    // them, a small window scrolls rather than squeeze the response plot's curves under its four-row legend.
    m_response->setMinimumHeight(visible ? 280 : 225);
    m_effectiveLr->setMinimumHeight(visible ? 270 : 215);
}

QString InspectView::summary() const { return m_status->text(); }

bool InspectView::isComputing() const { return m_runner->isBusy(); }

QList<QCustomPlot*> InspectView::plots() const { return {m_response, m_effectiveLr, m_hidden}; }

void InspectView::refresh()
{
    const std::string problem = m_problem.toStdString(), lstm = m_lstm.toStdString();
    const std::uint64_t seed = m_seed;
    const int steps = m_steps, warmup = m_warmup->value(), group = std::max(0, m_group->currentIndex());
    const double typedAdam = m_adamRate, typedSgd = m_sgdRate;
    const TuneConfig tune = m_tune;
    m_status->setText(tr("Computing %1 on %2…").arg(m_lstm, m_problem));
    m_runner->request([=](Runner::Control& control) {
        const auto t0 = std::chrono::steady_clock::now();
        auto r = std::make_shared<Result>();
        r->trace = inspectTrajectory(problem, lstm, seed, steps, control.abortFlag()); // validates every input
        const LstmNet<float> net = loadOptimizer(r->trace.optimizerPath).net;
        r->nets = net.nets;
        // A rate not typed: the one Compare would use if it is known without a search, else the default.
        const TuningCache cache(defaultCachePath());
        const ShippedRates* shipped = shippedRatesFor(problem, true, {});
        const auto rate = [&](const char* name, double typed, double fallback, QString& source) {
            if (std::isfinite(typed) && typed > 0) return typed;
            TuneResult known;
            bool fromShipped = false;
            if (knownTunedRate(r->trace.problem, UpdateRuleConfig::parse(name), steps, tune, &cache, shipped, known,
                               fromShipped)) {
                source = QStringLiteral("tuned");
                return known.bestRate;
            }
            source = QStringLiteral("default");
            return fallback;
        };
        const double adam = rate("adam", typedAdam, kInspectAdamRate, r->adamSource);
        const double sgd = rate("sgd", typedSgd, kInspectSgdRate, r->sgdSource);
        r->response = lstmResponse(net, symmetricLogGradients(), warmup, adam, sgd, std::min(group, net.nets - 1));
        r->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        return QVariant::fromValue(std::shared_ptr<const Result>(r));
    });
}

void InspectView::showResult(const Result& r)
{
    // Optimizers with one net per parameter group: choose the net of the response curve.
    const int chosen = std::max(0, m_group->currentIndex());
    if (m_group->count() != r.nets) {
        const QSignalBlocker block(m_group);
        m_group->clear();
        for (int k = 0; k < r.nets; ++k) m_group->addItem(tr("the net of group %1").arg(k));
        m_group->setCurrentIndex(std::min(chosen, r.nets - 1));
    }
    m_group->setVisible(r.nets > 1);
    m_groupLabel->setVisible(r.nets > 1);
    const InspectTrace& t = r.trace;
    drawResponse(m_response, r.response, r.adamSource, r.sgdSource);
    drawEffectiveLr(m_effectiveLr, t, r.response.sgdRate);
    const int previous = m_coordinate->currentIndex();
    {
        const QSignalBlocker block(m_coordinate);
        m_coordinate->clear();
        for (Index k : t.tracked) m_coordinate->addItem(tr("θ[%1]").arg(k));
        m_coordinate->setCurrentIndex(previous >= 0 && previous < m_coordinate->count() ? previous : 0);
    }
    drawHeatMap();
    QString status = tr("%1 on %2 (run 0 of seed %3): %4 coordinates, %5 steps")
                         .arg(QFileInfo(QString::fromStdString(t.optimizerPath)).fileName(),
                              // without the data folder's path, which broke the line at a '/' ("data=/work/.../ mnist")
                              QString::fromStdString(ShippedRates::withoutDataPath(t.problem)))
                         .arg(t.seed)
                         .arg(t.dim)
                         .arg(t.completedSteps);
    if (t.diverged) status += tr(", diverged");
    if (t.cancelled) status += tr(", stopped");
    status += tr("; loss %1 → %2; computed in %3 s")
                  .arg(t.loss.empty() ? kNaN : t.loss.front(), 0, 'g', 3)
                  .arg(t.loss.empty() ? kNaN : t.loss.back(), 0, 'g', 3)
                  .arg(r.seconds, 0, 'f', 2);
    m_status->setText(status);
}

void InspectView::drawHeatMap()
{
    if (m_result) drawHidden(m_hidden, m_result->trace, m_coordinate->currentIndex());
}

bool InspectView::exportCsv(const QString& path, QString* error) const
{
    if (!m_result) {
        if (error) *error = tr("nothing to export: Inspect has not been computed");
        return false;
    }
    std::ostringstream out;
    out.precision(9);
    out << "series,x,value\n";
    // Not finite values are left empty: a CSV never holds "nan".
    auto put = [&](const std::string& series, double x, double v) {
        out << series << ',' << x << ',';
        if (std::isfinite(v)) out << v;
        out << '\n';
    };
    const ResponseCurve& r = m_result->response;
    const std::string warm = "response_lstm_after_" + std::to_string(r.warmupSteps);
    for (size_t i = 0; i < r.gradients.size(); ++i) {
        put("response_lstm_first", r.gradients[i], r.lstmFirst[i]);
        put(warm, r.gradients[i], r.lstmWarm[i]);
        put("response_adam", r.gradients[i], r.adam[i]);
        put("response_sgd", r.gradients[i], r.sgd[i]);
    }
    const InspectTrace& t = m_result->trace;
    for (size_t s = 0; s < t.loss.size(); ++s) put("loss", double(s), t.loss[s]);
    for (size_t s = 0; s < t.lrMedian.size(); ++s) {
        put("lr_median", double(s), t.lrMedian[s]);
        put("lr_p10", double(s), t.lrLow[s]);
        put("lr_p90", double(s), t.lrHigh[s]);
        put("lr_uphill_fraction", double(s), t.lrNegative[s]);
    }
    for (size_t l = 0; l < t.meanAbsH.size(); ++l)
        for (size_t s = 0; s < t.meanAbsH[l].size(); ++s)
            put("mean_abs_h_layer" + std::to_string(l + 1), double(s + 1), t.meanAbsH[l][s]);
    return saveTextFile(path, QByteArray::fromStdString(out.str()), error);
}

} // namespace l2l::ui
