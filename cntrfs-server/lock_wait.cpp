#include "lock_wait.hpp"

#include <pthread.h>
#include <sys/file.h>

#include <cerrno>
#include <csignal>
#include <ctime>
#include <mutex>

namespace cntrfs {
namespace {

constexpr long kCheckEveryNs = 50'000'000;

// The signal that ends a flock(2) with EINTR. Its handler does nothing and is installed
// without SA_RESTART, which is what makes the wait return.
int wake_signal() { return SIGRTMIN; }

void install_wake_handler() {
    static std::once_flag once;
    std::call_once(once, [] {
        struct sigaction sa {};
        sa.sa_handler = [](int) {};
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0;
        ::sigaction(wake_signal(), &sa, nullptr);
    });
}

// A timer that sends wake_signal() to the thread that created it. One per thread that
// ever waits; deleted when the thread ends.
class WakeTimer {
  public:
    WakeTimer() {
        sigevent ev{};
        ev.sigev_notify = SIGEV_THREAD_ID;
        ev.sigev_signo = wake_signal();
        ev._sigev_un._tid = ::gettid();
        ok_ = ::timer_create(CLOCK_MONOTONIC, &ev, &id_) == 0;
    }
    ~WakeTimer() {
        if (ok_) ::timer_delete(id_);
    }
    WakeTimer(const WakeTimer&) = delete;
    WakeTimer& operator=(const WakeTimer&) = delete;

    [[nodiscard]] bool ok() const { return ok_; }
    void set(long interval_ns) {
        itimerspec spec{};
        spec.it_value.tv_nsec = interval_ns;
        spec.it_interval.tv_nsec = interval_ns;
        ::timer_settime(id_, 0, &spec, nullptr);
    }

  private:
    timer_t id_{};
    bool ok_ = false;
};

// Without a timer (no more timers for this user): try, sleep, try again.
int poll_for_flock(int fd, int op, const std::function<bool()>& give_up) {
    constexpr timespec kPause{0, 10'000'000};
    for (;;) {
        if (give_up()) return EINTR;
        if (::flock(fd, op | LOCK_NB) == 0) return 0;
        if (errno != EWOULDBLOCK && errno != EINTR) return errno;
        ::nanosleep(&kPause, nullptr);
    }
}

}  // namespace

int wait_for_flock(int fd, int op, const std::function<bool()>& give_up) {
    if (::flock(fd, op | LOCK_NB) == 0) return 0;
    if (errno != EWOULDBLOCK) return errno;
    install_wake_handler();
    thread_local WakeTimer timer;
    if (!timer.ok()) return poll_for_flock(fd, op, give_up);

    sigset_t wake;
    sigemptyset(&wake);
    sigaddset(&wake, wake_signal());
    sigset_t old;
    ::pthread_sigmask(SIG_UNBLOCK, &wake, &old);
    timer.set(kCheckEveryNs);
    int err = 0;
    for (;;) {
        // A give-up that comes between this check and the flock below is seen at the
        // next tick at the latest.
        if (give_up()) {
            err = EINTR;
            break;
        }
        if (::flock(fd, op) == 0) break;
        if (errno != EINTR) {
            err = errno;
            break;
        }
    }
    timer.set(0);
    // Blocked again, a tick that is still pending must not end some later syscall of
    // this thread: take it.
    ::pthread_sigmask(SIG_BLOCK, &wake, nullptr);
    const timespec now{};
    while (::sigtimedwait(&wake, nullptr, &now) > 0) {
    }
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return err;
}

}  // namespace cntrfs
