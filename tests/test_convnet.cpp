// The convnet problem: every layer's hand-written backward (convolution, max-pool, batch norm, fully
// connected + softmax cross-entropy) and the whole net against central differences in double, the
// CIFAR-10 loader on files written here, class subsets, the parameter groups, thread-count
// independence, a short Adam run, and the spec.
#include "ExpectError.h"
#include "GradCheck.h"
#include "base/AtomicFile.h"
#include "data/Cifar.h"
#include "nn/ConvLayers.h"
#include "nn/Mlp.h"
#include "optimizers/UpdateRule.h"
#include "problems/ConvNetProblem.h"

#include <QDir>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QtTest>

#include <thread>

using namespace l2l;
using l2l::test::checkGradient;
using l2l::test::expectError;

namespace {
using MatD = Mat<double>;
using VecD = Vec<double>;

MatD randomMat(Index rows, Index cols, std::uint64_t seed)
{
    Rng rng(seed);
    MatD m(rows, cols);
    for (Index i = 0; i < m.size(); ++i) m.data()[i] = rng.normal();
    return m;
}

// theta = the concatenation of the given matrices' values (column-major); unpack() views them back.
VecD pack(std::initializer_list<const MatD*> parts)
{
    Index n = 0;
    for (const MatD* p : parts) n += p->size();
    VecD v(n);
    n = 0;
    for (const MatD* p : parts) v.segment(n, p->size()) = Eigen::Map<const VecD>(p->data(), p->size()), n += p->size();
    return v;
}

void reportAndCheck(const char* what, const l2l::test::GradCheckResult& r, double tol)
{
    qInfo("%s: max rel err %.3g, dir rel err %.3g over %d coordinates", what, r.maxRelError, r.maxDirRelError,
          r.checked);
    QVERIFY2(r.maxRelError < tol, what);
    QVERIFY2(r.maxDirRelError < tol, what);
}

// One CIFAR-10 record: the label, then R, G, B planes whose pixel i of image `id` is (id + 7 c + i) % 256.
std::string cifarRecord(int label, int id)
{
    std::string r(1, char(label));
    for (int c = 0; c < 3; ++c)
        for (int i = 0; i < 1024; ++i) r += char((id + 7 * c + i) % 256);
    return r;
}

std::string cifarBatch(int first, int count, int classes = 10)
{
    std::string out;
    for (int id = first; id < first + count; ++id) out += cifarRecord(id % classes, id);
    return out;
}

// A small net for the whole-net checks: 2 conv layers on odd-sized 2-channel images, 2 chunks of images.
ConvNetShape smallShape()
{
    ConvNetShape s;
    s.height = 9, s.width = 7, s.inChannels = 2;
    s.convLayers = 2, s.channels = 3, s.kernel = 3, s.fcUnits = 5, s.classes = 4;
    return s;
}
} // namespace

class TestConvNet : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    std::string tmp(const std::string& name) const { return m_tmp.path().toStdString() + "/" + name; }

private slots:
    void convolutionGradient_data()
    {
        QTest::addColumn<int>("kernel");
        QTest::newRow("3x3") << 3;
        QTest::newRow("5x5") << 5;
        QTest::newRow("7x7 on a 6x5 grid (wider than the image)") << 7;
    }
    void convolutionGradient()
    {
        // f(x, w, b) = <R, conv_same(x) w + b> over 2 images of 6x5 with 2 channels in, 3 out.
        QFETCH(int, kernel);
        const int h = 6, w = 5, hw = h * w, images = 2, cin = 2, cout = 3, k2 = kernel * kernel;
        const MatD x0 = randomMat(images * hw, cin, 1), w0 = randomMat(k2 * cin, cout, 2), b0 = randomMat(cout, 1, 3);
        const MatD readOut = randomMat(images * hw, cout, 4);
        MatD cols(images * hw, k2 * cin), out(images * hw, cout), dcols(images * hw, k2 * cin), dx(images * hw, cin),
            dw(k2 * cin, cout);
        VecD db(cout);
        auto conv = [&](const VecD& t, VecD* g) {
            Eigen::Map<const MatD> x(t.data(), images * hw, cin), wt(t.data() + x.size(), k2 * cin, cout);
            Eigen::Map<const VecD> b(t.data() + x.size() + wt.size(), cout);
            for (int i = 0; i < images; ++i)
                im2col<double>(x.middleRows(i * hw, hw), h, w, kernel, cols.middleRows(i * hw, hw));
            denseForward<double>(cols, wt, b, out);
            if (g) {
                denseBackwardParams<double>(cols, readOut, dw, db);
                denseBackwardInput<double>(readOut, wt, dcols);
                for (int i = 0; i < images; ++i)
                    col2im<double>(dcols.middleRows(i * hw, hw), h, w, kernel, dx.middleRows(i * hw, hw));
                *g = pack({&dx, &dw});
                g->conservativeResize(g->size() + cout);
                g->tail(cout) = db;
            }
            return out.cwiseProduct(readOut).sum();
        };
        reportAndCheck(qPrintable(QString("conv %1x%1 + bias").arg(kernel)),
                       checkGradient(conv, pack({&x0, &w0, &b0}), 100000, 5, 1e-5), 1e-7);
    }
    void convolutionMatchesDirectSum()
    {
        // im2col + GEMM against the definition out(y, x) = sum w(c, ky, kx) in(c, y + ky - 2, x + kx - 2).
        const int h = 5, w = 6, k = 5, cin = 2;
        const MatD x = randomMat(h * w, cin, 5), wt = randomMat(k * k * cin, 1, 6);
        MatD cols(h * w, k * k * cin), out(h * w, 1);
        im2col<double>(x, h, w, k, cols);
        denseForward<double>(cols, wt, VecD::Zero(1), out);
        // Double, two summation orders of at most 50 products of N(0, 1) values (sum |w x| ~ 32, below 60): each
        // within 50 * 2^-53 * 60 = 3.3e-13 of the exact sum.
        double worst = 0;
        for (int y = 0; y < h; ++y)
            for (int xx = 0; xx < w; ++xx) {
                double sum = 0;
                for (int c = 0; c < cin; ++c)
                    for (int ky = 0; ky < k; ++ky)
                        for (int kx = 0; kx < k; ++kx) {
                            const int sy = y + ky - 2, sx = xx + kx - 2;
                            if (sy >= 0 && sy < h && sx >= 0 && sx < w)
                                sum += wt((c * k + ky) * k + kx, 0) * x(sy * w + sx, c);
                        }
                worst = std::max(worst, std::abs(sum - out(y * w + xx, 0)));
            }
        QVERIFY2(worst < 1e-12, qPrintable(QString::number(worst)));
    }
    void im2colMatchesDefinition()
    {
        // Every entry of im2col against its definition cols(y W + x, (c k + ky) k + kx) = in(c, y + ky - k/2,
        // x + kx - k/2), 0 outside: kernels narrower and wider than the image (a column with no source pixel), one
        // row or one column, into a slice of a taller matrix (the conv net writes one image of a chunk at a time).
        // Only copies, so equality is exact; the entries start as NaN so that a skipped entry shows.
        struct Case {
            int h, w, k, cin;
        };
        for (const Case& t : {Case{6, 5, 3, 2}, Case{5, 7, 5, 1}, Case{3, 2, 5, 2}, Case{1, 4, 3, 1}, Case{4, 1, 7, 3},
                              Case{2, 2, 1, 2}, Case{7, 7, 5, 16}, Case{1, 1, 3, 1}}) {
            const int hw = t.h * t.w, k2 = t.k * t.k, half = t.k / 2;
            const MatD x = randomMat(hw, t.cin, 40 + t.h);
            MatD tall = MatD::Constant(3 * hw, k2 * t.cin, std::numeric_limits<double>::quiet_NaN());
            im2col<double>(x, t.h, t.w, t.k, tall.middleRows(hw, hw));
            QVERIFY(tall.topRows(hw).array().isNaN().all() && tall.bottomRows(hw).array().isNaN().all());
            for (int c = 0; c < t.cin; ++c)
                for (int ky = 0; ky < t.k; ++ky)
                    for (int kx = 0; kx < t.k; ++kx)
                        for (int y = 0; y < t.h; ++y)
                            for (int xx = 0; xx < t.w; ++xx) {
                                const int sy = y + ky - half, sx = xx + kx - half;
                                const double want =
                                    sy >= 0 && sy < t.h && sx >= 0 && sx < t.w ? x(sy * t.w + sx, c) : 0;
                                const double got = tall(hw + y * t.w + xx, (c * t.k + ky) * t.k + kx);
                                if (!(got == want))
                                    QFAIL(qPrintable(
                                        QString("%1x%2 kernel %3: channel %4 (%5, %6) at (%7, %8): %9, want %10")
                                            .arg(t.h)
                                            .arg(t.w)
                                            .arg(t.k)
                                            .arg(c)
                                            .arg(ky)
                                            .arg(kx)
                                            .arg(y)
                                            .arg(xx)
                                            .arg(got)
                                            .arg(want)));
                            }
        }
    }
    void maxPoolGradient()
    {
        // Odd height and width: the last row and column pool 2 or 1 entries ('SAME' padding).
        const int h = 5, w = 7, images = 2, c = 3, ph = 3, pw = 4;
        const MatD x0 = randomMat(images * h * w, c, 7), readOut = randomMat(images * ph * pw, c, 8);
        MatD out(images * ph * pw, c), dx(images * h * w, c);
        IndexMat argmax(images * ph * pw, c);
        auto pool = [&](const VecD& t, VecD* g) {
            maxPoolForward<double>(Eigen::Map<const MatD>(t.data(), images * h * w, c), images, h, w, out, argmax);
            if (g) {
                maxPoolBackward<double>(readOut, argmax, dx);
                *g = pack({&dx});
            }
            return out.cwiseProduct(readOut).sum();
        };
        reportAndCheck("max-pool 2x2 (5x7)", checkGradient(pool, pack({&x0}), 100000, 5, 1e-6), 1e-7);
        // The corner block of the odd row/column is the single last pixel; an inner block is its maximum.
        pool(pack({&x0}), nullptr);
        QVERIFY(out(ph * pw - 1, 0) == x0(h * w - 1, 0));
        QVERIFY(out(0, 1) == std::max({x0(0, 1), x0(1, 1), x0(w, 1), x0(w + 1, 1)}));
    }
    void batchNormGradient()
    {
        // f(z, gamma, beta) = 0.5 ||BN(z) - R||^2: the mean and variance depend on z as well.
        const int n = 12, c = 3;
        const MatD z0 = randomMat(n, c, 9) * 3.0 + MatD::Constant(n, c, 0.5), g0 = randomMat(c, 1, 10),
                   b0 = randomMat(c, 1, 11), target = randomMat(n, c, 12);
        MatD xhat(n, c), y(n, c), dz(n, c);
        VecD invStd(c), dgamma(c), dbeta(c);
        auto bn = [&](const VecD& t, VecD* g) {
            Eigen::Map<const MatD> z(t.data(), n, c);
            Eigen::Map<const VecD> gamma(t.data() + n * c, c), beta(t.data() + n * c + c, c);
            batchNormForward<double>(z, gamma, beta, 1e-3, xhat, invStd, y);
            if (g) {
                dz = y - target;
                batchNormBackward<double>(dz, xhat, gamma, invStd, dgamma, dbeta, dz);
                MatD dg = dgamma, dbt = dbeta;
                *g = pack({&dz, &dg, &dbt});
            }
            return 0.5 * (y - target).squaredNorm();
        };
        reportAndCheck("batch norm", checkGradient(bn, pack({&z0, &g0, &b0}), 100000, 5, 1e-5), 1e-7);
        // The normalised columns have mean 0 and variance var / (var + eps). In double, 12 values |z| < 12: the
        // mean is within 12 * 12 u of exact (u = 2^-53), which moves the column sum by 12 times that times
        // invStd ~ 1/3; rounding xhat (|xhat| < 4) and the sum adds 2 * 12 * 4 u: the sum is 0 within 1e-13.
        QVERIFY(xhat.colwise().sum().cwiseAbs().maxCoeff() < 1e-12);
    }
    void denseSoftmaxGradient()
    {
        // f(x, w, b) = mean cross-entropy of softmax(x w + b) over 6 examples of 7 features, 4 classes.
        const int n = 6, in = 7, classes = 4;
        const MatD x0 = randomMat(n, in, 13), w0 = randomMat(in, classes, 14), b0 = randomMat(classes, 1, 15);
        const std::vector<std::uint8_t> labels = {0, 3, 1, 1, 2, 0};
        MatD logits(n, classes), logitsT(classes, n), dlogitsT(classes, n), dlogits(n, classes), dx(n, in),
            dw(in, classes);
        VecD db(classes);
        auto head = [&](const VecD& t, VecD* g) {
            Eigen::Map<const MatD> x(t.data(), n, in), w(t.data() + n * in, in, classes);
            Eigen::Map<const VecD> b(t.data() + n * in + in * classes, classes);
            denseForward<double>(x, w, b, logits);
            logitsT = logits.transpose();
            const double loss = softmaxCrossEntropy<double>(logitsT, labels, dlogitsT);
            if (g) {
                dlogits = dlogitsT.transpose();
                denseBackwardParams<double>(x, dlogits, dw, db);
                denseBackwardInput<double>(dlogits, w, dx);
                MatD dbm = db;
                *g = pack({&dx, &dw, &dbm});
            }
            return loss;
        };
        reportAndCheck("fully connected + softmax cross-entropy",
                       checkGradient(head, pack({&x0, &w0, &b0}), 100000, 5, 1e-5), 1e-7);
    }
    void wholeNetGradient()
    {
        // Every coordinate of a small net (2 chunks of images), away from theta_0's tiny weights.
        const ConvNetShape shape = smallShape();
        ConvNet<double> net(shape);
        const int batch = 10;
        const MatD input = randomMat(Index(batch) * shape.height * shape.width, shape.inChannels, 16);
        std::vector<std::uint8_t> labels;
        for (int i = 0; i < batch; ++i) labels.push_back(std::uint8_t(i % shape.classes));
        VecD theta = net.initialTheta(3, 0.5);
        auto f = [&](const VecD& t, VecD* g) {
            return net.lossAndGradient(t.data(), input, labels, g ? g->data() : nullptr, nullptr);
        };
        reportAndCheck(qPrintable(QString("whole net, %1 coordinates").arg(theta.size())),
                       checkGradient(f, theta, 100000, 5, 1e-5), 1e-6);
    }
    void wholeProblemGradient()
    {
        // The problem on real Fashion-MNIST minibatches with the default 5x5 kernels and 3 layers.
        ConvNetClass<double> cls(Spec::parse("convnet:batch=6,channels=4,fc_units=8"));
        auto p = cls.sample(4);
        VecD theta = p->initialTheta();
        Rng rng(5);
        for (Index i = 0; i < theta.size(); ++i) theta(i) += 0.3 * rng.normal();
        reportAndCheck(qPrintable(QString("convnet problem (Fashion-MNIST), dim %1").arg(theta.size())),
                       l2l::test::checkProblem(*p, theta, 600, 5, 2, 1e-5), 1e-6);
    }
    void floatMatchesDouble()
    {
        const std::string spec = "convnet:batch=32";
        auto pf = ConvNetClass<float>(Spec::parse(spec)).sample(1);
        auto pd = ConvNetClass<double>(Spec::parse(spec)).sample(1);
        QVERIFY(pf->initialTheta() == pd->initialTheta().cast<float>());
        VecD theta = pd->initialTheta(), gd(theta.size());
        Vec<float> thetaF = theta.cast<float>(), gf(theta.size());
        const double fd = pd->valueAndGradient(theta, gd, 3), ff = pf->valueAndGradient(thetaF, gf, 3);
        const double gradErr = (gf.cast<double>() - gd).norm() / gd.norm();
        qInfo("float vs double: loss rel diff %.3g, gradient rel diff %.3g", std::abs(ff - fd) / fd, gradErr);
        // Float error growth (u = 2^-24), an n-term float sum taken within 10 sqrt(n) u of its magnitude
        // (rounding errors as independent random variables, Higham and Mary 2019; the worst case, n u, needs
        // every rounding to go the same way): 5x5 convolutions of 25, 400, 400 terms, 10 (5 + 20 + 20) u;
        // batch-norm statistics over 32 x 28^2, 32 x 14^2, 32 x 7^2 values, 10 (158 + 79 + 40) u; the 256-term
        // hidden layer, its batch norm over 32 and the 32-term output layer, 10 (16 + 6 + 6) u: ~3500 u = 2e-4
        // relative on the logits. At theta_0 (weights ~ N(0, 0.01^2)) the logits are < 0.12 and the loss
        // (~ ln 10) moves by at most 1.8 max |d logit| = 4e-5, 2e-5 relative; the cross-entropy's own roundings
        // (exp, log, sums of 10) add ~1e-6. The gradient is dominated by the output layer's, a1 (p - y) / batch,
        // which carries the hidden activations' 2e-4.
        QVERIFY(std::abs(ff - fd) < 5e-5 * fd);
        QVERIFY(gradErr < 1e-3);
    }

    void cifarLoader()
    {
        const std::string dir = tmp("cifar");
        QVERIFY(QDir().mkpath(QString::fromStdString(dir)));
        for (int i = 1; i <= 5; ++i)
            writeFileAtomically(dir + "/data_batch_" + std::to_string(i) + ".bin", cifarBatch(3 * (i - 1), 3));
        writeFileAtomically(dir + "/test_batch.bin", cifarBatch(100, 4));
        const auto set = loadDataset(dir, DatasetFormat::Cifar10);
        QCOMPARE(set->train.count(), 15);
        QCOMPARE(set->test.count(), 4);
        QCOMPARE(set->train.rows, 32);
        QCOMPARE(set->train.channels, 3);
        QCOMPARE(set->train.pixelCount(), 3072);
        // Image 4 of the training set is record 1 of data_batch_2 (id 4): label 4, planes R, G, B.
        QCOMPARE(int(set->train.labels[4]), 4);
        const std::uint8_t* image = set->train.pixels.data() + 4 * 3072;
        QCOMPARE(int(image[0]), 4);
        QCOMPARE(int(image[1024 + 5]), 4 + 7 + 5);
        QCOMPARE(int(image[2048 + 1000]), (4 + 14 + 1000) % 256);
        QCOMPARE(int(set->test.labels[3]), 3);

        // The problem on it: 32x32x3 input, classes 1+3 renumbered 0, 1.
        ConvNetClass<float> cls(Spec::parse("convnet:dataset=cifar10,classes=1+3,batch=4,data=" + dir));
        QCOMPARE(cls.shape().inChannels, 3);
        QCOMPARE(cls.shape().classes, 2);
        QCOMPARE(cls.data().train, (std::vector<int>{1, 3, 11, 13}));
        auto p = cls.sample(1);
        Vec<float> grad(p->dim());
        const float loss = p->valueAndGradient(p->initialTheta(), grad, 0);
        QVERIFY(std::abs(loss - std::log(2.0f)) < 0.05f);
        QVERIFY(grad.allFinite());
        QVERIFY(p->testMetrics(p->initialTheta()).has_value());
    }
    void cifarBadFiles()
    {
        const std::string good = tmp("good.bin"), truncated = tmp("truncated.bin"), badLabel = tmp("label.bin"),
                          empty = tmp("empty.bin"), missing = tmp("nosuch.bin");
        writeFileAtomically(good, cifarBatch(0, 2));
        writeFileAtomically(truncated, cifarBatch(0, 2).substr(0, 2 * kCifarRecordBytes - 100));
        writeFileAtomically(badLabel, cifarRecord(3, 0) + cifarRecord(12, 1));
        writeFileAtomically(empty, "");
        QCOMPARE(readCifarBatches({good, good}).count(), 4);
        expectError(
            [&] {
                readCifarBatches({good, truncated});
            },
            {QString::fromStdString(truncated), "truncated", "6046 bytes", "3073-byte records"});
        expectError([&] { readCifarBatches({badLabel}); }, {QString::fromStdString(badLabel), "label 12 in record 1"});
        expectError([&] { readCifarBatches({empty}); }, {QString::fromStdString(empty), "is empty"});
        expectError([&] { readCifarBatches({missing}); }, {QString::fromStdString(missing), "does not exist"});
        // A directory with a missing batch names it; the problem reports it too.
        const std::string dir = tmp("partial");
        QVERIFY(QDir().mkpath(QString::fromStdString(dir)));
        for (int i : {1, 2, 4, 5})
            writeFileAtomically(dir + "/data_batch_" + std::to_string(i) + ".bin", cifarBatch(0, 1));
        writeFileAtomically(dir + "/test_batch.bin", cifarBatch(0, 1));
        expectError([&] { loadDataset(dir, DatasetFormat::Cifar10); },
                    {QString::fromStdString(dir), "has no data_batch_3.bin"});
        expectError([&] { makeProblemClass<float>("convnet:dataset=cifar10,data=" + dir); },
                    {"has no data_batch_3.bin"});
    }

    void classSubsets()
    {
        QCOMPARE(parseClassList("0-4", 10, "p"), (std::vector<int>{0, 1, 2, 3, 4}));
        QCOMPARE(parseClassList("0+1", 10, "p"), (std::vector<int>{0, 1}));
        QCOMPARE(parseClassList("7+0-2+1", 10, "p"), (std::vector<int>{0, 1, 2, 7}));
        QCOMPARE(parseClassList("all", 10, "p").size(), size_t(10));
        QCOMPARE(classListText({0, 1, 2, 7}, 10), std::string("0-2+7"));
        QCOMPARE(classListText({3, 5}, 10), std::string("3+5"));
        QCOMPARE(classListText(parseClassList("0-9", 10, "p"), 10), std::string("all"));

        ConvNetClass<float> cls(Spec::parse("convnet:classes=2+5+7,batch=64"));
        const ClassSubset& subset = cls.data();
        QCOMPARE(cls.shape().classes, 3);
        QCOMPARE(subset.newLabel[5], 1);
        QCOMPARE(subset.newLabel[3], -1);
        QCOMPARE(int(subset.train.size()), 18000); // Fashion-MNIST: 6000 training images per class
        QCOMPARE(int(subset.test.size()), 3000);
        for (int i : subset.train) {
            const int label = subset.data->train.labels[size_t(i)];
            QVERIFY(label == 2 || label == 5 || label == 7);
        }
        QCOMPARE(cls.paramBlocks().back().size, Index(3)); // out/b
        auto problem = cls.sample(9);
        auto& p = dynamic_cast<ConvNetProblem<float>&>(*problem);
        const std::vector<int> idx = p.batchIndices(4);
        p.loadBatch(subset.data->train, idx);
        for (size_t j = 0; j < idx.size(); ++j)
            QCOMPARE(int(p.batchLabels()[j]), subset.newLabel[subset.data->train.labels[size_t(idx[j])]]);
        QVERIFY(p.batchIndices(4) == idx);
        QVERIFY(p.batchIndices(5) != idx);
        QCOMPARE(QString::fromStdString(cls.canonicalSpec()).contains(",classes=2+5+7,"), true);
    }
    void parameterGroups()
    {
        ConvNetClass<float> cls(Spec::parse("convnet"));
        const auto blocks = cls.paramBlocks();
        const std::vector<int> groups = coordinateGroups(blocks, cls.dim());
        QCOMPARE(groupCount(blocks), 2);
        Index conv = 0;
        for (const ParamBlock& b : blocks) {
            const bool kernel = b.name.starts_with("conv") && b.name.ends_with("/w");
            QCOMPARE(b.group, kernel ? kConvWeightGroup : kOtherParamGroup);
            if (kernel) conv += b.size;
        }
        // 5x5 kernels: 1 -> 16, 16 -> 16, 16 -> 16 channels.
        QCOMPARE(conv, Index(25 * 16 + 2 * 25 * 16 * 16));
        QCOMPARE(Index(std::count(groups.begin(), groups.end(), kConvWeightGroup)), conv);
        QCOMPARE(blocks[0].name, std::string("conv1/w"));
        QCOMPARE(blocks[1].name, std::string("conv1/b"));
        QCOMPARE(blocks[12].name, std::string("fc1/w"));
        QCOMPARE(blocks[12].size, Index(16 * 4 * 4 * 32)); // 28 -> 14 -> 7 -> 4 ('SAME' pooling rounds up)
        QCOMPARE(cls.dim(), Index(25 * 16 + 3 * 16 + 2 * (400 * 16 + 3 * 16) + 256 * 32 + 3 * 32 + 32 * 10 + 10));
        auto p = cls.sample(1);
        QCOMPARE(p->paramBlocks().size(), blocks.size());
        // gamma starts at 1, beta at 0, the rest N(0, 0.01^2).
        const Vec<float> theta = p->initialTheta();
        QCOMPARE(theta(blocks[2].offset), 1.0f);
        QCOMPARE(theta(blocks[3].offset), 0.0f);
        const float sd =
            std::sqrt(theta.segment(blocks[12].offset, blocks[12].size).squaredNorm() / float(blocks[12].size));
        QVERIFY(sd > 0.009f && sd < 0.011f);

        // Other problems are one block in group 0; bad block lists are refused.
        auto quadratic = makeProblemClass<float>("quadratic:dim=7");
        QCOMPARE(coordinateGroups(quadratic->paramBlocks(), 7), std::vector<int>(7, 0));
        QCOMPARE(groupCount(quadratic->sample(1)->paramBlocks()), 1);
        expectError([] { coordinateGroups({{"a", 0, 3, 0}, {"b", 4, 2, 1}}, 6); }, {"parameter block 'b'", "at 3"});
        expectError([] { coordinateGroups({{"a", 0, 3, 0}}, 6); }, {"cover 3 coordinates of a 6-dimensional theta"});
    }
    void threadsDoNotChangeResults()
    {
        ConvNetClass<float> cls(Spec::parse("convnet"));
        auto one = cls.sample(2), two = cls.sample(2);
        two->setThreads(2);
        Vec<float> theta = one->initialTheta(), g1(theta.size()), g2(theta.size());
        Rng rng(1);
        for (Index i = 0; i < theta.size(); ++i) theta(i) += 0.05f * float(rng.normal());
        double seconds[2] = {0, 0};
        const int steps = 5;
        for (int step = 0; step < steps; ++step) {
            QElapsedTimer timer;
            timer.start();
            const float f1 = one->valueAndGradient(theta, g1, step);
            seconds[0] += timer.nsecsElapsed() * 1e-9;
            timer.restart();
            const float f2 = two->valueAndGradient(theta, g2, step);
            seconds[1] += timer.nsecsElapsed() * 1e-9;
            QVERIFY(f1 == f2);
            QVERIFY(g1 == g2);
        }
        qInfo("default convnet (dim %ld, batch 128, Fashion-MNIST) value + gradient: %.1f ms/step on 1 thread, "
              "%.1f ms/step on 2 threads",
              long(theta.size()), 1e3 * seconds[0] / steps, 1e3 * seconds[1] / steps);
        // Test metrics too (chunks of the batch size over the 10,000 test images).
        const auto m1 = one->testMetrics(theta), m2 = two->testMetrics(theta);
        QVERIFY(m1->loss == m2->loss);
        QVERIFY(m1->accuracy == m2->accuracy);
    }
    void instancesShareOneNetPerThread()
    {
        // The net's activations belong to the calling thread, not to the instance: two instances driven
        // in turn on one thread, with a test-split pass (other chunk sizes) in between, give exactly what
        // each gives alone on a fresh thread.
        ConvNetClass<float> cls(Spec::parse("convnet:batch=32,channels=4,classes=0+1"));
        auto run = [&](Problem<float>& p, Vec<float>& theta, int step) {
            Vec<float> g(theta.size());
            const float f = p.valueAndGradient(theta, g, step);
            theta -= 0.1f * g;
            return f;
        };
        std::vector<float> alone;
        std::thread fresh([&] {
            for (std::uint64_t seed : {1, 2}) {
                auto p = cls.sample(seed);
                Vec<float> theta = p->initialTheta();
                for (int step = 0; step < 3; ++step) alone.push_back(run(*p, theta, step));
            }
        });
        fresh.join();
        auto a = cls.sample(1), b = cls.sample(2);
        Vec<float> ta = a->initialTheta(), tb = b->initialTheta();
        std::vector<float> fa, fb;
        for (int step = 0; step < 3; ++step) {
            fa.push_back(run(*a, ta, step));
            QVERIFY(b->testMetrics(tb).has_value());
            fb.push_back(run(*b, tb, step));
        }
        fa.insert(fa.end(), fb.begin(), fb.end());
        QCOMPARE(fa, alone);
    }
    void adamLowersTheLoss()
    {
        ConvNetClass<float> cls(Spec::parse("convnet"));
        auto p = cls.sample(3);
        p->setThreads(2);
        Vec<float> theta = p->initialTheta(), grad(p->dim());
        auto rule = makeUpdateRule<float>(UpdateRuleConfig::parse("adam:lr=0.01"));
        rule->reset(p->dim());
        const int steps = 40;
        std::vector<double> losses;
        for (int t = 0; t < steps; ++t) {
            losses.push_back(p->valueAndGradient(theta, grad, t));
            rule->step(theta, grad);
        }
        const double first = (losses[0] + losses[1] + losses[2]) / 3;
        const double last = (losses[steps - 1] + losses[steps - 2] + losses[steps - 3]) / 3;
        const auto test = p->testMetrics(theta);
        qInfo("%d Adam steps: train loss %.3f -> %.3f; test loss %.3f, accuracy %.3f", steps, first, last, test->loss,
              test->accuracy);
        QVERIFY(std::abs(first - std::log(10.0)) < 0.05);
        QVERIFY(last < 0.7 * first);
        QVERIFY(test->accuracy > 0.5);
    }

    void specErrors()
    {
        expectError([] { makeProblemClass<float>("convnet:layers=3"); },
                    {"problem 'convnet': unknown option 'layers'", "conv_layers", "fc_units", "classes"});
        expectError([] { makeProblemClass<float>("convnet:conv_layers=0"); },
                    {"option 'conv_layers' must be in [1, 5], got 0"});
        expectError([] { makeProblemClass<float>("convnet:kernel=4"); }, {"option 'kernel' must be odd", "got 4"});
        expectError([] { makeProblemClass<float>("convnet:kernel=11"); },
                    {"option 'kernel' must be in [1, 9], got 11"});
        expectError([] { makeProblemClass<float>("convnet:channels=0"); }, {"option 'channels' must be in [1, 256]"});
        expectError([] { makeProblemClass<float>("convnet:fc_units=x"); },
                    {"option 'fc_units'", "'x' is not an integer"});
        expectError([] { makeProblemClass<float>("convnet:batch=2000"); }, {"option 'batch' must be in [1, 1024]"});
        expectError([] { makeProblemClass<float>("convnet:dataset=svhn"); },
                    {"option 'dataset' must be one of fashion-mnist, mnist, cifar10, got 'svhn'"});
        expectError([] { makeProblemClass<float>("convnet:classes=0-10"); },
                    {"option 'classes' must be 'all' or classes in [0, 9]", "got '0-10'"});
        expectError([] { makeProblemClass<float>("convnet:classes=5-3"); }, {"got '5-3'"});
        expectError([] { makeProblemClass<float>("convnet:classes=3"); }, {"must keep at least 2 classes, got '3'"});
        expectError([] { makeProblemClass<float>("convnet:classes=1+x"); },
                    {"option 'classes'", "'x' is not an integer"});
        expectError([] { makeProblemClass<float>("convnet:data=/nonexistent/fmnist"); },
                    {"data directory '/nonexistent/fmnist' does not exist"});
        expectError([] { makeProblemClass<float>("convnet:batch=1024,channels=256,kernel=9"); },
                    {"GiB of scratch (at most 4)", "batch=1024"});
        // Without data=DIR CIFAR-10 is searched for, and the message says where to get it.
        if (!qEnvironmentVariableIsSet("L2L_CIFAR10_DIR")) {
            qputenv("L2L_CIFAR10_DIR", QByteArray(tmp("no-cifar-here").c_str()));
            try {
                makeProblemClass<float>("convnet:dataset=cifar10");
            } catch (const Error& e) {
                QVERIFY2(QString(e.what()).contains("cifar-10-binary.tar.gz") &&
                             QString(e.what()).contains("no-cifar-here"),
                         e.what());
            }
            qunsetenv("L2L_CIFAR10_DIR");
        }
        // The canonical spec names every option and builds the same class.
        const std::string canonical = makeProblemClass<float>("convnet:classes=0-4,kernel=3")->canonicalSpec();
        for (const char* part : {"dataset=fashion-mnist", "classes=0-4", "conv_layers=3", "channels=16", "kernel=3",
                                 "fc_units=32", "batch=128", "init_std=0.01", "data="})
            QVERIFY2(canonical.find(part) != std::string::npos, canonical.c_str());
        QCOMPARE(makeProblemClass<float>(canonical)->canonicalSpec(), canonical);
        QCOMPARE(makeProblemClass<float>("convnet:classes=0-4")->dim(),
                 makeProblemClass<float>("convnet")->dim() - 5 * 32 - 5);
    }
};

QTEST_APPLESS_MAIN(TestConvNet)
#include "test_convnet.moc"
