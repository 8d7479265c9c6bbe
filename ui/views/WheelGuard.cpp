#include "views/WheelGuard.h"

#include <QAbstractSpinBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QEvent>
#include <QWidget>

namespace l2l::ui {

bool WheelGuard::eventFilter(QObject* watched, QEvent* event)
{
    // Qt gives a spin box or combo box the focus on a wheel (their default policy has Qt::WheelFocus) before any
    // event filter sees the wheel, so the field was focused, then changed: Runs went from 20 to 23 under a scroll.
    // Each field loses that part of its policy when it is first polished; a click or Tab still focuses it.
    if (event->type() == QEvent::Polish) {
        auto* w = qobject_cast<QWidget*>(watched);
        if (w && (qobject_cast<QAbstractSpinBox*>(w) || qobject_cast<QComboBox*>(w)) &&
            w->focusPolicy() == Qt::WheelFocus)
            w->setFocusPolicy(Qt::StrongFocus);
        return false;
    }
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
