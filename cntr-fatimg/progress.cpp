#include "progress.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include "log.hpp"

namespace cntr::fatimg {

namespace {

std::string mb(uint64_t b) { return fmt::format("{:.1f} MB", static_cast<double>(b) / 1e6); }

void write_err(const std::string& s) {
    [[maybe_unused]] auto r = ::write(STDERR_FILENO, s.data(), s.size());
}

}  // namespace

PullProgress::PullProgress(bool enabled, std::string image, size_t layers, uint64_t bytes)
    : enabled_(enabled),
      tty_(::isatty(STDERR_FILENO) == 1),
      image_(std::move(image)),
      layers_(layers),
      total_(bytes),
      start_(std::chrono::steady_clock::now()) {}

PullProgress::~PullProgress() {
    std::lock_guard<std::mutex> lock(mu_);
    if (enabled_ && tty_ && drawn_) {
        draw(true);
        write_err("\n");
    }
}

void PullProgress::add_bytes(uint64_t n) {
    bytes_ += n;
    if (!enabled_ || !tty_) return;
    std::lock_guard<std::mutex> lock(mu_);
    draw(false);
}

void PullProgress::blob_done(const std::string& what, uint64_t size, bool layer) {
    if (!enabled_) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (layer) ++done_;
    if (tty_)
        draw(true);
    else
        log::write_line("info", fmt::format("{}: {} done ({}, {}/{} layers)", image_, what,
                                            mb(size), done_, layers_));
}

void PullProgress::step(const std::string& text) {
    if (!enabled_) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (tty_ && drawn_) {
        write_err("\n");
        drawn_ = false;
    }
    log::write_line("info", fmt::format("{}: {}", image_, text));
}

void PullProgress::draw(bool force) {
    auto now = std::chrono::steady_clock::now();
    if (!force && drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    drawn_ = true;
    const double secs = std::chrono::duration<double>(now - start_).count();
    const uint64_t b = bytes_;
    const double rate = secs > 0 ? static_cast<double>(b) / secs / 1e6 : 0;
    write_err(fmt::format("\r{} {}/{}, {}/{} layers, {:.1f} MB/s\033[K", image_,
                          mb(b).substr(0, mb(b).size() - 3), mb(total_), done_, layers_, rate));
}

}  // namespace cntr::fatimg
