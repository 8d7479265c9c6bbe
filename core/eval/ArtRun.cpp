#include "eval/ArtRun.h"

#include "eval/Resolve.h"
#include "optimizers/OptimizerFile.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace l2l {

namespace {
std::unique_ptr<NeuralArtClass<float>> artClass(const std::string& problemSpec)
{
    const Spec spec = Spec::parse(problemSpec);
    if (spec.name != "neural-art")
        throw Error("problem '" + spec.name + "' is not neural-art: only neural-art images can be painted");
    return std::make_unique<NeuralArtClass<float>>(spec);
}
} // namespace

std::string ArtRule::label() const
{
    if (config.learned()) return config.label();
    std::ostringstream out;
    out.precision(3);
    out << config.name << " (lr " << config.lr << (tunedRate ? ", tuned)" : ")");
    return out.str();
}

std::vector<ArtRule> resolveArtRules(const std::string& problemSpec, const std::vector<std::string>& optimizers,
                                     int steps, const std::function<void(const std::string&)>& log,
                                     const std::atomic<bool>* cancel, const TuneProgressFn& onTune)
{
    if (optimizers.empty()) throw Error("optimizers: give at least one (valid: " + joinNames(updateRuleNames()) + ")");
    std::vector<ArtRule> rules;
    for (const std::string& text : optimizers) {
        rules.emplace_back(UpdateRuleConfig::parse(text));
        // The bundled file, named (as Compare resolves it): the studio's tile and legend said only "lstm" while the
        // panel showed another family's file.
        UpdateRuleConfig& c = rules.back().config;
        if (c.learned() && c.path.empty()) c.path = bundledOptimizerPath(problemSpec);
    }
    std::unique_ptr<NeuralArtClass<float>> cls; // loaded only if a rate has to be tuned
    std::unique_ptr<TuningCache> cache;
    const ShippedRates* shipped = nullptr;
    const auto say = [&](const std::string& line) {
        if (log) log(line);
    };
    const int searches =
        int(std::count_if(rules.begin(), rules.end(), [](const ArtRule& r) { return r.config.tuned(); }));
    int index = 0;
    for (ArtRule& rule : rules) {
        if (!rule.config.tuned()) continue;
        const auto onStep = tuneStepReporter(onTune, rule.config.name, index, searches);
        if (!cls) {
            cls = artClass(problemSpec);
            cache = std::make_unique<TuningCache>(defaultCachePath());
            shipped = shippedRatesFor(problemSpec, true, say); // once: its warning is said once
            if (!cache->warning().empty()) say("warning: " + cache->warning());
        }
        resolveTunedRate(*cls, cls->canonicalSpec(), rule.config, steps, TuneConfig{}, 0, cache.get(), say, cancel,
                         shipped, onStep);
        ++index;
        if (cancel && cancel->load()) return rules;
        rule.tunedRate = true;
    }
    return rules;
}

struct ArtRun::Lane {
    ArtRule rule;
    std::unique_ptr<UpdateRule<float>> optimizer;
    Vec<float> theta, grad;
    std::vector<double> history;
    ArtLoss parts;
    double limit = 0;
    std::string problem;
};

ArtRun::ArtRun(const std::string& problemSpec, std::uint64_t seed, std::vector<ArtRule> rules)
{
    const auto cls = artClass(problemSpec);
    m_spec = cls->canonicalSpec();
    m_problem = cls->sampleArt(seed);
    for (ArtRule& rule : rules) {
        if (rule.config.tuned())
            throw Error("optimizer '" + rule.config.name + "': its learning rate must be resolved (resolveArtRules)");
        Lane lane{std::move(rule), nullptr, m_problem->initialTheta(), {}, {}, {}, 0, {}};
        lane.optimizer = makeRuleFactory(lane.rule.config, problemSpec)();
        lane.optimizer->reset(lane.theta.size());
        lane.grad.resize(lane.theta.size());
        const double f = m_problem->valueAndGradient(lane.theta, lane.grad, 0);
        lane.parts = m_problem->lastLoss();
        lane.history.push_back(f);
        lane.limit = kDivergenceFactor * std::max(f, 1.0); // as in evaluation
        m_lanes.push_back(std::move(lane));
    }
}

ArtRun::~ArtRun() = default;

void ArtRun::step()
{
    ++m_steps;
    for (Lane& lane : m_lanes) {
        if (!lane.problem.empty()) continue;
        lane.optimizer->step(lane.theta, lane.grad);
        const double f = m_problem->valueAndGradient(lane.theta, lane.grad, m_steps);
        if (!std::isfinite(f) || f > lane.limit || !lane.grad.allFinite()) {
            std::ostringstream why;
            why << "diverged at step " << m_steps << " (";
            if (std::isnan(f))
                why << "the loss is not a number";
            else if (!std::isfinite(f))
                why << "the loss overflowed";
            else if (f > lane.limit)
                why << "loss " << f << ", above " << lane.limit;
            else
                why << "loss " << f << ", the gradient is not finite";
            why << ")";
            lane.problem = why.str();
            continue;
        }
        lane.parts = m_problem->lastLoss();
        lane.history.push_back(f);
    }
}

int ArtRun::optimizerCount() const { return int(m_lanes.size()); }
ArtImage ArtRun::image(int i) const { return m_problem->imageOf(m_lanes.at(size_t(i)).theta); }
double ArtRun::loss(int i) const { return m_lanes.at(size_t(i)).history.back(); }
ArtLoss ArtRun::lossParts(int i) const { return m_lanes.at(size_t(i)).parts; }
const std::vector<double>& ArtRun::lossHistory(int i) const { return m_lanes.at(size_t(i)).history; }
std::string ArtRun::label(int i) const { return m_lanes.at(size_t(i)).rule.label(); }
const std::string& ArtRun::problem(int i) const { return m_lanes.at(size_t(i)).problem; }
const ArtImage& ArtRun::content() const { return m_problem->contentImage(); }
const ArtImage& ArtRun::style() const { return m_problem->styleImage(); }

} // namespace l2l
