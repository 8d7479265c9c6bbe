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
    // A combo box never takes the wheel, focused or not: the focus stays on the last one clicked, and scrolling the
    // panel over it later switched the LSTM from its file to the bundled one unseen. Its list opens with a click.
    const bool combo = qobject_cast<QComboBox*>(field) != nullptr;
    if (!field || !(qobject_cast<QAbstractSpinBox*>(field) || combo) || (field->hasFocus() && !combo)) return false;
    // Handed to the parent, from where Qt passes an ignored wheel event on up to the scroll area.
    if (QWidget* parent = field->parentWidget()) QCoreApplication::sendEvent(parent, event);
    return true;
}

} // namespace l2l::ui
