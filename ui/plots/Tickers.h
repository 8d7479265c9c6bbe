#pragma once
// Axis tickers whose labels never run into each other: they measure the axis's length in pixels and the tick
// label font each time the axis is laid out, and label only as densely as fits (the plots' axes go from a
// 1600-pixel export down to a 120-pixel plot in a small window at presentation scale 2).
#include <QSharedPointer>

class QCPAxis;
class QCPAxisTicker;

namespace l2l::ui {

// A log axis spanning under about two decades, labelled with plain numbers: the densest of 1..9, 1-2-3-5, 1-2-5,
// 1-3 and 1 per decade whose labels are at least a line apart; minor ticks at every 1..9 x 10^k. A range so narrow
// that fewer than three of them fall in it gets the plain linear ticks.
QSharedPointer<QCPAxisTicker> plainLogTicker(QCPAxis* axis);

// A symmetric-log axis (symlog(v, c) = sign(v) log10(1 + |v| / c)) labelled 0 and +-10^k for c <= 10^k <= maxAbs,
// every s-th decade with the smallest s whose labels fit; no label within 5c of zero (it would touch the "0").
QSharedPointer<QCPAxisTicker> symlogTicker(QCPAxis* axis, double c, double maxAbs);

} // namespace l2l::ui
