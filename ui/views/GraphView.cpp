#include "views/GraphView.h"

#include "plots/SaveText.h"
#include "views/GraphCanvas.h"
#include "views/SpinBox.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QStyle>
#include <QVBoxLayout>

namespace l2l::ui {

namespace {
const QString kHint = QObject::tr("Hover a node for its formula and value. F10 steps forward through the window, then "
                                  "the meta-gradient back; F5 plays.");
} // namespace

GraphView::GraphView(QWidget* parent) : QWidget(parent), m_runner(new Runner(QStringLiteral("l2l-graph"), this))
{
    connect(m_runner, &Runner::finished, this, [this](const QVariant& v, bool aborted) {
        if (aborted) return;
        if (const auto* r = variantValue<GraphResult>(v)) {
            m_result = *r;
            m_canvas->setResult(*r);
            m_status->setText(tr("%1, %2 steps before the window; optimizer %3")
                                  .arg(QString::fromStdString(r->canonicalProblem))
                                  .arg(r->config.offset)
                                  .arg(QString::fromStdString(r->optimizerPath).section('/', -1)));
            updateUi();
            if (m_playWhenComputed) {
                m_playWhenComputed = false;
                togglePlay();
            }
            emit computed();
        }
    });
    connect(m_runner, &Runner::failed, this, [this](const QString& message) {
        m_status->setText(message);
        updateUi();
        emit failed(message);
    });
    m_canvas = new GraphCanvas;
    m_windowSpin = spinBox("graphWindow", 1, 20, 5,
                           tr("K, the steps of the truncated window that one meta-gradient is computed over "
                              "(the paper unrolls 20)"));
    m_offsetSpin = spinBox("graphOffset", 0, 1000, 0,
                           tr("Steps the learned optimizer takes before the window starts; the window's first θ is "
                              "where they end, and the LSTM starts from the state they leave"));
    m_secondOrder = new QCheckBox(tr("Second order"));
    m_secondOrder->setObjectName("graphSecondOrder");
    m_secondOrder->setToolTip(tr("Follow ∂∇/∂θ too (the dashed edges become solid): the exact meta-gradient. The "
                                 "paper trains with first order, treating each gradient as a constant input"));
    m_backButton = new QPushButton(style()->standardIcon(QStyle::SP_MediaSeekBackward), tr("Back"));
    m_backButton->setObjectName("graphBack");
    m_backButton->setToolTip(tr("The previous stage (Shift+F10)"));
    m_backButton->setShortcut(QKeySequence(Qt::SHIFT | Qt::Key_F10));
    m_stepButton = new QPushButton(style()->standardIcon(QStyle::SP_MediaSeekForward), tr("Step"));
    m_stepButton->setObjectName("graphStep");
    m_stepButton->setToolTip(tr("The next stage: one step forward, or, after the last, the meta-gradient one step "
                                "back (F10)"));
    m_playButton = new QPushButton(style()->standardIcon(QStyle::SP_MediaPlay), tr("Play"));
    m_playButton->setObjectName("graphPlay");
    m_playButton->setToolTip(tr("Animate forward and backward through the window (F5)"));
    for (QWidget* w : std::initializer_list<QWidget*>{m_windowSpin, m_offsetSpin, m_secondOrder, m_backButton,
                                                      m_stepButton, m_playButton})
        w->setWhatsThis(w->toolTip());
    connect(m_windowSpin, &QSpinBox::valueChanged, this, &GraphView::recompute);
    connect(m_offsetSpin, &QSpinBox::valueChanged, this, &GraphView::recompute);
    connect(m_secondOrder, &QCheckBox::toggled, this, &GraphView::recompute);
    connect(m_backButton, &QPushButton::clicked, this, [this] {
        pause();
        stepBack();
    });
    connect(m_stepButton, &QPushButton::clicked, this, [this] {
        pause();
        stepForward();
    });
    connect(m_playButton, &QPushButton::clicked, this, &GraphView::togglePlay);
    m_playTimer.setInterval(700);
    connect(&m_playTimer, &QTimer::timeout, this, [this] {
        if (!m_result || m_canvas->stage() + 1 >= m_canvas->stageCount()) {
            pause();
            return;
        }
        m_canvas->setStage(m_canvas->stage() + 1);
        updateUi();
    });

    auto* controls = new QHBoxLayout;
    auto* windowLabel = new QLabel(tr("Window K (1–20)")); // the spin box's range: typing 99 stops at 9
    windowLabel->setBuddy(m_windowSpin);
    auto* offsetLabel = new QLabel(tr("Start after"));
    offsetLabel->setBuddy(m_offsetSpin);
    m_offsetSpin->setSuffix(tr(" steps"));
    controls->addWidget(windowLabel);
    controls->addWidget(m_windowSpin);
    controls->addWidget(offsetLabel);
    controls->addWidget(m_offsetSpin);
    controls->addWidget(m_secondOrder);
    controls->addStretch(1);
    controls->addWidget(m_backButton);
    controls->addWidget(m_stepButton);
    controls->addWidget(m_playButton);

    m_detail = new QLabel(kHint);
    m_detail->setObjectName("graphDetail");
    m_detail->setWordWrap(true);
    m_detail->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_detail->setMinimumHeight(m_detail->fontMetrics().height() * 3);
    m_detail->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    connect(m_canvas, &GraphCanvas::stageChanged, this, &GraphView::updateUi);
    connect(m_canvas, &GraphCanvas::hovered, this,
            [this](const QString& text) { m_detail->setText(text.isEmpty() ? kHint : text); });
    m_status = new QLabel;
    m_status->setObjectName("graphStatus");
    m_status->setWordWrap(true);
    m_status->setForegroundRole(QPalette::PlaceholderText);

    m_stageLabel = new QLabel;
    m_stageLabel->setObjectName("graphStage");
    QFont bigger = m_stageLabel->font();
    bigger.setBold(true);
    m_stageLabel->setFont(bigger);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(controls);
    layout->addWidget(m_stageLabel);
    // A long window (K up to 20) is wider than a small screen: it scrolls sideways, each node keeping readable text.
    auto* scroll = m_scroll = new QScrollArea;
    scroll->setObjectName(QStringLiteral("graphScroll"));
    scroll->setWidget(m_canvas);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setMinimumHeight(m_canvas->minimumSizeHint().height() + scroll->horizontalScrollBar()->sizeHint().height());
    // φ's label follows the part of its bar in sight: the whole canvas is drawn again on a scroll (Qt would move
    // the old pixels and paint only the uncovered strip).
    connect(scroll->horizontalScrollBar(), &QScrollBar::valueChanged, m_canvas, qOverload<>(&QWidget::update));
    layout->addWidget(scroll, 1);
    layout->addWidget(m_detail);
    layout->addWidget(m_status);
    updateUi();
}

void GraphView::setCaptionsVisible(bool visible)
{
    m_detail->setMinimumHeight(m_detail->fontMetrics().height() * (visible ? 3 : 2));
}

GraphConfig GraphView::config() const
{
    GraphConfig c;
    c.problem = m_spec.toStdString();
    if (m_start) c.start = std::array<double, 2>{m_start->x(), m_start->y()};
    c.window = m_windowSpin->value();
    c.offset = m_offsetSpin->value();
    c.secondOrder = m_secondOrder->isChecked();
    c.optimizer = m_optimizer.toStdString();
    return c;
}

void GraphView::setFunction(const QString& spec, std::optional<QPointF> start, const QString& optimizerPath)
{
    if (spec == m_spec && start == m_start && optimizerPath == m_optimizer && (m_result || isComputing())) return;
    m_spec = spec;
    m_start = start;
    m_optimizer = optimizerPath;
    recompute();
}

void GraphView::setWindow(int steps) { m_windowSpin->setValue(std::clamp(steps, 1, 20)); }
void GraphView::setOffset(int steps) { m_offsetSpin->setValue(std::clamp(steps, 0, 1000)); }
void GraphView::setSecondOrder(bool on) { m_secondOrder->setChecked(on); }

void GraphView::recompute()
{
    m_playTimer.stop();
    const GraphConfig c = config();
    m_status->setText(tr("Computing the window…"));
    m_runner->request([c](Runner::Control&) { return movedIntoVariant(computeGraph(c)); });
    updateUi();
}

QString GraphView::detailText() const { return m_detail->text(); }

void GraphView::stepForward()
{
    if (!m_result) return;
    const int next = m_canvas->stage() + 1;
    m_canvas->setStage(next >= m_canvas->stageCount() ? 0 : next);
    updateUi();
}

void GraphView::stepBack()
{
    if (!m_result) return;
    m_canvas->setStage(m_canvas->stage() - 1);
    updateUi();
}

void GraphView::togglePlay()
{
    if (m_playTimer.isActive()) {
        pause();
        return;
    }
    if (!m_result) return;
    if (m_canvas->stage() + 1 >= m_canvas->stageCount()) m_canvas->setStage(0);
    m_playTimer.start();
    updateUi();
}

void GraphView::restart()
{
    pause();
    if (!m_result || isComputing()) {
        m_playWhenComputed = true;
        return;
    }
    m_canvas->setStage(0);
    togglePlay();
}

bool GraphView::exportCsv(const QString& path, QString* error) const
{
    if (!m_result) {
        *error = tr("nothing to export: the graph has not been computed");
        return false;
    }
    const WindowTrace<float>& t = m_result->trace;
    auto n = [](double v) { return QByteArray::number(v, 'g', 9); };
    QByteArray csv =
        "step,theta_x,theta_y,loss,grad_x,grad_y,update_x,update_y,dL_dtheta_x,dL_dtheta_y,dphi_share_norm\n";
    for (size_t j = 0; j < t.thetas.size(); ++j) {
        const bool last = j + 1 == t.thetas.size();
        QByteArrayList row = {QByteArray::number(m_result->config.offset + int(j)),
                              n(t.thetas[j](0)),
                              n(t.thetas[j](1)),
                              n(t.losses[j]),
                              n(t.grads[j](0)),
                              n(t.grads[j](1)),
                              last ? "" : n(t.updates[j](0)),
                              last ? "" : n(t.updates[j](1)),
                              j == 0 ? "" : n(t.adjoints[j](0)),
                              j == 0 ? "" : n(t.adjoints[j](1)),
                              last ? "" : n(double(t.dphiSteps[j].norm()))};
        csv += row.join(',') + '\n';
    }
    return saveTextFile(path, csv, error);
}

void GraphView::pause()
{
    m_playTimer.stop();
    updateUi();
}

void GraphView::updateUi()
{
    const bool ready = m_result.has_value();
    // The step being lit (forward) or reached back to (backward) stays in view, with its neighbours.
    if (ready && m_scroll)
        for (const GraphCanvas::Node& n : m_canvas->nodes())
            if (n.kind == GraphCanvas::NodeKind::Theta && n.step == m_canvas->focusStep())
                m_scroll->ensureVisible(int(n.rect.center().x()), int(n.rect.center().y()), int(n.rect.width() * 2.5),
                                        int(n.rect.height()));
    m_stepButton->setEnabled(ready);
    m_backButton->setEnabled(ready && m_canvas->stage() > 0);
    m_playButton->setEnabled(ready);
    const bool playing = m_playTimer.isActive();
    m_stageLabel->setText(ready ? m_canvas->stageText() : QString());
    m_playButton->setText(playing ? tr("Pause") : tr("Play"));
    m_playButton->setIcon(style()->standardIcon(playing ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
}

} // namespace l2l::ui
