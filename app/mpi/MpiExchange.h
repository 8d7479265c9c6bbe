#pragma once
// MPI behind core's MemberExchange (meta/MemberExchange.h), for `mpirun -n N l2l train` (README "Meta-training
// over MPI"). Only the command line links it, and only when CMake found MPI (option L2L_MPI).
//
// The exchange is MPI point-to-point (each rank's block to every other rank, non-blocking) rather than
// MPI_Allgatherv, so that a rank that does not arrive can be named: every rank waits with a deadline and, when it
// passes, ends the whole job (MPI_Abort) with a message naming the ranks it still waits for. A rank that dies is
// reported by mpirun itself ("process rank 1 ... exited on signal 9"), which then ends the others.
#include "meta/MemberExchange.h"

#include <string>

namespace l2l::mpi {

class MpiExchange final : public MemberExchange {
public:
    // MPI_Init_thread (funneled: only the main thread calls MPI). `rankTimeoutSeconds` <= 0: wait forever.
    explicit MpiExchange(double rankTimeoutSeconds);
    ~MpiExchange() override; // MPI_Finalize (every rank must get here; on an error use abort())
    MpiExchange(const MpiExchange&) = delete;
    MpiExchange& operator=(const MpiExchange&) = delete;

    int rank() const override { return m_rank; }
    int size() const override { return m_size; }
    void allgather(std::span<const std::byte> mine, std::span<std::byte> all, std::span<const std::size_t> counts,
                   const std::string& where) override;
    // Prints "l2l: rank R of N: message" on stderr and ends every rank of the job with `status` (MPI_Abort).
    [[noreturn]] void abort(const std::string& message, int status) const;

private:
    int m_rank = 0, m_size = 1;
    double m_timeout;
    unsigned m_sequence = 0; // of exchanges; their message tag, so blocks of different exchanges never mix
};

// The round-trip time of exchanging `members` meta-gradients of `floats` floats each (split over the ranks like a
// meta-batch) and of one MPI_Allreduce of `floats` floats, in seconds: the median of `repeats` (after warm-up).
struct ExchangeTiming {
    double allgather = 0, allreduce = 0;
};
ExchangeTiming timeExchange(MpiExchange& exchange, int floats, int members, int repeats);

} // namespace l2l::mpi
