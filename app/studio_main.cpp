// l2l-studio: the desktop studio. `--screenshot FILE` runs the default experiment, saves a picture of
// the window when it has finished and exits (used for the README).
#include "MainWindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QSurfaceFormat>
#include <QTimer>

#include <cstdio>

namespace {

// Runs the default experiment, grabs the window into `path` when it ends, and quits (1 on failure).
void scheduleScreenshot(l2l::ui::MainWindow& window, const QString& path)
{
    window.setErrorDialogsEnabled(false);
    QObject::connect(&window, &l2l::ui::MainWindow::runFinished, &window, [&window, path] {
        // Let the final replot and layout settle before grabbing.
        QTimer::singleShot(200, &window, [&window, path] {
            const bool ok = window.grab().save(path, "PNG");
            if (!ok) std::fprintf(stderr, "l2l-studio: cannot write screenshot '%s'\n", qPrintable(path));
            QApplication::exit(ok ? 0 : 1);
        });
    });
    QObject::connect(&window, &l2l::ui::MainWindow::runFailed, &window, [](const QString& message) {
        std::fprintf(stderr, "l2l-studio: %s\n", qPrintable(message));
        QApplication::exit(1);
    });
    QTimer::singleShot(0, &window, &l2l::ui::MainWindow::runExperiment);
}

} // namespace

int main(int argc, char* argv[])
{
    // The later views use OpenGL 3.3 core; the default format must be set before QApplication exists.
    QSurfaceFormat format;
    format.setVersion(3, 3);
    format.setProfile(QSurfaceFormat::CoreProfile);
    QSurfaceFormat::setDefaultFormat(format);

    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("l2l-studio"));
    QApplication::setOrganizationName(QStringLiteral("L2L Studio"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Learning to learn by gradient descent by gradient descent: the studio"));
    parser.addHelpOption();
    const QCommandLineOption screenshot(QStringLiteral("screenshot"),
                                        QStringLiteral("Run the default experiment, save the window to FILE (PNG) and exit."),
                                        QStringLiteral("FILE"));
    parser.addOption(screenshot);
    parser.process(app);

    l2l::ui::MainWindow window;
    window.show();
    if (parser.isSet(screenshot)) scheduleScreenshot(window, parser.value(screenshot));
    return app.exec();
}
