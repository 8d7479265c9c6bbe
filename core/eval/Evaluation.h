#pragma once
// Paired comparison of optimizers, as a straight pipeline of three stages, each in its own file:
//   resolve    (Resolve.h)  specs -> concrete rules: tuned rates, optimizer files
//   run        (Lanes.h)    every rule on the SAME sampled instances, initial theta and minibatch sequence
//                           (run r uses instance seed deriveSeed(seed, r, kEvalInstances) for everyone), in
//                           lock-step, cancellable
//   summarise  (Summary.h)  curves -> statistics per step and of the final losses
// evaluate() runs the three; the settings are EvalConfig (EvalConfig.h).
#include "eval/EvalConfig.h"
#include "eval/Lanes.h"
#include "eval/Resolve.h"
#include "eval/Summary.h"

#include <atomic>
#include <functional>
#include <string>

namespace l2l {

struct EvalCallbacks {
    std::function<void(const std::string&)> log; // human-readable progress lines
    // After evaluation steps, with the statistics so far (per-run curves are left empty in `partial`).
    // Called on one of the core's threads; at most once per minStepInterval seconds, and always after
    // the last step.
    std::function<void(const EvalResult& partial, int step)> onStep;
    double minStepInterval = 0;
    TuneProgressFn onTune; // a rate search under way (Resolve.h), for a progress bar
};

// Tunes (or fetches from the cache) every optimizer whose rate is not given, then evaluates.
EvalResult evaluate(const EvalConfig& config, const EvalCallbacks& callbacks = {},
                    const std::atomic<bool>* cancel = nullptr);

} // namespace l2l
