#include "io/EvalCsv.h"

#include <cmath>
#include <sstream>

namespace l2l {

namespace {
std::string field(double v)
{
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
    out << "optimizer,learning_rate,step,loss_mean,loss_std,loss_median,runs_counted\n";
    for (const auto& o : r.optimizers)
        for (size_t t = 0; t < o.stats.mean.size() && int(t) <= r.completedSteps; ++t)
            out << text(o.displayName()) << "," << (o.config.learned() ? std::string("learned") : field(o.config.lr))
                << "," << t << "," << field(o.stats.mean[t]) << "," << field(o.stats.std[t]) << ","
                << field(o.stats.median[t]) << "," << o.stats.alive[t] << "\n";
    return out.str();
}

} // namespace l2l
