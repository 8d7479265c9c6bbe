#pragma once
// Scrolling a form with the mouse wheel must not change the field that passes under the pointer: a spin box takes
// the wheel only once it has the focus (a click or Tab), a combo box never; otherwise the wheel goes on to the
// widgets around it (the scroll area of the settings column scrolls). Installed on the application by the main
// window.
#include <QObject>

namespace l2l::ui {

class WheelGuard : public QObject {
public:
    using QObject::QObject;

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;
};

} // namespace l2l::ui
