#include "meta/GraphTrace.h"

#include "optimizers/OptimizerFile.h"

namespace l2l {

namespace {
// The function and instance the graph runs on, as the Trajectories view names them.
TrajectoryConfig functionOf(const GraphConfig& c)
{
    TrajectoryConfig t;
    t.problem = c.problem;
    t.start = c.start;
    t.seed = c.seed;
    return t;
}
} // namespace

void GraphConfig::validate() const
{
    if (window < 1 || window > 20) throw Error("graph window must be in [1, 20] steps, got " + std::to_string(window));
    if (offset < 0 || offset > 1000)
        throw Error("graph offset must be in [0, 1000] steps, got " + std::to_string(offset));
    functionOf(*this).validate();
}

GraphResult computeGraph(const GraphConfig& config)
{
    config.validate();
    const TrajectoryConfig t = functionOf(config);
    auto fn = trajectoryFunctionFloat(t);
    GraphResult r;
    r.config = config;
    r.canonicalProblem = trajectoryCanonicalProblem(t); // with the start the window's run begins at
    r.optimizerPath = config.optimizer.empty() ? bundledOptimizerPath(config.problem) : config.optimizer;
    const OptimizerFile file = loadOptimizer(r.optimizerPath);
    if (file.net.nets != 1)
        throw Error("optimizer '" + r.optimizerPath + "' has " + std::to_string(file.net.nets) +
                    " nets; the graph view draws an optimizer with one");
    r.arch = file.net.arch;
    r.paramCount = file.net.params.size();
    Unroller<float> unroller(&file.net, 1);
    unroller.setMetaLoss(config.metaLoss);
    EpisodeState<float> traj;
    traj.start(*fn, r.arch);
    r.beforeLosses.push_back(traj.loss);
    for (int s = 0; s < config.offset; ++s) { // the run up to the window, one step at a time
        unroller.window(*fn, traj, 1, false, nullptr);
        r.beforeLosses.push_back(traj.loss);
    }
    unroller.setTrace(&r.trace);
    r.metaLoss = unroller.window(*fn, traj, config.window, config.secondOrder, &r.dphi);
    return r;
}

} // namespace l2l
