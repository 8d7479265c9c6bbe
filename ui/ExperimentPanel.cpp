#include "ExperimentPanel.h"

#include "OptimizerFile.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QSpinBox>
#include <QStringList>
#include <QVBoxLayout>

#include <algorithm>
#include <climits>

namespace l2l::ui {

namespace {

// The range UpdateRuleConfig::parse accepts for "lr".
constexpr double kMaxRate = 1e4;

QString optionDefaults(const std::vector<OptionInfo>& options)
{
    QStringList parts;
    for (const auto& o : options) parts << QString::fromStdString(o.key + "=" + o.defaultValue);
    return parts.join(QLatin1Char(','));
}

QString optionHelp(const std::vector<OptionInfo>& options)
{
    QStringList lines;
    for (const auto& o : options)
        lines << QString::fromStdString(o.key + " (default " + o.defaultValue + "): " + o.help);
    return lines.isEmpty() ? QStringLiteral("This problem has no options.") : lines.join(QLatin1Char('\n'));
}

QSpinBox* spinBox(const QString& name, int lo, int hi, int value, const QString& tip)
{
    auto* box = new QSpinBox;
    box->setObjectName(name);
    box->setRange(lo, hi);
    box->setValue(value);
    box->setToolTip(tip);
    box->setAccelerated(true);
    return box;
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
    layout->addWidget(createProblemBox());
    layout->addWidget(createOptimizerBox());
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

    m_log = new QPlainTextEdit;
    m_log->setObjectName(QStringLiteral("logView"));
    m_log->setReadOnly(true);
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
    updateOptionHints();
    form->addRow(tr("Problem"), m_problem);
    form->addRow(tr("Options"), m_options);
    return box;
}

void ExperimentPanel::updateOptionHints()
{
    const auto& info = problemCatalog().at(size_t(std::max(0, m_problem->currentIndex())));
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
    for (auto& row : m_optimizers)
        if (row.key == QLatin1String("path") && row.field->text().trimmed().isEmpty()) {
            row.use->setChecked(bundled);
            row.use->setToolTip(bundled ? tr("The LSTM optimizer bundled for %1").arg(QString::fromStdString(problem))
                                        : tr("No LSTM optimizer is bundled for %1: give a file from `l2l train`")
                                              .arg(QString::fromStdString(problem)));
        }
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
        grid->addWidget(row.field, r, 1);
        m_optimizers.push_back(row);
    }
    grid->setColumnStretch(1, 1);
    return box;
}

ExperimentPanel::OptimizerRow ExperimentPanel::createOptimizerRow(const UpdateRuleInfo& info)
{
    const QString name = QString::fromStdString(info.name);
    const bool hasRate = std::any_of(info.options.begin(), info.options.end(), [](const OptionInfo& o) { return o.key == "lr"; });
    OptimizerRow row{name, hasRate ? QStringLiteral("lr") : QStringLiteral("path"), new QCheckBox(name), new QLineEdit};
    row.use->setObjectName(QStringLiteral("use_") + name);
    row.use->setToolTip(QString::fromStdString(info.formula));
    row.field->setObjectName(QStringLiteral("rate_") + name);
    row.field->setClearButtonEnabled(true);
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
    return row;
}

QString ExperimentPanel::optimizerSpec(const OptimizerRow& row)
{
    if (row.key == QLatin1String("path")) {
        const QString path = row.field->text().trimmed();
        if (path.isEmpty()) return row.name;
        // "lstm:FILE" keeps commas in the file name; a name with '=' needs the key=value form.
        return row.name + (path.contains(QLatin1Char('=')) ? QStringLiteral(":path=") : QStringLiteral(":")) + path;
    }
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
    m_runs = spinBox(QStringLiteral("runsSpin"), 1, 10000, 20, tr("Problem instances, the same for every optimizer"));
    m_steps = spinBox(QStringLiteral("stepsSpin"), 1, 100000, 100, tr("Optimization steps per run"));
    m_seed = spinBox(QStringLiteral("seedSpin"), 0, INT_MAX, 1, tr("Evaluation seed: the same seed gives the same numbers"));
    form->addRow(tr("Runs"), m_runs);
    form->addRow(tr("Steps"), m_steps);
    form->addRow(tr("Seed"), m_seed);
    return box;
}

EvalConfig ExperimentPanel::config() const
{
    EvalConfig c;
    const QString options = m_options->text().trimmed();
    const QString name = m_problem->currentData().toString();
    c.problem = (options.isEmpty() ? name : name + QLatin1Char(':') + options).toStdString();
    c.optimizers.clear();
    for (const auto& row : m_optimizers)
        if (row.use->isChecked()) c.optimizers.push_back(optimizerSpec(row).toStdString());
    if (c.optimizers.empty()) throw Error("check at least one optimizer");
    c.runs = m_runs->value();
    c.steps = m_steps->value();
    c.seed = std::uint64_t(m_seed->value());
    return c;
}

void ExperimentPanel::setRunning(bool running)
{
    m_run->setEnabled(!running);
    m_stop->setEnabled(running);
}

void ExperimentPanel::setStatus(const QString& text)
{
    m_status->setText(text);
}

void ExperimentPanel::appendLog(const QString& line)
{
    m_log->appendPlainText(line);
    m_log->verticalScrollBar()->setValue(m_log->verticalScrollBar()->maximum()); // follow the newest line
}

} // namespace l2l::ui
