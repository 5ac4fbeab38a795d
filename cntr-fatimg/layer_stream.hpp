// The decompressed bytes of one layer blob, produced on a thread of its own.
//
// Inflating a gzip layer and creating its files each take about half of an unpack;
// on a thread of their own they overlap, and a pull of a large image ends in little
// more than the time its file creation takes. The thread owns the only libarchive
// reader with decompression filters; the tar reader that consumes the stream has none.
#pragma once

#include <archive.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace cntr::fatimg {

struct LayerFile;

class LayerStream {
  public:
    // Starts decompressing `layer` (the index-th of its image, for messages). Throws
    // UserError if its media type names no supported compression.
    LayerStream(const LayerFile& layer, size_t index);
    ~LayerStream() = default;  // thread_ goes first: it is asked to stop, then joined
    LayerStream(const LayerStream&) = delete;
    LayerStream& operator=(const LayerStream&) = delete;

    // Opens `tar` (a reader with the tar format and no filter) on the stream.
    void open(archive* tar);
    // Call when the tar reader failed: stops the thread and throws its error if it had
    // one (a bad compression chain, a corrupt stream), which is then the cause.
    void rethrow_error();

  private:
    static la_ssize_t read_cb(archive* a, void* self, const void** buf);
    void produce(const std::stop_token& stop) noexcept;
    void decompress(const std::stop_token& stop);
    // Hands a full buffer to the reader; false once the reader is gone.
    bool push(std::vector<char>&& chunk, const std::stop_token& stop);
    [[nodiscard]] std::vector<char> spare_buffer();

    const LayerFile& layer_;
    size_t index_;
    std::mutex mu_;
    std::condition_variable_any cv_;
    std::deque<std::vector<char>> ready_;   // decompressed, in order
    std::vector<std::vector<char>> spare_;  // buffers the reader is done with
    std::vector<char> current_;             // what the tar reader is reading now
    bool done_ = false;
    std::exception_ptr error_;
    std::jthread thread_;  // last: started after everything it uses exists
};

}  // namespace cntr::fatimg
