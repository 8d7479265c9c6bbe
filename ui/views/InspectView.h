#pragma once
// The studio's Inspect view: what the chosen LSTM optimizer does, which no loss curve shows. Three
// figures: its update as a function of the incoming gradient (first step and warmed up, against Adam and
// SGD), its per-coordinate effective learning rate along a trajectory, and the activity of its hidden
// state (mean |h| per layer, and the top layer's units over the steps for one coordinate). Computed by the
// view's Runner (latest request wins); this widget only draws.
#include "eval/Inspect.h"
#include "eval/Tuning.h"

#include <QList>
#include <QMetaType>
#include <QString>
#include <QWidget>

#include <cstdint>
#include <memory>

class QComboBox;
class QCustomPlot;
class QLabel;
class QSpinBox;

namespace l2l::ui {

class Runner;

// What the Inspect view computes in the background and draws.
struct InspectResult {
    int nets = 1; // of the optimizer: one response curve per net, chosen by the view's group box
    ResponseCurve response;
    // Where the reference curves' rates come from: "" (typed in the panel), "tuned" (the rate a comparison on the
    // panel's settings uses, from the tuned-rate cache or the shipped table) or "default" (neither is known).
    QString adamSource, sgdSource;
    InspectTrace trace;
    double seconds = 0;
};

} // namespace l2l::ui

Q_DECLARE_METATYPE(std::shared_ptr<const l2l::ui::InspectResult>)

namespace l2l::ui {

class InspectView : public QWidget {
    Q_OBJECT
public:
    explicit InspectView(QWidget* parent = nullptr);

    // What to inspect; takes effect at the next refresh(). lstmSpec: "lstm" (the optimizer bundled for
    // problemSpec's family) or "lstm:FILE". adamRate / sgdRate: the reference curves' rates (NaN: the rate
    // a comparison with `tune` would use if it is known without a search -- cached or shipped --, else the
    // defaults kInspectAdamRate / kInspectSgdRate; the legend says which).
    void setInspection(const QString& problemSpec, const QString& lstmSpec, std::uint64_t seed, int steps,
                       double adamRate, double sgdRate, const TuneConfig& tune = {});
    bool isComputing() const;
    QString summary() const; // what is inspected: the optimizer, the problem, the run (the line above the plots)
    QList<QCustomPlot*> plots() const;
    // Long format, one row per point: series,x,value (response curves, then the per-step trace).
    bool exportCsv(const QString& path, QString* error) const;
    // The "What to look for" captions under the plots. A lesson hides them (and lets the plots be shorter): its
    // slide's text speaks, and on a 1280x720 projector the captions pushed the lower plot out of the view.
    void setCaptionsVisible(bool visible);

public slots:
    void refresh(); // computes in the background, then draws and emits computed() (or failed())

signals:
    void computed();
    void failed(const QString& message);

private:
    using Result = InspectResult;
    void showResult(const Result& r);
    void drawHeatMap();

    Runner* m_runner;
    QString m_problem = QStringLiteral("quadratic"), m_lstm = QStringLiteral("lstm");
    std::uint64_t m_seed = 1;
    int m_steps = 100;
    double m_adamRate, m_sgdRate; // NaN = tuned if known, else default
    TuneConfig m_tune;
    std::shared_ptr<const Result> m_result;

    QLabel* m_status;
    QSpinBox* m_warmup;
    QComboBox* m_coordinate;
    QComboBox* m_group; // the net whose response curve is drawn (optimizers with one net per group)
    QLabel* m_groupLabel;
    QCustomPlot *m_response, *m_effectiveLr, *m_hidden;
    QList<QWidget*> m_captions;
};

} // namespace l2l::ui
