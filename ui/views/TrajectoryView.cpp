#include "views/TrajectoryView.h"

#include "base/Spec.h"
#include "gl/LandscapeWidget.h"
#include "plots/LossPlot.h"
#include "plots/SaveText.h"
#include "views/ElidedLabel.h"
#include "views/FlowLayout.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPixmap>
#include <QPushButton>
#include <QSlider>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace l2l::ui {

namespace {

enum Column { ColOptimizer, ColRate, ColX, ColY, ColLoss, ColGrad, ColNote, ColCount };

QString number(double v) { return std::isfinite(v) ? QString::number(v, 'g', 6) : QStringLiteral("–"); }

// A read-only cell; `value` (the exact number) is kept in Qt::UserRole for tests and copying.
QTableWidgetItem* cell(const QString& text, double value = NAN)
{
    auto* item = new QTableWidgetItem(text);
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
    if (!std::isnan(value)) item->setData(Qt::UserRole, value);
    return item;
}

QString csvField(const QString& text)
{
    if (!text.contains(QLatin1Char(',')) && !text.contains(QLatin1Char('"'))) return text;
    return QLatin1Char('"') + QString(text).replace(QLatin1Char('"'), QStringLiteral("\"\"")) + QLatin1Char('"');
}

QString exact(double v) { return QString::number(v, 'g', 17); }

} // namespace

TrajectoryView::TrajectoryView(QWidget* parent)
    : QWidget(parent), m_runner(new Runner(QStringLiteral("l2l-paths"), this))
{
    connect(m_runner, &Runner::finished, this,
            [this](const QVariant& v, bool) { onComputed(v.value<TrajectoryResult>(), m_computeClock.elapsed()); });
    connect(m_runner, &Runner::failed, this, [this](const QString& message) { onFailed(message); });
    m_landscape = new LandscapeWidget;
    m_landscape->setObjectName(QStringLiteral("landscape"));
    connect(m_landscape, &LandscapeWidget::startPointChanged, this,
            [this](double x, double y) { setStartPoint(QPointF(x, y)); });
    connect(m_landscape, &LandscapeWidget::glError, this, [this](const QString& log) { showStatus(log, true); });
    makeTable();

    auto* splitter = new QSplitter(Qt::Vertical);
    splitter->addWidget(m_landscape);
    splitter->addWidget(m_table);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 0);
    splitter->setSizes({560, 170});
    m_status = new QLabel;
    m_status->setObjectName(QStringLiteral("trajectoryStatus"));
    m_status->setWordWrap(true);
    // Two lines kept for the status whatever it says: "computing…" and the result's longer line (whose length
    // depends on the time it took) then leave the landscape the same size, it does not jump at each recompute.
    m_status->setMinimumHeight(2 * m_status->fontMetrics().lineSpacing());

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(makeControls());
    layout->addWidget(splitter, 1);
    layout->addWidget(m_status);

    m_playTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_playTimer, &QTimer::timeout, this, &TrajectoryView::advancePlayback);
    updateStepUi();
    recompute();
}

QWidget* TrajectoryView::makeControls()
{
    m_functionCombo = new QComboBox;
    m_functionCombo->setObjectName(QStringLiteral("functionCombo"));
    for (const auto& info : problemCatalog()) {
        if (!function2dKind(info.name)) continue;
        m_functionCombo->addItem(QString::fromStdString(info.name), QString::fromStdString(info.name));
        m_functionCombo->setItemData(m_functionCombo->count() - 1, QString::fromStdString(info.summary),
                                     Qt::ToolTipRole);
    }
    selectFunctionInCombo();
    connect(m_functionCombo, &QComboBox::activated, this,
            [this] { setFunctionSpec(m_functionCombo->currentData().toString()); });

    auto* resetView = new QPushButton(tr("Reset view"));
    resetView->setObjectName(QStringLiteral("resetViewButton"));
    resetView->setToolTip(tr("Fit the function's box (also: double click). Wheel zooms, right or middle drag pans."));
    connect(resetView, &QPushButton::clicked, m_landscape, &LandscapeWidget::resetView);
    m_playButton = new QPushButton(tr("Play"));
    m_playButton->setObjectName(QStringLiteral("playButton"));
    connect(m_playButton, &QPushButton::clicked, this, &TrajectoryView::togglePlay);
    m_stepButton = new QPushButton(tr("Step"));
    m_stepButton->setObjectName(QStringLiteral("stepButton"));
    m_stepButton->setToolTip(tr("One step forward"));
    connect(m_stepButton, &QPushButton::clicked, this, &TrajectoryView::stepForward);
    m_retuneButton = new QPushButton(tr("Re-tune here"));
    m_retuneButton->setObjectName(QStringLiteral("retuneButton"));
    m_retuneButton->setToolTip(tr("Tune the learning rates that are not given from this start point. Otherwise "
                                  "they are the ones tuned at the function's own start, kept while the start "
                                  "moves so that paths from two starts use the same rates."));
    connect(m_retuneButton, &QPushButton::clicked, this, &TrajectoryView::retuneAtStart);
    m_speedSpin = new QSpinBox;
    m_speedSpin->setObjectName(QStringLiteral("speedSpin"));
    m_speedSpin->setRange(1, 2000);
    m_speedSpin->setValue(20);
    m_speedSpin->setSuffix(tr(" steps/s"));
    m_stepSlider = new QSlider(Qt::Horizontal);
    m_stepSlider->setObjectName(QStringLiteral("stepSlider"));
    connect(m_stepSlider, &QSlider::valueChanged, this, &TrajectoryView::setCurrentStep);
    m_stepLabel = new ElidedLabel;
    m_stepLabel->setObjectName(QStringLiteral("stepLabel"));
    m_stepLabel->setMinimumWidth(QFontMetrics(font()).horizontalAdvance(QStringLiteral("step 10000 / 10000")));
    auto* exportButton = new QPushButton(tr("Export CSV…"));
    exportButton->setObjectName(QStringLiteral("exportCsvButton"));
    connect(exportButton, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export trajectories"),
                                                          QStringLiteral("trajectories.csv"), tr("CSV files (*.csv)"));
        QString error;
        if (!path.isEmpty()) showStatus(exportCsv(path, &error) ? tr("saved %1").arg(path) : error, !error.isEmpty());
    });

    // The controls wrap onto a second line in a narrow window (FlowLayout); the slider keeps a usable width.
    auto* bar = new QWidget;
    auto* row = new FlowLayout(bar);
    m_speedSpin->setAccessibleName(tr("Playback speed"));
    m_stepSlider->setAccessibleName(tr("Step shown"));
    m_stepSlider->setMinimumWidth(QFontMetrics(font()).averageCharWidth() * 24);
    row->addWidget(labelled(tr("&Function"), m_functionCombo));
    for (QWidget* w : std::initializer_list<QWidget*>{resetView, m_playButton, m_stepButton, m_speedSpin, m_stepSlider,
                                                      m_stepLabel, m_retuneButton, exportButton})
        row->addWidget(w);
    return bar;
}

void TrajectoryView::makeTable()
{
    m_table = new QTableWidget(0, ColCount);
    m_table->setObjectName(QStringLiteral("trajectoryTable"));
    m_table->setTabKeyNavigation(false); // Tab leaves the table (arrows move between cells): it trapped the focus
    m_table->setHorizontalHeaderLabels(
        {tr("optimizer"), tr("learning rate"), tr("x"), tr("y"), tr("loss"), tr("|grad f|"), tr("note")});
    m_table->verticalHeader()->setVisible(false);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setMinimumHeight(110);
}

QPointF TrajectoryView::startPoint() const
{
    if (m_start) return *m_start;
    if (m_result && m_result->config.problem == m_functionSpec.toStdString())
        return {m_result->start[0], m_result->start[1]};
    // Nothing computed for this function yet: its start, built here (cheap), so that what the view reports
    // does not change when the paths arrive.
    try {
        TrajectoryConfig config;
        config.problem = m_functionSpec.toStdString();
        const auto fn = trajectoryFunction(config);
        return {fn->initialTheta()(0), fn->initialTheta()(1)};
    } catch (const Error&) {
        return m_result ? QPointF(m_result->start[0], m_result->start[1]) : QPointF();
    }
}

void TrajectoryView::setExperiment(const QString& problemSpec, const QStringList& optimizers, int steps)
{
    try {
        if (function2dKind(Spec::parse(problemSpec.toStdString()).name) && problemSpec != m_functionSpec) {
            m_functionSpec = problemSpec;
            m_start.reset();
            m_tuneHere = false;
            selectFunctionInCombo();
        }
    } catch (const Error&) {
        // A malformed spec is the side panel's to report; this view keeps its own function.
    }
    m_optimizers = optimizers;
    m_steps = std::clamp(steps, 1, 10000);
    recompute();
}

void TrajectoryView::setFunctionSpec(const QString& spec)
{
    m_functionSpec = spec;
    m_start.reset();
    m_tuneHere = false;
    selectFunctionInCombo();
    recompute();
}

void TrajectoryView::setStartPoint(QPointF p)
{
    p = QPointF(std::clamp(p.x(), -1e3, 1e3), std::clamp(p.y(), -1e3, 1e3)); // the specs' range
    m_start = p;
    m_tuneHere = false; // the function's rates again, until asked
    m_landscape->setStartMarker(p);
    emit startPointChanged(p);
    recompute();
}

void TrajectoryView::retuneAtStart()
{
    if (!m_start) m_start = startPoint(); // the function's own start: tuning there is what the default does
    m_tuneHere = true;
    recompute();
}

void TrajectoryView::recompute()
{
    TrajectoryConfig config;
    config.problem = m_functionSpec.toStdString();
    config.optimizers.clear();
    for (const QString& o : m_optimizers) config.optimizers.push_back(o.trimmed().toStdString());
    config.steps = m_steps;
    if (m_start) config.start = std::array<double, 2>{m_start->x(), m_start->y()};
    config.tuneAtStart = m_tuneHere && m_start;
    m_computeClock.start();
    showStatus(tr("computing…"), false);
    m_runner->request([config](Runner::Control& control) {
        return QVariant::fromValue(computeTrajectories(config, control.abortFlag()));
    });
}

void TrajectoryView::onComputed(TrajectoryResult result, qint64 ms)
{
    if (result.cancelled) return;
    m_result = std::move(result);
    m_landscape->setFunction(*m_result);
    if (m_start) m_landscape->setStartMarker(*m_start);
    bool tuned = false;
    for (const auto& p : m_result->paths) tuned = tuned || p.tunedRate;
    const QString rates = !tuned                         ? QString()
                          : m_result->config.tuneAtStart ? tr(" Tuned rates: from this start.")
                                                         : tr(" Tuned rates: from the function's own start "
                                                              "(Re-tune here tunes them from this point).");
    showStatus(tr("%1: %2 × %3 in %4 ms. Click or drag on the landscape to move the start.%5")
                   .arg(QString::fromStdString(m_result->config.problem),
                        QString::fromStdString(countOf(long(m_result->paths.size()), "optimizer")),
                        QString::fromStdString(countOf(m_result->config.steps, "step")))
                   .arg(ms)
                   .arg(rates),
               false);
    updateStepUi();
    emit computed();
}

// The drawing stays as it was, and so does what the view asks for next (a drag after a bad optimizer
// file recomputes what is drawn, not the failing request again).
void TrajectoryView::onFailed(const QString& message)
{
    if (m_result) {
        const TrajectoryConfig& c = m_result->config;
        m_functionSpec = QString::fromStdString(c.problem);
        m_optimizers.clear();
        for (const auto& o : c.optimizers) m_optimizers << QString::fromStdString(o);
        m_steps = c.steps;
        m_start = c.start ? std::optional<QPointF>(QPointF((*c.start)[0], (*c.start)[1])) : std::nullopt;
        m_tuneHere = c.tuneAtStart;
        m_landscape->setStartMarker(startPoint());
        selectFunctionInCombo();
        updateStepUi();
    }
    showStatus(message, true);
    emit failed(message);
}

void TrajectoryView::setCurrentStep(int step)
{
    m_step = std::clamp(step, 0, m_steps);
    m_landscape->setStep(m_step);
    updateStepUi();
}

void TrajectoryView::play()
{
    if (m_step >= m_steps) setCurrentStep(0); // play at the end starts again
    m_playCarry = 0;
    m_playClock.start();
    m_playTimer.start(15);
    m_playButton->setText(tr("Pause"));
}

void TrajectoryView::pause()
{
    m_playTimer.stop();
    m_playButton->setText(tr("Play"));
}

void TrajectoryView::togglePlay()
{
    if (m_playTimer.isActive())
        pause();
    else
        play();
}

void TrajectoryView::stepForward()
{
    pause();
    setCurrentStep(m_step + 1);
}

// Steps advance by elapsed time × speed, so playback keeps its speed when timer ticks come late.
void TrajectoryView::advancePlayback()
{
    const double owed = m_playClock.restart() / 1000.0 * m_speedSpin->value() + m_playCarry;
    const int whole = int(std::floor(owed));
    m_playCarry = owed - whole;
    if (whole > 0) setCurrentStep(m_step + whole);
    if (m_step >= m_steps) pause();
}

void TrajectoryView::updateStepUi()
{
    m_step = std::clamp(m_step, 0, m_steps);
    const QSignalBlocker block(m_stepSlider);
    m_stepSlider->setRange(0, m_steps);
    m_stepSlider->setValue(m_step);
    m_stepLabel->setText(tr("step %1 / %2").arg(m_step).arg(m_steps));
    m_landscape->setStep(m_step);
    updateTable();
}

// Each optimizer at the scrubbed step (at its last point if it diverged before).
void TrajectoryView::updateTable()
{
    if (!m_result) return;
    m_table->setRowCount(int(m_result->paths.size()));
    for (int row = 0; row < m_table->rowCount(); ++row) {
        const TrajectoryPath& p = m_result->paths[size_t(row)];
        auto* name = new QTableWidgetItem(QString::fromStdString(p.optimizer));
        QPixmap swatch(12, 12);
        swatch.fill(optimizerColor(QString::fromStdString(p.rule.name)));
        name->setIcon(QIcon(swatch));
        name->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
        m_table->setItem(row, ColOptimizer, name);
        // Short in the cell (the column is narrow in a lecture window); where the rate was tuned is in the tooltip
        // and the status line.
        QTableWidgetItem* rate = p.rule.learned() ? cell(QFileInfo(QString::fromStdString(p.rule.path)).fileName())
                                                  : cell(number(p.rule.lr) + (!p.tunedRate  ? QString()
                                                                              : p.tunedHere ? tr(" (tuned here)")
                                                                                            : tr(" (tuned)")));
        if (p.tunedRate)
            rate->setToolTip(p.tunedHere ? tr("Tuned from this start (Re-tune here).")
                                         : tr("Tuned from the function's own start."));
        m_table->setItem(row, ColRate, rate);
        QString note = p.divergedAt >= 0 ? tr("diverged at step %1").arg(p.divergedAt) : QString();
        if (p.points.empty()) {
            for (int c : {ColX, ColY, ColLoss, ColGrad}) m_table->setItem(row, c, cell(QStringLiteral("–")));
        } else {
            const size_t t = std::min(size_t(m_step), p.points.size() - 1);
            m_table->setItem(row, ColX, cell(number(p.points[t][0]), p.points[t][0]));
            m_table->setItem(row, ColY, cell(number(p.points[t][1]), p.points[t][1]));
            m_table->setItem(row, ColLoss, cell(number(p.loss[t]), p.loss[t]));
            const double g = std::hypot(p.grad[t][0], p.grad[t][1]);
            m_table->setItem(row, ColGrad, cell(number(g), g));
        }
        m_table->setItem(row, ColNote, cell(note));
    }
}

void TrajectoryView::selectFunctionInCombo()
{
    QString name = m_functionSpec;
    try {
        name = QString::fromStdString(Spec::parse(m_functionSpec.toStdString()).name);
    } catch (const Error&) {
    }
    const QSignalBlocker block(m_functionCombo);
    const int index = m_functionCombo->findData(name);
    if (index >= 0) m_functionCombo->setCurrentIndex(index);
}

void TrajectoryView::showStatus(const QString& text, bool error)
{
    m_status->setStyleSheet(error ? QStringLiteral("color: #b00020;") : QString());
    m_status->setText(text);
}

bool TrajectoryView::exportCsv(const QString& path, QString* error) const
{
    auto fail = [&](const QString& message) {
        if (error) *error = message;
        return false;
    };
    if (!m_result) return fail(tr("no trajectories to export yet"));
    QByteArray out = "optimizer,step,x,y,loss,gx,gy\n";
    for (const auto& p : m_result->paths) {
        const QString name = csvField(QString::fromStdString(p.optimizer));
        for (size_t t = 0; t < p.points.size(); ++t)
            out += QStringList{name,
                               QString::number(t),
                               exact(p.points[t][0]),
                               exact(p.points[t][1]),
                               exact(p.loss[t]),
                               exact(p.grad[t][0]),
                               exact(p.grad[t][1])}
                       .join(QLatin1Char(','))
                       .toUtf8() +
                   '\n';
    }
    return saveTextFile(path, out, error);
}

} // namespace l2l::ui
