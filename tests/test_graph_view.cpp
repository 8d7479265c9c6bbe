// The Graph view (the paper's Fig. 2 alive, lecture issue item 1) driven like a user would: the numbers it shows are
// the run's own (the view's window against computeGraph run here, node by node, and the hovered node's text), Step
// walks forward through the window and then the meta-gradient back, Second order makes the dropped edges count, the
// CSV holds the run's numbers, and in the window F10 steps the graph when it is shown, its function follows the
// Trajectories view, and an experiment saved on it reopens on it.
#include "GuiTest.h"
#include "io/ExperimentFile.h"
#include "optimizers/OptimizerFile.h"
#include "views/ExperimentPanel.h"
#include "views/GraphCanvas.h"
#include "views/GraphView.h"
#include "views/MainWindow.h"
#include "views/TrajectoryView.h"

#include <QCheckBox>
#include <QFile>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>

using namespace l2l;
using namespace l2l::ui;
using l2l::test::child;

namespace {

bool waitComputed(GraphView& view)
{
    if (!view.isComputing() && view.result()) return true;
    QSignalSpy spy(&view, &GraphView::computed);
    return spy.wait(60000) && !view.isComputing();
}

QString num(double v) { return QString::number(v, 'g', 4); }

} // namespace

class TestGraphView : public QObject {
    Q_OBJECT
public:
    static void initMain() { l2l::test::useStudioGlFormat(); }

private slots:
    void valuesAreTheRuns();
    void hoverShowsTheNode();
    void stepsForwardThenBackward();
    void secondOrderRecomputes();
    void csvHoldsTheRun();
    void windowIntegration();
};

void TestGraphView::valuesAreTheRuns()
{
    GraphView view;
    view.resize(1200, 700);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.setFunction("rosenbrock", QPointF(-1.0, 1.5));
    QVERIFY(waitComputed(view));
    GraphConfig c;
    c.problem = "rosenbrock";
    c.start = std::array<double, 2>{-1.0, 1.5};
    c.window = 5;
    const GraphResult direct = computeGraph(c); // the same window, computed here
    const GraphResult& shown = *view.result();
    QCOMPARE(shown.metaLoss, direct.metaLoss);
    // The status names the class with the start the run began at, not the function's own.
    QVERIFY2(QString::fromStdString(shown.canonicalProblem).contains("x0=-1,y0=1.5,start_noise=0"),
             shown.canonicalProblem.c_str());
    QVERIFY(shown.dphi == direct.dphi);
    const GraphCanvas* canvas = view.canvas();
    const auto& t = direct.trace;
    for (int j = 0; j <= 5; ++j) {
        const auto theta = canvas->info(GraphCanvas::NodeKind::Theta, j);
        QCOMPARE(theta.value, QString("(%1, %2)").arg(num(t.thetas[size_t(j)](0)), num(t.thetas[size_t(j)](1))));
        QCOMPARE(canvas->info(GraphCanvas::NodeKind::Loss, j).value, num(t.losses[size_t(j)]));
        QVERIFY(canvas->info(GraphCanvas::NodeKind::Grad, j)
                    .value.startsWith(QString("(%1, %2)").arg(num(t.grads[size_t(j)](0)), num(t.grads[size_t(j)](1)))));
        if (j >= 1)
            QVERIFY(theta.derivative.contains(
                QString("(%1, %2)").arg(num(t.adjoints[size_t(j)](0)), num(t.adjoints[size_t(j)](1)))));
        if (j < 5) {
            QCOMPARE(canvas->info(GraphCanvas::NodeKind::Update, j).value,
                     QString("(%1, %2)").arg(num(t.updates[size_t(j)](0)), num(t.updates[size_t(j)](1))));
            QVERIFY(canvas->info(GraphCanvas::NodeKind::Lstm, j)
                        .derivative.contains(num(double(t.dphiSteps[size_t(j)].norm()))));
        }
    }
    QCOMPARE(canvas->info(GraphCanvas::NodeKind::MetaLoss, -1).value, num(direct.metaLoss));
    // The first theta is where the Trajectories view's start puts it.
    QCOMPARE(double(t.thetas[0](0)), -1.0);
    QCOMPARE(double(t.thetas[0](1)), 1.5);
}

void TestGraphView::hoverShowsTheNode()
{
    GraphView view;
    view.resize(1200, 700);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.setFunction("quadratic2d", std::nullopt);
    QVERIFY(waitComputed(view));
    GraphCanvas* canvas = view.canvas();
    QCOMPARE(int(canvas->nodes().size()), 6 * 3 + 5 * 2 + 2);
    // Nodes do not overlap and lie inside the canvas.
    const auto& nodes = canvas->nodes();
    for (size_t a = 0; a < nodes.size(); ++a) {
        QVERIFY(canvas->rect().contains(nodes[a].rect.toAlignedRect()));
        for (size_t b = a + 1; b < nodes.size(); ++b) QVERIFY(!nodes[a].rect.intersects(nodes[b].rect));
    }
    for (const auto& n : nodes) {
        QTest::mouseMove(canvas, n.rect.center().toPoint());
        QTRY_COMPARE(view.detailText(), nodeInfoText(canvas->info(n.kind, n.step)));
    }
    QVERIFY(view.detailText().contains("φ"));
    // At its minimum size, and with the longest window, nodes still neither overlap nor leave the canvas.
    for (int K : {5, 20}) {
        GraphConfig c;
        c.window = K;
        GraphCanvas small;
        small.setResult(computeGraph(c));
        small.resize(small.minimumSizeHint());
        small.show();
        QVERIFY(QTest::qWaitForWindowExposed(&small));
        const auto& ns = small.nodes();
        QCOMPARE(int(ns.size()), (K + 1) * 3 + K * 2 + 2);
        for (size_t a = 0; a < ns.size(); ++a) {
            QVERIFY(small.rect().contains(ns[a].rect.toAlignedRect()));
            for (size_t b = a + 1; b < ns.size(); ++b)
                QVERIFY2(!ns[a].rect.intersects(ns[b].rect),
                         qPrintable(QString("K %1: nodes %2 and %3").arg(K).arg(a).arg(b)));
        }
    }
    // In a view narrower than the longest window needs, every node keeps room for a signed four-digit number
    // ("-0.833") and the canvas scrolls sideways (it squeezed nodes to single glyphs at 1024 pixels).
    view.resize(700, 600);
    view.setWindow(20);
    QVERIFY(waitComputed(view));
    QTRY_COMPARE(canvas->window(), 20);
    QTRY_VERIFY(canvas->width() >= canvas->minimumSizeHint().width()); // the scroll area's next layout
    const double digits = canvas->fontMetrics().horizontalAdvance(QStringLiteral("-0.833"));
    for (const auto& n : canvas->nodes())
        if (n.kind != GraphCanvas::NodeKind::Update) // drawn at 0.9 of a node's width, with a 2-line g
            QVERIFY2(n.rect.width() >= digits, qPrintable(QString("%1 < %2").arg(n.rect.width()).arg(digits)));
    auto* scroll = child<QScrollArea>(&view, "graphScroll");
    QVERIFY(canvas->width() > scroll->viewport()->width());
    QVERIFY(scroll->horizontalScrollBar()->isVisible());
    // Stepping keeps the lit step in view: forward to step 12, then back through the meta-gradient to step 3.
    const auto focusInView = [&] {
        for (const auto& n : canvas->nodes())
            if (n.kind == GraphCanvas::NodeKind::Theta && n.step == canvas->focusStep()) {
                const QPoint left = canvas->mapTo(scroll->viewport(), n.rect.topLeft().toPoint());
                const QPoint right = canvas->mapTo(scroll->viewport(), n.rect.bottomRight().toPoint());
                return scroll->viewport()->rect().contains(left) && scroll->viewport()->rect().contains(right);
            }
        return false;
    };
    for (int stage : {12, 20, 21 + 17})
        for (int s = canvas->stage(); s < stage; ++s) {
            child<QPushButton>(&view, "graphStep")->click();
            QVERIFY2(focusInView(),
                     qPrintable(QString("stage %1, step %2").arg(canvas->stage()).arg(canvas->focusStep())));
        }
    QCOMPARE(canvas->stage(), 21 + 17); // it did step: backward, at step 3
    // Every value in a node fits it, in a smaller font where it must: the narrow g nodes of this window showed
    // "0.0…" (the label is what paintEvent draws in the node less its 3-pixel margins).
    for (const auto& n : canvas->nodes()) {
        if (n.kind == GraphCanvas::NodeKind::Phi || n.kind == GraphCanvas::NodeKind::Lstm) continue;
        const GraphCanvas::NodeInfo in = canvas->info(n.kind, n.step);
        double scale = 0;
        const QString label =
            nodeLabel(in.name, in.value.section(';', 0, 0), canvas->font(), n.rect.width() - 6, &scale);
        QVERIFY2(!label.contains(QChar(0x2026)), qPrintable(label));
        QVERIFY(scale >= 0.72);
    }
}

void TestGraphView::stepsForwardThenBackward()
{
    GraphView view;
    view.show();
    view.setWindow(4);
    view.setFunction("quadratic2d", std::nullopt);
    QVERIFY(waitComputed(view));
    QCOMPARE(view.result()->config.window, 4);
    GraphCanvas* canvas = view.canvas();
    QCOMPARE(canvas->stageCount(), 10);
    QCOMPARE(canvas->stage(), 0);
    auto shownCount = [&] {
        int n = 0;
        for (const auto& node : canvas->nodes()) n += canvas->shown(node);
        return n;
    };
    int before = shownCount();
    for (int s = 1; s <= 4; ++s) { // forward: each step lights theta, f, grad, and the m and g that led there
        QTest::mouseClick(child<QPushButton>(&view, "graphStep"), Qt::LeftButton);
        QCOMPARE(canvas->stage(), s);
        QVERIFY(!canvas->backward());
        QVERIFY(shownCount() > before);
        before = shownCount();
    }
    QVERIFY(canvas->stageText().startsWith("Forward"));
    QTest::mouseClick(child<QPushButton>(&view, "graphStep"), Qt::LeftButton);
    QVERIFY(canvas->backward());
    QCOMPARE(canvas->focusStep(), 4);
    QVERIFY(canvas->stageText().contains("∂L/∂θ"));
    for (int s = 0; s < 4; ++s) view.stepForward();
    QCOMPARE(canvas->focusStep(), 0);
    QVERIFY(canvas->stageText().contains("complete"));
    view.stepForward(); // past the end: back to the start
    QCOMPARE(canvas->stage(), 0);
    QTest::mouseClick(child<QPushButton>(&view, "graphStep"), Qt::LeftButton);
    QTest::mouseClick(child<QPushButton>(&view, "graphBack"), Qt::LeftButton);
    QCOMPARE(canvas->stage(), 0);
    // Play runs through every stage and stops at the last.
    view.togglePlay();
    QVERIFY(view.isPlaying());
    QTRY_VERIFY_WITH_TIMEOUT(!view.isPlaying(), 20000);
    QCOMPARE(canvas->stage(), canvas->stageCount() - 1);
}

void TestGraphView::secondOrderRecomputes()
{
    GraphView view;
    view.show();
    view.setFunction("rosenbrock", std::nullopt);
    QVERIFY(waitComputed(view));
    QVERIFY(view.result()->trace.hessian[2].isZero());
    const Vec<float> first = view.result()->dphi;
    child<QCheckBox>(&view, "graphSecondOrder")->setChecked(true);
    QVERIFY(waitComputed(view));
    QVERIFY(view.result()->config.secondOrder);
    QVERIFY(!view.result()->trace.hessian[2].isZero()); // rosenbrock's Hessian is never zero
    QVERIFY(view.result()->dphi != first);
    QVERIFY(view.canvas()->info(GraphCanvas::NodeKind::Theta, 2).derivative.contains("second order adds"));
    QVERIFY(view.canvas()->info(GraphCanvas::NodeKind::Grad, 2).derivative.contains("followed"));
    child<QSpinBox>(&view, "graphOffset")->setValue(7);
    QVERIFY(waitComputed(view));
    QCOMPARE(view.result()->config.offset, 7);
    QCOMPARE(int(view.result()->beforeLosses.size()), 8);
}

void TestGraphView::csvHoldsTheRun()
{
    GraphView view;
    view.setFunction("quadratic2d", std::nullopt);
    QVERIFY(waitComputed(view));
    QTemporaryDir dir;
    const QString path = dir.filePath("graph.csv");
    QString error;
    QVERIFY2(view.exportCsv(path, &error), qPrintable(error));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = f.readAll().trimmed().split('\n');
    QCOMPARE(lines.size(), 1 + 6);
    const auto& t = view.result()->trace;
    for (int j = 0; j <= 5; ++j) {
        const QList<QByteArray> cells = lines[j + 1].split(',');
        QCOMPARE(cells.size(), 11);
        QCOMPARE(cells[0].toInt(), j);
        // 9 significant digits write a float exactly.
        QCOMPARE(cells[1].toFloat(), t.thetas[size_t(j)](0));
        QCOMPARE(cells[3].toFloat(), float(t.losses[size_t(j)])); // a float's value, widened
        if (j >= 1) QCOMPARE(cells[8].toFloat(), t.adjoints[size_t(j)](0));
    }
}

void TestGraphView::windowIntegration()
{
    MainWindow w;
    w.setErrorDialogsEnabled(false);
    w.resize(1280, 800);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QCOMPARE(QString(MainWindow::viewName(MainWindow::Graph)), QString("graph"));
    w.trajectoryView()->setFunctionSpec("himmelblau");
    w.trajectoryView()->setStartPoint(QPointF(0.5, -0.5));
    w.showView(MainWindow::Graph);
    GraphView* g = w.graphView();
    QVERIFY(waitComputed(*g));
    QCOMPARE(g->functionSpec(), QString("himmelblau"));
    QCOMPARE(double(g->result()->trace.thetas[0](0)), 0.5);
    // F10 steps the graph, not the trajectories.
    const int trajectoryStep = w.trajectoryView()->currentStep();
    w.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&w));
    QTest::keyClick(&w, Qt::Key_F10);
    QCOMPARE(g->canvas()->stage(), 1);
    QCOMPARE(w.trajectoryView()->currentStep(), trajectoryStep);
    QCOMPARE(w.currentView(), MainWindow::Graph);
    // The panel's LSTM file (one trained here, say) is the one the graph runs.
    QCOMPARE(QString::fromStdString(g->result()->optimizerPath),
             QString::fromStdString(bundledOptimizerPath("himmelblau")));
    const QString file = QString::fromStdString(bundledOptimizerPath("quadratic"));
    w.panel()->setSessionOptimizer(file);
    QVERIFY(g->isComputing());
    QVERIFY(waitComputed(*g));
    QCOMPARE(QString::fromStdString(g->result()->optimizerPath), file);
    // Saved on the graph, reopened on it.
    QTemporaryDir dir;
    const QString path = dir.filePath("graph.l2l.json");
    QVERIFY(w.saveExperimentTo(path));
    QCOMPARE(QString::fromStdString(loadExperiment(path.toStdString()).view), QString("graph"));
    w.showView(MainWindow::Compare);
    QVERIFY(w.openFile(path));
    QCOMPARE(w.currentView(), MainWindow::Graph);
    QVERIFY(w.lastError().isEmpty());
}

QTEST_MAIN(TestGraphView)
#include "test_graph_view.moc"
