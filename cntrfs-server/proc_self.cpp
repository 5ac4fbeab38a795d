#include "proc_self.hpp"

#include <fmt/format.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <exception>

#include "file_io.hpp"

namespace cntrfs {
namespace {

// The thread-group id of thread `tid`, from /proc/<tid>/status; `tid` itself if unknown.
pid_t thread_group_of(pid_t tid) {
    try {
        std::string status = cntr::read_file(fmt::format("/proc/{}/status", tid));
        constexpr std::string_view kKey = "\nTgid:";
        size_t pos = status.find(kKey);
        if (pos == std::string::npos) return tid;
        pos = status.find_first_not_of(" \t", pos + kKey.size());
        if (pos == std::string::npos) return tid;
        pid_t tgid = 0;
        auto [end, ec] = std::from_chars(status.data() + pos, status.data() + status.size(), tgid);
        return ec == std::errc() && tgid > 0 ? tgid : tid;
    } catch (const std::exception&) {
        return tid;  // the caller is gone or /proc is not ours: keep its thread id
    }
}

}  // namespace

ProcFdPath::ProcFdPath(int fd) {
    constexpr std::string_view kPrefix = "/proc/self/fd/";
    char* p = std::copy(kPrefix.begin(), kPrefix.end(), buf_.data());
    p = std::to_chars(p, buf_.data() + buf_.size() - 1, fd).ptr;  // always fits
    *p = '\0';
}

void fix_proc_self_link(fuse_req_t req, int fd, std::string& target) {
    const std::string self = std::to_string(::getpid());
    const std::string task_prefix = self + "/task/";
    bool is_self = target == self;
    if (!is_self && !target.starts_with(task_prefix)) return;

    struct statfs sfs {};
    if (::fstatfs(fd, &sfs) != 0 || sfs.f_type != PROC_SUPER_MAGIC) return;
    pid_t caller = fuse_req_ctx(req)->pid;
    if (caller <= 0) return;  // a kernel thread, or a pid outside our namespace
    pid_t tgid = thread_group_of(caller);
    target = is_self ? std::to_string(tgid) : fmt::format("{}/task/{}", tgid, caller);
}

}  // namespace cntrfs
