// The IDX loader on the real data sets and on corrupt files written here.
#include "ExpectError.h"
#include "TimeLimits.h"
#include "base/Types.h"
#include "data/Cifar.h"
#include "data/Dataset.h"
#include "data/Idx.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QtTest>
#include <zlib.h>

#include <filesystem>
#include <fstream>

using namespace l2l;

namespace {
void writeBytes(const std::string& path, const std::vector<unsigned char>& bytes)
{
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

// A valid IDX images file of n images of r x c (pixel = index), optionally cut or extended.
std::vector<unsigned char> idxImages(int n, int r, int c)
{
    std::vector<unsigned char> b = {0, 0, 8, 3};
    for (int d : {n, r, c})
        for (int s = 24; s >= 0; s -= 8) b.push_back((unsigned char)((d >> s) & 0xff));
    for (int i = 0; i < n * r * c; ++i) b.push_back((unsigned char)(i & 0xff));
    return b;
}

std::vector<unsigned char> idxLabels(const std::vector<unsigned char>& labels)
{
    std::vector<unsigned char> b = {0, 0, 8, 1, 0, 0, 0, (unsigned char)labels.size()};
    for (unsigned char l : labels) b.push_back(l); // (not insert(): GCC 12 warns falsely, -Warray-bounds)
    return b;
}

} // namespace

class TestIdx : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    std::string path(const char* name) { return (m_dir.path() + "/" + name).toStdString(); }

private slots:
    void realMnist()
    {
        const std::string dir = findDatasetDir("mnist");
        const auto set = loadDataset(dir);
        QCOMPARE(set->train.count(), 60000);
        QCOMPARE(set->test.count(), 10000);
        QCOMPARE(set->train.rows, 28);
        QCOMPARE(set->train.cols, 28);
        // Known first labels of the canonical files: train 5, 0, 4, 1; test 7, 2, 1, 0.
        QCOMPARE(int(set->train.labels[0]), 5);
        QCOMPARE(int(set->train.labels[3]), 1);
        QCOMPARE(int(set->test.labels[0]), 7);
        QCOMPARE(int(set->test.labels[3]), 0);
        std::vector<int> counts(10, 0);
        for (auto l : set->train.labels) ++counts[l];
        QCOMPARE(counts[1], 6742); // the canonical class counts
        QCOMPARE(counts[5], 5421);
        QVERIFY(loadDataset(dir).get() == set.get()); // cached
    }
    void realFashionMnistGzipped()
    {
        const std::string dir = findDatasetDir("fashion-mnist");
        const auto set = loadDataset(dir);
        QCOMPARE(set->train.count(), 60000);
        QCOMPARE(set->test.count(), 10000);
        QCOMPARE(int(set->train.labels[0]), 9); // ankle boot
        QCOMPARE(int(set->test.labels[0]), 9);
    }
    void roundTripPlainAndGzip()
    {
        writeBytes(path("a.idx"), idxImages(3, 2, 2));
        const IdxArray a = readIdx(path("a.idx"));
        QCOMPARE(a.shape, (std::vector<std::uint32_t>{3, 2, 2}));
        QCOMPARE(int(a.data[5]), 5);
        const auto bytes = idxImages(3, 2, 2);
        gzFile gz = gzopen(path("a.idx.gz").c_str(), "wb");
        gzwrite(gz, bytes.data(), unsigned(bytes.size()));
        gzclose(gz);
        QCOMPARE(readIdx(path("a.idx.gz")).data, a.data);
    }
    void corruptFiles()
    {
        l2l::test::expectError([&] { readIdx(path("missing")); }, {"missing", "does not exist"});
        writeBytes(path("empty"), {});
        l2l::test::expectError([&] { readIdx(path("empty")); }, {"empty", "empty or truncated"});
        writeBytes(path("magic"), {1, 2, 8, 1, 0, 0, 0, 1, 7});
        l2l::test::expectError([&] { readIdx(path("magic")); }, {"magic", "bad magic number"});
        writeBytes(path("type"), {0, 0, 0x0D, 1, 0, 0, 0, 1, 7});
        l2l::test::expectError([&] { readIdx(path("type")); }, {"type", "only unsigned bytes"});
        auto cut = idxImages(3, 2, 2);
        cut.resize(cut.size() - 3);
        writeBytes(path("cut"), cut);
        l2l::test::expectError([&] { readIdx(path("cut")); },
                               {"cut", "truncated: header declares 12 bytes of data, found 9"});
        auto longer = idxImages(3, 2, 2);
        longer.push_back(0);
        writeBytes(path("long"), longer);
        l2l::test::expectError([&] { readIdx(path("long")); }, {"long", "trailing bytes"});
        auto header = idxImages(3, 2, 2);
        header.resize(9);
        writeBytes(path("header"), header);
        l2l::test::expectError([&] { readIdx(path("header")); }, {"header", "truncated in its header"});
        // A gzip stream whose body is damaged.
        const auto bytes = idxImages(50, 10, 10);
        gzFile gz = gzopen(path("bad.gz").c_str(), "wb");
        gzwrite(gz, bytes.data(), unsigned(bytes.size()));
        gzclose(gz);
        std::fstream f(path("bad.gz"), std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(30);
        f.write("garbagegarbage", 14);
        f.close();
        l2l::test::expectError([&] { readIdx(path("bad.gz")); }, {"bad.gz", ""});
    }
    // A header that lies about its size costs memory only for the data that is really there.
    void lyingHeaderDoesNotAllocate()
    {
        // 4 images of 16384 x 16384 declared (1 GiB), 10 bytes present.
        std::vector<unsigned char> b = {0, 0, 8, 3, 0, 0, 0, 4, 0, 0, 0x40, 0, 0, 0, 0x40, 0};
        for (int i = 0; i < 10; ++i) b.push_back(7);
        writeBytes(path("lying"), b);
        QElapsedTimer clock;
        clock.start();
        l2l::test::expectError([&] { readIdx(path("lying")); },
                               {"lying", "truncated: header declares 1073741824 bytes of data, found 10"});
        QVERIFY2(clock.elapsed() < l2l::test::msLimit(2000), qPrintable(QString::number(clock.elapsed())));
    }
    // A CIFAR-10 batch larger than the whole data set is refused from its size, before it is read.
    void hugeCifarFileIsRefusedBeforeReading()
    {
        const std::string big = path("data_batch_1.bin");
        {
            std::ofstream create(big);
        }
        std::filesystem::resize_file(big, std::uintmax_t(3073) * 70000); // sparse: no disk space used
        l2l::test::expectError([&] { readCifarBatches({big}); }, {"data_batch_1.bin", "more than the"});
        std::filesystem::resize_file(big, 3073 * 2 + 5);
        l2l::test::expectError([&] { readCifarBatches({big}); }, {"data_batch_1.bin", "not a whole number"});
    }
    void inconsistentSets()
    {
        writeBytes(path("img"), idxImages(3, 2, 2));
        writeBytes(path("lab2"), idxLabels({1, 2}));
        l2l::test::expectError([&] { readImageSet(path("img"), path("lab2")); }, {"3 images but 2 labels", "lab2"});
        writeBytes(path("lab3"), idxLabels({1, 12, 3}));
        l2l::test::expectError([&] { readImageSet(path("img"), path("lab3")); }, {"label 12 at index 1", "lab3"});
        l2l::test::expectError([&] { readImageSet(path("lab3"), path("lab3")); }, {"should hold images", "lab3"});
    }
    void corruptDataDirectory()
    {
        // A data directory whose train images are truncated: the problem factory names the file.
        QTemporaryDir dir;
        const std::string d = dir.path().toStdString();
        auto cut = idxImages(4, 28, 28);
        cut.resize(cut.size() - 100);
        writeBytes(d + "/train-images-idx3-ubyte", cut);
        writeBytes(d + "/train-labels-idx1-ubyte", idxLabels({1, 2, 3, 4}));
        l2l::test::expectError([&] { loadDataset(d); }, {"t10k-images-idx3-ubyte", "has no"});
        writeBytes(d + "/t10k-images-idx3-ubyte", idxImages(4, 28, 28));
        writeBytes(d + "/t10k-labels-idx1-ubyte", idxLabels({1, 2, 3, 4}));
        l2l::test::expectError([&] { loadDataset(d); }, {"train-images-idx3-ubyte", "truncated"});
    }
};

QTEST_APPLESS_MAIN(TestIdx)
#include "test_idx.moc"
