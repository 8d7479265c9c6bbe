#pragma once
// The studio's side panel: the widgets that describe one paired comparison (problem and its options,
// the optimizers and their learning rates, runs / steps / seed), the Run and Stop buttons, a status
// line and the log. It only builds an EvalConfig; it never computes.
#include "eval/Evaluation.h"
#include "io/ExperimentFile.h"
#include "views/SettingsForm.h"

#include <QWidget>

#include <vector>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QToolButton;

namespace l2l::ui {

class ExperimentPanel : public QWidget {
    Q_OBJECT
public:
    explicit ExperimentPanel(QWidget* parent = nullptr);

    // The experiment the widgets describe. Throws l2l::Error naming the bad field (a learning rate that
    // is not a number in (0, 1e4], no optimizer checked). Problem options and optimizer files are
    // checked by the core, in the worker.
    EvalConfig config() const;

    // The panel's part of an experiment (problem, optimizers with their rate fields and the LSTM source,
    // runs, steps, seed); the other fields of `base` are kept. No validation: see config().
    Experiment experiment(Experiment base = {}) const;
    // Shows `e` in the widgets. Throws l2l::Error (and changes nothing) if e names an unknown problem.
    void setExperiment(const Experiment& e);
    QString problemSpec() const;
    // The learned optimizer as chosen: "lstm" (bundled for the problem) or "lstm:FILE".
    QString lstmSpec() const;
    // An optimizer trained in this session (the Meta-train view's "Use"): selects it as the LSTM source.
    void setSessionOptimizer(const QString& path);
    // A file opened or dropped: selects it as the LSTM source.
    void setOptimizerFile(const QString& path);

    void setRunning(bool running);
    // What the current view takes from the panel: the rest is disabled, and `note` (shown above the groups when not
    // empty) says what the view uses and where its own settings are.
    struct Scope {
        bool problem = true, optimizers = true, runs = true, steps = true, seed = true;
        QString note;
        bool race = true; // the rate search's Race the rates (Compare and Inspect tune with the panel's search)
        // The problem whose bundled LSTM the view runs when the LSTM row says "bundled" (Art: neural art; the 2-d
        // views: their function); empty: the panel's problem. The row's placeholder names that file.
        QString bundledFor;
    };
    void setScope(const Scope& scope);
    // Why the Options field's text cannot be used (malformed, an unknown key, a number out of its range:
    // checkProblemSpec), empty when it can; shown under the field as the user types. Other values (a data folder,
    // a layer list) are checked on Run by the problem itself.
    QString optionsProblem() const;
    // Another job of the window is running: Run is disabled with `reason` as its tooltip and status, and Stop
    // stops that job (empty: Run enabled, the comparison's status back).
    void setRunBlocked(const QString& reason);
    void setStatus(const QString& text);
    // The bar under the status while a run is under way (hidden when it ends): share in [0, 1], with `text` on it;
    // a negative share: a busy bar (a phase of unknown length, e.g. loading the data set).
    void setProgress(double share, const QString& text);
    void appendLog(const QString& line);

signals:
    void runRequested();
    void stopRequested();
    void experimentChanged(); // any setting changed (problem, optimizers, runs, steps, seed)

private:
    // A hand-designed rule has a learning-rate field ("lr"); the learned one a file field ("path").
    struct OptimizerRow {
        QString name;
        QString key; // "lr" or "path"
        QCheckBox* use;
        QLineEdit* field;
    };
    enum LstmSource { Bundled, Session, File };

    QWidget* createProblemBox();
    QWidget* createOptimizerBox();
    OptimizerRow createOptimizerRow(const UpdateRuleInfo& info);
    QString optimizerSpec(const OptimizerRow& row) const;
    QWidget* createRunBox();
    void updateOptionHints();
    void updateLearnedDefault();
    static void markRateValidity(QLineEdit* edit);
    QWidget* createLstmSourceRow();
    void updateLstmSource();
    OptimizerRow* row(const QString& name);
    QString lstmPath() const; // the file of the chosen source; empty for the bundled one

    QLabel* m_scopeNote = nullptr;
    QWidget *m_problemBox = nullptr, *m_optimizerBox = nullptr;
    QComboBox* m_problem;
    QLineEdit* m_options;
    QLabel* m_optionsError = nullptr; // under the Options field while its text is malformed or names unknown keys
    void checkOptionsAsTyped();
    std::vector<OptimizerRow> m_optimizers;
    QComboBox* m_lstmSource = nullptr;
    QToolButton* m_browse = nullptr;
    QString m_sessionPath, m_filePath;
    QString m_bundledFor;       // Scope::bundledFor of the current view
    SettingsForm m_runSettings; // runs, steps, seed, test split
    EvalConfig m_lastEval;      // what the form does not show (threads, tuning), as last set
    QPushButton *m_run, *m_stop;
    bool m_running = false;
    QString m_blocked;
    QString m_ownStatus; // the comparison's status while another job's is shown
    QLabel* m_status;
    QProgressBar* m_progress;
    QPlainTextEdit* m_log;
};

// The learning-rate field's text as a spec value: empty for "tuned" (empty or the word "tuned"),
// else the number. Throws l2l::Error naming the optimizer if it is not a number in (0, 1e4].
QString parseRateField(const QString& text, const QString& optimizer);

} // namespace l2l::ui
