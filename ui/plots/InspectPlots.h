#pragma once
// Drawing the Inspect view's three figures from core results (no computing beyond axis transforms).
#include "eval/Inspect.h"

#include <QString>

class QCustomPlot;

namespace l2l::ui {

// Symmetric log transform for values of both signs spanning many decades: sign(v) log10(1 + |v| / c).
// Linear within about c of zero, logarithmic beyond; c is the smallest magnitude told apart from 0.
double symlog(double v, double c);

// Response curve on symlog axes (x: gradient g, y: update u): LSTM at the first step and warmed up, Adam's
// first step and SGD. `defaultRates` says the reference rates are the defaults (shown in the legend).
void drawResponse(QCustomPlot* plot, const ResponseCurve& r, const QString& adamSource, const QString& sgdSource);

// Effective learning rate -u/g along the trajectory: median line and 10-90% band on a symlog axis (it takes
// both signs: below 0 the LSTM moved uphill), SGD's rate for reference, and the loss on the right axis (log).
void drawEffectiveLr(QCustomPlot* plot, const InspectTrace& trace, double sgdRate);

// Hidden-state activity: mean |h| per layer over the steps (top), and the top layer's h, unit x step, of
// tracked coordinate `trackedIndex` as a heat map (bottom).
void drawHidden(QCustomPlot* plot, const InspectTrace& trace, int trackedIndex);

// A figure's message when there is nothing to draw (before the first computation or after a failure).
void drawPlaceholder(QCustomPlot* plot, const QString& message);

} // namespace l2l::ui
