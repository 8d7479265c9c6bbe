#include "views/ExperimentPanel.h"

#include "views/ElidedLabel.h"

#include "optimizers/OptimizerFile.h"
#include "views/SpinBox.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollBar>
#include <QSpinBox>
#include <QStringList>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <climits>
#include <cmath>

namespace l2l::ui {

namespace {

// The range UpdateRuleConfig::parse accepts for "lr".
constexpr double kMaxRate = 1e4;

QString optionDefaults(const std::vector<OptionInfo>& options)
{
    // The problem's own options; the scaling options every problem takes (fscale, xscale) are in the tooltip.
    QStringList parts;
    for (const auto& o : options)
        if (o.key != "fscale" && o.key != "xscale") parts << QString::fromStdString(o.key + "=" + o.defaultValue);
    return parts.join(QLatin1Char(','));
}

QString optionHelp(const std::vector<OptionInfo>& options)
{
    QStringList lines;
    for (const auto& o : options)
        lines << QString::fromStdString(o.key + " (default " + o.defaultValue + "): " + o.help);
    return lines.isEmpty() ? QStringLiteral("This problem has no options.") : lines.join(QLatin1Char('\n'));
}

} // namespace

QString parseRateField(const QString& text, const QString& optimizer)
{
    const QString t = text.trimmed();
    if (t.isEmpty() || t.compare(QLatin1String("tuned"), Qt::CaseInsensitive) == 0) return {};
    const std::string field = "learning rate of " + optimizer.toStdString();
    const double lr = parseDouble(t.toStdString(), field);
    if (!(lr > 0) || lr > kMaxRate)
        throw Error(field + " must be in (0, 10000] or empty for tuned, got '" + t.toStdString() + "'");
    return t;
}

ExperimentPanel::ExperimentPanel(QWidget* parent) : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    m_scopeNote = new QLabel;
    m_scopeNote->setObjectName(QStringLiteral("scopeNote"));
    m_scopeNote->setWordWrap(true);
    m_scopeNote->setVisible(false);
    // The palette's alternate base, not a style sheet: a sheet's palette() is resolved once, so the note stayed white
    // in the dark theme; a background role follows every palette change.
    m_scopeNote->setAutoFillBackground(true);
    m_scopeNote->setBackgroundRole(QPalette::AlternateBase);
    m_scopeNote->setMargin(4);
    layout->addWidget(m_scopeNote);
    layout->addWidget(m_problemBox = createProblemBox());
    layout->addWidget(m_optimizerBox = createOptimizerBox());
    updateLearnedDefault();
    layout->addWidget(createRunBox());

    m_run = new QPushButton(tr("Run"));
    m_run->setObjectName(QStringLiteral("runButton"));
    m_run->setToolTip(tr("Tune the missing learning rates, then run every optimizer on the same instances (Ctrl+R)"));
    m_stop = new QPushButton(tr("Stop"));
    m_stop->setObjectName(QStringLiteral("stopButton"));
    m_stop->setToolTip(tr("Stop after the step in progress (Esc)"));
    m_stop->setEnabled(false);
    connect(m_run, &QPushButton::clicked, this, &ExperimentPanel::runRequested);
    connect(m_stop, &QPushButton::clicked, this, &ExperimentPanel::stopRequested);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_run);
    buttons->addWidget(m_stop);
    layout->addLayout(buttons);

    m_status = new QLabel(tr("Ready."));
    m_status->setObjectName(QStringLiteral("statusLabel"));
    m_status->setWordWrap(true);
    layout->addWidget(m_status);
    m_progress = new QProgressBar;
    m_progress->setObjectName(QStringLiteral("runProgress"));
    m_progress->setRange(0, 1000);
    m_progress->setTextVisible(true);
    m_progress->setVisible(false); // shown while a run is under way
    layout->addWidget(m_progress);

    m_log = new QPlainTextEdit;
    m_log->setObjectName(QStringLiteral("logView"));
    m_log->setReadOnly(true);
    m_log->setTabChangesFocus(true);
    m_log->setMaximumBlockCount(2000);
    m_log->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    mono.setPointSizeF(mono.pointSizeF() * 0.9);
    m_log->setFont(mono);
    layout->addWidget(new QLabel(tr("Log")));
    layout->addWidget(m_log, 1);
}

QWidget* ExperimentPanel::createProblemBox()
{
    auto* box = new QGroupBox(tr("Problem"));
    auto* form = new QFormLayout(box);
    m_problem = new QComboBox;
    m_problem->setObjectName(QStringLiteral("problemCombo"));
    for (const auto& info : problemCatalog()) {
        const QString name = QString::fromStdString(info.name);
        m_problem->addItem(name, name);
        m_problem->setItemData(m_problem->count() - 1, QString::fromStdString(info.summary), Qt::ToolTipRole);
    }
    m_problem->setCurrentIndex(std::max(0, m_problem->findData(QStringLiteral("quadratic"))));
    m_options = new QLineEdit;
    m_options->setObjectName(QStringLiteral("optionsEdit"));
    m_options->setClearButtonEnabled(true);
    connect(m_problem, &QComboBox::currentIndexChanged, this, &ExperimentPanel::updateOptionHints);
    connect(m_problem, &QComboBox::currentIndexChanged, this, &ExperimentPanel::experimentChanged);
    connect(m_options, &QLineEdit::editingFinished, this, [this] {
        updateLstmSource();
        emit experimentChanged();
    });
    m_optionsError = new QLabel;
    m_optionsError->setObjectName(QStringLiteral("optionsError"));
    m_optionsError->setWordWrap(true);
    m_optionsError->setStyleSheet(QStringLiteral("QLabel { color: #b00020; }"));
    m_optionsError->setVisible(false);
    connect(m_options, &QLineEdit::textChanged, this, &ExperimentPanel::checkOptionsAsTyped);
    connect(m_problem, &QComboBox::currentIndexChanged, this, &ExperimentPanel::checkOptionsAsTyped);
    updateOptionHints();
    m_problem->setAccessibleName(tr("Problem"));
    m_options->setAccessibleName(tr("Problem options"));
    form->addRow(tr("Problem"), m_problem);
    form->addRow(tr("Options"), m_options);
    form->addRow(QString(), m_optionsError);
    return box;
}

QString ExperimentPanel::optionsProblem() const
{
    const QString options = m_options->text().trimmed();
    if (options.isEmpty()) return {};
    const std::string name = m_problem->currentData().toString().toStdString();
    try {
        checkProblemSpec(name + ":" + options.toStdString());
    } catch (const Error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

void ExperimentPanel::checkOptionsAsTyped()
{
    const QString problem = optionsProblem();
    m_optionsError->setText(problem);
    m_optionsError->setVisible(!problem.isEmpty());
    m_options->setStyleSheet(problem.isEmpty() ? QString()
                                               : QStringLiteral("QLineEdit { border: 2px solid #b00020; }"));
    m_options->setAccessibleDescription(problem);
}

void ExperimentPanel::updateOptionHints()
{
    const auto& info = problemCatalog().at(size_t(std::max(0, m_problem->currentIndex())));
    // Options the new problem does not have go, the others stay (mnist kept quadratic's 'dim=10' and showed it as
    // an error); a text that does not parse stays for the user to mend.
    try {
        Spec spec = Spec::parse(info.name + ":" + m_options->text().trimmed().toStdString());
        const auto known = [&](const auto& option) {
            return std::any_of(info.options.begin(), info.options.end(),
                               [&](const OptionInfo& o) { return o.key == option.first; });
        };
        const auto kept = std::stable_partition(spec.options.begin(), spec.options.end(), known);
        if (kept != spec.options.end()) {
            spec.options.erase(kept, spec.options.end());
            const std::string text = spec.str();
            const auto colon = text.find(':');
            m_options->setText(colon == std::string::npos ? QString() : QString::fromStdString(text.substr(colon + 1)));
        }
    } catch (const Error&) {
    }
    m_problem->setToolTip(QString::fromStdString(info.summary));
    m_options->setPlaceholderText(optionDefaults(info.options));
    m_options->setToolTip(tr("key=value,key=value (empty = the defaults shown)\n") + optionHelp(info.options));
    updateLearnedDefault();
}

void ExperimentPanel::updateLearnedDefault()
{
    // The learned optimizer is on by default wherever one is bundled for the problem family.
    const std::string problem = problemCatalog().at(size_t(std::max(0, m_problem->currentIndex()))).name;
    bool bundled = true;
    try {
        bundledOptimizerPath(problem);
    } catch (const Error&) {
        bundled = false;
    }
    OptimizerRow* lstm = row(QStringLiteral("lstm"));
    if (!lstm) return;
    if (!m_lstmSource || m_lstmSource->currentData().toInt() == Bundled) lstm->use->setChecked(bundled);
    QString formula;
    for (const auto& info : updateRuleCatalog())
        if (info.name == "lstm") formula = QString::fromStdString(info.formula);
    lstm->use->setToolTip(
        formula + QLatin1Char('\n') +
        (bundled ? tr("Bundled for %1: resources/optimizers").arg(QString::fromStdString(problem))
                 : tr("None is bundled for %1: train one or give a file").arg(QString::fromStdString(problem))));
    updateLstmSource();
}

QWidget* ExperimentPanel::createOptimizerBox()
{
    auto* box = new QGroupBox(tr("Optimizers"));
    auto* grid = new QGridLayout(box);
    grid->addWidget(new QLabel(tr("learning rate / file")), 0, 1);
    for (const auto& info : updateRuleCatalog()) {
        OptimizerRow row = createOptimizerRow(info);
        const int r = grid->rowCount();
        grid->addWidget(row.use, r, 0);
        m_optimizers.push_back(row);
        if (row.key == QLatin1String("path"))
            grid->addWidget(createLstmSourceRow(), r, 1);
        else
            grid->addWidget(row.field, r, 1);
    }
    grid->setColumnStretch(1, 1);
    return box;
}

ExperimentPanel::OptimizerRow ExperimentPanel::createOptimizerRow(const UpdateRuleInfo& info)
{
    const QString name = QString::fromStdString(info.name);
    const bool hasRate =
        std::any_of(info.options.begin(), info.options.end(), [](const OptionInfo& o) { return o.key == "lr"; });
    OptimizerRow row{name, hasRate ? QStringLiteral("lr") : QStringLiteral("path"), new QCheckBox(name), new QLineEdit};
    row.use->setObjectName(QStringLiteral("use_") + name);
    row.use->setToolTip(QString::fromStdString(info.formula));
    row.field->setObjectName(QStringLiteral("rate_") + name);
    row.field->setClearButtonEnabled(true);
    row.use->setAccessibleName(tr("Compare %1").arg(name));
    row.field->setAccessibleName(hasRate ? tr("Learning rate of %1").arg(name) : tr("Optimizer file of %1").arg(name));
    if (hasRate) {
        row.use->setChecked(true); // the paper's four baselines
        row.field->setPlaceholderText(tr("tuned"));
        row.field->setToolTip(tr("Learning rate in (0, 10000]; empty or \"tuned\": the best rate of a "
                                 "log-spaced grid search on this problem (cached)."));
        connect(row.field, &QLineEdit::textChanged, row.field, [edit = row.field] { markRateValidity(edit); });
    } else {
        row.use->setChecked(false); // a learned optimizer exists only for some problems
        row.field->setPlaceholderText(tr("bundled"));
        row.field->setToolTip(tr("Optimizer file written by `l2l train`; empty: the one bundled for this problem."));
    }
    row.field->setEnabled(row.use->isChecked());
    connect(row.use, &QCheckBox::toggled, row.field, &QLineEdit::setEnabled);
    connect(row.use, &QCheckBox::toggled, this, &ExperimentPanel::experimentChanged);
    connect(row.field, &QLineEdit::editingFinished, this, &ExperimentPanel::experimentChanged);
    return row;
}

QWidget* ExperimentPanel::createLstmSourceRow()
{
    OptimizerRow* lstm = row(QStringLiteral("lstm"));
    m_lstmSource = new QComboBox;
    m_lstmSource->setObjectName(QStringLiteral("lstmSource"));
    m_lstmSource->setAccessibleName(tr("Source of the LSTM optimizer"));
    m_lstmSource->addItem(tr("bundled"), int(Bundled));
    m_lstmSource->addItem(tr("trained here"), int(Session));
    m_lstmSource->addItem(tr("file"), int(File));
    m_lstmSource->setItemData(0, tr("The optimizer bundled for the problem's family (resources/optimizers)"),
                              Qt::ToolTipRole);
    m_lstmSource->setItemData(1, tr("The optimizer from the Meta-train view's \"Use\" in this session"),
                              Qt::ToolTipRole);
    m_lstmSource->setItemData(2, tr("An optimizer file written by `l2l train` or saved from the studio"),
                              Qt::ToolTipRole);
    m_browse = new QToolButton;
    m_browse->setObjectName(QStringLiteral("lstmBrowse"));
    m_browse->setText(QStringLiteral("…"));
    m_browse->setToolTip(tr("Choose an optimizer file"));
    connect(m_browse, &QToolButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open optimizer"), m_filePath,
                                                          tr("Optimizer files (*.json);;All files (*)"));
        if (!path.isEmpty()) setOptimizerFile(path);
    });
    connect(m_lstmSource, &QComboBox::currentIndexChanged, this, [this] {
        updateLstmSource();
        emit experimentChanged();
    });
    connect(lstm->field, &QLineEdit::textEdited, this, [this](const QString& text) {
        if (m_lstmSource->currentData().toInt() == File) m_filePath = text.trimmed();
    });
    connect(lstm->use, &QCheckBox::toggled, m_lstmSource, &QComboBox::setEnabled);
    connect(lstm->use, &QCheckBox::toggled, m_browse, &QToolButton::setEnabled);
    auto* box = new QWidget;
    auto* layout = new QHBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_lstmSource);
    layout->addWidget(lstm->field, 1);
    layout->addWidget(m_browse);
    updateLstmSource();
    return box;
}

void ExperimentPanel::updateLstmSource()
{
    OptimizerRow* lstm = row(QStringLiteral("lstm"));
    if (!lstm || !m_lstmSource) return;
    const auto source = LstmSource(m_lstmSource->currentData().toInt());
    const bool on = lstm->use->isChecked();
    lstm->field->setReadOnly(source != File);
    lstm->field->setEnabled(on);
    m_browse->setVisible(source == File);
    if (source == Bundled) {
        lstm->field->clear();
        QString bundled;
        try {
            const QString problem = m_bundledFor.isEmpty() ? problemSpec() : m_bundledFor;
            bundled = QFileInfo(QString::fromStdString(bundledOptimizerPath(problem.toStdString()))).fileName();
        } catch (const Error&) {
            bundled = tr("none for this problem");
        }
        lstm->field->setPlaceholderText(bundled);
    } else if (source == Session) {
        lstm->field->setText(m_sessionPath);
        lstm->field->setPlaceholderText(tr("nothing trained yet: use the Meta-train view"));
    } else {
        lstm->field->setText(m_filePath);
        lstm->field->setPlaceholderText(tr("optimizer file (.json)"));
    }
    lstm->field->setToolTip(lstm->field->text().isEmpty() ? lstm->field->placeholderText() : lstm->field->text());
}

ExperimentPanel::OptimizerRow* ExperimentPanel::row(const QString& name)
{
    for (auto& r : m_optimizers)
        if (r.name == name) return &r;
    return nullptr;
}

QString ExperimentPanel::lstmPath() const
{
    const auto source = m_lstmSource ? LstmSource(m_lstmSource->currentData().toInt()) : Bundled;
    return source == Session ? m_sessionPath : source == File ? m_filePath : QString();
}

QString ExperimentPanel::lstmSpec() const
{
    return QString::fromStdString(OptimizerChoice{"lstm", true, "", lstmPath().toStdString()}.spec());
}

void ExperimentPanel::setSessionOptimizer(const QString& path)
{
    m_sessionPath = path;
    if (OptimizerRow* lstm = row(QStringLiteral("lstm"))) lstm->use->setChecked(true);
    m_lstmSource->setCurrentIndex(m_lstmSource->findData(int(Session)));
    updateLstmSource();
    emit experimentChanged();
}

void ExperimentPanel::setOptimizerFile(const QString& path)
{
    m_filePath = path;
    if (OptimizerRow* lstm = row(QStringLiteral("lstm"))) lstm->use->setChecked(true);
    m_lstmSource->setCurrentIndex(m_lstmSource->findData(int(File)));
    updateLstmSource();
    emit experimentChanged();
}

QString ExperimentPanel::problemSpec() const
{
    const QString options = m_options->text().trimmed();
    const QString name = m_problem->currentData().toString();
    return options.isEmpty() ? name : name + QLatin1Char(':') + options;
}

Experiment ExperimentPanel::experiment(Experiment e) const
{
    e.eval = m_lastEval;
    e.eval.problem = problemSpec().toStdString();
    e.optimizers.clear();
    for (const auto& r : m_optimizers) {
        OptimizerChoice o{r.name.toStdString(), r.use->isChecked(), "", ""};
        if (r.key == QLatin1String("path")) {
            o.path = lstmPath().toStdString();
        } else {
            const QString t = r.field->text().trimmed();
            o.rate = t.compare(QLatin1String("tuned"), Qt::CaseInsensitive) == 0 ? std::string() : t.toStdString();
        }
        e.optimizers.push_back(o);
    }
    m_runSettings.readValid(evalSettings(), e.eval); // a row being typed keeps its last valid value
    return e;
}

void ExperimentPanel::setExperiment(const Experiment& e)
{
    const Spec spec = Spec::parse(e.eval.problem);
    const int index = m_problem->findData(QString::fromStdString(spec.name));
    if (index < 0) throw Error("unknown problem '" + spec.name + "'");
    const QSignalBlocker block(this);
    m_problem->setCurrentIndex(index);
    const auto colon = e.eval.problem.find(':');
    m_options->setText(colon == std::string::npos ? QString()
                                                  : QString::fromStdString(e.eval.problem.substr(colon + 1)));
    for (auto& r : m_optimizers) {
        r.use->setChecked(false);
        r.field->clear();
    }
    for (const auto& o : e.optimizers) {
        OptimizerRow* r = row(QString::fromStdString(o.name));
        if (!r) continue; // validated by the caller: every name is known
        r->use->setChecked(o.enabled);
        if (r->key == QLatin1String("path")) {
            m_filePath = QString::fromStdString(o.path);
            m_lstmSource->setCurrentIndex(m_lstmSource->findData(int(o.path.empty() ? Bundled : File)));
        } else {
            r->field->setText(QString::fromStdString(o.rate));
        }
    }
    updateLstmSource();
    m_lastEval = e.eval;
    m_runSettings.write(evalSettings(), e.eval);
}

QString ExperimentPanel::optimizerSpec(const OptimizerRow& row) const
{
    const QString rate = parseRateField(row.field->text(), row.name);
    return rate.isEmpty() ? row.name : row.name + QStringLiteral(":lr=") + rate;
}

void ExperimentPanel::markRateValidity(QLineEdit* edit)
{
    bool ok = true;
    try {
        parseRateField(edit->text(), {});
    } catch (const Error&) {
        ok = false;
    }
    edit->setStyleSheet(ok ? QString() : QStringLiteral("QLineEdit { background: #ffd8d8; }"));
}

QWidget* ExperimentPanel::createRunBox()
{
    auto* box = new QGroupBox(tr("Runs"));
    auto* form = new QFormLayout(box);
    // Runs, steps, seed, test split: the rows of evalSettings() (eval/EvalConfig.cpp) marked for the form.
    m_runSettings.build(form, evalSettings(), EvalConfig{}, QString(), QStringLiteral("Field"));
    if (auto* every = qobject_cast<QSpinBox*>(m_runSettings.widget("test_every")))
        every->setSpecialValueText(tr("at the end"));
    m_runSettings.onChange([this] { emit experimentChanged(); });
    return box;
}

EvalConfig ExperimentPanel::config() const
{
    EvalConfig c = m_lastEval;
    c.problem = problemSpec().toStdString();
    m_runSettings.read(evalSettings(), c, "Runs"); // names the row that does not parse
    c.optimizers.clear();
    for (const auto& row : m_optimizers)
        if (row.use->isChecked())
            c.optimizers.push_back((row.key == QLatin1String("path") ? lstmSpec() : optimizerSpec(row)).toStdString());
    if (c.optimizers.empty()) throw Error("check at least one optimizer");
    return c;
}

void ExperimentPanel::setRunning(bool running)
{
    m_running = running;
    m_run->setEnabled(!running && m_blocked.isEmpty());
    m_stop->setEnabled(running || !m_blocked.isEmpty());
    if (!running) m_progress->setVisible(false);
}

void ExperimentPanel::setScope(const Scope& scope)
{
    m_scopeNote->setText(scope.note);
    m_scopeNote->setVisible(!scope.note.isEmpty());
    m_problemBox->setEnabled(scope.problem);
    m_optimizerBox->setEnabled(scope.optimizers);
    const std::pair<const char*, bool> rows[] = {
        {"runs", scope.runs}, {"steps", scope.steps}, {"seed", scope.seed}, {"test_every", scope.runs}};
    for (const auto& [key, used] : rows)
        if (QWidget* w = m_runSettings.widget(key)) w->setEnabled(used);
    if (QWidget* w = m_runSettings.widget("tune_race")) w->setEnabled(scope.race);
    m_bundledFor = scope.bundledFor;
    updateLstmSource();
}

void ExperimentPanel::setRunBlocked(const QString& reason)
{
    // Another view's job (art, meta-training, a transfer map) runs: its Stop is here too, and the status says so
    // instead of the last comparison's outcome, which comes back when it ends.
    if (m_blocked.isEmpty() && !reason.isEmpty()) m_ownStatus = m_status->text();
    if (!m_blocked.isEmpty() && reason.isEmpty()) m_status->setText(m_ownStatus);
    if (!reason.isEmpty()) m_status->setText(breakableText(reason + QLatin1Char('.')));
    m_blocked = reason;
    m_run->setEnabled(!m_running && reason.isEmpty());
    m_stop->setEnabled(m_running || !reason.isEmpty());
    m_run->setToolTip(
        reason.isEmpty()
            ? tr("Tune the missing learning rates, then run every optimizer on the same instances (Ctrl+R)")
            : reason);
}

void ExperimentPanel::setProgress(double share, const QString& text)
{
    m_progress->setVisible(true);
    m_progress->setToolTip(text);
    m_progress->setFormat(text); // before the value: valueChanged() then sees the new text
    if (share < 0) {             // unknown share: a busy bar
        m_progress->setRange(0, 0);
        return;
    }
    m_progress->setRange(0, 1000);
    m_progress->setValue(int(std::lround(1000 * std::clamp(share, 0.0, 1.0))));
}

// A long spec or path in a message wraps: unbroken, it widened the panel for good (it never narrows again).
void ExperimentPanel::setStatus(const QString& text)
{
    if (m_blocked.isEmpty())
        m_status->setText(breakableText(text));
    else
        m_ownStatus = breakableText(text); // shown when the other job ends
}

void ExperimentPanel::appendLog(const QString& line)
{
    m_log->appendPlainText(line);
    m_log->verticalScrollBar()->setValue(m_log->verticalScrollBar()->maximum()); // follow the newest line
}

} // namespace l2l::ui
