#include "views/WheelGuard.h"

#include <QAbstractSpinBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QEvent>
#include <QWidget>

namespace l2l::ui {

bool WheelGuard::eventFilter(QObject* watched, QEvent* event)
{
    if (event->type() != QEvent::Wheel) return false;
    auto* field = qobject_cast<QWidget*>(watched);
    if (!field || !(qobject_cast<QAbstractSpinBox*>(field) || qobject_cast<QComboBox*>(field)) || field->hasFocus())
        return false;
    // Handed to the parent, from where Qt passes an ignored wheel event on up to the scroll area.
    if (QWidget* parent = field->parentWidget()) QCoreApplication::sendEvent(parent, event);
    return true;
}

} // namespace l2l::ui
