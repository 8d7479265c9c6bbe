// The Trajectories view driven like a user would: the landscape shader compiles and draws the function
// (not blank, dark where the loss is low, different for different functions), a drag moves the start
// point and the paths, scrubbing shows the right step in the table and on the landscape, play advances,
// zoom keeps the point under the cursor, and failures (bad optimizer file, broken shader) leave the
// drawing as it was. Runs on xcb under Xvfb (QOpenGLWidget crashes on offscreen).
#include "GuiTest.h"
#include "ResidentMemory.h"
#include "gl/LandscapeWidget.h"
#include "views/TrajectoryView.h"

#include <QApplication>
#include <QComboBox>
#include <QElapsedTimer>
#include <QFile>
#include <QPainter>

#include <QPushButton>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QSurfaceFormat>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QWheelEvent>
#include <set>

#include <algorithm>
#include <cmath>
#include <map>

using namespace l2l;
using namespace l2l::ui;
using l2l::test::child;

namespace {

bool waitComputed(TrajectoryView& view)
{
    if (!view.isComputing() && view.result()) return true;
    QSignalSpy spy(&view, &TrajectoryView::computed);
    return spy.wait(60000);
}

double luminance(QRgb c) { return 0.2126 * qRed(c) + 0.7152 * qGreen(c) + 0.0722 * qBlue(c); }

} // namespace

class TestTrajectoryView : public QObject {
    Q_OBJECT
public:
    static void initMain() { l2l::test::useStudioGlFormat(); }

private slots:
    void init();
    void cleanup();
    void shaderDrawsTheFunction();
    void dragMovesStartAndPaths();
    void legendKeepsOffTheStartAndCollapses();
    void axesMinimaAndHoverReadout();
    void movedStartKeepsRatesUntilRetuned();
    void scrubShowsTheStep();
    void playAdvances();
    void wheelZoomsAboutCursor();
    void experimentFromSidePanel();
    void badOptimizerFileKeepsPaths();
    void exportCsvWritesEveryPoint();
    void brokenShaderIsReported();
    void shaderGradientMatchesDifferences();
    void screenshot();
    void thousandRestarts();

private:
    std::unique_ptr<TrajectoryView> m_view;
};

void TestTrajectoryView::init()
{
    m_view = std::make_unique<TrajectoryView>();
    m_view->resize(1000, 760);
    m_view->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_view.get()));
    QVERIFY(waitComputed(*m_view));
}

void TestTrajectoryView::cleanup() { m_view.reset(); }

void TestTrajectoryView::shaderDrawsTheFunction()
{
    LandscapeWidget* land = m_view->landscape();
    QVERIFY2(land->isShaderReady(), qPrintable(land->shaderLog()));
    QVERIFY(land->shaderLog().isEmpty());
    land->setOverlayVisible(false);
    const QImage rosen = land->renderLandscape();
    QVERIFY(rosen.width() > 200 && rosen.height() > 200);
    std::map<QRgb, int> counts;
    for (int y = 0; y < rosen.height(); y += 2)
        for (int x = 0; x < rosen.width(); x += 2) ++counts[rosen.pixel(x, y)];
    int most = 0;
    for (const auto& [c, n] : counts) most = std::max(most, n);
    qInfo("rosenbrock: %zu distinct colours, most frequent %.1f%%", counts.size(),
          100.0 * most / (rosen.width() / 2 * rosen.height() / 2));
    QVERIFY(counts.size() > 300);
    QVERIFY(most < rosen.width() * rosen.height() / 4 / 5);

    // Darker where the loss is lower: over pairs of pixels whose losses differ tenfold, the colours agree. A pixel's
    // colour is the median luminance of its 5x5 neighbourhood: the iso-lines (about 1 px wide, ink mixed in at
    // 45 %) are not the colour map, and whether a sampled pixel falls on one depends on the window size.
    const auto colourAt = [&](QPoint p) {
        std::vector<double> l;
        for (int dy = -2; dy <= 2; ++dy)
            for (int dx = -2; dx <= 2; ++dx)
                l.push_back(luminance(rosen.pixel(std::clamp(p.x() + dx, 0, rosen.width() - 1),
                                                  std::clamp(p.y() + dy, 0, rosen.height() - 1))));
        std::nth_element(l.begin(), l.begin() + 12, l.end());
        return l[12];
    };
    const auto fn = trajectoryFunction(m_view->result()->config);
    int agree = 0, pairs = 0;
    for (int i = 0; i < 400; ++i) {
        const QPoint a((i * 37) % land->width(), (i * 91) % land->height());
        const QPoint b((i * 53 + 17) % land->width(), (i * 29 + 5) % land->height());
        const QPointF wa = land->toWorld(a), wb = land->toWorld(b);
        const double fa = fn->value(wa.x(), wa.y()), fb = fn->value(wb.x(), wb.y());
        if (std::max(fa, fb) < 10 * std::min(fa, fb)) continue;
        ++pairs;
        agree += (fa < fb) == (colourAt(a) < colourAt(b));
    }
    qInfo("colour order agrees with loss order in %d of %d pairs", agree, pairs);
    QVERIFY(pairs > 50);
    QVERIFY(agree >= pairs * 95 / 100);

    // The landscape keeps its size while the status says "computing…" and after it reports the result (a status
    // of two lines, one line and two lines again made it jump by a line at each recompute).
    m_view->setFunctionSpec(QStringLiteral("himmelblau"));
    QCoreApplication::processEvents();
    const QSize whileComputing = land->size();
    QVERIFY(waitComputed(*m_view));
    QCoreApplication::processEvents();
    QCOMPARE(land->size(), whileComputing);
    QCOMPARE(m_view->result()->kind, Function2dKind::Himmelblau);
    const QImage himmel = land->renderLandscape();
    QCOMPARE(himmel.size(), rosen.size());
    int differ = 0;
    for (int y = 0; y < rosen.height(); y += 2)
        for (int x = 0; x < rosen.width(); x += 2) differ += rosen.pixel(x, y) != himmel.pixel(x, y);
    qInfo("rosenbrock vs himmelblau: %.1f%% of pixels differ",
          100.0 * differ / (rosen.width() / 2 * rosen.height() / 2));
    QVERIFY(differ > rosen.width() * rosen.height() / 4 / 2);
}

void TestTrajectoryView::dragMovesStartAndPaths()
{
    LandscapeWidget* land = m_view->landscape();
    const auto before = m_view->result()->paths;
    QSignalSpy starts(m_view.get(), &TrajectoryView::startPointChanged);
    const QPoint from(land->width() / 3, land->height() / 2), to(land->width() * 2 / 3, land->height() / 3);
    QTest::mousePress(land, Qt::LeftButton, {}, from);
    QTest::mouseMove(land, (from + to) / 2);
    QTest::mouseMove(land, to);
    QElapsedTimer clock;
    clock.start();
    QTest::mouseRelease(land, Qt::LeftButton, {}, to);
    QVERIFY(starts.count() >= 3); // live while dragging
    const QPointF expected = land->toWorld(to);
    const double pixel = land->viewRect().width() / land->width();
    QVERIFY(std::abs(m_view->startPoint().x() - expected.x()) <= pixel);
    QVERIFY(std::abs(m_view->startPoint().y() - expected.y()) <= pixel);
    QCOMPARE(land->toPixel(m_view->startPoint()), to);

    QSignalSpy done(m_view.get(), &TrajectoryView::computed);
    QVERIFY(done.wait(60000));
    qInfo("recomputed %zu paths x %d steps %lld ms after the release", m_view->result()->paths.size(),
          m_view->stepCount(), clock.elapsed());
    const auto& after = m_view->result()->paths;
    QCOMPARE(after.size(), before.size());
    for (size_t i = 0; i < after.size(); ++i) {
        QCOMPARE(after[i].points.front()[0], m_view->startPoint().x());
        QCOMPARE(after[i].points.front()[1], m_view->startPoint().y());
        QVERIFY(after[i].points != before[i].points);
    }
}

// The legend takes the corner that hides least: never the start marker; a click collapses it and moves nothing.
void TestTrajectoryView::legendKeepsOffTheStartAndCollapses()
{
    LandscapeWidget* land = m_view->landscape();
    for (const QPoint corner : {QPoint(30, 30), QPoint(land->width() - 30, 30), QPoint(30, land->height() - 30),
                                QPoint(land->width() - 30, land->height() - 30)}) {
        m_view->setStartPoint(land->toWorld(corner));
        QVERIFY(waitComputed(*m_view));
        const QRectF legend = land->legendRect();
        QVERIFY(!legend.isEmpty());
        QVERIFY2(!legend.adjusted(-4, -4, 4, 4).contains(land->toPixel(m_view->startPoint())),
                 qPrintable(QStringLiteral("start at (%1, %2) under the legend").arg(corner.x()).arg(corner.y())));
        QVERIFY(land->rect().contains(legend.toRect()));
    }
    const QRectF open = land->legendRect();
    const QPointF start = m_view->startPoint();
    QSignalSpy starts(m_view.get(), &TrajectoryView::startPointChanged);
    QTest::mouseClick(land, Qt::LeftButton, {}, open.center().toPoint());
    QVERIFY(land->legendCollapsed());
    QVERIFY(land->legendRect().width() < open.width() && land->legendRect().height() < open.height());
    QCOMPARE(starts.count(), 0);
    QCOMPARE(m_view->startPoint(), start);
    QTest::mouseClick(land, Qt::LeftButton, {}, land->legendRect().center().toPoint());
    QVERIFY(!land->legendCollapsed());
    QCOMPARE(starts.count(), 0);
}

// Where a point is, without clicking it: ticks along two edges at round values and about 90 px apart, a star at the
// global minimum (Rosenbrock's (1, 1); test_problems checks every function's list), and under the pointer x, y and f, which leaves with the
// pointer and is never in an image for a file.
void TestTrajectoryView::axesMinimaAndHoverReadout()
{
    LandscapeWidget* land = m_view->landscape();
    QTest::qWait(200); // the status under the table takes its lines: the landscape's final size
    for (const auto& ticks : {land->xTicks(), land->yTicks()}) {
        QVERIFY(ticks.size() >= 3);
        const double step = ticks[1] - ticks[0];
        const double mantissa = step / std::pow(10.0, std::floor(std::log10(step)));
        QVERIFY2(std::abs(mantissa - 1) < 1e-9 || std::abs(mantissa - 2) < 1e-9 || std::abs(mantissa - 5) < 1e-9,
                 qPrintable(QString::number(step)));
        const double pixels = land->toPixel({ticks[1], ticks[1]}).x() - land->toPixel({ticks[0], ticks[0]}).x();
        QVERIFY2(pixels >= 45 && pixels <= 230, qPrintable(QString::number(pixels)));
    }
    QVERIFY(std::find(land->xTicks().begin(), land->xTicks().end(), 0.0) != land->xTicks().end()); // "0", not "-0"
    // The legend keeps off the tick labels along the left and bottom edges.
    const QSizeF strips = land->tickStrips();
    QVERIFY(strips.width() > 10 && strips.height() > 10);
    QVERIFY(!land->legendRect().intersects(QRectF(0, 0, strips.width(), land->height())));
    QVERIFY(
        !land->legendRect().intersects(QRectF(0, land->height() - strips.height(), land->width(), strips.height())));
    // The star's white centre, over the landscape's colours (no path comes near (1, 1) from the default start).
    const QImage plain = land->renderLandscape();
    land->setOverlayVisible(false);
    const QImage bare = land->renderLandscape();
    land->setOverlayVisible(true);
    const QPoint minimum = land->toPixel({1.0, 1.0});
    QCOMPARE(QColor(plain.pixel(minimum)).lightness(), 255);
    QVERIFY(QColor(bare.pixel(minimum)).lightness() < 250);

    QVERIFY(land->hoverText().isEmpty());
    const QPoint at = land->toPixel({-0.5, 2.0});
    QTest::mouseMove(land, at);
    QTRY_VERIFY(!land->hoverText().isEmpty());
    const QPointF w = land->toWorld(at);
    const double f = (1 - w.x()) * (1 - w.x()) + 100 * (w.y() - w.x() * w.x()) * (w.y() - w.x() * w.x());
    QCOMPARE(land->hoverText(),
             QString("x %1  y %2  f %3")
                 .arg(QString::number(w.x(), 'g', 4), QString::number(w.y(), 'g', 4), QString::number(f, 'g', 4)));
    const QImage onScreen = land->grabFramebuffer(); // what the user sees: the read-out drawn
    QVERIFY(onScreen != plain);
    QCOMPARE(land->renderLandscape(), plain); // an image for a file: without it
    QEvent leave(QEvent::Leave);
    QApplication::sendEvent(land, &leave);
    QVERIFY(land->hoverText().isEmpty());
    QCOMPARE(land->grabFramebuffer(), plain);
}

// Moving the start keeps the rates tuned at the function's own start; Re-tune here tunes from the moved start,
// and the table says which; moving again goes back to the function's rates.
void TestTrajectoryView::movedStartKeepsRatesUntilRetuned()
{
    auto rates = [&] {
        std::vector<double> r;
        for (const auto& p : m_view->result()->paths)
            if (p.tunedRate) r.push_back(p.rule.lr);
        return r;
    };
    auto rateItem = [&](int row) { return child<QTableWidget>(m_view.get(), "trajectoryTable")->item(row, 1); };
    auto rateCell = [&](int row) { return rateItem(row)->text(); };
    const std::vector<double> atFunctionStart = rates();
    QVERIFY(!atFunctionStart.empty());
    m_view->setStartPoint(QPointF(1.5, -0.5));
    QVERIFY(waitComputed(*m_view));
    QCOMPARE(rates(), atFunctionStart);
    QVERIFY2(rateCell(0).endsWith("(tuned)"), qPrintable(rateCell(0)));
    QVERIFY2(rateItem(0)->toolTip().contains("function's own start"), qPrintable(rateItem(0)->toolTip()));
    QVERIFY(!m_view->tunesAtStart());

    QTest::mouseClick(child<QPushButton>(m_view.get(), "retuneButton"), Qt::LeftButton);
    QVERIFY(waitComputed(*m_view));
    QVERIFY(m_view->tunesAtStart());
    QCOMPARE(m_view->startPoint(), QPointF(1.5, -0.5)); // the start stays
    for (const auto& p : m_view->result()->paths)
        if (p.tunedRate) QVERIFY(p.tunedHere);
    QVERIFY(rates() != atFunctionStart); // rosenbrock from (1.5, -0.5) wants other rates than from (-1.2, 1)
    QVERIFY2(rateCell(0).endsWith("(tuned here)"), qPrintable(rateCell(0)));

    m_view->setStartPoint(QPointF(-0.5, 1.5));
    QVERIFY(waitComputed(*m_view));
    QVERIFY(!m_view->tunesAtStart());
    QCOMPARE(rates(), atFunctionStart);
}

void TestTrajectoryView::scrubShowsTheStep()
{
    auto* slider = child<QSlider>(m_view.get(), "stepSlider");
    auto* table = child<QTableWidget>(m_view.get(), "trajectoryTable");
    QCOMPARE(slider->maximum(), m_view->stepCount());
    for (int k : {37, 0, m_view->stepCount()}) {
        slider->setValue(k);
        QCOMPARE(m_view->currentStep(), k);
        QCOMPARE(m_view->landscape()->step(), k);
        const auto& paths = m_view->result()->paths;
        QCOMPARE(table->rowCount(), int(paths.size()));
        for (int row = 0; row < table->rowCount(); ++row) {
            const auto& p = paths[size_t(row)];
            const size_t t = std::min(size_t(k), p.points.size() - 1);
            QCOMPARE(table->item(row, 0)->text().toStdString(), p.optimizer);
            QCOMPARE(table->item(row, 4)->data(Qt::UserRole).toDouble(), p.loss[t]);
            QCOMPARE(table->item(row, 4)->text(), QString::number(p.loss[t], 'g', 6));
            QCOMPARE(table->item(row, 2)->data(Qt::UserRole).toDouble(), p.points[t][0]);
            QCOMPARE(table->item(row, 3)->data(Qt::UserRole).toDouble(), p.points[t][1]);
        }
    }
    m_view->setCurrentStep(10 * m_view->stepCount()); // clamped
    QCOMPARE(slider->value(), m_view->stepCount());
}

void TestTrajectoryView::playAdvances()
{
    auto* play = child<QPushButton>(m_view.get(), "playButton");
    child<QSpinBox>(m_view.get(), "speedSpin")->setValue(100);
    m_view->setCurrentStep(0);
    QTest::mouseClick(play, Qt::LeftButton);
    QCOMPARE(play->text(), QString("Pause"));
    QTRY_VERIFY_WITH_TIMEOUT(m_view->currentStep() >= 5, 20000);
    QTRY_COMPARE_WITH_TIMEOUT(m_view->currentStep(), m_view->stepCount(), 20000); // runs to the end
    QTRY_COMPARE(play->text(), QString("Play"));                                  // and stops there
    QCOMPARE(child<QSlider>(m_view.get(), "stepSlider")->value(), m_view->stepCount());
    m_view->setCurrentStep(3);
    QTest::mouseClick(child<QPushButton>(m_view.get(), "stepButton"), Qt::LeftButton);
    QCOMPARE(m_view->currentStep(), 4);
    QCOMPARE(m_view->landscape()->step(), 4);
}

void TestTrajectoryView::wheelZoomsAboutCursor()
{
    LandscapeWidget* land = m_view->landscape();
    const QPoint at(land->width() / 4, land->height() / 3);
    const QPointF anchor = land->toWorld(at);
    const double width = land->viewRect().width();
    QWheelEvent wheel(at, land->mapToGlobal(at), QPoint(), QPoint(0, 240), Qt::NoButton, Qt::NoModifier,
                      Qt::NoScrollPhase, false);
    QApplication::sendEvent(land, &wheel);
    QVERIFY(land->viewRect().width() < 0.8 * width);
    const double pixel = land->viewRect().width() / land->width();
    QVERIFY(std::abs(land->toWorld(at).x() - anchor.x()) <= pixel);
    QVERIFY(std::abs(land->toWorld(at).y() - anchor.y()) <= pixel);
    // A right drag pans by the mouse movement; Reset view fits the function's box again.
    const QPoint from(200, 200), to(260, 180);
    const QPointF under = land->toWorld(from);
    QTest::mousePress(land, Qt::RightButton, {}, from);
    QTest::mouseMove(land, to);
    QTest::mouseRelease(land, Qt::RightButton, {}, to);
    QVERIFY(std::abs(land->toWorld(to).x() - under.x()) <= pixel);
    QVERIFY(std::abs(land->toWorld(to).y() - under.y()) <= pixel);
    QTest::mouseClick(child<QPushButton>(m_view.get(), "resetViewButton"), Qt::LeftButton);
    QCOMPARE(land->viewRect().width(), width);
}

void TestTrajectoryView::experimentFromSidePanel()
{
    // Not a 2-d problem: the view keeps its function but takes the optimizers and steps.
    m_view->setExperiment(QStringLiteral("quadratic:dim=10"), {"sgd", "adam:lr=0.05"}, 50);
    QVERIFY(waitComputed(*m_view));
    QCOMPARE(m_view->functionSpec(), QString("rosenbrock"));
    QCOMPARE(m_view->result()->paths.size(), size_t(2));
    QCOMPARE(m_view->result()->paths[1].optimizer, std::string("adam:lr=0.05"));
    QCOMPARE(m_view->stepCount(), 50);
    // A 2-d problem: the view switches to it, with its options (the start among them).
    m_view->setExperiment(QStringLiteral("himmelblau:x0=1,y0=-1"), {"adam", "lstm"}, 30);
    QVERIFY(waitComputed(*m_view));
    QCOMPARE(m_view->functionSpec(), QString("himmelblau:x0=1,y0=-1"));
    QCOMPARE(m_view->startPoint(), QPointF(1, -1));
    QCOMPARE(child<QComboBox>(m_view.get(), "functionCombo")->currentData().toString(), QString("himmelblau"));
    QVERIFY(QString::fromStdString(m_view->result()->paths[1].rule.path).endsWith("2d.json"));
    // Choosing from the combo switches function too.
    auto* combo = child<QComboBox>(m_view.get(), "functionCombo");
    combo->setCurrentIndex(combo->findData(QString("beale")));
    emit combo->activated(combo->currentIndex());
    QVERIFY(waitComputed(*m_view));
    QCOMPARE(m_view->result()->kind, Function2dKind::Beale);
}

void TestTrajectoryView::badOptimizerFileKeepsPaths()
{
    const auto before = m_view->result()->paths;
    QSignalSpy failed(m_view.get(), &TrajectoryView::failed);
    QSignalSpy computed(m_view.get(), &TrajectoryView::computed);
    m_view->setExperiment(QStringLiteral("rosenbrock"), {"adam", "lstm:/nonexistent/opt.json"}, 100);
    QVERIFY(failed.wait(60000));
    QVERIFY2(failed.at(0).at(0).toString().contains("/nonexistent/opt.json"),
             qPrintable(failed.at(0).at(0).toString()));
    QCOMPARE(computed.count(), 0);
    QCOMPARE(m_view->result()->paths.size(), before.size());
    for (size_t i = 0; i < before.size(); ++i) QVERIFY(m_view->result()->paths[i].points == before[i].points);
    // The next drag recomputes what is drawn, not the failing request.
    QTest::mouseClick(m_view->landscape(), Qt::LeftButton, {}, QPoint(300, 300));
    QVERIFY(waitComputed(*m_view));
    QCOMPARE(m_view->result()->paths.size(), before.size());
}

void TestTrajectoryView::exportCsvWritesEveryPoint()
{
    QTemporaryDir dir;
    const QString path = dir.filePath("paths.csv");
    QString error;
    QVERIFY2(m_view->exportCsv(path, &error), qPrintable(error));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(file.readAll()).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.front(), QString("optimizer,step,x,y,loss,gx,gy"));
    size_t rows = 0;
    for (const auto& p : m_view->result()->paths) rows += p.points.size();
    QCOMPARE(size_t(lines.size()), rows + 1);
    const auto& p0 = m_view->result()->paths[0];
    const QStringList second = lines[2].split(',');
    QCOMPARE(second[0].toStdString(), p0.optimizer);
    QCOMPARE(second[1], QString("1"));
    QCOMPARE(second[4].toDouble(), p0.loss[1]);
    QVERIFY(!m_view->exportCsv(dir.filePath("no/such/dir/x.csv"), &error));
    QVERIFY(error.contains("no/such/dir"));
}

void TestTrajectoryView::brokenShaderIsReported()
{
    QTemporaryDir dir;
    QFile bad(dir.filePath("bad.frag"));
    QVERIFY(bad.open(QIODevice::WriteOnly));
    bad.write("#version 330 core\nout vec4 c;\nvoid main() { c = undefined_thing; }\n");
    bad.close();
    LandscapeWidget land;
    land.setShaderFiles(QStringLiteral(":/shaders/landscape.vert"), bad.fileName());
    QSignalSpy errors(&land, &LandscapeWidget::glError);
    land.resize(300, 240);
    land.show();
    QVERIFY(QTest::qWaitForWindowExposed(&land));
    QTRY_VERIFY(errors.count() == 1);
    QVERIFY(!land.isShaderReady());
    QVERIFY(land.shaderLog().contains("bad.frag"));
    qInfo("log: %s", qPrintable(land.shaderLog().left(160).replace('\n', ' ')));
    land.setFunction(*m_view->result());
    QVERIFY(!land.renderLandscape().isNull()); // draws nothing of the landscape, no crash
}

// The shader's hand-written gradf (the iso-lines' width comes from it) against central differences of its own f,
// taken in the shader in float32, at every pixel of every function's box. A probe shader is landscape.frag with
// another main: green where they agree, red where not. Fourth-order differences (exact on the quartics, the
// truncation h^4 |f^(5)| / 30 below 1e-4 on rastrigin and beale's boxes) with h = 1e-3 max(1, |p|); the
// tolerance is the float32 rounding of the differences, 64 eps (|f| + 1) / h, plus 1 % of |grad| + 1 for the
// rounding inside f's terms (rastrigin's cancel to 0 at its minimum).
void TestTrajectoryView::shaderGradientMatchesDifferences()
{
    QFile shader(QStringLiteral(":/shaders/landscape.frag"));
    QVERIFY(shader.open(QIODevice::ReadOnly));
    QString source = QString::fromUtf8(shader.readAll());
    QVERIFY(source.contains("void main()") && source.contains("vec2 gradf(vec2 p)"));
    source.replace(QStringLiteral("void main()"), QStringLiteral("void landscapeMain()"));
    source += QStringLiteral(R"(
void main()
{
    vec2 p = mix(u_view.xz, u_view.yw, v_uv);
    vec2 g = gradf(p);
    float h = 1e-3 * max(1.0, length(p));
    vec2 ex = vec2(h, 0.0), ey = vec2(0.0, h);
    vec2 fd = vec2(8.0 * (f(p + ex) - f(p - ex)) - (f(p + 2.0 * ex) - f(p - 2.0 * ex)),
                   8.0 * (f(p + ey) - f(p - ey)) - (f(p + 2.0 * ey) - f(p - 2.0 * ey))) / (12.0 * h);
    float tol = 1e-2 * (length(g) + 1.0) + 64.0 * 1.2e-7 * (abs(f(p)) + 1.0) / h;
    fragColor = length(fd - g) <= tol ? vec4(0.0, 1.0, 0.0, 1.0) : vec4(1.0, 0.0, 0.0, 1.0);
}
)");
    QTemporaryDir dir;
    QFile probe(dir.filePath("probe.frag"));
    QVERIFY(probe.open(QIODevice::WriteOnly));
    probe.write(source.toUtf8());
    probe.close();
    LandscapeWidget land;
    land.setShaderFiles(QStringLiteral(":/shaders/landscape.vert"), probe.fileName());
    land.setOverlayVisible(false);
    land.resize(240, 200);
    land.show();
    QVERIFY(QTest::qWaitForWindowExposed(&land));
    for (const char* spec :
         {"rosenbrock", "himmelblau", "rastrigin", "saddle", "beale", "ill-conditioned", "quadratic2d"}) {
        m_view->setFunctionSpec(spec);
        QVERIFY(waitComputed(*m_view));
        land.setFunction(*m_view->result());
        land.resetView();
        const QImage image = land.renderLandscape();
        QVERIFY2(land.isShaderReady(), qPrintable(land.shaderLog()));
        // Off the tick strips (the overlay's labels are drawn there even without paths).
        const QSizeF strips = land.tickStrips();
        int checked = 0, wrong = 0;
        for (int y = 0; y < image.height() - int(strips.height()) - 1; ++y)
            for (int x = int(strips.width()) + 1; x < image.width(); ++x) {
                const QRgb c = image.pixel(x, y);
                ++checked;
                if (qRed(c) > 128 || qGreen(c) < 128) ++wrong;
            }
        qInfo("%s: %d of %d pixels disagree", spec, wrong, checked);
        QVERIFY(checked > 20000);
        QVERIFY2(wrong == 0, spec);
    }
}

// Every 2-d function draws a varied landscape with its paths; with L2L_SCREENSHOT_DIR set, the view
// (widgets and landscape) is also saved for a person to look at.
void TestTrajectoryView::screenshot()
{
    const QString dir = qEnvironmentVariable("L2L_SCREENSHOT_DIR");
    for (const char* spec :
         {"rosenbrock", "himmelblau", "rastrigin", "saddle", "beale", "ill-conditioned", "quadratic2d"}) {
        m_view->setFunctionSpec(spec);
        QVERIFY(waitComputed(*m_view));
        m_view->setCurrentStep(m_view->stepCount() / 3);
        QImage image = m_view->grab().toImage();
        const QImage land = m_view->landscape()->renderLandscape();
        QPainter painter(&image);
        painter.drawImage(m_view->landscape()->mapTo(m_view.get(), QPoint(0, 0)), land);
        painter.end();
        std::set<QRgb> colours;
        for (int y = 0; y < land.height(); y += 4)
            for (int x = 0; x < land.width(); x += 4) colours.insert(land.pixel(x, y));
        QVERIFY2(colours.size() > 200, qPrintable(QString("%1: only %2 colours").arg(spec).arg(colours.size())));
        if (!dir.isEmpty()) QVERIFY(image.save(dir + "/trajectories-" + spec + ".png"));
    }
}

// Soak: 1000 moves of the start point, each superseding the computation in progress (as a drag does), half of them
// with the event loop run in between. The last start wins, no request is lost or left running, memory stays flat.
void TestTrajectoryView::thousandRestarts()
{
    double before = 0;
    for (int i = 0; i < 1000; ++i) {
        if (i == 100) before = l2l::test::residentMiB();
        m_view->setStartPoint(QPointF(-1.0 + 0.001 * i, 1.0 - 0.0005 * i));
        if (i % 2 == 0) QCoreApplication::processEvents();
    }
    QTRY_VERIFY_WITH_TIMEOUT(!m_view->isComputing(), 60000);
    QVERIFY(waitComputed(*m_view));
    const QPointF last(-1.0 + 0.001 * 999, 1.0 - 0.0005 * 999);
    for (const auto& path : m_view->result()->paths) {
        QCOMPARE(path.points.front()[0], last.x());
        QCOMPARE(path.points.front()[1], last.y());
    }
    const double after = l2l::test::residentMiB();
    qInfo("resident memory %.1f MiB after 100 restarts, %.1f MiB after 1000", before, after);
    QVERIFY2(after < before + 64, qPrintable(QString("grew from %1 to %2 MiB").arg(before).arg(after)));
}

QTEST_MAIN(TestTrajectoryView)
#include "test_trajectory_view.moc"
