#pragma once
// The transfer matrix as a heat map: one row per problem variant (grouped by what is varied), one column per
// learned optimizer; a cell's colour is log10 of the ratio of the optimizer's mean final loss to the best tuned
// baseline's (blue: ahead, white: level, red: behind, clamped at 10x either way; grey: not comparable), its text
// the ratio, the runs won against that baseline and the paired p (a thick frame where p < 0.05). The variants of a
// stopped or running transfer that have no cells yet are grey rows marked "not computed". Drawn by the
// studio's Transfer view and off-screen by `l2l transfer --png`.
#include "eval/Transfer.h"

#include <QColor>
#include <QPoint>
#include <QRect>
#include <QSize>
#include <QString>

class QPainter;

namespace l2l::ui {

QColor transferRatioColor(double ratio);
// The size the map wants (it draws into any rectangle; text is not scaled).
QSize transferMapSize(const TransferResult& r);
void paintTransferMap(QPainter& painter, const QRect& area, const TransferResult& r, const QString& title);
// The (variant, optimizer) of the computed cell under `pos`, or (-1, -1) (also on a row not computed).
std::pair<int, int> transferCellAt(const QRect& area, const TransferResult& r, const QPoint& pos);
// Renders off-screen (needs a QGuiApplication, e.g. on the offscreen platform) and writes the file atomically: a PNG
// at twice the layout's pixels, or a vector PDF (by the name's extension). Throws l2l::Error naming the file.
void saveTransferMap(const TransferResult& r, const QString& path, const QString& title);

} // namespace l2l::ui
