// Layouts that hold (issue 20): the studio window at every size from 1024x640 up to the screen, each view shown,
// with nothing outside its parent, no window larger than asked or than the screen, long status texts elided instead
// of widening the window, and table numbers on one line. ctest runs it twice in its own 2560x1600 Xvfb screen: at
// scale factor 1 and with QT_SCALE_FACTOR=2 (where the screen is 1280x800 logical pixels).
#include "GuiTest.h"
#include "io/LessonFile.h"
#include "views/ArtView.h"
#include "views/CompareView.h"
#include "views/LessonBar.h"
#include "views/MainWindow.h"

#include <QAbstractScrollArea>
#include <QApplication>
#include <QLabel>
#include <QScreen>
#include <QTableWidget>
#include <QTest>
#include <QToolBar>

#include <memory>

using namespace l2l;
using namespace l2l::ui;
using l2l::test::child;

namespace {

// The widgets drawn outside their parent's rectangle (scrolled content and toolbar overflow excepted), as
// "class name: geometry in parent WxH" lines.
QStringList outsideTheirParent(QWidget* root)
{
    QStringList bad;
    for (QWidget* w : root->findChildren<QWidget*>()) {
        if (!w->isVisible() || w->isWindow() || w->objectName() == "focusRing")
            continue; // the ring frames from outside
        QWidget* parent = w->parentWidget();
        if (!parent || !parent->isVisible()) continue;
        // Content of a scroll area (and the viewport of a plot or table) may be larger: it scrolls.
        bool scrolled = false;
        // (The scroll area around each whole view is not such a place: a view fills it and is checked inside.)
        for (QWidget* p = parent; p && p != root; p = p->parentWidget())
            if (auto* area = qobject_cast<QAbstractScrollArea*>(p);
                area && area->objectName() != "viewScroll" && area->viewport()->isAncestorOf(w))
                scrolled = true;
        // A whole view larger than its tab scrolls there (a large presentation scale); what is inside it is checked.
        if (parent->parentWidget() && parent->parentWidget()->objectName() == "viewScroll") scrolled = true;
        if (scrolled || qobject_cast<QToolBar*>(parent)) continue;
        const QRect r = w->geometry(), inside = parent->rect().adjusted(-1, -1, 1, 1);
        if (!inside.contains(r))
            bad << QStringLiteral("%1 '%2' at %3,%4 %5x%6 in %7 '%8' %9x%10")
                       .arg(w->metaObject()->className(), w->objectName())
                       .arg(r.x())
                       .arg(r.y())
                       .arg(r.width())
                       .arg(r.height())
                       .arg(parent->metaObject()->className(), parent->objectName())
                       .arg(parent->width())
                       .arg(parent->height());
    }
    return bad;
}

} // namespace

class TestLayout : public QObject {
    Q_OBJECT
public:
    static void initMain() { l2l::test::useStudioGlFormat(); }

private slots:
    void everyViewFitsEverySize_data();
    void everyViewFitsEverySize();
    void longStatusTextDoesNotWidenTheWindow();
    void defaultWindowFitsTheScreen();
};

void TestLayout::everyViewFitsEverySize_data()
{
    QTest::addColumn<QSize>("size");
    QTest::addColumn<bool>("lecture"); // dark theme, presentation scale 1.5, the lesson strip with its longest slide
    const QSize screen = QGuiApplication::primaryScreen()->availableGeometry().size();
    for (const QSize s : {QSize(1024, 640), QSize(1280, 720), QSize(1600, 1000), QSize(2560, 1440)})
        if (s.width() <= screen.width() && s.height() <= screen.height())
            QTest::newRow(qPrintable(QStringLiteral("%1x%2").arg(s.width()).arg(s.height()))) << s << false;
    QTest::newRow("1280x720 lecture") << QSize(1280, 720) << true;
    // The smallest the window lets itself be made (a window manager keeps it from going below): an empty size
    // stands for it, read from the window in the test.
    QTest::newRow("its minimum") << QSize() << false;
    QVERIFY2(screen.width() >= 1024 && screen.height() >= 640,
             qPrintable(QStringLiteral("the screen (%1x%2 logical) is smaller than the smallest supported size")
                            .arg(screen.width())
                            .arg(screen.height())));
}

void TestLayout::everyViewFitsEverySize()
{
    QFETCH(QSize, size);
    QFETCH(bool, lecture);
    MainWindow w;
    struct Restore { // the theme and scale are the process's: the next rows start from the defaults
        MainWindow& w;
        ~Restore()
        {
            w.setPresentationScale(1.0);
            w.setTheme(Theme::Light);
        }
    } restore{w};
    if (lecture) {
        w.setTheme(Theme::Dark);
        w.setPresentationScale(1.5);
        const Lesson lesson = loadLesson(MainWindow::bundledLessonPath().toStdString());
        const Slide* longest = &lesson.slides.front();
        for (const Slide& s : lesson.slides)
            if (s.text.size() > longest->text.size()) longest = &s;
        w.lessonBar()->showSlide(0, int(lesson.slides.size()), QString::fromStdString(lesson.title),
                                 QString::fromStdString(longest->title), QString::fromStdString(longest->text));
        w.lessonBar()->show();
    }
    if (qEnvironmentVariableIsSet("L2L_LAYOUT_DEBUG"))
        for (QWidget* c : w.findChildren<QWidget*>())
            if (c->minimumSizeHint().width() > 500 || c->minimumSizeHint().height() > 500)
                qInfo("%s '%s' min %dx%d", c->metaObject()->className(), qPrintable(c->objectName()),
                      c->minimumSizeHint().width(), c->minimumSizeHint().height());
    if (size.isEmpty()) {
        size = w.minimumSizeHint().expandedTo(w.minimumSize());
        qInfo("the window's minimum: %dx%d", size.width(), size.height());
        QVERIFY2(size.width() <= 1024 && size.height() <= 640,
                 qPrintable(QStringLiteral("the window cannot be made as small as 1024x640: its minimum is %1x%2")
                                .arg(size.width())
                                .arg(size.height())));
    }
    w.resize(size);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    for (int v = 0; v < MainWindow::kViewCount; ++v) {
        w.showView(MainWindow::View(v));
        QTest::qWait(50);
        const QString where = QStringLiteral("%1 at %2x%3 (scale %4%5)")
                                  .arg(MainWindow::viewName(MainWindow::View(v)))
                                  .arg(size.width())
                                  .arg(size.height())
                                  .arg(w.devicePixelRatio())
                                  .arg(lecture ? QStringLiteral(", lecture: presentation scale 1.5, dark") : QString());
        QVERIFY2(w.width() <= size.width() && w.height() <= size.height(),
                 qPrintable(where + QStringLiteral(": the window grew to %1x%2 (minimum size %3x%4)")
                                        .arg(w.width())
                                        .arg(w.height())
                                        .arg(w.minimumSizeHint().width())
                                        .arg(w.minimumSizeHint().height())));
        const QStringList bad = outsideTheirParent(&w);
        QVERIFY2(bad.isEmpty(), qPrintable(where + ": " + bad.join("; ")));
        // Its buttons and progress in sight without scrolling (from 640 high; below, the view scrolls).
        if (MainWindow::View(v) == MainWindow::MetaTrain && size.height() >= 640)
            for (const char* name : {"trainStart", "trainStop", "trainProgress", "trainBestLabel"}) {
                const auto* c = w.findChild<QWidget*>(name);
                QVERIFY2(c && c->visibleRegion().boundingRect() == c->rect(),
                         qPrintable(where + ": " + name + " is not wholly in sight"));
            }
    }
    // The Compare table keeps its numbers on one line.
    QVERIFY(!w.compareView()->table()->wordWrap());
}

// A long status (the Art view's "done, 128 steps: sgd 0.5433, ...") is elided with the whole text as its tooltip:
// every named one-line label of every view (the ones whose text changes at run time) is set to a long text.
void TestLayout::longStatusTextDoesNotWidenTheWindow()
{
    MainWindow w;
    w.resize(1024, 640);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    const QSize before = w.size();
    QString text = QStringLiteral("done, 128 steps:");
    for (int i = 0; i < 40; ++i) text += QStringLiteral(" optimizer%1 0.5433,").arg(i);
    int checked = 0;
    for (int v = 0; v < MainWindow::kViewCount; ++v) {
        w.showView(MainWindow::View(v));
        QTest::qWait(20);
        for (QLabel* label : w.findChildren<QLabel*>()) {
            if (!label->isVisible() || label->wordWrap() || label->objectName().isEmpty()) continue;
            ++checked;
            const QString old = label->text();
            label->setText(text);
            QTest::qWait(20);
            QVERIFY2(w.size() == before, qPrintable(QStringLiteral("label '%1' widened the window to %2x%3")
                                                        .arg(label->objectName())
                                                        .arg(w.width())
                                                        .arg(w.height())));
            label->setText(old);
        }
    }
    QVERIFY(checked >= 4);
}

// The window's default size fits the screen it opens on, at any scale.
void TestLayout::defaultWindowFitsTheScreen()
{
    MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    const QRect screen = w.screen()->availableGeometry();
    QVERIFY2(w.frameGeometry().width() <= screen.width() && w.frameGeometry().height() <= screen.height(),
             qPrintable(QStringLiteral("%1x%2 on a %3x%4 screen")
                            .arg(w.frameGeometry().width())
                            .arg(w.frameGeometry().height())
                            .arg(screen.width())
                            .arg(screen.height())));
}

QTEST_MAIN(TestLayout)
#include "test_layout.moc"
