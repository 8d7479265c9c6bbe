#pragma once
// The processes of one `l2l train`: MPI ranks when an MPI launcher started it (and this l2l was built with MPI,
// app/mpi), else one process. README "Meta-training over MPI".
#include "meta/MemberExchange.h"

#include <memory>
#include <string>

namespace CLI {
class App;
}

namespace l2l::cli {

class Ranks {
public:
    // Joins the MPI job if one started this process (`rankTimeoutSeconds`: how long a rank waits for the others at
    // a meta-update before ending the job; <= 0 waits forever). Throws l2l::Error if an MPI launcher started several
    // copies of an l2l built without MPI (they would each train alone).
    explicit Ranks(double rankTimeoutSeconds);
    ~Ranks();
    MemberExchange& exchange() { return *m_exchange; }
    int rank() const { return m_exchange->rank(); }
    int size() const { return m_exchange->size(); }
    // Ends every rank with a message naming this one (several ranks), or throws l2l::Error(message) (one).
    [[noreturn]] void abort(const std::string& message) const;

private:
    std::unique_ptr<MemberExchange> m_exchange;
};

// Whether this l2l can run over MPI ranks (built with MPI).
bool builtWithMpi();

// `l2l mpi-bench` (hidden): the time of one meta-update's exchange and of an MPI_Allreduce, under mpirun.
void addMpiBenchCommand(CLI::App& app);

} // namespace l2l::cli
