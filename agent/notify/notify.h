// systemd service notifications (sd_notify) for the ecsd daemon.
//
// The unit runs `ecsd agent` with Type=notify and WatchdogSec=, so:
//   - call notify_ready() once the agent is registered with its cluster, or,
//     with no cluster configured, once local mode is serving;
//   - call notify_watchdog() from the main event loop at least every
//     watchdog_interval()/2 (never from a timer thread of its own: the point
//     is that a stuck loop stops the pings and systemd restarts the agent);
//   - call notify_status("...") for the one-line state `systemctl status` shows;
//   - call notify_stopping() when a clean shutdown begins.
// Every function is a cheap no-op when the process is not run by systemd
// (NOTIFY_SOCKET unset), and returns false then or on a send error; callers
// never need to check it. Thread-safe (libsystemd opens a socket per call).
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace ecsd::notify {

bool notify_ready(const std::string& status = "");
bool notify_watchdog();
bool notify_status(const std::string& status);
bool notify_stopping();
bool notify_reloading();

// Sends raw KEY=VALUE lines (e.g. "ERRNO=5"). Exposed for tests.
bool notify_raw(const std::string& state);

// The watchdog timeout systemd expects for this process (WATCHDOG_USEC for
// our pid), or nullopt when the watchdog is off.
std::optional<std::chrono::microseconds> watchdog_interval();

}  // namespace ecsd::notify
