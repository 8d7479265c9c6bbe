#include "meta/MetaTrainer.h"

#include "base/DetMath.h"
#include "base/JsonLimits.h"

#include "base/AtomicFile.h"
#include "base/Parallel.h"
#include "base/Rng.h"
#include "base/SeedStreams.h"
#include "optimizers/LstmOptimizer.h"

#include <nlohmann/json.hpp>

#include "base/Memory.h"
#include <algorithm>

#include <chrono>
#include <cmath>
#include <sstream>

namespace l2l {

MetaTrainer::MetaTrainer(const MetaTrainConfig& config)
{
    config.validate();
    m_state.config = config;
    m_class = makeProblemClass<float>(config.problem);
    const int nets = config.groups == ParamGroups::PerBlock ? groupCount(m_class->paramBlocks()) : 1;
    m_state.net = LstmNet<float>::init(config.arch, deriveSeed(config.seed, 0, kInitialLstmWeights), nets);
    m_state.best = m_state.net;
    m_state.adam.reset(m_state.net.params.size());
}

MetaTrainer::MetaTrainer(MetaTrainConfig config, const LstmNet<float>& initial)
    : MetaTrainer([&] {
          config.arch = initial.arch;
          if (initial.nets > 1) config.groups = ParamGroups::PerBlock;
          return config;
      }())
{
    if (initial.nets != m_state.net.nets)
        throw Error("the initial optimizer has " + std::to_string(initial.nets) + " net" +
                    (initial.nets == 1 ? "" : "s") + ", but --groups " + paramGroupsName(m_state.config.groups) +
                    " on " + m_state.config.problem + " needs " + std::to_string(m_state.net.nets));
    m_state.net = initial;
    m_state.best = initial;
}

MetaTrainer::MetaTrainer(MetaTrainState state) : m_state(std::move(state))
{
    m_state.config.validate();
    m_class = makeProblemClass<float>(m_state.config.problem);
}

void MetaTrainer::adamStep(Vec<float> g)
{
    const MetaTrainConfig& c = m_state.config;
    if (c.clipNorm > 0) {
        const double norm = g.template cast<double>().norm();
        if (norm > c.clipNorm) {
            g *= float(c.clipNorm / norm);
            ++m_state.clippedUpdates;
        }
    }
    // Adam (Kingma & Ba) on phi, beta1 0.9, beta2 0.999, eps 1e-8.
    const double lr = c.learningRate * lrScheduleFactor(c.lrSchedule, m_state.epoch, c.epochs);
    m_state.adam.step(m_state.net.params, g, lr, 0.9, 0.999, 1e-8f);
}

double MetaTrainer::episode(const std::atomic<bool>* cancel, bool* aborted)
{
    const MetaTrainConfig& c = m_state.config;
    auto problem = m_class->sample(deriveSeed(c.seed, std::uint64_t(m_state.epoch), kTrainInstances));
    EpisodeState<float> traj;
    traj.start(*problem, c.arch);
    if (!m_unroller || m_unroller->net() != &m_state.net)
        m_unroller = std::make_unique<Unroller<float>>(&m_state.net, c.threads);
    Unroller<float>& unroller = *m_unroller;
    unroller.setCancel(cancel);
    unroller.setMetaLoss(c.metaLoss);
    Vec<float> dphi;
    double sum = 0;
    *aborted = false;
    for (int done = 0; done < c.horizon;) {
        const int k = std::min(c.unroll, c.horizon - done);
        sum += unroller.window(*problem, traj, k, c.secondDerivatives, &dphi);
        if (unroller.cancelled()) {
            *aborted = true; // stopped inside the window: the caller rolls the episode back
            return done > 0 ? sum / done : 0.0;
        }
        done += k;
        if (dphi.allFinite() && std::isfinite(traj.loss))
            adamStep(dphi);
        else
            ++m_state.skippedUpdates;
        if (!std::isfinite(traj.loss)) return sum / done; // diverged optimizee: end the episode here
        if (done < c.horizon && cancel && cancel->load()) {
            *aborted = true; // stop request inside the episode: the caller rolls it back
            return sum / done;
        }
    }
    return sum / c.horizon;
}

double MetaTrainer::validate(const LstmNet<float>& net) const
{
    bool aborted = false;
    return validate(net, nullptr, &aborted);
}

double MetaTrainer::validate(const LstmNet<float>& net, const std::atomic<bool>* cancel, bool* aborted) const
{
    const MetaTrainConfig& c = m_state.config;
    std::vector<double> means(size_t(c.validationRuns));
    std::atomic<bool> stopped{false};
    parallelFor(c.validationRuns, c.threads, [&](int run) {
        if (cancel && cancel->load()) {
            stopped = true;
            return;
        }
        auto problem = m_class->sample(deriveSeed(c.seed, std::uint64_t(run), kValidInstances));
        EpisodeState<float> traj;
        traj.start(*problem, net.arch);
        Unroller<float> unroller(&net, 1);
        unroller.setCancel(cancel);
        const double sum = unroller.window(*problem, traj, c.horizon, false, nullptr);
        if (unroller.cancelled()) stopped = true;
        const double value = c.validateOnFinalLoss ? traj.loss : sum / c.horizon;
        means[size_t(run)] = std::isfinite(value) ? value : std::numeric_limits<double>::infinity();
    });
    *aborted = stopped.load();
    double total = 0;
    for (double m : means) total += m;
    return total / c.validationRuns;
}

std::uint64_t estimateTrainingBytes(const MetaTrainConfig& c, const ProblemClass<float>& cls)
{
    const std::uint64_t n = std::uint64_t(cls.dim());
    const std::uint64_t LH = std::uint64_t(c.arch.layers) * std::uint64_t(c.arch.hidden);
    // Per coordinate: theta, gradient, h and c of every layer; per step of the window its cached input, gates and
    // cell states (LstmStepCache) and its gradient (twice that with second derivatives: theta and the HVPs).
    const std::uint64_t state = 4 + 2 * LH;
    const std::uint64_t perStep = std::uint64_t(c.arch.inputSize()) + 5 * LH + 1 + (c.secondDerivatives ? 3 : 0);
    const std::uint64_t episode = addBytes(
        cls.instanceBytes(), mulBytes(n * sizeof(float), addBytes(state, mulBytes(std::uint64_t(c.unroll), perStep))));
    // Validation: one instance and state per thread at a time, no caches.
    const std::uint64_t threads = std::uint64_t(std::max(1, effectiveThreads(c.threads, c.validationRuns)));
    const std::uint64_t validation =
        mulBytes(threads, addBytes(cls.instanceBytes(), mulBytes(n * sizeof(float), state)));
    return addBytes(episode, validation);
}

void MetaTrainer::run(const std::function<void(const MetaProgress&)>& progress, const std::atomic<bool>* cancel)
{
    using Clock = std::chrono::steady_clock;
    const MetaTrainConfig& c = m_state.config;
    if (m_state.epoch < c.epochs)
        checkMemoryBudget(estimateTrainingBytes(c, *m_class), c.memoryLimitMiB, "this training",
                          "unroll " + std::to_string(c.unroll) + " on " + m_class->canonicalSpec() + ", " +
                              std::to_string(m_class->dim()) + " coordinates",
                          "use a shorter unroll or a smaller problem");
    const double before = m_state.elapsedSeconds;
    const auto t0 = Clock::now();
    const int startEpoch = m_state.epoch;
    while (m_state.epoch < c.epochs && !(cancel && cancel->load())) {
        bool aborted = false;
        MetaHistoryPoint point;
        // An unfinished epoch does not count: keep what it would change, to restore it on a stop, so that
        // a stopped and resumed run gives exactly the weights of an uninterrupted one.
        const Vec<float> params = m_state.net.params;
        const AdamState<float> adam = m_state.adam;
        const int skipped = m_state.skippedUpdates, clipped = m_state.clippedUpdates;
        point.metaLoss = episode(cancel, &aborted);
        const int epoch = m_state.epoch + 1;
        const bool validating = epoch % c.validateEvery == 0 || epoch == c.epochs;
        if (!aborted && validating) point.validationLoss = validate(m_state.net, cancel, &aborted);
        if (aborted) {
            m_state.net.params = params;
            m_state.adam = adam;
            m_state.skippedUpdates = skipped;
            m_state.clippedUpdates = clipped;
            break;
        }
        point.epoch = ++m_state.epoch;
        if (validating) {
            if (point.validationLoss < m_state.bestValidation) {
                m_state.bestValidation = point.validationLoss;
                m_state.bestEpoch = m_state.epoch;
                m_state.best = m_state.net;
            }
        }
        m_state.history.push_back(point);
        m_state.elapsedSeconds = before + std::chrono::duration<double>(Clock::now() - t0).count();
        if (progress) {
            MetaProgress p;
            p.epoch = m_state.epoch;
            p.epochs = c.epochs;
            p.metaLoss = point.metaLoss;
            p.validationLoss = point.validationLoss;
            p.bestValidation = std::isfinite(m_state.bestValidation) ? m_state.bestValidation : NAN;
            p.bestEpoch = m_state.bestEpoch;
            p.elapsedSeconds = m_state.elapsedSeconds;
            const double perEpoch = (m_state.elapsedSeconds - before) / double(m_state.epoch - startEpoch);
            p.etaSeconds = perEpoch * (c.epochs - m_state.epoch);
            p.skippedUpdates = m_state.skippedUpdates;
            p.clippedUpdates = m_state.clippedUpdates;
            progress(p);
        }
    }
}

OptimizerFile MetaTrainer::bestOptimizer(const std::string& command) const
{
    const MetaTrainConfig& c = m_state.config;
    OptimizerFile f;
    const bool validated = m_state.bestEpoch >= 0;
    f.net = validated ? m_state.best : m_state.net;
    Provenance& p = f.provenance;
    p.known = true;
    p.training = c;
    p.training.arch = f.net.arch;
    p.epochsDone = m_state.epoch;
    p.bestEpoch = validated ? m_state.bestEpoch : m_state.epoch;
    p.validationLoss = validated ? m_state.bestValidation : NAN;
    p.command = command;
    const std::time_t now = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    p.created = buf;
    return f;
}

namespace {
nlohmann::json vecJson(const Vec<float>& v)
{
    nlohmann::json a = nlohmann::json::array();
    for (Index i = 0; i < v.size(); ++i) a.push_back(double(v(i)));
    return a;
}
Vec<float> vecFrom(const nlohmann::json& a, Index n, const std::string& what)
{
    if (!a.is_array() || Index(a.size()) != n)
        throw Error(what + " has " + std::to_string(a.size()) + " values, expected " + std::to_string(n));
    Vec<float> v(n);
    for (Index i = 0; i < n; ++i) {
        const double x = a[size_t(i)].get<double>();
        if (!std::isfinite(x)) throw Error(what + " value " + std::to_string(i) + " is not finite");
        v(i) = float(x);
    }
    return v;
}
} // namespace

void saveCheckpoint(const std::string& path, const MetaTrainState& s)
{
    const MetaTrainConfig& c = s.config;
    OptimizerFile current{s.net, {}};
    nlohmann::json history = nlohmann::json::array();
    for (const auto& h : s.history)
        history.push_back(
            {h.epoch, h.metaLoss,
             std::isfinite(h.validationLoss) ? nlohmann::json(h.validationLoss) : nlohmann::json(nullptr)});
    nlohmann::json doc = {{"format", "l2l-train-checkpoint"},
                          {"version", 1},
                          {"config", settingsToJson(metaTrainSettings(), c, metaTrainArchKeys())},
                          {"current", nlohmann::json::parse(optimizerToJson(current))},
                          {"best_weights", vecJson(s.best.params)},
                          {"adam_m", vecJson(s.adam.m)},
                          {"adam_v", vecJson(s.adam.v)},
                          {"adam_t", s.adam.t},
                          {"epoch", s.epoch},
                          {"best_validation", std::isfinite(s.bestValidation) ? nlohmann::json(s.bestValidation)
                                                                              : nlohmann::json(nullptr)},
                          {"best_epoch", s.bestEpoch},
                          {"elapsed_seconds", s.elapsedSeconds},
                          {"skipped_updates", s.skippedUpdates},
                          {"clipped_updates", s.clippedUpdates},
                          {"history", history}};
    writeFileAtomically(path, doc.dump() + "\n");
}

namespace {
// A state counter of a checkpoint, range-checked (a stranger's file may say epoch -1000).
long long stateInteger(const nlohmann::json& doc, const char* key, long long lo, long long hi)
{
    return jsonIntegerIn(doc.at(key), key, lo, hi);
}
} // namespace

MetaTrainState loadCheckpoint(const std::string& path)
{
    return checkpointFromJson(readFile(path, kMaxCheckpointFileBytes), path);
}

MetaTrainState checkpointFromJson(const std::string& text, const std::string& path)
{
    const std::string where = "checkpoint '" + path + "'";
    const nlohmann::json doc = parseJsonLimited(text, where);
    if (jsonFormatVersion(doc, where, "l2l-train-checkpoint", "an l2l training checkpoint") != 1)
        throw Error(where + " is not an l2l training checkpoint of version 1");
    MetaTrainState s;
    try {
        // Checkpoints from before settings were versioned have settings version 1: the keys added since
        // (lr_schedule, clip_norm, ...) take their defaults. The architecture comes with the weights.
        s.net = optimizerFromJson(doc.at("current").dump(), path + " (current weights)").net;
        s.config.arch = s.net.arch;
        settingsFromJson(metaTrainSettings(), doc.at("config"), s.config, 1, "config", {}, metaTrainArchKeys());
        const Index n = s.net.params.size();
        s.best = {s.net.arch, vecFrom(doc.at("best_weights"), n, "best_weights"), s.net.nets};
        s.adam.m = vecFrom(doc.at("adam_m"), n, "adam_m");
        s.adam.v = vecFrom(doc.at("adam_v"), n, "adam_v");
        s.adam.t = long(stateInteger(doc, "adam_t", 0, 1000000000000LL));
        s.epoch = int(stateInteger(doc, "epoch", 0, s.config.epochs));
        s.bestValidation = doc.at("best_validation").is_number() ? doc["best_validation"].get<double>() : INFINITY;
        s.bestEpoch = int(stateInteger(doc, "best_epoch", -1, s.epoch));
        s.elapsedSeconds = doc.at("elapsed_seconds").get<double>();
        if (!(s.elapsedSeconds >= 0 && s.elapsedSeconds < 1e10))
            throw Error("key \"elapsed_seconds\" must be a number of seconds >= 0, got " +
                        excerpt(doc["elapsed_seconds"].dump(), 40));
        s.skippedUpdates = int(stateInteger(doc, "skipped_updates", 0, 2000000000));
        s.clippedUpdates =
            doc.contains("clipped_updates") ? int(stateInteger(doc, "clipped_updates", 0, 2000000000)) : 0;
        for (const auto& h : doc.at("history"))
            s.history.push_back({int(jsonIntegerIn(h.at(0), "history epoch", 0, s.epoch)),
                                 h.at(1).is_number() ? h[1].get<double>() : NAN,
                                 h.at(2).is_number() ? h[2].get<double>() : NAN});
        s.config.validate();
    } catch (const nlohmann::json::exception& e) {
        throw Error(where + " is malformed: " + excerpt(e.what(), 200));
    } catch (const Error& e) {
        throw Error(where + ": " + e.what());
    }
    return s;
}

} // namespace l2l
