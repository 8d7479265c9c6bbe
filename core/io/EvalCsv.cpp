#include "io/EvalCsv.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

namespace l2l {

namespace {
std::string field(double v)
{
    if (v == std::numeric_limits<double>::infinity()) return "inf"; // a median once half the runs diverged
    if (!std::isfinite(v)) return "";
    std::ostringstream out;
    out.precision(9);
    out << v;
    return out.str();
}
// RFC 4180: a text with a comma, quote or line break is quoted, its quotes doubled ("adam:lr=0.1,beta1=0.8").
std::string text(const std::string& t)
{
    if (t.find_first_of(",\"\r\n") == std::string::npos) return t;
    std::string out = "\"";
    for (char c : t) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}
} // namespace

std::string evalCsv(const EvalResult& r)
{
    std::ostringstream out;
    if (r.cancelled)
        out << "# interrupted at step " << r.completedSteps << " of " << r.config.steps << ": partial results\n";
    // With a test split, two more columns: the test loss and accuracy (means over the runs alive) at the steps they
    // were measured (every --test-every steps, and at the end), empty at the others. They were left out, although
    // the studio's plot and table showed them.
    const bool test = std::any_of(r.optimizers.begin(), r.optimizers.end(), [](const OptimizerResult& o) {
        return !o.testLossCurve.empty() || o.testLossMean.has_value();
    });
    out << "optimizer,learning_rate,step,loss_mean,loss_std,loss_median,runs_counted"
        << (test ? ",test_loss_mean,test_accuracy_mean" : "") << "\n";
    for (const auto& o : r.optimizers)
        for (size_t t = 0; t < o.stats.mean.size() && int(t) <= r.completedSteps; ++t) {
            out << text(o.displayName()) << "," << (o.config.learned() ? std::string("learned") : field(o.config.lr))
                << "," << t << "," << field(o.stats.mean[t]) << "," << field(o.stats.std[t]) << ","
                << field(o.stats.median[t]) << "," << o.stats.alive[t];
            if (test) {
                double loss = NAN, accuracy = NAN;
                for (size_t k = 0; k < r.testSteps.size() && k < o.testLossCurve.size(); ++k)
                    if (r.testSteps[k] == int(t)) {
                        loss = o.testLossCurve[k];
                        accuracy = k < o.testAccuracyCurve.size() ? o.testAccuracyCurve[k] : NAN;
                    }
                if (int(t) == r.completedSteps && std::isnan(loss)) { // measured at the end only
                    loss = o.testLossMean.value_or(NAN);
                    accuracy = o.testAccuracyMean.value_or(NAN);
                }
                out << "," << field(loss) << "," << field(accuracy);
            }
            out << "\n";
        }
    return out.str();
}

std::string transferCsv(const TransferResult& r)
{
    std::ostringstream out;
    out << "axis,variant,problem,steps,optimizer,ratio,final_loss_mean,baseline,baseline_rate,baseline_final_loss_mean,"
           "runs_won,pairs,p,diverged_runs\n";
    for (int v = 0; v < r.completedVariants; ++v) {
        const TransferVariant& var = r.config.variants[size_t(v)];
        for (size_t k = 0; k < r.config.optimizers.size(); ++k) {
            const TransferCell& c = r.cells[size_t(v)][k];
            out << text(var.axis) << ',' << text(var.label) << ',' << text(var.problem) << ',' << var.steps << ','
                << text(r.config.optimizers[k]) << ',' << field(c.ratio) << ',' << field(c.learnedFinal) << ','
                << text(c.baseline) << ',' << field(c.baselineRate) << ',' << field(c.baselineFinal) << ',' << c.won
                << ',' << c.pairs << ',' << field(c.p) << ',' << c.diverged << '\n';
        }
    }
    return out.str();
}

} // namespace l2l
