// The neural-art problem: image files (round trip and every bad-file case), resizing and cropping, each
// layer's hand-written backward and the whole loss against central differences in double, the spec,
// instance sampling, a short optimization, and ArtRun.
#include "ExpectError.h"
#include "GradCheck.h"
#include "base/AtomicFile.h"
#include "eval/ArtRun.h"
#include "nn/ConvFeatures.h"
#include "optimizers/UpdateRule.h"
#include "problems/NeuralArt.h"

#include <QTemporaryDir>
#include <QtTest>

#include <thread>

using namespace l2l;
using l2l::test::checkGradient;
using l2l::test::expectError;

namespace {
using MatD = Mat<double>;

// A smooth, non-constant test image (values inside (0, 1)).
ArtImage gradientImage(int width, int height)
{
    ArtImage image{width, height, std::vector<float>(size_t(width) * height * 3)};
    for (int c = 0; c < 3; ++c)
        for (int y = 0; y < height; ++y)
            for (int x = 0; x < width; ++x) image.at(c, y, x) = float(0.5 + 0.4 * std::sin(0.3 * x + 0.2 * y + c));
    return image;
}

MatD randomMat(Index rows, Index cols, std::uint64_t seed)
{
    Rng rng(seed);
    MatD m(rows, cols);
    for (Index i = 0; i < m.size(); ++i) m.data()[i] = rng.normal();
    return m;
}

// f(x) = <w, layer(x)>: the gradient of a linear read-out checks a layer's backward (its adjoint).
void reportAndCheck(const char* what, const l2l::test::GradCheckResult& r, double tol = 1e-6)
{
    qInfo("%s: max rel err %.3g, dir rel err %.3g over %d coordinates", what, r.maxRelError, r.maxDirRelError,
          r.checked);
    QVERIFY2(r.maxRelError < tol, what);
    QVERIFY2(r.maxDirRelError < tol, what);
}

std::string artSpec(const std::string& options) { return "neural-art:" + options; }
} // namespace

class TestNeuralArt : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    QString tmp(const QString& name) const { return m_tmp.path() + "/" + name; }
    static std::string fixture(const char* name)
    {
        return qEnvironmentVariable("L2L_SOURCE_DIR").toStdString() + "/tests/data/images/" + name;
    }

private slots:
    void pngRoundTrip()
    {
        const ArtImage image = gradientImage(13, 7);
        const std::string path = tmp("round.png").toStdString();
        saveArtImagePng(image, path);
        const ArtImage back = loadArtImage(path);
        QCOMPARE(back.width, 13);
        QCOMPARE(back.height, 7);
        for (size_t i = 0; i < image.data.size(); ++i)
            QVERIFY(std::abs(back.data[i] - image.data[i]) <= 0.5f / 255 + 1e-6f);
        QCOMPARE(back.toRgb8(), image.toRgb8());
    }
    void badFiles()
    {
        const std::string missing = tmp("nosuch.png").toStdString();
        expectError([&] { loadArtImage(missing); }, {QString::fromStdString(missing), "does not exist"});

        saveArtImagePng(gradientImage(64, 64), tmp("whole.png").toStdString());
        const std::string png = readFile(tmp("whole.png").toStdString());
        const std::string truncated = tmp("truncated.png").toStdString();
        writeFileAtomically(truncated, png.substr(0, png.size() / 2));
        expectError([&] { loadArtImage(truncated); }, {QString::fromStdString(truncated), "corrupt or truncated"});

        const std::string text = tmp("text.png").toStdString();
        writeFileAtomically(text, "this is not an image\n");
        expectError([&] { loadArtImage(text); },
                    {QString::fromStdString(text), "not an image this program reads (PNG or JPEG)"});

        // Dimensions are refused from the header: a PNG claiming 20000x20000 and a JPEG whose frame header says
        // 20000 pixels wide (rgb.jpg with its SOF0 width patched).
        std::string bigPng = readFile(fixture("grey.png"));
        for (int k = 0; k < 2; ++k) {
            const std::uint32_t v = 20000;
            for (int b = 0; b < 4; ++b) bigPng[size_t(16 + 4 * k + b)] = char((v >> (24 - 8 * b)) & 0xff);
        }
        const std::string bigPath = tmp("big.png").toStdString();
        writeFileAtomically(bigPath, bigPng);
        expectError([&] { loadArtImage(bigPath); }, {QString::fromStdString(bigPath)});
        std::string bigJpeg = readFile(fixture("rgb.jpg"));
        const size_t sof = bigJpeg.find("\xff\xc0");
        QVERIFY(sof != std::string::npos);
        bigJpeg[sof + 7] = char(20000 >> 8);
        bigJpeg[sof + 8] = char(20000 & 0xff);
        const std::string bigJpegPath = tmp("big.jpg").toStdString();
        writeFileAtomically(bigJpegPath, bigJpeg);
        expectError([&] { loadArtImage(bigJpegPath); },
                    {QString::fromStdString(bigJpegPath), "absurd dimensions 20000x8"});

        const std::string empty = tmp("empty.png").toStdString();
        writeFileAtomically(empty, "");
        expectError([&] { loadArtImage(empty); }, {QString::fromStdString(empty)});
    }
    void greyBecomesRgb()
    {
        // tests/data/images (README there): a 2x1 grey PNG, values 0 and 255 in all three channels; at 16 bits too.
        for (const char* name : {"grey.png", "grey16.png"}) {
            const ArtImage image = loadArtImage(fixture(name));
            QCOMPARE(image.width, 2);
            QCOMPARE(image.height, 1);
            for (int c = 0; c < 3; ++c) {
                QCOMPARE(image.at(c, 0, 0), 0.0f);
                QCOMPARE(image.at(c, 0, 1), 1.0f);
            }
        }
        // RGBA: the colour is kept as stored (not premultiplied), the alpha dropped.
        const ArtImage alpha = loadArtImage(fixture("alpha.png"));
        QCOMPARE(alpha.at(0, 0, 0), 1.0f);
        QCOMPARE(alpha.at(1, 0, 0), 0.0f);
        QCOMPARE(alpha.at(1, 0, 1), 1.0f);
    }
    void jpegFiles()
    {
        // A 16x8 JPEG at quality 95 without chroma subsampling: red left half, blue right half. JPEG is lossy, so
        // the pixel centres of each half are checked to within 0.1 (the quantisation error at quality 95 on flat
        // 8x8 blocks is a few levels of 255).
        const ArtImage rgb = loadArtImage(fixture("rgb.jpg"));
        QCOMPARE(rgb.width, 16);
        QCOMPARE(rgb.height, 8);
        QVERIFY(std::abs(rgb.at(0, 4, 3) - 1.0f) < 0.1f && rgb.at(2, 4, 3) < 0.1f);
        QVERIFY(rgb.at(0, 4, 12) < 0.1f && std::abs(rgb.at(2, 4, 12) - 1.0f) < 0.1f);
        const ArtImage grey = loadArtImage(fixture("grey.jpg"));
        for (int c = 0; c < 3; ++c) QVERIFY(std::abs(grey.at(c, 3, 3) - 128.0f / 255) < 0.02f);
        const ArtImage progressive = loadArtImage(fixture("progressive.jpg"));
        QCOMPARE(progressive.width, 64);
        expectError([&] { loadArtImage(fixture("truncated.jpg")); },
                    {QString::fromStdString(fixture("truncated.jpg")), "corrupt or truncated JPEG"});
    }
    void resizeAndCrop()
    {
        // Shrinking by 2 averages 2x2 blocks; enlarging a constant keeps it; a crop keeps its pixels.
        // Float against float computed in another order: halving takes weights 0.5 (exact) in two passes, two
        // roundings; the mean here three; values < 1: |difference| <= 5 * 2^-24 = 3e-7. Enlarging a constant:
        // two passes of weights (1 - frac, frac) summing to 1 within 2^-24, each rounded twice: <= 6 * 2^-24 * 0.3.
        ArtImage image = gradientImage(8, 6);
        const ArtImage half = resizeArtImage(image, 4, 3);
        for (int c = 0; c < 3; ++c)
            for (int y = 0; y < 3; ++y)
                for (int x = 0; x < 4; ++x) {
                    const float mean = 0.25f * (image.at(c, 2 * y, 2 * x) + image.at(c, 2 * y, 2 * x + 1) +
                                                image.at(c, 2 * y + 1, 2 * x) + image.at(c, 2 * y + 1, 2 * x + 1));
                    QVERIFY(std::abs(half.at(c, y, x) - mean) < 1e-5f);
                }
        ArtImage flat{3, 2, std::vector<float>(18, 0.3f)};
        for (float v : resizeArtImage(flat, 7, 5).data) QVERIFY(std::abs(v - 0.3f) < 1e-6f);
        const ArtImage same = resizeArtImage(image, 8, 6);
        QCOMPARE(same.data, image.data);
        const ArtImage crop = cropSquare(image, 2, 1, 4, 4);
        QCOMPARE(crop.at(1, 0, 0), image.at(1, 1, 2));
        QCOMPARE(crop.at(2, 3, 3), image.at(2, 4, 5));
        const ArtImage centre = centreSquare(image, 6);
        QCOMPARE(centre.width, 6);
        QCOMPARE(centre.at(0, 0, 0), image.at(0, 0, 1));
        expectError([&] { cropSquare(image, 6, 0, 4, 4); }, {"not inside the 8x6 image"});
    }

    void layerGradients()
    {
        const int h = 6, w = 5, cin = 2, cout = 3, n = h * w;
        const MatD weights = randomMat(9 * cin, cout, 1);
        const MatD readOut = randomMat(n, cout, 2), pooledReadOut = randomMat((h / 2) * (w / 2), cin, 3);
        const Vec<double> x0 = Eigen::Map<const Vec<double>>(randomMat(n, cin, 4).data(), n * cin);
        MatD cols(n, 9 * cin), out(n, cout), dcols(n, 9 * cin), din(n, cin), pooled((h / 2) * (w / 2), cin);

        // conv + ReLU: f(x) = <R, ReLU(im2col(x) W)>; random inputs are away from the kinks almost surely.
        auto conv = [&](const Vec<double>& x, Vec<double>* g) {
            im2col<double>(Eigen::Map<const MatD>(x.data(), n, cin), h, w, 3, cols);
            convReluForward<double>(cols, weights, out);
            if (g) {
                MatD dout = readOut;
                convReluBackward<double>(out, dout, weights, dcols);
                col2im<double>(dcols, h, w, 3, din);
                *g = Eigen::Map<const Vec<double>>(din.data(), n * cin);
            }
            return out.cwiseProduct(readOut).sum();
        };
        reportAndCheck("conv3x3 + ReLU", checkGradient(conv, x0, 1000, 5, 1e-5), 1e-7);

        // 2x2 average pooling (odd width: the last column is dropped).
        auto pool = [&](const Vec<double>& x, Vec<double>* g) {
            avgPoolForward<double>(Eigen::Map<const MatD>(x.data(), n, cin), h, w, pooled);
            if (g) {
                din.setZero();
                avgPoolBackward<double>(pooledReadOut, h, w, din);
                *g = Eigen::Map<const Vec<double>>(din.data(), n * cin);
            }
            return pooled.cwiseProduct(pooledReadOut).sum();
        };
        reportAndCheck("avg-pool 2x2", checkGradient(pool, x0, 1000, 5, 1e-5), 1e-7);
    }
    void lossTermGradients()
    {
        const int h = 5, w = 4, c = 3, n = h * w;
        const Vec<double> x0 = Eigen::Map<const Vec<double>>(randomMat(n, c, 5).data(), n * c);
        const MatD target = randomMat(n, c, 6), styleFeatures = randomMat(n, c, 7);
        MatD styleGram(c, c), gram(c, c), dgram(c, c), df(n, c);
        gramForward<double>(styleFeatures, styleGram);
        auto asMat = [&](const Vec<double>& x) { return Eigen::Map<const MatD>(x.data(), n, c); };
        auto toVec = [&](Vec<double>* g) { *g = Eigen::Map<const Vec<double>>(df.data(), n * c); };

        const MatD dgIn = randomMat(c, c, 8);
        auto gramRead = [&](const Vec<double>& x, Vec<double>* g) {
            gramForward<double>(asMat(x), gram);
            if (g) {
                df.setZero();
                gramBackward<double>(asMat(x), dgIn, df);
                toVec(g);
            }
            return gram.cwiseProduct(dgIn).sum();
        };
        reportAndCheck("Gram matrix", checkGradient(gramRead, x0, 1000, 5, 1e-4), 1e-8);

        auto style = [&](const Vec<double>& x, Vec<double>* g) {
            df.setZero();
            const double f = styleLayerLoss<double>(asMat(x), styleGram, 0.7, gram, dgram, df);
            if (g) toVec(g);
            return 0.7 * f;
        };
        reportAndCheck("style (Gram) loss", checkGradient(style, x0, 1000, 5, 1e-5), 1e-8);

        auto content = [&](const Vec<double>& x, Vec<double>* g) {
            df.setZero();
            const double f = contentLoss<double>(asMat(x), target, 1.3, df);
            if (g) toVec(g);
            return 1.3 * f;
        };
        reportAndCheck("content loss", checkGradient(content, x0, 1000, 5, 1e-4), 1e-8);

        auto tv = [&](const Vec<double>& x, Vec<double>* g) {
            df.setZero();
            const double f = totalVariation<double>(asMat(x), h, w, 2.0, df);
            if (g) toVec(g);
            return 2.0 * f;
        };
        reportAndCheck("total variation", checkGradient(tv, x0, 1000, 5, 1e-4), 1e-8);
    }
    void wholeLossGradient_data()
    {
        QTest::addColumn<QString>("options");
        QTest::newRow("16x16 depth 2") << "size=16,depth=2,content=chelsea,channels=4";
        QTest::newRow("16x16 depth 3") << "size=16,depth=3,content=astronaut,channels=4";
        QTest::newRow("17x17 depth 3 (odd sizes)") << "size=17,depth=3,content=coffee,style=hubble,channels=4";
    }
    void wholeLossGradient()
    {
        QFETCH(QString, options);
        NeuralArtClass<double> cls(Spec::parse(artSpec(options.toStdString())));
        auto p = cls.sampleArt(3);
        // Away from theta_0 = content (where the content term is exactly at its minimum). h = 1e-5: small
        // enough that no ReLU input crosses 0 between the two evaluations, large enough for round-off.
        Vec<double> theta = p->initialTheta();
        Rng rng(9);
        for (Index i = 0; i < theta.size(); ++i) theta(i) += 0.05 * rng.normal();
        reportAndCheck(qPrintable("whole loss " + options), l2l::test::checkProblem(*p, theta, 400, 5, 0, 1e-5), 1e-6);
    }
    void lossPartsAddUp()
    {
        NeuralArtClass<double> cls(Spec::parse(artSpec("size=32")));
        auto p = cls.sampleArt(1);
        Vec<double> theta = p->initialTheta(), grad(p->dim());
        const ArtLoss parts = p->lossParts(theta);
        QCOMPARE(parts.content, 0.0); // theta_0 is the content image: the same features, exactly
        QVERIFY(parts.style > 1 && parts.smoothness > 0);
        // The same double evaluation returned two ways: equal but for the sum of the three parts.
        QVERIFY(std::abs(p->valueAndGradient(theta, grad, 0) - parts.total()) < 1e-12 * parts.total());
    }
    void floatMatchesDouble()
    {
        const std::string spec = artSpec("size=32,content=chelsea");
        auto pf = NeuralArtClass<float>(Spec::parse(spec)).sampleArt(1);
        auto pd = NeuralArtClass<double>(Spec::parse(spec)).sampleArt(1);
        Vec<double> theta = pd->initialTheta(), gd(theta.size());
        Rng rng(2);
        for (Index i = 0; i < theta.size(); ++i) theta(i) += 0.05 * rng.normal();
        Vec<float> thetaF = theta.cast<float>(), gf(theta.size());
        const double fd = pd->valueAndGradient(theta, gd, 0), ff = pf->valueAndGradient(thetaF, gf, 0);
        const double gradErr = (gf.cast<double>() - gd).norm() / gd.norm();
        qInfo("float vs double: loss rel diff %.3g, gradient rel diff %.3g", std::abs(ff - fd) / fd, gradErr);
        // Float error growth (u = 2^-24), an n-term float sum taken within 10 sqrt(n) u of its magnitude
        // (rounding errors as independent random variables, Higham and Mary 2019; the worst case, n u, needs
        // every rounding to go the same way): 3x3 convolutions of K = 27, 144, 288 terms, 10 (5 + 12 + 17) u
        // = 2e-5 on the features; Gram sums over N <= 1024 pixels, 10 sqrt(N) u = 2e-5, plus twice the
        // features' error: 6e-5 on G. The style term, most of the loss near the content image, is
        // |G - S|^2 / |S|^2 for Gram matrices that are not close (style and content are different pictures,
        // |G - S| ~ |S|): its relative error is 2 |G| / |G - S| ~ 2-4 times G's, <= 2.4e-4. The gradient,
        // (G - S) F through the transposed convolutions, carries about the same relative error: 1e-3 holds it.
        QVERIFY(std::abs(ff - fd) < 5e-4 * fd);
        QVERIFY(gradErr < 1e-3);
    }

    void specErrors()
    {
        expectError([] { makeProblemClass<float>("neural-art:colour=1"); },
                    {"problem 'neural-art'", "unknown option 'colour'"});
        expectError([] { makeProblemClass<float>("neural-art:size=8"); },
                    {"problem 'neural-art'", "option 'size' must be in [16, 512], got 8"});
        expectError([] { makeProblemClass<float>("neural-art:depth=9"); }, {"option 'depth' must be in [1, 5]"});
        expectError([] { makeProblemClass<float>("neural-art:init=zeros"); }, {"option 'init'", "content, noise"});
        expectError([] { makeProblemClass<float>("neural-art:style=picasso"); },
                    {"unknown image 'picasso'", "scream", "hubble"});
        expectError([] { makeProblemClass<float>("neural-art:content=/no/such.png"); },
                    {"'/no/such.png' does not exist"});
        const std::string canonical = makeProblemClass<float>("neural-art:size=20,beta=2")->canonicalSpec();
        QVERIFY2(canonical.find("size=20") != std::string::npos && canonical.find("beta=2") != std::string::npos &&
                     canonical.find("net_seed=") != std::string::npos,
                 canonical.c_str());
        // The canonical spec builds the same class.
        QCOMPARE(makeProblemClass<float>(canonical)->canonicalSpec(), canonical);
    }
    void instancesShareOneFeatureNetPerThread()
    {
        // The feature net's activations belong to the calling thread: two instances (different content,
        // other net sizes in between) driven in turn give exactly what each gives alone on a fresh thread.
        auto cls = makeProblemClass<float>("neural-art:size=24,content=train");
        auto other = makeProblemClass<float>("neural-art:size=16,depth=2");
        auto run = [](Problem<float>& p, Vec<float>& theta) {
            Vec<float> g(theta.size());
            const float f = p.valueAndGradient(theta, g, 0);
            theta -= 0.5f * g;
            return f;
        };
        std::vector<float> alone;
        std::thread fresh([&] {
            for (std::uint64_t seed : {3, 4}) {
                auto p = cls->sample(seed);
                Vec<float> theta = p->initialTheta();
                for (int step = 0; step < 3; ++step) alone.push_back(run(*p, theta));
            }
        });
        fresh.join();
        auto a = cls->sample(3), b = cls->sample(4), c = other->sample(1);
        Vec<float> ta = a->initialTheta(), tb = b->initialTheta(), tc = c->initialTheta();
        std::vector<float> fa, fb;
        for (int step = 0; step < 3; ++step) {
            fa.push_back(run(*a, ta));
            run(*c, tc);
            fb.push_back(run(*b, tb));
        }
        fa.insert(fa.end(), fb.begin(), fb.end());
        QCOMPARE(fa, alone);
    }
    void samplingIsAPureFunctionOfTheSeed()
    {
        NeuralArtClass<float> cls(Spec::parse(artSpec("size=24")));
        auto a = cls.sampleArt(5), b = cls.sampleArt(5), c = cls.sampleArt(6);
        QCOMPARE(a->contentImage().data, b->contentImage().data);
        QVERIFY(a->contentImage().data != c->contentImage().data);
        QCOMPARE(a->styleImage().data, c->styleImage().data); // the style is the class's
        QCOMPARE(a->contentImage().width, 24);
        // A single named content is its centre square, the same for every seed.
        NeuralArtClass<float> one(Spec::parse(artSpec("size=24,content=chelsea")));
        QCOMPARE(one.sampleArt(1)->contentImage().data, one.sampleArt(2)->contentImage().data);
        // init=noise draws from the seed.
        NeuralArtClass<float> noise(Spec::parse(artSpec("size=16,init=noise")));
        QVERIFY(noise.sampleArt(1)->initialTheta() == noise.sampleArt(1)->initialTheta());
        QVERIFY(noise.sampleArt(1)->initialTheta() != noise.sampleArt(2)->initialTheta());
    }
    void adamLowersTheLoss()
    {
        NeuralArtClass<float> cls(Spec::parse(artSpec("size=32")));
        auto p = cls.sampleArt(2);
        Vec<float> theta = p->initialTheta(), grad(p->dim());
        UpdateRuleConfig adam = UpdateRuleConfig::parse("adam:lr=0.03");
        auto rule = makeUpdateRule<float>(adam);
        rule->reset(p->dim());
        const double f0 = p->valueAndGradient(theta, grad, 0);
        double f = f0;
        for (int t = 0; t < 30; ++t) {
            rule->step(theta, grad);
            f = p->valueAndGradient(theta, grad, t + 1);
        }
        qInfo("30 Adam steps at 32x32: loss %.4g -> %.4g (factor %.1f)", f0, f, f0 / f);
        QVERIFY(f < f0 / 5);
    }

    void artRunStepsEveryOptimizer()
    {
        std::vector<ArtRule> rules{UpdateRuleConfig::parse("adam:lr=0.03"), UpdateRuleConfig::parse("sgd:lr=10000")};
        ArtRun run("neural-art:size=16,content=chelsea", 1, rules);
        QCOMPARE(run.optimizerCount(), 2);
        const ArtImage before = run.image(0);
        QCOMPARE(before.data, run.content().data); // theta_0 = content
        for (int t = 0; t < 5; ++t) run.step();
        QCOMPARE(run.stepsDone(), 5);
        QVERIFY(run.image(0).data != before.data);
        QCOMPARE(int(run.lossHistory(0).size()), 6);
        QVERIFY(run.loss(0) < run.lossHistory(0).front());
        QVERIFY(run.problem(0).empty());
        // SGD at an absurd rate overflows: stopped with a message, its history ends; Adam went on.
        QVERIFY2(!run.problem(1).empty(), run.label(1).c_str());
        QVERIFY(int(run.lossHistory(1).size()) < 6);
        QVERIFY(run.label(0).find("adam") != std::string::npos);
        // The loss is the float rounding of these parts' sum (one evaluation): within 2^-24 of it relatively.
        const ArtLoss parts = run.lossParts(0);
        QVERIFY(std::abs(parts.total() - run.loss(0)) <= 1e-6 * run.loss(0));
    }
};

QTEST_APPLESS_MAIN(TestNeuralArt)
#include "test_neural_art.moc"
