// Threads for requests that may wait long: for a lock another process holds, for the
// disk (fsync, fallocate, copies).
//
// Why: on an io_uring queue (uring_transport.hpp) one thread serves every request from
// its CPU, one after the other. A flock(2) that waited there stopped that CPU's callers,
// the holder's unlock included - two processes taking turns on a lock on one CPU hung
// for good - and every fsync stalled them for its milliseconds (dbench with 12 clients
// went at a third of native speed, with the CPUs idle). Such requests are handed to this
// pool; the queue thread goes on with the next one.
//
// A thread is started when a task finds none idle, up to `max_threads`; later tasks wait
// in order. Threads block every signal (lock_wait.cpp unblocks its own while it waits)
// and run on `cpu` only if it is >= 0: the queue that hands a task over and the thread
// that takes it then share one CPU, and on a VM a wakeup on another CPU costs an
// interrupt through the hypervisor each way.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cntrfs {

// Keeps the calling thread on CPU `cpu` (a CPU that is offline: it runs anywhere).
void pin_this_thread(unsigned cpu);

class BlockingPool {
  public:
    BlockingPool(unsigned max_threads, int cpu);
    // Runs every task submitted so far, then joins the threads.
    ~BlockingPool();
    BlockingPool(const BlockingPool&) = delete;
    BlockingPool& operator=(const BlockingPool&) = delete;

    void submit(std::function<void()> task);

  private:
    void work();

    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::function<void()>> tasks_;
    std::vector<std::thread> threads_;
    unsigned idle_ = 0;
    unsigned max_threads_;
    int cpu_;
    bool stopping_ = false;
};

}  // namespace cntrfs
