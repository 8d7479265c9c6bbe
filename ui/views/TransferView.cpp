#include "views/TransferView.h"

#include "io/EvalCsv.h"
#include "optimizers/OptimizerFile.h"
#include "plots/SaveText.h"
#include "plots/TransferMap.h"
#include "workers/Runner.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHelpEvent>
#include <QLabel>
#include <QListWidget>
#include <QMouseEvent>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QStandardPaths>
#include <QToolTip>
#include <QVBoxLayout>

#include <cmath>

namespace l2l::ui {

namespace {
// The problem whose bundled optimizer a family starts with.
std::string familyProblem(const std::string& family) { return family == "2d" ? "quadratic2d" : family; }

// What Compute runs: the family's grid at 100 steps, evaluation seed 101, the default baselines and rate search.
// Throws l2l::Error on an unknown family.
TransferConfig viewConfig(const std::string& family, int runs, const std::vector<std::string>& files)
{
    TransferConfig c;
    c.optimizers = files;
    c.runs = runs; // seed: TransferConfig's, 101
    c.variants = transferGrid(family, 100);
    return c;
}

QStringList fileStamps(const std::vector<std::string>& files)
{
    QStringList out;
    for (const auto& f : files) {
        const QFileInfo info(QString::fromStdString(f));
        out << QStringLiteral("%1|%2|%3")
                   .arg(info.absoluteFilePath())
                   .arg(info.size())
                   .arg(info.lastModified().toMSecsSinceEpoch());
    }
    return out;
}
} // namespace

TransferMapWidget::TransferMapWidget(QWidget* parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("transferMap"));
    setMouseTracking(true);
    setAccessibleName(tr("Transfer heat map"));
}

void TransferMapWidget::setResult(std::shared_ptr<const TransferResult> r, const QString& title)
{
    m_result = std::move(r);
    m_title = title;
    updateGeometry();
    update();
}

QSize TransferMapWidget::sizeHint() const { return m_result ? transferMapSize(*m_result) : QSize(480, 240); }

QSize TransferMapWidget::minimumSizeHint() const { return sizeHint(); }

void TransferMapWidget::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    if (!m_result || m_result->completedVariants == 0) {
        p.fillRect(rect(), palette().base());
        p.setPen(palette().text().color());
        p.drawText(rect().adjusted(12, 12, -12, -12), Qt::AlignCenter | Qt::TextWordWrap,
                   m_title.isEmpty() ? tr("Choose optimizer files and a family of problems, then Compute: each cell "
                                          "compares one optimizer with the best tuned baseline on one variant.")
                                     : m_title);
        return;
    }
    paintTransferMap(p, rect(), *m_result, m_title);
}

void TransferMapWidget::mousePressEvent(QMouseEvent* event)
{
    if (!m_result || event->button() != Qt::LeftButton) return;
    const auto [v, c] = transferCellAt(rect(), *m_result, event->position().toPoint());
    if (v >= 0) emit cellClicked(v, c);
}

bool TransferMapWidget::event(QEvent* event)
{
    if (event->type() == QEvent::ToolTip && m_result) {
        auto* help = static_cast<QHelpEvent*>(event);
        const auto [v, c] = transferCellAt(rect(), *m_result, help->pos());
        if (v < 0) {
            QToolTip::hideText();
            event->ignore();
            return true;
        }
        const TransferVariant& var = m_result->config.variants[size_t(v)];
        const TransferCell& cell = m_result->cells[size_t(v)][size_t(c)];
        QToolTip::showText(
            help->globalPos(),
            tr("%1, %2 steps\n%3: mean final loss %4\nbest tuned baseline %5 (lr %6): %7\nratio %8, "
               "lower in %9 of %10 runs, paired p %11\nclick: open this comparison in Compare")
                .arg(QString::fromStdString(var.problem))
                .arg(var.steps)
                .arg(QFileInfo(QString::fromStdString(m_result->config.optimizers[size_t(c)])).fileName())
                .arg(cell.learnedFinal, 0, 'g', 4)
                .arg(QString::fromStdString(cell.baseline))
                .arg(cell.baselineRate, 0, 'g', 3)
                .arg(cell.baselineFinal, 0, 'g', 4)
                .arg(cell.ratio, 0, 'g', 3)
                .arg(cell.won)
                .arg(cell.pairs)
                .arg(cell.p, 0, 'g', 2),
            this);
        return true;
    }
    return QWidget::event(event);
}

TransferView::TransferView(QWidget* parent)
    : QWidget(parent), m_runner(new Runner(QStringLiteral("l2l-transfer"), this))
{
    m_family = new QComboBox;
    m_family->setObjectName(QStringLiteral("transferFamily"));
    m_family->setAccessibleName(tr("Problem family"));
    for (const auto& f : transferFamilies()) m_family->addItem(QString::fromStdString(f));
    m_family->setToolTip(tr("The grid of variants: quadratic (dimension, scale, horizon), mnist (width, depth, "
                            "activation, data, scale, horizon), convnet, neural-art, 2d (every 2-d function)"));
    m_runs = new QSpinBox;
    m_runs->setObjectName(QStringLiteral("transferRuns"));
    m_runs->setAccessibleName(tr("Runs per variant"));
    m_runs->setRange(2, 1000);
    m_runs->setValue(20);
    m_files = new QListWidget;
    m_files->setObjectName(QStringLiteral("transferFiles"));
    m_files->setAccessibleName(tr("Optimizer files"));
    m_files->setMaximumHeight(90);
    m_files->setToolTip(tr("The learned optimizers compared: one column of the heat map each"));
    m_add = new QPushButton(tr("Add file…"));
    m_remove = new QPushButton(tr("Remove"));
    m_open = new QPushButton(tr("Open result…"));
    m_open->setObjectName(QStringLiteral("transferOpen"));
    m_open->setToolTip(tr("Show a transfer file written by l2l transfer --json (or scripts/reproduce.sh transfer): its "
                          "heat map, and a click on a cell opens that comparison"));
    m_compute = new QPushButton(tr("Compute"));
    m_compute->setObjectName(QStringLiteral("transferCompute"));
    m_stop = new QPushButton(tr("Stop"));
    m_stop->setObjectName(QStringLiteral("transferStop"));
    m_stop->setEnabled(false);
    m_reuse = new QCheckBox(tr("Reuse its baselines"));
    m_reuse->setObjectName(QStringLiteral("transferReuseBaselines"));
    m_reuse->setEnabled(false);
    m_reuse->setToolTip(tr("Search no rate: each variant's best baseline in the opened result (a finished transfer "
                           "of these settings) is run again at its recorded rate, and must end within 1 % of it. "
                           "Adds optimizers to a matrix without its hours of tuning (l2l transfer --baselines-from)"));
    m_progress = new QProgressBar;
    m_progress->setObjectName(QStringLiteral("transferProgress"));
    m_progress->setRange(0, 1000);
    m_progress->setValue(0);
    m_progress->setFormat(tr("%p % of the grid")); // "0 % …" before a run: a bar, not an empty text field
    m_status = new QLabel(tr("Not computed yet."));
    m_status->setObjectName(QStringLiteral("transferStatus"));
    m_status->setWordWrap(true);
    m_map = new TransferMapWidget;
    auto* scroll = new QScrollArea;
    scroll->setWidget(m_map);
    scroll->setWidgetResizable(true);
    scroll->setAlignment(Qt::AlignLeft | Qt::AlignTop);

    auto* controls = new QHBoxLayout;
    auto* form = new QVBoxLayout;
    auto* row = new QHBoxLayout;
    row->addWidget(new QLabel(tr("Family")));
    row->addWidget(m_family);
    row->addWidget(new QLabel(tr("Runs")));
    row->addWidget(m_runs);
    row->addWidget(m_reuse);
    row->addStretch(1);
    form->addLayout(row);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_add);
    buttons->addWidget(m_remove);
    buttons->addWidget(m_open);
    buttons->addStretch(1);
    buttons->addWidget(m_compute);
    buttons->addWidget(m_stop);
    form->addLayout(buttons);
    controls->addLayout(form);
    controls->addWidget(m_files, 1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(controls);
    layout->addWidget(m_progress);
    layout->addWidget(m_status);
    layout->addWidget(scroll, 1);

    connect(m_family, &QComboBox::currentIndexChanged, this, &TransferView::familyChanged);
    connect(m_add, &QPushButton::clicked, this, [this] {
        const QString dir = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
        const QStringList files =
            QFileDialog::getOpenFileNames(this, tr("Add optimizer files"), dir, tr("Optimizer files (*.json)"));
        for (const QString& f : files) m_files->addItem(f);
    });
    connect(m_remove, &QPushButton::clicked, this, [this] { delete m_files->currentItem(); });
    connect(m_open, &QPushButton::clicked, this, [this] {
        const QString dir = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
        const QString file =
            QFileDialog::getOpenFileName(this, tr("Open a transfer result"), dir, tr("Transfer results (*.json)"));
        if (!file.isEmpty()) openFile(file);
    });
    connect(m_compute, &QPushButton::clicked, this, &TransferView::compute);
    connect(m_stop, &QPushButton::clicked, this, &TransferView::stop);
    connect(m_map, &TransferMapWidget::cellClicked, this, [this](int v, int c) {
        const TransferResult* r = m_map->result();
        if (!r) return;
        const TransferVariant& var = r->config.variants[size_t(v)];
        const QString file = QString::fromStdString(r->config.optimizers[size_t(c)]);
        if (!QFileInfo::exists(file)) { // said at once, not after the baselines' rate searches
            const QString message = tr("cannot open this cell: the optimizer file '%1' does not exist").arg(file);
            m_status->setText(message);
            emit failed(message);
            return;
        }
        emit openComparison(QString::fromStdString(var.problem), var.steps, r->config.runs, r->config.seed,
                            QString::fromStdString(r->config.optimizers[size_t(c)]));
    });
    connect(m_runner, &Runner::snapshot, this, [this](const QVariant& v) {
        if (const auto* p = variantValue<TransferProgress>(v)) {
            m_progress->setValue(int(std::lround(1000 * p->share)));
            m_status->setText(tr("Variant %1 of %2, %3: %4 (%5 % of the grid)")
                                  .arg(p->variant + 1)
                                  .arg(p->variants)
                                  .arg(QString::fromStdString(p->label), QString::fromStdString(p->detail))
                                  .arg(100 * p->share, 0, 'f', 0));
            emit progressed(p->variant, p->variants);
        } else if (const auto* r = variantValue<std::shared_ptr<const TransferResult>>(v)) {
            m_map->setResult(
                *r,
                tr("Transfer: %1 runs per variant, seed %2 (so far)").arg((*r)->config.runs).arg((*r)->config.seed));
        }
    });
    connect(m_runner, &Runner::finished, this, [this](const QVariant& v, bool aborted) {
        setComputing(false);
        if (const auto* r = variantValue<std::shared_ptr<const TransferResult>>(v)) {
            const auto& res = **r;
            m_map->setResult(*r, tr("Transfer: %1 runs per variant, seed %2%3")
                                     .arg(res.config.runs)
                                     .arg(res.config.seed)
                                     .arg(res.cancelled ? tr(" (stopped)") : QString()));
            // A stop drops the variant under way: the bar counts the variants kept (it stayed at the work done,
            // '52 % of the grid' with 6 of 13 variants kept).
            const int variants = std::max<int>(1, int(res.config.variants.size()));
            m_progress->setValue(res.cancelled ? 1000 * res.completedVariants / variants : 1000);
            m_progress->setFormat(res.cancelled ? tr("%1 of %2 variants kept").arg(res.completedVariants).arg(variants)
                                                : tr("%p % of the grid"));
            m_status->setText(
                res.cancelled || aborted
                    ? tr("Stopped after %1 of %2 variants.%3")
                          .arg(res.completedVariants)
                          .arg(res.config.variants.size())
                          .arg(res.completedVariants > 0
                                   ? tr(" Compute goes on from variant %1 while the family, runs and files stay "
                                        "the same.")
                                         .arg(res.completedVariants + 1)
                                   : QString())
                    : tr("Done: %1 variants. Click a cell to open that comparison in Compare.")
                          .arg(res.completedVariants));
        }
        emit computed();
    });
    connect(m_runner, &Runner::failed, this, [this](const QString& message) {
        setComputing(false);
        m_status->setText(tr("Transfer failed: %1").arg(message));
        emit failed(message);
    });
    familyChanged();
}

void TransferView::familyChanged()
{
    // The family's bundled optimizer, unless the user has chosen files.
    if (m_files->count() > 1) return;
    m_files->clear();
    try {
        m_files->addItem(
            QString::fromStdString(bundledOptimizerPath(familyProblem(m_family->currentText().toStdString()))));
    } catch (const Error&) {
    }
}

void TransferView::setOptimizers(const QStringList& files)
{
    m_files->clear();
    m_files->addItems(files);
}

QStringList TransferView::optimizers() const
{
    QStringList out;
    for (int i = 0; i < m_files->count(); ++i) out << m_files->item(i)->text();
    return out;
}

void TransferView::setFamily(const QString& family) { m_family->setCurrentText(family); }
void TransferView::setRuns(int runs) { m_runs->setValue(runs); }
bool TransferView::isComputing() const { return m_runner->isBusy(); }

void TransferView::setComputing(bool on)
{
    m_compute->setEnabled(!on && m_blocked.isEmpty());
    m_stop->setEnabled(on);
    m_family->setEnabled(!on);
    m_runs->setEnabled(!on);
    m_add->setEnabled(!on);
    m_remove->setEnabled(!on);
    m_open->setEnabled(!on);
    m_reuse->setEnabled(!on && !m_baselinesSource.isEmpty());
    emit computingChanged(on);
}

void TransferView::setStartBlocked(const QString& reason)
{
    m_blocked = reason;
    m_compute->setEnabled(!isComputing() && reason.isEmpty());
    m_compute->setToolTip(reason.isEmpty() ? tr("Compute the heat map: every optimizer on every variant against the "
                                                "tuned baselines (Ctrl+R in this view)")
                                           : reason);
}

void TransferView::stop() { m_runner->abort(); }

bool TransferView::openFile(const QString& path, QString* error)
{
    if (isComputing()) {
        if (error) *error = tr("a transfer is being computed; stop it first");
        return false;
    }
    std::shared_ptr<const TransferResult> r;
    try {
        TransferResult read = readTransfer(path.toStdString());
        // Optimizer files named relative to where l2l transfer ran (scripts/reproduce.sh runs in the source tree:
        // "resources/optimizers/mnist.json"): found from here, else beside the file or in its nearest folder above
        // that holds them, and kept absolute, so that a cell opens whatever the studio's working directory.
        for (std::string& file : read.config.optimizers) {
            const QString name = QString::fromStdString(file);
            if (QFileInfo(name).isAbsolute()) continue;
            QString found = QFileInfo::exists(name) ? QFileInfo(name).absoluteFilePath() : QString();
            for (QDir dir = QFileInfo(path).absoluteDir(); found.isEmpty(); dir.cdUp()) {
                if (QFileInfo::exists(dir.filePath(name))) found = QDir::cleanPath(dir.filePath(name));
                if (dir.isRoot()) break;
            }
            if (!found.isEmpty()) file = found.toStdString();
        }
        r = std::make_shared<const TransferResult>(std::move(read));
    } catch (const Error& e) {
        // The shown map and settings stay as they were.
        const QString message = QString::fromStdString(e.what());
        m_status->setText(tr("Cannot open: %1").arg(message));
        if (error) *error = message;
        emit failed(message);
        return false;
    }
    const TransferConfig& c = r->config;
    // The settings follow the file only when it is a transfer the view computes itself (Compute's config:
    // a family's grid at 100 steps, seed 101, the default baselines and rate search), so that Compute goes on from
    // a stopped file of it; any other file is shown, and Compute runs the view's own settings.
    bool adopted = false;
    try {
        const std::string family = transferFamilyOf(c.variants.front().problem);
        if (sameTransfer(c, viewConfig(family, c.runs, c.optimizers)) && c.runs >= m_runs->minimum() &&
            c.runs <= m_runs->maximum()) {
            m_family->setCurrentText(QString::fromStdString(family));
            m_runs->setValue(c.runs);
            QStringList files;
            for (const auto& f : c.optimizers) files << QString::fromStdString(f);
            setOptimizers(files);
            adopted = true;
        }
    } catch (const Error&) {
    }
    m_opened = adopted ? r : nullptr;
    m_openedPath = path;
    m_baselinesSource = adopted && !r->cancelled ? path : QString();
    m_reuse->setEnabled(!m_baselinesSource.isEmpty());
    if (m_baselinesSource.isEmpty()) m_reuse->setChecked(false);
    const QString name = QFileInfo(path).fileName();
    m_map->setResult(r, tr("%1: %2 runs per variant, seed %3%4")
                            .arg(name)
                            .arg(c.runs)
                            .arg(c.seed)
                            .arg(r->cancelled ? tr(" (stopped)") : QString()));
    m_progress->setValue(int(std::lround(1000.0 * r->completedVariants / double(c.variants.size()))));
    m_status->setText(
        (r->cancelled ? tr("Opened %1: %2 of %3 variants (the run stopped before the rest).")
                            .arg(name)
                            .arg(r->completedVariants)
                            .arg(c.variants.size())
                      : tr("Opened %1: %2 variants.").arg(name).arg(r->completedVariants)) +
        (c.baselinesFrom.empty()
             ? QString()
             : tr(" No rate was searched: each variant's baseline is the best in %1, run again at its recorded rate.")
                   .arg(QString::fromStdString(c.baselinesFrom))) +
        tr(" Click a cell to open that comparison in Compare.") +
        (!adopted ? tr(" Its settings are not the view's (seed 101, 100 steps, the default rate search): Compute runs "
                       "the view's own.")
         : r->cancelled ? tr(" Compute goes on from variant %1.").arg(r->completedVariants + 1)
                        : QString()));
    return true;
}

bool TransferView::exportMap(const QString& path, QString* error) const
{
    const TransferResult* r = m_map->result();
    if (!r || r->completedVariants == 0) {
        if (error) *error = tr("nothing to export: no transfer has been computed");
        return false;
    }
    try {
        saveTransferMap(*r, path, tr("Transfer: %1 runs per variant, seed %2").arg(r->config.runs).arg(r->config.seed));
    } catch (const Error& e) {
        if (error) *error = QString::fromStdString(e.what());
        return false;
    }
    return true;
}

bool TransferView::exportCsv(const QString& path, QString* error) const
{
    const TransferResult* r = m_map->result();
    if (!r || r->completedVariants == 0) {
        if (error) *error = tr("nothing to export: no transfer has been computed");
        return false;
    }
    return saveTextFile(path, QByteArray::fromStdString(transferCsv(*r)), error);
}

void TransferView::compute()
{
    if (isComputing() || !m_blocked.isEmpty()) return;
    std::vector<std::string> files;
    for (const QString& f : optimizers()) files.push_back(f.toStdString());
    const std::string family = m_family->currentText().toStdString();
    TransferConfig c;
    try {
        c = viewConfig(family, m_runs->value(), files);
        if (m_reuse->isChecked() && !m_baselinesSource.isEmpty()) c.baselinesFrom = m_baselinesSource.toStdString();
        for (const auto& f : c.optimizers) (void)loadOptimizer(f);
        c.validate();
    } catch (const Error& e) {
        m_status->setText(tr("Cannot compute: %1").arg(QString::fromStdString(e.what())));
        emit failed(QString::fromStdString(e.what()));
        return;
    }
    // Go on from a stopped run of the same transfer (its finished variants are what this run would compute).
    const QStringList stamps = fileStamps(c.optimizers);
    std::shared_ptr<const TransferResult> done; // shared with the map, which no one changes (results are const)
    QString fresh;                              // why an opened file is not continued
    const auto& prev = m_map->sharedResult();
    if (prev && prev == m_opened) {
        // An opened file is continued as `l2l transfer --resume` would: re-read, each finished variant's problem
        // resolved here (other data: refused), its optimizer files matched by digest where it records them (a
        // file moved since is accepted, a changed one refused), and the refusal shown when it does not fit.
        if (prev->cancelled && prev->completedVariants > 0) {
            try {
                done = std::make_shared<const TransferResult>(resumeTransfer(m_openedPath.toStdString(), c));
            } catch (const Error& e) {
                fresh = QString::fromStdString(e.what());
            }
        }
    } else if (prev && prev->cancelled && prev->completedVariants > 0 && stamps == m_stamps &&
               sameTransfer(prev->config, c)) {
        done = prev;
    }
    m_opened = nullptr;
    m_stamps = stamps;
    m_progress->setFormat(tr("%p % of the grid"));
    if (done) {
        m_status->setText(tr("Continuing: %1 of %2 variants kept from the stopped run")
                              .arg(done->completedVariants)
                              .arg(c.variants.size()));
    } else {
        m_progress->setValue(0);
        m_map->setResult(nullptr, tr("Computing the first variant…"));
        m_status->setText(
            tr("Starting: %1 variants of %2").arg(c.variants.size()).arg(QString::fromStdString(family)) +
            (c.baselinesFrom.empty()
                 ? QString()
                 : tr(", no rate search: the baselines of %1").arg(QFileInfo(m_baselinesSource).fileName())) +
            (fresh.isEmpty() ? QString() : tr(" (the opened file cannot be continued: %1)").arg(fresh)));
    }
    m_runner->request([c, done](Runner::Control& control) {
        auto r = std::make_shared<TransferResult>(computeTransfer(
            c, {}, [&](const TransferProgress& p) { control.send(QVariant::fromValue(p)); },
            [&](const TransferResult& partial) {
                control.send(QVariant::fromValue(
                                 std::shared_ptr<const TransferResult>(std::make_shared<TransferResult>(partial))),
                             true);
            },
            control.abortFlag(), done.get()));
        return QVariant::fromValue(std::shared_ptr<const TransferResult>(r));
    });
    setComputing(true); // after the request: isComputing() is true for whoever hears computingChanged
}

} // namespace l2l::ui
