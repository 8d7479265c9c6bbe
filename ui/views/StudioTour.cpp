#include "views/StudioTour.h"

#include "gl/ArtCanvas.h"
#include "views/ArtView.h"
#include "views/ExperimentPanel.h"
#include "views/GraphCanvas.h"
#include "views/GraphView.h"
#include "views/InspectView.h"
#include "views/MainWindow.h"
#include "views/MetaTrainView.h"
#include "views/TrajectoryView.h"
#include "views/TransferView.h"
#include "views/WatchPanel.h"
#include "workers/EventLoopMonitor.h"

#include <QDir>
#include <QElapsedTimer>
#include <QOpenGLWidget>
#include <QPainter>
#include <QPixmap>
#include <QTimer>

#include <cstdio>
#include <functional>
#include <iterator>
#include <memory>

namespace l2l::ui {

namespace {

using Done = std::function<void(bool, const QString&)>;

// The rates `l2l eval` tunes on neural-art:size=64,style=scream,content=test (docs/RESULTS.md, art-64):
// fixed here so that the tour does not spend a minute tuning.
const QStringList kTourArtOptimizers = {QStringLiteral("sgd:lr=4.64"), QStringLiteral("nag:lr=4.64"),
                                        QStringLiteral("rmsprop:lr=0.01"), QStringLiteral("adam:lr=0.1"),
                                        QStringLiteral("lstm")};

// Polls `ready` every 50 ms on the GUI thread (the views compute elsewhere); calls `then` once it holds,
// or done(false, ...) after `timeoutMs`.
void waitUntil(QObject* context, std::function<bool()> ready, std::function<void()> then, int timeoutMs,
               const QString& what, Done done)
{
    auto clock = std::make_shared<QElapsedTimer>();
    clock->start();
    auto* timer = new QTimer(context);
    timer->setInterval(50);
    QObject::connect(timer, &QTimer::timeout, context, [=] {
        if (ready()) {
            timer->deleteLater();
            timer->stop();
            then();
        } else if (clock->elapsed() > timeoutMs) {
            timer->deleteLater();
            timer->stop();
            done(false, QObject::tr("timed out after %1 s waiting for %2").arg(timeoutMs / 1000).arg(what));
        }
    });
    timer->start();
}

// Grabs the whole window. QWidget::grab() composes a QOpenGLWidget's GL pass but not what QPainter drew
// over it in paintGL (paths, labels), so each visible GL widget is re-rendered into its place.
bool grabTo(MainWindow& window, const QString& path)
{
    window.repaint();
    QPixmap shot = window.grab();
    QPainter painter(&shot);
    for (QOpenGLWidget* gl : window.findChildren<QOpenGLWidget*>()) {
        if (!gl->isVisible()) continue;
        const QRect target(gl->mapTo(&window, QPoint(0, 0)), gl->size());
        painter.drawImage(QRectF(target), gl->grabFramebuffer());
    }
    painter.end();
    return shot.save(path, "PNG");
}

struct Tour {
    MainWindow& window;
    QDir dir;
    Done done;
    QStringList files;

    bool shoot(QString name)
    {
        // At a scale factor other than 1 (QT_SCALE_FACTOR=2), every file says so: "compare-scale2.png".
        if (window.devicePixelRatio() != 1.0) name += QStringLiteral("-scale%1").arg(window.devicePixelRatio());
        const QString path = dir.filePath(name + ".png");
        if (!grabTo(window, path)) {
            done(false, QObject::tr("cannot write '%1'").arg(path));
            return false;
        }
        files << path;
        return true;
    }
};

void tourWatch(std::shared_ptr<Tour> t);

// Every view again in smaller windows, as computed above: 1280 x 720 (a projector's size), then 1024 x 640 (the
// smallest supported size): "compare-1280x720.png", ..., "compare-1024x640.png", ...
void tourSmallWindow(std::shared_ptr<Tour> t, int pass, int view)
{
    static const QSize kSizes[] = {QSize(1280, 720), QSize(1024, 640)};
    if (view == MainWindow::kViewCount) {
        view = 0;
        ++pass;
    }
    if (pass == int(std::size(kSizes))) {
        tourWatch(t); // last: it changes the panel's problem, which clears the comparison shown above
        return;
    }
    const QSize size = kSizes[pass];
    t->window.resize(size);
    t->window.showView(MainWindow::View(view));
    QTimer::singleShot(400, &t->window, [t, pass, view, size] {
        if (t->shoot(QString::fromLatin1(MainWindow::viewName(MainWindow::View(view))) +
                     QStringLiteral("-%1x%2").arg(size.width()).arg(size.height())))
            tourSmallWindow(t, pass, view + 1);
    });
}

// The Graph view: the window on the Trajectories view's function, shown part-way back (the meta-gradient flowing).
void tourGraph(std::shared_ptr<Tour> t)
{
    t->window.showView(MainWindow::Graph);
    GraphView* view = t->window.graphView();
    waitUntil(
        &t->window, [view] { return !view->isComputing() && view->result().has_value(); },
        [t, view] {
            view->canvas()->setStage(view->canvas()->window() + 3);
            QTimer::singleShot(300, &t->window, [t] {
                if (t->shoot("graph")) tourSmallWindow(t, 0, 0);
            });
        },
        60000, QObject::tr("the Graph view"), t->done);
}

// The Transfer view: the bundled quadratic optimizer on the quadratic family's variants, 5 runs each (seconds).
void tourTransfer(std::shared_ptr<Tour> t)
{
    t->window.showView(MainWindow::Transfer);
    TransferView* view = t->window.transferView();
    view->setFamily(QStringLiteral("quadratic"));
    view->setRuns(5);
    view->compute();
    waitUntil(
        &t->window, [view] { return !view->isComputing() && view->result(); },
        [t] {
            QTimer::singleShot(300, &t->window, [t] {
                if (t->shoot("transfer")) tourGraph(t);
            });
        },
        300000, QObject::tr("the Transfer view"), t->done);
}

// The Art view: the paper's test setting (held-out content, 128 x 128) with every optimizer at once.
// Baseline rates are given (the ones `l2l eval --problem neural-art` tuned) so that the tour does not
// spend minutes tuning on a fresh machine; the LSTM is the bundled neural-art optimizer.
void tourArt(std::shared_ptr<Tour> t)
{
    t->window.showView(MainWindow::Art);
    ArtView* view = t->window.artView();
    view->setExperiment(QStringLiteral("neural-art"), kTourArtOptimizers, 128);
    view->setContent(QStringLiteral("chelsea"));
    view->setStyle(QStringLiteral("scream"));
    view->setImageSize(64);
    view->setSteps(128);
    view->run();
    waitUntil(
        &t->window, [view] { return !view->isRunning(); },
        [t, view] {
            view->canvas()->setSelectedTile(view->canvas()->tileCount() - 1);
            QTimer::singleShot(300, &t->window, [t] {
                if (t->shoot("art")) tourTransfer(t);
            });
        },
        300000, QObject::tr("the Art view"), t->done);
}

void tourInspect(std::shared_ptr<Tour> t)
{
    t->window.showView(MainWindow::Inspect); // refreshes it
    InspectView* view = t->window.inspectView();
    waitUntil(
        &t->window, [view] { return !view->isComputing(); },
        [t] {
            QTimer::singleShot(300, &t->window, [t] {
                if (t->shoot("inspect")) tourArt(t);
            });
        },
        120000, QObject::tr("the Inspect view"), t->done);
}

void tourTrajectories(std::shared_ptr<Tour> t)
{
    t->window.showView(MainWindow::Trajectories);
    TrajectoryView* view = t->window.trajectoryView();
    waitUntil(
        &t->window, [view] { return !view->isComputing() && view->result().has_value(); },
        [t, view] {
            view->pause();
            view->setCurrentStep(std::min(40, view->stepCount()));
            QTimer::singleShot(300, &t->window, [t] {
                if (t->shoot("trajectories")) tourInspect(t);
            });
        },
        60000, QObject::tr("the trajectories"), t->done);
}

// Meta-training on 2-d quadratics with the learned path watched on a fixed one (lecture issue, item 2).
void tourWatch(std::shared_ptr<Tour> t)
{
    MetaTrainView* view = t->window.metaTrainView();
    // Through the panel, as a user would (the view trains on the panel's problem, and the screenshot shows both).
    t->window.resize(1280, 800);
    Experiment e = t->window.panel()->experiment();
    e.eval.problem = "quadratic2d";
    t->window.applyExperiment(e);
    t->window.showView(MainWindow::MetaTrain);
    MetaTrainConfig config = view->config();
    config.epochs = 600;
    config.validateEvery = 50;
    view->setConfig(config);
    view->setWatchEvery(50);
    view->start();
    waitUntil(
        &t->window,
        [view] { return !view->isTraining() && !view->watchPanel()->isComputing() && view->watchPanel()->reference(); },
        [t] {
            QTimer::singleShot(300, &t->window, [t] {
                if (t->shoot("meta-train-2d")) t->done(true, t->files.join(QLatin1Char('\n')));
            });
        },
        180000, QObject::tr("meta-training on 2-d quadratics"), t->done);
}

void tourMetaTrain(std::shared_ptr<Tour> t)
{
    t->window.showView(MainWindow::MetaTrain);
    MetaTrainView* view = t->window.metaTrainView();
    MetaTrainConfig config = view->config();
    config.epochs = 400; // the quadratic: about a second; enough for the curves to fall
    config.validateEvery = 20;
    view->setConfig(config);
    view->start();
    waitUntil(
        &t->window, [view] { return !view->isTraining(); },
        [t] {
            QTimer::singleShot(300, &t->window, [t] {
                if (t->shoot("meta-train")) tourTrajectories(t);
            });
        },
        180000, QObject::tr("meta-training"), t->done);
}

} // namespace

void runScreenshotTour(MainWindow& window, const QString& dir, const Done& done)
{
    if (!QDir().mkpath(dir)) {
        done(false, QObject::tr("cannot create the directory '%1'").arg(dir));
        return;
    }
    auto tour = std::make_shared<Tour>(Tour{window, QDir(dir), done, {}});
    window.setErrorDialogsEnabled(false);
    auto finished = std::make_shared<QMetaObject::Connection>();
    auto failed = std::make_shared<QMetaObject::Connection>();
    *finished = QObject::connect(&window, &MainWindow::runFinished, &window, [tour, finished, failed] {
        QObject::disconnect(*finished);
        QObject::disconnect(*failed);
        QTimer::singleShot(300, &tour->window, [tour] {
            if (tour->shoot("compare")) tourMetaTrain(tour);
        });
    });
    *failed = QObject::connect(&window, &MainWindow::runFailed, &window, [tour, finished, failed](const QString& m) {
        QObject::disconnect(*finished);
        QObject::disconnect(*failed);
        tour->done(false, m);
    });
    window.showView(MainWindow::Compare);
    window.runExperiment();
}

namespace {

// Calls `then` when the slide's figure is worth a picture: its computation has ended, or it has drawn live (steps
// or epochs, not the rate search before them) for 1.5 s; at least 1.5 s after the slide, at most 5 minutes.
void whenFigureShown(MainWindow& w, std::function<void()> then)
{
    auto shown = std::make_shared<QElapsedTimer>(), drawing = std::make_shared<QElapsedTimer>();
    shown->start();
    auto poll = std::make_shared<std::function<void()>>();
    *poll = [&w, shown, drawing, poll, then] {
        const QString detail = w.jobDetail();
        const bool live =
            w.isBusy() && (detail.startsWith(QLatin1String("step")) || detail.startsWith(QLatin1String("epoch")) ||
                           detail.startsWith(QLatin1String("wave")));
        if (live && !drawing->isValid()) drawing->start();
        const bool ready =
            shown->elapsed() >= 1500 &&
            (!w.isBusy() || (drawing->isValid() && drawing->elapsed() >= 1500) || shown->elapsed() > 300000);
        if (ready) {
            // Breaks the cycle once this call has returned (clearing it here would destroy the running closure).
            QTimer::singleShot(0, &w, [poll] { *poll = nullptr; });
            then();
        } else {
            QTimer::singleShot(250, &w, [poll] {
                if (*poll) (*poll)();
            });
        }
    };
    QTimer::singleShot(250, &w, [poll] { (*poll)(); });
}

// One slide of the lesson tour: once shown, wait for its figure (whenFigureShown), shoot "lesson-NN", then Page Down.
void tourSlide(std::shared_ptr<Tour> t, int index)
{
    MainWindow& w = t->window;
    if (index > 0 && index >= w.slideCount()) {
        w.stopExperiment();
        w.setTheme(Theme::Light);
        t->done(true, t->files.join(QLatin1Char('\n')));
        return;
    }
    auto connection = std::make_shared<QMetaObject::Connection>();
    *connection = QObject::connect(&w, &MainWindow::slideShown, &w, [t, index, connection](int shown) {
        if (shown != index) return;
        QObject::disconnect(*connection);
        whenFigureShown(t->window, [t, index] {
            if (t->shoot(QStringLiteral("lesson-%1").arg(index + 1, 2, 10, QLatin1Char('0')))) tourSlide(t, index + 1);
        });
    });
    if (index == 0) {
        if (!w.openLesson(MainWindow::bundledLessonPath()))
            t->done(false, QObject::tr("cannot open the bundled lesson: %1").arg(w.lastError()));
    } else {
        w.nextSlide();
    }
}

} // namespace

void runLessonTour(MainWindow& window, const QString& dir, const Done& done)
{
    if (!QDir().mkpath(dir)) {
        done(false, QObject::tr("cannot create the directory '%1'").arg(dir));
        return;
    }
    auto tour = std::make_shared<Tour>(Tour{window, QDir(dir), done, {}});
    window.setErrorDialogsEnabled(false);
    window.setTheme(Theme::Dark);
    window.resize(1280, 720);
    tourSlide(tour, 0);
}

namespace {

struct Bench {
    Bench(MainWindow& w, double s, Done d) : window(w), seconds(s), done(std::move(d)) {}
    MainWindow& window;
    double seconds;
    Done done;
    EventLoopMonitor monitor{5};
    QStringList report;
    QElapsedTimer stopClock;
};

void benchCompare(std::shared_ptr<Bench> b)
{
    // Long enough never to finish before Stop; given rates, so that the time is spent evaluating.
    Experiment e = b->window.panel()->experiment();
    e.eval.problem = "mnist";
    e.eval.steps = 2000;
    for (auto& o : e.optimizers)
        if (o.name != "lstm")
            o.rate = o.name == "sgd" ? "0.5" : o.name == "nag" ? "0.2" : o.name == "adam" ? "0.02" : "0.005";
    b->window.panel()->setExperiment(e);
    b->monitor.start();
    std::fprintf(stderr, "l2l-studio: Compare run on MNIST for %g s…\n", b->seconds);
    b->window.runExperiment();
    QTimer::singleShot(int(b->seconds * 1000), &b->window, [b] {
        b->monitor.stop();
        b->report << QObject::tr("Compare run on MNIST (5 optimizers × 20 runs, rates given, 2000 steps), %1 s: "
                                 "event-loop delay worst %2 ms, "
                                 "99th percentile %3 ms, mean %4 ms over %5 ticks; worst at %6 s")
                         .arg(b->seconds)
                         .arg(b->monitor.worstDelayMs(), 0, 'f', 1)
                         .arg(b->monitor.p99DelayMs(), 0, 'f', 0)
                         .arg(b->monitor.meanDelayMs(), 0, 'f', 2)
                         .arg(b->monitor.ticks())
                         .arg(b->monitor.worstAtSeconds(), 0, 'f', 2);
        auto connection = std::make_shared<QMetaObject::Connection>();
        *connection = QObject::connect(&b->window, &MainWindow::runFinished, &b->window, [b, connection] {
            QObject::disconnect(*connection);
            b->report << QObject::tr("Compare stop latency (Stop to the finished signal in the GUI thread): %1 ms")
                             .arg(double(b->stopClock.nsecsElapsed()) / 1e6, 0, 'f', 1);
            b->done(true, b->report.join(QLatin1Char('\n')));
        });
        std::fprintf(stderr, "l2l-studio: stopping the Compare run…\n");
        b->stopClock.start();
        b->window.stopExperiment();
    });
}

} // namespace

void runLatencyBench(MainWindow& window, double seconds, const Done& done)
{
    auto bench = std::make_shared<Bench>(window, seconds, done);
    window.setErrorDialogsEnabled(false);
    window.showView(MainWindow::MetaTrain);
    MetaTrainView* view = window.metaTrainView();
    view->setProblem(QStringLiteral("mnist"));
    MetaTrainConfig config = view->config();
    config.problem = "mnist";
    config.epochs = 100000;
    config.validateEvery = 5; // validation episodes included in what is measured
    view->setConfig(config);
    QObject::connect(view, &MetaTrainView::failed, &window, [bench](const QString& m) { bench->done(false, m); });
    QObject::connect(&window, &MainWindow::runFailed, &window, [bench](const QString& m) { bench->done(false, m); });
    view->start();
    if (!view->isTraining()) return; // failed() has reported why
    bench->monitor.start();
    std::fprintf(stderr, "l2l-studio: meta-training on MNIST for %g s…\n", seconds);
    QTimer::singleShot(int(seconds * 1000), &window, [bench, view] {
        bench->monitor.stop();
        bench->report << QObject::tr("MNIST meta-training, %1 s: event-loop delay worst %2 ms, 99th percentile %3 ms, "
                                     "mean %4 ms over %5 ticks of a 5 ms timer; worst at %6 s")
                             .arg(bench->seconds)
                             .arg(bench->monitor.worstDelayMs(), 0, 'f', 1)
                             .arg(bench->monitor.p99DelayMs(), 0, 'f', 0)
                             .arg(bench->monitor.meanDelayMs(), 0, 'f', 2)
                             .arg(bench->monitor.ticks())
                             .arg(bench->monitor.worstAtSeconds(), 0, 'f', 2);
        auto connection = std::make_shared<QMetaObject::Connection>();
        *connection = QObject::connect(
            view, &MetaTrainView::trainingStateChanged, &bench->window, [bench, connection](bool training, bool) {
                if (training) return;
                QObject::disconnect(*connection);
                bench->report << QObject::tr(
                                     "meta-training stop latency (Stop to the stopped signal in the GUI thread): %1 ms")
                                     .arg(double(bench->stopClock.nsecsElapsed()) / 1e6, 0, 'f', 1);
                benchCompare(bench);
            });
        std::fprintf(stderr, "l2l-studio: stopping meta-training…\n");
        bench->stopClock.start();
        view->stop();
    });
}

} // namespace l2l::ui
