#pragma once
// The studio's Transfer view (issue 19): where learned optimizers hold up and where they break. Each chosen
// optimizer file runs on a family's grid of problem variants against the tuned baselines (core/eval/Transfer.h);
// the heat map fills in variant by variant, a progress bar says which variant and phase is under way, and a click
// on a cell opens that comparison in Compare. Computed by the view's Runner; this widget only draws.
#include "eval/Transfer.h"

#include <QImage>
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QWidget>

#include <memory>

class QCheckBox;
class QComboBox;
class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;
class QSpinBox;

Q_DECLARE_METATYPE(l2l::TransferProgress)
Q_DECLARE_METATYPE(std::shared_ptr<const l2l::TransferResult>)

namespace l2l::ui {

class Runner;

// The heat map as a widget (plots/TransferMap.h draws it); emits cellClicked(variant, optimizer).
class TransferMapWidget : public QWidget {
    Q_OBJECT
public:
    explicit TransferMapWidget(QWidget* parent = nullptr);
    void setResult(std::shared_ptr<const TransferResult> r, const QString& title);
    const TransferResult* result() const { return m_result.get(); }
    const std::shared_ptr<const TransferResult>& sharedResult() const { return m_result; }
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

signals:
    void cellClicked(int variant, int optimizer);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    bool event(QEvent* event) override; // tooltips: the cell's numbers in full

private:
    std::shared_ptr<const TransferResult> m_result;
    QString m_title;
};

class TransferView : public QWidget {
    Q_OBJECT
public:
    explicit TransferView(QWidget* parent = nullptr);
    // The optimizer files (default: the bundled optimizer of the family).
    void setOptimizers(const QStringList& files);
    QStringList optimizers() const;
    void setFamily(const QString& family);
    void setRuns(int runs);
    bool isComputing() const;
    // Another job of the window is running: Compute is disabled with `reason` as its tooltip (empty: enabled).
    void setStartBlocked(const QString& reason);
    const TransferResult* result() const { return m_map->result(); }
    TransferMapWidget* map() const { return m_map; }
    // The heat map (Export Plot: a PNG at twice its pixels, or a vector PDF, by the extension), and every cell as CSV
    // (Export Data): false with *error when nothing has been computed or the file cannot be written.
    bool exportMap(const QString& path, QString* error) const;
    bool exportCsv(const QString& path, QString* error) const;
    // Shows a transfer file (readTransfer): false with *error, the status saying why, and the shown map kept when
    // it cannot be read. Its settings become the view's only when it is a transfer Compute would run (a family's
    // grid at 100 steps, seed 101, the default baselines and rate search); Compute then goes on from it.
    bool openFile(const QString& path, QString* error = nullptr);

public slots:
    // In the background; the map fills in as variants finish. After a Stop, with the same family, runs and
    // (unchanged) files, it goes on from the first unfinished variant instead of starting again.
    void compute();
    void stop();

signals:
    void computed();
    void computingChanged(bool computing);
    // Progress of a computation: the variant under way (0-based) and their count.
    void progressed(int variant, int variants);
    void failed(const QString& message);
    // A click on a cell: run this comparison in Compare.
    void openComparison(const QString& problem, int steps, int runs, quint64 seed, const QString& optimizerFile);

private:
    void setComputing(bool on);
    void familyChanged();

    Runner* m_runner;
    QComboBox* m_family;
    QSpinBox* m_runs;
    QListWidget* m_files;
    QPushButton *m_add, *m_remove, *m_open, *m_compute, *m_stop;
    // "Reuse its baselines": Compute searches no rate and re-runs each variant's best baseline of the opened,
    // finished result at its recorded rate (TransferConfig::baselinesFrom = m_baselinesSource).
    QCheckBox* m_reuse;
    QString m_baselinesSource; // the opened result, when it is a finished transfer the view computes; else empty
    QProgressBar* m_progress;
    QLabel* m_status;
    TransferMapWidget* m_map;
    QString m_blocked;
    // The optimizer files' size and modification time when the shown result was started: a stopped result is
    // continued only while they are unchanged (and the settings are the same, sameTransfer).
    QStringList m_stamps;
    // A file shown by openFile whose settings the view took: Compute continues it through resumeTransfer.
    std::shared_ptr<const TransferResult> m_opened;
    QString m_openedPath;
};

} // namespace l2l::ui
