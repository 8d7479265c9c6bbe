// The `l2l` command line as a user meets it: help, tables and files, and every bad-input case giving
// a clear message and a non-zero exit, never a crash.
#include <QDir>
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <sys/types.h>

namespace {
struct Run {
    int code = -1;
    QString out, err;
    bool crashed = false;
};

Run l2l(const QStringList& args, int timeoutMs = 300000)
{
    QProcess p;
    p.start(qEnvironmentVariable("L2L_BIN_DIR") + "/app/l2l", args);
    Run r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
    }
    r.crashed = p.exitStatus() != QProcess::NormalExit;
    r.code = p.exitCode();
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

QByteArray bytesOf(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

void writeBytes(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(bytes);
}
} // namespace

class TestCli : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;

private slots:
    void help()
    {
        for (const QString cmd : {"", "problems", "tune", "eval", "select", "bench", "art"}) {
            QStringList args;
            if (!cmd.isEmpty()) args << cmd;
            args << "--help";
            const Run r = l2l(args);
            QCOMPARE(r.code, 0);
            QVERIFY2(r.out.contains("Usage") || r.out.contains("usage"), qPrintable(r.out));
        }
        QVERIFY(l2l({"eval", "--help"}).out.contains("--problem"));
        QVERIFY(l2l({"eval", "--help"}).out.contains("--json"));
    }
    void problemsListsEverything()
    {
        const Run r = l2l({"problems"});
        QCOMPARE(r.code, 0);
        for (const char* name : {"quadratic", "mnist", "fashion-mnist", "rosenbrock", "saddle", "himmelblau", "sgd",
                                 "nag", "rmsprop", "adam", "hidden=20", "activation=sigmoid"})
            QVERIFY2(r.out.contains(name), name);
    }
    void badInput_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown problem") << QStringList{"eval", "--problem", "nosuch"}
                                         << "unknown problem 'nosuch' (valid problems: quadratic, mnist";
        QTest::newRow("unknown optimizer")
            << QStringList{"eval", "--optimizers", "sgd,adamw"}
            << "unknown optimizer 'adamw' (valid optimizers: sgd, nag, rmsprop, adam, lstm)";
        QTest::newRow("optimizer twice") << QStringList{"eval", "--optimizers", "adam,sgd,adam"}
                                         << "optimizers: 'adam' is given twice";
        QTest::newRow("empty optimizer") << QStringList{"eval", "--optimizers", "adam,,sgd"}
                                         << "optimizer list 'adam,,sgd' has an empty item";
        QTest::newRow("unknown option") << QStringList{"eval", "--problem", "quadratic:dimm=3"}
                                        << "unknown option 'dimm' (valid options: dim, init_std, fscale, xscale)";
        QTest::newRow("out of range option")
            << QStringList{"eval", "--problem", "quadratic:dim=0"} << "option 'dim' must be in [1, 4000], got 0";
        QTest::newRow("runs") << QStringList{"eval", "--runs", "0"}
                              << "eval: runs (--runs) must be an integer in [1, 10000], got 0";
        QTest::newRow("steps") << QStringList{"eval", "--steps", "-3"}
                               << "eval: steps (--steps) must be an integer in [1, 100000], got -3";
        QTest::newRow("select runs") << QStringList{"select", "--problem", "quadratic",           "--candidates",
                                                    "a.json", "--out",     "/tmp/l2l-never.json", "--runs",
                                                    "0"}
                                     << "--runs: must be an integer in [1, 10000], got '0'";
        QTest::newRow("transfer steps") << QStringList{"transfer", "--optimizers", "lstm", "--steps", "1e3"}
                                        << "--steps: must be an integer in [1, 100000], got '1e3'";
        QTest::newRow("bad lr") << QStringList{"eval", "--optimizers", "adam:lr=-0.1"}
                                << "option 'lr' must be in (0, 10000]";
        QTest::newRow("missing data") << QStringList{"eval", "--problem", "mnist:data=/no/such/dir"}
                                      << "data directory '/no/such/dir' does not exist";
        QTest::newRow("plot extension") << QStringList{"eval", "--plot", "/tmp/out.txt"} << "must end in .png or .pdf";
        QTest::newRow("plot size") << QStringList{"eval", "--plot", "/tmp/out.png", "--plot-size", "1200*700"}
                                   << "--plot-size '1200*700' must be WIDTHxHEIGHT in pixels, each in [200, 8000]";
        QTest::newRow("plot scale") << QStringList{"eval", "--plot", "/tmp/out.png", "--plot-scale", "0.5"}
                                    << "--plot-scale 0.5 is out of range: it must be in [1, 4]";
        QTest::newRow("tune unknown") << QStringList{"tune", "--optimizers", "lbfgs"} << "unknown optimizer 'lbfgs'";
        QTest::newRow("tune grid") << QStringList{"tune", "--tune-min", "0"}
                                   << "tune: tune_min (--tune-min) must be a number in (0, 10000], got 0";
        QTest::newRow("tune grid order") << QStringList{"tune", "--tune-min", "1", "--tune-max", "0.5"}
                                         << "--tune-max) must be at least";
        QTest::newRow("unknown command") << QStringList{"train2"}
                                         << "unknown command 'train2' (valid commands: problems, tune, eval, train, "
                                            "select, transfer, bench, art, fingerprint"; // and later ones
        QTest::newRow("art style") << QStringList{"art", "--style", "picasso", "--out", "/tmp/l2l-art.png"}
                                   << "unknown image 'picasso' (bundled images: astronaut, chelsea";
        QTest::newRow("art size") << QStringList{"art", "--size", "8", "--out", "/tmp/l2l-art.png"}
                                  << "option 'size' must be in [16, 512], got 8";
        QTest::newRow("art content file")
            << QStringList{"art", "--content", "/no/such.png", "--out", "/tmp/l2l-art.png"}
            << "image file '/no/such.png' does not exist";
        QTest::newRow("art out") << QStringList{"art", "--out", "/tmp/l2l-art.jpg"} << "must end in .png";
        QTest::newRow("train lr schedule")
            << QStringList{"train", "--lr-schedule", "linear", "--out", "/tmp/l2l-never.json"}
            << "train: lr_schedule (--lr-schedule) must be one of constant, cosine, got 'linear'";
        QTest::newRow("train clip") << QStringList{"train", "--clip", "-2", "--out", "/tmp/l2l-never.json"}
                                    << "train: clip_norm (--clip) must be a number in [0, 1e+12], got -2";
    }
    void badInput()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const Run r = l2l(args);
        QVERIFY(!r.crashed);
        QVERIFY2(r.code != 0, qPrintable(r.out));
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
    }
    void artWritesPng()
    {
        const QString out = m_tmp.path() + "/new/folder/art.png"; // missing folders are created, as for eval's outputs
        const Run r = l2l({"art", "--size", "24", "--steps", "5", "--optimizer", "adam:lr=0.03", "--out", out});
        QVERIFY2(r.code == 0 && !r.crashed, qPrintable(r.err));
        QVERIFY2(r.out.contains("wrote " + out + ": 5 steps") && r.out.contains("adam (lr 0.03): loss"),
                 qPrintable(r.out));
        const QImage image(out);
        QCOMPARE(image.size(), QSize(24, 24));
        QVERIFY(!QFile::exists(out + ".tmp"));
    }
    void artStripSideBySide()
    {
        // Several optimizers: content, style, then each optimizer's image, 24 px tiles shown 7 times as large
        // (at least 160 px) with 8 px gaps, each named under it.
        const QString out = m_tmp.path() + "/strip.png";
        const Run r =
            l2l({"art", "--size", "24", "--steps", "4", "--optimizers", "adam:lr=0.03,sgd:lr=0.5", "--out", out});
        QVERIFY2(r.code == 0 && !r.crashed, qPrintable(r.err));
        QVERIFY2(r.out.contains("adam (lr 0.03): loss") && r.out.contains("sgd (lr 0.5): loss"), qPrintable(r.out));
        const QImage image(out);
        const int shown = 7 * 24, gap = 8, x2 = gap + 2 * (shown + gap); // the third tile: adam's
        QCOMPARE(image.width(), 4 * shown + 5 * gap);
        QVERIFY2(image.height() > shown + 2 * gap + 20, qPrintable(QString::number(image.height()))); // the names
        QCOMPARE(image.pixelColor(1, 1), QColor(255, 255, 255)); // the gap is white
        QVERIFY(image.pixelColor(x2 + 12 * 7, gap + 16 * 7) != image.pixelColor(gap + 12 * 7, gap + 16 * 7) ||
                image.pixelColor(x2 + 5 * 7, gap + 5 * 7) != image.pixelColor(gap + 5 * 7, gap + 5 * 7)); // painted
        QCOMPARE(image.pixelColor(x2 + 3, gap + 3), image.pixelColor(x2 + 6, gap + 6)); // one pixel: a 7x7 block
        int dark = 0; // the name and loss under adam's tile
        for (int y = shown + 2 * gap; y < image.height(); ++y)
            for (int x = x2; x < x2 + shown; ++x) dark += image.pixelColor(x, y).lightness() < 100;
        QVERIFY2(dark > 30, qPrintable(QString::number(dark)));
        const Run bad = l2l({"art", "--size", "24", "--optimizers", "adam,sgd", "--lr", "0.1", "--out", out});
        QVERIFY(bad.code != 0 && bad.err.contains("--lr applies to one optimizer"));
    }
    void corruptDataFile()
    {
        // A data directory whose train images are truncated: the message names the file and the fault.
        QDir d(m_tmp.path());
        d.mkdir("bad");
        const QString dir = m_tmp.path() + "/bad";
        const QString mnist = qEnvironmentVariable("L2L_SOURCE_DIR") + "/data/mnist/";
        for (const QString f : {"train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"})
            QVERIFY(QFile::copy(mnist + f, dir + "/" + f));
        QFile src(mnist + "train-images-idx3-ubyte");
        QVERIFY(src.open(QIODevice::ReadOnly));
        QFile dst(dir + "/train-images-idx3-ubyte");
        QVERIFY(dst.open(QIODevice::WriteOnly));
        dst.write(src.read(1000000));
        dst.close();
        const Run r = l2l({"eval", "--problem", "mnist:data=" + dir, "--optimizers", "adam:lr=0.01"});
        QVERIFY(r.code != 0 && !r.crashed);
        QVERIFY2(r.err.contains(dir + "/train-images-idx3-ubyte") && r.err.contains("truncated"), qPrintable(r.err));
    }
    void divergenceIsNamedNotPrintedAsNaN()
    {
        const Run r = l2l({"eval", "--optimizers", "sgd:lr=1000,adam:lr=0.1", "--runs", "3", "--steps", "50", "-q"});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains("diverged in every run"), qPrintable(r.out));
        QVERIFY(r.out.contains("3/3"));
        QVERIFY2(!r.out.contains("nan", Qt::CaseInsensitive) && !r.out.contains("inf", Qt::CaseInsensitive),
                 qPrintable(r.out));
        // 9 of 10 runs diverge: the mean is the survivor's, the median a diverged run's (over the survivor alone it
        // was that run's loss), in the table and in the JSON (null, with the step the median diverged at).
        const Run some = l2l({"eval", "--problem", "quadratic", "--optimizers", "sgd:lr=0.05", "--runs", "10",
                              "--steps", "100", "--json", "-", "-q"});
        QCOMPARE(some.code, 0);
        const QJsonObject sgd =
            QJsonDocument::fromJson(some.out.toUtf8()).object()["optimizers"].toArray()[0].toObject();
        QCOMPARE(sgd["diverged_runs"].toInt(), 9);
        // Every run's own numbers: 10 final losses, null where the run diverged, and the step it diverged at.
        const QJsonArray finals = sgd["per_run"].toObject()["final_loss"].toArray(),
                         at = sgd["per_run"].toObject()["diverged_at"].toArray();
        QCOMPARE(finals.size(), 10);
        QCOMPARE(at.size(), 10);
        int nulls = 0;
        for (int k = 0; k < 10; ++k) {
            QCOMPARE(finals[k].isNull(), at[k].isDouble());
            nulls += finals[k].isNull() ? 1 : 0;
            if (!finals[k].isNull()) QCOMPARE(finals[k].toDouble(), sgd["final_loss_mean"].toDouble()); // the survivor
        }
        QCOMPARE(nulls, 9);
        QVERIFY(sgd["final_loss_mean"].isDouble());
        QVERIFY(sgd["final_loss_median"].isNull());
        QVERIFY(sgd["median_diverged_from_step"].isDouble() && sgd["median_diverged_from_step"].toInt() <= 100);
        const Run table = l2l(
            {"eval", "--problem", "quadratic", "--optimizers", "sgd:lr=0.05", "--runs", "10", "--steps", "100", "-q"});
        QVERIFY2(table.out.contains(QRegularExpression("sgd:lr=0.05 .* diverged +9/10")), qPrintable(table.out));
        QVERIFY2(table.out.contains("the median counts the diverged runs as the worst"), qPrintable(table.out));
    }
    void jsonShape()
    {
        const Run r = l2l({"eval", "--problem", "quadratic", "--optimizers", "sgd:lr=0.01,adam:lr=0.1", "--runs", "4",
                           "--steps", "10", "--seed", "3", "--json", "-", "-q"});
        QCOMPARE(r.code, 0);
        QJsonParseError err;
        const QJsonObject doc = QJsonDocument::fromJson(r.out.toUtf8(), &err).object();
        QVERIFY2(err.error == QJsonParseError::NoError, qPrintable(r.out));
        QCOMPARE(doc["problem"].toString(), QString("quadratic"));
        QCOMPARE(doc["steps"].toInt(), 10);
        QCOMPARE(doc["runs"].toInt(), 4);
        QCOMPARE(doc["seed"].toInt(), 3);
        const QJsonArray opts = doc["optimizers"].toArray();
        QCOMPARE(opts.size(), 2);
        const QJsonObject adam = opts[1].toObject();
        QCOMPARE(adam["name"].toString(), QString("adam"));
        QCOMPARE(adam["learning_rate"].toDouble(), 0.1);
        QCOMPARE(adam["loss_mean"].toArray().size(), 11);
        QCOMPARE(adam["loss_std"].toArray().size(), 11);
        QCOMPARE(adam["final_loss_mean"].toDouble(), adam["loss_mean"].toArray()[10].toDouble());
        QVERIFY(adam.contains("final_loss_std"));
        QVERIFY(!adam.contains("test_loss_mean")); // quadratics have no test split
    }
    // An experiment file saved by the studio gives the same numbers as the flags it stands for.
    void evalFromExperimentFile()
    {
        const QString path = m_tmp.filePath("exp.l2l.json");
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(R"({"format": "l2l-experiment", "version": 1, "problem": "quadratic:dim=5",
            "optimizers": [{"name": "sgd", "enabled": true, "lr": "0.01"}, {"name": "nag", "enabled": false, "lr": "tuned"},
                           {"name": "adam", "enabled": true, "lr": "0.1"}],
            "runs": 4, "steps": 12, "seed": 8})");
        file.close();
        const Run fromFile = l2l({"eval", "--experiment", path, "--json", "-", "-q"});
        QCOMPARE(fromFile.code, 0);
        const Run fromFlags = l2l({"eval", "--problem", "quadratic:dim=5", "--optimizers", "sgd:lr=0.01,adam:lr=0.1",
                                   "--runs", "4", "--steps", "12", "--seed", "8", "--json", "-", "-q"});
        QCOMPARE(fromFlags.code, 0);
        QCOMPARE(fromFile.out, fromFlags.out);
        QVERIFY(QJsonDocument::fromJson(fromFile.out.toUtf8()).object()["seed"].toInt() == 8);
        const Run bad = l2l({"eval", "--experiment", m_tmp.filePath("none.json")});
        QVERIFY(bad.code != 0 && !bad.crashed);
        QVERIFY2(bad.err.contains("none.json"), qPrintable(bad.err));
        // A problem or learned optimizer the file names that cannot be made: the message names the file too.
        for (const auto& [inFile, message] :
             {std::pair<QString, QString>{
                  R"("problem": "quadratic:dim=-1", "optimizers": [{"name": "sgd", "enabled": true, "lr": "0.01"}])",
                  "option 'dim' must be in [1, 4000]"},
              {R"("problem": "quadratic", "optimizers": [{"name": "lstm", "enabled": true, "path": "/no/such.json"}])",
               "'/no/such.json' does not exist"}}) {
            const QString broken = m_tmp.filePath("broken.l2l.json");
            QFile b(broken);
            QVERIFY(b.open(QIODevice::WriteOnly | QIODevice::Truncate));
            b.write(("{\"format\": \"l2l-experiment\", \"version\": 1, \"runs\": 2, \"steps\": 5, \"seed\": 1, " +
                     inFile + "}")
                        .toUtf8());
            b.close();
            const Run r = l2l({"eval", "--experiment", broken, "-q"});
            QCOMPARE(r.code, 1);
            QVERIFY2(r.err.contains("experiment file '" + broken + "'") && r.err.contains(message), qPrintable(r.err));
        }
    }
    void markdownTableWithPairedColumns()
    {
        const Run r = l2l({"eval", "--optimizers", "sgd:lr=0.01,adam:lr=0.1", "--runs", "6", "--steps", "30",
                           "--markdown", "-", "-q"});
        QCOMPARE(r.code, 0);
        const QStringList lines = r.out.trimmed().split('\n');
        QCOMPARE(lines.size(), 4); // header, rule, two optimizers
        QVERIFY(lines[0].startsWith("| optimizer | learning rate | mean loss at step 30 |"));
        QVERIFY2(lines[3].startsWith("| **adam:lr=0.1** |"), qPrintable(r.out)); // the best is bold
        QVERIFY2(lines[2].contains(QRegularExpression("\\| [0-6]/6 \\| -?[0-9.]+ \\| [0-9.e-]+ \\|$")),
                 qPrintable(lines[2]));
    }
    void mnistJsonHasTestFields()
    {
        const Run r = l2l({"eval", "--problem", "mnist", "--optimizers", "adam:lr=0.01", "--runs", "2", "--steps", "20",
                           "--json", "-", "-q"});
        QCOMPARE(r.code, 0);
        const QJsonObject adam = QJsonDocument::fromJson(r.out.toUtf8()).object()["optimizers"].toArray()[0].toObject();
        QVERIFY(adam["test_loss_mean"].toDouble() > 0);
        QVERIFY(adam["test_accuracy_mean"].toDouble() > 0.3);
    }
    void testCurvesInJsonAndPlot()
    {
        const QString png = m_tmp.path() + "/plots/tc.png"; // a missing folder is created
        const Run r =
            l2l({"eval", "--problem", "mnist", "--optimizers", "sgd:lr=0.5,adam:lr=0.01", "--runs", "2", "--steps",
                 "20", "--test-every", "10", "--json", m_tmp.path() + "/tc.json", "--plot", png, "-q"});
        QCOMPARE(r.code, 0);
        QFile f(m_tmp.path() + "/tc.json");
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject doc = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(doc["test_steps"].toArray().size(), 3);
        const QJsonArray curve = doc["optimizers"].toArray()[1].toObject()["test_loss_curve"].toArray();
        QCOMPARE(curve.size(), 3);
        QVERIFY(curve[2].toDouble() < curve[0].toDouble());
        QVERIFY(QImage(png).width() >= 600);
        const QImage test(m_tmp.path() + "/plots/tc-test.png");
        QVERIFY2(!test.isNull(), qPrintable(r.out));
        QVERIFY(r.err.contains("tc-test.png")); // stdout stays clean for --json -
        const Run bad = l2l({"eval", "--problem", "mnist", "--test-every", "-3", "--runs", "1", "--steps", "2", "-q"});
        QVERIFY(bad.code != 0);
        QVERIFY2(bad.err.contains("test-every"), qPrintable(bad.err));
    }
    void trainWithLogMetaLoss()
    {
        const QString out = m_tmp.path() + "/log.json";
        const Run r = l2l({"train", "--problem", "quadratic", "--epochs", "20", "--validate-every", "10", "--meta-loss",
                           "log", "--out", out, "-q"});
        QCOMPARE(r.code, 0);
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject p = QJsonDocument::fromJson(f.readAll()).object()["provenance"].toObject();
        QCOMPARE(p["meta_loss"].toString(), QString("log"));
        QVERIFY(p["command"].toString().contains("--meta-loss log"));
    }
    void filesAndPlot()
    {
        const QString csv = m_tmp.path() + "/out.csv", png = m_tmp.path() + "/out.png",
                      json = m_tmp.path() + "/out.json";
        const Run r = l2l({"eval", "--optimizers", "sgd:lr=0.01,nag:lr=0.01,rmsprop:lr=0.03,adam:lr=0.1", "--runs", "5",
                           "--steps", "30", "--csv", csv, "--plot", png, "--json", json, "-q"});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.contains("final mean"));
        QFile f(csv);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(f.readAll()).trimmed().split('\n');
        QCOMPARE(lines.size(), 1 + 4 * 31);
        QVERIFY(lines[0].startsWith("optimizer,learning_rate,step,loss_mean"));
        QImage img(png);
        QVERIFY(!img.isNull());
        QVERIFY(img.width() >= 600);
        // Not a blank picture: many distinct colours (lines, bands, text).
        QSet<QRgb> colours;
        for (int y = 0; y < img.height(); y += 3)
            for (int x = 0; x < img.width(); x += 3) colours.insert(img.pixel(x, y));
        QVERIFY2(colours.size() > 20, qPrintable(QString::number(colours.size())));
        QVERIFY(QFile::exists(json));
        // For print: a layout of its own size, at twice its pixels.
        const QString big = m_tmp.path() + "/big.png";
        QCOMPARE(l2l({"eval", "--optimizers", "sgd:lr=0.01", "--runs", "2", "--steps", "10", "--plot", big,
                      "--plot-size", "1000x600", "--plot-scale", "2", "-q"})
                     .code,
                 0);
        QCOMPARE(QImage(big).size(), QSize(2000, 1200));
        // A PDF, in a folder that does not exist yet: written whole, through a temporary file that does not stay.
        const QString pdf = m_tmp.path() + "/pdf/out.pdf";
        const Run p = l2l({"eval", "--optimizers", "sgd:lr=0.01", "--runs", "2", "--steps", "10", "--plot", pdf, "-q"});
        QVERIFY2(p.code == 0, qPrintable(p.err));
        QFile out(pdf);
        QVERIFY(out.open(QIODevice::ReadOnly));
        QVERIFY(out.readAll().startsWith("%PDF"));
        QCOMPARE(QDir(m_tmp.path() + "/pdf").entryList(QDir::Files), QStringList{"out.pdf"});
    }
    void tuningShowsProgress()
    {
        // A rate search of 16 rates x 5 runs x 200 MNIST steps (seconds): its progress, with the time left, in the log
        // (stderr is not a terminal here: a line per quarter), between the search's first and last lines.
        const Run r =
            l2l({"eval", "--problem", "mnist", "--optimizers", "sgd", "--runs", "1", "--steps", "200", "--no-cache"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const int start = int(r.err.indexOf("l2l: tuning sgd: 16 rates")), end = int(r.err.indexOf("best rate"));
        const int progress = int(r.err.indexOf(QRegularExpression("l2l: tuning sgd \\(1 of 1\\): [0-9]+%, about")));
        QVERIFY2(start >= 0 && progress > start && end > progress, qPrintable(r.err));
        const Run quiet = l2l(
            {"eval", "--problem", "mnist", "--optimizers", "sgd", "--runs", "1", "--steps", "200", "--no-cache", "-q"});
        QVERIFY2(quiet.code == 0 && !quiet.err.contains("tuning"), qPrintable(quiet.err));
    }
    void trainWritesAnOptimizerThatEvalUses()
    {
        const QString out = m_tmp.path() + "/q.json";
        const Run r = l2l({"train", "--problem", "quadratic", "--epochs", "200", "--validate-every", "100", "--out",
                           out, "--checkpoint", m_tmp.path() + "/q.ck.json", "-q"});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains("trained 200 epochs"), qPrintable(r.out));
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject doc = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(doc["format"].toString(), QString("l2l-optimizer"));
        QVERIFY(doc["provenance"].toObject()["command"].toString().startsWith(
            "l2l train --problem quadratic --epochs 200"));
        const Run ev = l2l({"eval", "--optimizers", "adam:lr=0.1,lstm:" + out, "--runs", "5", "--steps", "50", "-q"});
        QCOMPARE(ev.code, 0);
        QVERIFY2(ev.out.contains("learned"), qPrintable(ev.out));
    }
    void selectChoosesOnSelectionInstancesAndRecordsIt()
    {
        // Two candidates on quadratics: one trained 200 epochs, one trained 1 (barely moved from its small initial
        // steps). select picks the trained one, writes it with its selection record, and eval says how it was chosen.
        const QString good = m_tmp.path() + "/sel-good.json", poor = m_tmp.path() + "/sel-poor.json",
                      chosen = m_tmp.path() + "/sel-chosen.json";
        QCOMPARE(
            l2l({"train", "--problem", "quadratic", "--epochs", "200", "--validate-every", "100", "--out", good, "-q"})
                .code,
            0);
        QCOMPARE(l2l({"train", "--problem", "quadratic", "--epochs", "1", "--out", poor, "-q"}).code, 0);
        const Run r = l2l({"select", "--problem", "quadratic", "--candidates", poor, good, "--runs", "20", "--seed",
                           "77", "--out", chosen, "--quiet"});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains("* " + good), qPrintable(r.out));
        QFile f(chosen);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject prov = QJsonDocument::fromJson(f.readAll()).object()["provenance"].toObject();
        const QJsonObject sel = prov["selection"].toObject();
        QCOMPARE(sel["seed"].toInt(), 77);
        QCOMPARE(sel["runs"].toInt(), 20);
        QCOMPARE(sel["criterion"].toString(), QString("final"));
        QCOMPARE(sel["candidates"].toArray().size(), 2);
        QVERIFY(prov["command"].toString().startsWith("l2l train --problem quadratic --epochs 200"));
        QVERIFY(sel["score"].toDouble() < sel["candidates"].toArray()[0].toObject()["score"].toDouble());
        const Run ev = l2l({"eval", "--optimizers", "adam:lr=0.1,lstm:" + chosen, "--runs", "3", "--steps", "20"});
        QCOMPARE(ev.code, 0);
        QVERIFY2(ev.out.contains("chosen by l2l select among 2 on 20 selection instances"), qPrintable(ev.out));
        const Run plain = l2l({"eval", "--optimizers", "adam:lr=0.1,lstm:" + good, "--runs", "3", "--steps", "20"});
        QVERIFY2(plain.out.contains("how it was selected is not recorded"), qPrintable(plain.out));
        // A file chosen again carries this selection's record only (the earlier candidates' scores were measured
        // on other runs).
        const QString again = m_tmp.path() + "/sel-again.json";
        // Not quiet, into a log (a pipe): a selection of milliseconds prints no progress lines, only its result.
        const Run quick = l2l({"select", "--problem", "quadratic", "--candidates", chosen, poor, "--runs", "10",
                               "--seed", "78", "--out", again});
        QCOMPARE(quick.code, 0);
        QVERIFY2(!quick.err.contains("selecting:"), qPrintable(quick.err));
        QFile g(again);
        QVERIFY(g.open(QIODevice::ReadOnly));
        const QJsonObject sel2 =
            QJsonDocument::fromJson(g.readAll()).object()["provenance"].toObject()["selection"].toObject();
        QCOMPARE(sel2["seed"].toInt(), 78);
        const QJsonArray cands = sel2["candidates"].toArray();
        QCOMPARE(cands.size(), 2);
        QCOMPARE(cands[0].toObject()["file"].toString(), QString("sel-chosen.json"));
        QCOMPARE(cands[1].toObject()["file"].toString(), QString("sel-poor.json"));
        // A candidate that is not an optimizer file is refused by name, and nothing is written.
        const QString bad = m_tmp.path() + "/sel-bad.json", none = m_tmp.path() + "/sel-none.json";
        QFile b(bad);
        QVERIFY(b.open(QIODevice::WriteOnly));
        b.write("{\"format\": \"l2l-optimizer\", \"version\": 1}");
        b.close();
        const Run refused = l2l({"select", "--problem", "quadratic", "--candidates", good, bad, "--out", none, "-q"});
        QVERIFY(refused.code != 0);
        QVERIFY2(refused.err.contains("sel-bad.json"), qPrintable(refused.err));
        QVERIFY(!QFile::exists(none));
    }
    void transferWritesTheMatrixAndItsHeatMap()
    {
        // Two given variants, 4 runs: a cell's final loss and ratio are those of the same paired evaluation run by
        // `l2l eval`; the heat map is written; the default grid comes from the file's training problem.
        const QString lstm = qEnvironmentVariable("L2L_SOURCE_DIR") + "/resources/optimizers/quadratic.json";
        const QString json = m_tmp.path() + "/transfer.json", png = m_tmp.path() + "/transfer.png",
                      pdf = m_tmp.path() + "/transfer.pdf";
        // A figure name of the wrong kind is refused before the runs (not after them).
        const Run wrong = l2l({"transfer", "--optimizers", lstm, "--runs", "4", "--pdf", m_tmp.path() + "/t.png"});
        QVERIFY(wrong.code == 1 && wrong.err.contains("--pdf") && wrong.err.contains("must end in .pdf"));
        QVERIFY(!wrong.err.contains("evaluating"));
        const Run r = l2l({"transfer", "--optimizers", lstm, "--variants", "quadratic:dim=3;quadratic:dim=10,fscale=10",
                           "--baselines", "sgd,adam", "--runs", "4", "--steps", "20", "--json", json, "--png", png,
                           "--pdf", pdf, "-q"});
        QVERIFY2(r.code == 0 && !r.crashed, qPrintable(r.err));
        QFile f(json);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject doc = QJsonDocument::fromJson(f.readAll()).object();
        const QJsonArray variants = doc["variants"].toArray();
        QCOMPARE(variants.size(), 2);
        const QJsonObject cell = variants[1].toObject()["cells"].toArray()[0].toObject();
        QCOMPARE(variants[1].toObject()["canonical"].toString(), QString("quadratic:dim=10,init_std=0.01,fscale=10"));
        const double ratio = cell["ratio"].toDouble(), fin = cell["final"].toDouble();
        QCOMPARE(ratio, fin / cell["baseline_final"].toDouble());
        const QString evalJson = m_tmp.path() + "/transfer-eval.json";
        const Run ev = l2l({"eval", "--problem", "quadratic:dim=10,fscale=10", "--optimizers",
                            "lstm:" + lstm + ",sgd,adam", "--runs", "4", "--steps", "20", "--seed",
                            "101", // transfer's default seed (the studio's)
                            "--json", evalJson, "-q"});
        QCOMPARE(ev.code, 0);
        QFile e(evalJson);
        QVERIFY(e.open(QIODevice::ReadOnly));
        const QJsonArray opts = QJsonDocument::fromJson(e.readAll()).object()["optimizers"].toArray();
        QCOMPARE(opts[0].toObject()["final_loss_mean"].toDouble(), fin);
        const QImage image(png);
        QVERIFY(image.width() > 600 && image.height() > 300); // twice the layout's pixels (it was 724 x 722 at 1x)
        // The PDF is vector: its text is text (a font), not a picture of the map.
        QFile pdfFile(pdf);
        QVERIFY(pdfFile.open(QIODevice::ReadOnly));
        const QByteArray pdfBytes = pdfFile.readAll();
        QVERIFY(pdfBytes.startsWith("%PDF") && pdfBytes.contains("/FontFile") && !pdfBytes.contains("/Subtype /Image"));
        QVERIFY(r.out.contains("dim=10,fscale=10"));

        const Run grid = l2l({"transfer", "--optimizers", lstm, "--runs", "2", "--steps", "5", "-q"});
        QVERIFY2(grid.code == 0, qPrintable(grid.err));
        QVERIFY2(grid.out.contains("dim=100") && grid.out.contains("x100") && grid.out.contains("10 steps"),
                 qPrintable(grid.out));

        const Run family = l2l({"transfer", "--optimizers", lstm, "--family", "cifar"});
        QVERIFY(family.code != 0);
        QVERIFY2(family.err.contains("unknown family 'cifar'"), qPrintable(family.err));
        const Run tune =
            l2l({"transfer", "--optimizers", lstm, "--variants", "quadratic:dim=3", "--runs", "2", "--steps", "5",
                 "--tune-runs", "2", "--tune-min", "0.01", "--tune-max", "1", "--json", json, "-q"});
        QVERIFY2(tune.code == 0, qPrintable(tune.err));
        QFile t(json);
        QVERIFY(t.open(QIODevice::ReadOnly));
        QCOMPARE(QJsonDocument::fromJson(t.readAll()).object()["tune"].toObject()["runs"].toInt(), 2);
        const Run badTune = l2l({"transfer", "--optimizers", lstm, "--family", "quadratic", "--tune-min", "0"});
        QVERIFY2(badTune.code != 0 && badTune.err.contains("tune_min (--tune-min)"), qPrintable(badTune.err));
        const Run both = l2l({"transfer", "--optimizers", lstm, "--family", "mnist", "--variants", "quadratic"});
        QVERIFY2(both.err.contains("give --family or --variants, not both"), qPrintable(both.err));
        // A bad spec among the variants is refused before the first variant runs (nothing tuned or printed).
        const Run badSpec = l2l({"transfer", "--optimizers", lstm, "--variants", "quadratic:dim=3;nope", "--runs", "2",
                                 "--steps", "5", "--no-cache"});
        QCOMPARE(badSpec.code, 1);
        QVERIFY2(badSpec.err.contains("variant 2 of 2 ('nope')") && badSpec.err.contains("unknown problem 'nope'"),
                 qPrintable(badSpec.err));
        QVERIFY2(!badSpec.err.contains("variant 1/2"), qPrintable(badSpec.err));
        const Run missing = l2l({"transfer", "--optimizers", m_tmp.path() + "/none.json", "--family", "quadratic"});
        QVERIFY(missing.code != 0);
        QVERIFY2(missing.err.contains("none.json"), qPrintable(missing.err));
    }
    void transferAddsOptimizersAtRecordedRates()
    {
        // --baselines-from: no rate searched; each variant's best baseline of a finished transfer, run again at its
        // recorded rate, gives the same cells as the search did (same build: the same bits); a file whose baseline
        // does not end where it says, or of another transfer, is refused naming it, and nothing is written.
        const QString lstm = qEnvironmentVariable("L2L_SOURCE_DIR") + "/resources/optimizers/quadratic.json";
        const QString copy = m_tmp.path() + "/added-optimizer.json";
        QFile::remove(copy);
        QVERIFY(QFile::copy(lstm, copy));
        const QString full = m_tmp.path() + "/searched.json", added = m_tmp.path() + "/added.json";
        const QStringList common = {"--variants",  "quadratic:dim=3;quadratic:dim=5",
                                    "--baselines", "sgd,adam",
                                    "--runs",      "3",
                                    "--steps",     "10",
                                    "--tune-runs", "2",
                                    "--no-cache",  "-q"};
        const Run searched = l2l(QStringList{"transfer", "--optimizers", lstm, "--json", full} + common);
        QVERIFY2(searched.code == 0, qPrintable(searched.err));
        const QStringList addArgs =
            QStringList{"transfer", "--optimizers", lstm, copy, "--baselines-from", full} + common;
        const Run add = l2l(addArgs + QStringList{"--json", added});
        QVERIFY2(add.code == 0, qPrintable(add.err));
        QVERIFY2(add.out.contains("run again at its recorded rate"), qPrintable(add.out));
        const auto readJson = [](const QString& path) {
            QFile f(path);
            return f.open(QIODevice::ReadOnly) ? QJsonDocument::fromJson(f.readAll()).object() : QJsonObject();
        };
        const QJsonObject was = readJson(full), now = readJson(added);
        QCOMPARE(now["baselines_from"].toObject()["file"].toString(), full);
        QCOMPARE(now["baselines_from"].toObject()["digest"].toString().size(), 16);
        QCOMPARE(now["variants"].toArray().size(), 2);
        for (int i = 0; i < 2; ++i) {
            const QJsonArray before = was["variants"].toArray()[i].toObject()["cells"].toArray();
            const QJsonArray after = now["variants"].toArray()[i].toObject()["cells"].toArray();
            QCOMPARE(after.size(), 2);
            QCOMPARE(after[0], before[0]); // the same optimizer: the same cell
            QCOMPARE(after[1], before[0]); // its copy: the same again
        }
        // Stopped after one variant, it goes on only with the same --baselines-from, and ends with the same file.
        QJsonObject stopped = now;
        stopped["variants"] = QJsonArray{now["variants"].toArray()[0]};
        stopped["completed"] = 1;
        stopped["cancelled"] = true;
        QJsonArray pending{QJsonObject{
            {"axis", "given"}, {"label", "quadratic:dim=5"}, {"problem", "quadratic:dim=5"}, {"steps", 10}}};
        stopped["pending"] = pending;
        const QString part = m_tmp.path() + "/added-part.json", out = m_tmp.path() + "/added-out.json";
        const auto write = [](const QString& path, const QJsonObject& o) {
            QFile w(path);
            return w.open(QIODevice::WriteOnly | QIODevice::Truncate) && w.write(QJsonDocument(o).toJson()) > 0;
        };
        QVERIFY(write(part, stopped));
        const Run resumed = l2l(addArgs + QStringList{"--resume", part, "--json", out});
        QVERIFY2(resumed.code == 0, qPrintable(resumed.err));
        QCOMPARE(readJson(out), now);
        const Run searching = l2l(QStringList{"transfer", "--optimizers", lstm, copy, "--resume", part} + common);
        QVERIFY2(searching.code == 1 && searching.err.contains("added-part.json") &&
                     searching.err.contains("baselines_from"),
                 qPrintable(searching.err));
        // A baseline that does not end where the file says: refused, naming the file and the variant.
        QJsonObject tampered = was;
        QJsonArray variants = tampered["variants"].toArray();
        QJsonObject v1 = variants[1].toObject();
        QJsonArray cells = v1["cells"].toArray();
        QJsonObject cell = cells[0].toObject();
        cell["baseline_final"] = 2 * cell["baseline_final"].toDouble();
        cells[0] = cell;
        v1["cells"] = cells;
        variants[1] = v1;
        tampered["variants"] = variants;
        const QString bad = m_tmp.path() + "/searched-tampered.json", none = m_tmp.path() + "/added-none.json";
        QVERIFY(write(bad, tampered));
        QFile::remove(none);
        const QStringList badArgs = QStringList{"transfer", "--optimizers", lstm, "--baselines-from", bad} + common;
        const Run off = l2l(badArgs + QStringList{"--json", none});
        QVERIFY2(off.code == 1 && off.err.contains("searched-tampered.json") &&
                     off.err.contains("variant 'quadratic:dim=5'") && off.err.contains("more than 1 % apart"),
                 qPrintable(off.err));
        // (the first variant was finished and written before the second was refused; it is a stopped run)
        QVERIFY(readJson(none)["cancelled"].toBool());
        // A recorded rate the rule refuses (1e300): refused before any variant runs, naming the file and the key.
        QJsonObject huge = was;
        QJsonArray hv = huge["variants"].toArray();
        QJsonObject h0 = hv[0].toObject();
        QJsonArray hc = h0["cells"].toArray();
        for (int k = 0; k < hc.size(); ++k) {
            QJsonObject c = hc[k].toObject();
            c["baseline_rate"] = 1e300;
            hc[k] = c;
        }
        h0["cells"] = hc;
        hv[0] = h0;
        huge["variants"] = hv;
        const QString hugeFile = m_tmp.path() + "/searched-huge-rate.json";
        QVERIFY(write(hugeFile, huge));
        QFile::remove(none);
        const Run rate = l2l(QStringList{"transfer", "--optimizers", lstm, "--baselines-from", hugeFile} + common +
                             QStringList{"--json", none});
        QVERIFY2(rate.code == 1 && rate.err.contains("searched-huge-rate.json") && rate.err.contains("baseline_rate") &&
                     rate.err.contains("(0, 10000]"),
                 qPrintable(rate.err));
        QVERIFY(!QFile::exists(none));
        // Another transfer's file (other runs), an unfinished one, and the output on top of it.
        QStringList otherRuns = badArgs;
        otherRuns[otherRuns.indexOf(bad)] = full;
        otherRuns[otherRuns.indexOf("3")] = "4";
        const Run runs = l2l(otherRuns);
        QVERIFY2(runs.code == 1 && runs.err.contains("searched.json") && runs.err.contains("\"runs\""),
                 qPrintable(runs.err));
        const QStringList fromPart = QStringList{"transfer", "--optimizers", lstm, "--baselines-from", part} + common;
        const Run unfinished = l2l(fromPart);
        QVERIFY2(unfinished.code == 1 && unfinished.err.contains("unfinished"), qPrintable(unfinished.err));
        const Run same = l2l(fromPart + QStringList{"--json", part});
        QVERIFY2(same.code == 1 && same.err.contains("name the same file"), qPrintable(same.err));
        QCOMPARE(readJson(part), stopped);
    }
    void transferResumesFromItsJson()
    {
        // A transfer stopped after its first variant goes on from its JSON and ends with the same file as a run
        // that was never stopped; a file of another transfer, or a corrupt one, is refused naming the field.
        // A copy of the bundled optimizer, to be changed at the end.
        const QString lstm = m_tmp.path() + "/resume-optimizer.json";
        QFile::remove(lstm);
        QVERIFY(QFile::copy(qEnvironmentVariable("L2L_SOURCE_DIR") + "/resources/optimizers/quadratic.json", lstm));
        const QString full = m_tmp.path() + "/resume-full.json", part = m_tmp.path() + "/resume-part.json",
                      out = m_tmp.path() + "/resume-out.json";
        const QStringList args = {"transfer",
                                  "--optimizers",
                                  lstm,
                                  "--variants",
                                  "quadratic:dim=3;quadratic:dim=5;quadratic:dim=10,fscale=10",
                                  "--baselines",
                                  "sgd,adam",
                                  "--runs",
                                  "3",
                                  "--steps",
                                  "10",
                                  "--tune-runs",
                                  "2",
                                  "-q"};
        const Run r = l2l(args + QStringList{"--json", full});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QFile f(full);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray whole = f.readAll();
        QJsonObject doc = QJsonDocument::fromJson(whole).object();
        QJsonArray variants = doc["variants"].toArray();
        QCOMPARE(variants.size(), 3);
        QCOMPARE(doc["planned"].toInt(), 3);
        QCOMPARE(doc["pending"].toArray().size(), 0);
        QCOMPARE(doc["optimizer_digests"].toArray().size(), 1);
        QCOMPARE(doc["optimizer_digests"].toArray()[0].toString().size(), 16);
        const auto write = [&](const QString& path, const QJsonObject& o) {
            QFile w(path);
            QVERIFY(w.open(QIODevice::WriteOnly | QIODevice::Truncate));
            w.write(QJsonDocument(o).toJson());
        };
        QJsonObject stopped = doc;
        stopped["variants"] = QJsonArray{variants[0]};
        stopped["completed"] = 1;
        stopped["cancelled"] = true;
        stopped["pending"] = QJsonArray{variants[1], variants[2]}; // (their axis, label, problem and steps are read)
        write(part, stopped);
        const Run resumed = l2l(args + QStringList{"--resume", part, "--json", out});
        QVERIFY2(resumed.code == 0, qPrintable(resumed.err));
        QFile o(out);
        QVERIFY(o.open(QIODevice::ReadOnly));
        QCOMPARE(o.readAll(), whole);
        o.close();
        // The finished variant really is taken from the file, not run again: a value changed in it comes through.
        QJsonObject marked = variants[0].toObject();
        QJsonArray markedCells = marked["cells"].toArray();
        QJsonObject markedCell = markedCells[0].toObject();
        markedCell["p"] = 0.123;
        markedCells[0] = markedCell;
        marked["cells"] = markedCells;
        stopped["variants"] = QJsonArray{marked};
        write(part, stopped);
        const Run again = l2l(args + QStringList{"--resume", part, "--json", out});
        QVERIFY2(again.code == 0, qPrintable(again.err));
        QVERIFY(o.open(QIODevice::ReadOnly));
        const QJsonArray redone = QJsonDocument::fromJson(o.readAll()).object()["variants"].toArray();
        QCOMPARE(redone.size(), 3);
        QCOMPARE(redone[0].toObject()["cells"].toArray()[0].toObject()["p"].toDouble(), 0.123);
        QCOMPARE(redone[2], variants[2]);

        // Another transfer's file: other runs.
        QStringList other = args;
        other[other.indexOf("3")] = "4";
        const Run runs = l2l(other + QStringList{"--resume", part});
        QVERIFY(runs.code != 0);
        QVERIFY2(runs.err.contains("resume-part.json") && runs.err.contains("\"runs\""), qPrintable(runs.err));
        // A count that would wrap to this run's as an int (2^32 + 3) is another count.
        QJsonObject wrapped = stopped;
        wrapped["runs"] = double((1LL << 32) + 3);
        write(part, wrapped);
        const Run wrap = l2l(args + QStringList{"--resume", part});
        QVERIFY2(wrap.code != 0 && wrap.err.contains("\"runs\""), qPrintable(wrap.err));
        // A cell from a stranger: more runs won than there were.
        QJsonObject cell = variants[0].toObject()["cells"].toArray()[0].toObject();
        cell["won"] = 99;
        QJsonObject v0 = variants[0].toObject();
        v0["cells"] = QJsonArray{cell};
        stopped["variants"] = QJsonArray{v0};
        write(part, stopped);
        const Run bad = l2l(args + QStringList{"--resume", part});
        QVERIFY(bad.code != 0 && !bad.crashed);
        QVERIFY2(bad.err.contains("resume-part.json") && bad.err.contains("variants[0].cells[0].won"),
                 qPrintable(bad.err));
        // A pending list that is not the rest of this run's grid, and a recorded rate the baseline refuses.
        QJsonObject strayPending = stopped;
        strayPending["variants"] = QJsonArray{variants[0]};
        strayPending["pending"] = QJsonArray{99999};
        write(part, strayPending);
        const Run stray = l2l(args + QStringList{"--resume", part});
        QVERIFY2(stray.code == 1 && stray.err.contains("resume-part.json") && stray.err.contains("\"pending\""),
                 qPrintable(stray.err));
        QJsonObject hugeRate = stopped;
        QJsonObject h0 = variants[0].toObject();
        QJsonObject hCell = h0["cells"].toArray()[0].toObject();
        hCell["baseline_rate"] = 1e300;
        h0["cells"] = QJsonArray{hCell};
        hugeRate["variants"] = QJsonArray{h0};
        write(part, hugeRate);
        const Run huge = l2l(args + QStringList{"--resume", part});
        QVERIFY2(huge.code == 1 && huge.err.contains("variants[0].cells[0].baseline_rate") &&
                     huge.err.contains("(0, 10000]"),
                 qPrintable(huge.err));
        // A file written before the rate grid was recorded cannot say it was the same search.
        QJsonObject old = doc;
        QJsonObject tune = old["tune"].toObject();
        tune.remove("min_rate");
        old["tune"] = tune;
        write(part, old);
        const Run older = l2l(args + QStringList{"--resume", part});
        QVERIFY2(older.code != 0 && older.err.contains("tune.min_rate"), qPrintable(older.err));
        // Digests: a file written before they were recorded goes on (nothing to check); a malformed one is
        // refused; and once the optimizer file has changed (one byte more), its finished variants are refused.
        QJsonObject undigested = stopped;
        undigested["variants"] = QJsonArray{variants[0]};
        undigested.remove("optimizer_digests");
        write(part, undigested);
        const Run noDigests = l2l(args + QStringList{"--resume", part, "--json", out});
        QVERIFY2(noDigests.code == 0, qPrintable(noDigests.err));
        {
            // ... and its result claims none: its first variant was never checked against the file.
            QFile read(out);
            QVERIFY(read.open(QIODevice::ReadOnly));
            QVERIFY(!QJsonDocument::fromJson(read.readAll()).object().contains("optimizer_digests"));
        }
        QJsonObject badDigest = undigested;
        badDigest["optimizer_digests"] = QJsonArray{"not-hex"};
        write(part, badDigest);
        const Run malformed = l2l(args + QStringList{"--resume", part});
        QVERIFY2(malformed.code != 0 && malformed.err.contains("optimizer_digests"), qPrintable(malformed.err));
        QJsonObject digested = undigested;
        digested["optimizer_digests"] = doc["optimizer_digests"];
        write(part, digested);
        // The same bytes under another name (a clone elsewhere) go on; without digests, another name is refused.
        const QString moved = m_tmp.path() + "/resume-optimizer-moved.json";
        QFile::remove(moved);
        QVERIFY(QFile::copy(lstm, moved));
        QStringList movedArgs = args;
        movedArgs[movedArgs.indexOf(lstm)] = moved;
        const Run elsewhere = l2l(movedArgs + QStringList{"--resume", part, "--json", out});
        QVERIFY2(elsewhere.code == 0, qPrintable(elsewhere.err));
        write(part, undigested);
        const Run renamed = l2l(movedArgs + QStringList{"--resume", part});
        QVERIFY2(renamed.code != 0 && renamed.err.contains("\"optimizers\"") && renamed.err.contains("no digests"),
                 qPrintable(renamed.err));
        write(part, digested);
        {
            QFile changed(lstm);
            QVERIFY(changed.open(QIODevice::Append));
            changed.write("\n");
        }
        const Run edited = l2l(args + QStringList{"--resume", part});
        QVERIFY2(edited.code != 0 && edited.err.contains("optimizer_digests") &&
                     edited.err.contains("resume-optimizer.json") && edited.err.contains("changed"),
                 qPrintable(edited.err));
        // Not JSON at all, and a missing file.
        QFile junk(part);
        QVERIFY(junk.open(QIODevice::WriteOnly | QIODevice::Truncate));
        junk.write("{{{");
        junk.close();
        const Run notJson = l2l(args + QStringList{"--resume", part});
        QVERIFY2(notJson.code != 0 && notJson.err.contains("resume-part.json"), qPrintable(notJson.err));
        const Run missing = l2l(args + QStringList{"--resume", m_tmp.path() + "/no-such.json"});
        QVERIFY2(missing.code != 0 && missing.err.contains("no-such.json"), qPrintable(missing.err));
    }
    void trainRnnpropWritesItsArchitecture()
    {
        const QString out = m_tmp.path() + "/rnnprop.json";
        const Run r = l2l({"train", "--problem", "quadratic", "--epochs", "3", "--rnnprop", "--out", out, "-q"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject doc = QJsonDocument::fromJson(f.readAll()).object();
        const QJsonObject a = doc["architecture"].toObject();
        QCOMPARE(a["preprocess"].toString(), QString("rnnprop"));
        QCOMPARE(a["input_layer"].toInt(), 20);
        QCOMPARE(a["output_activation"].toString(), QString("tanh"));
        QCOMPARE(doc["weights"].toArray().size(), 20 * 3 + 4 * 20 * 40 + 80 + 4 * 20 * 40 + 80 + 21);
        const Run ev = l2l({"eval", "--optimizers", "lstm:" + out + ",adam:lr=0.1", "--runs", "2", "--steps", "10"});
        QVERIFY2(ev.code == 0, qPrintable(ev.err));
        const Run second = l2l({"train", "--rnnprop", "--second-derivatives", "--out", m_tmp.path() + "/never.json"});
        QVERIFY(second.code != 0);
        QVERIFY2(second.err.contains("not supported with rnnprop"), qPrintable(second.err));
    }
    void trainGacWritesItsArchitecture()
    {
        // LSTM+GAC: --gac lands in the file's architecture and provenance; eval runs the file; the PyTorch export
        // refuses it, naming the setting.
        const QString out = m_tmp.path() + "/gac.json";
        const Run r = l2l({"train", "--problem", "quadratic", "--epochs", "3", "--gac", "4", "--out", out, "-q"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject doc = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(doc["architecture"].toObject()["gac"].toInt(), 4);
        QVERIFY(doc["provenance"].toObject()["command"].toString().contains("--gac 4"));
        const Run ev = l2l({"eval", "--optimizers", "lstm:" + out + ",adam:lr=0.1", "--runs", "2", "--steps", "10"});
        QVERIFY2(ev.code == 0, qPrintable(ev.err));
        const Run ex = l2l({"export", "--torch", out, "--out", m_tmp.path() + "/gac.py"});
        QCOMPARE(ex.code, 1);
        QVERIFY2(ex.err.contains("gac.json") && ex.err.contains("\"gac\" = 4"), qPrintable(ex.err));
    }
    void trainPerBlockWritesOneNetPerGroup()
    {
        // --groups per-block on a tiny convnet: a version-2 file with a net for each group, which eval
        // uses on the convnet and refuses, naming the mismatch, on a one-group problem.
        const QString out = m_tmp.path() + "/conv.json";
        const QString conv = "convnet:batch=4,channels=2,fc_units=4,conv_layers=1,kernel=3";
        const Run r = l2l({"train",
                           "--problem",
                           conv,
                           "--groups",
                           "per-block",
                           "--epochs",
                           "2",
                           "--horizon",
                           "4",
                           "--unroll",
                           "2",
                           "--validate-every",
                           "1",
                           "--validation-runs",
                           "1",
                           "--hidden",
                           "4",
                           "--threads",
                           "1",
                           "--out",
                           out,
                           "--checkpoint",
                           m_tmp.path() + "/conv.ck.json",
                           "-q"});
        QCOMPARE(r.code, 0);
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject doc = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(doc["version"].toInt(), 2);
        QCOMPARE(doc["groups"].toInt(), 2);
        QCOMPARE(doc["nets"].toArray().size(), 2);
        QCOMPARE(doc["nets"].toArray()[1].toObject()["group"].toInt(), 1);
        const Run ev = l2l({"eval", "--problem", conv, "--optimizers", "adam:lr=0.01,lstm:" + out, "--runs", "2",
                            "--steps", "3", "--threads", "1", "-q"});
        QCOMPARE(ev.code, 0);
        QVERIFY2(ev.out.contains("learned"), qPrintable(ev.out));
        const Run bad = l2l({"eval", "--optimizers", "lstm:" + out, "--runs", "2", "--steps", "3", "-q"});
        QVERIFY(!bad.crashed);
        QVERIFY(bad.code != 0);
        QVERIFY2(bad.err.contains("has 2 nets (one per parameter group), but the problem has 1 parameter group"),
                 qPrintable(bad.err));
    }
    void trainBadInput_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        const QString out = QDir::tempPath() + "/l2l-never-written.json";
        QTest::newRow("unroll > horizon") << QStringList{"train", "--out", out, "--unroll", "200"}
                                          << "unroll (--unroll) must be at most the horizon (100), got 200";
        QTest::newRow("hidden") << QStringList{"train", "--out", out, "--hidden", "0"}
                                << "hidden (--hidden) must be an integer in [1, 256], got 0";
        QTest::newRow("gac > hidden") << QStringList{"train", "--out", out, "--hidden", "8", "--gac", "9"}
                                      << "gac (--gac) must be at most hidden (--hidden) = 8";
        QTest::newRow("gac") << QStringList{"train", "--out", out, "--gac", "-1"}
                             << "gac (--gac) must be an integer in [0, 256], got -1";
        QTest::newRow("preprocess") << QStringList{"train", "--out", out, "--preprocess", "log"}
                                    << "preprocess (--preprocess) must be one of none, log-sign, rnnprop, got 'log'";
        QTest::newRow("second order on a conv net") // (2-d functions and MLPs have Hessian-vector products)
            << QStringList{"train",
                           "--out",
                           out,
                           "--problem",
                           "convnet:batch=4,channels=2,fc_units=4,conv_layers=1,kernel=3",
                           "--second-derivatives",
                           "--epochs",
                           "1",
                           "--horizon",
                           "10",
                           "--unroll",
                           "5"}
            << "has no Hessian-vector product";
        QTest::newRow("missing out") << QStringList{"train"} << "--out is required";
        QTest::newRow("groups") << QStringList{"train", "--out", out, "--groups", "conv"}
                                << "groups (--groups) must be one of shared, per-block, got 'conv'";
        QTest::newRow("meta-loss") << QStringList{"train", "--out", out, "--meta-loss", "mean"}
                                   << "meta_loss (--meta-loss) must be one of sum, log, got 'mean'";
        QTest::newRow("bad resume") << QStringList{"train", "--out", out, "--resume", "/no/such/checkpoint.json"}
                                    << "/no/such/checkpoint.json";
        QTest::newRow("eval bad optimizer file") << QStringList{"eval", "--optimizers", "lstm:/no/such.json"}
                                                 << "optimizer file '/no/such.json' does not exist";
        // Two outputs in one file: one would replace the other.
        QTest::newRow("out is the checkpoint")
            << QStringList{"train", "--out", out, "--checkpoint", out} << "--out and --checkpoint name the same file";
        const QString table = m_tmp.path() + "/same-table.txt";
        QTest::newRow("csv is json") << QStringList{"eval",    "--runs", "2",
                                                    "--steps", "5",      "--csv",
                                                    table,     "--json", m_tmp.path() + "/./same-table.txt"}
                                     << "--json and --csv name the same file";
        QTest::newRow("json is the cache")
            << QStringList{"eval", "--runs", "2", "--steps", "5", "--json", table, "--cache", table}
            << "--json and --cache name the same file";
        QTest::newRow("two on stdout") << QStringList{"eval",  "--runs", "2",          "--steps", "5",
                                                      "--csv", "-",      "--markdown", "-"}
                                       << "--csv and --markdown both write to standard output";
    }
    void trainBadInput()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const Run r = l2l(args);
        QVERIFY(!r.crashed);
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
    }
    void interruptedTrainingKeepsTheBest_data()
    {
        QTest::addColumn<int>("signal");
        QTest::newRow("Ctrl-C") << int(SIGINT);
        QTest::newRow("SIGTERM") << int(SIGTERM); // kill, a batch scheduler's time limit: it ended the job with 143
    }
    void interruptedTrainingKeepsTheBest()
    {
        // Ctrl-C (SIGINT) or SIGTERM mid-training: exit 128 + the signal, the best optimizer so far and a checkpoint
        // are written.
        QFETCH(int, signal);
        const QString out = m_tmp.path() + QString("/int%1.json").arg(signal),
                      ck = m_tmp.path() + QString("/int%1.ck.json").arg(signal);
        QProcess p;
        p.start(qEnvironmentVariable("L2L_BIN_DIR") + "/app/l2l",
                {"train", "--problem", "quadratic", "--epochs", "10000000", "--validate-every", "20", "--out", out,
                 "--checkpoint", ck});
        QVERIFY(p.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(out), 60000);
        ::kill(pid_t(p.processId()), signal);
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 128 + signal);
        QVERIFY(QString::fromUtf8(p.readAllStandardOutput()).contains("interrupted after"));
        QVERIFY(QFile::exists(ck));
        const Run ev = l2l({"eval", "--optimizers", "lstm:" + out, "--runs", "3", "--steps", "20", "-q"});
        QCOMPARE(ev.code, 0);
        // The checkpoint resumes.
        const Run more = l2l({"train", "--resume", ck, "--epochs", "50", "--out", out, "-q"});
        QVERIFY2(more.code == 0 || more.err.contains("epochs"), qPrintable(more.err));
    }
    void resumeTakesThreads()
    {
        // --threads given with --resume is used (results do not depend on it); other settings come from the checkpoint.
        const QString out = m_tmp.path() + "/thr.json", ck = m_tmp.path() + "/thr.ck.json";
        QCOMPARE(l2l({"train", "--problem", "quadratic", "--epochs", "20", "--validate-every", "10", "--threads", "1",
                      "--out", out, "--checkpoint", ck, "-q"})
                     .code,
                 0);
        auto threadsIn = [&] {
            QFile f(ck);
            f.open(QIODevice::ReadOnly);
            return QJsonDocument::fromJson(f.readAll()).object().value("config").toObject().value("threads").toInt(-1);
        };
        QCOMPARE(threadsIn(), 1);
        QCOMPARE(
            l2l({"train", "--resume", ck, "--epochs", "30", "--threads", "2", "--out", out, "--checkpoint", ck, "-q"})
                .code,
            0);
        QCOMPARE(threadsIn(), 2);
        // --epochs not beyond the epochs done is refused, and neither file is rewritten.
        QFile o(out), c(ck);
        QVERIFY(o.open(QIODevice::ReadOnly) && c.open(QIODevice::ReadOnly));
        const QByteArray optimizerBefore = o.readAll(), checkpointBefore = c.readAll();
        o.close();
        c.close();
        const Run done = l2l({"train", "--resume", ck, "--epochs", "25", "--out", out, "--checkpoint", ck, "-q"});
        QCOMPARE(done.code, 1);
        QVERIFY2(done.err.contains("--epochs 25") && done.err.contains("has done 30 epochs already") &&
                     done.err.contains("thr.ck.json"),
                 qPrintable(done.err));
        // Without --epochs, a checkpoint that has done all its epochs is refused the same way.
        const Run finished = l2l({"train", "--resume", ck, "--out", out, "--checkpoint", ck, "-q"});
        QCOMPARE(finished.code, 1);
        QVERIFY2(finished.err.contains("has done all its 30 epochs"), qPrintable(finished.err));
        QVERIFY(o.open(QIODevice::ReadOnly) && c.open(QIODevice::ReadOnly));
        QVERIFY(o.readAll() == optimizerBefore && c.readAll() == checkpointBefore);
    }
    void provenanceKeepsTheLineage()
    {
        // A resumed run's optimizer names the command that started it (it named only the --resume command), and a
        // fine-tune names what it started from (epochs, problem, commands, the file's digest), in the file, in
        // `l2l eval`'s footer and in the PyTorch export's docstring; a fine-tune of a fine-tune names both.
        const QString a = m_tmp.path() + "/lin-a.json", ck = m_tmp.path() + "/lin-a.ck.json",
                      b = m_tmp.path() + "/lin-b.json", c = m_tmp.path() + "/lin-c.json";
        const auto provenance = [](const QString& path) {
            QFile f(path);
            f.open(QIODevice::ReadOnly);
            return QJsonDocument::fromJson(f.readAll()).object().value("provenance").toObject();
        };
        QCOMPARE(l2l({"train", "--problem", "quadratic:dim=6", "--epochs", "20", "--validate-every", "10", "--out", a,
                      "--checkpoint", ck, "-q"})
                     .code,
                 0);
        QVERIFY(!provenance(a).contains("earlier_commands")); // written only when there are any
        const Run resumed = l2l({"train", "--resume", ck, "--epochs", "30", "--out", a, "--checkpoint", ck, "-q"});
        QCOMPARE(resumed.code, 0);
        const QJsonObject pa = provenance(a);
        const QJsonArray earlier = pa.value("earlier_commands").toArray();
        QCOMPARE(earlier.size(), 1);
        QVERIFY2(earlier[0].toString().contains("--problem quadratic:dim=6"), qPrintable(earlier[0].toString()));
        QVERIFY(pa.value("command").toString().contains("--resume"));
        QVERIFY(!pa.contains("ancestors"));

        QCOMPARE(l2l({"train", "--problem", "quadratic:dim=6", "--epochs", "10", "--validate-every", "10", "--init", a,
                      "--out", b, "-q"})
                     .code,
                 0);
        const QJsonObject pb = provenance(b);
        QCOMPARE(pb.value("ancestors").toArray().size(), 1);
        const QJsonObject parent = pb.value("ancestors").toArray()[0].toObject();
        QCOMPARE(parent.value("epochs").toInt(), 30);
        QCOMPARE(parent.value("problem").toString(), QString("quadratic:dim=6"));
        const QJsonArray commands = parent.value("commands").toArray(); // started, then resumed
        QCOMPARE(commands.size(), 2);
        QCOMPARE(commands[0].toString(), earlier[0].toString());
        QCOMPARE(commands[1].toString(), pa.value("command").toString());
        QVERIFY(QRegularExpression("^[0-9a-f]{16}$").match(parent.value("digest").toString()).hasMatch());
        QVERIFY(!pb.contains("earlier_commands"));

        QCOMPARE(l2l({"train", "--problem", "quadratic:dim=6", "--epochs", "10", "--validate-every", "10", "--init", b,
                      "--out", c, "-q"})
                     .code,
                 0);
        const QJsonArray ancestors = provenance(c).value("ancestors").toArray();
        QCOMPARE(ancestors.size(), 2);
        QCOMPARE(ancestors[1].toObject(), parent);
        QVERIFY(ancestors[0].toObject().value("digest").toString() != parent.value("digest").toString());
        const Run ev =
            l2l({"eval", "--problem", "quadratic:dim=6", "--optimizers", "lstm:" + c, "--runs", "2", "--steps", "10"});
        QCOMPARE(ev.code, 0);
        QVERIFY2(ev.out.contains("fine-tuned from an optimizer trained for 10 epochs on quadratic:dim=6, itself "
                                 "fine-tuned from an optimizer trained for 30 epochs on quadratic:dim=6"),
                 qPrintable(ev.out));
        const QString py = m_tmp.path() + "/lin_c.py";
        QCOMPARE(l2l({"export", "--torch", c, "--out", py}).code, 0);
        QFile f(py);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(QString::fromUtf8(f.readAll()).contains("lineage:     fine-tuned from an optimizer trained for 10"));
    }
    void tunePrintsGridAndCaches()
    {
        const QString cache = m_tmp.path() + "/tune-cache.json";
        const Run r = l2l({"tune", "--optimizers", "sgd", "--steps", "20", "--tune-runs", "2", "--cache", cache});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains("<- best"), qPrintable(r.out));
        QVERIFY(r.out.contains("diverged"));
        QVERIFY(QFile::exists(cache));
        const Run again = l2l({"tune", "--optimizers", "sgd", "--steps", "20", "--tune-runs", "2", "--cache", cache});
        QVERIFY(again.out.contains("(cached)"));
        // eval with the same settings reuses that rate
        const Run ev =
            l2l({"eval", "--optimizers", "sgd", "--steps", "20", "--tune-runs", "2", "--cache", cache, "--runs", "2"});
        QCOMPARE(ev.code, 0);
        QVERIFY2(ev.err.contains("cached rate"), qPrintable(ev.err));
        // A race drops rates on the way and says so; it is cached apart from the full grid.
        const Run race =
            l2l({"tune", "--optimizers", "sgd", "--steps", "20", "--tune-runs", "2", "--cache", cache, "--tune-race"});
        QCOMPARE(race.code, 0);
        QVERIFY2(!race.out.contains("(cached)"), qPrintable(race.out));
        QVERIFY2(race.out.contains("dropped by the race at step 5"), qPrintable(race.out));
        QVERIFY2(race.out.contains("dropped by the race at step 10"), qPrintable(race.out));
        QVERIFY2(race.err.contains("raced"), qPrintable(race.err));
    }
    void outputsNeverReplaceInputs()
    {
        // An output named like a file the command reads is refused before anything runs, the input intact.
        const QString dir = m_tmp.path() + "/same", opt = dir + "/o.json", exp = dir + "/e.json";
        QVERIFY(QDir().mkpath(dir));
        QVERIFY(QFile::copy(qEnvironmentVariable("L2L_SOURCE_DIR") + "/resources/optimizers/quadratic.json", opt));
        const QByteArray before = bytesOf(opt);
        const QList<QStringList> cases{
            {"eval", "-q", "--runs", "2", "--steps", "3", "--optimizers", "lstm:" + opt, "--json", opt},
            {"eval", "-q", "--runs", "2", "--steps", "3", "--optimizers", "sgd:lr=0.1,lstm:" + opt, "--csv",
             dir + "/../same/o.json"},
            {"export", "--torch", opt, "--out", opt},
            {"select", "-q", "--problem", "quadratic", "--candidates", opt, "--runs", "2", "--steps", "3", "--out",
             opt},
            {"transfer", "-q", "--optimizers", opt, "--runs", "2", "--steps", "3", "--variants", "quadratic:dim=2",
             "--json", opt},
            {"art", "-q", "--size", "16", "--steps", "1", "--optimizer", "lstm:" + dir + "/o.png", "--out",
             dir + "/o.png"}};
        QVERIFY(QFile::copy(opt, dir + "/o.png")); // an optimizer file named like art's output
        for (const QStringList& args : cases) {
            const Run r = l2l(args);
            QVERIFY2(!r.crashed && r.code == 1, qPrintable(args.join(' ') + ": " + r.err));
            QVERIFY2(r.err.contains("which writing there would replace"), qPrintable(r.err));
            QCOMPARE(bytesOf(opt), before);
        }
        QCOMPARE(bytesOf(dir + "/o.png"), before);
        // An experiment file is an input too.
        const Run save =
            l2l({"eval", "-q", "--runs", "2", "--steps", "3", "--optimizers", "sgd:lr=0.1", "--json", dir + "/r.json"});
        QCOMPARE(save.code, 0);
        writeBytes(exp, QByteArray(R"({"format": "l2l-experiment", "version": 1, "problem": "quadratic", "runs": 2,
            "steps": 3, "seed": 1, "optimizers": [{"name": "lstm", "path": "o.json"}]})"));
        const QByteArray expBefore = bytesOf(exp);
        const Run r = l2l({"eval", "-q", "--experiment", exp, "--csv", exp});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("read as the experiment file"), qPrintable(r.err));
        QCOMPARE(bytesOf(exp), expBefore);
    }
    void experimentFilesAreReadAsWritten()
    {
        // A relative optimizer file in an experiment is the one beside the experiment, from any working directory.
        const QString dir = m_tmp.path() + "/rel";
        QVERIFY(QDir().mkpath(dir + "/exp"));
        QVERIFY(QFile::copy(qEnvironmentVariable("L2L_SOURCE_DIR") + "/resources/optimizers/quadratic.json",
                            dir + "/exp/rel.json"));
        writeBytes(dir + "/exp/e.json",
                   QByteArray(R"({"format": "l2l-experiment", "version": 1, "problem": "quadratic", "runs": 2,
            "steps": 3, "seed": 1, "optimizers": [{"name": "lstm", "path": "rel.json"}]})"));
        QProcess p;
        p.setWorkingDirectory(dir); // no rel.json here
        p.start(qEnvironmentVariable("L2L_BIN_DIR") + "/app/l2l", {"eval", "-q", "--experiment", "exp/e.json"});
        QVERIFY(p.waitForFinished(60000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        QVERIFY(QString::fromUtf8(p.readAllStandardOutput()).contains(dir + "/exp/rel.json"));
        // The file's settings are not silently overridden by flags: the combination is refused.
        const Run both = l2l({"eval", "-q", "--experiment", dir + "/exp/e.json", "--runs", "5", "--seed", "7"});
        QCOMPARE(both.code, 1);
        QVERIFY2(both.err.contains("--runs, --seed are set by the experiment file"), qPrintable(both.err));
        const Run opt = l2l({"eval", "-q", "--experiment", dir + "/exp/e.json", "--optimizers", "sgd"});
        QCOMPARE(opt.code, 1);
        QVERIFY2(opt.err.contains("--optimizers is set by the experiment file"), qPrintable(opt.err));
        // A fault found after reading still names the file.
        writeBytes(dir + "/none.json", QByteArray(R"({"format": "l2l-experiment", "version": 1, "problem": "quadratic",
            "runs": 2, "steps": 3, "seed": 1, "optimizers": [{"name": "sgd", "enabled": false}]})"));
        const Run none = l2l({"eval", "-q", "--experiment", dir + "/none.json"});
        QCOMPARE(none.code, 1);
        QVERIFY2(none.err.contains("experiment file '" + dir + "/none.json': experiment: no optimizer is enabled"),
                 qPrintable(none.err));
    }
    void tunedRateOnTheGridsEdgeIsNoted()
    {
        // Gradients scaled by 1e-4: SGD's best rate is the grid's largest, which the log says (a baseline may be
        // under-tuned there); Adam's, inside the grid, gets no note.
        const Run r = l2l({"eval", "--problem", "quadratic:fscale=0.0001", "--optimizers", "sgd,adam", "--runs", "2",
                           "--steps", "5", "--tune-runs", "2", "--no-cache"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("note: sgd's tuned rate 10 is the largest of the grid (0.0001 to 10)"),
                 qPrintable(r.err));
        QVERIFY2(!r.err.contains("note: adam"), qPrintable(r.err));
    }
    void interruptedEvalMarksItsOutputs()
    {
        // Ctrl-C during eval writes what it has, and every output says so: the JSON "cancelled", the CSV a first
        // comment line, the Markdown a closing line (the partial CSV looked exactly like a finished run's).
        const QString dir = m_tmp.path() + "/interrupted";
        QVERIFY(QDir().mkpath(dir));
        QProcess p;
        p.start(qEnvironmentVariable("L2L_BIN_DIR") + "/app/l2l",
                {"eval", "--problem", "mnist", "--optimizers", "sgd:lr=0.01", "--runs", "2", "--steps", "100000",
                 "--threads", "1", "--csv", dir + "/e.csv", "--markdown", dir + "/e.md", "--json", dir + "/e.json"});
        QVERIFY(p.waitForStarted());
        p.setReadChannel(QProcess::StandardError);
        QByteArray err;
        do err += p.readAllStandardError();
        while (!err.contains("evaluating") && p.waitForReadyRead(60000));
        QVERIFY2(err.contains("evaluating"), err.constData());
        QTest::qWait(1000); // some steps done, even on a loaded machine (the whole run would take minutes)
        ::kill(pid_t(p.processId()), SIGINT);
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 130);
        const QList<QByteArray> csv = bytesOf(dir + "/e.csv").split('\n');
        QVERIFY2(csv.size() > 2 && csv[0].startsWith("# interrupted at step ") &&
                     csv[0].endsWith(" of 100000: partial results"),
                 csv.value(0).constData());
        QCOMPARE(csv[1], QByteArray("optimizer,learning_rate,step,loss_mean,loss_std,loss_median,runs_counted"));
        QVERIFY(bytesOf(dir + "/e.md").trimmed().endsWith("of 100000: partial results.*"));
        QVERIFY(QJsonDocument::fromJson(bytesOf(dir + "/e.json")).object()["cancelled"].toBool());
        // A finished run's CSV has no such line.
        const Run done = l2l({"eval", "-q", "--problem", "quadratic", "--optimizers", "sgd:lr=0.01", "--runs", "2",
                              "--steps", "5", "--csv", dir + "/f.csv", "--markdown", dir + "/f.md"});
        QVERIFY2(done.code == 0, qPrintable(done.err));
        QVERIFY(bytesOf(dir + "/f.csv").startsWith("optimizer,"));
        QVERIFY(!bytesOf(dir + "/f.md").contains("partial"));
    }
    // On a terminal, an epoch that lasts shows how far it has got after the bar ("epoch 1: 34 % done"; an MNIST
    // epoch with a large meta-batch showed nothing for minutes). A terminal from script(1) (util-linux, essential in
    // Debian).
    void trainShowsProgressInsideAnEpoch()
    {
        const QString out = m_tmp.path() + "/inside.json";
        const QString command = QStringLiteral("'%1/app/l2l' train --problem mnist --epochs 1 --meta-batch 4 "
                                               "--validation-runs 2 --out '%2'")
                                    .arg(qEnvironmentVariable("L2L_BIN_DIR"), out);
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("L2L_TEST_EPOCH_TICK"), QStringLiteral("1")); // every 0.1 s from the start
        p.setProcessEnvironment(env);
        p.start(QStringLiteral("script"), {QStringLiteral("-qec"), command, QStringLiteral("/dev/null")});
        QVERIFY(p.waitForFinished(300000));
        const QString text = QString::fromUtf8(p.readAllStandardOutput());
        QCOMPARE(p.exitCode(), 0);
        QVERIFY2(QRegularExpression(QStringLiteral("epoch 1: [0-9]+ % done")).match(text).hasMatch(), qPrintable(text));
        QVERIFY(QFile::exists(out));
    }
    void trainWritesOnlyAValidatedOptimizer()
    {
        const QString dir = m_tmp.path() + "/validated", out = dir + "/good.json";
        QVERIFY(QDir().mkpath(dir));
        QVERIFY(QFile::copy(qEnvironmentVariable("L2L_SOURCE_DIR") + "/resources/optimizers/quadratic.json", out));
        const QByteArray before = bytesOf(out);
        // Ctrl-C before the first validation: nothing validated, the good file at --out stays.
        QProcess p;
        p.start(
            qEnvironmentVariable("L2L_BIN_DIR") + "/app/l2l",
            {"train", "--problem", "quadratic", "--epochs", "10000000", "--validate-every", "10000000", "--out", out});
        QVERIFY(p.waitForStarted());
        p.setReadChannel(QProcess::StandardError); // what waitForReadyRead waits for
        QByteArray err;
        do // what arrived while starting is already buffered: read before waiting
            err += p.readAllStandardError();
        while (!err.contains("training") && p.waitForReadyRead(60000));
        QVERIFY2(err.contains("training"), err.constData()); // the handler is in place before this line
        QTest::qWait(300);
        ::kill(pid_t(p.processId()), SIGINT);
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 130);
        err += p.readAllStandardError();
        QVERIFY2(err.contains("before any validation") && err.contains("is left as it was"), err.constData());
        QCOMPARE(bytesOf(out), before);
        QVERIFY(QFile::exists(out + ".checkpoint.json")); // which resumes it
        // Weights whose every validation diverges: exit 1 and no optimizer written.
        QJsonObject doc = QJsonDocument::fromJson(before).object();
        QJsonArray huge;
        for (const auto& w : doc["weights"].toArray()) {
            (void)w;
            huge.append(3e38);
        }
        QVERIFY(!huge.isEmpty());
        doc["weights"] = huge;
        writeBytes(dir + "/huge.json", QJsonDocument(doc).toJson());
        const Run r = l2l({"train", "-q", "--problem", "quadratic", "--epochs", "2", "--init", dir + "/huge.json",
                           "--out", dir + "/never.json"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("no validation was finite"), qPrintable(r.err));
        QVERIFY(!QFile::exists(dir + "/never.json"));
    }
    void damagedTuningCacheKeepsWhatItCan()
    {
        const QString dir = m_tmp.path() + "/cache", cache = dir + "/c.json";
        QVERIFY(QDir().mkpath(dir));
        QCOMPARE(
            l2l({"tune", "-q", "--optimizers", "sgd,adam", "--steps", "7", "--tune-runs", "2", "--cache", cache}).code,
            0);
        QJsonObject doc = QJsonDocument::fromJson(bytesOf(cache)).object();
        QJsonObject entries = doc["entries"].toObject();
        QCOMPARE(entries.size(), 2);
        entries["junk"] = QJsonObject{};
        doc["entries"] = entries;
        writeBytes(cache, QJsonDocument(doc).toJson());
        const QByteArray damaged = bytesOf(cache);
        // The readable entries are still used; the bad one is named.
        const Run r = l2l(
            {"eval", "--optimizers", "sgd,adam", "--steps", "7", "--tune-runs", "2", "--runs", "2", "--cache", cache});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.err.contains("1 of 3 entries cannot be used") && r.err.contains("entry 'junk'"), qPrintable(r.err));
        QCOMPARE(r.err.count("cached rate"), 2);
        QCOMPARE(bytesOf(cache), damaged); // nothing tuned, nothing written
        // A new tuning writes the cache again, after copying the damaged file aside.
        const Run more = l2l({"eval", "-q", "--optimizers", "rmsprop", "--steps", "7", "--tune-runs", "2", "--runs",
                              "2", "--cache", cache});
        QCOMPARE(more.code, 0);
        QCOMPARE(bytesOf(cache + ".unreadable"), damaged);
        QCOMPARE(QJsonDocument::fromJson(bytesOf(cache)).object()["entries"].toObject().size(), 3);
        // An entry whose best rate is not its grid's best is not used as "tuned".
        doc = QJsonDocument::fromJson(bytesOf(cache)).object();
        entries = doc["entries"].toObject();
        for (const QString& key : entries.keys())
            if (key.contains("| sgd |")) {
                QJsonObject e = entries[key].toObject();
                e["best_rate"] = 7.77;
                entries[key] = e;
            }
        doc["entries"] = entries;
        writeBytes(cache, QJsonDocument(doc).toJson());
        const Run off =
            l2l({"eval", "--optimizers", "sgd", "--steps", "7", "--tune-runs", "2", "--runs", "2", "--cache", cache});
        QCOMPARE(off.code, 0);
        QVERIFY2(off.err.contains("is not the grid's best rate"), qPrintable(off.err));
        QVERIFY2(!off.err.contains("cached rate") && !off.out.contains("7.77"), qPrintable(off.err + off.out));
        QCOMPARE(bytesOf(cache + ".unreadable.1").isEmpty(), false); // the second damaged file kept as well
    }
    void seedsAndSpecValuesAreCheckedEverywhere()
    {
        const QString out = m_tmp.path() + "/never.png",
                      opt = qEnvironmentVariable("L2L_SOURCE_DIR") + "/resources/optimizers/quadratic.json";
        const QList<QStringList> seeds{
            {"select", "--problem", "quadratic", "--candidates", opt, "--out", m_tmp.path() + "/never.json"},
            {"transfer", "--optimizers", opt, "--variants", "quadratic:dim=2"},
            {"art", "--size", "16", "--steps", "1", "--out", out}};
        for (const QStringList& base : seeds)
            for (const QString seed : {"-1", "18446744073709551616", "-18446744073709551615"}) {
                const Run r = l2l(QStringList(base) << "--seed" << seed);
                QVERIFY2(!r.crashed && r.code == 1, qPrintable(base.first() + " " + seed + ": " + r.err));
                QVERIFY2(r.err.contains("must be an integer in [0, 2^64 - 1]"), qPrintable(r.err));
            }
        // A ',' would start another option of the problem spec: refused, not read as beta=0.
        const Run style = l2l({"art", "--size", "16", "--steps", "1", "--style", "scream,beta=0", "--out", out});
        QCOMPARE(style.code, 1);
        QVERIFY2(style.err.contains("--style 'scream,beta=0': a ',' cannot be part of a value"), qPrintable(style.err));
        const Run twice =
            l2l({"art", "--size", "16", "--steps", "1", "--optimizer", "adam:lr=0.1", "--lr", "0.5", "--out", out});
        QCOMPARE(twice.code, 1);
        QVERIFY2(twice.err.contains("both set the rate"), qPrintable(twice.err));
        QVERIFY(!QFile::exists(out));
        // transfer --json - leaves standard output to the JSON alone.
        const Run json = l2l({"transfer", "-q", "--optimizers", opt, "--runs", "2", "--steps", "2", "--variants",
                              "quadratic:dim=2", "--json", "-"});
        QCOMPARE(json.code, 0);
        QJsonParseError error;
        QJsonDocument::fromJson(json.out.toUtf8(), &error);
        QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(json.out.left(300)));
    }
    void upperCaseExtensionsAndNoTestColumns()
    {
        // .PNG is a PNG (the writers read the extension without case); --no-test shows no test columns.
        const QString plot = m_tmp.path() + "/upper.PNG", art = m_tmp.path() + "/art.PNG";
        const Run r = l2l({"eval", "-q", "--optimizers", "sgd:lr=0.1", "--runs", "2", "--steps", "3", "--plot", plot});
        QVERIFY2(r.code == 0 && QImage(plot).width() > 100, qPrintable(r.err));
        const Run a = l2l({"art", "-q", "--size", "16", "--steps", "1", "--optimizer", "adam:lr=0.1", "--out", art});
        QVERIFY2(a.code == 0 && QImage(art).width() >= 16, qPrintable(a.err));
        QVERIFY2(a.out.contains(": 1 step\n"), qPrintable(a.out));
        const Run withTest =
            l2l({"eval", "-q", "--problem", "mnist", "--optimizers", "adam:lr=0.01", "--runs", "2", "--steps", "2"});
        QVERIFY2(withTest.code == 0 && withTest.out.contains("test loss"), qPrintable(withTest.err));
        const Run noTest = l2l({"eval", "-q", "--problem", "mnist", "--optimizers", "adam:lr=0.01", "--runs", "2",
                                "--steps", "2", "--no-test"});
        QVERIFY2(noTest.code == 0 && !noTest.out.contains("test loss"), qPrintable(noTest.out));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
