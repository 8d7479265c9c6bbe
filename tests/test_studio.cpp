// The studio window, driven through its widgets like a user would: the catalogue in the combo, Run
// drawing curves and filling the table, Stop ending a long run, bad input giving a dialog (no crash),
// and a grab of the window that is not blank.
#include "GuiTest.h"
#include "TimeLimits.h"
#include "base/AtomicFile.h"
#include "gl/LandscapeWidget.h"
#include "io/ExperimentFile.h"
#include "optimizers/OptimizerFile.h"
#include "plots/LossPlot.h"
#include "plots/Theme.h"
#include "plots/Tickers.h"
#include "plots/TransferMap.h"
#include "problems/Problem.h"
#include "views/ArtView.h"
#include "views/CompareView.h"
#include "views/ExperimentPanel.h"
#include "views/InspectView.h"
#include "views/MainWindow.h"
#include "views/MetaTrainView.h"
#include "views/StudioTour.h"
#include "views/TrajectoryView.h"
#include "views/TransferView.h"

#include "workers/EvalJob.h"
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <qcustomplot.h>

#include <csignal>

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QLayout>
#include <QLineEdit>
#include <QMessageBox>
#include <QMimeData>
#include <QProcess>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QScrollArea>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QSurfaceFormat>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QUrl>

#include <cstdlib>
#include <set>

using namespace l2l;
using namespace l2l::ui;
using l2l::test::child;

namespace {

void setText(QWidget* root, const QString& name, const QString& text)
{
    auto* edit = child<QLineEdit>(root, name);
    edit->clear();
    QTest::keyClicks(edit, text);
}

// Closes every modal dialog that appears, recording its text (QMessageBox::warning blocks in exec()).
class DialogCloser : public QObject {
public:
    DialogCloser()
    {
        connect(&m_timer, &QTimer::timeout, this, [this] {
            if (auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget())) {
                texts << box->text();
                box->close();
            }
        });
        m_timer.start(50);
    }
    QStringList texts;

private:
    QTimer m_timer;
};

} // namespace

class TestStudio : public QObject {
    Q_OBJECT
public:
    static void initMain() { l2l::test::useStudioGlFormat(); }

private slots:
    void init();
    void cleanup();
    void comboHoldsCatalogue();
    void runDrawsCurvesAndTable();
    void compareRunsNeuralArt();
    void compareRunsConvNetWithItsTwoLstms();
    void twoLearnedFilesGetTwoColours();
    void stopEndsLongRun();
    void tuningShowsProgress();
    void unknownOptionShowsDialog();
    void memoryRefusalShowsDialog();
    void badRateIsRejectedInGui();
    void grabIsNotBlank();
    void savePlotFiles();
    void tickLabelsNeverCollide();
    void experimentRoundTrip();
    void experimentReproducesNumbers();
    void badFilesGiveDialog_data();
    void badFilesGiveDialog();
    void droppedOptimizerBecomesLstm();
    void settingsRestoredOnStart();
    void terminatedStudioKeepsItsState();
    void exportEveryView();
    void hoverCursorStaysOffFigures();
    void wheelChangesOnlyAFocusedField();
    void exportShortcutWorksInFields();
    void panelWidensForAFileRow();
    void longStatusKeepsThePanelWidth();
    void optionsFollowTheProblem();
    void badRateWaitsForRun();
    void stepActionAdvancesTrajectory();
    void screenshotTourWritesEveryView();
    void trainedOptimizerIsUsedEverywhere();
    void playPausesMetaTraining();
    void transferViewFillsTheMapAndOpensACell();
    void transferViewOpensAFile();
    void transferViewReusesBaselines();

private:
    QString writeFile(const QString& name, const QByteArray& bytes);
    void runAndWait();
    QTemporaryDir m_tmp;
    void setSmallRun(int runs, int steps);
    std::unique_ptr<MainWindow> m_window;
};

void TestStudio::init()
{
    m_window = std::make_unique<MainWindow>();
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
}

void TestStudio::cleanup() { m_window.reset(); }

void TestStudio::setSmallRun(int runs, int steps)
{
    child<QSpinBox>(m_window.get(), "runsField")->setValue(runs);
    child<QSpinBox>(m_window.get(), "stepsField")->setValue(steps);
    setText(m_window.get(), "rate_sgd", "0.01");
    setText(m_window.get(), "rate_nag", "0.01");
    setText(m_window.get(), "rate_rmsprop", "0.03");
    // adam stays "tuned": the tuning path runs through the GUI too (cheap at this size).
}

void TestStudio::comboHoldsCatalogue()
{
    auto* combo = child<QComboBox>(m_window.get(), "problemCombo");
    QCOMPARE(combo->count(), int(problemCatalog().size()));
    for (int i = 0; i < combo->count(); ++i) {
        QCOMPARE(combo->itemData(i).toString().toStdString(), problemCatalog()[size_t(i)].name);
        QVERIFY(!combo->itemData(i, Qt::ToolTipRole).toString().isEmpty());
    }
    QCOMPARE(combo->currentData().toString(), QString("quadratic"));
    QCOMPARE(child<QLineEdit>(m_window.get(), "optionsEdit")->placeholderText(), QString("dim=10,init_std=0.01"));
    for (const char* name : {"sgd", "nag", "rmsprop", "adam", "lstm"}) // lstm: bundled for quadratics
        QVERIFY(child<QCheckBox>(m_window.get(), QString("use_") + name)->isChecked());
    // Every family has a bundled LSTM (quadratic, mnist, 2d): the row stays checked and names the file.
    combo->setCurrentIndex(combo->findData(QString("rosenbrock")));
    QVERIFY(child<QCheckBox>(m_window.get(), "use_lstm")->isChecked());
    QVERIFY(child<QLineEdit>(m_window.get(), "rate_lstm")->placeholderText().contains("2d.json"));
    QCOMPARE(m_window->panel()->lstmSpec(), QString("lstm"));
    combo->setCurrentIndex(combo->findData(QString("quadratic")));
    QVERIFY(child<QCheckBox>(m_window.get(), "use_lstm")->isChecked());
    QVERIFY(child<QLineEdit>(m_window.get(), "rate_lstm")->placeholderText().contains("quadratic.json"));
    // Views with a problem of their own name the file they run (it named the panel's quadratic.json in Art).
    m_window->showView(MainWindow::Art);
    QCOMPARE(child<QLineEdit>(m_window.get(), "rate_lstm")->placeholderText(), QString("neural-art.json"));
    for (const auto view : {MainWindow::Trajectories, MainWindow::Graph}) {
        m_window->showView(view);
        QCOMPARE(child<QLineEdit>(m_window.get(), "rate_lstm")->placeholderText(), QString("2d.json"));
    }
    m_window->showView(MainWindow::Compare);
    QCOMPARE(child<QLineEdit>(m_window.get(), "rate_lstm")->placeholderText(), QString("quadratic.json"));
    QCOMPARE(child<QSpinBox>(m_window.get(), "runsField")->value(), 20);
    QCOMPARE(child<QSpinBox>(m_window.get(), "stepsField")->value(), 100);
    QCOMPARE(child<QLineEdit>(m_window.get(), "seedField")->text(), QString("1"));
}

void TestStudio::runDrawsCurvesAndTable()
{
    setSmallRun(5, 40);
    QSignalSpy finished(m_window.get(), &MainWindow::runFinished);
    QTest::mouseClick(child<QPushButton>(m_window.get(), "runButton"), Qt::LeftButton);
    QVERIFY(m_window->isRunning());
    QVERIFY(!child<QPushButton>(m_window.get(), "runButton")->isEnabled());
    QVERIFY(finished.wait(60000));
    QVERIFY(!m_window->isRunning());
    QVERIFY(m_window->lastError().isEmpty());

    auto* plot = child<QCustomPlot>(m_window.get(), "lossPlot");
    const int optimizers = 5;                     // the four baselines and the bundled LSTM
    QCOMPARE(plot->graphCount(), 3 * optimizers); // per optimizer: mean line + the two band edges
    QStringList legend;
    for (int g = 0; g < plot->graphCount(); ++g) {
        QCOMPARE(plot->graph(g)->data()->size(), 41);
        if (plot->legend->hasItemWithPlottable(plot->graph(g))) legend << plot->graph(g)->name();
    }
    QCOMPARE(legend.size(), optimizers);
    QVERIFY2(legend.filter("adam (lr ").filter(", tuned)").size() == 1, qPrintable(legend.join(" | ")));
    QVERIFY2(legend.contains("sgd (lr 0.01)"), qPrintable(legend.join(" | ")));
    QVERIFY2(legend.contains("lstm (quadratic.json)"), qPrintable(legend.join(" | ")));
    QCOMPARE(plot->yAxis->scaleType(), QCPAxis::stLogarithmic);
    QVERIFY(child<QCheckBox>(m_window.get(), "showTestCurves")->isHidden()); // quadratics have no test split

    auto* table = child<QTableWidget>(m_window.get(), "summaryTable");
    QCOMPARE(table->rowCount(), optimizers);
    std::set<QString> names;
    for (int r = 0; r < table->rowCount(); ++r) names.insert(table->item(r, 0)->text());
    QCOMPARE(names, (std::set<QString>{"sgd", "nag", "rmsprop", "adam", "lstm"}));
    QCOMPARE(table->item(0, 1)->text(), QString("0.01 (given)"));
    QVERIFY(table->item(3, 1)->text().endsWith("(tuned)"));
    QVERIFY(table->item(0, 2)->text().contains(QString::fromUtf8("±")));
    QCOMPARE(table->item(0, 4)->text(), QString("0/5"));
    int bold = 0; // the best (bestByFinalMean), and only it
    for (int r = 0; r < table->rowCount(); ++r) bold += table->item(r, 2)->font().bold();
    QCOMPARE(bold, 1);
    // Each of the others is paired with it run by run, as `l2l eval` prints: "best lower in 4/5 · p 0.031".
    const EvalResult& shown = m_window->compareView()->result();
    QCOMPARE(table->horizontalHeaderItem(5)->text(), QString("paired with the best"));
    for (int r = 0; r < table->rowCount(); ++r) {
        const QString cell = table->item(r, 5)->text();
        if (table->item(r, 2)->font().bold()) {
            QCOMPARE(cell, QString("(the best)"));
            continue;
        }
        const auto& o = shown.optimizers[size_t(r)];
        QVERIFY(o.vsBest.has_value());
        QCOMPARE(o.vsBest->pairs, 5);
        QVERIFY2(cell.startsWith(QString("best lower in %1/5 · p ").arg(std::lround(o.vsBest->winFraction * 5))),
                 qPrintable(cell));
        QVERIFY2(table->item(r, 5)->toolTip().contains("paired t-test"), qPrintable(table->item(r, 5)->toolTip()));
    }
    // Tab leaves the table (it went from cell to cell and wrapped: a keyboard user could not get out).
    m_window->showView(MainWindow::Compare);
    m_window->activateWindow();
    table->setFocus();
    QTRY_VERIFY(table->hasFocus());
    QTest::keyClick(table, Qt::Key_Tab);
    QTRY_VERIFY(!table->hasFocus());
}

void TestStudio::compareRunsNeuralArt()
{
    // The neural-art problem is a Compare problem like any other: curves of every optimizer, bundled LSTM.
    auto* combo = child<QComboBox>(m_window.get(), "problemCombo");
    combo->setCurrentIndex(combo->findData(QString("neural-art")));
    QVERIFY(child<QLineEdit>(m_window.get(), "rate_lstm")->placeholderText().contains("neural-art.json"));
    child<QLineEdit>(m_window.get(), "optionsEdit")->setText("size=16");
    setSmallRun(2, 6);
    setText(m_window.get(), "rate_adam", "0.1");
    runAndWait();
    QVERIFY2(m_window->lastError().isEmpty(), qPrintable(m_window->lastError()));
    const EvalResult r = m_window->compareView()->result();
    QCOMPARE(int(r.optimizers.size()), 5);
    auto* plot = child<QCustomPlot>(m_window.get(), "lossPlot");
    QCOMPARE(plot->graphCount(), 3 * 5);
    for (const auto& o : r.optimizers) {
        QCOMPARE(int(o.stats.mean.size()), 7);
        QVERIFY2(o.stats.mean.back() < o.stats.mean.front(), o.displayName().c_str());
    }
}

void TestStudio::compareRunsConvNetWithItsTwoLstms()
{
    // The conv net is a Compare problem too; its bundled LSTM holds one net per parameter group and runs
    // on a smaller net of the family (the groups are the same: kernels / the rest).
    auto* combo = child<QComboBox>(m_window.get(), "problemCombo");
    combo->setCurrentIndex(combo->findData(QString("convnet")));
    QVERIFY(child<QCheckBox>(m_window.get(), "use_lstm")->isChecked());
    QVERIFY(child<QLineEdit>(m_window.get(), "rate_lstm")->placeholderText().contains("convnet.json"));
    child<QLineEdit>(m_window.get(), "optionsEdit")->setText("batch=16,channels=4,fc_units=8,classes=0+1");
    setSmallRun(2, 8);
    for (const char* name : {"sgd", "nag", "rmsprop"})
        child<QCheckBox>(m_window.get(), QString("use_") + name)->setChecked(false);
    setText(m_window.get(), "rate_adam", "0.01");
    runAndWait();
    QVERIFY2(m_window->lastError().isEmpty(), qPrintable(m_window->lastError()));
    const EvalResult r = m_window->compareView()->result();
    QCOMPARE(int(r.optimizers.size()), 2);
    QVERIFY(r.hasTestSplit);
    for (const auto& o : r.optimizers) {
        QVERIFY2(o.stats.mean.back() < o.stats.mean.front(), o.displayName().c_str());
        QVERIFY(o.testAccuracyMean && *o.testAccuracyMean > 0.5); // two classes
    }
    // Test-split curves: taken every 4 steps, drawn instead of the training loss on request.
    auto* plot = child<QCustomPlot>(m_window.get(), "lossPlot");
    auto* toggle = child<QCheckBox>(m_window.get(), "showTestCurves");
    QVERIFY(r.testSteps.empty() && !toggle->isEnabled() && !toggle->isHidden()); // shown, no curves yet
    auto* every = child<QSpinBox>(m_window.get(), "testEveryField");
    const auto reset = qScopeGuard([every] { every->setValue(0); }); // also when a check fails
    every->setValue(4);
    runAndWait();
    const EvalResult t = m_window->compareView()->result();
    QCOMPARE(t.testSteps, (std::vector<int>{0, 4, 8}));
    QVERIFY(toggle->isEnabled());
    toggle->setChecked(true);
    QCOMPARE(plot->graphCount(), 2); // one test curve per optimizer, no bands
    for (int g = 0; g < 2; ++g) QCOMPARE(plot->graph(g)->data()->size(), 3);
    QVERIFY(plot->yAxis->label().contains("test-split loss"));
    QVERIFY2(m_window->compareView()->readoutAt(5).startsWith("step 4, test split"),
             qPrintable(m_window->compareView()->readoutAt(5)));
    plot->replot(); // the queued replot, before the grab
    QVERIFY(m_window->grab().save(QDir::temp().filePath("l2l-test-studio-test-split.png"))); // to look at
    toggle->setChecked(false);
    QCOMPARE(plot->graphCount(), 3 * 2);
    QCOMPARE(m_window->experiment().eval.testEvery, 4); // saved with the experiment
    // A run without test curves unticks the toggle and shows the training loss.
    toggle->setChecked(true);
    every->setValue(0);
    runAndWait();
    QVERIFY(!toggle->isEnabled() && !toggle->isChecked());
    QCOMPARE(plot->graphCount(), 3 * 2);
}

void TestStudio::twoLearnedFilesGetTwoColours()
{
    // Two learned optimizers (or one kind at two rates) in one comparison: distinct curves and swatches.
    EvalResult r;
    for (const char* spec : {"adam", "lstm:a.json", "lstm:b.json", "adam:lr=0.1"}) {
        OptimizerResult o;
        o.config = UpdateRuleConfig::parse(spec);
        r.optimizers.push_back(o);
    }
    QCOMPARE(optimizerColor(r, 0), optimizerColor(QString("adam")));
    QCOMPARE(optimizerColor(r, 1), optimizerColor(QString("lstm")));
    QVERIFY(optimizerColor(r, 2) != optimizerColor(r, 1));
    QVERIFY(optimizerColor(r, 3) != optimizerColor(r, 0));
}

void TestStudio::stopEndsLongRun()
{
    child<QLineEdit>(m_window.get(), "optionsEdit")->setText("dim=200");
    setSmallRun(20, 100000);
    setText(m_window.get(), "rate_adam", "0.01");
    QSignalSpy finished(m_window.get(), &MainWindow::runFinished);
    QTest::mouseClick(child<QPushButton>(m_window.get(), "runButton"), Qt::LeftButton);
    auto* plot = child<QCustomPlot>(m_window.get(), "lossPlot");
    QTRY_VERIFY_WITH_TIMEOUT(plot->graphCount() > 0 && plot->graph(plot->graphCount() - 1)->data()->size() > 0, 60000);
    QVERIFY(m_window->isRunning());
    // The live table's numbers are of the step reached, and its header says so (it said "final loss").
    auto* table = child<QTableWidget>(m_window.get(), "summaryTable");
    QCOMPARE(MainWindow().findChild<QTableWidget*>("summaryTable")->horizontalHeaderItem(2)->text(),
             QString("final loss (mean ± std)")); // before any run
    QTRY_VERIFY_WITH_TIMEOUT(table->rowCount() > 0, 60000);
    QVERIFY2(table->horizontalHeaderItem(2)->text().startsWith("loss at step"),
             qPrintable(table->horizontalHeaderItem(2)->text()));
    QElapsedTimer clock;
    clock.start();
    QTest::mouseClick(child<QPushButton>(m_window.get(), "stopButton"), Qt::LeftButton);
    QVERIFY(finished.wait(30000));
    QVERIFY2(clock.elapsed() < l2l::test::msLimit(1500), qPrintable(QString("stop took %1 ms").arg(clock.elapsed())));
    const auto result = finished.first().at(0).value<EvalResult>();
    QVERIFY(result.cancelled);
    QVERIFY(result.completedSteps < result.config.steps);
    QVERIFY(child<QPushButton>(m_window.get(), "runButton")->isEnabled());
    QVERIFY(!child<QPushButton>(m_window.get(), "stopButton")->isEnabled());
}

// A rate search shows a bar with the optimizer, its place among those tuned and the share done; the bar goes
// when the run ends.
void TestStudio::tuningShowsProgress()
{
    child<QLineEdit>(m_window.get(), "optionsEdit")->setText("dim=30"); // not in the shipped table: it is tuned
    setSmallRun(2, 60);
    setText(m_window.get(), "rate_nag", "");                   // nag and adam tuned
    QFile::remove(QString::fromStdString(defaultCachePath())); // this test's own cache (tests/CMakeLists.txt)
    auto* bar = child<QProgressBar>(m_window.get(), "runProgress");
    QVERIFY(!bar->isVisible());
    QStringList texts;
    const QString shots = qEnvironmentVariable("L2L_TEST_SHOTS"); // a directory: the window with the bar, to look at
    connect(bar, &QProgressBar::valueChanged, this, [&] {
        texts << bar->format();
        if (!shots.isEmpty() && texts.size() == 2) {
            bar->parentWidget()->layout()->activate();
            m_window->grab().save(shots + "/tuning-progress.png");
        }
    });
    runAndWait();
    const QStringList tuning = texts.filter(QRegularExpression("^Tuning (nag|adam)'s rate \\([12] of 2\\)"));
    QVERIFY2(!tuning.isEmpty(), qPrintable(texts.join(" | ")));
    QVERIFY2(texts.filter("Tuning adam's rate (2 of 2): 100%").size() == 1, qPrintable(texts.join(" | ")));
    QVERIFY(!bar->isVisible());
}

void TestStudio::unknownOptionShowsDialog()
{
    setSmallRun(3, 10);
    QSignalSpy first(m_window.get(), &MainWindow::runFinished);
    QTest::mouseClick(child<QPushButton>(m_window.get(), "runButton"), Qt::LeftButton);
    QVERIFY(first.wait(60000));
    auto* plot = child<QCustomPlot>(m_window.get(), "lossPlot");
    const int graphs = plot->graphCount();
    QVERIFY(graphs > 0);

    DialogCloser closer;
    setText(m_window.get(), "optionsEdit", "colour=blue");
    QSignalSpy failed(m_window.get(), &MainWindow::runFailed);
    QTest::mouseClick(child<QPushButton>(m_window.get(), "runButton"), Qt::LeftButton);
    QVERIFY(failed.wait(60000));
    QCOMPARE(closer.texts.size(), 1);
    QVERIFY2(closer.texts.first().contains("colour"), qPrintable(closer.texts.first()));
    QCOMPARE(m_window->property("lastError").toString(), closer.texts.first());
    // The quadratic figure belonged to other settings (the options changed): the plot says what failed instead.
    QCOMPARE(plot->graphCount(), 0);
    const QString placeholder = m_window->compareView()->placeholder();
    QVERIFY2(placeholder.contains("failed") && placeholder.contains("colour"), qPrintable(placeholder));
    QVERIFY(child<QPushButton>(m_window.get(), "runButton")->isEnabled());
    // The field losing focus (or Return) with the same text keeps the failure's message: it is about these settings.
    QTest::keyClick(child<QLineEdit>(m_window.get(), "optionsEdit"), Qt::Key_Return);
    QCOMPARE(m_window->compareView()->placeholder(), placeholder);
    // The title is broken into lines that fit the plot, never cut off at its edges.
    auto* title = qobject_cast<QCPTextElement*>(plot->plotLayout()->elementAt(0));
    QVERIFY(title);
    QCOMPARE(fullText(title), placeholder);
    const QFontMetrics metrics(title->font());
    for (const QString& line : title->text().split('\n'))
        if (line.contains(' ')) QVERIFY2(metrics.horizontalAdvance(line) <= plot->width(), qPrintable(line));
    // Mending the settings clears the failure's message (it named the option just removed).
    setText(m_window.get(), "optionsEdit", "");
    QTest::keyClick(child<QLineEdit>(m_window.get(), "optionsEdit"), Qt::Key_Return);
    QVERIFY2(!m_window->compareView()->placeholder().contains("colour"),
             qPrintable(m_window->compareView()->placeholder()));
    QVERIFY2(m_window->compareView()->placeholder().startsWith("quadratic: press Run"),
             qPrintable(m_window->compareView()->placeholder()));
    QVERIFY(!child<QLabel>(m_window.get(), "statusLabel")->text().contains("Failed")); // the side panel's line too
    // A failure under unchanged settings keeps the figure that belongs to them.
    QTest::mouseClick(child<QPushButton>(m_window.get(), "runButton"), Qt::LeftButton);
    QVERIFY(first.wait(60000));
    QCOMPARE(plot->graphCount(), graphs);
}

// A run that cannot fit in memory is refused before it allocates, with the estimate and what to change, in the
// same dialog as any bad setting; the studio stays usable.
void TestStudio::memoryRefusalShowsDialog()
{
    DialogCloser closer;
    setText(m_window.get(), "optionsEdit", "dim=4000"); // a 64 MB matrix per instance
    setSmallRun(10000, 100000);
    QSignalSpy failed(m_window.get(), &MainWindow::runFailed);
    QTest::mouseClick(child<QPushButton>(m_window.get(), "runButton"), Qt::LeftButton);
    QVERIFY(failed.wait(60000));
    QCOMPARE(closer.texts.size(), 1);
    const QString text = closer.texts.first();
    QVERIFY2(text.contains("memory") && text.contains("available") && text.contains("fewer runs"), qPrintable(text));
    QVERIFY2(text.size() < 600, qPrintable(text));
    QVERIFY(child<QPushButton>(m_window.get(), "runButton")->isEnabled());
    QVERIFY(!child<QProgressBar>(m_window.get(), "runProgress")->isVisible());
}

void TestStudio::badRateIsRejectedInGui()
{
    DialogCloser closer;
    setText(m_window.get(), "rate_sgd", "fast");
    QVERIFY(!child<QLineEdit>(m_window.get(), "rate_sgd")->styleSheet().isEmpty()); // marked red
    QTest::mouseClick(child<QPushButton>(m_window.get(), "runButton"), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(closer.texts.size(), 1, 10000);
    QVERIFY2(closer.texts.first().contains("learning rate of sgd"), qPrintable(closer.texts.first()));
    QVERIFY(!m_window->isRunning()); // nothing was started
}

void TestStudio::grabIsNotBlank()
{
    setSmallRun(5, 40);
    QSignalSpy finished(m_window.get(), &MainWindow::runFinished);
    QTest::mouseClick(child<QPushButton>(m_window.get(), "runButton"), Qt::LeftButton);
    QVERIFY(finished.wait(60000));
    const QImage image = m_window->grab().toImage();
    QVERIFY(image.width() > 400 && image.height() > 300);
    // The plot area alone must hold coloured curves, not just the white background.
    auto* plot = child<QCustomPlot>(m_window.get(), "lossPlot");
    const QImage plotImage = plot->grab().toImage();
    std::set<QRgb> colours;
    for (int y = 0; y < plotImage.height(); y += 3)
        for (int x = 0; x < plotImage.width(); x += 3) colours.insert(plotImage.pixel(x, y));
    QVERIFY2(colours.size() > 20, qPrintable(QString("only %1 colours in the plot").arg(colours.size())));
    const QString path = QDir::temp().filePath("l2l-test-studio.png");
    QVERIFY(image.save(path));
}

// The loss axis's labels (plain numbers under two decades, powers of ten over more) and Inspect's symmetric-log
// axes, from a 110-pixel plot to a 900-pixel one: at least three labels, and no two closer than a line of their font
// (the Art plot stacked "7 6 5 4 3" at its top; Inspect's rate axis ran "10¹ 10⁰ 10⁻¹ ..." together).
void TestStudio::tickLabelsNeverCollide()
{
    const std::pair<double, double> ranges[] = {{0.51, 7.5}, {0.13, 6}, {0.9, 1.3}, {1e-4, 30}, {0.02, 0.9}};
    for (int height : {110, 160, 300, 900})
        for (const auto& [lo, hi] : ranges)
            for (bool symlogAxis : {false, true}) {
                QCustomPlot plot;
                plot.resize(500, height);
                styleLossPlot(&plot);
                QCPAxis* axis = plot.yAxis;
                if (symlogAxis) { // Inspect's effective-rate axis: -u/g from -hi to hi, linear below 1e-3
                    axis->setScaleType(QCPAxis::stLinear);
                    const double top = std::log10(1 + hi / 1e-3) * 1.08;
                    axis->setRange(-top, top);
                    axis->setTicker(symlogTicker(axis, 1e-3, hi));
                } else {
                    axis->setRange(lo, hi);
                    useTickerFor(&plot);
                }
                plot.replot(); // lays the axis rect out
                plot.replot(); // ticks measured against that layout
                const QString where = QString("%1 px, %2 axis over [%3, %4]")
                                          .arg(height)
                                          .arg(symlogAxis ? "symlog" : "log")
                                          .arg(lo)
                                          .arg(hi);
                const QVector<double> ticks = axis->tickVector();
                QVERIFY2(ticks.size() >= 3 || height < 150,
                         qPrintable(where + QString(": %1 labels").arg(ticks.size())));
                QVERIFY2(ticks.size() >= 2, qPrintable(where));
                const double line = QFontMetrics(axis->tickLabelFont()).height();
                for (int i = 1; i < ticks.size(); ++i) {
                    const double gap = std::abs(axis->coordToPixel(ticks[i]) - axis->coordToPixel(ticks[i - 1]));
                    QVERIFY2(gap >= line, qPrintable(where + QString(": labels '%1' and '%2' %3 px apart, a line is %4")
                                                                 .arg(axis->tickVectorLabels()[i - 1])
                                                                 .arg(axis->tickVectorLabels()[i])
                                                                 .arg(gap)
                                                                 .arg(line)));
                }
            }
    // A zoom (wheel or drag: the range changes without useTickerFor) picks the ticker for the new range: zoomed from
    // five decades into one, the powers-of-ten labels showed "10⁰" twice.
    QCustomPlot plot;
    plot.resize(500, 300);
    styleLossPlot(&plot);
    plot.yAxis->setRange(1e-3, 1e2);
    useTickerFor(&plot);
    plot.yAxis->setRange(0.7, 3.2); // as QCustomPlot's own zoom does
    plot.replot();
    plot.replot();
    const QVector<QString> labels = plot.yAxis->tickVectorLabels();
    QVERIFY(labels.size() >= 3);
    for (int i = 1; i < labels.size(); ++i)
        QVERIFY2(!labels.mid(0, i).contains(labels[i]),
                 qPrintable(QStringList(labels.begin(), labels.end()).join(" ")));
}

void TestStudio::savePlotFiles()
{
    EvalConfig config;
    config.optimizers = {"sgd:lr=0.01", "adam:lr=0.1"};
    config.runs = 4;
    config.steps = 30;
    const EvalResult result = evaluate(config);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString png = dir.filePath("loss.png"), pdf = dir.filePath("loss.pdf");
    saveEvalPlot(result, png);
    saveEvalPlot(result, pdf, 640, 400);
    const QImage image(png);
    QCOMPARE(image.size(), QSize(800, 500));
    QVERIFY(QFileInfo(pdf).size() > 1000);
    if (qEnvironmentVariableIsSet("L2L_KEEP_PLOT")) image.save(qEnvironmentVariable("L2L_KEEP_PLOT"));

    saveEvalPlot(result, dir.filePath("missing/dir/loss.png")); // missing folders are created
    QCOMPARE(QImage(dir.filePath("missing/dir/loss.png")).size(), QSize(800, 500));
    // A folder that cannot be made (a file is in its place): an error naming the plot, nothing left behind.
    for (const QString& bad : {dir.filePath("loss.svgz"), png + "/under-a-file.png", pdf + "/under-a-file.pdf"}) {
        try {
            saveEvalPlot(result, bad);
            QFAIL(qPrintable("no error for " + bad));
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains(bad), e.what());
        }
    }
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files), (QStringList{"loss.pdf", "loss.png"}));
    QCOMPARE(QImage(png).size(), QSize(800, 500)); // the old plot kept

    // A figure for a file gets no resize: its legend is placed for its entries, not while it was still empty (a long
    // entry, "(4/4 diverged, not in the mean)", stood beside a plot squeezed to 40 % of the width).
    config.optimizers = {"sgd:lr=0.01", "adam:lr=0.1", "nag:lr=50"};
    const EvalResult diverging = evaluate(config);
    QVERIFY(diverging.optimizers[2].divergedRuns > 0);
    QCustomPlot plot;
    plot.resize(800, 500);
    plotEvalResult(&plot, diverging, QStringLiteral("title"));
    (void)plot.toPixmap(800, 500); // lays it out
    QVERIFY2(plot.legend->outerRect().top() >= plot.axisRect()->outerRect().bottom(),
             qPrintable(QStringLiteral("legend at %1,%2; axes end at %3")
                            .arg(plot.legend->outerRect().left())
                            .arg(plot.legend->outerRect().top())
                            .arg(plot.axisRect()->outerRect().bottom())));
    QVERIFY(plot.axisRect()->outerRect().width() > 600);
}

QString TestStudio::writeFile(const QString& name, const QByteArray& bytes)
{
    const QString path = m_tmp.filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly)) qFatal("cannot write %s", qPrintable(path));
    file.write(bytes);
    return path;
}

void TestStudio::runAndWait()
{
    QSignalSpy finished(m_window.get(), &MainWindow::runFinished);
    m_window->runExperiment();
    QVERIFY(finished.wait(120000));
    QVERIFY2(m_window->lastError().isEmpty(), qPrintable(m_window->lastError()));
}

// Every setting the user can change goes into the file and comes back in a new window.
void TestStudio::experimentRoundTrip()
{
    const QString optimizer = QString::fromStdString(resourceDir() + "/optimizers/quadratic.json");
    Experiment e;
    e.eval.problem = "quadratic:dim=20";
    e.optimizers = {{"sgd", true, "0.05", ""},
                    {"nag", false, "", ""},
                    {"rmsprop", true, "", ""},
                    {"adam", true, "0.02", ""},
                    {"lstm", true, "", optimizer.toStdString()}};
    e.eval.runs = 7;
    e.eval.steps = 33;
    e.eval.seed = 9;
    e.trajectoryFunction = "himmelblau";
    e.trajectoryStart = {1.0, -2.0};
    e.metaTrain.epochs = 55;
    e.metaTrain.unroll = 11;
    e.view = "trajectories";
    m_window->applyExperiment(e);
    QCOMPARE(child<QSpinBox>(m_window.get(), "runsField")->value(), 7);
    QCOMPARE(child<QLineEdit>(m_window.get(), "rate_sgd")->text(), QString("0.05"));
    QVERIFY(!child<QCheckBox>(m_window.get(), "use_nag")->isChecked());
    QCOMPARE(m_window->panel()->lstmSpec(), "lstm:" + optimizer);
    QCOMPARE(m_window->trajectoryView()->functionSpec(), QString("himmelblau"));
    QCOMPARE(m_window->currentView(), MainWindow::Trajectories);

    const QString path = m_tmp.filePath("round.l2l.json");
    QVERIFY(m_window->saveExperimentTo(path));
    const std::string saved = experimentToJson(m_window->experiment());
    QCOMPARE(experimentToJson(loadExperiment(path.toStdString())), saved);
    QCOMPARE(experimentToJson(loadExperiment(path.toStdString())), experimentToJson(e));

    MainWindow other;
    other.show();
    QVERIFY(QTest::qWaitForWindowExposed(&other));
    QVERIFY(other.openFile(path));
    QCOMPARE(experimentToJson(other.experiment()), saved);
}

// The file keeps the results and reproduces the numbers: it re-opens showing them, and a new run gives the same
// final losses, to the last bit, in a fresh window.
void TestStudio::experimentReproducesNumbers()
{
    setSmallRun(4, 25);
    runAndWait();
    const QString path = m_tmp.filePath("repro.l2l.json");
    QVERIFY(m_window->saveExperimentTo(path));
    const EvalResult first = m_window->compareView()->result();
    m_window.reset();
    m_window = std::make_unique<MainWindow>();
    m_window->show();
    QVERIFY(m_window->openFile(path));
    // Saved with its results, the experiment shows them at once, before any run.
    QVERIFY(!m_window->isRunning());
    const EvalResult shown = m_window->compareView()->result();
    QCOMPARE(shown.optimizers.size(), first.optimizers.size());
    for (size_t i = 0; i < first.optimizers.size(); ++i) {
        QCOMPARE(shown.optimizers[i].config.canonical(true), first.optimizers[i].config.canonical(true));
        QCOMPARE(shown.optimizers[i].stats.mean, first.optimizers[i].stats.mean);
        QCOMPARE(shown.optimizers[i].finalMedian, first.optimizers[i].finalMedian);
    }
    QCOMPARE(child<QTableWidget>(m_window.get(), "summaryTable")->rowCount(), int(first.optimizers.size()));
    runAndWait();
    const EvalResult second = m_window->compareView()->result();
    QCOMPARE(second.optimizers.size(), first.optimizers.size());
    for (size_t i = 0; i < first.optimizers.size(); ++i) {
        QCOMPARE(second.optimizers[i].config.name, first.optimizers[i].config.name);
        QCOMPARE(second.optimizers[i].finalMean, first.optimizers[i].finalMean);
        QCOMPARE(second.optimizers[i].stats.mean, first.optimizers[i].stats.mean);
    }
}

void TestStudio::badFilesGiveDialog_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("expected");
    QByteArray optimizer = QByteArray::fromStdString(readFile(resourceDir() + "/optimizers/quadratic.json"));
    QByteArray nanOptimizer = optimizer;
    const int w = nanOptimizer.indexOf("\"weights\"");
    const int firstNumber = nanOptimizer.indexOf('[', w) + 1;
    const int comma = nanOptimizer.indexOf(',', firstNumber);
    nanOptimizer.replace(firstNumber, comma - firstNumber, "null"); // what a NaN becomes in JSON
    QByteArray shortOptimizer = optimizer;
    shortOptimizer.replace("\"hidden\": 20", "\"hidden\": 21");
    QTest::newRow("empty") << "empty.json" << QByteArray() << "empty";
    // Not JSON: the parser's line and column, as the command line gives them.
    QTest::newRow("truncated experiment")
        << "cut.json" << QByteArray(R"({"format": "l2l-experiment", "version": 1, "pro)")
        << "is not valid JSON (parse error at line 1";
    QTest::newRow("truncated optimizer") << "cut-opt.json" << optimizer.left(optimizer.size() / 2)
                                         << "is not valid JSON (parse error at line";
    QByteArray literalNan = optimizer;
    literalNan.replace(firstNumber, comma - firstNumber, "NaN"); // as some writers print a NaN
    QTest::newRow("literal NaN") << "literal-nan.json" << literalNan << "last read: '\"weights\": [N";
    QTest::newRow("no format") << "plain.json" << QByteArray(R"({"runs": 3})") << "it has no \"format\" field";
    QTest::newRow("infinite weight") << "nan.json" << nanOptimizer << "weight 0 is not a number";
    QTest::newRow("wrong shapes") << "shape.json" << shortOptimizer << "weights, but a";
    QTest::newRow("checkpoint") << "ckpt.json" << QByteArray(R"({"format": "l2l-train-checkpoint", "version": 1})")
                                << "l2l-train-checkpoint";
    QTest::newRow("image") << "picture.png" << QByteArray("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16) << "picture.png";
    // An experiment naming an LSTM file that is not there: refused whole, naming both files.
    QTest::newRow("missing lstm file")
        << "nolstm.json"
        << QByteArray::fromStdString(readFile(resourceDir() + "/examples/fig4-quadratic.json"))
               .replace("\"path\": \"\"", "\"path\": \"/nonexistent/opt.json\"")
        << "nolstm.json': optimizers[4] (lstm): optimizer file '/nonexistent/opt.json' does not exist";
    QTest::newRow("bad experiment field")
        << "badexp.json"
        << QByteArray::fromStdString(experimentToJson(Experiment{})).replace("\"runs\": 20", "\"runs\": -4") << "runs";
}

// Opened from the menu or dropped on the window: one dialog naming the problem, nothing changes.
void TestStudio::badFilesGiveDialog()
{
    QFETCH(QString, name);
    QFETCH(QByteArray, bytes);
    QFETCH(QString, expected);
    const QString path = writeFile(name, bytes);
    const std::string before = experimentToJson(m_window->experiment());
    {
        DialogCloser closer;
        QVERIFY(!m_window->openFile(path));
        QTRY_COMPARE_WITH_TIMEOUT(closer.texts.size(), 1, 10000);
        QVERIFY2(closer.texts.first().contains(expected), qPrintable(closer.texts.first()));
    }
    {
        DialogCloser closer;
        QMimeData mime;
        mime.setUrls({QUrl::fromLocalFile(path)});
        QDragEnterEvent enter(QPoint(400, 300), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(m_window.get(), &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(QPointF(400, 300), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(m_window.get(), &drop);
        QTRY_COMPARE_WITH_TIMEOUT(closer.texts.size(), 1, 10000);
        QVERIFY2(closer.texts.first().contains(expected), qPrintable(closer.texts.first()));
    }
    {
        const QStringList now = QString::fromStdString(experimentToJson(m_window->experiment())).split('\n');
        const QStringList was = QString::fromStdString(before).split('\n');
        QStringList diff;
        for (int i = 0; i < std::max(now.size(), was.size()); ++i)
            if (now.value(i) != was.value(i)) diff << was.value(i) + " -> " + now.value(i);
        QVERIFY2(diff.isEmpty(), qPrintable(diff.join('\n')));
    }
    DialogCloser closer;
    QVERIFY(!m_window->openFile(m_tmp.filePath("does-not-exist.json")));
    QTRY_COMPARE_WITH_TIMEOUT(closer.texts.size(), 1, 10000);
    QVERIFY2(closer.texts.first().contains("does-not-exist.json"), qPrintable(closer.texts.first()));
}

void TestStudio::droppedOptimizerBecomesLstm()
{
    const QString path =
        writeFile("mine.json", QByteArray::fromStdString(readFile(resourceDir() + "/optimizers/mnist.json")));
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(path)});
    QDragEnterEvent enter(QPoint(400, 300), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(m_window.get(), &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(400, 300), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QSignalSpy opened(m_window.get(), &MainWindow::fileOpened);
    QApplication::sendEvent(m_window.get(), &drop);
    QVERIFY2(m_window->lastError().isEmpty(), qPrintable(m_window->lastError()));
    QCOMPARE(opened.size(), 1);
    QCOMPARE(m_window->panel()->lstmSpec(), "lstm:" + path);
    QCOMPARE(child<QLineEdit>(m_window.get(), "rate_lstm")->text(), path);
    QVERIFY(m_window->lastError().isEmpty());
}

void TestStudio::settingsRestoredOnStart()
{
    QSettings settings(m_tmp.filePath("settings.ini"), QSettings::IniFormat);
    {
        MainWindow first(&settings);
        first.show();
        QVERIFY(QTest::qWaitForWindowExposed(&first));
        auto* combo = child<QComboBox>(&first, "problemCombo");
        combo->setCurrentIndex(combo->findData(QString("rosenbrock")));
        child<QSpinBox>(&first, "stepsField")->setValue(77);
        child<QLineEdit>(&first, "seedField")->setText("4242");
        first.artView()->setImageSize(32);
        first.artView()->setSteps(33);
        first.artView()->setContent(QStringLiteral("coffee"));
        first.showView(MainWindow::Inspect);
        first.resize(1100, 700);
        first.close();
    }
    MainWindow second(&settings);
    second.show();
    QVERIFY(QTest::qWaitForWindowExposed(&second));
    QCOMPARE(child<QComboBox>(&second, "problemCombo")->currentData().toString(), QString("rosenbrock"));
    QCOMPARE(child<QSpinBox>(&second, "stepsField")->value(), 77);
    QCOMPARE(child<QLineEdit>(&second, "seedField")->text(), QString("4242"));
    QCOMPARE(second.currentView(), MainWindow::Inspect);
    // The Art view's own settings too (they came back as 128 and 128).
    QCOMPARE(second.artView()->steps(), 33);
    const QString art = second.artView()->problemSpec();
    QVERIFY2(art.contains("size=32") && art.contains("content=coffee"), qPrintable(art));
    // Geometry is restored up to what the window system adjusts (a few pixels of frame under Xvfb).
    QVERIFY2(std::abs(second.width() - 1100) <= 12 && std::abs(second.height() - 700) <= 12,
             qPrintable(QString("%1x%2").arg(second.width()).arg(second.height())));
}

// PNG and PDF of every view's plot, CSV of its data; a bad extension is refused with a message.
void TestStudio::exportEveryView()
{
    setSmallRun(3, 20);
    runAndWait();
    m_window->showView(MainWindow::Inspect);
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->inspectView()->isComputing(), 60000);
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->trajectoryView()->isComputing() && m_window->trajectoryView()->result(), 60000);
    for (auto view : {MainWindow::Compare, MainWindow::MetaTrain, MainWindow::Trajectories, MainWindow::Inspect}) {
        m_window->showView(view);
        QTest::qWait(50);
        const QString base = m_tmp.filePath(MainWindow::viewName(view));
        // Plots are laid out at the export's size while they are drawn, then given back their place on screen.
        std::vector<QSize> sizes;
        for (QCustomPlot* p : m_window->inspectView()->plots()) sizes.push_back(p->size());
        QVERIFY2(m_window->exportPlotTo(base + ".png"), qPrintable(m_window->lastError()));
        for (size_t i = 0; i < sizes.size(); ++i) QCOMPARE(m_window->inspectView()->plots()[int(i)]->size(), sizes[i]);
        QVERIFY2(m_window->exportPlotTo(base + ".pdf"), qPrintable(m_window->lastError()));
        QVERIFY(m_window->exportCsvTo(base + ".csv") || view == MainWindow::MetaTrain); // nothing trained yet
        const QImage png(base + ".png");
        QVERIFY2(png.width() > 300 && png.height() > 200, qPrintable(base));
        if (view == MainWindow::Compare || view == MainWindow::MetaTrain) // twice the layout's 900 x 420 pixels
            QCOMPARE(png.size(), QSize(1800, 840));
        if (view == MainWindow::Trajectories) { // under a strip that names the function and the step
            const QImage landscape = m_window->trajectoryView()->landscape()->renderLandscape();
            QCOMPARE(png.width(), landscape.width());
            QVERIFY(png.height() > landscape.height());
        }
        if (const QString shots = qEnvironmentVariable("L2L_SHOT_DIR"); !shots.isEmpty()) // to look at
            QFile::copy(base + ".png", shots + "/export-" + MainWindow::viewName(view) + ".png");
        QVERIFY(QFileInfo(base + ".pdf").size() > 1000);
        QVERIFY(QFile(base + ".pdf").open(QIODevice::ReadOnly));
    }
    QFile csv(m_tmp.filePath("compare.csv"));
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(csv.readAll()).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 1 + 5 * 21); // header, 5 optimizers x (steps 0..20): the columns of `l2l eval --csv`
    QVERIFY(lines[0].startsWith("optimizer,learning_rate,step,loss_mean"));
    DialogCloser closer;
    QVERIFY(!m_window->exportPlotTo(m_tmp.filePath("plot.gif")));
    QTRY_COMPARE_WITH_TIMEOUT(closer.texts.size(), 1, 10000);
    QVERIFY(closer.texts.first().contains(".png or .pdf"));
}

// The dashed hover line follows the pointer on screen, goes when it leaves the plot, and is never in a saved figure.
void TestStudio::hoverCursorStaysOffFigures()
{
    setSmallRun(2, 20);
    runAndWait();
    m_window->showView(MainWindow::Compare);
    CompareView* view = m_window->compareView();
    QCustomPlot* plot = view->plot();
    const QString clean = m_tmp.filePath("clean.png"), hovered = m_tmp.filePath("hovered.png");
    QVERIFY2(m_window->exportPlotTo(clean), qPrintable(m_window->lastError()));
    const QPoint inside = plot->axisRect()->rect().center();
    QMouseEvent move(QEvent::MouseMove, QPointF(inside), QPointF(plot->mapToGlobal(inside)), Qt::NoButton, Qt::NoButton,
                     Qt::NoModifier);
    QCoreApplication::sendEvent(plot, &move);
    QVERIFY(view->cursorShown());
    QVERIFY2(m_window->exportPlotTo(hovered), qPrintable(m_window->lastError()));
    QVERIFY(view->cursorShown()); // back on screen after the export
    QCOMPARE(QImage(hovered), QImage(clean));
    QEvent leave(QEvent::Leave);
    QCoreApplication::sendEvent(plot, &leave);
    QVERIFY(!view->cursorShown());
}

// Scrolling the panel over a spin box must not change it; once the box has the focus the wheel steps it. A combo
// box never changes under the wheel.
void TestStudio::wheelChangesOnlyAFocusedField()
{
    auto* steps = child<QSpinBox>(m_window.get(), "stepsField");
    m_window->activateWindow();
    QWidget* other = child<QLineEdit>(m_window.get(), "seedField");
    other->setFocus();
    QTRY_VERIFY(other->hasFocus());
    const int before = steps->value();
    const QPoint at = steps->rect().center();
    auto wheel = [&] {
        QWheelEvent event(QPointF(at), QPointF(steps->mapToGlobal(at)), QPoint(), QPoint(0, 120), Qt::NoButton,
                          Qt::NoModifier, Qt::NoScrollPhase, false);
        QCoreApplication::sendEvent(steps, &event);
    };
    wheel();
    QCOMPARE(steps->value(), before);
    // Qt focuses a field with Qt::WheelFocus on a wheel before any filter sees it (Runs went 20 -> 23 under a scroll
    // in an active window): the fields have StrongFocus, and the wheel left the focus where it was.
    QCOMPARE(steps->focusPolicy(), Qt::StrongFocus);
    QCOMPARE(child<QComboBox>(m_window.get(), "problemCombo")->focusPolicy(), Qt::StrongFocus);
    QVERIFY(!steps->hasFocus());
    steps->setFocus();
    QTRY_VERIFY(steps->hasFocus());
    wheel();
    QVERIFY(steps->value() != before);
    steps->setValue(before);
    // A combo box never: focused, the problem combo keeps its choice under the wheel.
    auto* combo = child<QComboBox>(m_window.get(), "problemCombo");
    const int index = combo->currentIndex();
    combo->setFocus();
    QTRY_VERIFY(combo->hasFocus());
    for (int delta : {120, -120, -120}) {
        const QPoint c = combo->rect().center();
        QWheelEvent event(QPointF(c), QPointF(combo->mapToGlobal(c)), QPoint(), QPoint(0, delta), Qt::NoButton,
                          Qt::NoModifier, Qt::NoScrollPhase, false);
        QCoreApplication::sendEvent(combo, &event);
        QCOMPARE(combo->currentIndex(), index);
    }
}

// A bad rate typed in the panel is marked in the field; no dialog interrupts the typing (each view it would reach
// keeps what it had); Run then names the fault in a dialog.
void TestStudio::badRateWaitsForRun()
{
    for (auto view : {MainWindow::Compare, MainWindow::Trajectories, MainWindow::Inspect}) {
        m_window->showView(view);
        auto* rate = child<QLineEdit>(m_window.get(), "rate_sgd");
        DialogCloser closer;
        rate->setText(QStringLiteral("abc"));
        emit rate->editingFinished();
        QTest::qWait(400);
        QVERIFY2(closer.texts.isEmpty(), qPrintable(closer.texts.join(" | ")));
        rate->setText(QStringLiteral("-1"));
        emit rate->editingFinished();
        QTest::qWait(400);
        QVERIFY2(closer.texts.isEmpty(), qPrintable(closer.texts.join(" | ")));
        rate->clear();
        emit rate->editingFinished();
    }
}

void TestStudio::stepActionAdvancesTrajectory()
{
    TrajectoryView* view = m_window->trajectoryView();
    QTRY_VERIFY_WITH_TIMEOUT(!view->isComputing() && view->result(), 60000);
    view->setCurrentStep(3);
    child<QAction>(m_window.get(), "stepAction")->trigger();
    QCOMPARE(m_window->currentView(), MainWindow::Trajectories);
    QCOMPARE(view->currentStep(), 4);
    m_window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    QTest::keyClick(m_window.get(), Qt::Key_F10);
    QCOMPARE(view->currentStep(), 5);
}

void TestStudio::screenshotTourWritesEveryView()
{
    const QString dir = m_tmp.filePath("tour");
    bool done = false, ok = false;
    QString message;
    runScreenshotTour(*m_window, dir, [&](bool success, const QString& text) {
        done = true;
        ok = success;
        message = text;
    });
    QTRY_VERIFY_WITH_TIMEOUT(done, 300000);
    QVERIFY2(ok, qPrintable(message));
    for (const char* view : {"compare", "meta-train", "trajectories", "inspect", "art", "transfer", "graph"})
        for (const QString& name : {QString(view), QString(view) + "-1280x720", QString(view) + "-1024x640"}) {
            const QImage image(QDir(dir).filePath(name + ".png"));
            QVERIFY2(image.width() >= 1000 && image.height() >= 600, qPrintable(name));
            if (name.endsWith("1280x720")) QCOMPARE(image.size(), QSize(1280, 720));
            if (name.endsWith("1024x640")) QCOMPARE(image.size(), QSize(1024, 640));
            std::set<QRgb> colours;
            for (int y = 0; y < image.height(); y += 4)
                for (int x = 0; x < image.width(); x += 4) colours.insert(image.pixel(x, y));
            QVERIFY2(colours.size() > 100, qPrintable(QString("%1: only %2 colours").arg(name).arg(colours.size())));
        }
}

// Ctrl+E exports with the cursor in a text field (the field took it as "end of line"), and the field is unchanged.
void TestStudio::exportShortcutWorksInFields()
{
    m_window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    auto* exportPlot = child<QAction>(m_window.get(), "exportPlotAction");
    QObject::disconnect(exportPlot, &QAction::triggered, nullptr, nullptr); // no file dialog here
    QSignalSpy triggered(exportPlot, &QAction::triggered);
    auto* options = child<QLineEdit>(m_window.get(), "optionsEdit");
    options->setFocus();
    QTRY_VERIFY(options->hasFocus());
    options->setText("dim=5");
    options->setCursorPosition(0);
    QTest::keyClick(options, Qt::Key_E, Qt::ControlModifier);
    QCOMPARE(triggered.count(), 1);
    QCOMPARE(options->cursorPosition(), 0); // not moved to the end
    QCOMPARE(options->text(), QString("dim=5"));
}

// Another problem keeps only the options it has (mnist kept quadratic's 'dim' and showed it as an error), and a
// number option's value is checked as it is typed (init_std=nan was found only at Run).
void TestStudio::optionsFollowTheProblem()
{
    auto* combo = child<QComboBox>(m_window.get(), "problemCombo");
    auto* options = child<QLineEdit>(m_window.get(), "optionsEdit");
    auto* error = child<QLabel>(m_window.get(), "optionsError");
    combo->setCurrentIndex(combo->findData(QString("quadratic")));
    options->setText("dim=5,fscale=2");
    combo->setCurrentIndex(combo->findData(QString("mnist")));
    QCOMPARE(options->text(), QString("fscale=2"));
    QVERIFY(error->isHidden());
    options->setText("init_std=nan");
    QVERIFY(!error->isHidden());
    QVERIFY2(error->text().contains("'nan' is not a decimal number"), qPrintable(error->text()));
    options->setText("batch=0");
    QVERIFY2(error->text().contains("option 'batch' must be in [1, 10000]"), qPrintable(error->text()));
    options->clear();
    QVERIFY(error->isHidden());
    combo->setCurrentIndex(combo->findData(QString("quadratic")));
}

// A status with a long spec wraps in the panel: the memory message (mnist's full spec, 60 characters without a
// space) widened it from about 340 to 445 px for good, cutting the Transfer map's third column off.
void TestStudio::longStatusKeepsThePanelWidth()
{
    const int before = m_window->panel()->minimumSizeHint().width();
    m_window->panel()->setStatus(
        QStringLiteral("this run needs about 75 GiB (5 optimizer(s) x 10000 runs x 100000 steps "
                       "on mnist:hidden=20,activation=sigmoid,batch=128,init_std=0.01,"
                       "data=mnist,fscale=1,xscale=1), more than the 20 GiB available"));
    QTest::qWait(50);
    QCOMPARE(m_window->panel()->minimumSizeHint().width(), before);
    m_window->panel()->setStatus(tr("Ready."));
}

// The LSTM from a file adds a browse button to its row: the side panel's scroll area widens with it instead of
// cutting the row's right edge off (it never scrolls sideways).
void TestStudio::panelWidensForAFileRow()
{
    m_window->resize(1024, 640);
    QTest::qWait(50);
    m_window->panel()->setOptimizerFile(QString::fromStdString(resourceDir() + "/optimizers/quadratic.json"));
    auto* scroll = child<QScrollArea>(m_window.get(), "experimentScroll");
    QTRY_VERIFY(scroll->minimumWidth() >= m_window->panel()->minimumSizeHint().width());
    QTRY_VERIFY2(
        m_window->panel()->width() >= m_window->panel()->minimumSizeHint().width(),
        qPrintable(
            QString("%1 < %2").arg(m_window->panel()->width()).arg(m_window->panel()->minimumSizeHint().width())));
}

// Meta-train, then "Use": the panel's LSTM, the trajectories and Inspect switch to the new file at once.
void TestStudio::trainedOptimizerIsUsedEverywhere()
{
    MetaTrainView* train = m_window->metaTrainView();
    MetaTrainConfig config = train->config();
    config.epochs = 40;
    config.validateEvery = 10;
    train->setConfig(config);
    train->start();
    QVERIFY(train->isTraining());
    QTRY_VERIFY_WITH_TIMEOUT(!train->isTraining(), 120000);
    QVERIFY(train->bestOptimizer().has_value());
    train->useBest();
    const QString path = train->sessionOptimizerPath();
    QVERIFY(!path.isEmpty());
    QCOMPARE(m_window->panel()->lstmSpec(), "lstm:" + path);
    TrajectoryView* view = m_window->trajectoryView();
    QTRY_VERIFY_WITH_TIMEOUT(!view->isComputing() && view->result(), 60000);
    bool found = false;
    for (const auto& p : view->result()->paths)
        if (p.rule.learned()) found = QString::fromStdString(p.rule.path) == path;
    QVERIFY2(found, "the trajectories do not use the trained optimizer");
    const EvalConfig eval = m_window->panel()->config();
    QCOMPARE(QString::fromStdString(eval.optimizers.back()), "lstm:" + path);

    // Saved in an experiment: the session file (in the studio's data folder) gets a copy beside the experiment,
    // named relative to it, so the folder can be moved or shared (the file named the data folder's absolute path).
    QTemporaryDir dir;
    const QString experiment = dir.filePath("q.l2l.json");
    QVERIFY(m_window->saveExperimentTo(experiment));
    const std::string text = readFile(experiment.toStdString());
    const QString copy = "q-" + QFileInfo(path).completeBaseName() + ".json";
    QVERIFY2(text.find("\"path\": \"" + copy.toStdString() + "\"") != std::string::npos, text.c_str());
    const Experiment saved = experimentFromJson(text, experiment.toStdString());
    QCOMPARE(QString::fromStdString(saved.optimizers.back().path), dir.filePath(copy));
    QVERIFY(readFile(dir.filePath(copy).toStdString()) == readFile(path.toStdString()));
    QVERIFY(m_window->saveExperimentTo(experiment)); // again: the same copy, not a second one
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files).size(), 2);
    // Moved elsewhere, the experiment still opens with its optimizer.
    QTemporaryDir moved;
    for (const QString& f : QDir(dir.path()).entryList(QDir::Files))
        QVERIFY(QFile::copy(dir.filePath(f), moved.filePath(f)));
    QVERIFY(m_window->openFile(moved.filePath("q.l2l.json")));
    QCOMPARE(m_window->panel()->lstmSpec(), "lstm:" + moved.filePath(copy));
}

// In Meta-train, Play / Pause (F5) pauses and resumes the training and Step (F10) is off; both jumped to
// Trajectories and started its animation while the training went on.
void TestStudio::playPausesMetaTraining()
{
    m_window->showView(MainWindow::MetaTrain);
    MetaTrainView* train = m_window->metaTrainView();
    MetaTrainConfig config = train->config();
    config.epochs = 1000000;
    config.validateEvery = 1000;
    train->setConfig(config);
    train->start();
    QVERIFY(train->isTraining());
    auto* play = child<QAction>(m_window.get(), "playAction");
    QVERIFY(!child<QAction>(m_window.get(), "stepAction")->isEnabled());
    QVERIFY(!child<QCheckBox>(m_window.get(), "tuneRaceField")->isEnabled()); // Meta-train does not tune
    auto* status = child<QLabel>(m_window.get(), "statusLabel");              // the side panel's
    QVERIFY2(status->text().contains("is running"), qPrintable(status->text()));
    play->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(train->isPaused(), 10000);
    QCOMPARE(m_window->currentView(), MainWindow::MetaTrain);
    QTRY_VERIFY2(status->text().contains("is paused"), qPrintable(status->text())); // it said "running"
    play->trigger();
    QTRY_VERIFY(!train->isPaused());
    QTRY_VERIFY2(status->text().contains("is running"), qPrintable(status->text()));
    QVERIFY(train->isTraining());
    train->stop();
    QTRY_VERIFY_WITH_TIMEOUT(!train->isTraining(), 10000);
    m_window->showView(MainWindow::Compare);
    QVERIFY(child<QAction>(m_window.get(), "stepAction")->isEnabled());
    QVERIFY(child<QCheckBox>(m_window.get(), "tuneRaceField")->isEnabled());
}

// The Transfer view: Compute fills the heat map variant by variant with progress; a click on a cell opens that
// comparison (problem, steps, runs, seed, optimizer file) in Compare and runs it; Stop ends a computation and
// Compute then goes on from where it stopped; the map and its cells export as PNG and CSV.
void TestStudio::transferViewFillsTheMapAndOpensACell()
{
    m_window->showView(MainWindow::Transfer);
    TransferView* view = m_window->transferView();
    view->setFamily(QStringLiteral("quadratic"));
    view->setRuns(2);
    QCOMPARE(view->optimizers().size(), 1);
    QVERIFY(view->optimizers().front().endsWith(QStringLiteral("quadratic.json")));
    QSignalSpy computed(view, &TransferView::computed);
    view->compute();
    QVERIFY(view->isComputing());
    QVERIFY(computed.wait(120000));
    const TransferResult* r = view->result();
    QVERIFY(r);
    QCOMPARE(r->completedVariants, int(transferGrid("quadratic", 100).size()));
    QCOMPARE(child<QProgressBar>(m_window.get(), "transferProgress")->value(), 1000);
    QVERIFY(child<QLabel>(m_window.get(), "transferStatus")->text().startsWith(QStringLiteral("Done")));
    for (const auto& row : r->cells) QVERIFY(std::isfinite(row[0].ratio) || !row[0].baseline.empty());

    const QString png = m_tmp.filePath("transfer.png"), csv = m_tmp.filePath("transfer.csv");
    QVERIFY2(m_window->exportPlotTo(png), qPrintable(m_window->lastError()));
    QCOMPARE(QImage(png).size(), transferMapSize(*r) * 2); // twice the layout's pixels, as the plots export
    const QString pdf = m_tmp.filePath("transfer.pdf");    // vector: text as text (it was one raster image)
    QVERIFY2(m_window->exportPlotTo(pdf), qPrintable(m_window->lastError()));
    QFile pdfFile(pdf);
    QVERIFY(pdfFile.open(QIODevice::ReadOnly));
    const QByteArray pdfBytes = pdfFile.readAll();
    QVERIFY(pdfBytes.contains("/FontFile") && !pdfBytes.contains("/Subtype /Image"));
    QVERIFY2(m_window->exportCsvTo(csv), qPrintable(m_window->lastError()));
    QFile f(csv);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts).size(), 1 + r->completedVariants);

    // Click the cell of the second variant (dim=2).
    TransferMapWidget* map = view->map();
    QPoint cell(-1, -1);
    for (int y = 0; y < map->height() && cell.x() < 0; y += 2)
        for (int x = 0; x < map->width(); x += 4)
            if (transferCellAt(map->rect(), *r, QPoint(x, y)) == std::pair<int, int>(1, 0)) {
                cell = QPoint(x + 8, y + 8);
                break;
            }
    QVERIFY(cell.x() >= 0);
    QSignalSpy finished(m_window.get(), &MainWindow::runFinished);
    QTest::mouseClick(map, Qt::LeftButton, {}, cell);
    QCOMPARE(m_window->currentView(), MainWindow::Compare);
    QVERIFY(finished.wait(120000));
    QVERIFY2(m_window->lastError().isEmpty(), qPrintable(m_window->lastError()));
    const Experiment e = m_window->experiment();
    QCOMPARE(e.eval.problem, r->config.variants[1].problem);
    QCOMPARE(e.eval.runs, 2);
    QCOMPARE(e.eval.seed, std::uint64_t(101));
    QVERIFY(m_window->panel()->lstmSpec().endsWith(QStringLiteral("quadratic.json")));

    // Stop: the computation ends with the variants done so far.
    m_window->showView(MainWindow::Transfer);
    view->setFamily(QStringLiteral("mnist"));
    view->setOptimizers({qEnvironmentVariable("L2L_SOURCE_DIR") + "/resources/optimizers/mnist.json"});
    computed.clear();
    view->compute();
    QTest::qWait(300);
    view->stop();
    QVERIFY(computed.wait(60000));
    QVERIFY(view->result() == nullptr || view->result()->cancelled);
    QVERIFY(child<QLabel>(m_window.get(), "transferStatus")->text().startsWith(QStringLiteral("Stopped")));

    // Compute after a Stop goes on from the first unfinished variant and ends with the cells of an uninterrupted
    // run (same build and threads: the same bits); changed settings start afresh. 200 runs per variant, so that
    // a variant takes long enough (the rates are cached by now) for the Stop to land within the grid.
    auto* status = child<QLabel>(m_window.get(), "transferStatus");
    view->setFamily(QStringLiteral("quadratic"));
    view->setOptimizers({qEnvironmentVariable("L2L_SOURCE_DIR") + "/resources/optimizers/quadratic.json"});
    view->setRuns(200);
    computed.clear();
    view->compute();
    QVERIFY(status->text().startsWith(QStringLiteral("Starting")));
    QVERIFY(computed.wait(300000));
    QVERIFY(view->result() && !view->result()->cancelled);
    const TransferResult full = *view->result();
    const int n = int(full.config.variants.size());
    const auto stopAfterAVariant = [&] {
        computed.clear();
        view->compute();
        QTRY_VERIFY_WITH_TIMEOUT(view->result() && view->result()->completedVariants >= 1, 120000);
        view->stop();
        QVERIFY(computed.wait(60000));
        QVERIFY(view->result() && view->result()->cancelled);
    };
    stopAfterAVariant();
    const int kept = view->result()->completedVariants;
    QVERIFY2(kept >= 1 && kept < n, qPrintable(QString::number(kept)));
    { // the bar counts the variants kept, not the work done (it said 52 % with 6 of 13 kept)
        auto* bar = child<QProgressBar>(m_window.get(), "transferProgress");
        QCOMPARE(bar->value(), 1000 * kept / n);
        QCOMPARE(bar->text(), QStringLiteral("%1 of %2 variants kept").arg(kept).arg(n));
    }
    { // the stopped result's JSON says what it lacks
        const QJsonObject j =
            QJsonDocument::fromJson(QByteArray::fromStdString(transferJson(*view->result()))).object();
        QCOMPARE(j["planned"].toInt(), n);
        QCOMPARE(j["completed"].toInt(), kept);
        const QJsonArray pending = j["pending"].toArray();
        QCOMPARE(pending.size(), n - kept);
        const TransferVariant& next = full.config.variants[size_t(kept)];
        QCOMPARE(pending[0].toObject()["problem"].toString(), QString::fromStdString(next.problem));
        QCOMPARE(pending[0].toObject()["label"].toString(), QString::fromStdString(next.label));
        QCOMPARE(pending[0].toObject()["steps"].toInt(), next.steps);
    }
    QVERIFY2(status->text().contains(QStringLiteral("goes on from variant %1").arg(kept + 1)),
             qPrintable(status->text()));
    computed.clear();
    QSignalSpy progressed(view, &TransferView::progressed);
    view->compute();
    QVERIFY2(status->text().startsWith(QStringLiteral("Continuing: %1 of %2").arg(kept).arg(n)),
             qPrintable(status->text()));
    QVERIFY(computed.wait(300000));
    QVERIFY(!progressed.isEmpty());
    QCOMPARE(progressed.front().at(0).toInt(), kept); // the first variant computed is the first unfinished one
    const TransferResult* done = view->result();
    QVERIFY(done && !done->cancelled);
    QCOMPARE(done->completedVariants, n);
    for (int v = 0; v < n; ++v) {
        const TransferCell &a = done->cells[size_t(v)][0], &b = full.cells[size_t(v)][0];
        QCOMPARE(a.learnedFinal, b.learnedFinal);
        QCOMPARE(a.baselineFinal, b.baselineFinal);
        QCOMPARE(a.baseline, b.baseline);
        QCOMPARE(a.won, b.won);
        QCOMPARE(a.p, b.p);
    }
    QCOMPARE(done->canonicalProblems, full.canonicalProblems);
    // Stopped again, then other runs: a fresh start.
    stopAfterAVariant();
    view->setRuns(199);
    computed.clear();
    view->compute();
    QVERIFY2(status->text().startsWith(QStringLiteral("Starting")), qPrintable(status->text()));
    view->stop();
    QVERIFY(computed.wait(60000));
}

// "Reuse its baselines": a finished matrix computed here, written and opened, then Compute with the box ticked searches
// no rate and re-runs each variant's best baseline at its recorded rate: every cell comes out as the search's (the
// same build: the same bits; a file from another build may differ in the last digits, which is why the source is
// computed here). A stopped file cannot be the source.
void TestStudio::transferViewReusesBaselines()
{
    m_window->showView(MainWindow::Transfer);
    TransferView* view = m_window->transferView();
    const QString src = qEnvironmentVariable("L2L_SOURCE_DIR");
    view->setFamily(QStringLiteral("2d"));
    view->setRuns(4);
    view->setOptimizers({src + "/resources/optimizers/2d.json"});
    QSignalSpy computed(view, &TransferView::computed);
    view->compute();
    QVERIFY(computed.wait(120000));
    QVERIFY(view->result() && !view->result()->cancelled);
    const TransferResult searchedResult = *view->result();
    QVERIFY(searchedResult.config.baselinesFrom.empty());
    const QString searched =
        writeFile("searched-2d-transfer.json", QByteArray::fromStdString(transferJson(searchedResult)));
    QString error;
    QVERIFY2(view->openFile(searched, &error), qPrintable(error));
    auto* reuse = child<QCheckBox>(m_window.get(), "transferReuseBaselines");
    QVERIFY(reuse->isEnabled());
    reuse->setChecked(true);
    auto* status = child<QLabel>(m_window.get(), "transferStatus");
    computed.clear();
    view->compute();
    QVERIFY2(status->text().startsWith(QStringLiteral("Starting")) &&
                 status->text().contains(QStringLiteral("no rate search: the baselines of searched-2d-transfer.json")),
             qPrintable(status->text()));
    QVERIFY(!reuse->isEnabled()); // while it computes
    QVERIFY(computed.wait(120000));
    const TransferResult* r = view->result();
    QVERIFY(r && !r->cancelled);
    QCOMPARE(r->config.baselinesFrom, searched.toStdString());
    QCOMPARE(r->completedVariants, searchedResult.completedVariants);
    for (int v = 0; v < r->completedVariants; ++v) {
        const TransferCell &a = r->cells[size_t(v)][0], &b = searchedResult.cells[size_t(v)][0];
        QCOMPARE(a.baseline, b.baseline);
        QCOMPARE(a.baselineRate, b.baselineRate);
        QVERIFY(a.baselineFinal == b.baselineFinal || (std::isnan(a.baselineFinal) && std::isnan(b.baselineFinal)));
        QVERIFY(a.learnedFinal == b.learnedFinal || (std::isnan(a.learnedFinal) && std::isnan(b.learnedFinal)));
        QCOMPARE(a.won, b.won);
        QVERIFY(a.p == b.p || (std::isnan(a.p) && std::isnan(b.p)));
    }
    QVERIFY(reuse->isEnabled());
    // A stopped copy is not a source: the box is cleared and disabled.
    TransferResult stopped = searchedResult;
    stopped.cells.resize(1);
    stopped.canonicalProblems.resize(1);
    stopped.completedVariants = 1;
    stopped.cancelled = true;
    QVERIFY2(
        view->openFile(writeFile("stopped-2d-transfer.json", QByteArray::fromStdString(transferJson(stopped))), &error),
        qPrintable(error));
    QVERIFY(!reuse->isEnabled() && !reuse->isChecked());
}

// Open result… shows what l2l transfer wrote: the committed MNIST matrix, a stopped copy of it (its pending variants
// in the grid, empty), and bad files refused with the file and the field named while the shown map stays.
void TestStudio::transferViewOpensAFile()
{
    m_window->showView(MainWindow::Transfer);
    TransferView* view = m_window->transferView();
    QString error;
    // Every committed transfer opens (transfer-quadratic.json, from before the rate grid was recorded, did not).
    const QDir results(qEnvironmentVariable("L2L_SOURCE_DIR") + "/docs/results");
    const QStringList transfers = results.entryList({"transfer-*.json"});
    QVERIFY(transfers.size() >= 5);
    for (const QString& name : transfers) QVERIFY2(view->openFile(results.filePath(name), &error), qPrintable(error));
    const QString committed = qEnvironmentVariable("L2L_SOURCE_DIR") + "/docs/results/transfer-mnist.json";
    QVERIFY2(view->openFile(committed, &error), qPrintable(error));
    const TransferResult* r = view->result();
    QVERIFY(r && !r->cancelled);
    QCOMPARE(r->completedVariants, int(transferGrid("mnist", 100).size()));
    QCOMPARE(r->config.variants, transferGrid("mnist", 100));
    QCOMPARE(r->config.seed, std::uint64_t(101));
    // Its optimizer files are named from the source tree (where reproduce.sh runs), not from here: found upward from
    // the file, so that a cell opens from any working directory.
    QVERIFY(!QFileInfo::exists("resources/optimizers/mnist.json")); // this test runs elsewhere
    for (const auto& file : r->config.optimizers)
        QVERIFY2(QFileInfo(QString::fromStdString(file)).isAbsolute() &&
                     QFileInfo::exists(QString::fromStdString(file)),
                 file.c_str());
    auto* status = child<QLabel>(m_window.get(), "transferStatus");
    QVERIFY2(
        status->text().startsWith(QStringLiteral("Opened transfer-mnist.json: %1 variants").arg(r->completedVariants)),
        qPrintable(status->text()));
    // The view's settings follow the file (a family's grid): its runs and files.
    QCOMPARE(child<QSpinBox>(m_window.get(), "transferRuns")->value(), r->config.runs);
    QCOMPARE(view->optimizers().size(), int(r->config.optimizers.size()));
    QCOMPARE(child<QProgressBar>(m_window.get(), "transferProgress")->value(), 1000);
    const double firstRatio = r->cells[0][0].ratio;
    QVERIFY(std::isfinite(firstRatio) && firstRatio > 0);

    // A stopped copy: its first three variants, the rest pending.
    QFile f(committed);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QJsonObject doc = QJsonDocument::fromJson(f.readAll()).object();
    // The committed file names its optimizer files relative to the source tree (scripts/reproduce.sh runs there);
    // the copies below are computed on, so they name them where they are.
    QJsonArray absolute;
    for (const auto& file : doc["optimizers"].toArray())
        absolute.append(QDir(qEnvironmentVariable("L2L_SOURCE_DIR")).absoluteFilePath(file.toString()));
    doc["optimizers"] = absolute;
    const QJsonArray all = doc["variants"].toArray();
    QJsonArray kept, pending;
    for (int i = 0; i < all.size(); ++i) {
        QJsonObject v = all[i].toObject();
        if (i < 3) {
            kept.append(v);
        } else {
            v.remove("cells");
            v.remove("canonical");
            pending.append(v);
        }
    }
    doc["variants"] = kept;
    doc["pending"] = pending;
    doc["completed"] = 3;
    doc["cancelled"] = true;
    doc["planned"] = all.size();
    const QString stopped = writeFile("stopped-transfer.json", QJsonDocument(doc).toJson());
    QVERIFY2(view->openFile(stopped, &error), qPrintable(error));
    r = view->result();
    QVERIFY(r && r->cancelled);
    QCOMPARE(r->completedVariants, 3);
    QCOMPARE(int(r->config.variants.size()), all.size());
    QCOMPARE(r->config.variants, transferGrid("mnist", 100));
    QVERIFY2(status->text().contains(QStringLiteral("3 of %1 variants").arg(all.size())), qPrintable(status->text()));
    QCOMPARE(child<QProgressBar>(m_window.get(), "transferProgress")->value(), int(std::lround(3000.0 / all.size())));
    // Its pending variants are grey rows: the map has a row for each, and no cell to click on them.
    TransferMapWidget* map = view->map();
    QCOMPARE(map->sizeHint().height(), transferMapSize(*r).height());
    QTRY_VERIFY(map->height() >= transferMapSize(*r).height()); // the scroll area gives it its rows' height
    QVERIFY(transferMapSize(*r).height() > 46 * all.size());
    int computedRows = 0, pendingRows = 0;
    for (int y = 0; y < map->height(); y += 3) {
        const auto [v, c] = transferCellAt(map->rect(), *r, QPoint(map->width() - 20, y));
        if (v >= 3) QFAIL("a row not computed has a cell");
        computedRows = std::max(computedRows, v + 1);
        if (v < 0 && y > map->height() / 2 && y < map->height() - 60) ++pendingRows;
    }
    QCOMPARE(computedRows, 3);
    QVERIFY(pendingRows > 0);
    if (const QString shots = qEnvironmentVariable("L2L_TEST_SHOTS"); !shots.isEmpty())
        m_window->grab().save(shots + "/transfer-opened-stopped.png");

    // The view took its settings (seed 101, the default rate search: a transfer the view computes), so Compute
    // would go on from variant 4; a file with other settings is shown, and the view keeps its own.
    QVERIFY2(status->text().contains(QStringLiteral("Compute goes on from variant 4")), qPrintable(status->text()));
    QJsonObject otherSeed = doc;
    otherSeed["seed"] = 7;
    child<QSpinBox>(m_window.get(), "transferRuns")->setValue(5);
    QVERIFY2(view->openFile(writeFile("seed7-transfer.json", QJsonDocument(otherSeed).toJson()), &error),
             qPrintable(error));
    QVERIFY2(status->text().contains(QStringLiteral("Compute runs the view's own")), qPrintable(status->text()));
    QCOMPARE(child<QSpinBox>(m_window.get(), "transferRuns")->value(), 5);
    // A file whose baselines were another file's best, run again at their recorded rates (l2l transfer
    // --baselines-from), says so, and is not one the view computes.
    QJsonObject rerun = doc;
    rerun["baselines_from"] = QJsonObject{{"file", "searched-transfer.json"}, {"digest", "0123456789abcdef"}};
    QVERIFY2(view->openFile(writeFile("rerun-transfer.json", QJsonDocument(rerun).toJson()), &error),
             qPrintable(error));
    QVERIFY2(status->text().contains(QStringLiteral("No rate was searched")) &&
                 status->text().contains(QStringLiteral("searched-transfer.json")) &&
                 status->text().contains(QStringLiteral("Compute runs the view's own")),
             qPrintable(status->text()));
    // A stopped file whose finished problems are not the problems here (another batch size) is not continued: Compute says
    // why and starts afresh (stopped at once here).
    QJsonObject elsewhere = doc;
    QJsonArray moved = kept;
    QJsonObject m0 = moved[0].toObject();
    m0["canonical"] = m0["canonical"].toString().replace(QStringLiteral("batch=128"), QStringLiteral("batch=64"));
    moved[0] = m0;
    elsewhere["variants"] = moved;
    QVERIFY2(view->openFile(writeFile("elsewhere-transfer.json", QJsonDocument(elsewhere).toJson()), &error),
             qPrintable(error));
    QSignalSpy computed(view, &TransferView::computed);
    view->compute();
    QVERIFY2(status->text().startsWith(QStringLiteral("Starting")) && status->text().contains("cannot be continued") &&
                 status->text().contains("variants[0].canonical"),
             qPrintable(status->text()));
    view->stop();
    QVERIFY(computed.wait(120000));
    // A stopped file whose optimizer files have moved since (another folder, the same bytes: its digests match)
    // is continued once the files are given again at their new place, as `l2l transfer --resume` does.
    {
        QVERIFY(QDir(m_tmp.path()).mkpath("before") && QDir(m_tmp.path()).mkpath("after"));
        QJsonArray files, digests;
        QStringList movedTo;
        for (int i = 0; i < doc["optimizers"].toArray().size(); ++i) {
            // Any file that fits MNIST: the digests are of these copies.
            const QString source = qEnvironmentVariable("L2L_SOURCE_DIR") + "/resources/optimizers/mnist.json";
            const QString before = m_tmp.filePath(QStringLiteral("before/%1.json").arg(i));
            QVERIFY2(QFile::copy(source, before), qPrintable(source));
            files.append(before);
            digests.append(QString::fromStdString(optimizerFileDigest(before.toStdString())));
            movedTo << m_tmp.filePath(QStringLiteral("after/%1.json").arg(i));
        }
        QJsonObject withDigests = doc;
        // Its finished variants were computed in another checkout: the same problems on the MNIST of its own data
        // folder. They are the problems here (the variants name no data folder), so they are continued.
        QJsonArray here = kept;
        for (int i = 0; i < here.size(); ++i) {
            QJsonObject v = here[i].toObject();
            Spec canonical =
                Spec::parse(makeProblemClass<float>(v["problem"].toString().toStdString())->canonicalSpec());
            for (auto& [key, value] : canonical.options)
                if (key == "data") value = "/another/checkout/data/mnist";
            v["canonical"] = QString::fromStdString(canonical.str());
            here[i] = v;
        }
        withDigests["variants"] = here;
        withDigests["optimizers"] = files;
        withDigests["optimizer_digests"] = digests;
        QVERIFY2(view->openFile(writeFile("digests-transfer.json", QJsonDocument(withDigests).toJson()), &error),
                 qPrintable(error));
        QVERIFY2(status->text().contains(QStringLiteral("Compute goes on from variant 4")), qPrintable(status->text()));
        for (int i = 0; i < files.size(); ++i) QVERIFY(QFile::rename(files[i].toString(), movedTo[i]));
        view->setOptimizers(movedTo);
        view->compute();
        QVERIFY2(status->text().startsWith(QStringLiteral("Continuing: 3 of %1 variants").arg(all.size())),
                 qPrintable(status->text()));
        view->stop();
        QVERIFY(computed.wait(120000));
    }
    QVERIFY2(view->openFile(stopped, &error), qPrintable(error));

    // Bad files: a dialog names the file and the field, and the shown map stays.
    DialogCloser closer;
    const TransferResult* shown = view->result();
    QJsonObject bad = doc;
    QJsonArray badVariants = kept;
    QJsonObject v0 = badVariants[0].toObject();
    QJsonArray cells = v0["cells"].toArray();
    QJsonObject cell = cells[0].toObject();
    cell["p"] = 2;
    cells[0] = cell;
    v0["cells"] = cells;
    badVariants[0] = v0;
    bad["variants"] = badVariants;
    const QString badPath = writeFile("bad-transfer.json", QJsonDocument(bad).toJson());
    QVERIFY(!view->openFile(badPath, &error));
    QVERIFY2(error.contains("bad-transfer.json") && error.contains("variants[0].cells[0].p"), qPrintable(error));
    QVERIFY2(status->text().startsWith(QStringLiteral("Cannot open")), qPrintable(status->text()));
    QCOMPARE(view->result(), shown);
    QVERIFY(!view->openFile(m_tmp.filePath("none.json"), &error));
    QVERIFY2(error.contains("none.json"), qPrintable(error));
    QVERIFY(!view->openFile(writeFile("empty-transfer.json", "{}"), &error));
    QVERIFY2(error.contains("empty-transfer.json"), qPrintable(error));
    QCOMPARE(view->result(), shown);
    QCOMPARE(closer.texts.size(), 3);
    QVERIFY2(closer.texts[0].contains("variants[0].cells[0].p"), qPrintable(closer.texts[0]));
}

// SIGTERM (kill, a session ending) closes the studio as Ctrl+Q does: exit 0 and its settings and experiment saved
// (it ended at once with 143, keeping nothing). The studio process runs on an X server of its own (xvfb-run -a): on
// this test's display its window took the input focus from the other GUI tests running beside it.
void TestStudio::terminatedStudioKeepsItsState()
{
    QTemporaryDir home;
    const QString studioPath = QFileInfo(qEnvironmentVariable("L2L_BIN_DIR") + "/app/l2l-studio").canonicalFilePath();
    const QByteArray marker = "L2L_TERM_TEST=" + QByteArray::number(QCoreApplication::applicationPid());
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOME"), home.path());
    env.insert(QString::fromLatin1(marker.split('=')[0]), QString::fromLatin1(marker.split('=')[1]));
    env.remove(QStringLiteral("XDG_CONFIG_HOME"));
    QProcess xvfb;
    xvfb.setProcessEnvironment(env);
    xvfb.start(QStringLiteral("xvfb-run"), {"-a", "-s", "-screen 0 1280x800x24", studioPath});
    QVERIFY(xvfb.waitForStarted());
    // The studio under it: its executable, with this test's marker in its environment.
    const auto studioPid = [&]() -> qint64 {
        for (const QString& entry : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs)) {
            bool number = false;
            const qint64 pid = entry.toLongLong(&number);
            if (!number || QFileInfo(QStringLiteral("/proc/%1/exe").arg(pid)).canonicalFilePath() != studioPath)
                continue;
            QFile environ(QStringLiteral("/proc/%1/environ").arg(pid));
            if (environ.open(QIODevice::ReadOnly) && environ.readAll().split('\0').contains(marker)) return pid;
        }
        return 0;
    };
    qint64 pid = 0;
    QTRY_VERIFY_WITH_TIMEOUT((pid = studioPid()) > 0, int(l2l::test::msLimit(30000)));
    // Signalled once its handler is in place (SIGTERM caught: bit 15 of /proc's SigCgt), not after a guessed delay.
    const auto catchesTerm = [&] {
        QFile status(QStringLiteral("/proc/%1/status").arg(pid));
        if (!status.open(QIODevice::ReadOnly)) return false;
        for (const QByteArray& line : status.readAll().split('\n'))
            if (line.startsWith("SigCgt:"))
                return ((line.mid(7).trimmed().toULongLong(nullptr, 16) >> (SIGTERM - 1)) & 1) == 1;
        return false;
    };
    QTRY_VERIFY_WITH_TIMEOUT(catchesTerm(), int(l2l::test::msLimit(30000)));
    QTest::qWait(500); // the window shown, its settings restored
    ::kill(pid_t(pid), SIGTERM);
    QVERIFY(xvfb.waitForFinished(int(l2l::test::msLimit(30000))));
    QCOMPARE(xvfb.exitStatus(), QProcess::NormalExit);
    QCOMPARE(xvfb.exitCode(), 0); // xvfb-run's is the studio's
    QSettings saved(home.filePath(QStringLiteral(".config/L2L Studio/l2l-studio.conf")), QSettings::IniFormat);
    QVERIFY2(saved.value(QStringLiteral("experiment")).toString().contains(QStringLiteral("\"problem\"")),
             qPrintable(saved.fileName()));
}

QTEST_MAIN(TestStudio)
#include "test_studio.moc"
