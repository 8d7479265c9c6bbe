// Lesson files: the bundled lecture loads and round-trips, is current with its generator's examples, and every
// kind of bad file is refused with a message naming the file, the slide and the field.
#include "ExpectError.h"
#include "base/AtomicFile.h"
#include "base/Resources.h"
#include "io/LessonFile.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace l2l;
using l2l::test::expectError;

class TestLessonFile : public QObject {
    Q_OBJECT
private slots:
    void bundledLessonLoadsAndRoundTrips();
    void badFilesAreRejected_data();
    void badFilesAreRejected();
    void failedSaveKeepsOldFile();

private:
    QTemporaryDir m_tmp;
};

namespace {
std::string bundled() { return resourceDir() + "/lessons/learning-to-learn.json"; }
} // namespace

void TestLessonFile::bundledLessonLoadsAndRoundTrips()
{
    const Lesson lesson = loadLesson(bundled());
    QVERIFY(lesson.slides.size() >= 10);
    int withFigure = 0, running = 0;
    for (const Slide& s : lesson.slides) {
        QVERIFY(!s.title.empty());
        QVERIFY(!s.text.empty());
        // The strip shows plain text: TeX indices would appear raw ("θ_{t+1}" did, on slide 3).
        for (const char* tex : {"_{", "^{", "\\", "$"})
            QVERIFY2(s.text.find(tex) == std::string::npos && s.title.find(tex) == std::string::npos,
                     (s.title + ": " + tex).c_str());
        withFigure += s.experiment.has_value();
        running += s.action != SlideAction::None;
    }
    QVERIFY(withFigure >= 10);
    QVERIFY(running >= 5);
    const std::string path = m_tmp.filePath("copy.json").toStdString();
    saveLesson(path, lesson);
    QCOMPARE(lessonToJson(loadLesson(path)), lessonToJson(lesson));
}

void TestLessonFile::badFilesAreRejected_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    const QString good = QString::fromStdString(lessonToJson(loadLesson(bundled())));
    QTest::newRow("empty") << QString() << "not valid JSON";
    QTest::newRow("truncated") << good.left(good.size() / 2) << "not valid JSON";
    QTest::newRow("experiment file") << R"({"format": "l2l-experiment", "version": 1})"
                                     << "not an l2l lesson";
    QTest::newRow("version 2") << R"({"format": "l2l-lesson", "version": 2, "slides": []})"
                               << "version 2";
    QTest::newRow("no slides") << R"({"format": "l2l-lesson", "version": 1, "slides": []})"
                               << "\"slides\" is empty";
    QTest::newRow("slides object") << R"({"format": "l2l-lesson", "version": 1, "slides": {}})"
                                   << "\"slides\" must be an array";
    QTest::newRow("slide not object") << R"({"format": "l2l-lesson", "version": 1, "slides": [3]})"
                                      << "slide 1 must be an object";
    QTest::newRow("slide without title") << R"({"format": "l2l-lesson", "version": 1, "slides": [{"text": "x"}]})"
                                         << "slide 1: \"title\" is missing";
    QTest::newRow("unknown key") << R"({"format": "l2l-lesson", "version": 1, "slides": [{"title": "a", "zoom": 2}]})"
                                 << "slide 1 (\"a\"): unknown key \"zoom\"";
    QTest::newRow("bad action") << QString(good).replace("\"action\": \"play\"", "\"action\": \"dance\"")
                                << "slide 1 (\"Gradient descent and its learning rate\"): \"action\" must be one of";
    QTest::newRow("bad step") << R"({"format": "l2l-lesson", "version": 1, "slides": [{"title": "a", "step": -3}]})"
                              << "slide 1 (\"a\"): key \"step\" must be an integer in [0, 100000]";
    QTest::newRow("long text") << QStringLiteral(R"({"format": "l2l-lesson", "version": 1, "slides": [{"title": "a", )"
                                                 R"("text": "%1"}]})")
                                      .arg(QString(5000, 'x'))
                               << "\"text\" is longer than 4000 characters";
    QTest::newRow("bad experiment") << QString(good).replace("\"ill-conditioned\"", "\"mnist\"")
                                    << "slide 1 (\"Gradient descent and its learning rate\"): experiment: "
                                       "trajectory function 'mnist' is not a 2-d function";
    QTest::newRow("experiment runs 0") << QString(good).replace("\"runs\": 5", "\"runs\": 0")
                                       << "(\"Results: an MLP on MNIST\"): experiment: key \"runs\" must be an integer";
}

void TestLessonFile::badFilesAreRejected()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    const std::string path = m_tmp.filePath("bad.json").toStdString();
    writeFileAtomically(path, text.toStdString());
    expectError([&] { loadLesson(path); }, {QString::fromStdString(path), expected});
}

void TestLessonFile::failedSaveKeepsOldFile()
{
    const std::string path = m_tmp.filePath("keep.json").toStdString();
    Lesson lesson = loadLesson(bundled());
    saveLesson(path, lesson);
    const std::string before = readFile(path);
    lesson.slides[2].step = -7;
    expectError([&] { saveLesson(path, lesson); }, {"slide 3", "step"});
    lesson.slides.clear();
    expectError([&] { saveLesson(path, lesson); }, {"no slides"});
    QCOMPARE(readFile(path), before);
}

QTEST_APPLESS_MAIN(TestLessonFile)
#include "test_lesson_file.moc"
