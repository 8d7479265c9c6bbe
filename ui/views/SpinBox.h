#pragma once
// The integer fields of the side panel and the Meta-train view, built the same way: named (tests find
// them by name), ranged, with a tooltip, accelerating when an arrow is held.
#include <QSpinBox>
#include <QString>

namespace l2l::ui {

inline QSpinBox* spinBox(const QString& name, int lo, int hi, int value, const QString& tip)
{
    auto* box = new QSpinBox;
    box->setObjectName(name);
    box->setRange(lo, hi);
    box->setValue(value);
    box->setToolTip(tip);
    box->setAccelerated(true);
    return box;
}

} // namespace l2l::ui
