// The settings tables (base/Settings.h): every field of the training settings round-trips through every format
// that keeps it -- experiment files, checkpoints, optimizer provenance, the recorded command line, the studio's
// form -- and every kind of bad value is refused with a message naming the key or flag.
#include "ExpectError.h"
#include "base/Settings.h"
#include "eval/EvalConfig.h"
#include "io/ExperimentFile.h"
#include "meta/MetaTrainer.h"
#include "optimizers/MetaTrainConfig.h"
#include "optimizers/OptimizerFile.h"
#include "views/SettingsForm.h"

#include <nlohmann/json.hpp>

#include <QCheckBox>
#include <QFormLayout>
#include <QLineEdit>
#include <QTemporaryDir>
#include <QWidget>
#include <QtTest>

#include <iterator>
#include <set>
#include <sstream>

using namespace l2l;
using l2l::test::expectError;

namespace {

const auto& table() { return metaTrainSettings(); }

// A value of field f other than its default, inside its range (and keeping unroll <= horizon).
template <typename S>
SettingValue otherValue(const Setting<S>& f)
{
    const SettingValue d = f.get(S{});
    switch (f.kind) {
    case SettingKind::Int: {
        const long long v = std::get<long long>(d);
        return v + 1 <= (long long)f.hi ? v + 1 : v - 1;
    }
    case SettingKind::UInt:
        return std::get<std::uint64_t>(d) + 12345;
    case SettingKind::Real: {
        const double v = std::get<double>(d);
        if (v == 0) return 0.5;
        return v * 2 <= f.hi ? v * 2 : v / 2;
    }
    case SettingKind::Bool:
        return !std::get<bool>(d);
    case SettingKind::Choice:
        for (const auto& c : f.choices)
            if (c != std::get<std::string>(d)) return c;
        break;
    case SettingKind::Text: // the problem spec, the curriculum's horizons or the imitated rule
        return std::string(f.key == "curriculum" ? "20,100" : f.key == "imitate" ? "adam:lr=0.01" : "mnist:hidden=40");
    }
    return d;
}

MetaTrainConfig withOther(const Setting<MetaTrainConfig>& f)
{
    MetaTrainConfig c;
    f.set(c, otherValue(f));
    c.validate();
    return c;
}

bool isArch(const std::string& key)
{
    for (const auto& k : metaTrainArchKeys())
        if (k == key) return true;
    return false;
}

} // namespace

class TestSettings : public QObject {
    Q_OBJECT
private slots:
    void tableIsConsistent();
    void everyFieldRoundTripsThroughExperimentFiles();
    void everyFieldRoundTripsThroughCheckpoints();
    void everyFieldRoundTripsThroughProvenance();
    void unrecordedProvenanceIsNotInvented();
    void everyFieldRoundTripsThroughTheRecordedCommand();
    void everyFormFieldRoundTripsThroughTheForm();
    void badJsonValuesAreRefused_data();
    void badJsonValuesAreRefused();
    void badTextIsRefused_data();
    void badTextIsRefused();
    void missingKeysFollowTheSettingsVersion();
    void crossFieldCheckNamesBoth();
    void everyEvalFieldRoundTripsThroughExperimentFilesAndTheForm();

private:
    QTemporaryDir m_tmp;
};

void TestSettings::tableIsConsistent()
{
    std::set<std::string> keys, flags;
    for (const auto& f : table().fields) {
        QVERIFY2(keys.insert(f.key).second, f.key.c_str());
        if (!f.flag.empty()) QVERIFY2(flags.insert(f.flag).second, f.flag.c_str());
        QVERIFY2(!f.help.empty() && !f.label.empty(), f.key.c_str());
        checkSettingValue(settingInfo(f), f.get(MetaTrainConfig{}), "default"); // defaults are in range
    }
}

void TestSettings::everyFieldRoundTripsThroughExperimentFiles()
{
    for (const auto& f : table().fields) {
        // The experiment's own problem; the machine's threads; command-line-only settings (the memory limit).
        if (f.key == "problem" || f.key == "threads" || !(f.use & kInFile)) continue;
        Experiment e;
        e.metaTrain = withOther(f);
        e.eval.problem = e.metaTrain.problem;
        const Experiment back = experimentFromJson(experimentToJson(e), "x.json");
        QVERIFY2(f.get(back.metaTrain) == f.get(e.metaTrain), f.key.c_str());
        QVERIFY2(!(f.get(back.metaTrain) == f.get(MetaTrainConfig{})), f.key.c_str());
    }
}

void TestSettings::everyFieldRoundTripsThroughCheckpoints()
{
    for (const auto& f : table().fields) {
        if (!(f.use & kInFile)) continue; // command-line only: the memory limit belongs to the machine
        MetaTrainState s;
        s.config = withOther(f);
        s.net = LstmNet<float>::init(s.config.arch, 7);
        s.best = s.net;
        s.adam.reset(s.net.params.size());
        const QString path = m_tmp.filePath("c.json");
        saveCheckpoint(path.toStdString(), s);
        const MetaTrainState back = loadCheckpoint(path.toStdString());
        QVERIFY2(f.get(back.config) == f.get(s.config), f.key.c_str());
        QVERIFY2(!(f.get(back.config) == f.get(MetaTrainConfig{})), f.key.c_str());
    }
}

void TestSettings::everyFieldRoundTripsThroughProvenance()
{
    for (const auto& f : table().fields) {
        // Not kept: no effect on the result; epochs done instead; command-line only.
        if (f.key == "threads" || f.key == "epochs" || !(f.use & kInFile)) continue;
        OptimizerFile file;
        file.provenance.training = withOther(f);
        file.net = LstmNet<float>::init(file.provenance.training.arch, 7);
        file.provenance.epochsDone = 3;
        const OptimizerFile back = optimizerFromJson(optimizerToJson(file), "o.json");
        QVERIFY(back.provenance.known);
        QCOMPARE(back.provenance.epochsDone, 3);
        QVERIFY2(f.get(back.provenance.training) == f.get(file.provenance.training), f.key.c_str());
        QVERIFY2(!(f.get(back.provenance.training) == f.get(MetaTrainConfig{})), f.key.c_str());
        if (isArch(f.key)) QVERIFY(back.net.arch == file.provenance.training.arch);
    }
}

// A provenance written before some settings existed is written back without them and with its own version:
// `l2l select` re-saving the bundled neural-art file wrote validate_every 50 (the default) for a run that
// validated every 25 (its recorded command says so) and claimed the current settings version.
void TestSettings::unrecordedProvenanceIsNotInvented()
{
    OptimizerFile file;
    file.net = LstmNet<float>::init(file.provenance.training.arch, 7);
    file.provenance.known = true;
    nlohmann::json doc = nlohmann::json::parse(optimizerToJson(file));
    nlohmann::json& p = doc["provenance"];
    for (const char* key : {"validate_every", "lr_schedule", "clip_norm"}) QVERIFY(p.erase(key) == 1);
    for (const int version : {-1, 0}) { // a legacy file (no settings_version), then one of version 0
        if (version < 0)
            p.erase("settings_version");
        else
            p["settings_version"] = version;
        const OptimizerFile read = optimizerFromJson(doc.dump(), "old.json");
        const nlohmann::json again = nlohmann::json::parse(optimizerToJson(read))["provenance"];
        for (const char* key : {"validate_every", "lr_schedule", "clip_norm"}) QVERIFY2(!again.contains(key), key);
        QCOMPARE(again.contains("settings_version"), version >= 0);
        if (version >= 0) QCOMPARE(again["settings_version"].get<int>(), version);
        QVERIFY(again.contains("horizon")); // what it recorded stays
        // And it reads back as it was.
        const OptimizerFile twice = optimizerFromJson(optimizerToJson(read), "old.json");
        QCOMPARE(twice.provenance.unrecorded, read.provenance.unrecorded);
    }
    // A file of the current version records every setting.
    QVERIFY(optimizerFromJson(optimizerToJson(file), "new.json").provenance.unrecorded.empty());
}

// The command the studio records, read back flag by flag with the table (as `l2l train` does).
void TestSettings::everyFieldRoundTripsThroughTheRecordedCommand()
{
    for (const auto& f : table().fields) {
        if (!(f.use & kInCli)) continue;
        const MetaTrainConfig c = withOther(f);
        const std::string command = settingsCommand(table(), c, MetaTrainConfig{});
        QVERIFY2(command.find("--" + f.flag) != std::string::npos, command.c_str());
        std::istringstream words(command);
        std::vector<std::string> w{std::istream_iterator<std::string>(words), {}};
        MetaTrainConfig back;
        for (size_t i = 0; i < w.size(); ++i) {
            QVERIFY(w[i].rfind("--", 0) == 0);
            const Setting<MetaTrainConfig>* g = nullptr;
            for (const auto& h : table().fields)
                if ("--" + h.flag == w[i]) g = &h;
            QVERIFY2(g, w[i].c_str());
            if (g->kind == SettingKind::Bool)
                g->set(back, true);
            else
                setSettingText(*g, back, w.at(++i), "train");
        }
        QVERIFY2(f.get(back) == f.get(c), command.c_str());
    }
}

void TestSettings::everyFormFieldRoundTripsThroughTheForm()
{
    QWidget w;
    auto* form = new QFormLayout(&w);
    ui::SettingsForm rows;
    rows.build(form, table(), MetaTrainConfig{}, QStringLiteral("train"));
    int count = 0;
    for (const auto& f : table().fields) {
        if (!(f.use & kInForm)) {
            QVERIFY(!rows.widget(f.key));
            continue;
        }
        ++count;
        QVERIFY(w.findChild<QWidget*>(ui::settingWidgetName("train", f.key)));
        const MetaTrainConfig c = withOther(f);
        rows.write(table(), c);
        MetaTrainConfig back;
        rows.read(table(), back, "train");
        QVERIFY2(f.get(back) == f.get(c), f.key.c_str());
    }
    QVERIFY(count >= 8);
    QVERIFY(w.findChild<QWidget*>("trainLearningRate"));
    // The bundled MNIST recipe (--rnnprop --meta-loss log --validate-final) can be set in the studio (a trial could
    // not: these were file and command-line settings only).
    for (const char* key : {"second_derivatives", "meta_loss", "validate_on_final_loss", "layers", "hidden",
                            "preprocess", "input_layer", "output_activation", "output_scale", "gac"})
        QVERIFY2(rows.widget(key), key);
}

void TestSettings::badJsonValuesAreRefused_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("expected");
    QTest::newRow("fraction for an integer") << "epochs"
                                             << "1.5"
                                             << "must be an integer";
    QTest::newRow("2^32 + 1 epochs (no wrap)") << "epochs"
                                               << "4294967297"
                                               << "[1, 10000000]";
    QTest::newRow("2^64 epochs") << "epochs"
                                 << "18446744073709551616"
                                 << "epochs";
    QTest::newRow("negative seed") << "seed"
                                   << "-1"
                                   << "seed";
    QTest::newRow("string for a number") << "learning_rate"
                                         << "\"0.1\""
                                         << "must be a number";
    QTest::newRow("rate out of range") << "learning_rate"
                                       << "2"
                                       << "(0, 1]";
    QTest::newRow("zero rate") << "learning_rate"
                               << "0"
                               << "(0, 1]";
    QTest::newRow("number for a bool") << "second_derivatives"
                                       << "1"
                                       << "true or false";
    QTest::newRow("unknown choice") << "lr_schedule"
                                    << "\"linear\""
                                    << "one of constant, cosine";
    QTest::newRow("number for a choice") << "groups"
                                         << "2"
                                         << "must be a string";
    QTest::newRow("unknown key") << "epoch"
                                 << "3"
                                 << "unknown key \"epoch\"";
    QTest::newRow("layers out of range") << "layers"
                                         << "9"
                                         << "[1, 4]";
    QTest::newRow("newer settings version") << "settings_version"
                                            << "99"
                                            << "newer";
}

void TestSettings::badJsonValuesAreRefused()
{
    QFETCH(QString, key);
    QFETCH(QString, value);
    QFETCH(QString, expected);
    nlohmann::json j = nlohmann::json::parse(experimentToJson(Experiment{}));
    j["meta_train"][key.toStdString()] = nlohmann::json::parse(value.toStdString());
    expectError([&] { experimentFromJson(j.dump(), "bad.json"); }, {"bad.json", "meta_train", expected});
}

void TestSettings::badTextIsRefused_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    QTest::newRow("trailing garbage") << "epochs"
                                      << "12abc"
                                      << "epochs (--epochs)";
    QTest::newRow("exponent for an integer") << "epochs"
                                             << "1e3"
                                             << "an integer";
    QTest::newRow("negative seed") << "seed"
                                   << "-1"
                                   << "seed (--seed)";
    QTest::newRow("seed beyond 2^64") << "seed"
                                      << "18446744073709551616"
                                      << "seed";
    QTest::newRow("not a number") << "learning_rate"
                                  << "fast"
                                  << "learning_rate (--lr)";
    QTest::newRow("nan") << "learning_rate"
                         << "nan"
                         << "(0, 1]";
    QTest::newRow("empty") << "clip_norm"
                           << ""
                           << "clip_norm (--clip)";
    QTest::newRow("unknown choice") << "meta_loss"
                                    << "max"
                                    << "one of sum, log";
    QTest::newRow("threads") << "threads"
                             << "1000"
                             << "[0, 256]";
}

void TestSettings::badTextIsRefused()
{
    QFETCH(QString, key);
    QFETCH(QString, text);
    QFETCH(QString, expected);
    const auto* f = table().find(key.toStdString());
    QVERIFY(f);
    MetaTrainConfig c;
    expectError([&] { setSettingText(*f, c, text.toStdString(), "train"); }, {"train:", expected});
}

void TestSettings::missingKeysFollowTheSettingsVersion()
{
    // A checkpoint config written before settings were versioned (version 1) lacks the keys added later.
    nlohmann::json j = settingsToJson(table(), MetaTrainConfig{});
    for (const auto& f : table().fields)
        if (f.since > 1) j.erase(f.key);
    j.erase("settings_version");
    MetaTrainConfig c;
    settingsFromJson(table(), j, c, 1, "config");
    QCOMPARE(c.epochs, MetaTrainConfig{}.epochs);
    // The same keys missing from a version-2 object are an error naming the key.
    j["settings_version"] = 2;
    expectError([&] { settingsFromJson(table(), j, c, 1, "config"); }, {"config", "\"lr_schedule\" is missing"});
    // A key of version 1 missing from a version-1 object, too.
    nlohmann::json k = settingsToJson(table(), MetaTrainConfig{});
    k.erase("horizon");
    k["settings_version"] = 1;
    expectError([&] { settingsFromJson(table(), k, c, 1, "config"); }, {"\"horizon\" is missing"});
    // Legacy version 0 (experiment files): every key optional.
    MetaTrainConfig d;
    settingsFromJson(table(), nlohmann::json::object(), d, 0, "meta_train");
    QCOMPARE(d.horizon, MetaTrainConfig{}.horizon);
}

void TestSettings::crossFieldCheckNamesBoth()
{
    MetaTrainConfig c;
    c.horizon = 10;
    c.unroll = 11;
    expectError([&] { c.validate(); }, {"unroll", "horizon"});
}

void TestSettings::everyEvalFieldRoundTripsThroughExperimentFilesAndTheForm()
{
    QWidget w;
    auto* form = new QFormLayout(&w);
    ui::SettingsForm rows;
    rows.build(form, evalSettings(), EvalConfig{}, QString(), QStringLiteral("Field"));
    int files = 0, forms = 0;
    for (const auto& f : evalSettings().fields) {
        EvalConfig c;
        f.set(c, otherValue(f));
        c.validate();
        if (f.use & kInFile) {
            ++files;
            Experiment e;
            e.eval = c;
            const Experiment back = experimentFromJson(experimentToJson(e), "x.json");
            QVERIFY2(f.get(back.eval) == f.get(c), f.key.c_str());
            QVERIFY2(!(f.get(back.eval) == f.get(EvalConfig{})), f.key.c_str());
        }
        if (f.use & kInForm) {
            ++forms;
            rows.write(evalSettings(), c);
            EvalConfig back;
            rows.read(evalSettings(), back, "Runs");
            QVERIFY2(f.get(back) == f.get(c), f.key.c_str());
        }
        if (f.use & kInCli) { // what a command line gives, read back with the table
            EvalConfig back;
            setSettingText(f, back, settingText(f.get(c)), "eval");
            QVERIFY2(f.get(back) == f.get(c), f.key.c_str());
        }
    }
    QCOMPARE(files, 6); // problem, runs, steps, seed, test_every, tune_race
    QCOMPARE(forms, 5); // runs, steps, seed, test_every, tune_race
    QVERIFY(w.findChild<QLineEdit*>("seedField"));
    QVERIFY(qobject_cast<QCheckBox*>(rows.widget("tune_race")));
    // Whether to race the tuning is settings version 3: an experiment written before it does not race, one that
    // claims version 3 without the key is refused, naming it.
    nlohmann::json old = nlohmann::json::parse(experimentToJson(Experiment{}));
    QCOMPARE(old["settings_version"].get<int>(), 3);
    old.erase("tune_race");
    old["settings_version"] = 2;
    QCOMPARE(experimentFromJson(old.dump(), "old.json").eval.tune.race, false);
    old["settings_version"] = 3;
    expectError([&] { experimentFromJson(old.dump(), "new.json"); }, {"new.json", "tune_race"});
    // An optimizer file whose layer count would wrap to 1 in a 32-bit int is refused, naming the key.
    OptimizerFile file;
    file.net = LstmNet<float>::init(LstmArch{}, 7);
    nlohmann::json o = nlohmann::json::parse(optimizerToJson(file));
    o["architecture"]["layers"] = 4294967297ULL;
    expectError([&] { optimizerFromJson(o.dump(), "o.json"); }, {"o.json", "layers", "[1, 4]"});
    // So is an unknown top-level key (a misspelt "provenence" was dropped without a word), naming it.
    nlohmann::json misspelt = nlohmann::json::parse(optimizerToJson(file));
    misspelt["provenence"] = misspelt["provenance"];
    expectError([&] { optimizerFromJson(misspelt.dump(), "p.json"); }, {"p.json", "unknown key \"provenence\""});
    QVERIFY(optimizerFromJson(optimizerToJson(file), "ok.json").net.params == file.net.params); // its own keys
    // A stranger's experiment with a seed of -1 or 2^64 is refused, naming the key.
    nlohmann::json j = nlohmann::json::parse(experimentToJson(Experiment{}));
    j["seed"] = -1;
    expectError([&] { experimentFromJson(j.dump(), "s.json"); }, {"s.json", "seed"});
}

QTEST_MAIN(TestSettings)
#include "test_settings.moc"
