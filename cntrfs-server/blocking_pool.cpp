#include "blocking_pool.hpp"

#include <pthread.h>
#include <sched.h>

#include <csignal>

namespace cntrfs {

void pin_this_thread(unsigned cpu) {
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(cpu, &cpus);
    ::sched_setaffinity(0, sizeof(cpus), &cpus);
}

BlockingPool::BlockingPool(unsigned max_threads, int cpu)
    : max_threads_(max_threads == 0 ? 1 : max_threads), cpu_(cpu) {}

BlockingPool::~BlockingPool() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    ready_.notify_all();
    for (auto& t : threads_) t.join();
}

void BlockingPool::submit(std::function<void()> task) {
    {
        std::lock_guard lock(mutex_);
        tasks_.push_back(std::move(task));
        // Idle threads that are already woken for earlier tasks do not count.
        if (idle_ < tasks_.size() && threads_.size() < max_threads_) {
            threads_.emplace_back([this] { work(); });
            return;
        }
    }
    ready_.notify_one();
}

void BlockingPool::work() {
    sigset_t all;
    sigfillset(&all);
    ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
    if (cpu_ >= 0) pin_this_thread(static_cast<unsigned>(cpu_));
    std::unique_lock lock(mutex_);
    for (;;) {
        ++idle_;
        ready_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
        --idle_;
        if (tasks_.empty()) return;  // stopping, and nothing left to run
        std::function<void()> task = std::move(tasks_.front());
        tasks_.pop_front();
        lock.unlock();
        task();
        lock.lock();
    }
}

}  // namespace cntrfs
