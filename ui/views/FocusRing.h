#pragma once
// A visible keyboard focus for the whole window: a 2-pixel frame in the palette's highlight colour drawn around
// whichever widget of the window has the keyboard focus (the platform styles draw a faint dotted one, or none on
// some widgets: line edits, the OpenGL views). It follows the focus and the moves and resizes of the widget and of
// its ancestors, and never
// takes a click (only the frame belongs to it).
#include <QPointer>
#include <QWidget>

#include <vector>

namespace l2l::ui {

class FocusRing : public QWidget {
    Q_OBJECT
public:
    explicit FocusRing(QWidget* window);
    QWidget* target() const { return m_target; } // the widget framed, nullptr when hidden

protected:
    void paintEvent(QPaintEvent* event) override;
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void follow(QWidget* widget);
    void place();
    QPointer<QWidget> m_target;
    std::vector<QPointer<QWidget>> m_watched; // the target and its ancestors, whose moves move the frame
};

} // namespace l2l::ui
