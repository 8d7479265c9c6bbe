// The studio window's files: experiment files (open, save, restore at start through QSettings),
// optimizer files, drag and drop, and exporting the current view's plot (PNG / PDF) and data (CSV).
#include "views/MainWindow.h"

#include "base/JsonLimits.h"
#include "views/GraphCanvas.h"
#include "views/GraphView.h"
#include "views/TransferView.h"

#include "base/AtomicFile.h"
#include "base/Resources.h"
#include "base/Spec.h"
#include "gl/ArtCanvas.h"
#include "gl/LandscapeWidget.h"
#include "optimizers/OptimizerFile.h"
#include "plots/SaveText.h"
#include "views/ArtView.h"
#include "views/CompareView.h"
#include "views/ExperimentPanel.h"
#include "views/InspectView.h"
#include "views/MetaTrainView.h"
#include "views/TrajectoryView.h"

#include <qcustomplot.h>

#include <cmath>
#include <functional>

#include <QApplication>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontMetrics>
#include <QMenu>
#include <QMimeData>
#include <QPainter>
#include <QPdfWriter>
#include <QSaveFile>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>

namespace l2l::ui {

namespace {

QString suffixOf(const QString& path) { return QFileInfo(path).suffix().toLower(); }

// Hides the plots' on-screen aids (the hover cursor: items with the property "l2lTransient") while a figure is
// rendered, and shows them again after: a saved figure holds data only.
class TransientItemsHidden {
public:
    explicit TransientItemsHidden(const QList<QCustomPlot*>& plots)
    {
        for (QCustomPlot* plot : plots)
            for (int i = 0; i < plot->itemCount(); ++i)
                if (QCPAbstractItem* item = plot->item(i); item->property("l2lTransient").toBool() && item->visible()) {
                    item->setVisible(false);
                    m_hidden.append(item);
                }
    }
    ~TransientItemsHidden()
    {
        for (QCPAbstractItem* item : m_hidden) item->setVisible(true);
    }
    TransientItemsHidden(const TransientItemsHidden&) = delete;
    TransientItemsHidden& operator=(const TransientItemsHidden&) = delete;

private:
    QList<QCPAbstractItem*> m_hidden;
};

// Several plots in one file: PNG stacks them vertically, PDF gives each a page (vector graphics).
// A plot laid out for the export's size while it is drawn: its title lines, legend rows and tick labels are fitted
// to the widget's size and to the axis lengths of the last layout, so the widget takes the export's size and is laid
// out there once (a first, discarded render) before the one written. Restored afterwards.
class ExportSized {
public:
    ExportSized(const QList<QCustomPlot*>& plots, int width, int height)
    {
        for (QCustomPlot* p : plots) {
            m_sizes.push_back({p, p->size()});
            p->resize(width, height);
            (void)p->toPixmap(width, height);
        }
    }
    ~ExportSized()
    {
        for (const auto& [p, size] : m_sizes) {
            p->resize(size);
            p->replot(QCustomPlot::rpQueuedReplot);
        }
    }

private:
    std::vector<std::pair<QCustomPlot*, QSize>> m_sizes;
};

// `image` under a strip with `title` (what the figure shows: the function and step of a landscape, the problem of
// the neural-art tiles, the optimizer and problem inspected). `scale`: the image's pixels per layout pixel (a
// grab's device pixel ratio, 2 for the plots' PNG), which the title's size follows. The result has ratio 1.
QImage titled(QImage image, const QString& title, qreal scale)
{
    image.setDevicePixelRatio(1);
    QFont font = QApplication::font();
    font.setBold(true);
    font.setPixelSize(std::max(1, int(std::lround(QFontMetricsF(font).height() * scale / 1.2))));
    const int strip = int(std::ceil(QFontMetricsF(font).height() * 1.6));
    QImage out(image.width(), image.height() + strip, QImage::Format_ARGB32);
    out.fill(Qt::white);
    QPainter painter(&out);
    painter.drawImage(QPoint(0, strip), image);
    painter.setFont(font);
    painter.setPen(Qt::black);
    const QRect box(int(8 * scale), 0, image.width() - int(16 * scale), strip);
    painter.drawText(box, Qt::AlignLeft | Qt::AlignVCenter,
                     QFontMetrics(font).elidedText(title, Qt::ElideRight, box.width()));
    painter.end();
    return out;
}

// A PDF of pages `points` in size (72 units per inch, no margins) titled `title`, written into a temporary file renamed
// over `path` once whole (QSaveFile): a failed export keeps the previous file. `draw` paints the pages on the writer
// and returns false if its painter failed.
bool savePdf(const QString& path, QSizeF points, const QString& title, const std::function<bool(QPdfWriter&)>& draw,
             QString* error)
{
    QSaveFile file(path);
    bool ok = file.open(QIODevice::WriteOnly);
    if (ok) {
        QPdfWriter pdf(&file);
        pdf.setTitle(title);
        pdf.setPageSize(QPageSize(points, QPageSize::Point));
        pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
        pdf.setResolution(72);
        ok = draw(pdf);
    }
    if (ok && file.commit()) return true;
    *error = QObject::tr("cannot write '%1': %2").arg(path, file.errorString());
    return false;
}

// header: what the plots are of (Inspect's optimizer and problem), above the PNG and as the PDF's title.
bool savePlots(const QList<QCustomPlot*>& plots, const QString& path, QString* error, const QString& header = {})
{
    const TransientItemsHidden hidden(plots);
    const int width = 900, height = 420;
    const ExportSized sized(plots, width, height);
    if (suffixOf(path) == QLatin1String("pdf"))
        return savePdf(
            path, QSizeF(width, height), header,
            [&](QPdfWriter& pdf) {
                QCPPainter painter;
                bool ok = painter.begin(&pdf);
                for (int i = 0; ok && i < plots.size(); ++i) {
                    if (i > 0) pdf.newPage();
                    plots[i]->toPainter(&painter, width, height);
                }
                return ok && painter.end();
            },
            error);
    // PNG at twice the pixels of the layout (1800 x 840 per plot): sharp in print and on a high-density screen,
    // the same figure as the PDF's.
    constexpr int scale = 2;
    QImage sheet(scale * width, scale * height * int(plots.size()), QImage::Format_ARGB32);
    sheet.fill(Qt::white);
    QPainter painter(&sheet);
    for (int i = 0; i < plots.size(); ++i)
        painter.drawPixmap(0, i * scale * height, plots[i]->toPixmap(width, height, scale));
    painter.end();
    if (!header.isEmpty()) sheet = titled(sheet, header, scale);
    return savePngFile(path, sheet, error);
}

bool saveImage(const QImage& image, const QString& path, QString* error)
{
    if (suffixOf(path) != QLatin1String("pdf")) return savePngFile(path, image, error);
    return savePdf(
        path, QSizeF(image.size()), QString(),
        [&](QPdfWriter& pdf) {
            QPainter painter;
            if (!painter.begin(&pdf)) return false;
            painter.drawImage(QRect(QPoint(0, 0), image.size()), image);
            return painter.end();
        },
        error);
}

} // namespace

Experiment MainWindow::experiment(bool withResults) const
{
    Experiment e = m_panel->experiment();
    if (withResults && !isRunning() && resultFitsPanel()) e.results = m_lastFinished;
    e.trajectoryFunction = m_trajectories->functionSpec().toStdString();
    const QPointF start = m_trajectories->startPoint();
    e.trajectoryStart = {start.x(), start.y()};
    try {
        e.metaTrain = m_metaTrain->config();
    } catch (const Error&) { // a bad field there: the defaults, rather than no file at all
    }
    e.view = viewName(currentView());
    return e;
}

void MainWindow::applyExperiment(const Experiment& e)
{
    e.validate();
    m_panel->setExperiment(e); // throws before changing anything if the problem is unknown
    m_trajectories->setFunctionSpec(QString::fromStdString(e.trajectoryFunction));
    m_trajectories->setStartPoint(QPointF(e.trajectoryStart[0], e.trajectoryStart[1]));
    MetaTrainConfig train = e.metaTrain;
    train.problem = e.eval.problem;
    if (!m_metaTrain->isTraining()) m_metaTrain->setConfig(train);
    for (int i = 0; i < kViewCount; ++i)
        if (e.view == viewName(View(i))) showView(View(i));
    syncViews();
    if (currentView() == Graph) syncGraph(); // already shown: no tab change to sync it
    if (e.results && !isRunning()) {         // saved with its results: show them at once, as a finished run would
        m_lastFinished = e.results;
        m_compare->showResult(*m_lastFinished);
        m_panel->setStatus(tr("Showing the results saved with the experiment; Run computes them again."));
    }
}

bool MainWindow::openFile(const QString& path)
{
    try {
        const std::string text = readFile(path.toStdString());
        const std::string format = fileFormatOf(text);
        if (format == "l2l-experiment") {
            const Experiment e = experimentFromJson(text, path.toStdString());
            checkOptimizerFiles(e, "experiment file '" + path.toStdString() + "'");
            applyExperiment(e);
            m_experimentPath = path;
            setWindowTitle(
                e.title.empty()
                    ? tr("%1 — L2L Studio").arg(QFileInfo(path).fileName())
                    : tr("%1 — %2 — L2L Studio").arg(QString::fromStdString(e.title), QFileInfo(path).fileName()));
            m_panel->appendLog(tr("opened experiment %1").arg(path));
        } else if (format == "l2l-lesson") {
            return openLesson(path); // names the file and the slide itself
        } else if (format == "l2l-optimizer") {
            const OptimizerFile file = optimizerFromJson(text, path.toStdString()); // checks shapes, finiteness
            m_panel->setOptimizerFile(path);
            m_panel->appendLog(tr("LSTM optimizer from %1 (trained on %2)")
                                   .arg(path, QString::fromStdString(file.provenance.training.problem)));
        } else if (format.empty()) {
            if (text.empty()) throw Error("'" + path.toStdString() + "' is not an l2l file: it is empty");
            // Not JSON (truncated, a NaN written as a number, another kind of file): the parser's line and column.
            (void)parseJsonLimited(text, "'" + path.toStdString() + "'");
            throw Error("'" + path.toStdString() + "' is not an l2l file: it has no \"format\" field");
        } else {
            throw Error("'" + path.toStdString() + "' is a \"" + format +
                        "\" file; the studio opens experiments (l2l-experiment), lessons (l2l-lesson) and optimizers "
                        "(l2l-optimizer)");
        }
    } catch (const Error& e) {
        showError(tr("Cannot open: %1").arg(QString::fromStdString(e.what())));
        return false;
    }
    statusBar()->showMessage(tr("Opened %1").arg(path), 5000);
    if (!QFileInfo(path).absoluteFilePath().startsWith(QDir(QString::fromStdString(resourceDir())).absolutePath()))
        addRecent(path); // bundled files are in Examples, not in Recent
    emit fileOpened(path);
    return true;
}

QList<QPair<QString, QString>> MainWindow::examples()
{
    QList<QPair<QString, QString>> list;
    const QDir dir(QString::fromStdString(resourceDir()) + QStringLiteral("/examples"));
    for (const QFileInfo& f : dir.entryInfoList({QStringLiteral("*.json")}, QDir::Files, QDir::Name)) {
        QString title = f.completeBaseName();
        try {
            const Experiment e = loadExperiment(f.absoluteFilePath().toStdString());
            if (!e.title.empty()) title = QString::fromStdString(e.title);
        } catch (const Error&) { // listed under its file name; opening it names the problem
        }
        list.append({title, f.absoluteFilePath()});
    }
    return list;
}

bool MainWindow::openExample(const QString& path)
{
    if (!openFile(path)) return false;
    m_experimentPath.clear(); // Save asks where: the bundled example stays as shipped
    m_panel->appendLog(tr("example opened; press Run (Ctrl+R) to compute it"));
    return true;
}

void MainWindow::addRecent(const QString& path)
{
    const QString abs = QFileInfo(path).absoluteFilePath();
    m_recent.removeAll(abs);
    m_recent.prepend(abs);
    while (m_recent.size() > 10) m_recent.removeLast();
    if (m_settings) m_settings->setValue(QStringLiteral("recentFiles"), m_recent);
}

void MainWindow::fillRecentMenu()
{
    m_recentMenu->clear();
    for (const QString& path : m_recent) {
        auto* a = m_recentMenu->addAction(QFileInfo(path).fileName(), this, [this, path] { openFile(path); });
        a->setToolTip(path);
        a->setStatusTip(path);
    }
    if (m_recent.isEmpty()) m_recentMenu->addAction(tr("(none yet)"))->setEnabled(false);
    m_recentMenu->addSeparator();
    m_recentMenu->addAction(tr("Clear the list"), this, [this] {
        m_recent.clear();
        if (m_settings) m_settings->remove(QStringLiteral("recentFiles"));
    });
}

bool MainWindow::saveExperimentTo(const QString& path)
{
    Experiment e = experiment(true); // with the comparison's results when they belong to these settings
    QString what =
        e.results ? tr("Saved %1 with the results of %2 × %3")
                        .arg(path, QString::fromStdString(countOf(long(e.results->optimizers.size()), "optimizer")),
                             QString::fromStdString(countOf(e.results->config.runs, "run")))
                  : tr("Saved %1 (settings only: no comparison of these settings has run)").arg(path);
    if (e.results && experimentToJson(e).size() > kMaxExperimentFileBytes) {
        e.results.reset(); // a file the studio could not read back: keep the settings, say so
        what = tr("Saved %1 without its results: with them it would exceed the %2 MiB an experiment file may have")
                   .arg(path)
                   .arg(kMaxExperimentFileBytes >> 20);
    }
    // An optimizer trained here lives in the studio's data folder: an experiment naming it there could not be moved or
    // shared. It gets a copy beside the experiment ('<experiment>-<file>'), which the experiment names relative to
    // itself; a copy made here is removed again if the experiment cannot be written.
    QStringList made;
    try {
        const QFileInfo info(path);
        for (OptimizerChoice& o : e.optimizers) {
            const QString from = QString::fromStdString(o.path);
            if (!o.enabled || !m_metaTrain->isSessionOptimizer(from)) continue;
            const std::string bytes = readFile(o.path, kMaxOptimizerFileBytes);
            const QString stem = info.absolutePath() + QLatin1Char('/') + info.baseName() + QLatin1Char('-') +
                                 QFileInfo(from).completeBaseName();
            QString copy = stem + QStringLiteral(".json");
            for (int n = 2; QFileInfo::exists(copy); ++n) {
                if (readFile(copy.toStdString(), kMaxOptimizerFileBytes) == bytes) break; // saved before: reused
                copy = stem + QStringLiteral("-%1.json").arg(n);
            }
            if (!QFileInfo::exists(copy)) {
                writeFileAtomically(copy.toStdString(), bytes);
                made << copy;
            }
            o.path = copy.toStdString();
        }
        saveExperiment(path.toStdString(), e); // validates; atomic
    } catch (const Error& err) {
        for (const QString& copy : made) QFile::remove(copy);
        showError(tr("Cannot save the experiment: %1").arg(QString::fromStdString(err.what())));
        return false;
    }
    for (const QString& copy : made) what += tr("; the optimizer trained here is copied beside it: %1").arg(copy);
    m_experimentPath = path;
    setWindowTitle(tr("%1 — L2L Studio").arg(QFileInfo(path).fileName()));
    statusBar()->showMessage(what, 8000);
    m_panel->appendLog(what);
    addRecent(path);
    return true;
}

bool MainWindow::exportPlotTo(const QString& path)
{
    const QString suffix = suffixOf(path);
    if (suffix != QLatin1String("png") && suffix != QLatin1String("pdf")) {
        showError(tr("Cannot export to '%1': the file name must end in .png or .pdf").arg(path));
        return false;
    }
    QString error;
    bool ok = false;
    switch (currentView()) {
    case Compare:
        ok = savePlots({m_compare->plot()}, path, &error);
        break;
    case MetaTrain:
        ok = savePlots({m_metaTrain->plot()}, path, &error);
        break;
    case Inspect:
        ok = savePlots(m_inspect->plots(), path, &error, m_inspect->summary());
        break;
    case Trajectories: {
        const QImage landscape = m_trajectories->landscape()->renderLandscape();
        const QString title = tr("%1 · step %2 of %3")
                                  .arg(m_trajectories->functionSpec())
                                  .arg(m_trajectories->currentStep())
                                  .arg(m_trajectories->stepCount());
        ok = saveImage(titled(landscape, title, landscape.devicePixelRatio()), path, &error);
        break;
    }
    case Art: {
        const QImage canvas = m_art->canvas()->renderCanvas();
        ok = saveImage(titled(canvas, m_art->problemSpec(), canvas.devicePixelRatio()), path, &error);
        break;
    }
    case Graph:
        ok = saveImage(m_graph->canvas()->grab().toImage(), path, &error);
        break;
    case Transfer:
        ok = m_transfer->exportMap(path, &error); // PNG at twice its pixels, or a vector PDF
        break;
    }
    if (!ok) {
        showError(tr("Cannot export the plot: %1").arg(error));
        return false;
    }
    statusBar()->showMessage(tr("Exported %1").arg(path), 5000);
    return true;
}

bool MainWindow::exportCsvTo(const QString& path)
{
    QString error;
    bool ok = false;
    switch (currentView()) {
    case Compare:
        ok = m_compare->exportCsv(path, &error);
        break;
    case MetaTrain:
        ok = m_metaTrain->exportCsv(path, &error);
        break;
    case Trajectories:
        ok = m_trajectories->exportCsv(path, &error);
        break;
    case Inspect:
        ok = m_inspect->exportCsv(path, &error);
        break;
    case Art:
        ok = m_art->exportCsv(path, &error);
        break;
    case Transfer:
        ok = m_transfer->exportCsv(path, &error);
        break;
    case Graph:
        ok = m_graph->exportCsv(path, &error);
        break;
    }
    if (!ok) {
        showError(tr("Cannot export the data: %1").arg(error));
        return false;
    }
    statusBar()->showMessage(tr("Exported %1").arg(path), 5000);
    return true;
}

QString MainWindow::dialogDir() const
{
    const QString last = m_settings ? m_settings->value(QStringLiteral("lastDir")).toString() : QString();
    if (!last.isEmpty() && QFileInfo(last).isDir()) return last;
    const QString documents = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    return !documents.isEmpty() && QFileInfo(documents).isDir() ? documents : QDir::homePath();
}

void MainWindow::openDialog()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Open experiment or optimizer"), dialogDir(),
                                                      tr("L2L files (*.json);;All files (*)"));
    if (path.isEmpty()) return;
    if (m_settings) m_settings->setValue(QStringLiteral("lastDir"), QFileInfo(path).absolutePath());
    openFile(path);
}

void MainWindow::saveDialog(bool askPath)
{
    QString path = m_experimentPath;
    if (askPath || path.isEmpty())
        path = QFileDialog::getSaveFileName(this, tr("Save experiment"), dialogDir() + "/experiment.l2l.json",
                                            tr("Experiment files (*.json)"));
    if (path.isEmpty()) return;
    if (m_settings) m_settings->setValue(QStringLiteral("lastDir"), QFileInfo(path).absolutePath());
    saveExperimentTo(path);
}

void MainWindow::exportPlotDialog()
{
    const QString name = QString::fromLatin1(viewName(currentView()));
    const QString path = QFileDialog::getSaveFileName(this, tr("Export plot"), dialogDir() + "/" + name + ".png",
                                                      tr("PNG image (*.png);;PDF document (*.pdf)"));
    if (path.isEmpty()) return;
    // The next dialog opens here (exports always opened in the home folder).
    if (m_settings) m_settings->setValue(QStringLiteral("lastDir"), QFileInfo(path).absolutePath());
    exportPlotTo(path);
}

void MainWindow::exportCsvDialog()
{
    const QString name = QString::fromLatin1(viewName(currentView()));
    const QString path = QFileDialog::getSaveFileName(this, tr("Export data"), dialogDir() + "/" + name + ".csv",
                                                      tr("CSV files (*.csv)"));
    if (path.isEmpty()) return;
    if (m_settings) m_settings->setValue(QStringLiteral("lastDir"), QFileInfo(path).absolutePath());
    exportCsvTo(path);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event)
{
    for (const QUrl& url : event->mimeData()->urls()) {
        if (!url.isLocalFile()) {
            showError(tr("Cannot open '%1': only local files can be dropped").arg(url.toString()));
            continue;
        }
        openFile(url.toLocalFile());
    }
    event->acceptProposedAction();
}

void MainWindow::restoreSettings()
{
    if (!m_settings) return;
    restoreGeometry(m_settings->value(QStringLiteral("geometry")).toByteArray());
    restoreState(m_settings->value(QStringLiteral("windowState")).toByteArray());
    for (const QString& path : m_settings->value(QStringLiteral("recentFiles")).toStringList())
        if (m_recent.size() < 10 && !m_recent.contains(path)) m_recent.append(path);
    Theme::Kind theme = Theme::Light;
    if (Theme::fromName(m_settings->value(QStringLiteral("presentation/theme")).toString(), &theme))
        Theme::setKind(theme);
    Theme::setScale(m_settings->value(QStringLiteral("presentation/scale"), 1.0).toDouble());
    Theme::setBoldPaths(m_settings->value(QStringLiteral("presentation/boldPaths"), false).toBool());
    showPresentationState();
    if (Theme::kind() != Theme::Light || Theme::scale() != 1.0 || Theme::boldPaths()) applyPresentation();
    // The Art view's own settings (size, steps, content, style; an experiment file does not hold them).
    m_art->setImageSpec(m_settings->value(QStringLiteral("art/spec")).toString());
    m_art->setSteps(m_settings->value(QStringLiteral("art/steps"), m_art->steps()).toInt());
    const QString json = m_settings->value(QStringLiteral("experiment")).toString();
    if (json.isEmpty()) return;
    try {
        applyExperiment(experimentFromJson(json.toStdString(), "the saved settings"));
    } catch (const Error& e) { // settings from another version, say: start from the defaults
        m_panel->appendLog(tr("last settings not restored: %1").arg(QString::fromStdString(e.what())));
    }
}

void MainWindow::saveSettings() const
{
    if (!m_settings) return;
    m_settings->setValue(QStringLiteral("geometry"), saveGeometry());
    m_settings->setValue(QStringLiteral("windowState"), saveState());
    m_settings->setValue(QStringLiteral("experiment"), QString::fromStdString(experimentToJson(experiment())));
    m_settings->setValue(QStringLiteral("art/spec"), m_art->problemSpec());
    m_settings->setValue(QStringLiteral("art/steps"), m_art->steps());
    m_settings->sync();
}

} // namespace l2l::ui
