#include "runtime/signals.h"

#include <signal.h>
#include <sys/wait.h>

#include <cctype>

namespace ecsd::runtime {
namespace {

struct Sig {
  const char* name;
  int num;
};

constexpr Sig kSignals[] = {
    {"HUP", SIGHUP},     {"INT", SIGINT},       {"QUIT", SIGQUIT},   {"ILL", SIGILL},
    {"TRAP", SIGTRAP},   {"ABRT", SIGABRT},     {"IOT", SIGIOT},     {"BUS", SIGBUS},
    {"FPE", SIGFPE},     {"KILL", SIGKILL},     {"USR1", SIGUSR1},   {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},   {"PIPE", SIGPIPE},     {"ALRM", SIGALRM},   {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},   {"CONT", SIGCONT},   {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU},   {"URG", SIGURG},
    {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH}, {"IO", SIGIO},         {"POLL", SIGPOLL},   {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};

std::optional<int> parse_uint(std::string_view s) {
  if (s.empty() || s.size() > 4) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace

std::optional<int> parse_signal(std::string_view s) {
  if (auto n = parse_uint(s)) {
    if (*n >= 1 && *n < NSIG) return *n;
    return std::nullopt;
  }
  std::string up;
  for (char c : s) up.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  std::string_view v = up;
  if (v.starts_with("SIG")) v.remove_prefix(3);
  for (const auto& sig : kSignals)
    if (v == sig.name) return sig.num;
  if (v.starts_with("RTMIN") || v.starts_with("RTMAX")) {
    bool min = v.starts_with("RTMIN");
    std::string_view rest = v.substr(5);
    int off = 0;
    if (!rest.empty()) {
      if (rest[0] != (min ? '+' : '-')) return std::nullopt;
      auto n = parse_uint(rest.substr(1));
      if (!n) return std::nullopt;
      off = *n;
    }
    int sig = min ? SIGRTMIN + off : SIGRTMAX - off;
    if (sig < SIGRTMIN || sig > SIGRTMAX) return std::nullopt;
    return sig;
  }
  return std::nullopt;
}

std::string signal_name(int sig) {
  for (const auto& s : kSignals)
    if (s.num == sig && std::string_view(s.name) != "IOT" && std::string_view(s.name) != "POLL")
      return std::string("SIG") + s.name;
  if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
    if (sig == SIGRTMIN) return "SIGRTMIN";
    return "SIGRTMIN+" + std::to_string(sig - SIGRTMIN);
  }
  return "SIG" + std::to_string(sig);
}

ExitStatus exit_status_from_wait(int st) {
  ExitStatus e;
  if (WIFEXITED(st)) {
    e.exit_code = WEXITSTATUS(st);
  } else if (WIFSIGNALED(st)) {
    e.signal = WTERMSIG(st);
    e.exit_code = 128 + e.signal;
    e.core_dumped = WCOREDUMP(st);
  }
  return e;
}

}  // namespace ecsd::runtime
