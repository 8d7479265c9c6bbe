// The studio window, part 3: lectures and presentation. A lesson is a sequence of slides shown in the strip
// above the views (LessonBar); each applies its experiment and starts its action. Presentation mode: themes,
// a scale of every font, line width and marker, bold paths, full screen without the side panel.
#include "views/MainWindow.h"

#include "base/Resources.h"
#include "views/CompareView.h"
#include "views/ExperimentPanel.h"
#include "views/GraphView.h"
#include "views/InspectView.h"
#include "views/LessonBar.h"
#include "views/TrajectoryView.h"

#include <qcustomplot.h>

#include <QActionGroup>
#include <QApplication>
#include <QDesktopServices>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QKeyEvent>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QOpenGLWidget>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QSignalBlocker>
#include <QStatusBar>
#include <QStyleFactory>
#include <QTextBrowser>
#include <QTimer>
#include <QToolBar>
#include <QUrl>
#include <QVBoxLayout>

namespace l2l::ui {

namespace {
constexpr double kScaleStep = 1.15; // Ctrl+plus / Ctrl+minus
constexpr int kStopWaitMs = 20000;  // a slide waits this long for the running job to stop
const char* kPaperUrl = "https://arxiv.org/abs/1606.04474";
} // namespace

QString MainWindow::bundledLessonPath()
{
    return QString::fromStdString(resourceDir()) + QStringLiteral("/lessons/learning-to-learn.json");
}

void MainWindow::createLectureActions()
{
    auto make = [this](const QString& name, const QString& text, const QKeySequence& key, const QString& tip) {
        auto* a = new QAction(text, this);
        a->setObjectName(name);
        if (!key.isEmpty()) a->setShortcut(key);
        a->setToolTip(key.isEmpty() ? tip : tip + QStringLiteral(" (") + key.toString(QKeySequence::NativeText) + ')');
        a->setStatusTip(tip);
        addAction(a); // shortcuts work in full screen, with the menu bar hidden
        return a;
    };
    m_nextSlideAction = make(QStringLiteral("nextSlideAction"), tr("&Next Slide"), QKeySequence(Qt::Key_PageDown),
                             tr("Show the lesson's next slide"));
    m_previousSlideAction = make(QStringLiteral("previousSlideAction"), tr("&Previous Slide"),
                                 QKeySequence(Qt::Key_PageUp), tr("Show the lesson's previous slide"));
    m_endLessonAction = make(QStringLiteral("endLessonAction"), tr("&End Lesson"), {}, tr("Close the lesson strip"));
    m_saveLessonAction = make(QStringLiteral("saveLessonAction"), tr("&Save Lesson As…"), {},
                              tr("Write the lesson (with slides added from the studio) to a lesson file"));
    m_fullScreenAction = make(QStringLiteral("fullScreenAction"), tr("&Presentation Mode"), QKeySequence(Qt::Key_F11),
                              tr("Full screen, without the side panel and toolbar"));
    m_fullScreenAction->setCheckable(true);
    m_boldPathsAction = make(QStringLiteral("boldPathsAction"), tr("&Bold Paths"), {},
                             tr("Draw trajectories and their markers twice as thick"));
    m_boldPathsAction->setCheckable(true);
    connect(m_nextSlideAction, &QAction::triggered, this, &MainWindow::nextSlide);
    connect(m_previousSlideAction, &QAction::triggered, this, &MainWindow::previousSlide);
    connect(m_endLessonAction, &QAction::triggered, this, &MainWindow::endLesson);
    connect(m_saveLessonAction, &QAction::triggered, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Save lesson"), dialogDir() + "/lesson.l2l.json",
                                                          tr("Lesson files (*.json)"));
        if (!path.isEmpty()) saveLessonTo(path);
    });
    connect(m_fullScreenAction, &QAction::toggled, this, &MainWindow::setPresentationMode);
    connect(m_boldPathsAction, &QAction::toggled, this, &MainWindow::setBoldPaths);
    setLessonOpen(false);
}

void MainWindow::setLessonOpen(bool open)
{
    for (QAction* a : {m_nextSlideAction, m_previousSlideAction, m_endLessonAction, m_saveLessonAction})
        a->setEnabled(open);
    m_lessonBar->setVisible(open); // Page keys, whatever has the focus, while m_lesson is set (eventFilter)
    m_inspect->setCaptionsVisible(!open);
    m_graph->setCaptionsVisible(!open);
}

void MainWindow::fillLectureMenu(QMenu* lecture, QMenu* view)
{
    lecture->addAction(tr("Start the &Bundled Lesson"), this, [this] { openLesson(bundledLessonPath()); })
        ->setObjectName(QStringLiteral("bundledLessonAction"));
    lecture->addAction(tr("&Open Lesson…"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open lesson"), dialogDir(),
                                                          tr("Lesson files (*.json);;All files (*)"));
        if (!path.isEmpty()) openLesson(path);
    });
    lecture->addSeparator();
    lecture->addActions({m_nextSlideAction, m_previousSlideAction});
    lecture->addSeparator();
    lecture->addAction(tr("&Add Current State as Slide…"), this, [this] {
        // The title's field stops at the file's limit while typing (a longer one was cut without a word on saving).
        QInputDialog titleDialog(this);
        titleDialog.setWindowTitle(tr("New slide"));
        titleDialog.setLabelText(tr("Slide title (at most %1 characters):").arg(kMaxSlideTitle));
        titleDialog.setTextValue(m_views->tabText(m_views->currentIndex()));
        if (auto* field = titleDialog.findChild<QLineEdit*>()) field->setMaxLength(kMaxSlideTitle);
        if (titleDialog.exec() != QDialog::Accepted) return;
        bool ok = false;
        const QString text = QInputDialog::getMultiLineText(
            this, tr("New slide"), tr("Text (a few lines, at most %1 characters):").arg(kMaxSlideText), QString(), &ok);
        if (ok) addSlideFromState(titleDialog.textValue(), text);
    });
    lecture->addActions({m_saveLessonAction, m_endLessonAction});

    view->addSeparator();
    view->addAction(m_fullScreenAction);
    view->addAction(tr("&Larger"), QKeySequence(Qt::CTRL | Qt::Key_Plus), this,
                    [this] { setPresentationScale(Theme::scale() * kScaleStep); })
        ->setObjectName(QStringLiteral("largerAction"));
    addAction(view->actions().constLast());
    auto* alsoLarger = new QAction(this); // Ctrl+= : the same key without Shift on most layouts
    alsoLarger->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Equal));
    connect(alsoLarger, &QAction::triggered, this, [this] { setPresentationScale(Theme::scale() * kScaleStep); });
    addAction(alsoLarger);
    view->addAction(tr("&Smaller"), QKeySequence(Qt::CTRL | Qt::Key_Minus), this,
                    [this] { setPresentationScale(Theme::scale() / kScaleStep); })
        ->setObjectName(QStringLiteral("smallerAction"));
    addAction(view->actions().constLast());
    view->addAction(tr("Normal Si&ze"), this, [this] { setPresentationScale(1.0); });
    QMenu* themes = view->addMenu(tr("&Theme"));
    auto* group = new QActionGroup(this);
    for (Theme::Kind kind : {Theme::Light, Theme::Dark, Theme::HighContrast}) {
        const QString label = kind == Theme::Light  ? tr("&Light")
                              : kind == Theme::Dark ? tr("&Dark")
                                                    : tr("&High Contrast (light)");
        QAction* a = themes->addAction(label, this, [this, kind] { setTheme(kind); });
        a->setObjectName(QStringLiteral("theme_") + Theme::name(kind));
        a->setCheckable(true);
        a->setChecked(kind == Theme::kind());
        group->addAction(a);
        m_themeActions << a;
    }
    view->addAction(m_boldPathsAction);
}

bool MainWindow::openLesson(const QString& path)
{
    try {
        Lesson lesson = loadLesson(path.toStdString());
        checkLessonOptimizerFiles(lesson, path.toStdString());
        m_lesson = std::move(lesson);
    } catch (const Error& e) {
        showError(tr("Cannot open the lesson: %1").arg(QString::fromStdString(e.what())));
        return false;
    }
    setLessonOpen(true);
    m_panel->appendLog(tr("lesson %1: %2 slides").arg(path).arg(m_lesson->slides.size()));
    goToSlide(0);
    return true;
}

bool MainWindow::eventFilter(QObject* watched, QEvent* event)
{
    // The side panel's minimum width grows with its content (lstm from a file adds a browse button): the dock's
    // scroll area, which never scrolls sideways, follows, instead of cutting the right edge off.
    if (event->type() == QEvent::LayoutRequest && watched == m_panel && m_panelScroll) {
        const int needed = m_panel->minimumSizeHint().width() + m_panelScroll->verticalScrollBar()->sizeHint().width();
        if (needed != m_panelScroll->minimumWidth()) m_panelScroll->setMinimumWidth(needed);
    }
    // Ctrl+E and Ctrl+Shift+E export whatever has the focus: a line edit takes Ctrl+E as "end of line" (the X11
    // emacs binding; it claims the key before shortcuts see it), so the export did not happen and what was typed
    // next went into the field. Its key press is the window's action instead.
    if (event->type() == QEvent::KeyPress && m_exportPlotAction && qobject_cast<QLineEdit*>(watched) &&
        static_cast<QWidget*>(watched)->window() == this) {
        const QKeySequence pressed(static_cast<QKeyEvent*>(event)->keyCombination());
        for (QAction* a : {m_exportPlotAction, m_exportCsvAction})
            if (pressed == a->shortcut() && a->isEnabled()) {
                a->trigger();
                event->accept();
                return true;
            }
    }
    if (m_lesson && (event->type() == QEvent::ShortcutOverride || event->type() == QEvent::KeyPress)) {
        auto* key = static_cast<QKeyEvent*>(event);
        auto* widget = qobject_cast<QWidget*>(watched);
        const bool page = key->key() == Qt::Key_PageDown || key->key() == Qt::Key_PageUp;
        if (page && key->modifiers() == Qt::NoModifier && widget && widget->window() == this) {
            if (event->type() == QEvent::KeyPress) {
                if (key->key() == Qt::Key_PageDown)
                    nextSlide();
                else
                    previousSlide();
            }
            event->accept();
            return true; // neither the focused widget nor a shortcut sees it
        }
    }
    return QMainWindow::eventFilter(watched, event);
}

void MainWindow::nextSlide()
{
    if (m_lesson && m_slide + 1 < slideCount()) goToSlide(m_slide + 1);
}

void MainWindow::previousSlide()
{
    if (m_lesson && m_slide > 0) goToSlide(m_slide - 1);
}

void MainWindow::goToSlide(int index)
{
    if (!m_lesson || index < 0 || index >= slideCount()) return;
    m_slide = index;
    const Slide& s = m_lesson->slides[size_t(index)];
    m_lessonBar->showSlide(index, slideCount(), QString::fromStdString(m_lesson->title),
                           QString::fromStdString(s.title), QString::fromStdString(s.text));
    const int generation = ++m_slideGeneration;
    if (!isBusy()) {
        applySlide(index, generation);
        return;
    }
    // The previous slide's job first stops (after its step in progress); the slide is applied once it has.
    stopExperiment();
    auto* timer = new QTimer(this);
    auto waited = std::make_shared<int>(0);
    timer->setInterval(25);
    connect(timer, &QTimer::timeout, this, [this, timer, waited, index, generation] {
        *waited += 25;
        if (generation != m_slideGeneration) { // a newer slide was asked for
            timer->deleteLater();
            timer->stop();
        } else if (!isBusy()) {
            timer->deleteLater();
            timer->stop();
            applySlide(index, generation);
        } else if (*waited > kStopWaitMs) {
            timer->deleteLater();
            timer->stop();
            showError(tr("The slide waits for %1 to stop; press Esc, then Page Down again.")
                          .arg(jobName(activeJob()).toLower()));
        }
    });
    timer->start();
}

void MainWindow::applySlide(int index, int generation)
{
    if (!m_lesson || generation != m_slideGeneration) return;
    updateJobState(); // the previous job has ended: every view's start is free again before this slide acts
    const Slide& s = m_lesson->slides[size_t(index)];
    if (s.experiment) {
        m_panel->setStatus(tr("Ready.")); // what the previous slide's run ended with belongs to that slide
        try {
            applyExperiment(*s.experiment);
        } catch (const Error& e) {
            const QString message =
                tr("Slide %1 cannot be shown: %2").arg(index + 1).arg(QString::fromStdString(e.what()));
            // No figure of an earlier slide under this slide's title.
            m_compare->showPlaceholder(tr("Slide %1 cannot be shown (the message says why)").arg(index + 1));
            showView(Compare);
            m_panel->setStatus(message);
            showError(message);
            return;
        }
    }
    // Each slide shows its view from the top (a view scrolled on an earlier slide hid its header controls).
    for (QScrollArea* area : findChildren<QScrollArea*>(QStringLiteral("viewScroll"))) {
        area->verticalScrollBar()->setValue(0);
        area->horizontalScrollBar()->setValue(0);
    }
    if (s.step >= 0) { // once the paths from this slide's settings are computed
        auto connection = std::make_shared<QMetaObject::Connection>();
        *connection = connect(m_trajectories, &TrajectoryView::computed, this, [this, connection, step = s.step] {
            disconnect(*connection);
            m_trajectories->setCurrentStep(step);
        });
    }
    switch (s.action) {
    case SlideAction::Run:
        runExperiment();
        break;
    case SlideAction::Play:
        if (currentView() == Graph) { // the graph's animation, forward then backward, from its first stage
            m_graph->restart();
            break;
        }
        showView(Trajectories);
        m_trajectories->setCurrentStep(0);
        m_trajectories->play();
        break;
    case SlideAction::None:
        break;
    }
    emit slideShown(index);
}

void MainWindow::endLesson()
{
    m_lesson.reset();
    m_slide = -1;
    ++m_slideGeneration;
    setLessonOpen(false);
}

void MainWindow::addSlideFromState(const QString& title, const QString& text)
{
    if (!m_lesson) {
        m_lesson = Lesson{tr("My lesson").toStdString(), {}};
        setLessonOpen(true);
    }
    Slide s;
    // Within the file's limits (counted in characters: a surrogate pair is one), and said when it is cut.
    const auto cut = [](const QString& t, int limit) {
        const QList<uint> points = t.toUcs4();
        return points.size() <= limit ? t
                                      : QString::fromUcs4(reinterpret_cast<const char32_t*>(points.constData()), limit);
    };
    const QString keptTitle = cut(title, kMaxSlideTitle), keptText = cut(text, kMaxSlideText);
    s.title = keptTitle.toStdString();
    s.text = keptText.toStdString();
    s.experiment = experiment();
    s.action = currentView() == Trajectories ? SlideAction::Play
               : currentView() == Inspect    ? SlideAction::None
                                             : SlideAction::Run;
    m_lesson->slides.push_back(s);
    m_slide = slideCount() - 1;
    m_lessonBar->showSlide(m_slide, slideCount(), QString::fromStdString(m_lesson->title), keptTitle, keptText);
    const QString shortened = keptTitle != title || keptText != text
                                  ? tr(" (its title or text cut to %1 or %2 characters, the file's limits)")
                                        .arg(kMaxSlideTitle)
                                        .arg(kMaxSlideText)
                                  : QString();
    statusBar()->showMessage(
        tr("Slide %1 added%2; Lecture > Save Lesson As… writes the lesson").arg(slideCount()).arg(shortened), 8000);
}

bool MainWindow::saveLessonTo(const QString& path)
{
    if (!m_lesson) {
        showError(tr("Cannot save a lesson: none is open (Lecture > Add Current State as Slide starts one)"));
        return false;
    }
    try {
        saveLesson(path.toStdString(), *m_lesson); // validates; atomic
    } catch (const Error& e) {
        showError(tr("Cannot save the lesson: %1").arg(QString::fromStdString(e.what())));
        return false;
    }
    statusBar()->showMessage(tr("Saved %1 (%2 slides)").arg(path).arg(slideCount()), 8000);
    addRecent(path);
    return true;
}

void MainWindow::setTheme(Theme::Kind kind)
{
    Theme::setKind(kind);
    showPresentationState();
    applyPresentation();
}

void MainWindow::setPresentationScale(double scale)
{
    Theme::setScale(scale);
    applyPresentation();
    statusBar()->showMessage(tr("Presentation scale %1 %").arg(int(std::lround(100 * Theme::scale()))), 3000);
}

void MainWindow::setBoldPaths(bool bold)
{
    Theme::setBoldPaths(bold);
    showPresentationState();
    applyPresentation();
}

void MainWindow::showPresentationState()
{
    for (QAction* a : m_themeActions)
        a->setChecked(a->objectName() == QStringLiteral("theme_") + Theme::name(Theme::kind()));
    const QSignalBlocker quiet(m_boldPathsAction); // its toggled() is setBoldPaths: only the check mark changes here
    m_boldPathsAction->setChecked(Theme::boldPaths());
}

void MainWindow::applyPresentation()
{
    if (Theme::kind() != Theme::Light && QApplication::style()->name().compare("fusion", Qt::CaseInsensitive) != 0)
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion"))); // palettes apply fully there
    QApplication::setPalette(Theme::palette());
    QFont font = m_baseFont;
    font.setPointSizeF(m_baseFont.pointSizeF() * Theme::scale());
    QApplication::setFont(font);
    m_lessonBar->applyScale();
    for (QCustomPlot* plot : findChildren<QCustomPlot*>()) restylePlot(plot);
    m_compare->refreshStyle(); // curves and swatches re-coloured for the theme
    for (QOpenGLWidget* gl : findChildren<QOpenGLWidget*>()) gl->update();
    if (m_settings) {
        m_settings->setValue(QStringLiteral("presentation/theme"), Theme::name(Theme::kind()));
        m_settings->setValue(QStringLiteral("presentation/scale"), Theme::scale());
        m_settings->setValue(QStringLiteral("presentation/boldPaths"), Theme::boldPaths());
    }
}

void MainWindow::setPresentationMode(bool on)
{
    if (on == m_presenting) return;
    m_presenting = on;
    if (m_fullScreenAction->isChecked() != on) m_fullScreenAction->setChecked(on);
    auto* dock = findChild<QDockWidget*>(QStringLiteral("experimentDock"));
    auto* toolbar = findChild<QToolBar*>(QStringLiteral("experimentToolbar"));
    if (on) {
        m_panelWasVisible = dock && dock->isVisible();
        m_toolbarWasVisible = toolbar && toolbar->isVisible();
        if (dock) dock->hide();
        if (toolbar) toolbar->hide();
        showFullScreen();
        statusBar()->showMessage(tr("Presentation mode: F11 leaves it; Page Down / Page Up step through a lesson"),
                                 5000);
    } else {
        if (dock && m_panelWasVisible) dock->show();
        if (toolbar && m_toolbarWasVisible) toolbar->show();
        showNormal();
    }
}

void MainWindow::showPaperSummary()
{
    auto* dialog = new QDialog(this);
    dialog->setObjectName(QStringLiteral("paperSummary"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("The paper in five minutes"));
    auto* text = new QTextBrowser;
    text->setObjectName(QStringLiteral("paperSummaryText"));
    text->setOpenExternalLinks(true);
    QFile file(QString::fromStdString(resourceDir()) + QStringLiteral("/help/paper-in-five-minutes.html"));
    text->setHtml(file.open(QIODevice::ReadOnly)
                      ? QString::fromUtf8(file.readAll())
                      : tr("<p>The help file %1 is missing from this installation.</p>").arg(file.fileName()));
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    auto* paper = buttons->addButton(tr("Open the Paper (arXiv)"), QDialogButtonBox::ActionRole);
    connect(paper, &QPushButton::clicked, this,
            [] { QDesktopServices::openUrl(QUrl(QString::fromLatin1(kPaperUrl))); });
    connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::close);
    auto* layout = new QVBoxLayout(dialog);
    layout->addWidget(text);
    layout->addWidget(buttons);
    dialog->resize(int(720 * Theme::scale()), int(640 * Theme::scale()));
    dialog->show();
}

} // namespace l2l::ui
