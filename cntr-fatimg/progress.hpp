// Progress of one pull, for the person waiting: on a terminal one line, redrawn
// (bytes of the image, layers done, rate); elsewhere (a log, CI, `cntr attach` under
// a supervisor) one plain line per finished step, since a redrawn line would be a
// pile of carriage returns there. Thread-safe: parallel layer downloads report here.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace cntr::fatimg {

class PullProgress {
  public:
    // `enabled` false: silent (-q). `image` names the pull in every line.
    PullProgress(bool enabled, std::string image, size_t layers, uint64_t bytes);
    ~PullProgress();
    PullProgress(const PullProgress&) = delete;
    PullProgress& operator=(const PullProgress&) = delete;

    void add_bytes(uint64_t n);
    // A blob is downloaded and verified (`layer`: counts as a layer done).
    void blob_done(const std::string& what, uint64_t size, bool layer);
    // A step without bytes ("unpacking 3 layers").
    void step(const std::string& text);

  private:
    void draw(bool force);  // with mu_ held
    bool enabled_, tty_;
    std::string image_;
    size_t layers_, done_ = 0;
    uint64_t total_;
    std::atomic<uint64_t> bytes_{0};
    std::mutex mu_;
    std::chrono::steady_clock::time_point start_, last_draw_;
    bool drawn_ = false;
};

}  // namespace cntr::fatimg
