// Safe saving (core/base/AtomicFile.h): a save replaces only regular files, follows symbolic links (the link
// stays a link), refuses FIFOs and directories without touching them, cleans temporary files left by killed
// saves, and checkOutputPath refuses the same paths before a long run.
#include "ExpectError.h"
#include "base/AtomicFile.h"
#include "base/JsonLimits.h"
#include "io/ExperimentFile.h"
#include "io/LessonFile.h"
#include "meta/MetaTrainer.h"
#include "optimizers/OptimizerFile.h"

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <sys/stat.h>

using namespace l2l;
using l2l::test::expectError;
namespace fs = std::filesystem;

class TestAtomicFile : public QObject {
    Q_OBJECT
private slots:
    void replacesRegularFile();
    void followsSymlinkAndKeepsIt();
    void refusesFifoAndDirectory();
    void removesStaleTemporaries();
    void checkOutputPathRefusesBeforeRuns();
    void readFileRefusesDevicesAndHugeFiles();
    void deepJsonIsRefusedByEveryLoader();

private:
    std::string path(const char* name) const { return m_tmp.filePath(name).toStdString(); }
    QTemporaryDir m_tmp;
};

void TestAtomicFile::replacesRegularFile()
{
    const std::string p = path("a/b/plain.json"); // missing folders are created
    writeFileAtomically(p, "one");
    writeFileAtomically(p, "two");
    QCOMPARE(readFile(p), std::string("two"));
    QCOMPARE(std::distance(fs::directory_iterator(fs::path(p).parent_path()), fs::directory_iterator()), 1L);
}

void TestAtomicFile::followsSymlinkAndKeepsIt()
{
    const std::string target = path("target.json"), link = path("link.json");
    writeFileAtomically(target, "old");
    fs::create_symlink(target, link);
    writeFileAtomically(link, "new");
    QVERIFY(fs::is_symlink(link));
    QCOMPARE(readFile(target), std::string("new"));
    // A dangling link: its target is created.
    const std::string dangling = path("dangling.json"), missing = path("created-through-link.json");
    fs::create_symlink(missing, dangling);
    writeFileAtomically(dangling, "x");
    QVERIFY(fs::is_symlink(dangling));
    QCOMPARE(readFile(missing), std::string("x"));
}

void TestAtomicFile::refusesFifoAndDirectory()
{
    // A FIFO stands for every non-regular file (a device such as /dev/null is refused by the same check; the
    // test does not touch real devices).
    const std::string fifo = path("pipe");
    QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
    expectError([&] { writeFileAtomically(fifo, "x"); }, {QString::fromStdString(fifo), "a FIFO", "left untouched"});
    QVERIFY(fs::is_fifo(fifo));
    const std::string link = path("link-to-pipe");
    fs::create_symlink(fifo, link);
    expectError([&] { writeFileAtomically(link, "x"); }, {"a FIFO"});
    QVERIFY(fs::is_fifo(fifo) && fs::is_symlink(link));
    const std::string dir = path("folder");
    fs::create_directory(dir);
    expectError([&] { writeFileAtomically(dir, "x"); }, {"a directory"});
    expectError([&] { writeFileAtomically(dir + "/", "x"); }, {"names a directory"});
    QVERIFY(fs::is_directory(dir));
    QVERIFY(fs::is_empty(dir));
    // Nothing was left behind by the refusals.
    for (const auto& e : fs::directory_iterator(m_tmp.path().toStdString()))
        QVERIFY2(e.path().string().find(".tmp") == std::string::npos, e.path().c_str());
}

void TestAtomicFile::removesStaleTemporaries()
{
    const std::string p = path("saved.json");
    // A temporary of a process that cannot exist (above any pid_max) is stale; one of a live process (1) is kept.
    writeFileAtomically(p + ".tmp999999999", "stale");
    QVERIFY(fs::exists(p + ".tmp999999999"));
    {
        std::FILE* f = std::fopen((p + ".tmp1").c_str(), "w");
        QVERIFY(f);
        std::fclose(f);
    }
    writeFileAtomically(p, "fresh");
    QVERIFY(!fs::exists(p + ".tmp999999999"));
    QVERIFY(fs::exists(p + ".tmp1"));
    QCOMPARE(readFile(p), std::string("fresh"));
}

void TestAtomicFile::checkOutputPathRefusesBeforeRuns()
{
    checkOutputPath(path("new/deeper/out.json"), "--out"); // creatable: fine
    {
        // Relative, in a missing folder: the same rule however it is spelt ("nd/a.json" said "'nd' is not a
        // directory" while "./nd/a.json" was created).
        const fs::path before = fs::current_path();
        fs::current_path(m_tmp.path().toStdString());
        for (const char* relative : {"nd/a.json", "./nd/a.json", "nd/deeper/a.json"})
            checkOutputPath(relative, "--out");
        writeFileAtomically("nd/a.json", "x");
        QCOMPARE(readFile("nd/a.json"), std::string("x"));
        fs::current_path(before);
    }
    const std::string fifo = path("pipe2");
    QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
    expectError([&] { checkOutputPath(fifo, "--json"); }, {"--json", QString::fromStdString(fifo), "a FIFO"});
    expectError([&] { checkOutputPath(m_tmp.path().toStdString(), "--out"); }, {"--out", "a directory"});
    expectError([&] { checkOutputPath("/", "--out"); }, {"--out '/'", "names a directory"});
    const std::string file = path("plain-file");
    writeFileAtomically(file, "x");
    expectError([&] { checkOutputPath(file + "/inside.json", "--out"); }, {"is not a directory"});
}

// Reading /dev/zero or a FIFO would never end; a file larger than its kind allows is refused from its size,
// before anything is allocated (a sparse 300 MiB file costs no disk).
void TestAtomicFile::readFileRefusesDevicesAndHugeFiles()
{
    expectError([&] { readFile("/dev/zero"); }, {"/dev/zero", "a device, not a regular file"});
    const std::string fifo = path("pipe3");
    QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
    expectError([&] { readFile(fifo); }, {"a FIFO"});
    const std::string huge = path("huge.json");
    writeFileAtomically(huge, "{");
    fs::resize_file(huge, std::uintmax_t(300) << 20);
    expectError([&] { readFile(huge); }, {QString::fromStdString(huge), "314572800 bytes, more than the 268435456"});
    expectError([&] { loadOptimizer(huge); }, {"more than the 67108864"});
    expectError([&] { loadExperiment(huge); },
                {"more than the 33554432"}); // 32 MiB: an experiment may hold its results
    expectError([&] { loadLesson(huge); }, {"more than the 33554432"});
    expectError([&] { loadOptimizer("/dev/zero"); }, {"/dev/zero"});
    QCOMPARE(excerpt(std::string(1000, 'x'), 10), std::string("xxxxxxxxxx..."));
    QCOMPARE(excerpt("a\nb"), std::string("a?b"));
}

// 100,000 nested brackets used to overflow the stack in the parser or in an error message's dump().
void TestAtomicFile::deepJsonIsRefusedByEveryLoader()
{
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    const std::string p = path("deep.json");
    writeFileAtomically(p, R"({"format": "l2l-optimizer", "version": 1, "weights": )" + deep + "}");
    expectError([&] { loadOptimizer(p); }, {QString::fromStdString(p), "nested deeper than 64 levels"});
    writeFileAtomically(p, R"({"format": "l2l-experiment", "version": 1, "optimizers": )" + deep + "}");
    expectError([&] { loadExperiment(p); }, {QString::fromStdString(p), "nested deeper than 64 levels"});
    writeFileAtomically(p, R"({"format": "l2l-lesson", "version": 1, "slides": )" + deep + "}");
    expectError([&] { loadLesson(p); }, {QString::fromStdString(p), "nested deeper than 64 levels"});
    writeFileAtomically(p, R"({"format": "l2l-train-checkpoint", "version": 1, "current": )" + deep + "}");
    expectError([&] { loadCheckpoint(p); }, {QString::fromStdString(p), "nested deeper than 64 levels"});
    QCOMPARE(fileFormatOf(deep), std::string());
    // Brackets inside strings do not count, and 64 levels are fine.
    const std::string ok = std::string(64, '[') + R"("[[[[{{{{\"]]")" + std::string(64, ']');
    QVERIFY(parseJsonLimited(ok, "text").is_array());
    expectError([&] { parseJsonLimited("[" + ok + "]", "text"); }, {"text is nested deeper than 64"});
}

QTEST_APPLESS_MAIN(TestAtomicFile)
#include "test_atomic_file.moc"
