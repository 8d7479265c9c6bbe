#pragma once
// Several optimizers on ONE neural-art instance, stepped together: what `l2l art` and the studio's Art
// view run. Every optimizer starts from the same theta_0 of the same instance; the function is
// deterministic, so the images differ only by the optimizers.
#include "eval/Resolve.h"
#include "optimizers/UpdateRule.h"
#include "problems/NeuralArt.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace l2l {

// An update rule with its learning rate resolved, and whether that rate came from the tuning search.
struct ArtRule {
    UpdateRuleConfig config;
    bool tunedRate = false;
    ArtRule(UpdateRuleConfig c, bool tuned = false) : config(std::move(c)), tunedRate(tuned) {} // NOLINT: implicit
    // "adam (lr 0.03, tuned)", "adam (lr 0.03)", "lstm", "lstm:FILE".
    std::string label() const;
};

// Parses `optimizers` ("adam", "adam:lr=0.1", "lstm", "lstm:FILE") and resolves every rate left to
// tuning exactly as `l2l eval` does (the shared tuned-rate cache, else a search over `steps` steps on
// the problem class). `log` gets progress lines, `onTune` the progress within each search (as evaluation's).
// Throws l2l::Error naming a bad optimizer or problem.
std::vector<ArtRule> resolveArtRules(const std::string& problemSpec, const std::vector<std::string>& optimizers,
                                     int steps, const std::function<void(const std::string&)>& log = {},
                                     const std::atomic<bool>* cancel = nullptr, const TuneProgressFn& onTune = {});

class ArtRun {
public:
    // Instance `seed` of the neural-art class `problemSpec`; rules with their rates resolved (a rule whose
    // rate is still "tuned" is an error naming it).
    ArtRun(const std::string& problemSpec, std::uint64_t seed, std::vector<ArtRule> rules);
    ~ArtRun();

    // One update of every optimizer that has not stopped; an optimizer whose loss stops being finite (or
    // grows past kDivergenceFactor times its start) is stopped there with a message, the others go on.
    void step();
    int stepsDone() const { return m_steps; }
    int optimizerCount() const;

    ArtImage image(int i) const;                         // current theta, clamped to [0, 1]
    double loss(int i) const;                            // at the current theta (last finite one if stopped)
    ArtLoss lossParts(int i) const;                      // its weighted parts
    const std::vector<double>& lossHistory(int i) const; // steps 0..stepsDone (shorter if stopped)
    std::string label(int i) const;
    const std::string& problem(int i) const; // empty, or why the optimizer stopped
    const ArtImage& content() const;
    const ArtImage& style() const;
    const std::string& canonicalSpec() const { return m_spec; }

private:
    struct Lane;
    std::string m_spec;
    std::unique_ptr<NeuralArtProblem<float>> m_problem; // deterministic: shared by every lane
    std::vector<Lane> m_lanes;
    int m_steps = 0;
};

} // namespace l2l
