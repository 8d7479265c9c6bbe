#pragma once
// The studio's Compare view: the loss curves of a paired comparison (mean line + spread band per
// optimizer, log scale) above a summary table with one row per optimizer. Drag and wheel zoom the
// plot; a double click returns to the fitted view. While the user has zoomed, live updates keep the view.
#include "eval/Evaluation.h"

#include <QWidget>

class QCheckBox;
class QCPItemStraightLine;
class QCustomPlot;
class QTableWidget;

namespace l2l::ui {

class CompareView : public QWidget {
    Q_OBJECT
public:
    explicit CompareView(QWidget* parent = nullptr);

    // Draws `r` (a live snapshot or a final result; per-run curves are not needed).
    void showResult(const EvalResult& r);
    // No result: an empty plot and table under `title`, which says what is happening or what to do ("mnist:
    // tuning adam's rate (2 of 4)", "press Run").
    void showPlaceholder(const QString& title);
    QString placeholder() const { return m_placeholder; } // empty while a result is drawn
    // Forgets the user's zoom and fits the view to the data.
    void resetView();

    // The hover read-out at `step`: "step 40" and one "name: mean (median m)" line per optimizer.
    QString readoutAt(int step) const;
    // step,optimizer,learning_rate,mean,std,median,runs_alive for every drawn step. Atomic write.
    bool exportCsv(const QString& path, QString* error) const;
    const EvalResult& result() const { return m_result; }

    QCustomPlot* plot() const { return m_plot; }
    // Draw the test-split curves (EvalResult::testSteps) instead of the training loss; the toggle above
    // the plot is enabled only when the result has them.
    void setShowTestCurves(bool on);
    bool showsTestCurves() const;
    QTableWidget* table() const { return m_table; }
    // Draws again what is shown (the theme or presentation scale changed: colours, swatches).
    void refreshStyle();

    // Whether the hover cursor (the dashed line at the step under the pointer) is shown.
    bool cursorShown() const;

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void fillTable(const EvalResult& r);
    void redraw();
    void showReadout(QMouseEvent* event);
    void hideReadout();

    QCustomPlot* m_plot;
    QTableWidget* m_table;
    QCheckBox* m_testToggle;
    EvalResult m_result; // what is drawn (statistics only)
    QCPItemStraightLine* m_cursor = nullptr;
    QString m_placeholder;
    int m_steps = 100;       // x extent of what is drawn, for resetView()
    bool m_userView = false; // the user dragged or zoomed since the last fit
};

} // namespace l2l::ui
