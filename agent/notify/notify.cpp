#include "agent/notify/notify.h"

#include <systemd/sd-daemon.h>

#include <cstdlib>

namespace ecsd::notify {

bool notify_raw(const std::string& state) {
  const char* sock = std::getenv("NOTIFY_SOCKET");
  if (!sock || !*sock) return false;
  // unset_environment=0: children (the shim) never see NOTIFY_SOCKET anyway,
  // because the agent execs them with an explicit environment, and keeping it
  // lets every later call work.
  return sd_notify(0, state.c_str()) > 0;
}

bool notify_ready(const std::string& status) {
  std::string s = "READY=1";
  if (!status.empty()) s += "\nSTATUS=" + status;
  return notify_raw(s);
}

bool notify_watchdog() { return notify_raw("WATCHDOG=1"); }

bool notify_status(const std::string& status) { return notify_raw("STATUS=" + status); }

bool notify_stopping() { return notify_raw("STOPPING=1"); }

bool notify_reloading() { return notify_raw("RELOADING=1"); }

std::optional<std::chrono::microseconds> watchdog_interval() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) return std::chrono::microseconds(usec);
  return std::nullopt;
}

}  // namespace ecsd::notify
