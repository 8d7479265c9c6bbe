#include "CliRanks.h"

#include "CliCommon.h"

#ifdef L2L_HAVE_MPI
#include "mpi/MpiExchange.h"
#endif

#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace l2l::cli {

namespace {
// The ranks an MPI launcher announced in the environment: 0 if none started this process, -1 if one did without
// saying how many. OpenMPI's mpirun, MPICH/Intel MPI's hydra and Slurm's srun (PMI-1/2, PMIx) set these.
int launcherRanks()
{
    for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MV2_COMM_WORLD_SIZE"})
        if (const char* v = std::getenv(name)) return std::max(1, std::atoi(v));
    return std::getenv("PMIX_RANK") ? -1 : 0;
}
} // namespace

bool builtWithMpi()
{
#ifdef L2L_HAVE_MPI
    return true;
#else
    return false;
#endif
}

Ranks::Ranks(double rankTimeoutSeconds)
{
    const int launched = launcherRanks();
#ifdef L2L_HAVE_MPI
    if (launched != 0) {
        m_exchange = std::make_unique<mpi::MpiExchange>(rankTimeoutSeconds);
        return;
    }
#else
    (void)rankTimeoutSeconds;
    if (launched != 0 && launched != 1)
        throw Error(
            "an MPI launcher started this l2l as one of " +
            (launched > 1 ? std::to_string(launched) : std::string("several")) +
            " ranks, but it was built without MPI, so each would train alone: install OpenMPI (scripts/setup.sh "
            "installs openmpi-bin and libopenmpi-dev), configure and build again, or run it without mpirun");
#endif
    m_exchange = std::make_unique<SingleProcess>();
}

Ranks::~Ranks() = default;

void Ranks::abort(const std::string& message) const
{
#ifdef L2L_HAVE_MPI
    if (auto* mpi = dynamic_cast<const mpi::MpiExchange*>(m_exchange.get()); mpi && mpi->size() > 1)
        mpi->abort(message, 1);
#endif
    throw Error(message);
}

void addMpiBenchCommand(CLI::App& app)
{
#ifdef L2L_HAVE_MPI
    struct Options {
        int floats = 5141, repeats = 400;
        std::vector<int> members{2, 4, 8, 16, 32, 64, 128};
    };
    auto o = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("mpi-bench", "Time one meta-update's exchange between MPI ranks (run it under "
                                                "mpirun; scripts/mpi_scaling.sh uses it).");
    cmd->group(""); // hidden: a measuring tool for the README's scaling model
    integerIn(cmd->add_option("--floats", o->floats, "floats per meta-gradient (the MNIST LSTM has 5141)"), 1, 1 << 26);
    cmd->add_option("--members", o->members, "meta-batch sizes to time")->delimiter(',');
    integerIn(cmd->add_option("--repeats", o->repeats, "exchanges timed per size (the median is printed)"), 10, 100000);
    cmd->callback([o] {
        mpi::MpiExchange ex(600);
        if (ex.rank() == 0)
            std::cout << "# ranks floats members exchange_us allreduce_us (median of " << o->repeats << ")\n";
        for (int members : o->members) {
            if (members < ex.size()) continue;
            const mpi::ExchangeTiming t = mpi::timeExchange(ex, o->floats, members, o->repeats);
            if (ex.rank() == 0)
                std::cout << ex.size() << " " << o->floats << " " << members << " " << std::fixed
                          << std::setprecision(1) << t.allgather * 1e6 << " " << t.allreduce * 1e6 << std::endl;
        }
    });
#else
    (void)app;
#endif
}

} // namespace l2l::cli
