// Signal names and wait-status mapping. Pure logic.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ecsd::runtime {

// "KILL", "SIGKILL", "sigkill", "9" -> 9. Also "SIGRTMIN+3". nullopt when unknown.
std::optional<int> parse_signal(std::string_view s);
// 9 -> "SIGKILL"; unknown numbers -> "SIG<n>".
std::string signal_name(int sig);

// How a process ended, as the shell reports it: code 0..255, or 128+signal.
struct ExitStatus {
  int exit_code = 0;  // 128+signal when signalled
  int signal = 0;     // 0 when it exited normally
  bool core_dumped = false;
};
ExitStatus exit_status_from_wait(int wait_status);

}  // namespace ecsd::runtime
