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

} // namespace l2l::ui
