// The Art view driven like a user would: the canvas shader draws every tile's image where the layout
// says (checked pixel by pixel, not "non-empty"), zoom keeps the point under the cursor, a run of two
// optimizers updates their images live and lowers their losses, Stop keeps the images reached, a tile
// saves as a PNG that reads back, and a bad style file is reported by name with the canvas left as it
// was. Runs on xcb under Xvfb (QOpenGLWidget crashes on offscreen).
#include "GuiTest.h"
#include "ResidentMemory.h"
#include "base/Spec.h"
#include "gl/ArtCanvas.h"
#include "problems/NeuralArt.h"
#include "views/ArtView.h"

#include <qcustomplot.h>

#include <QApplication>
#include <QFile>
#include <QHelpEvent>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QTimer>
#include <QToolTip>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

using namespace l2l;
using namespace l2l::ui;

namespace {

QImage solid(int w, int h, QColor c)
{
    QImage image(w, h, QImage::Format_RGB888);
    image.fill(c);
    return image;
}

// Mean absolute difference per channel (0..255) of two images of the same size.
double meanDifference(const QImage& a, const QImage& b)
{
    const QImage x = a.convertToFormat(QImage::Format_RGB888), y = b.convertToFormat(QImage::Format_RGB888);
    if (x.size() != y.size()) return 255;
    double sum = 0;
    for (int r = 0; r < x.height(); ++r)
        for (int i = 0; i < 3 * x.width(); ++i)
            sum += std::abs(int(x.constScanLine(r)[i]) - int(y.constScanLine(r)[i]));
    return sum / (3.0 * x.width() * x.height());
}

// Shows `view` and runs Adam for 3 steps on a 24 x 24 image; true once the run has finished.
bool paintThreeSteps(ArtView& view)
{
    view.show();
    view.setExperiment(QString(), {QStringLiteral("adam:lr=0.05")}, 100);
    view.setImageSize(24);
    view.setSteps(3);
    QSignalSpy finished(&view, &ArtView::finished);
    view.run();
    return finished.wait(60000);
}

bool near(QRgb c, QColor want)
{
    return std::abs(qRed(c) - want.red()) < 12 && std::abs(qGreen(c) - want.green()) < 12 &&
           std::abs(qBlue(c) - want.blue()) < 12;
}

} // namespace

class TestArtView : public QObject {
    Q_OBJECT
public:
    static void initMain() { l2l::test::useStudioGlFormat(); }

private slots:
    void canvasDrawsEveryTileWhereTheLayoutSays();
    void captionsFitTheTiles();
    void zoomKeepsThePointUnderTheCursor();
    void runUpdatesImagesAndLowersLosses();
    void stopKeepsTheImagesReached();
    void savedTileReadsBack();
    void badStyleFileIsReportedByName();
    void panelImagesReachTheControls();
    void tuningShowsProgress();
    void thousandStartStops();
};

void TestArtView::canvasDrawsEveryTileWhereTheLayoutSays()
{
    ArtCanvas canvas;
    canvas.resize(640, 400);
    canvas.show();
    QVERIFY(QTest::qWaitForWindowExposed(&canvas));
    const QList<QColor> colours = {QColor(220, 30, 30), QColor(30, 200, 40), QColor(40, 60, 230)};
    QList<ArtTile> tiles;
    for (int i = 0; i < colours.size(); ++i)
        tiles << ArtTile{QStringLiteral("tile %1").arg(i), QStringLiteral("detail"), solid(16, 16, colours[i]), false};
    canvas.setTiles(tiles);
    const QImage shot = canvas.renderCanvas();
    QVERIFY2(canvas.isShaderReady(), qPrintable(canvas.shaderLog()));
    const double dpr = shot.devicePixelRatio();
    for (int i = 0; i < colours.size(); ++i) {
        const QRect r = canvas.tileRect(i);
        QVERIFY(r.width() > 50);
        const QPoint centre = r.center() * dpr;
        QVERIFY2(near(shot.pixel(centre), colours[i]),
                 qPrintable(QStringLiteral("tile %1 centre is %2").arg(i).arg(QColor(shot.pixel(centre)).name())));
        QCOMPARE(canvas.tileAt(r.center()), i);
    }
    // A new image for one tile replaces only that tile's pixels.
    canvas.updateTile(1, solid(16, 16, QColor(250, 250, 20)), QStringLiteral("step 1"));
    const QImage after = canvas.renderCanvas();
    QVERIFY(near(after.pixel(canvas.tileRect(1).center() * dpr), QColor(250, 250, 20)));
    QVERIFY(near(after.pixel(canvas.tileRect(0).center() * dpr), colours[0]));
    // The selection frame is the screen's: a saved figure is the same with a tile selected or none.
    canvas.setSelectedTile(1);
    const QImage selected = canvas.renderCanvas();
    canvas.setSelectedTile(-1);
    QCOMPARE(selected, canvas.renderCanvas());
}

// Small tiles: the detail takes two lines rather than being cut; captions never reach the next row of tiles.
void TestArtView::captionsFitTheTiles()
{
    ArtCanvas canvas;
    QList<ArtTile> tiles;
    for (int i = 0; i < 7; ++i)
        tiles << ArtTile{QStringLiteral("rmsprop (lr 0.01)"), QStringLiteral("step 128 · loss 0.7698"),
                         solid(16, 16, QColor(90, 90, 90)), false};
    canvas.setTiles(tiles);
    const QFontMetrics fm = canvas.fontMetrics();
    for (const QSize size : {QSize(560, 330), QSize(1600, 900)}) {
        canvas.resize(size);
        canvas.show();
        QVERIFY(QTest::qWaitForWindowExposed(&canvas));
        const int side = canvas.tileRect(0).width();
        const bool fits = fm.horizontalAdvance(tiles[0].detail) <= side;
        QCOMPARE(canvas.captionLines(), fits ? 2 : 3);
        if (!fits) {
            QVERIFY(fm.horizontalAdvance(QStringLiteral("step 128")) <= side);
            QVERIFY(fm.horizontalAdvance(QStringLiteral("loss 0.7698")) <= side);
        }
        for (int i = 0; i < canvas.tileCount(); ++i) {
            const QRect r = canvas.tileRect(i);
            QVERIFY(canvas.rect().contains(r));
            QVERIFY(r.bottom() + 3 + canvas.captionLines() * fm.height() <= canvas.height());
            for (int j = 0; j < canvas.tileCount(); ++j) // the next row starts below this tile's captions
                if (canvas.tileRect(j).top() > r.top())
                    QVERIFY(canvas.tileRect(j).top() >= r.bottom() + 3 + canvas.captionLines() * fm.height());
        }
        qInfo("%dx%d: tiles of %d px, %d caption lines", size.width(), size.height(), side, canvas.captionLines());
    }
}

void TestArtView::zoomKeepsThePointUnderTheCursor()
{
    ArtCanvas canvas;
    canvas.resize(400, 400);
    canvas.show();
    QVERIFY(QTest::qWaitForWindowExposed(&canvas));
    // Left half red, right half blue: after zooming about a point in the red half it stays red there,
    // and the tile's centre pixel (which was at the boundary) moves into the red half.
    QImage image(32, 32, QImage::Format_RGB888);
    for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x) image.setPixelColor(x, y, x < 16 ? QColor(255, 0, 0) : QColor(0, 0, 255));
    canvas.setTiles({ArtTile{QStringLiteral("split"), {}, image, false}});
    const QRect r = canvas.tileRect(0);
    const QPoint cursor(r.left() + r.width() / 4, r.center().y());
    QWheelEvent wheel(QPointF(cursor), QPointF(canvas.mapToGlobal(cursor)), QPoint(), QPoint(0, 120 * 4), Qt::NoButton,
                      Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(&canvas, &wheel);
    QVERIFY(canvas.zoom() > 2.0);
    const QImage shot = canvas.renderCanvas();
    const double dpr = shot.devicePixelRatio();
    QVERIFY(near(shot.pixel(cursor * dpr), QColor(255, 0, 0)));
    const QPoint right(r.right() - 4, r.center().y());
    QVERIFY2(near(shot.pixel(right * dpr), QColor(0, 0, 255)), "the zoomed view should still reach the blue half");
    canvas.resetView();
    QCOMPARE(canvas.zoom(), 1.0);
}

void TestArtView::runUpdatesImagesAndLowersLosses()
{
    ArtView view;
    view.resize(1000, 700);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.setExperiment(QStringLiteral("quadratic"), {QStringLiteral("adam:lr=0.05"), QStringLiteral("sgd:lr=0.5")},
                       100);
    view.setContent(QStringLiteral("chelsea"));
    view.setStyle(QStringLiteral("scream"));
    view.setImageSize(32);
    view.setSteps(40);
    QSignalSpy finished(&view, &ArtView::finished);
    QSignalSpy failed(&view, &ArtView::failed);
    view.run();
    QVERIFY(finished.wait(120000));
    QCOMPARE(failed.count(), 0);
    QCOMPARE(finished.first().first().toBool(), false); // not stopped
    const ArtSnapshot& s = view.lastSnapshot();
    QCOMPARE(s.step, 40);
    QCOMPARE(int(s.images.size()), 2);
    ArtCanvas* canvas = view.canvas();
    QCOMPARE(canvas->tileCount(), 4); // content, style, two optimizers
    for (int i = 0; i < 2; ++i) {
        QCOMPARE(int(s.loss[size_t(i)].size()), 41);
        QVERIFY2(s.loss[size_t(i)].back() < 0.9 * s.loss[size_t(i)].front(),
                 qPrintable(QStringLiteral("%1: %2 -> %3")
                                .arg(s.labels[i])
                                .arg(s.loss[size_t(i)].front())
                                .arg(s.loss[size_t(i)].back())));
        // The optimizer's image moved away from the content image it started from.
        QVERIFY(meanDifference(canvas->tile(i + 2).image, canvas->tile(0).image) > 1.0);
    }
    // The canvas shows those images: each tile's centre pixel is the image's centre pixel.
    const QImage shot = canvas->renderCanvas();
    const double dpr = shot.devicePixelRatio();
    for (int i = 0; i < canvas->tileCount(); ++i) {
        const QImage& img = canvas->tile(i).image;
        const QRect r = canvas->tileRect(i);
        // Pick a pixel well inside one image pixel (magnified with nearest filtering).
        const int px = img.width() / 2, py = img.height() / 2;
        const QPoint at(r.left() + int((px + 0.5) * r.width() / img.width()),
                        r.top() + int((py + 0.5) * r.height() / img.height()));
        if (img.width() != img.height()) continue; // a non-square style is letterboxed
        QVERIFY2(near(shot.pixel(at * dpr), img.pixelColor(px, py)),
                 qPrintable(QStringLiteral("tile %1 shows %2, image has %3")
                                .arg(i)
                                .arg(QColor(shot.pixel(at * dpr)).name(), img.pixelColor(px, py).name())));
    }
    QCOMPARE(view.lossPlot()->graphCount(), 2);
}

void TestArtView::stopKeepsTheImagesReached()
{
    ArtView view;
    view.show();
    view.setExperiment(QString(), {QStringLiteral("adam:lr=0.05")}, 100);
    view.setContent(QStringLiteral("chelsea"));
    view.setImageSize(48);
    view.setSteps(5000);
    QSignalSpy shown(&view, &ArtView::snapshotShown);
    QSignalSpy finished(&view, &ArtView::finished);
    view.run();
    QTRY_VERIFY_WITH_TIMEOUT(view.lastSnapshot().step >= 3, 60000);
    view.stop();
    QVERIFY(finished.wait(60000));
    QCOMPARE(finished.first().first().toBool(), true);
    const int reached = view.lastSnapshot().step;
    QVERIFY(reached >= 3 && reached < 5000);
    QVERIFY(!view.canvas()->tile(2).image.isNull());
    QVERIFY(!view.isRunning());
}

void TestArtView::savedTileReadsBack()
{
    ArtView view;
    QVERIFY(paintThreeSteps(view));
    // After the run the last optimizer's tile is selected, so Save image... works without a click first.
    QCOMPARE(view.canvas()->selectedTile(), view.canvas()->tileCount() - 1);
    QVERIFY(view.findChild<QPushButton*>(QStringLiteral("artSave"))->isEnabled());
    // A caption may be elided: the tooltip over it gives it whole.
    ArtCanvas* canvas = view.canvas();
    const QPoint caption = canvas->tileRect(2).bottomLeft() + QPoint(4, 8);
    QHelpEvent help(QEvent::ToolTip, caption, canvas->mapToGlobal(caption));
    QApplication::sendEvent(canvas, &help);
    QTRY_VERIFY2(QToolTip::text().startsWith(canvas->tile(2).title), qPrintable(QToolTip::text()));
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("adam.png"));
    QString error;
    QVERIFY2(view.saveTile(2, path, &error), qPrintable(error));
    const QImage back(path);
    QCOMPARE(back.size(), QSize(24, 24));
    QCOMPARE(meanDifference(back, view.canvas()->tile(2).image), 0.0);
    QVERIFY(!view.saveTile(2, dir.filePath(QStringLiteral("missing/dir/x.png")), &error));
    QVERIFY(error.contains(QStringLiteral("missing/dir/x.png")));
    const QString csv = dir.filePath(QStringLiteral("loss.csv"));
    QVERIFY(view.exportCsv(csv, &error));
    QFile f(csv);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll().count('\n'), 1 + 4); // header + steps 0..3
}

void TestArtView::badStyleFileIsReportedByName()
{
    ArtView view;
    QVERIFY(paintThreeSteps(view));
    const QImage before = view.canvas()->tile(2).image;

    QTemporaryDir dir;
    const QString bad = dir.filePath(QStringLiteral("not-an-image.png"));
    QFile f(bad);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("this is text, not a PNG");
    f.close();
    view.setStyle(bad);
    QSignalSpy failed(&view, &ArtView::failed);
    view.run();
    QVERIFY(failed.wait(60000) || failed.count() == 1);
    QVERIFY2(failed.first().first().toString().contains(QStringLiteral("not-an-image.png")),
             qPrintable(failed.first().first().toString()));
    QTRY_VERIFY_WITH_TIMEOUT(!view.isRunning(), 30000);
    QCOMPARE(view.canvas()->tile(2).image, before); // the last good images stay on the canvas
}

// The images and size a panel spec names are set in the view's controls when they change there (a lesson slide);
// the view's own choices stand until then. A fresh view shows the default whose baseline rates ship.
void TestArtView::panelImagesReachTheControls()
{
    ArtView view;
    const auto spec = [&view] { return Spec::parse(view.problemSpec().toStdString()); };
    QCOMPARE(spec().get("content", ""), std::string("coffee"));
    QCOMPARE(spec().get("style", ""), std::string("hubble"));
    QCOMPARE(spec().get("size", ""), std::string("128"));
    view.setExperiment(QStringLiteral("neural-art:content=chelsea,style=scream,size=48"), {QStringLiteral("adam")},
                       100);
    QCOMPARE(spec().get("content", ""), std::string("chelsea"));
    QCOMPARE(spec().get("style", ""), std::string("scream"));
    QCOMPARE(spec().get("size", ""), std::string("48"));
    view.setContent(QStringLiteral("rocket")); // the user's choice in the view
    view.setExperiment(QStringLiteral("neural-art:content=chelsea,style=scream,size=48,beta=5"), {}, 100);
    QCOMPARE(spec().get("content", ""), std::string("rocket")); // unchanged in the panel: the view's choice stands
    QCOMPARE(spec().get("beta", ""), std::string("5"));         // the panel's other options are used
    view.setExperiment(QStringLiteral("neural-art:content=test"), {}, 100);
    QCOMPARE(spec().get("content", ""), std::string("chelsea")); // the held-out set's photo
    view.setExperiment(QStringLiteral("neural-art:content=train"), {}, 100);
    QCOMPARE(spec().get("content", ""), std::string(artContentSet("train").front()));
    view.setExperiment(QStringLiteral("quadratic"), {}, 100); // names no image: the view keeps its own
    QCOMPARE(spec().get("content", ""), std::string(artContentSet("train").front()));
}

// A rate left to tuning is searched before the first image: the search's progress is on the canvas and the status
// line (not the "press Run" text), and the canvas is back to its hint after the run.
void TestArtView::tuningShowsProgress()
{
    QTemporaryDir cacheDir;
    qputenv("L2L_CACHE_DIR", cacheDir.path().toUtf8()); // an empty cache: the rate is searched here
    ArtView view;
    view.show();
    view.setExperiment(QString(), {QStringLiteral("sgd")}, 100);
    view.setImageSize(48);
    view.setSteps(40); // a search of 16 rates x 5 instances x 40 steps: a few seconds, reported every 0.2 s
    QSignalSpy finished(&view, &ArtView::finished);
    QSignalSpy logged(&view, &ArtView::logged); // to the studio's log (Art's tuning was never logged)
    QStringList seen;
    QTimer poll;
    connect(&poll, &QTimer::timeout, &view, [&] {
        const QString text = view.canvas()->placeholder();
        if (!text.isEmpty() && (seen.isEmpty() || seen.back() != text)) seen << text;
    });
    poll.start(5);
    view.run();
    QVERIFY(finished.wait(300000));
    poll.stop();
    QVERIFY2(std::any_of(seen.begin(), seen.end(),
                         [](const QString& t) { return t.startsWith(QStringLiteral("Tuning sgd's rate (1 of 1): ")); }),
             qPrintable(seen.join(QStringLiteral(" | "))));
    QVERIFY(view.canvas()->placeholder().isEmpty());
    QCOMPARE(view.lastSnapshot().step, 40);
    QVERIFY(QFile::exists(cacheDir.filePath(QStringLiteral("tuning.json")))); // the rate was searched, not looked up
    QStringList lines;
    for (const auto& args : logged) lines << args.at(0).toString();
    QVERIFY2(!lines.filter(QStringLiteral("tuning sgd: best rate ")).isEmpty(), qPrintable(lines.join(" | ")));
    // The bundled LSTM is named by its file (neural-art.json), whatever the panel's problem (it said only "lstm").
    view.setExperiment(QStringLiteral("mnist"), {QStringLiteral("lstm")}, 100);
    view.setImageSize(16);
    view.setSteps(2);
    view.run();
    QVERIFY(finished.wait(60000));
    QCOMPARE(view.lastSnapshot().labels, QStringList{QStringLiteral("lstm:neural-art.json")});
}

// Soak: 1000 runs started and stopped at once (half of them after a moment, so inside a step); each ends, the
// view is idle after each, and memory stays flat.
void TestArtView::thousandStartStops()
{
    ArtView view;
    view.show();
    view.setExperiment(QString(), {QStringLiteral("adam:lr=0.05")}, 100);
    view.setImageSize(16);
    view.setSteps(5000);
    QSignalSpy finished(&view, &ArtView::finished);
    double before = 0;
    for (int i = 0; i < 1000; ++i) {
        if (i == 100) before = l2l::test::residentMiB();
        view.run();
        if (i % 2 == 0) QThread::usleep(300);
        view.stop();
        QTRY_VERIFY_WITH_TIMEOUT(!view.isRunning(), 30000);
    }
    QCOMPARE(finished.count(), 1000);
    const double after = l2l::test::residentMiB();
    qInfo("resident memory %.1f MiB after 100 art runs started and stopped, %.1f MiB after 1000", before, after);
    QVERIFY2(after < before + 64, qPrintable(QString("grew from %1 to %2 MiB").arg(before).arg(after)));
}

QTEST_MAIN(TestArtView)
#include "test_art_view.moc"
