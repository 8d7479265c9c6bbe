#include "views/ArtView.h"

#include "eval/ArtRun.h"
#include "gl/ArtCanvas.h"
#include "plots/LossPlot.h"
#include "plots/SaveText.h"
#include "plots/Theme.h"
#include "problems/NeuralArt.h"
#include "views/ElidedLabel.h"
#include "views/FlowLayout.h"
#include "views/SpinBox.h"
#include "workers/EvalJob.h"
#include "workers/Runner.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QVBoxLayout>

#include <cmath>

namespace l2l::ui {

namespace {

const char* const kChooseFile = "__file__"; // item data of the combo entries that open a file dialog

QImage toQImage(const ArtImage& image)
{
    const std::vector<std::uint8_t> rgb = image.toRgb8();
    return QImage(rgb.data(), image.width, image.height, 3 * image.width, QImage::Format_RGB888).copy();
}

// Everything the GUI shows of the run, copied out of the core's objects on the run thread.
ArtSnapshot takeSnapshot(const ArtRun& run, int steps)
{
    ArtSnapshot s;
    s.step = run.stepsDone();
    s.steps = steps;
    for (int i = 0; i < run.optimizerCount(); ++i) {
        s.labels << QString::fromStdString(run.label(i));
        s.images.push_back(toQImage(run.image(i)));
        s.loss.push_back(run.lossHistory(i));
        s.problems << QString::fromStdString(run.problem(i));
    }
    return s;
}

QString lossText(double loss) { return std::isfinite(loss) ? QString::number(loss, 'g', 4) : QStringLiteral("-"); }

} // namespace

ArtView::ArtView(QWidget* parent) : QWidget(parent)
{
    m_canvas = new ArtCanvas;
    m_canvas->setObjectName(QStringLiteral("artCanvas"));
    m_plot = new QCustomPlot;
    m_plot->setObjectName(QStringLiteral("artLossPlot"));
    m_plot->setMinimumHeight(200);
    styleLossPlot(m_plot);
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);

    auto* split = new QSplitter(Qt::Vertical);
    split->addWidget(m_canvas);
    split->addWidget(m_plot);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(makeControls());
    layout->addWidget(split, 1);

    connect(m_canvas, &ArtCanvas::saveRequested, this, [this](int index) {
        m_canvas->setSelectedTile(index);
        saveSelected();
    });
    connect(m_canvas, &ArtCanvas::selectionChanged, this,
            [this](int index) { m_saveButton->setEnabled(index >= 0 && !m_canvas->tile(index).image.isNull()); });
    connect(m_canvas, &ArtCanvas::glError, this, [this](const QString& log) { showStatus(log, true); });
    m_runner = new Runner(QStringLiteral("l2l-art"), this);
    connect(m_runner, &Runner::snapshot, this, [this](const QVariant& v) {
        if (v.canConvert<TuneProgress>()) { // the baselines' rates are searched before the first image
            const QString text = tuneProgressText(v.value<TuneProgress>());
            showStatus(text, false);
            m_canvas->setPlaceholder(text);
            return;
        }
        onSnapshot(v.value<ArtSnapshot>(), false);
    });
    connect(m_runner, &Runner::logLine, this, [this](const QString& line) {
        showStatus(line, false);
        if (line.startsWith(QStringLiteral("note: "))) m_notes << line.mid(6);
        emit logged(line);
    });
    connect(m_runner, &Runner::finished, this, [this](const QVariant& v, bool) {
        onSnapshot(v.value<ArtSnapshot>(), true);
        endRun();
    });
    connect(m_runner, &Runner::failed, this, [this](const QString& message) {
        onRunFailed(message);
        endRun();
    });
}

ArtView::~ArtView()
{
    delete m_runner; // aborts the run and waits for it, before the widgets it reports to go
}

QWidget* ArtView::makeControls()
{
    auto* bar = new QWidget;
    auto* row = new FlowLayout(bar); // wraps onto a second line in a narrow window

    m_content = new QComboBox;
    m_content->setObjectName(QStringLiteral("artContent"));
    m_content->setToolTip(tr("The photograph to stylise. Chelsea was never used to train the bundled optimizer."));
    for (const std::string& name : artContentSet("test")) addChoice(m_content, QString::fromStdString(name));
    for (const std::string& name : artContentSet("train")) addChoice(m_content, QString::fromStdString(name));
    m_content->addItem(tr("Choose a file..."), QString::fromLatin1(kChooseFile));

    m_style = new QComboBox;
    m_style->setObjectName(QStringLiteral("artStyle"));
    m_style->setToolTip(tr("The style image. The bundled optimizer was trained on The Scream only."));
    addChoice(m_style, QStringLiteral("scream"));
    addChoice(m_style, QStringLiteral("hubble"));
    m_style->addItem(tr("Choose a file..."), QString::fromLatin1(kChooseFile));
    // The default: a style the bundled optimizer never saw, at four times its training pixels (the rates of the
    // baselines for it ship in resources/tuned-rates.json, so a first Run starts at once).
    m_content->setCurrentIndex(m_content->findData(QStringLiteral("coffee")));
    m_style->setCurrentIndex(m_style->findData(QStringLiteral("hubble")));

    for (QComboBox* combo : {m_content, m_style})
        connect(combo, &QComboBox::activated, this, [this, combo](int index) {
            if (combo->itemData(index).toString() == QLatin1String(kChooseFile)) chooseFile(combo);
        });

    m_size =
        spinBox(QStringLiteral("artSize"), 16, 512, 128, tr("Image side in pixels (the optimizer was trained at 64)"));
    m_steps = spinBox(QStringLiteral("artSteps"), 1, 10000, 128, tr("Optimization steps"));

    m_runButton = new QPushButton(tr("Run"));
    m_runButton->setObjectName(QStringLiteral("artRun"));
    connect(m_runButton, &QPushButton::clicked, this, [this] { isRunning() ? stop() : run(); });
    m_saveButton = new QPushButton(tr("Save image..."));
    m_saveButton->setObjectName(QStringLiteral("artSave"));
    m_saveButton->setToolTip(tr("Save the selected image as PNG (click a tile to choose; after a run, the last "
                                "optimizer's is selected)"));
    m_saveButton->setEnabled(false);
    connect(m_saveButton, &QPushButton::clicked, this, &ArtView::saveSelected);

    // Wrapped: the final status names every optimizer's loss and then the notes of the rate search (a rate on the
    // grid's edge), which an elided line cut off.
    m_status = new WrappedLabel;
    m_status->setObjectName(QStringLiteral("artStatus"));
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    row->addWidget(labelled(tr("&Content"), m_content));
    row->addWidget(labelled(tr("St&yle"), m_style));
    row->addWidget(labelled(tr("Si&ze"), m_size));
    row->addWidget(labelled(tr("Ste&ps"), m_steps));
    row->addWidget(m_runButton);
    row->addWidget(m_saveButton);
    // The status has a line of its own under the controls: a long one wraps, never widening the window.
    auto* box = new QWidget;
    auto* column = new QVBoxLayout(box);
    column->setContentsMargins(0, 0, 0, 0);
    column->addWidget(bar);
    column->addWidget(m_status);
    return box;
}

void ArtView::addChoice(QComboBox* combo, const QString& nameOrPath)
{
    const int existing = combo->findData(nameOrPath);
    if (existing >= 0) {
        combo->setCurrentIndex(existing);
        return;
    }
    const QFileInfo info(nameOrPath);
    const QString text = info.isAbsolute() ? info.fileName() : nameOrPath;
    const int at = std::max(0, combo->count() - (combo->findData(QString::fromLatin1(kChooseFile)) >= 0 ? 1 : 0));
    combo->insertItem(at, text, nameOrPath);
    combo->setItemData(at, nameOrPath, Qt::ToolTipRole);
    combo->setCurrentIndex(at);
}

void ArtView::chooseFile(QComboBox* combo)
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Choose an image"), QString(),
                                                      tr("Images (*.png *.jpg *.jpeg *.bmp);;All files (*)"));
    if (path.isEmpty()) {
        combo->setCurrentIndex(0);
        return;
    }
    addChoice(combo, path);
}

void ArtView::setContent(const QString& nameOrPath) { addChoice(m_content, nameOrPath); }

void ArtView::setStyle(const QString& nameOrPath) { addChoice(m_style, nameOrPath); }

void ArtView::setImageSize(int size) { m_size->setValue(size); }

void ArtView::setSteps(int steps) { m_steps->setValue(steps); }

int ArtView::steps() const { return m_steps->value(); }

namespace {
// The image and size options a neural-art spec names ("" for a key it does not name, or not a neural-art spec).
QString artOption(const QString& problemSpec, const std::string& key)
{
    try {
        const Spec spec = Spec::parse(problemSpec.toStdString());
        if (spec.name == "neural-art" && spec.has(key)) return QString::fromStdString(spec.get(key, ""));
    } catch (const Error&) {
        // Not a spec: it names nothing.
    }
    return {};
}
} // namespace

void ArtView::setExperiment(const QString& problemSpec, const QStringList& optimizers, int steps)
{
    const auto changed = [&](const std::string& key) {
        const QString now = artOption(problemSpec, key);
        return !now.isEmpty() && now != artOption(m_panelSpec, key) ? now : QString();
    };
    if (const QString content = changed("content"); !content.isEmpty()) {
        const bool set = content == QLatin1String("test") || content == QLatin1String("train");
        setContent(set ? QString::fromStdString(artContentSet(content.toStdString()).front()) : content);
    }
    if (const QString style = changed("style"); !style.isEmpty()) setStyle(style);
    if (const QString size = changed("size"); !size.isEmpty()) {
        bool ok = false;
        const int side = size.toInt(&ok);
        if (ok) setImageSize(side); // the spin box keeps it in range; a bad value is the problem's error at Run
    }
    m_panelSpec = problemSpec;
    if (!optimizers.isEmpty()) m_optimizers = optimizers;
    Q_UNUSED(steps); // the art run keeps its own step count (the paper's 128 by default)
}

void ArtView::setImageSpec(const QString& problemSpec)
{
    if (const QString content = artOption(problemSpec, "content"); !content.isEmpty()) setContent(content);
    if (const QString style = artOption(problemSpec, "style"); !style.isEmpty()) setStyle(style);
    bool ok = false;
    const int side = artOption(problemSpec, "size").toInt(&ok);
    if (ok) setImageSize(side); // the spin box keeps it in range
}

QString ArtView::problemSpec() const
{
    // The panel's neural-art options (weights, network) with this view's images and size.
    Spec spec;
    spec.name = "neural-art";
    try {
        const Spec panel = Spec::parse(m_panelSpec.toStdString());
        if (panel.name == "neural-art")
            for (const auto& [key, value] : panel.options)
                if (key != "content" && key != "style" && key != "size") spec.options.emplace_back(key, value);
    } catch (const Error&) {
        // Not a spec at all: nothing to take from it.
    }
    spec.options.emplace_back("size", std::to_string(m_size->value()));
    spec.options.emplace_back("content", m_content->currentData().toString().toStdString());
    spec.options.emplace_back("style", m_style->currentData().toString().toStdString());
    return QString::fromStdString(spec.str());
}

void ArtView::run()
{
    if (!m_blocked.isEmpty()) return;
    const std::string spec = problemSpec().toStdString();
    std::vector<std::string> optimizers;
    for (const QString& o : m_optimizers) optimizers.push_back(o.toStdString());
    const int steps = m_steps->value();
    m_stopRequested = false;
    m_notes.clear();
    // The job owns every core object and sends copies (a run in progress is superseded: Runner).
    m_runner->request([spec, optimizers, steps](Runner::Control& control) {
        const auto status = [&control](const std::string& line) { control.log(QString::fromStdString(line)); };
        const auto onTune = [&control](const TuneProgress& p) {
            control.send(QVariant::fromValue(p), p.step >= p.steps);
        };
        ArtRun run(spec, 1, resolveArtRules(spec, optimizers, steps, status, control.abortFlag(), onTune));
        ArtSnapshot first = takeSnapshot(run, steps);
        first.content = toQImage(run.content());
        first.style = toQImage(run.style());
        control.send(QVariant::fromValue(first), true);
        while (run.stepsDone() < steps && !control.aborted()) {
            run.step();
            if (control.snapshotDue()) control.send(QVariant::fromValue(takeSnapshot(run, steps)));
        }
        return QVariant::fromValue(takeSnapshot(run, steps));
    });
    m_runButton->setText(tr("Stop"));
    showStatus(tr("starting %1").arg(QString::fromStdString(spec)), false);
    m_canvas->setPlaceholder(tr("Starting %1...").arg(QString::fromStdString(spec)));
    emit started();
}

void ArtView::stop()
{
    if (!isRunning()) return;
    m_stopRequested = true;
    m_runner->abort();
}

bool ArtView::isRunning() const { return m_runner->isBusy(); }

void ArtView::setStartBlocked(const QString& reason)
{
    m_blocked = reason;
    m_runButton->setEnabled(isRunning() || reason.isEmpty()); // while running it is the Stop button
    m_runButton->setToolTip(reason.isEmpty() ? tr("Stylise the images with every optimizer (Ctrl+R in this view)")
                                             : reason);
}

void ArtView::endRun()
{
    m_canvas->setPlaceholder({});
    // Save image... works at once: with no tile chosen, the last optimizer's (the learned one when it runs) is.
    if (m_canvas->selectedTile() < 0)
        for (int i = m_canvas->tileCount() - 1; i >= 0; --i)
            if (!m_canvas->tile(i).image.isNull() && !m_canvas->tile(i).failed) {
                m_canvas->setSelectedTile(i);
                break;
            }
    m_runButton->setText(tr("Run"));
    emit finished(m_stopRequested);
}

void ArtView::onSnapshot(const ArtSnapshot& s, bool last)
{
    const bool first = !s.content.isNull();
    if (first) {
        m_last = s;
        QList<ArtTile> tiles;
        tiles << ArtTile{tr("content"),
                         QString::fromStdString(Spec::parse(problemSpec().toStdString()).get("content", "")), s.content,
                         false};
        tiles << ArtTile{tr("style"), m_style->currentText(), s.style, false};
        for (int i = 0; i < s.labels.size(); ++i) tiles << ArtTile{s.labels[i], {}, {}, false};
        m_canvas->setTiles(tiles);
    } else {
        const QImage content = m_last.content, style = m_last.style;
        m_last = s;
        m_last.content = content;
        m_last.style = style;
    }
    for (int i = 0; i < int(s.images.size()); ++i) {
        const double loss = s.loss[size_t(i)].empty() ? NAN : s.loss[size_t(i)].back();
        const bool failed = !s.problems[i].isEmpty();
        const QString detail =
            failed ? s.problems[i] : tr("step %1 · loss %2").arg(int(s.loss[size_t(i)].size()) - 1).arg(lossText(loss));
        m_canvas->updateTile(i + 2, s.images[size_t(i)], detail, failed);
    }
    plotLoss(s);
    if (last) {
        QStringList parts;
        for (int i = 0; i < int(s.images.size()); ++i)
            if (!s.loss[size_t(i)].empty())
                parts << QStringLiteral("%1 %2").arg(s.labels[i].section(' ', 0, 0),
                                                     lossText(s.loss[size_t(i)].back()));
        // A rate tuned on the grid's edge is said here too, not only in the log (the CLI and Compare say it).
        showStatus(
            (s.step < s.steps ? tr("stopped at step %1: ").arg(s.step) : tr("done, %1 steps: ").arg(s.step)) +
                parts.join(QStringLiteral(", ")) +
                (m_notes.isEmpty() ? QString() : QStringLiteral(" · note: ") + m_notes.join(QStringLiteral("; "))),
            false);
    } else {
        showStatus(tr("step %1 / %2").arg(s.step).arg(s.steps), false);
    }
    emit snapshotShown(s.step);
}

void ArtView::plotLoss(const ArtSnapshot& s)
{
    m_plot->clearGraphs();
    for (int i = 0; i < int(s.loss.size()); ++i) {
        QCPGraph* g = m_plot->addGraph();
        g->setName(s.labels[i]);
        g->setPen(QPen(optimizerColor(s.labels[i].section(' ', 0, 0).section(':', 0, 0)), 2));
        const auto& loss = s.loss[size_t(i)];
        for (int t = 0; t < int(loss.size()); ++t)
            if (std::isfinite(loss[size_t(t)]) && loss[size_t(t)] > 0) g->addData(t, loss[size_t(t)]);
    }
    fitLossPlotView(m_plot, std::max(s.steps, 1));
    restylePlot(m_plot); // theme and presentation scale; queues the replot
}

void ArtView::onRunFailed(const QString& message)
{
    showStatus(message, true);
    emit failed(message);
}

void ArtView::showStatus(const QString& text, bool error)
{
    m_status->setText(breakableText(text));
    m_status->setStyleSheet(error ? QStringLiteral("color: #c02020") : QString());
}

bool ArtView::saveTile(int index, const QString& path, QString* error) const
{
    if (index < 0 || index >= m_canvas->tileCount()) {
        *error = tr("cannot write '%1': there is no image %2").arg(path).arg(index);
        return false;
    }
    return savePngFile(path, m_canvas->tile(index).image, error);
}

bool ArtView::exportCsv(const QString& path, QString* error) const
{
    QByteArray csv = "optimizer,step,loss\n";
    for (int i = 0; i < m_last.labels.size(); ++i)
        for (size_t t = 0; t < m_last.loss[size_t(i)].size(); ++t)
            csv += QStringLiteral("\"%1\",%2,%3\n")
                       .arg(m_last.labels[i])
                       .arg(t)
                       .arg(m_last.loss[size_t(i)][t], 0, 'g', 9)
                       .toUtf8();
    return saveTextFile(path, csv, error);
}

void ArtView::saveSelected()
{
    const int index = m_canvas->selectedTile();
    if (index < 0) return;
    QString name = m_canvas->tile(index).title.section(' ', 0, 0).remove(QLatin1Char(':'));
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Save image"), name + QStringLiteral(".png"), tr("PNG images (*.png)"));
    if (path.isEmpty()) return;
    QString error;
    if (saveTile(index, path, &error))
        showStatus(tr("saved %1").arg(path), false);
    else
        showStatus(error, true);
}

} // namespace l2l::ui
