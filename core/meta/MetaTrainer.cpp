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
#include <cstring>
#include <sstream>

namespace l2l {

namespace {
MemberExchange& singleProcess()
{
    static SingleProcess one;
    return one;
}
} // namespace

MetaTrainer::MetaTrainer(const MetaTrainConfig& config) : m_exchange(&singleProcess())
{
    config.validate();
    m_state.config = config;
    makeClasses();
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
    m_state.validateStart = true;
}

MetaTrainer::MetaTrainer(MetaTrainState state) : m_state(std::move(state)), m_exchange(&singleProcess())
{
    m_state.config.validate();
    makeClasses();
}

void MetaTrainer::setExchange(MemberExchange* exchange)
{
    MemberExchange* e = exchange ? exchange : &singleProcess();
    const int B = m_state.config.metaBatch;
    if (e->size() > B)
        throw Error("a meta-batch of " + std::to_string(B) + " (--meta-batch) cannot be shared by " +
                    std::to_string(e->size()) + " ranks: every rank needs at least one member (use --meta-batch " +
                    std::to_string(e->size()) + " or more, or at most " + std::to_string(B) + " rank" +
                    (B == 1 ? "" : "s") + ")");
    m_exchange = e;
    m_unrollers.clear();
}

bool MetaTrainer::stopAgreed(const std::atomic<bool>* cancel, int epoch)
{
    const bool local = cancel && cancel->load();
    MemberExchange& ex = *m_exchange;
    if (ex.size() == 1) return local;
    const std::vector<std::size_t> counts(size_t(ex.size()), 1);
    const std::byte mine[1] = {std::byte(local)};
    std::vector<std::byte> all(counts.size());
    ex.allgather(mine, all, counts, "the start of epoch " + std::to_string(epoch + 1));
    return std::any_of(all.begin(), all.end(), [](std::byte b) { return b != std::byte(0); });
}

void MetaTrainer::makeClasses()
{
    const MetaTrainConfig& c = m_state.config;
    m_class = makeProblemClass<float>(c.problem);
    m_trainClass.reset();
    if (c.randomScale > 0) {
        Spec spec = Spec::parse(c.problem);
        spec.options.push_back({"xscale", exactNumber(c.randomScale)});
        m_trainClass = makeProblemClass<float>(spec.str());
    }
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

std::uint64_t trainingInstanceSeed(std::uint64_t seed, int epoch, int member)
{
    const std::uint64_t first = deriveSeed(seed, std::uint64_t(epoch), kTrainInstances);
    return member == 0 ? first : deriveSeed(first, std::uint64_t(member), kTrainBatchMembers);
}

namespace {

// One optimizee of the meta-batch through an episode. On a rank that does not run it, only what the exchange brings
// (its window's results) is set.
struct Member {
    std::unique_ptr<Problem<float>> problem;
    EpisodeState<float> traj;
    Vec<float> dphi;
    double sum = 0;       // of the losses so far
    double imitation = 0; // of the imitation terms so far (lambda/2 |u - a|^2 per step; 0 without imitation)
    int steps = 0;        // steps done (fewer than the horizon if its loss stopped being finite)
    bool active = true, windowOk = false, cancelled = false;
    bool lossFinite = true; // after the last window
};

// A member's window results as they travel between ranks: this header, then its meta-gradient (P floats).
struct MemberResult {
    double sum, imitation;
    std::int32_t steps;
    std::uint8_t windowOk, cancelled, lossFinite, unused;
};
static_assert(sizeof(MemberResult) == 24);
constexpr std::size_t kRankHeader = 8; // a rank's block starts with its stop request (one byte, padded)

// Every rank's members' window results to every rank (ranks > 1). Returns whether any rank was asked to stop.
bool exchangeWindow(MemberExchange& ex, std::vector<Member>& members, Index P, bool stop, const std::string& where)
{
    const int B = int(members.size()), N = ex.size();
    const std::size_t memberBytes = sizeof(MemberResult) + std::size_t(P) * sizeof(float);
    std::vector<std::size_t> counts(static_cast<size_t>(N));
    for (int r = 0; r < N; ++r) counts[size_t(r)] = kRankHeader + std::size_t(shareOf(B, r, N).size()) * memberBytes;
    const Share mine = shareOf(B, ex.rank(), N);
    std::vector<std::byte> out(counts[size_t(ex.rank())]), all;
    out[0] = std::byte(stop);
    for (int b = mine.first; b < mine.last; ++b) {
        const Member& m = members[size_t(b)];
        const MemberResult h{m.sum, m.imitation, m.steps, m.windowOk, m.cancelled, m.lossFinite, 0};
        std::byte* p = out.data() + kRankHeader + std::size_t(b - mine.first) * memberBytes;
        std::memcpy(p, &h, sizeof h);
        if (m.dphi.size() == P) std::memcpy(p + sizeof h, m.dphi.data(), std::size_t(P) * sizeof(float));
    }
    std::size_t total = 0;
    for (std::size_t n : counts) total += n;
    all.resize(total);
    ex.allgather(out, all, counts, where);
    bool anyStop = false;
    std::size_t offset = 0;
    for (int r = 0; r < N; ++r) {
        anyStop = anyStop || all[offset] != std::byte(0);
        const Share share = shareOf(B, r, N);
        for (int b = share.first; b < share.last && r != ex.rank(); ++b) {
            Member& m = members[size_t(b)];
            const std::byte* p = all.data() + offset + kRankHeader + std::size_t(b - share.first) * memberBytes;
            MemberResult h;
            std::memcpy(&h, p, sizeof h);
            m.sum = h.sum;
            m.imitation = h.imitation;
            m.steps = h.steps;
            m.windowOk = h.windowOk != 0;
            m.cancelled = h.cancelled != 0;
            m.lossFinite = h.lossFinite != 0;
            m.dphi.resize(P);
            std::memcpy(m.dphi.data(), p + sizeof h, std::size_t(P) * sizeof(float));
        }
        offset += counts[size_t(r)];
    }
    return anyStop;
}

} // namespace

double MetaTrainer::episode(const std::atomic<bool>* cancel, bool* aborted, double* gradientNoise, double* imitation)
{
    const MetaTrainConfig& c = m_state.config;
    const int B = c.metaBatch;
    // This process runs the members `mine` (all of them without MPI ranks). They run side by side, each on one
    // thread; a single member runs its LSTM on all of them. Results never depend on the thread count (or the
    // ranks): every member's arithmetic is fixed, and their gradients are summed in member order.
    MemberExchange& ex = *m_exchange;
    const Share mine = shareOf(B, ex.rank(), ex.size());
    const int L = mine.size();
    const int threads = L == 1 ? 1 : effectiveThreads(c.threads, L);
    const int innerThreads = L == 1 ? c.threads : 1;
    if (int(m_unrollers.size()) != threads || m_unrollers.front()->net() != &m_state.net ||
        m_unrollers.front()->threads() != innerThreads) {
        m_unrollers.clear();
        for (int t = 0; t < threads; ++t)
            m_unrollers.push_back(std::make_unique<Unroller<float>>(&m_state.net, innerThreads));
    }
    const double lambda = c.imitationWeightAt(m_state.epoch); // this epoch's imitation weight (0: none)
    for (auto& u : m_unrollers) {
        u->setCancel(cancel);
        u->setMetaLoss(c.metaLoss);
        u->setImitation(lambda);
    }
    std::vector<Member> members(static_cast<size_t>(B));
    parallelFor(L, threads, [&](int i) {
        const int b = mine.first + i;
        Member& m = members[size_t(b)];
        m.problem = trainingClass().sample(trainingInstanceSeed(c.seed, m_state.epoch, b));
        m.traj.start(*m.problem, c.arch, lambda > 0 ? c.imitate : std::string());
    });
    *aborted = false;
    double noiseSum = 0;
    int noiseWindows = 0;
    Vec<float> mean;
    const int horizon = trainingHorizon();
    for (int done = 0, window = 1; done < horizon; ++window) {
        const int k = std::min(c.unroll, horizon - done);
        parallelFor(L, threads, [&](int i) {
            Member& m = members[size_t(mine.first + i)];
            m.windowOk = false;
            if (!m.active) return;
            Unroller<float>& unroller = *m_unrollers[size_t(i % threads)];
            m.sum += unroller.window(*m.problem, m.traj, k, c.secondDerivatives, &m.dphi);
            m.imitation += unroller.imitationLoss();
            m.cancelled = unroller.cancelled();
            m.lossFinite = std::isfinite(m.traj.loss);
            if (m.cancelled) return;
            m.steps += k;
            m.windowOk = m.dphi.allFinite() && m.lossFinite;
            if (m_work) m_work->done.fetch_add(3L * k, std::memory_order_relaxed);
        });
        // With ranks: every member's results to every rank, and whether any rank was asked to stop.
        const bool stopAll =
            ex.size() > 1 &&
            exchangeWindow(ex, members, m_state.net.params.size(), cancel && cancel->load(),
                           "window " + std::to_string(window) + " of epoch " + std::to_string(m_state.epoch + 1));
        if (std::any_of(members.begin(), members.end(), [](const Member& m) { return m.cancelled; })) {
            *aborted = true; // stopped inside the window: the caller rolls the episode back
            break;
        }
        done += k;
        // The mean meta-gradient of the members whose window went through (summed in member order).
        int contributing = 0;
        for (const Member& m : members) {
            if (!m.windowOk) continue;
            if (contributing++ == 0)
                mean = m.dphi;
            else
                mean += m.dphi;
        }
        if (contributing > 0) {
            mean /= float(contributing);
            if (contributing > 1) {
                double spread = 0;
                for (const Member& m : members)
                    if (m.windowOk) spread += double((m.dphi - mean).squaredNorm());
                const double norm2 = double(mean.squaredNorm());
                if (norm2 > 0) {
                    noiseSum += spread / (double(contributing - 1) * double(contributing)) / norm2;
                    ++noiseWindows;
                }
            }
            adamStep(mean);
        } else {
            ++m_state.skippedUpdates;
        }
        for (Member& m : members) // a diverged optimizee ends its episode here
            if (m.active && !m.lossFinite) m.active = false;
        if (std::none_of(members.begin(), members.end(), [](const Member& m) { return m.active; })) break;
        if (done < horizon && (ex.size() > 1 ? stopAll : cancel && cancel->load())) {
            *aborted = true; // stop request inside the episode: the caller rolls it back
            break;
        }
    }
    *gradientNoise = noiseWindows > 0 ? noiseSum / noiseWindows : std::numeric_limits<double>::quiet_NaN();
    double total = 0, imitated = 0;
    for (const Member& m : members) {
        total += m.steps > 0 ? m.sum / m.steps : 0.0;
        imitated += m.steps > 0 ? m.imitation / m.steps : 0.0;
    }
    *imitation = lambda > 0 ? imitated / B : std::numeric_limits<double>::quiet_NaN();
    return total / B;
}

double MetaTrainer::validate(const LstmNet<float>& net) const
{
    bool aborted = false;
    return validate(net, nullptr, &aborted);
}

int MetaTrainer::trainingHorizon() const
{
    const auto stages = m_state.config.curriculumHorizons();
    return stages.empty() ? m_state.config.horizon
                          : stages[size_t(std::min<int>(m_state.stage, int(stages.size()) - 1))];
}

int MetaTrainer::validationHorizon() const
{
    const auto horizons = m_state.config.validationHorizons();
    return horizons[size_t(std::clamp<int>(m_state.stage, 0, int(horizons.size()) - 1))];
}

namespace {
// Every rank's validation means to every rank (ranks > 1); *aborted becomes true if any rank was stopped.
void exchangeValidation(MemberExchange& ex, std::vector<double>& means, bool* aborted, const std::string& where)
{
    const int runs = int(means.size()), N = ex.size();
    std::vector<std::size_t> counts(static_cast<size_t>(N));
    std::size_t total = 0;
    for (int r = 0; r < N; ++r)
        total += counts[size_t(r)] = kRankHeader + std::size_t(shareOf(runs, r, N).size()) * sizeof(double);
    const Share mine = shareOf(runs, ex.rank(), N);
    std::vector<std::byte> out(counts[size_t(ex.rank())]), all(total);
    out[0] = std::byte(*aborted);
    if (mine.size() > 0)
        std::memcpy(out.data() + kRankHeader, means.data() + mine.first, std::size_t(mine.size()) * sizeof(double));
    ex.allgather(out, all, counts, where);
    std::size_t offset = 0;
    for (int r = 0; r < N; ++r) {
        *aborted = *aborted || all[offset] != std::byte(0);
        const Share share = shareOf(runs, r, N);
        if (share.size() > 0)
            std::memcpy(means.data() + share.first, all.data() + offset + kRankHeader,
                        std::size_t(share.size()) * sizeof(double));
        offset += counts[size_t(r)];
    }
}
} // namespace

double MetaTrainer::validate(const LstmNet<float>& net, const std::atomic<bool>* cancel, bool* aborted) const
{
    const MetaTrainConfig& c = m_state.config;
    const int horizon = validationHorizon();
    std::vector<double> means(size_t(c.validationRuns));
    std::atomic<bool> stopped{false};
    // With ranks, this one runs its share of the runs; the means then go to every rank.
    MemberExchange& ex = *m_exchange;
    const Share mine = shareOf(c.validationRuns, ex.rank(), ex.size());
    parallelFor(mine.size(), c.threads, [&](int i) {
        const int run = mine.first + i;
        if (cancel && cancel->load()) {
            stopped = true;
            return;
        }
        auto problem = m_class->sample(deriveSeed(c.seed, std::uint64_t(run), kValidInstances));
        EpisodeState<float> traj;
        traj.start(*problem, net.arch);
        Unroller<float> unroller(&net, 1);
        unroller.setCancel(cancel);
        const double sum = unroller.window(*problem, traj, horizon, false, nullptr);
        if (unroller.cancelled()) stopped = true;
        if (m_work) m_work->done.fetch_add(horizon, std::memory_order_relaxed);
        const double value = c.validateOnFinalLoss ? traj.loss : sum / horizon;
        means[size_t(run)] = std::isfinite(value) ? value : std::numeric_limits<double>::infinity();
    });
    *aborted = stopped.load();
    if (ex.size() > 1)
        exchangeValidation(ex, means, aborted,
                           m_state.validateStart ? std::string("the validation of the starting weights (--init)")
                                                 : "the validation after epoch " + std::to_string(m_state.epoch + 1));
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
    // Imitation adds the teacher's state and target (at most 3) and a residual per step.
    const bool imitating = !c.imitate.empty();
    const std::uint64_t state = 4 + 2 * LH + (c.arch.hasMoments() ? 2 : 0) + (imitating ? 3 : 0);
    const std::uint64_t perStep = std::uint64_t(c.arch.inputSize() + c.arch.inputLayer) + 5 * LH + 1 +
                                  (c.secondDerivatives ? 3 : 0) + (imitating ? 1 : 0);
    // A meta-batch keeps every member's instance and state, and one set of window caches per thread running them.
    const std::uint64_t members = std::uint64_t(std::max(1, c.metaBatch));
    const std::uint64_t cachesAlive = c.metaBatch > 1 ? std::uint64_t(effectiveThreads(c.threads, c.metaBatch)) : 1;
    const std::uint64_t episode =
        addBytes(mulBytes(members, addBytes(cls.instanceBytes(), mulBytes(n * sizeof(float), state))),
                 mulBytes(cachesAlive, mulBytes(n * sizeof(float), mulBytes(std::uint64_t(c.unroll), perStep))));
    // Validation: one instance and state per thread at a time, no caches.
    const std::uint64_t threads = std::uint64_t(std::max(1, effectiveThreads(c.threads, c.validationRuns)));
    const std::uint64_t validation =
        mulBytes(threads, addBytes(cls.instanceBytes(), mulBytes(n * sizeof(float), state)));
    // Workspace the problem keeps once per thread (a network's feature maps, alive until the thread ends): the
    // episode's threads and the validation's, counted apart since they need not be the same threads.
    const std::uint64_t workspace = mulBytes(addBytes(threads, cachesAlive), cls.threadBytes());
    return addBytes(addBytes(episode, validation), workspace);
}

void MetaTrainer::run(const std::function<void(const MetaProgress&)>& progress, const std::atomic<bool>* cancel)
{
    using Clock = std::chrono::steady_clock;
    const MetaTrainConfig& c = m_state.config;
    // With ranks, this process holds only its share of the meta-batch and of the validation runs.
    MetaTrainConfig share = c;
    share.metaBatch = shareOf(c.metaBatch, m_exchange->rank(), m_exchange->size()).size();
    share.validationRuns = std::max(1, shareOf(c.validationRuns, m_exchange->rank(), m_exchange->size()).size());
    if (m_state.epoch < c.epochs)
        checkMemoryBudget(estimateTrainingBytes(share, *m_class), c.memoryLimitMiB, "this training",
                          "unroll " + std::to_string(c.unroll) + " on " + m_class->canonicalSpec() + ", " +
                              std::to_string(m_class->dim()) + " coordinates",
                          "use a shorter unroll or a smaller problem");
    const double before = m_state.elapsedSeconds;
    const auto t0 = Clock::now();
    const int stages = std::max<int>(1, int(c.curriculumHorizons().size()));
    // A fine-tune's starting weights are a candidate like any epoch's: validated before the first epoch (as
    // "epoch 0"), so that a run whose epochs never beat them keeps them instead of writing weights worse than the
    // file it started from. (validate() itself stops at a Ctrl-C, agreed between ranks.)
    if (m_state.validateStart) {
        bool aborted = false;
        const double start = validate(m_state.net, cancel, &aborted);
        if (aborted) return;
        m_state.validateStart = false;
        if (start < m_state.bestValidation) {
            m_state.bestValidation = start;
            m_state.bestEpoch = 0;
            m_state.best = m_state.net;
        }
    }
    while (m_state.epoch < c.epochs && !stopAgreed(cancel, m_state.epoch)) {
        bool aborted = false;
        MetaHistoryPoint point;
        // An unfinished epoch does not count: keep what it would change, to restore it on a stop, so that
        // a stopped and resumed run gives exactly the weights of an uninterrupted one.
        const Vec<float> params = m_state.net.params;
        const AdamState<float> adam = m_state.adam;
        const int skipped = m_state.skippedUpdates, clipped = m_state.clippedUpdates;
        const int epoch = m_state.epoch + 1;
        const bool validating = epoch % c.validateEvery == 0 || epoch == c.epochs;
        if (m_work) {
            const long members = shareOf(c.metaBatch, m_exchange->rank(), m_exchange->size()).size();
            const long runs = shareOf(c.validationRuns, m_exchange->rank(), m_exchange->size()).size();
            m_work->done = 0;
            m_work->total = 3L * trainingHorizon() * members + (validating ? long(validationHorizon()) * runs : 0L);
        }
        point.metaLoss = episode(cancel, &aborted, &point.gradientNoise, &point.imitation);
        if (!aborted && validating) point.validationLoss = validate(m_state.net, cancel, &aborted);
        // Curriculum: after `patience` validations without improvement the stage's best weights go on to the next
        // stage, validated afresh at its validation horizon (losses over different horizons do not compare).
        const bool advance = !aborted && validating && !(point.validationLoss < m_state.bestValidation) &&
                             m_state.stageStale + 1 >= c.curriculumPatience && m_state.stage + 1 < stages;
        double freshBest = std::numeric_limits<double>::infinity();
        if (advance) {
            ++m_state.stage; // for validationHorizon()
            freshBest = validate(m_state.best, cancel, &aborted);
            --m_state.stage;
        }
        if (aborted) {
            m_state.net.params = params;
            m_state.adam = adam;
            m_state.skippedUpdates = skipped;
            m_state.clippedUpdates = clipped;
            break;
        }
        point.epoch = ++m_state.epoch;
        point.stage = m_state.stage;
        if (validating) {
            if (point.validationLoss < m_state.bestValidation) {
                m_state.bestValidation = point.validationLoss;
                m_state.bestEpoch = m_state.epoch;
                m_state.best = m_state.net;
                m_state.stageStale = 0;
            } else if (advance) {
                m_state.net = m_state.best;
                ++m_state.stage;
                m_state.stageStale = 0;
                m_state.bestValidation = freshBest;
            } else {
                ++m_state.stageStale;
            }
        }
        m_state.history.push_back(point);
        m_state.elapsedSeconds = before + std::chrono::duration<double>(Clock::now() - t0).count();
        if (progress) {
            MetaProgress p;
            p.epoch = m_state.epoch;
            p.epochs = c.epochs;
            p.metaLoss = point.metaLoss;
            p.gradientNoise = point.gradientNoise;
            p.imitation = point.imitation;
            p.validationLoss = point.validationLoss;
            p.bestValidation = std::isfinite(m_state.bestValidation) ? m_state.bestValidation : NAN;
            p.bestEpoch = m_state.bestEpoch;
            p.elapsedSeconds = m_state.elapsedSeconds;
            // The time per epoch over the whole run, resumed parts included: the first epochs after a resume carry
            // its start-up (after --resume the first estimate was 6 times the time the run took).
            const double perEpoch = m_state.epoch > 0 ? m_state.elapsedSeconds / double(m_state.epoch) : 0.0;
            p.etaSeconds = perEpoch * (c.epochs - m_state.epoch);
            p.skippedUpdates = m_state.skippedUpdates;
            p.clippedUpdates = m_state.clippedUpdates;
            p.stage = m_state.stage;
            p.stages = stages;
            p.horizon = trainingHorizon();
            progress(p);
        }
    }
    // With the time of an epoch cut short by a stop (a stop inside the first epoch said "stopped after 0.0 s").
    m_state.elapsedSeconds = before + std::chrono::duration<double>(Clock::now() - t0).count();
}

OptimizerFile MetaTrainer::bestOptimizer(const std::string& command) const
{
    return bestOptimizerOf(m_state, command, m_exchange->size());
}

OptimizerFile bestOptimizerOf(const MetaTrainState& state, const std::string& command, int ranks)
{
    const MetaTrainConfig& c = state.config;
    OptimizerFile f;
    const bool validated = state.bestEpoch >= 0;
    f.net = validated ? state.best : state.net;
    Provenance& p = f.provenance;
    p.known = true;
    p.training = c;
    p.training.arch = f.net.arch;
    p.epochsDone = state.epoch;
    p.bestEpoch = validated ? state.bestEpoch : state.epoch;
    p.validationLoss = validated ? state.bestValidation : NAN;
    p.ranks = ranks;
    p.command = command;
    // The commands recorded before the one under way (the last recorded: `command`'s invocation).
    if (!state.commands.empty()) p.earlierCommands.assign(state.commands.begin(), state.commands.end() - 1);
    p.ancestors = state.ancestors;
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
        history.push_back({h.epoch, h.metaLoss,
                           std::isfinite(h.validationLoss) ? nlohmann::json(h.validationLoss) : nlohmann::json(nullptr),
                           std::isfinite(h.gradientNoise) ? nlohmann::json(h.gradientNoise) : nlohmann::json(nullptr),
                           h.stage,
                           std::isfinite(h.imitation) ? nlohmann::json(h.imitation) : nlohmann::json(nullptr)});
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
                          {"curriculum_stage", s.stage},
                          {"curriculum_stale", s.stageStale},
                          {"validate_start", s.validateStart},
                          {"history", history}};
    // The lineage (absent in older checkpoints and when empty).
    if (!s.commands.empty()) doc["commands"] = commandsJson(s.commands);
    if (!s.ancestors.empty()) doc["ancestors"] = ancestorsJson(s.ancestors);
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
        for (Index i = 0; i < n; ++i) // a mean of squares: a negative one would make a step's sqrt NaN
            if (!(s.adam.v[i] >= 0))
                throw Error("key \"adam_v\": entry " + std::to_string(i) + " is " + exactNumber(double(s.adam.v[i])) +
                            ", but Adam's second moments are never negative");
        s.adam.t = long(stateInteger(doc, "adam_t", 0, 1000000000000LL));
        s.epoch = int(stateInteger(doc, "epoch", 0, s.config.epochs));
        s.bestValidation = doc.at("best_validation").is_number() ? doc["best_validation"].get<double>() : INFINITY;
        s.bestEpoch = int(stateInteger(doc, "best_epoch", -1, s.epoch));
        // No best epoch, no best validation (a curriculum stage may leave a best epoch with none: null).
        if (s.bestEpoch < 0 && std::isfinite(s.bestValidation))
            throw Error("key \"best_validation\" is " + excerpt(doc["best_validation"].dump(), 40) +
                        " but key \"best_epoch\" is -1 (no epoch validated): it must be null");
        s.elapsedSeconds = doc.at("elapsed_seconds").get<double>();
        if (!(s.elapsedSeconds >= 0 && s.elapsedSeconds < 1e10))
            throw Error("key \"elapsed_seconds\" must be a number of seconds >= 0, got " +
                        excerpt(doc["elapsed_seconds"].dump(), 40));
        s.skippedUpdates = int(stateInteger(doc, "skipped_updates", 0, 2000000000));
        s.clippedUpdates =
            doc.contains("clipped_updates") ? int(stateInteger(doc, "clipped_updates", 0, 2000000000)) : 0;
        for (const auto& h : doc.at("history")) {
            MetaHistoryPoint point;
            point.epoch = int(jsonIntegerIn(h.at(0), "history epoch", 0, s.epoch));
            point.metaLoss = h.at(1).is_number() ? h[1].get<double>() : NAN;
            point.validationLoss = h.at(2).is_number() ? h[2].get<double>() : NAN;
            // [3]: the meta-gradient noise, written since meta-batches (absent in older checkpoints)
            point.gradientNoise = h.size() > 3 && h[3].is_number() ? h[3].get<double>() : NAN;
            // [4]: the curriculum stage (absent before curricula)
            point.stage = h.size() > 4 ? int(jsonIntegerIn(h[4], "history stage", 0, 63)) : 0;
            // [5]: the imitation term per step (absent before it was recorded, null without imitation)
            point.imitation = h.size() > 5 && h[5].is_number() ? h[5].get<double>() : NAN;
            s.history.push_back(point);
        }
        const int stages = std::max<int>(1, int(s.config.curriculumHorizons().size()));
        s.stage = doc.contains("curriculum_stage") ? int(stateInteger(doc, "curriculum_stage", 0, stages - 1)) : 0;
        s.stageStale = doc.contains("curriculum_stale") ? int(stateInteger(doc, "curriculum_stale", 0, 1000000)) : 0;
        // Absent before it was kept (a fine-tune then validated its start only if never stopped before epoch 1).
        if (doc.contains("validate_start")) {
            if (!doc["validate_start"].is_boolean())
                throw Error("key \"validate_start\" must be true or false, got " +
                            excerpt(doc["validate_start"].dump(), 40));
            s.validateStart = doc["validate_start"].get<bool>();
            if (s.validateStart && s.epoch != 0)
                throw Error("key \"validate_start\" is true (starting weights not yet validated) at epoch " +
                            std::to_string(s.epoch) + "; it can only be before the first epoch");
        }
        if (doc.contains("commands")) s.commands = readCommands(doc["commands"], "key \"commands\"");
        if (doc.contains("ancestors")) s.ancestors = readAncestors(doc["ancestors"], "key \"ancestors\"");
        s.config.validate();
    } catch (const nlohmann::json::exception& e) {
        throw Error(where + " is malformed: " + excerpt(e.what(), 200));
    } catch (const Error& e) {
        throw Error(where + ": " + e.what());
    }
    return s;
}

} // namespace l2l
