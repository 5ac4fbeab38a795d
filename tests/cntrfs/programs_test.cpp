// Real programs on CNTRFS: sqlite3 (journal and WAL), tar, git, make with g++, each run
// in a directory of the mount the way a debugging session would, with their own checks
// (sqlite's integrity_check, diff -r against the source, git fsck, running the binary).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "cntrfs_fixture.hpp"

// clang-format off: the bash scripts below are not C++.
namespace {

class Programs : public cntrfs_test::CntrfsFixture {
  protected:
    // Runs a bash script in `dir`; returns its exit status and keeps its output.
    int sh(const std::string& script) {
        std::string log = tmp_.path() + "/cmd.log";
        std::string cmd =
            "cd " + mnt_ + " && bash -euo pipefail -c '" + script + "' > " + log + " 2>&1";
        int st = std::system(cmd.c_str());
        output_ = cntrfs_test::read_all(log);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
    }
    static bool have(const char* program) {
        return std::system((std::string("command -v ") + program + " >/dev/null").c_str()) == 0;
    }
    std::string output_;
};

TEST_F(Programs, Sqlite3JournalAndWal) {
    ASSERT_TRUE(have("sqlite3")) << "install sqlite3 (scripts/install-deps.sh --test)";
    const char* script = R"SH(
for mode in delete wal; do
  db=test-$mode.db
  {
    echo "PRAGMA journal_mode=$mode; PRAGMA synchronous=FULL;"
    echo "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);"
    for i in $(seq 1 300); do echo "INSERT INTO t(v) VALUES (hex(randomblob(100)));"; done
    echo "BEGIN;"
    for i in $(seq 1 2000); do echo "INSERT INTO t(v) VALUES ($i);"; done
    echo "COMMIT; CREATE INDEX iv ON t(v); DELETE FROM t WHERE id % 3 = 0; VACUUM;"
  } | sqlite3 $db
  test "$(sqlite3 $db "PRAGMA integrity_check;")" = ok
  test "$(sqlite3 $db "SELECT count(*) FROM t;")" = 1534
done
)SH";
    EXPECT_EQ(sh(script), 0) << output_;
}

TEST_F(Programs, TarCreateAndExtractMatchesTheSource) {
    const char* script = R"SH(
tar -C /usr/include -cf tree.tar linux asm-generic
mkdir out && tar -C out -xpf tree.tar
diff -r /usr/include/linux out/linux
diff -r /usr/include/asm-generic out/asm-generic
tar -C out -cf again.tar linux asm-generic
test "$(tar -tf tree.tar | sort | md5sum)" = "$(tar -tf again.tar | sort | md5sum)"
rm -rf out && test ! -e out
)SH";
    EXPECT_EQ(sh(script), 0) << output_;
}

TEST_F(Programs, GitInitCommitBranchCloneGc) {
    ASSERT_TRUE(have("git")) << "install git (scripts/install-deps.sh --test)";
    const char* script = R"SH(
export HOME=$PWD GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@e GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@e
git init -q -b main repo && cd repo
for i in $(seq 1 50); do echo "line $i" > f$i.txt; done
git add . && git commit -qm first
git checkout -qb topic && echo change >> f1.txt && git commit -qam second
git checkout -q main && git merge -q --no-edit topic
chmod +x f2.txt && ln -s f3.txt link && git add . && git commit -qm third
git gc -q && git fsck --strict
test "$(git rev-list --count HEAD)" = 3
cd .. && git clone -q repo clone && diff -r --exclude=.git repo clone
git -C clone status --porcelain | (! grep .)
)SH";
    EXPECT_EQ(sh(script), 0) << output_;
}

TEST_F(Programs, MakeAndGxxBuildAndRun) {
    const char* script = R"SH(
mkdir proj && cd proj
cat > util.hpp <<'E'
int twice(int);
E
cat > util.cpp <<'E'
#include "util.hpp"
int twice(int x) { return 2 * x; }
E
cat > main.cpp <<'E'
#include <iostream>
#include "util.hpp"
int main() { std::cout << twice(21) << "\n"; }
E
printf "app: main.o util.o\n\tg++ -o \$@ \$^\n%%.o: %%.cpp util.hpp\n\tg++ -O1 -MMD -c -o \$@ \$<\n" > Makefile
make -j2 -s
test "$(./app)" = 42
make -q app
sleep 1.1 && touch util.hpp && ! make -q app && make -s && test "$(./app)" = 42
ar rcs libutil.a util.o && g++ -o app2 main.o -L. -lutil && test "$(./app2)" = 42
)SH";
    EXPECT_EQ(sh(script), 0) << output_;
}

}  // namespace
