// Decompression of a layer on its own thread.
//
// Which compression is allowed: libarchive would chain any filter it can bid on (gzip
// in gzip in gzip, and lzop/lrzip/grzip by running those programs from $PATH as root).
// Only the gzip and zstd filters are registered, and after opening the detected chain
// must be exactly the one the layer's media type names (or none for a plain tar). The
// thread reads the blob as libarchive's "raw" format, so whatever is inside the
// compression reaches the tar reader, which has no filter and refuses anything that
// is not a tar.
//
// Memory: at most kQueued buffers of kChunk bytes wait for the tar reader, so a layer
// that inflates faster than its files are written costs a few MiB, not its size.
#include "layer_stream.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <memory>

#include "archive_error.hpp"
#include "error.hpp"
#include "text.hpp"
#include "unpack.hpp"

namespace cntr::fatimg {

namespace {

constexpr size_t kChunk = 1 << 20;
constexpr size_t kQueued = 4;

using Archive = std::unique_ptr<archive, int (*)(archive*)>;

int filter_for(const std::string& media_type) {
    if (media_type.ends_with("+gzip") || media_type.ends_with(".tar.gzip"))
        return ARCHIVE_FILTER_GZIP;
    if (media_type.ends_with("+zstd") || media_type.ends_with(".tar.zstd"))
        return ARCHIVE_FILTER_ZSTD;
    if (media_type.ends_with(".tar")) return ARCHIVE_FILTER_NONE;
    return -1;
}

}  // namespace

LayerStream::LayerStream(const LayerFile& layer, size_t index) : layer_(layer), index_(index) {
    if (filter_for(layer_.media_type) < 0)
        throw UserError(fmt::format(
            "image refused: layer {} ({}) has the unsupported media type \"{}\" (tar, tar+gzip "
            "and tar+zstd layers are supported)",
            index_ + 1, layer_.digest, printable(layer_.media_type)));
    thread_ = std::jthread([this](const std::stop_token& stop) { produce(stop); });
}

void LayerStream::open(archive* tar) {
    if (archive_read_open(tar, this, nullptr, &LayerStream::read_cb, nullptr) != ARCHIVE_OK) {
        rethrow_error();
        throw UserError(fmt::format("layer {} ({}) is not a valid tar archive: {}", index_ + 1,
                                    layer_.digest, archive_reason(tar)));
    }
}

void LayerStream::rethrow_error() {
    // A thread that is still decompressing ends at its next buffer; one that failed
    // has already said why.
    thread_.request_stop();
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return done_; });
    if (error_) std::rethrow_exception(error_);
}

la_ssize_t LayerStream::read_cb(archive* a, void* self, const void** buf) {
    auto* s = static_cast<LayerStream*>(self);
    std::unique_lock lock(s->mu_);
    s->cv_.wait(lock, [&] { return !s->ready_.empty() || s->done_; });
    if (s->current_.capacity() != 0) {  // libarchive is done with the previous buffer
        s->current_.clear();
        s->spare_.push_back(std::move(s->current_));
    }
    if (s->ready_.empty()) {
        if (!s->error_) return 0;  // end of the stream
        archive_set_error(a, EIO, "the layer's decompression failed");
        return -1;
    }
    s->current_ = std::move(s->ready_.front());
    s->ready_.pop_front();
    s->cv_.notify_all();
    *buf = s->current_.data();
    return static_cast<la_ssize_t>(s->current_.size());
}

std::vector<char> LayerStream::spare_buffer() {
    std::lock_guard lock(mu_);
    if (spare_.empty()) return {};
    std::vector<char> b = std::move(spare_.back());
    spare_.pop_back();
    return b;
}

bool LayerStream::push(std::vector<char>&& chunk, const std::stop_token& stop) {
    std::unique_lock lock(mu_);
    if (!cv_.wait(lock, stop, [&] { return ready_.size() < kQueued; })) return false;
    ready_.push_back(std::move(chunk));
    cv_.notify_all();
    return true;
}

void LayerStream::produce(const std::stop_token& stop) noexcept {
    std::exception_ptr error;
    try {
        decompress(stop);
    } catch (...) {
        error = std::current_exception();
    }
    std::lock_guard lock(mu_);
    error_ = error;
    done_ = true;
    cv_.notify_all();
}

void LayerStream::decompress(const std::stop_token& stop) {
    Archive a(archive_read_new(), archive_read_free);
    archive_read_support_filter_gzip(a.get());
    archive_read_support_filter_zstd(a.get());
    archive_read_support_format_raw(a.get());
    auto bad = [&](const char* what) {
        return UserError(fmt::format("layer {} ({}) {}: {}", index_ + 1, layer_.digest, what,
                                     archive_reason(a.get(), "truncated or corrupt data")));
    };
    if (archive_read_open_filename(a.get(), layer_.path.c_str(), kChunk) != ARCHIVE_OK)
        throw bad("cannot be opened or decompressed");

    // archive_filter_code(a, 0) is the outermost filter; the last one is always NONE
    // (the raw file). A plain tar has 1, a compressed one exactly 2.
    const int want = filter_for(layer_.media_type);
    const int n = archive_filter_count(a.get());
    const int got = n >= 1 ? archive_filter_code(a.get(), 0) : -1;
    if (want == ARCHIVE_FILTER_NONE ? n != 1 : (n != 2 || got != want)) {
        std::string chain;
        for (int i = 0; i < n; ++i) {
            const char* name = archive_filter_name(a.get(), i);
            chain += std::string(chain.empty() ? "" : " in ") + (name ? name : "?");
        }
        throw UserError(fmt::format(
            "image refused: layer {} ({}) of media type \"{}\" is compressed as {}; only one "
            "gzip or zstd compression matching the media type, or none for a plain tar, is "
            "accepted",
            index_ + 1, layer_.digest, printable(layer_.media_type), chain));
    }

    archive_entry* e = nullptr;
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) return;  // an empty blob: the tar reader says what it thinks
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) throw bad("cannot be decompressed");

    std::vector<char> chunk = spare_buffer();
    chunk.reserve(kChunk);
    for (;;) {
        const void* buf = nullptr;
        size_t size = 0;
        la_int64_t offset = 0;
        r = archive_read_data_block(a.get(), &buf, &size, &offset);
        if (r == ARCHIVE_EOF) break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) throw bad("cannot be decompressed");
        const char* p = static_cast<const char*>(buf);
        while (size > 0) {
            const size_t take = std::min(size, kChunk - chunk.size());
            chunk.insert(chunk.end(), p, p + take);
            p += take;
            size -= take;
            if (chunk.size() == kChunk) {
                if (!push(std::move(chunk), stop)) return;
                chunk = spare_buffer();
                chunk.reserve(kChunk);
            }
        }
    }
    if (!chunk.empty()) push(std::move(chunk), stop);
}

}  // namespace cntr::fatimg
