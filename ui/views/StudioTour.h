#pragma once
// Scripted runs of the studio window, for the README's screenshots, the tests and the responsiveness
// benchmark. Each drives the window through its public slots, waits for the views' signals (never for
// fixed times), and reports once through `done`.
#include <QString>

#include <functional>

namespace l2l::ui {

class MainWindow;

// `l2l-studio --screenshot-tour DIR`: runs the default demo of every view (Compare: the default
// experiment; Meta-train: a short training on the panel's problem; Trajectories: the default function at
// a scrubbed step; Inspect: the bundled optimizer) and saves DIR/compare.png, meta-train.png,
// trajectories.png, inspect.png. done(true, list of files) or done(false, what went wrong).
void runScreenshotTour(MainWindow& window, const QString& dir, const std::function<void(bool, const QString&)>& done);

// `l2l-studio --lesson-tour DIR`: the bundled lesson in the dark theme at 1280 x 720, one PNG per slide
// (DIR/lesson-01.png, ...) 1.5 s after the slide is shown, stepping with Page Down's slot.
void runLessonTour(MainWindow& window, const QString& dir, const std::function<void(bool, const QString&)>& done);

// `l2l-studio --latency-bench SECONDS`: meta-trains on MNIST for SECONDS while measuring the GUI event
// loop's delay, then stops and measures how long the stop takes; the same for a Compare run on MNIST.
// done(true, a report of the figures).
void runLatencyBench(MainWindow& window, double seconds, const std::function<void(bool, const QString&)>& done);

} // namespace l2l::ui
