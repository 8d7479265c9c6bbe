#pragma once
// The Art view (paper Sec. 3.4): one neural-art instance optimized by every chosen optimizer at once,
// the images they are producing shown live on the ArtCanvas beside the content and style images, and
// their loss curves below. Content and style are bundled images or the user's own PNG/JPEG files.
// The run is the job of the view's Runner (workers/Runner.h); the GUI only uploads the snapshot images it is
// sent (at most kSnapshotsPerSecond), so zooming and panning stay smooth while the optimizers work.
#include <QImage>
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QWidget>

#include <atomic>
#include <memory>
#include <vector>

class QComboBox;
class QCustomPlot;
class QLabel;
class QPushButton;
class QSpinBox;

namespace l2l::ui {

class ArtCanvas;
class Runner;

// What the run thread sends to the GUI thread (plain values: images are deep copies).
struct ArtSnapshot {
    int step = 0, steps = 0;
    QStringList labels;                    // per optimizer: "adam (lr 0.05, tuned)"
    std::vector<QImage> images;            // per optimizer, the current image
    std::vector<std::vector<double>> loss; // per optimizer, loss at steps 0..step (shorter if stopped)
    QStringList problems;                  // per optimizer: empty, or why it stopped (diverged)
    QImage content, style;
};

} // namespace l2l::ui

Q_DECLARE_METATYPE(l2l::ui::ArtSnapshot)

namespace l2l::ui {

class ArtView : public QWidget {
    Q_OBJECT
public:
    explicit ArtView(QWidget* parent = nullptr);
    ~ArtView() override; // stops the run and waits for its thread

    // From the side panel: the optimizers to compare ("adam", "adam:lr=0.1", "lstm", "lstm:FILE"); when
    // problemSpec is a neural-art spec, its weights and network options are used too, and the content, style and size
    // it names are set in this view's controls when they change in the panel (a lesson slide, an opened file, the
    // Options field): "content=test" is chelsea, "content=train" the first training photo. The view's own choices
    // stand until then. Takes effect on the next run.
    void setExperiment(const QString& problemSpec, const QStringList& optimizers, int steps);

    // The spec this view runs: neural-art with its content, style and size.
    QString problemSpec() const;
    // The images and size a neural-art spec names (problemSpec()'s, say), each key it has; the others stay.
    void setImageSpec(const QString& problemSpec);
    void setContent(const QString& nameOrPath); // a bundled name (chelsea, ...) or a file
    void setStyle(const QString& nameOrPath);
    void setImageSize(int size);
    void setSteps(int steps);
    int steps() const;

    bool isRunning() const;
    // Another job of the window is running: Run is disabled with `reason` as its tooltip (empty: enabled).
    void setStartBlocked(const QString& reason);
    ArtCanvas* canvas() const { return m_canvas; }
    QCustomPlot* lossPlot() const { return m_plot; }
    const ArtSnapshot& lastSnapshot() const { return m_last; }
    // Saves tile `index` of the canvas as PNG (atomically). False with *error naming the file on failure.
    bool saveTile(int index, const QString& path, QString* error) const;
    // One row per optimizer per step: optimizer,step,loss. Written atomically.
    bool exportCsv(const QString& path, QString* error) const;

public slots:
    void run();  // (re)starts from the first step
    void stop(); // keeps the images reached so far

signals:
    void started();
    void snapshotShown(int step);
    void finished(bool stopped); // the run ended (all steps done, or stopped)
    void failed(const QString& message);
    void logged(const QString& line); // what the run says (tuning, notes): for the studio's log

private:
    QWidget* makeControls();
    void chooseFile(QComboBox* combo);
    void addChoice(QComboBox* combo, const QString& nameOrPath);
    void onSnapshot(const ArtSnapshot& s, bool last);
    void onRunFailed(const QString& message);
    void endRun();
    void showStatus(const QString& text, bool error);
    void saveSelected();
    void plotLoss(const ArtSnapshot& s);

    ArtCanvas* m_canvas = nullptr;
    QCustomPlot* m_plot = nullptr;
    QComboBox *m_content = nullptr, *m_style = nullptr;
    QSpinBox *m_size = nullptr, *m_steps = nullptr;
    QPushButton *m_runButton = nullptr, *m_saveButton = nullptr;
    QLabel* m_status = nullptr;

    QString m_panelSpec;
    QStringList m_optimizers = {"sgd", "nag", "rmsprop", "adam", "lstm"};
    Runner* m_runner = nullptr;
    ArtSnapshot m_last;
    bool m_stopRequested = false;
    QStringList m_notes; // this run's notes (a rate tuned on the grid's edge), repeated in the final status
    QString m_blocked;
};

} // namespace l2l::ui
