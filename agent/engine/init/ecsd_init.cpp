// ecsd-init: the small init of containers with initProcessEnabled (mounted
// read-only at /sbin/ecsd-init, statically linked). As pid 1 it starts the
// command as its child, forwards every catchable signal to it, reaps every
// orphan, and exits with the command's status (128+signal when signalled).
//
//   ecsd-init -- CMD [ARG...]
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  int first = 1;
  if (first < argc && std::strcmp(argv[first], "--") == 0) ++first;
  if (first >= argc) {
    std::fprintf(stderr, "usage: ecsd-init -- CMD [ARG...]\n");
    return 2;
  }
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  pid_t child = fork();
  if (child < 0) {
    std::fprintf(stderr, "ecsd-init: fork: %s\n", std::strerror(errno));
    return 1;
  }
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &old, nullptr);
    setpgid(0, 0);
    execvp(argv[first], argv + first);
    std::fprintf(stderr, "ecsd-init: exec %s: %s\n", argv[first], std::strerror(errno));
    _exit(127);
  }
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(&all, &si);
    if (sig < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (sig == SIGCHLD) {
      for (;;) {
        int status = 0;
        pid_t p = waitpid(-1, &status, WNOHANG);
        if (p <= 0) break;
        if (p == child) {
          // Let the rest of the group go with it, as Docker's init does.
          kill(-child, SIGKILL);
          if (WIFEXITED(status)) return WEXITSTATUS(status);
          if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
          return 1;
        }
      }
      continue;
    }
    if (sig == SIGTTIN || sig == SIGTTOU || sig == SIGTSTP) continue;
    kill(child, sig);
  }
}
