// agent/notify: the messages systemd receives, over a real datagram socket.
#include "agent/notify/notify.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

using namespace ecsd::notify;

namespace {

class Notify : public ::testing::Test {
 protected:
  int fd = -1;
  std::string path;
  void SetUp() override {
    path = "/tmp/ecsd-notify-test-" + std::to_string(::getpid()) + ".sock";
    ::unlink(path.c_str());
    fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path.c_str());
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  }
  void TearDown() override {
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
    if (fd >= 0) ::close(fd);
    ::unlink(path.c_str());
  }
  std::string recv_one() {
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }
};

}  // namespace

TEST_F(Notify, SendsTheStatesSystemdExpects) {
  EXPECT_TRUE(notify_ready("registered with cluster prod"));
  EXPECT_EQ(recv_one(), "READY=1\nSTATUS=registered with cluster prod");
  EXPECT_TRUE(notify_watchdog());
  EXPECT_EQ(recv_one(), "WATCHDOG=1");
  EXPECT_TRUE(notify_status("3 tasks running"));
  EXPECT_EQ(recv_one(), "STATUS=3 tasks running");
  EXPECT_TRUE(notify_stopping());
  EXPECT_EQ(recv_one(), "STOPPING=1");
  EXPECT_TRUE(notify_ready());
  EXPECT_EQ(recv_one(), "READY=1");
}

TEST_F(Notify, NoOpOutsideSystemd) {
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_FALSE(notify_ready());
  EXPECT_FALSE(notify_watchdog());
  EXPECT_EQ(recv_one(), "");
}

TEST_F(Notify, WatchdogIntervalForThisPidOnly) {
  EXPECT_FALSE(watchdog_interval());
  ::setenv("WATCHDOG_USEC", "300000000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  auto w = watchdog_interval();
  ASSERT_TRUE(w);
  EXPECT_EQ(w->count(), 300000000);
  ::setenv("WATCHDOG_PID", "1", 1);  // meant for another process
  EXPECT_FALSE(watchdog_interval());
}
