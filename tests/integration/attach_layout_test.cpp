// The session's filesystem layout: tools at /, the container at
// /var/lib/cntr, the container's /proc /dev /sys and identity files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cstdio>
#include <fstream>
#include <thread>

#include "cntr_binary.hpp"
#include "docker_container.hpp"
#include "x11_listener.hpp"

using namespace cntr::test;

class AttachLayout : public ::testing::Test {
  protected:
    DockerContainer c{{"--hostname", "slim-app"}};
};

TEST_F(AttachLayout, ToolsAreTheHostsRootAndServedByCntrfs) {
    auto r = attach_sh(
        c.name(), "test -x /usr/bin/dpkg && echo host-tools; grep ' / / ' /proc/self/mountinfo");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("host-tools"), std::string::npos);
    EXPECT_NE(r.out.find("fuse.cntrfs"), std::string::npos) << r.out;
}

TEST_F(AttachLayout, ContainerRootIsAtVarLibCntr) {
    ASSERT_EQ(c.exec({"sh", "-c", "echo marker-42 > /root/marker"}).exit_code, 0);
    auto r = attach_sh(c.name(),
                       "cat /var/lib/cntr/root/marker; ls /var/lib/cntr/bin/busybox; test -e "
                       "/var/lib/cntr/usr/bin/python3 || echo no-python-in-container");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("marker-42"), std::string::npos);
    EXPECT_NE(r.out.find("/var/lib/cntr/bin/busybox"), std::string::npos);
    EXPECT_NE(r.out.find("no-python-in-container"), std::string::npos);
}

TEST_F(AttachLayout, WritesFromTheSessionLandInTheContainer) {
    auto r = attach_sh(c.name(), "echo from-session > /var/lib/cntr/tmp/written");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(trim(c.exec({"cat", "/tmp/written"}).out), "from-session");
}

TEST_F(AttachLayout, ProcIsTheContainersProc) {
    auto r = attach_sh(c.name(),
                       "cat /proc/1/cmdline | tr '\\0' ' '; echo; ls /proc | grep -c '^[0-9]'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("sleep 1000000"), std::string::npos) << r.out;
    // Only the container's few processes, not the host's.
    int processes = std::stoi(trim(r.out.substr(r.out.find('\n') + 1)));
    EXPECT_LT(processes, 10) << r.out;
}

TEST_F(AttachLayout, DevAndSysAreTheContainers) {
    auto session = attach_sh(c.name(),
                             "ls /dev | sort | tr '\\n' ' '; echo; grep -E ' /(dev|sys) ' "
                             "/proc/self/mountinfo | awk '{print $9}'");
    auto container = c.exec({"sh", "-c", "ls /dev | sort | tr '\\n' ' '"});
    ASSERT_EQ(session.exit_code, 0) << session.err;
    EXPECT_EQ(trim(session.out.substr(0, session.out.find('\n'))), trim(container.out));
    EXPECT_NE(session.out.find("tmpfs"), std::string::npos);  // docker's /dev
    EXPECT_NE(session.out.find("sysfs"), std::string::npos);
}

TEST_F(AttachLayout, IdentityFilesAreTheContainers) {
    for (const char* file :
         {"/etc/passwd", "/etc/group", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf"}) {
        auto session = attach(c.name(), {"cat", file});
        auto container = c.exec({"cat", file});
        ASSERT_EQ(session.exit_code, 0) << file << ": " << session.err;
        EXPECT_EQ(session.out, container.out) << file;
    }
    auto r = attach(c.name(), {"id", "-un", "1000"});
    EXPECT_EQ(trim(r.out), "app");  // only the container's passwd has uid 1000 = app
}

TEST(AttachLayoutSockets, HostX11AndDbusSocketsAreConnectable) {
    // A server on a host socket in /tmp/.X11-unix (where X servers listen):
    // seen through CNTRFS alone a client would get ECONNREFUSED, because a
    // socket is found by its inode.
    DockerContainer c;  // first: its constructor may throw, and nothing is to undo yet
    // The listening socket: closed, its file removed (and the directory if this test
    // made it) however the test ends.
    HostX11Listener server("cntr-test-" + std::to_string(::getpid()), 1);
    const std::string& path = server.path();
    // Accepts one client; joined however the test ends, after a connection of its own
    // that unblocks accept if the session never connected.
    struct Acceptor {
        const sockaddr_un& addr;
        std::thread thread;
        ~Acceptor() {
            int kick = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            ::connect(kick, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
            ::close(kick);
            thread.join();
        }
    } acceptor{server.address(), std::thread([fd = server.fd()] {
                   int client = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
                   if (client >= 0) {
                       const char reply[] = "hello-from-host-x11\n";
                       [[maybe_unused]] auto n = ::write(client, reply, sizeof(reply) - 1);
                       ::close(client);
                   }
               })};
    // Opt-in only (--host-sockets): the container could connect to them too.
    auto r = run({kCntr, "attach", "--host-sockets", "x11", c.name(), "--", "python3", "-c",
                  "import socket; s = socket.socket(socket.AF_UNIX); s.connect('" + path +
                      "'); print(s.recv(100).decode(), end='')"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "hello-from-host-x11\n");
}

TEST(AttachLayoutHostile, SymlinkedIdentityFileCannotExposeAHostFile) {
    const std::string secret = "/etc/cntr-test-host-secret";
    { std::ofstream(secret) << "HOST-SECRET\n"; }
    DockerContainer c;
    ASSERT_EQ(c.exec({"sh", "-c",
                      "rm -f /etc/passwd /etc/group && ln -s " + secret +
                          " /etc/passwd && ln -s ../../../../" + secret + " /etc/group"})
                  .exit_code,
              0);
    auto r = attach_sh(c.name(), "cat /etc/passwd /etc/group");
    ::unlink(secret.c_str());
    EXPECT_EQ(r.out.find("HOST-SECRET"), std::string::npos) << r.out;
}
