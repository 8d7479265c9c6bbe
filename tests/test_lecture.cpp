// Lectures (issue 21): the bundled lesson runs from start to end with only Page Down, each slide's figure showing
// (the time to it is printed); lessons open through openFile and name a bad file; a slide made from the current
// state saves and re-opens; the presentation scale and themes restyle the plots and keep slides applied.
#include "GuiTest.h"
#include "base/Spec.h"
#include "eval/Tuning.h"
#include "io/LessonFile.h"
#include "views/ArtView.h"
#include "views/CompareView.h"
#include "views/GraphView.h"
#include "views/InspectView.h"
#include "views/LessonBar.h"
#include "views/MainWindow.h"
#include "views/MetaTrainView.h"
#include "views/TrajectoryView.h"

#include <qcustomplot.h>

#include <QApplication>
#include <QElapsedTimer>
#include <QLabel>
#include <QScrollArea>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>

#include <memory>

using namespace l2l;
using namespace l2l::ui;

namespace {
bool writeText(const QString& path, const std::string& text)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) &&
           f.write(text.data(), qint64(text.size())) == qint64(text.size());
}
} // namespace

class TestLecture : public QObject {
    Q_OBJECT
public:
    static void initMain() { l2l::test::useStudioGlFormat(); }

private slots:
    void init();
    void cleanup();
    void bundledLessonRunsWithPageDown();
    void badLessonIsNamed();
    void slideFromStateSavesAndReopens();
    void presentationRestylesPlots();
    void explanationsAreThere();
    void longSlideTextKeepsTheWindow();

private:
    std::unique_ptr<MainWindow> m_window;
    QTemporaryDir m_tmp;
};

void TestLecture::init()
{
    m_window = std::make_unique<MainWindow>();
    m_window->setErrorDialogsEnabled(false);
    m_window->setQuitConfirmation([](const QString&) { return true; });
    m_window->resize(1280, 720);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    m_window->activateWindow(); // keys go to the window (its shortcuts: Page Down, Page Up)
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
}

void TestLecture::cleanup()
{
    if (m_window->isBusy()) {
        m_window->stopExperiment();
        QTRY_VERIFY_WITH_TIMEOUT(!m_window->isBusy(), 60000);
    }
    m_window->setPresentationScale(1.0);
    m_window->setTheme(Theme::Light);
    m_window.reset();
}

void TestLecture::bundledLessonRunsWithPageDown()
{
    const Lesson lesson = loadLesson(MainWindow::bundledLessonPath().toStdString());
    MainWindow& w = *m_window;
    int shown = -1;
    connect(&w, &MainWindow::slideShown, this, [&](int i) { shown = i; });
    QSignalSpy epochs(w.metaTrainView(), &MetaTrainView::progressed);
    QSignalSpy tiles(w.artView(), &ArtView::snapshotShown);
    QVERIFY(w.openLesson(MainWindow::bundledLessonPath()));
    QCOMPARE(w.slideCount(), int(lesson.slides.size()));
    // Each figure within about a second needs the rates shipped for this build (resources/tuned-rates.json). Another
    // build (-DL2L_NATIVE=ON, another compiler) tunes them on first use, with progress shown: the art slide then
    // takes about 70 s on a 2-core machine, so the bound is wider there (the times are printed either way).
    const bool shipped = ShippedRates().applies();
    const int figureMs = shipped ? 30000 : 600000;
    if (!shipped) qInfo("the shipped tuned rates are not this build's: slides that need rates tune them first");
    QStringList times;
    for (int i = 0; i < w.slideCount(); ++i) {
        const Slide& s = lesson.slides[size_t(i)];
        if (i > 0) QTest::keyClick(&w, Qt::Key_PageDown);
        QTRY_VERIFY2_WITH_TIMEOUT(shown == i,
                                  qPrintable(QStringLiteral("slide %1 not shown (job: %2, error: %3)")
                                                 .arg(i + 1)
                                                 .arg(MainWindow::jobName(w.activeJob()), w.lastError())),
                                  60000); // after the previous job has stopped
        QElapsedTimer clock;
        clock.start();
        epochs.clear();
        tiles.clear();
        QCOMPARE(w.slideIndex(), i);
        QCOMPARE(w.lessonBar()->slideTitle(), QString::fromStdString(s.title));
        if (s.experiment)
            QCOMPARE(QString(MainWindow::viewName(w.currentView())), QString::fromStdString(s.experiment->view));
        if (s.experiment && s.experiment->view == "art") { // the slide's images, not the view's previous choice
            const Spec art = Spec::parse(w.artView()->problemSpec().toStdString()),
                       slide = Spec::parse(s.experiment->eval.problem);
            for (const char* key : {"content", "style", "size"})
                if (slide.has(key)) QCOMPARE(art.get(key, ""), slide.get(key, ""));
        }
        if (s.experiment && s.experiment->view != "compare") // the previous slide's run status is not this slide's
            QVERIFY2(!l2l::test::child<QLabel>(&w, "statusLabel")->text().startsWith(QStringLiteral("Stopped")),
                     qPrintable(l2l::test::child<QLabel>(&w, "statusLabel")->text()));
        // The slide's figure: what its view draws once it has something of this slide to show.
        qInfo("slide %d '%s' shown", i + 1, s.title.c_str());
        std::function<bool()> ready = [] { return true; };
        switch (w.currentView()) {
        case MainWindow::Compare:
            if (s.action == SlideAction::Run)
                ready = [&] {
                    return w.compareView()->placeholder().isEmpty() && w.compareView()->result().completedSteps >= 1;
                };
            break;
        case MainWindow::Trajectories:
            ready = [&] { return !w.trajectoryView()->isComputing() && w.trajectoryView()->result().has_value(); };
            break;
        case MainWindow::Inspect:
            ready = [&] { return !w.inspectView()->isComputing(); };
            break;
        case MainWindow::MetaTrain:
            if (s.action == SlideAction::Run) ready = [&] { return epochs.count() >= 1; };
            break;
        case MainWindow::Art:
            if (s.action == SlideAction::Run) ready = [&] { return tiles.count() >= 1; };
            break;
        case MainWindow::Transfer:
            break;
        case MainWindow::Graph: // computed, and (action "play") animating
            ready = [&] {
                return !w.graphView()->isComputing() && w.graphView()->result().has_value() &&
                       (s.action != SlideAction::Play || w.graphView()->isPlaying());
            };
            break;
        }
        // Generous for a loaded CI machine; the times are printed (the lesson aims at about a second).
        QTRY_VERIFY2_WITH_TIMEOUT(ready(),
                                  qPrintable(QStringLiteral("slide %1 '%2' showed nothing in time (job: %3; "
                                                            "art status: %4)")
                                                 .arg(i + 1)
                                                 .arg(QString::fromStdString(s.title))
                                                 .arg(MainWindow::jobName(w.activeJob()))
                                                 .arg(l2l::test::child<QLabel>(&w, "artStatus")->text())),
                                  figureMs);
        times << QStringLiteral("%1: %2 ms").arg(i + 1).arg(clock.elapsed());
        qInfo("slide %d '%s': figure after %lld ms", i + 1, s.title.c_str(), clock.elapsed());
        QVERIFY2(w.lastError().isEmpty(), qPrintable(w.lastError()));
    }
    qInfo("time from each slide to its figure: %s", qPrintable(times.join(", ")));
    QTest::keyClick(&w, Qt::Key_PageDown); // past the end: stays
    QCOMPARE(w.slideIndex(), w.slideCount() - 1);
    QTest::keyClick(&w, Qt::Key_PageUp);
    QTRY_COMPARE_WITH_TIMEOUT(shown, w.slideCount() - 2, 60000);
    w.endLesson();
    QVERIFY(!w.lessonBar()->isVisible());
    QVERIFY(!w.hasLesson());
}

void TestLecture::badLessonIsNamed()
{
    const QString path = m_tmp.filePath("bad.l2l.json");
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"format": "l2l-lesson", "version": 1, "slides": [{"title": "one", "action": "dance"}]})");
    f.close();
    QVERIFY(!m_window->openFile(path));
    QVERIFY2(m_window->lastError().contains(path) && m_window->lastError().contains("slide 1 (\"one\")") &&
                 m_window->lastError().contains("action"),
             qPrintable(m_window->lastError()));
    QVERIFY(!m_window->hasLesson());
    QVERIFY(!m_window->lessonBar()->isVisible());
    // Every slide is checked when the lesson opens, not when the lecturer reaches it: an unknown problem and a
    // missing optimizer file on slide 2 refuse the lesson, naming the file, the slide and the key.
    Lesson lesson;
    lesson.title = "checked";
    lesson.slides.resize(2);
    lesson.slides[0].title = "fine";
    lesson.slides[1].title = "broken";
    lesson.slides[1].experiment = Experiment{};
    const auto refused = [&](const QString& name, const QString& fault) {
        const QString path = m_tmp.filePath(name);
        QVERIFY(writeText(path, lessonToJson(lesson)));
        QVERIFY(!m_window->openFile(path));
        const QString error = m_window->lastError();
        QVERIFY2(error.contains(path) && error.contains("slide 2 (\"broken\")") && error.contains(fault),
                 qPrintable(error));
    };
    lesson.slides[1].experiment->eval.problem = "nosuchproblem";
    refused("bad-problem.l2l.json", "unknown problem 'nosuchproblem' (valid problems: ");
    lesson.slides[1].experiment->eval.problem = "quadratic";
    lesson.slides[1].experiment->optimizers = {{"lstm", true, "", m_tmp.filePath("gone.json").toStdString()}};
    refused("missing-optimizer.l2l.json", "gone.json");
    QVERIFY(!m_window->hasLesson());
}

void TestLecture::slideFromStateSavesAndReopens()
{
    MainWindow& w = *m_window;
    w.showView(MainWindow::Trajectories);
    w.trajectoryView()->setFunctionSpec(QStringLiteral("himmelblau"));
    w.addSlideFromState(QStringLiteral("Himmelblau"), QStringLiteral("four minima\nwhich one?"));
    w.showView(MainWindow::Compare);
    w.addSlideFromState(QStringLiteral("Compare"), QString());
    QCOMPARE(w.slideCount(), 2);
    const QString path = m_tmp.filePath("mine.l2l.json");
    QVERIFY(w.saveLessonTo(path));
    const Lesson back = loadLesson(path.toStdString());
    QCOMPARE(back.slides.size(), size_t(2));
    QCOMPARE(back.slides[0].title, std::string("Himmelblau"));
    QCOMPARE(back.slides[0].text, std::string("four minima\nwhich one?"));
    QVERIFY(back.slides[0].experiment && back.slides[0].experiment->view == "trajectories");
    QCOMPARE(back.slides[0].experiment->trajectoryFunction, std::string("himmelblau"));
    QVERIFY(back.slides[0].action == SlideAction::Play);
    QVERIFY(back.slides[1].action == SlideAction::Run);
    // A title over the limit (in characters: 250 θ are 500 bytes) is cut to it, shown as it is saved.
    w.addSlideFromState(QString(250, QChar(0x03B8)), QStringLiteral("long"));
    QCOMPARE(w.lessonBar()->slideTitle(), QString(kMaxSlideTitle, QChar(0x03B8)));
    const QString longer = m_tmp.filePath("longer.l2l.json");
    QVERIFY2(w.saveLessonTo(longer), qPrintable(w.lastError()));
    QCOMPARE(QString::fromStdString(loadLesson(longer.toStdString()).slides[2].title), w.lessonBar()->slideTitle());
    w.endLesson();
    QVERIFY(w.openFile(path)); // a lesson opens like any l2l file
    QTRY_COMPARE_WITH_TIMEOUT(w.currentView(), MainWindow::Trajectories, 5000);
    QCOMPARE(w.trajectoryView()->functionSpec(), QStringLiteral("himmelblau"));
}

// Presentation scale and themes restyle every plot: fonts and lines grow with the scale, the dark theme darkens
// the plots' background, and going back restores the base.
void TestLecture::presentationRestylesPlots()
{
    MainWindow& w = *m_window;
    QCustomPlot* plot = w.compareView()->plot();
    const double tick = plot->xAxis->tickLabelFont().pointSizeF();
    const QFont app = QApplication::font();
    w.setPresentationScale(2.0);
    QCOMPARE(w.presentationScale(), 2.0);
    QCOMPARE(plot->xAxis->tickLabelFont().pointSizeF(), 2 * tick);
    QCOMPARE(QApplication::font().pointSizeF(), 2 * app.pointSizeF());
    w.setPresentationScale(100); // clamped
    QCOMPARE(w.presentationScale(), Theme::kMaxScale);
    w.setTheme(Theme::Dark);
    QVERIFY(plot->axisRect()->backgroundBrush().color().lightness() < 60);
    QVERIFY(QApplication::palette().color(QPalette::Window).lightness() < 80);
    QVERIFY(plot->xAxis->tickLabelColor().lightness() > 180);
    w.setPresentationScale(1.0);
    w.setTheme(Theme::Light);
    QCOMPARE(plot->xAxis->tickLabelFont().pointSizeF(), tick);
    QCOMPARE(QApplication::font().pointSizeF(), app.pointSizeF());
    QVERIFY(plot->xAxis->tickLabelColor().lightness() < 60);
}

// Captions under the Inspect plots, What's This on every control with a tooltip, the paper summary offline.
void TestLecture::explanationsAreThere()
{
    MainWindow& w = *m_window;
    w.showView(MainWindow::Inspect);
    for (const char* plot : {"responsePlot", "effectiveLrPlot", "hiddenPlot"}) {
        auto* caption = l2l::test::child<QLabel>(&w, QStringLiteral("caption_") + plot);
        QVERIFY(caption->text().startsWith("What to look for"));
        QVERIFY(caption->isVisible());
        QVERIFY(!l2l::test::child<QCustomPlot>(&w, plot)->whatsThis().isEmpty());
    }
    // A lesson hides them (its slide's text speaks): on a 1280x720 projector the lower plot then fits without
    // scrolling (it was pushed 240 px below the view). Ending the lesson brings them back.
    w.addSlideFromState(QStringLiteral("What the LSTM learned"),
                        QStringLiteral("Three lines of text, as the bundled lesson's slides have.\nTwo\nThree"));
    QTest::qWait(200);
    QScrollArea* area = nullptr;
    for (QWidget* p = w.inspectView(); p && !area; p = p->parentWidget()) area = qobject_cast<QScrollArea*>(p);
    QVERIFY(area);
    QCOMPARE(area->verticalScrollBar()->maximum(), 0);
    for (const char* plot : {"responsePlot", "effectiveLrPlot", "hiddenPlot"})
        QVERIFY(!l2l::test::child<QLabel>(&w, QStringLiteral("caption_") + plot)->isVisible());
    // The Graph view too, under four lines of text as the bundled Graph slide has at 1280 px (its hint under the
    // graph keeps two lines instead of three; it scrolled by a few pixels).
    w.showView(MainWindow::Graph);
    w.addSlideFromState(QStringLiteral("The graph"), QStringLiteral("Four lines of text.\nTwo\nThree\nFour"));
    QTest::qWait(200);
    QScrollArea* graphArea = nullptr;
    for (QWidget* p = w.graphView(); p && !graphArea; p = p->parentWidget()) graphArea = qobject_cast<QScrollArea*>(p);
    QVERIFY(graphArea);
    QCOMPARE(graphArea->verticalScrollBar()->maximum(), 0);
    w.endLesson();
    w.showView(MainWindow::Inspect);
    for (const char* plot : {"responsePlot", "effectiveLrPlot", "hiddenPlot"})
        QVERIFY(l2l::test::child<QLabel>(&w, QStringLiteral("caption_") + plot)->isVisible());
    QStringList missing;
    for (QWidget* c : w.findChildren<QWidget*>())
        if (!c->toolTip().isEmpty() && c->whatsThis().isEmpty()) missing << c->objectName();
    QVERIFY2(missing.isEmpty(), qPrintable(missing.join(", ")));
    l2l::test::child<QAction>(&w, "paperSummaryAction")->trigger();
    auto* text = l2l::test::child<QTextBrowser>(&w, "paperSummaryText");
    QVERIFY(text->toPlainText().contains("coordinatewise"));
    QVERIFY(text->toHtml().contains("arxiv.org/abs/1606.04474"));
}

// A slide's text never widens the window or pushes the figure off it: a 3000-character word wraps (a QLabel breaks
// only at spaces: the window grew to 23392 px and went black) and a 40-line text scrolls inside the strip.
void TestLecture::longSlideTextKeepsTheWindow()
{
    MainWindow& w = *m_window;
    const QSize before = w.size();
    QString lines;
    for (int i = 0; i < 40; ++i) lines += QStringLiteral("Line %1: word word word word word word word word\n").arg(i);
    for (const QString& text : {QString(3000, QLatin1Char('x')), lines}) {
        w.lessonBar()->showSlide(0, 2, QStringLiteral("lesson"), QString(200, QLatin1Char('T')), text);
        w.lessonBar()->show();
        QTest::qWait(100);
        QCOMPARE(w.size(), before);
        QVERIFY2(w.lessonBar()->height() < before.height() / 3,
                 qPrintable(QStringLiteral("the strip is %1 px tall").arg(w.lessonBar()->height())));
        QCOMPARE(w.lessonBar()->slideText(), text); // as given, without the added break opportunities
        QVERIFY(w.lessonBar()->width() <= before.width());
    }
}

QTEST_MAIN(TestLecture)
#include "test_lecture.moc"
