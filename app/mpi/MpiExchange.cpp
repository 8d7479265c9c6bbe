#include "mpi/MpiExchange.h"

#include "base/Types.h"

#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <thread>
#include <vector>

namespace l2l::mpi {

MpiExchange::MpiExchange(double rankTimeoutSeconds) : m_timeout(rankTimeoutSeconds)
{
    int provided = 0;
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        throw Error("MPI_Init_thread failed: MPI is not usable in this process");
    MPI_Comm_rank(MPI_COMM_WORLD, &m_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &m_size);
}

MpiExchange::~MpiExchange() { MPI_Finalize(); }

void MpiExchange::abort(const std::string& message, int status) const
{
    // One write: mpirun forwards each write of a rank on its own, so a message written piecewise could be split by
    // the lines of MPI_Abort's own notice.
    const std::string line =
        "l2l: rank " + std::to_string(m_rank) + " of " + std::to_string(m_size) + ": " + message + "\n";
    std::cerr.flush();
    if (::write(STDERR_FILENO, line.data(), line.size()) < 0) std::perror("l2l");
    MPI_Abort(MPI_COMM_WORLD, status);
    std::_Exit(status); // MPI_Abort does not return; this only tells the compiler
}

namespace {
std::string rankList(const std::vector<int>& ranks)
{
    std::ostringstream s;
    s << (ranks.size() == 1 ? "rank " : "ranks ");
    for (size_t i = 0; i < ranks.size(); ++i) s << (i == 0 ? "" : i + 1 == ranks.size() ? " and " : ", ") << ranks[i];
    return s.str();
}
} // namespace

void MpiExchange::allgather(std::span<const std::byte> mine, std::span<std::byte> all,
                            std::span<const std::size_t> counts, const std::string& where)
{
    using Clock = std::chrono::steady_clock;
    const int tag = int(m_sequence++ % 32000u);
    std::vector<std::size_t> offsets(size_t(m_size) + 1, 0);
    for (int r = 0; r < m_size; ++r) {
        if (counts[size_t(r)] > std::size_t(INT_MAX))
            abort("an exchange block of " + std::to_string(counts[size_t(r)]) + " bytes is more than MPI's int count",
                  1);
        offsets[size_t(r) + 1] = offsets[size_t(r)] + counts[size_t(r)];
    }
    std::copy(mine.begin(), mine.end(), all.begin() + std::ptrdiff_t(offsets[size_t(m_rank)]));
    // Receives from every other rank first, then this rank's block to each of them; peer[i] is request i's rank.
    std::vector<MPI_Request> requests;
    std::vector<int> peer;
    for (int r = 0; r < m_size; ++r) {
        if (r == m_rank) continue;
        requests.emplace_back();
        peer.push_back(r);
        MPI_Irecv(all.data() + offsets[size_t(r)], int(counts[size_t(r)]), MPI_BYTE, r, tag, MPI_COMM_WORLD,
                  &requests.back());
    }
    const size_t receives = requests.size();
    for (int r = 0; r < m_size; ++r) {
        if (r == m_rank) continue;
        requests.emplace_back();
        peer.push_back(r);
        MPI_Isend(mine.data(), int(mine.size()), MPI_BYTE, r, tag, MPI_COMM_WORLD, &requests.back());
    }
    // Poll rather than block: a short spin, then sleeps growing to 2 ms (a rank's window takes far longer), so a
    // waiting rank leaves the cores to the ranks still computing, and notices the deadline.
    std::vector<bool> done(requests.size(), false);
    std::vector<int> indices(requests.size());
    size_t pending = requests.size();
    const auto start = Clock::now();
    auto pause = std::chrono::microseconds(0);
    while (pending > 0) {
        int completed = 0;
        MPI_Testsome(int(requests.size()), requests.data(), &completed, indices.data(), MPI_STATUSES_IGNORE);
        if (completed == MPI_UNDEFINED) break;
        for (int i = 0; i < completed; ++i) {
            done[size_t(indices[size_t(i)])] = true;
            --pending;
        }
        if (pending == 0 || completed > 0) continue;
        const double waited = std::chrono::duration<double>(Clock::now() - start).count();
        if (m_timeout > 0 && waited > m_timeout) {
            std::vector<int> missing, notTaking;
            for (size_t i = 0; i < requests.size(); ++i)
                if (!done[i]) (i < receives ? missing : notTaking).push_back(peer[i]);
            std::ostringstream s;
            s << (missing.empty() ? rankList(notTaking) + " did not take this rank's results of "
                                  : rankList(missing) + " did not reach ")
              << where << " within " << m_timeout << " s (dead, hung or far slower; --rank-timeout sets the limit). "
              << "Ending the job; the last checkpoint stays valid (l2l train --resume continues it with any number "
                 "of ranks).";
            abort(s.str(), 1);
        }
        if (waited > 1e-4) {
            std::this_thread::sleep_for(pause);
            pause = std::min(std::chrono::microseconds(2000), pause * 2 + std::chrono::microseconds(20));
        }
    }
}

namespace {
double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}
} // namespace

ExchangeTiming timeExchange(MpiExchange& ex, int floats, int members, int repeats)
{
    using Clock = std::chrono::steady_clock;
    // A window's exchange as MetaTrainer packs it: per rank an 8-byte header, per member 16 bytes and the floats.
    const std::size_t memberBytes = 16 + std::size_t(floats) * sizeof(float);
    std::vector<std::size_t> counts(size_t(ex.size()));
    std::size_t total = 0;
    for (int r = 0; r < ex.size(); ++r)
        total += counts[size_t(r)] = 8 + std::size_t(shareOf(members, r, ex.size()).size()) * memberBytes;
    std::vector<std::byte> mine(counts[size_t(ex.rank())], std::byte(1)), all(total);
    std::vector<float> g(static_cast<size_t>(floats), 1.0f), sum(static_cast<size_t>(floats));
    std::vector<double> gather, reduce;
    for (int i = 0; i < repeats + repeats / 10 + 1; ++i) {
        MPI_Barrier(MPI_COMM_WORLD);
        auto t0 = Clock::now();
        ex.allgather(mine, all, counts, "the exchange benchmark");
        const double tg = std::chrono::duration<double>(Clock::now() - t0).count();
        MPI_Barrier(MPI_COMM_WORLD);
        t0 = Clock::now();
        MPI_Allreduce(g.data(), sum.data(), floats, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        const double tr = std::chrono::duration<double>(Clock::now() - t0).count();
        if (i > repeats / 10) { // the first tenth warms up
            gather.push_back(tg);
            reduce.push_back(tr);
        }
    }
    // Every rank's median; the slowest rank's is the one a meta-update waits for.
    double local[2] = {median(gather), median(reduce)}, worst[2];
    MPI_Allreduce(local, worst, 2, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    return {worst[0], worst[1]};
}

} // namespace l2l::mpi
