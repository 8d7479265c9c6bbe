// l2l-studio: the desktop studio.
//   l2l-studio [FILE...]                 opens experiment or optimizer files
//   l2l-studio --screenshot-tour DIR     one PNG per view into DIR, then exit (README screenshots, tests)
//   l2l-studio --lesson-tour DIR         one PNG per slide of the bundled lesson (dark theme, 1280x720)
//   l2l-studio --latency-bench SECONDS   event-loop delay during MNIST meta-training, stop latency
//   l2l-studio --fresh                   start from the defaults, ignore and keep the saved settings
//   l2l-studio --version                 version, build description, git revision, compiler flags
#include "GitRevision.h"
#include "Version.h"
#include "base/BuildInfo.h"
#include "base/Resources.h"
#include "views/MainWindow.h"
#include "views/StudioTour.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QSettings>
#include <QSocketNotifier>
#include <QSurfaceFormat>
#include <QTimer>

#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>

namespace {

// SIGTERM and SIGHUP (kill, a session ending) reach the event loop through a socket pair (a signal handler may only
// write to it): the window then closes as Ctrl+Q closes it, saving its settings and the experiment, without a
// question nobody is there to answer. They ended the studio at once, keeping nothing since it started.
int g_signalPipe[2] = {-1, -1};

void onTerminate(int)
{
    const char byte = 1;
    [[maybe_unused]] const ssize_t n = ::write(g_signalPipe[0], &byte, 1);
}

void closeOnTermination(l2l::ui::MainWindow& window)
{
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalPipe) != 0) return; // the default: end at once
    auto* notifier = new QSocketNotifier(g_signalPipe[1], QSocketNotifier::Read, &window);
    QObject::connect(notifier, &QSocketNotifier::activated, &window, [&window, notifier] {
        char byte = 0;
        [[maybe_unused]] const ssize_t n = ::read(g_signalPipe[1], &byte, 1);
        notifier->setEnabled(false);
        window.setQuitConfirmation({}); // stops a running job without asking
        window.close();
    });
    struct sigaction action = {};
    action.sa_handler = onTerminate;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGTERM, &action, nullptr);
    ::sigaction(SIGHUP, &action, nullptr);
}

void describeApplication()
{
    QCoreApplication::setApplicationName(QStringLiteral("l2l-studio"));
    QCoreApplication::setOrganizationName(QStringLiteral("L2L Studio"));
    QCoreApplication::setApplicationVersion(
        QStringLiteral(L2L_VERSION " (%1)\nrevision: " L2L_GIT_REVISION "\nflags: " L2L_BUILD_FLAGS "\nresources: %2")
            .arg(QString::fromStdString(l2l::buildInfo()), QString::fromStdString(l2l::resourceDir())));
}

struct StudioOptions {
    const QCommandLineOption tour{
        QStringLiteral("screenshot-tour"),
        QStringLiteral(
            "Run the default demo of every view, save one PNG per view into DIR and exit. The window is "
            "1280x800 (NAME.png), 1280x720 (NAME-1280x720.png) and 1024x640 (NAME-1024x640.png) whatever the "
            "screen, times the scale "
            "factor (QT_SCALE_FACTOR)."),
        QStringLiteral("DIR")};
    const QCommandLineOption lessonTour{
        QStringLiteral("lesson-tour"),
        QStringLiteral("Step through the bundled lesson in the dark theme at 1280x720, save one PNG per slide into "
                       "DIR and exit."),
        QStringLiteral("DIR")};
    const QCommandLineOption latency{QStringLiteral("latency-bench"),
                                     QStringLiteral("Meta-train on MNIST for SECONDS measuring the event-loop delay, "
                                                    "then the stop latency; print the figures and exit."),
                                     QStringLiteral("SECONDS")};
    const QCommandLineOption fresh{QStringLiteral("fresh"),
                                   QStringLiteral("Start from the defaults; do not read or write the saved settings.")};

    void addTo(QCommandLineParser& parser) const
    {
        parser.setApplicationDescription(
            QStringLiteral("Learning to learn by gradient descent by gradient descent: the studio"));
        parser.addHelpOption();
        parser.addVersionOption();
        parser.addOptions({tour, lessonTour, latency, fresh});
        parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("Experiment or optimizer files to open."),
                                     QStringLiteral("[FILE...]"));
    }
};

// --help and --version answer without a display (QApplication needs one): a QCoreApplication reads them.
bool asksForInfoOnly(int argc, char* argv[])
{
    for (int i = 1; i < argc; ++i)
        for (const char* flag : {"-h", "--help", "--help-all", "-?", "-v", "--version"})
            if (std::strcmp(argv[i], flag) == 0) return true;
    return false;
}

} // namespace

int main(int argc, char* argv[])
{
    const StudioOptions options;
    if (asksForInfoOnly(argc, argv)) {
        QCoreApplication core(argc, argv);
        describeApplication();
        QCommandLineParser parser;
        options.addTo(parser);
        parser.process(core); // prints and exits
        return 0;
    }

    // The landscape uses OpenGL 3.3 core; the default format must be set before QApplication exists.
    QSurfaceFormat format;
    format.setVersion(3, 3);
    format.setProfile(QSurfaceFormat::CoreProfile);
    QSurfaceFormat::setDefaultFormat(format);

    QApplication app(argc, argv);
    describeApplication();
    // The installed desktop entry and icon (packaging/): the window manager matches the window to them.
    QGuiApplication::setDesktopFileName(QStringLiteral("l2l-studio"));
    QApplication::setWindowIcon(QIcon::fromTheme(QStringLiteral("l2l-studio")));

    QCommandLineParser parser;
    options.addTo(parser);
    parser.process(app);
    const QCommandLineOption& tour = options.tour;
    const QCommandLineOption& latency = options.latency;
    const QCommandLineOption& fresh = options.fresh;

    const bool scripted = parser.isSet(tour) || parser.isSet(options.lessonTour) || parser.isSet(latency);
    std::unique_ptr<QSettings> settings;
    if (!scripted && !parser.isSet(fresh)) settings = std::make_unique<QSettings>();
    l2l::ui::MainWindow window(settings.get());
    closeOnTermination(window);
    window.show();
    for (const QString& file : parser.positionalArguments()) window.openFile(file);

    auto report = [](bool ok, const QString& text) {
        std::fprintf(ok ? stdout : stderr, "%s%s\n", ok ? "" : "l2l-studio: ", qPrintable(text));
        QApplication::exit(ok ? 0 : 1);
    };
    if (parser.isSet(tour)) {
        const QString dir = parser.value(tour);
        QTimer::singleShot(0, &window, [&window, dir, report] { l2l::ui::runScreenshotTour(window, dir, report); });
    } else if (parser.isSet(options.lessonTour)) {
        const QString dir = parser.value(options.lessonTour);
        QTimer::singleShot(0, &window, [&window, dir, report] { l2l::ui::runLessonTour(window, dir, report); });
    } else if (parser.isSet(latency)) {
        bool ok = false;
        const double seconds = parser.value(latency).toDouble(&ok);
        if (!ok || !(seconds > 0) || seconds > 3600) {
            std::fprintf(stderr, "l2l-studio: --latency-bench needs seconds in (0, 3600], got '%s'\n",
                         qPrintable(parser.value(latency)));
            return 2;
        }
        // After the window's first layout and paint, which are start-up, not meta-training.
        QTimer::singleShot(1000, &window,
                           [&window, seconds, report] { l2l::ui::runLatencyBench(window, seconds, report); });
    }
    return app.exec();
}
