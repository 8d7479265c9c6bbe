// l2l-studio: the desktop studio.
//   l2l-studio [FILE...]                 opens experiment or optimizer files
//   l2l-studio --screenshot-tour DIR     one PNG per view into DIR, then exit (README screenshots, tests)
//   l2l-studio --latency-bench SECONDS   event-loop delay during MNIST meta-training, stop latency
//   l2l-studio --fresh                   start from the defaults, ignore and keep the saved settings
#include "views/MainWindow.h"
#include "views/StudioTour.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QSettings>
#include <QSurfaceFormat>
#include <QTimer>

#include <cstdio>
#include <memory>

int main(int argc, char* argv[])
{
    // The landscape uses OpenGL 3.3 core; the default format must be set before QApplication exists.
    QSurfaceFormat format;
    format.setVersion(3, 3);
    format.setProfile(QSurfaceFormat::CoreProfile);
    QSurfaceFormat::setDefaultFormat(format);

    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("l2l-studio"));
    QApplication::setOrganizationName(QStringLiteral("L2L Studio"));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Learning to learn by gradient descent by gradient descent: the studio"));
    parser.addHelpOption();
    const QCommandLineOption tour(
        QStringLiteral("screenshot-tour"),
        QStringLiteral("Run the default demo of every view, save one PNG per view into DIR and exit."),
        QStringLiteral("DIR"));
    const QCommandLineOption latency(QStringLiteral("latency-bench"),
                                     QStringLiteral("Meta-train on MNIST for SECONDS measuring the event-loop delay, "
                                                    "then the stop latency; print the figures and exit."),
                                     QStringLiteral("SECONDS"));
    const QCommandLineOption fresh(QStringLiteral("fresh"),
                                   QStringLiteral("Start from the defaults; do not read or write the saved settings."));
    parser.addOptions({tour, latency, fresh});
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("Experiment or optimizer files to open."),
                                 QStringLiteral("[FILE...]"));
    parser.process(app);

    const bool scripted = parser.isSet(tour) || parser.isSet(latency);
    std::unique_ptr<QSettings> settings;
    if (!scripted && !parser.isSet(fresh)) settings = std::make_unique<QSettings>();
    l2l::ui::MainWindow window(settings.get());
    window.show();
    for (const QString& file : parser.positionalArguments()) window.openFile(file);

    auto report = [](bool ok, const QString& text) {
        std::fprintf(ok ? stdout : stderr, "%s%s\n", ok ? "" : "l2l-studio: ", qPrintable(text));
        QApplication::exit(ok ? 0 : 1);
    };
    if (parser.isSet(tour)) {
        const QString dir = parser.value(tour);
        QTimer::singleShot(0, &window, [&window, dir, report] { l2l::ui::runScreenshotTour(window, dir, report); });
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
