// Experiment files: a round trip keeps every field, the comparison they describe is the one the studio
// runs, and every kind of bad file is rejected with a message naming the file and the problem, without
// touching the previous file on a failed save.
#include "ExpectError.h"
#include "base/AtomicFile.h"
#include "eval/Evaluation.h"
#include "io/ExperimentFile.h"
#include "meta/MetaTrainer.h"

#include <nlohmann/json.hpp>

#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

using namespace l2l;
using l2l::test::expectError;

class TestExperimentFile : public QObject {
    Q_OBJECT
private slots:
    void roundTripKeepsEverything();
    void everyMetaTrainSettingRoundTrips();
    void experimentKeepsEveryCheckpointSetting();
    void evalConfigHasEnabledOptimizers();
    void badFilesAreRejected_data();
    void badFilesAreRejected();
    void failedSaveKeepsOldFile();
    void optimizerBesideIsWrittenRelative();
    void formatOfFiles();
    void resultsRoundTrip();
    void badResultsAreRejected_data();
    void badResultsAreRejected();

private:
    QTemporaryDir m_tmp;
};

namespace {

Experiment sample()
{
    Experiment e;
    e.eval.problem = "mnist:hidden=40,activation=relu";
    e.optimizers = {{"sgd", true, "0.1", ""},
                    {"nag", false, "", ""},
                    {"adam", true, "", ""},
                    {"lstm", true, "", "/some/where/opt=1.json"}};
    e.eval.runs = 7;
    e.eval.steps = 150;
    e.eval.seed = 123456789012ULL;
    e.eval.testEvery = 25;
    e.trajectoryFunction = "himmelblau:x0=1";
    e.trajectoryStart = {-2.5, 3.25};
    e.metaTrain.epochs = 77;
    e.metaTrain.unroll = 10;
    e.metaTrain.learningRate = 3e-3;
    e.metaTrain.arch.hidden = 12;
    e.metaTrain.secondDerivatives = true;
    e.metaTrain.groups = ParamGroups::PerBlock;
    e.metaTrain.metaLoss = MetaLoss::Log;
    e.view = "trajectories";
    return e;
}

// A small comparison of the sample's settings on a quadratic (rates given: no tuning), stopped early so that
// the curves have undefined (NaN) tails, with one optimizer marked tuned so that its grid is written too.
Experiment sampleWithResults()
{
    Experiment e = sample();
    e.eval.problem = "quadratic";
    e.eval.runs = 3;
    e.eval.steps = 12;
    e.eval.testEvery = 0;
    EvalConfig c = e.eval;
    c.optimizers = {"sgd:lr=0.1", "adam:lr=0.05", "nag:lr=10000"}; // nag diverges: null statistics
    c.useCache = false;
    c.threads = 1;
    EvalResult r = evaluate(c);
    r.optimizers[1].tunedRate = true;
    r.optimizers[1].tuneRates = {0.01, 0.05, 0.1};
    r.optimizers[1].tuneFinalMeans = {0.5, 0.25, std::numeric_limits<double>::quiet_NaN()};
    for (auto& o : r.optimizers) o.curves = {}; // what the studio keeps
    e.results = r;
    return e;
}

} // namespace

void TestExperimentFile::roundTripKeepsEverything()
{
    const Experiment e = sample();
    const std::string path = m_tmp.filePath("e.json").toStdString();
    saveExperiment(path, e);
    const Experiment back = loadExperiment(path);
    QCOMPARE(back.eval.problem, e.eval.problem);
    QCOMPARE(back.optimizers.size(), e.optimizers.size());
    for (size_t i = 0; i < e.optimizers.size(); ++i) {
        QCOMPARE(back.optimizers[i].name, e.optimizers[i].name);
        QCOMPARE(back.optimizers[i].enabled, e.optimizers[i].enabled);
        QCOMPARE(back.optimizers[i].rate, e.optimizers[i].rate);
        QCOMPARE(back.optimizers[i].path, e.optimizers[i].path);
    }
    QCOMPARE(back.eval.runs, 7);
    QCOMPARE(back.eval.steps, 150);
    QCOMPARE(back.eval.seed, e.eval.seed);
    QCOMPARE(back.eval.testEvery, 25);
    QVERIFY(back.metaTrain.metaLoss == MetaLoss::Log);
    QCOMPARE(back.evalConfig().testEvery, 25);
    QCOMPARE(back.trajectoryFunction, e.trajectoryFunction);
    QCOMPARE(back.trajectoryStart[0], -2.5);
    QCOMPARE(back.trajectoryStart[1], 3.25);
    QCOMPARE(back.metaTrain.epochs, 77);
    QCOMPARE(back.metaTrain.unroll, 10);
    QCOMPARE(back.metaTrain.learningRate, 3e-3);
    QCOMPARE(back.metaTrain.arch.hidden, 12);
    QVERIFY(back.metaTrain.secondDerivatives);
    QVERIFY(back.metaTrain.groups == ParamGroups::PerBlock);
    QCOMPARE(back.view, std::string("trajectories"));
    QCOMPARE(experimentToJson(back), experimentToJson(e)); // nothing else drifts either
}

// Every meta-training setting set to a value other than its default survives a save and a load. (Experiment
// files once dropped lr_schedule and clip_norm, so a re-opened experiment trained differently.)
void TestExperimentFile::everyMetaTrainSettingRoundTrips()
{
    Experiment e = sample();
    MetaTrainConfig& c = e.metaTrain;
    const MetaTrainConfig d;
    c.epochs = 321;
    c.horizon = 60;
    c.unroll = 15;
    c.learningRate = 4e-4;
    c.lrSchedule = LrSchedule::Cosine;
    c.clipNorm = 12.5;
    c.validateEvery = 7;
    c.validationRuns = 9;
    c.validateOnFinalLoss = true;
    c.secondDerivatives = true;
    c.metaLoss = MetaLoss::Log;
    c.groups = ParamGroups::PerBlock;
    c.seed = 987654321ULL;
    c.arch.layers = 1;
    c.arch.hidden = 7;
    c.arch.preprocess = Preprocess::None;
    c.arch.p = 5;
    c.arch.outputScale = 0.01;
    // Each value above differs from the default, or the round trip would prove nothing for it.
    QVERIFY(c.epochs != d.epochs && c.horizon != d.horizon && c.unroll != d.unroll && c.learningRate != d.learningRate);
    QVERIFY(c.lrSchedule != d.lrSchedule && c.clipNorm != d.clipNorm && c.validateEvery != d.validateEvery);
    QVERIFY(c.validationRuns != d.validationRuns && c.validateOnFinalLoss != d.validateOnFinalLoss);
    QVERIFY(c.secondDerivatives != d.secondDerivatives && c.metaLoss != d.metaLoss && c.groups != d.groups &&
            c.seed != d.seed);
    QVERIFY(c.arch.layers != d.arch.layers && c.arch.hidden != d.arch.hidden && c.arch.preprocess != d.arch.preprocess);
    QVERIFY(c.arch.p != d.arch.p && c.arch.outputScale != d.arch.outputScale);

    const std::string path = m_tmp.filePath("all-settings.json").toStdString();
    saveExperiment(path, e);
    const MetaTrainConfig b = loadExperiment(path).metaTrain;
    QCOMPARE(b.epochs, c.epochs);
    QCOMPARE(b.horizon, c.horizon);
    QCOMPARE(b.unroll, c.unroll);
    QCOMPARE(b.learningRate, c.learningRate);
    QVERIFY(b.lrSchedule == c.lrSchedule);
    QCOMPARE(b.clipNorm, c.clipNorm);
    QCOMPARE(b.validateEvery, c.validateEvery);
    QCOMPARE(b.validationRuns, c.validationRuns);
    QCOMPARE(b.validateOnFinalLoss, c.validateOnFinalLoss);
    QCOMPARE(b.secondDerivatives, c.secondDerivatives);
    QVERIFY(b.metaLoss == c.metaLoss);
    QVERIFY(b.groups == c.groups);
    QCOMPARE(b.seed, c.seed);
    QCOMPARE(b.arch.layers, c.arch.layers);
    QCOMPARE(b.arch.hidden, c.arch.hidden);
    QVERIFY(b.arch.preprocess == c.arch.preprocess);
    QCOMPARE(b.arch.p, c.arch.p);
    QCOMPARE(b.arch.outputScale, c.arch.outputScale);
}

// A guard for the next setting: every key a training checkpoint records for its configuration is also in
// the experiment file's meta_train object (the problem is the experiment's own, threads do not change results).
void TestExperimentFile::experimentKeepsEveryCheckpointSetting()
{
    MetaTrainConfig c;
    c.epochs = 2;
    c.validateEvery = 1;
    const MetaTrainer trainer(c);
    const std::string ckpt = m_tmp.filePath("keys.checkpoint.json").toStdString();
    saveCheckpoint(ckpt, trainer.state());
    const auto checkpointConfig = nlohmann::json::parse(readFile(ckpt)).at("config");
    const auto metaTrain = nlohmann::json::parse(experimentToJson(sample())).at("meta_train");
    for (const auto& [key, value] : checkpointConfig.items()) {
        if (key == "problem" || key == "threads") continue;
        if (!metaTrain.contains(key))
            QFAIL(("experiment files do not keep the training setting '" + key + "'").c_str());
    }
}

void TestExperimentFile::evalConfigHasEnabledOptimizers()
{
    const EvalConfig c = sample().evalConfig();
    QCOMPARE(c.problem, std::string("mnist:hidden=40,activation=relu"));
    QCOMPARE(c.optimizers, (std::vector<std::string>{"sgd:lr=0.1", "adam", "lstm:path=/some/where/opt=1.json"}));
    QCOMPARE(c.runs, 7);
    QCOMPARE(c.steps, 150);
    QCOMPARE(c.seed, 123456789012ULL);
    Experiment none = sample();
    for (auto& o : none.optimizers) o.enabled = false;
    expectError([&] { none.evalConfig(); }, {"no optimizer"});
    // Every spec the file produces parses as an update rule.
    for (const auto& spec : c.optimizers) UpdateRuleConfig::parse(spec);
}

void TestExperimentFile::badFilesAreRejected_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    const QString good = QString::fromStdString(experimentToJson(sample()));
    QTest::newRow("empty") << QString() << "not valid JSON";
    QTest::newRow("truncated") << good.left(good.size() / 2) << "not valid JSON";
    QTest::newRow("optimizer file") << R"({"format": "l2l-optimizer", "version": 1})"
                                    << "not an l2l experiment";
    QTest::newRow("version 2") << QString(good).replace("\"version\": 1", "\"version\": 2") << "version 2";
    QTest::newRow("unknown optimizer") << QString(good).replace("\"nag\"", "\"adagrad\"")
                                       << "unknown optimizer 'adagrad'";
    QTest::newRow("bad rate") << QString(good).replace("\"0.1\"", "\"fast\"") << "learning rate of sgd";
    QTest::newRow("negative rate") << QString(good).replace("\"0.1\"", "\"-1\"") << "learning rate of sgd";
    QTest::newRow("runs 0") << QString(good).replace("\"runs\": 7", "\"runs\": 0")
                            << "key \"runs\" must be an integer in [1, 10000], got 0";
    QTest::newRow("runs text") << QString(good).replace("\"runs\": 7", "\"runs\": \"many\"")
                               << "key \"runs\" must be an integer, got \"many\"";
    QTest::newRow("unknown problem") << QString(good).replace("mnist:hidden=40", "nosuchproblem:hidden=40")
                                     << "key \"problem\": unknown problem 'nosuchproblem' (valid problems: ";
    QTest::newRow("unknown problem key") << QString(good).replace("hidden=40", "colour=blue")
                                         << "unknown option 'colour'";
    QTest::newRow("not 2-d") << QString(good).replace("himmelblau:x0=1", "mnist") << "not a 2-d function";
    QTest::newRow("start NaN") << QString(good).replace("-2.5", "NaN") << "not valid JSON";
    QTest::newRow("unroll > horizon") << QString(good).replace("\"unroll\": 10", "\"unroll\": 1000") << "unroll";
    QTest::newRow("groups") << QString(good).replace("\"per-block\"", "\"conv\"")
                            << "meta_train: key \"groups\" must be one of shared, per-block, got \"conv\"";
    QTest::newRow("test_every") << QString(good).replace("\"test_every\": 25", "\"test_every\": -1")
                                << "key \"test_every\" must be an integer in [0, 100000], got -1";
    QTest::newRow("meta_loss") << QString(good).replace("\"log\"", "\"mean\"")
                               << "meta_train: key \"meta_loss\" must be one of sum, log, got \"mean\"";
    QTest::newRow("missing steps") << QString(good).replace("\"steps\": 150,", "") << "steps";
    // Wrong types name the key and the entry, not the JSON library's type error.
    QTest::newRow("lr true") << QString(good).replace("\"0.1\"", "true")
                             << "optimizers[0] (sgd): key \"lr\" must be \"tuned\" or a rate, got true";
    QTest::newRow("lr huge") << QString(good).replace("\"0.1\"", "1e30") << "learning rate of sgd";
    QTest::newRow("enabled text") << QString(good).replace("\"enabled\": false", "\"enabled\": \"no\"")
                                  << "optimizers[1] (nag): key \"enabled\" must be true or false, got \"no\"";
    QTest::newRow("name number") << QString(good).replace("\"name\": \"adam\"", "\"name\": 3")
                                 << "optimizers[2]: key \"name\" must be a string, got 3";
    QTest::newRow("optimizers number") << QString(good).replace(QRegularExpression(R"("optimizers": \[[^\]]*\])"),
                                                                R"("optimizers": 5)")
                                       << "key \"optimizers\" must be an array";
    QTest::newRow("start three") << QString(good).replace("-2.5,", "-2.5, 1,")
                                 << "trajectories.start must be two numbers [x, y]";
    QTest::newRow("start text") << QString(good).replace("-2.5", "\"a\"")
                                << "trajectories.start must be two numbers [x, y], got [\"a\"";
    QTest::newRow("view unknown") << QString(good).replace("\"view\": \"trajectories\"", "\"view\": \"nowhere\"")
                                  << "key \"view\" must be one of compare, meta-train";
    QTest::newRow("view number") << QString(good).replace("\"view\": \"trajectories\"", "\"view\": 5")
                                 << "key \"view\" must be a string, got 5";
}

void TestExperimentFile::badFilesAreRejected()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    const std::string path = m_tmp.filePath("bad.json").toStdString();
    writeFileAtomically(path, text.toStdString());
    expectError([&] { loadExperiment(path); }, {QString::fromStdString(path), expected});
}

void TestExperimentFile::failedSaveKeepsOldFile()
{
    const std::string path = m_tmp.filePath("keep.json").toStdString();
    saveExperiment(path, sample());
    const std::string before = readFile(path);
    Experiment bad = sample();
    bad.eval.runs = -3;
    expectError([&] { saveExperiment(path, bad); }, {"runs"});
    QCOMPARE(readFile(path), before);
    expectError([&] { loadExperiment(m_tmp.filePath("missing.json").toStdString()); }, {"missing.json"});
}

// An optimizer file in the experiment's folder (or below) is written relative to it, so that the two can be moved
// or shared together; one elsewhere keeps its path. The reader resolves a relative one from its own folder.
void TestExperimentFile::optimizerBesideIsWrittenRelative()
{
    QDir(m_tmp.path()).mkpath("share/opt");
    Experiment e = sample();
    e.optimizers = {{"lstm", true, "", m_tmp.filePath("share/opt/mine.json").toStdString()},
                    {"lstm", false, "", "/some/where/else.json"}};
    const std::string path = m_tmp.filePath("share/exp.json").toStdString();
    saveExperiment(path, e);
    const nlohmann::json doc = nlohmann::json::parse(readFile(path));
    QCOMPARE(doc["optimizers"][0]["path"].get<std::string>(), std::string("opt/mine.json"));
    QCOMPARE(doc["optimizers"][1]["path"].get<std::string>(), std::string("/some/where/else.json"));
    QVERIFY(QDir(m_tmp.path()).rename("share", "moved"));
    const Experiment back = loadExperiment(m_tmp.filePath("moved/exp.json").toStdString());
    QCOMPARE(QString::fromStdString(back.optimizers[0].path), QDir::cleanPath(m_tmp.filePath("moved/opt/mine.json")));
}

void TestExperimentFile::formatOfFiles()
{
    QCOMPARE(fileFormatOf(experimentToJson(sample())), std::string("l2l-experiment"));
    QCOMPARE(fileFormatOf(R"({"format": "l2l-optimizer"})"), std::string("l2l-optimizer"));
    QCOMPARE(fileFormatOf("{\"format\": 3}"), std::string());
    QCOMPARE(fileFormatOf("[1, 2"), std::string());
    QCOMPARE(fileFormatOf(""), std::string());
}

// Saved with its results, an experiment reads back the same statistics, NaN (null) included.
void TestExperimentFile::resultsRoundTrip()
{
    const Experiment e = sampleWithResults();
    const std::string path = m_tmp.filePath("with-results.json").toStdString();
    saveExperiment(path, e);
    const Experiment back = loadExperiment(path);
    QVERIFY(back.results.has_value());
    const EvalResult &a = *e.results, &b = *back.results;
    QCOMPARE(b.config.problem, a.config.problem);
    QCOMPARE(b.completedSteps, a.completedSteps);
    QCOMPARE(b.optimizers.size(), a.optimizers.size());
    auto same = [](const std::vector<double>& x, const std::vector<double>& y) {
        if (x.size() != y.size()) return false;
        for (size_t i = 0; i < x.size(); ++i)
            if (!(x[i] == y[i] || (std::isnan(x[i]) && std::isnan(y[i])))) return false;
        return true;
    };
    bool sawNaN = false, sawInf = false;
    for (size_t k = 0; k < a.optimizers.size(); ++k) {
        const auto &x = a.optimizers[k], &y = b.optimizers[k];
        QCOMPARE(y.config.canonical(true), x.config.canonical(true));
        QCOMPARE(y.config.lr, x.config.lr);
        QCOMPARE(y.tunedRate, x.tunedRate);
        QVERIFY(same(y.stats.mean, x.stats.mean));
        QVERIFY(same(y.stats.std, x.stats.std));
        QVERIFY(same(y.stats.median, x.stats.median));
        QCOMPARE(y.stats.alive, x.stats.alive);
        QVERIFY(same({y.finalMean, y.finalStd, y.finalMedian}, {x.finalMean, x.finalStd, x.finalMedian}));
        QCOMPARE(y.divergedRuns, x.divergedRuns);
        QCOMPARE(y.tuneRates, x.tuneRates);
        QVERIFY(same(y.tuneFinalMeans, x.tuneFinalMeans));
        // The pair with the best (all but the best have one; nag diverged in every run: no pairs, t and p null).
        QCOMPARE(y.vsBest.has_value(), x.vsBest.has_value());
        QCOMPARE(x.vsBest.has_value(), &x != bestByFinalMean(a));
        if (x.vsBest) {
            QCOMPARE(y.vsBest->pairs, x.vsBest->pairs);
            QCOMPARE(x.vsBest->pairs, x.divergedRuns > 0 ? 0 : 3);
            QVERIFY(same({y.vsBest->winFraction, y.vsBest->meanDiff, y.vsBest->t, y.vsBest->p},
                         {x.vsBest->winFraction, x.vsBest->meanDiff, x.vsBest->t, x.vsBest->p}));
        }
        for (double v : x.stats.mean) sawNaN = sawNaN || std::isnan(v);
        sawInf = sawInf || (x.finalMedian == std::numeric_limits<double>::infinity());
    }
    QVERIFY(sawNaN); // the diverged optimizer's statistics went through null
    QVERIFY(sawInf); // and its median, +inf (it diverged in every run), came back as +inf, not as undefined
    QCOMPARE(experimentToJson(back), experimentToJson(e)); // and write the same file again
    // Results made with other settings are refused.
    Experiment other = e;
    other.eval.seed = 2;
    expectError([&] { saveExperiment(path + ".other", other); }, {"results were made with", "seed 123456789012"});
}

void TestExperimentFile::badResultsAreRejected_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value"); // JSON; "" removes the key
    QTest::addColumn<QString>("expected");
    QTest::newRow("steps differ") << "steps"
                                  << "13"
                                  << "results were made with";
    QTest::newRow("completed > steps") << "completed_steps"
                                       << "40"
                                       << "results.completed_steps must be an integer in [0, 12]";
    QTest::newRow("not cancelled, incomplete") << "cancelled"
                                               << "false"
                                               << "must equal steps";
    QTest::newRow("mean text") << "optimizers/0/loss_mean/3"
                               << "\"low\""
                               << "results.optimizers[0].loss_mean[3] must be a number or null";
    QTest::newRow("mean short") << "optimizers/0/loss_mean"
                                << "[1, 2]"
                                << "results.optimizers[0].loss_mean must have one entry per step";
    QTest::newRow("mean long") << "optimizers/1/loss_std" << QString("[") + QString("1,").repeated(40) + "1]"
                               << "results.optimizers[1].loss_std has 41 entries, at most 13";
    QTest::newRow("counted > runs") << "optimizers/0/runs_counted/0"
                                    << "4"
                                    << "results.optimizers[0].runs_counted[0] must be an integer in [0, 3]";
    QTest::newRow("unknown spec") << "optimizers/2/spec"
                                  << "\"adagrad:lr=0.1\""
                                  << "results.optimizers[2].spec is not an optimizer";
    QTest::newRow("name mismatch") << "optimizers/2/name"
                                   << "\"sgd\""
                                   << "results.optimizers[2].name";
    QTest::newRow("negative rate") << "optimizers/0/learning_rate"
                                   << "-0.1"
                                   << "results.optimizers[0].learning_rate must be in (0, 10000]";
    QTest::newRow("grid mismatch") << "optimizers/1/tuning_grid/rates"
                                   << "[0.1]"
                                   << "results.optimizers[1].tuning_grid.final_loss_means";
    // nag (optimizer 2) diverged in every run: never the best, so it has a pair with the best.
    QTest::newRow("pair with another best") << "optimizers/2/paired_vs_best/best"
                                            << "\"nag\""
                                            << "results.optimizers[2].paired_vs_best.best names 'nag', but the best";
    QTest::newRow("pair p > 1") << "optimizers/2/paired_vs_best/p"
                                << "1.5"
                                << "results.optimizers[2].paired_vs_best.p must be in [0, 1] or null";
    QTest::newRow("pair count > runs") << "optimizers/2/paired_vs_best/pairs"
                                       << "4"
                                       << "results.optimizers[2].paired_vs_best.pairs must be an integer in [0, 3]";
    // nag's median diverged at step 0 (every run diverged): from there on a number is a contradiction.
    QTest::newRow("median after divergence") << "optimizers/2/loss_median/5"
                                             << "0.5"
                                             << "results.optimizers[2].loss_median must be null from "
                                                "median_diverged_from_step on";
    QTest::newRow("median step out of range") << "optimizers/2/median_diverged_from_step"
                                              << "13"
                                              << "results.optimizers[2].median_diverged_from_step must be an integer "
                                                 "in [0, 12]";
    QTest::newRow("no optimizers") << "optimizers"
                                   << "[]"
                                   << "results.optimizers is empty";
    QTest::newRow("optimizers object") << "optimizers"
                                       << "{}"
                                       << "results.optimizers must be an array";
    QTest::newRow("missing tuning") << "tuning"
                                    << ""
                                    << "results.tuning is missing";
    QTest::newRow("seed negative") << "seed"
                                   << "-1"
                                   << "results.seed must be a non-negative integer";
    QTest::newRow("results array") << ""
                                   << "[1]"
                                   << "results must be an object";
}

void TestExperimentFile::badResultsAreRejected()
{
    QFETCH(QString, key);
    QFETCH(QString, value);
    QFETCH(QString, expected);
    Experiment e = sampleWithResults();
    e.results->cancelled = true; // a stopped run (completed_steps may then be less than steps)
    e.results->completedSteps = 12;
    nlohmann::json doc = nlohmann::json::parse(experimentToJson(e));
    const nlohmann::json::json_pointer at("/results" + (key.isEmpty() ? std::string() : "/" + key.toStdString()));
    if (value.isEmpty())
        doc["results"].erase(key.toStdString());
    else
        doc[at] = nlohmann::json::parse(value.toStdString());
    if (key == "cancelled") doc["results"]["completed_steps"] = 5;
    const std::string path = m_tmp.filePath("bad-results.json").toStdString();
    writeFileAtomically(path, doc.dump(2));
    expectError([&] { loadExperiment(path); }, {QString::fromStdString(path), expected});
}

QTEST_APPLESS_MAIN(TestExperimentFile)
#include "test_experiment_file.moc"
