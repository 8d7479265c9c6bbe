#include "views/WatchPanel.h"

#include "gl/LandscapeWidget.h"

#include <QHBoxLayout>
#include <QLabel>

#include <algorithm>
#include <cmath>
#include <limits>

namespace l2l::ui {

double meanLossOverSteps(const TrajectoryPath& path)
{
    if (path.divergedAt >= 0 || path.loss.size() < 2) return std::numeric_limits<double>::infinity();
    double sum = 0;
    for (size_t t = 1; t < path.loss.size(); ++t) sum += path.loss[t];
    return sum / double(path.loss.size() - 1);
}

WatchPanel::WatchPanel(QWidget* parent) : QWidget(parent), m_runner(new Runner(QStringLiteral("l2l-watch"), this))
{
    setObjectName("watchPanel");
    m_landscape = new LandscapeWidget;
    m_landscape->setObjectName("watchLandscape");
    m_landscape->setMinimumSize(190, 190);
    m_landscape->setToolTip(tr("The learned optimizer's path on one fixed function of the class, redrawn from the "
                               "weights being trained; faint lines are earlier snapshots, colours the tuned "
                               "hand-designed optimizers"));
    m_landscape->setWhatsThis(m_landscape->toolTip());
    m_caption = new QLabel(tr("Start meta-training to watch the learned path."));
    m_caption->setObjectName("watchCaption");
    m_caption->setWordWrap(true);
    // The landscape, and beside it what it shows in words (the panel sits under the curve, wider than tall).
    m_caption->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_caption->setMinimumWidth(160);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_landscape, 3);
    layout->addWidget(m_caption, 1);
    connect(m_runner, &Runner::finished, this, [this](const QVariant& v, bool aborted) {
        if (aborted) return;
        if (const auto* r = variantValue<WatchReference>(v)) {
            m_reference = *r;
            m_landscape->setFunction(r->paths);
            redraw();
            emit referenceReady();
        }
    });
    connect(m_runner, &Runner::failed, this, [this](const QString& message) {
        m_caption->setText(message);
        emit failed(message);
    });
}

bool WatchPanel::watches(const QString& problemSpec)
{
    try {
        return function2dKind(Spec::parse(problemSpec.toStdString()).name).has_value();
    } catch (const Error&) {
        return false;
    }
}

TrajectoryConfig WatchPanel::watchedFunction(const MetaTrainConfig& config)
{
    TrajectoryConfig t;
    t.problem = config.problem;
    const auto stages = config.curriculumHorizons();
    t.steps = std::clamp(stages.empty() ? config.horizon : stages.back(), 1, 10000);
    t.seed = 1;
    t.optimizers = baselines();
    return t;
}

const std::vector<std::string>& WatchPanel::baselines()
{
    static const std::vector<std::string> names = {"sgd", "nag", "rmsprop", "adam"};
    return names;
}

void WatchPanel::begin(const MetaTrainConfig& config)
{
    m_reference.reset();
    m_learned.clear();
    m_epochs.clear();
    m_beatsSince = -1;
    m_landscape->setTrails({});
    m_landscape->setPaths({});
    m_caption->setText(tr("Tuning SGD, NAG, RMSprop and Adam on this class for reference…"));
    const TrajectoryConfig t = watchedFunction(config);
    m_runner->request([t, config](Runner::Control& control) {
        WatchReference r;
        r.paths = computeTrajectories(t, control.abortFlag());
        r.levels = validationBaselines(config, baselines(), control.abortFlag());
        return movedIntoVariant(std::move(r));
    });
}

void WatchPanel::stop()
{
    m_runner->abort();
    m_reference.reset();
}

void WatchPanel::addSnapshots(const std::vector<TrajectoryPath>& paths, const std::vector<int>& epochs)
{
    for (size_t i = 0; i < paths.size(); ++i) {
        m_learned.push_back(paths[i]);
        m_epochs.push_back(i < epochs.size() ? epochs[i] : -1);
    }
    if (!paths.empty()) redraw();
}

QString WatchPanel::caption() const { return m_caption->text(); }

void WatchPanel::redraw()
{
    if (!m_reference) return; // the snapshots wait for the function
    double adam = std::numeric_limits<double>::infinity();
    for (const auto& p : m_reference->paths.paths)
        if (p.rule.name == "adam") adam = meanLossOverSteps(p);
    // The first snapshot below Adam's mean loss (recomputed: snapshots may arrive before the reference).
    m_beatsSince = -1;
    for (size_t i = 0; i < m_learned.size(); ++i)
        if (meanLossOverSteps(m_learned[i]) < adam) {
            m_beatsSince = m_epochs[i];
            break;
        }
    std::vector<TrajectoryPath> paths = m_reference->paths.paths;
    if (!m_learned.empty()) {
        paths.push_back(m_learned.back());
        m_landscape->setTrails({m_learned.begin(), m_learned.end() - 1});
        m_landscape->setStep(int(m_learned.back().points.size()));
    } else {
        m_landscape->setStep(m_reference->paths.config.steps);
    }
    m_landscape->setPaths(paths);
    // The validation levels drawn on the curve, and the baselines that have none (a diverged validation run). Short:
    // the caption sits beside the landscape at 1280 x 720 with a lesson strip above; the tooltip says the rest.
    QStringList levels, diverged;
    for (const BaselineLevel& b : m_reference->levels)
        (std::isfinite(b.level) ? levels : diverged)
            << (std::isfinite(b.level)
                    ? QStringLiteral("%1 %2").arg(QString::fromStdString(b.optimizer), QString::number(b.level, 'g', 3))
                    : QString::fromStdString(b.optimizer));
    // With a curriculum the lines step with the stages; the text gives the last stage's level (the tooltip all).
    const bool staged = std::any_of(m_reference->levels.begin(), m_reference->levels.end(),
                                    [](const BaselineLevel& b) { return b.stageLevels.size() > 1; });
    QString levelText = (staged ? tr("Dashed on the curve (validation, tuned; last stage): %1.")
                                : tr("Dashed on the curve (validation, tuned): %1."))
                            .arg(levels.join(QStringLiteral(", ")));
    if (!diverged.isEmpty())
        levelText += QStringLiteral(" ") + tr("%1 diverge there.").arg(diverged.join(QStringLiteral(", ")));
    QString text;
    if (m_learned.empty()) {
        text = tr("Mean loss on this function: Adam %1.").arg(QString::number(adam, 'g', 3));
    } else {
        const double now = meanLossOverSteps(m_learned.back());
        text = tr("Epoch %1, mean loss on this function: learned %2, Adam %3.")
                   .arg(m_epochs.back())
                   .arg(std::isfinite(now) ? QString::number(now, 'g', 3) : tr("diverged"))
                   .arg(QString::number(adam, 'g', 3));
        text += QStringLiteral(" ") + (m_beatsSince >= 0 ? tr("Beats Adam's since epoch %1.").arg(m_beatsSince)
                                                         : tr("Not below Adam's yet."));
    }
    m_caption->setText(text + QStringLiteral("\n\n") + levelText);
    QString tip = tr("The learned path (black) on one fixed function of the class, redrawn every few epochs from the "
                     "weights being trained; faint: earlier snapshots; colours: SGD, NAG, RMSprop and Adam at rates "
                     "tuned for the class.");
    for (const BaselineLevel& b : m_reference->levels)
        tip += QStringLiteral("\n%1: lr %2%3, validation level %4")
                   .arg(QString::fromStdString(b.optimizer), QString::number(b.rate, 'g', 3),
                        b.tuned ? tr(" (tuned)") : QString(),
                        std::isfinite(b.level) ? QString::number(b.level, 'g', 3) : tr("diverged"));
    if (staged)
        for (const BaselineLevel& b : m_reference->levels) {
            QStringList perStage;
            for (double l : b.stageLevels) perStage << (std::isfinite(l) ? QString::number(l, 'g', 3) : tr("diverged"));
            tip += QStringLiteral("\n") +
                   tr("%1 by curriculum stage: %2")
                       .arg(QString::fromStdString(b.optimizer), perStage.join(QStringLiteral(", ")));
        }
    m_caption->setToolTip(tip);
}

} // namespace l2l::ui
