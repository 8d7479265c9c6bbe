#pragma once
// A one-line label for texts that change at run time (statuses, progress, the job in the status bar): a long text
// is drawn elided ("…") in the space the layout gives it, with the whole text as its tooltip and accessible text,
// instead of widening its window. Plain text only.
#include <QLabel>

namespace l2l::ui {

class ElidedLabel : public QLabel {
    Q_OBJECT
public:
    explicit ElidedLabel(const QString& text = {}, QWidget* parent = nullptr);
    QSize minimumSizeHint() const override; // a few characters wide, whatever the text
    QSize sizeHint() const override;        // the text's width, at most about 60 characters
    bool isElided() const;                  // the text does not fit the label's width

protected:
    void paintEvent(QPaintEvent* event) override;
    bool event(QEvent* event) override; // tooltip: the whole text when it is elided
};

// A word-wrapped label whose minimum height is what its text needs at its current width. A plain wrapped QLabel
// reports one width's height to layouts that do not ask heightForWidth (a QSplitter's pane, a scroll area's page),
// so in a narrow window the text was drawn over the widget above it instead of making the page scroll.
class WrappedLabel : public QLabel {
    Q_OBJECT
public:
    explicit WrappedLabel(const QString& text = {}, QWidget* parent = nullptr);
    QSize sizeHint() const override; // the height at its current width (QLabel's guesses another width)

protected:
    void resizeEvent(QResizeEvent* event) override;
    void changeEvent(QEvent* event) override; // a new font

private:
    void fitHeight(); // the minimum height: the text's at the current width
};

// `text` with a break opportunity (a zero-width space) every 24 characters of any longer run without a space, for
// a word-wrapped QLabel (it wraps only at spaces): a hash, a long path or a problem spec in a slide or a status
// wraps instead of widening the window (a slide's 3000-character word made it 23392 px wide).
QString breakableText(const QString& text);

} // namespace l2l::ui
