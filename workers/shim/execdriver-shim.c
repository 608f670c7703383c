/*
 * execdriver-shim: the command's parent, after conmon. It forks the command as the leader of its own
 * process group, reports its pid and start time, waits for it with wait4, kills and reaps whatever is
 * left of its tree (as a child subreaper it sees orphans, setsid grandchildren included), and reports
 * the exit status with the whole tree's rusage (getrusage(RUSAGE_CHILDREN), as time(1) does).
 *
 *   execdriver-shim [--exit-file PATH] [--pid-file PATH] [--join PATH]... [--uid N] [--gid N]
 *                   [--daemon] -- FILE ARGS...
 *
 * fd 3, when open, is the status channel to the worker (lines, never blocking the shim's work):
 *   pid <pid> <starttime>\n                       the command has exec'd (starttime: field 22 of stat)
 *   spawnerr <stage> <errno> <message>\n          the command could not be started (stage: exec, join,
 *                                                 setgid, setuid, setpgid); the shim exits 127
 *   exited\n                                      the command has exited; still a zombie (pid not reusable)
 *   exit <code> <signo> <utime_us> <stime_us> <maxrss_kb> <wall_us>\n
 *                                                 the tree is reaped; code -1 with signo for a signal death;
 *                                                 wall_us: fork to the command's exit (CLOCK_MONOTONIC)
 *   error <message>\n                             the shim itself failed (bad arguments, fork); exit 125
 * --exit-file and --pid-file get the same facts as JSON, written atomically (tmp + rename), mode 0600.
 * --daemon: double-fork first, so the process that was spawned exits at once and the real shim survives
 * its spawner. Without --daemon the command gets PR_SET_PDEATHSIG(SIGKILL): it dies if the shim is killed.
 * SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to the shim are forwarded to the command's
 * process group.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STATUS_FD 3
#define MAX_JOIN 16

enum stage { STAGE_EXEC, STAGE_JOIN, STAGE_SETPGID, STAGE_SETGID, STAGE_SETUID };
static const char *const stage_names[] = { "exec", "join", "setpgid", "setgid", "setuid" };

struct child_error {
  int stage;
  int err;
  int index; /* which --join path */
};

static int status_fd = -1;
static volatile sig_atomic_t command_pgid = 0;

static void status_line(const char *format, ...) {
  if (status_fd < 0) return;
  char buf[8192];
  va_list ap;
  va_start(ap, format);
  int n = vsnprintf(buf, sizeof buf, format, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n >= sizeof buf) n = sizeof buf - 1;
  for (int off = 0; off < n;) {
    ssize_t w = write(status_fd, buf + off, (size_t)(n - off));
    if (w < 0) {
      if (errno == EINTR) continue;
      status_fd = -1; /* EPIPE: nobody listens any more (the supervisor died); carry on */
      return;
    }
    off += (int)w;
  }
}

static void fail(const char *format, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, format);
  vsnprintf(buf, sizeof buf, format, ap);
  va_end(ap);
  status_line("error %s\n", buf);
  fprintf(stderr, "execdriver-shim: %s\n", buf);
  exit(125);
}

/* Field 22 (starttime) of /proc/<pid>/stat, parsed after the last ')'. 0 when unreadable. */
static unsigned long long start_time(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  char *p = strrchr(buf, ')');
  if (!p) return 0;
  p += 2; /* field 3 */
  for (int field = 3; field < 22 && *p; p++) {
    if (*p == ' ') field++;
  }
  return strtoull(p, NULL, 10);
}

/* Writes `text` to PATH atomically: PATH.tmp.<pid>, fsync, rename. Returns 0 or an errno. */
static int write_atomic(const char *path, const char *text) {
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof tmp) return ENAMETOOLONG;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return errno;
  size_t len = strlen(text);
  for (size_t off = 0; off < len;) {
    ssize_t w = write(fd, text + off, len - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      close(fd);
      unlink(tmp);
      return err;
    }
    off += (size_t)w;
  }
  if (fsync(fd) < 0 || close(fd) < 0) {
    int err = errno;
    unlink(tmp);
    return err;
  }
  if (rename(tmp, path) < 0) {
    int err = errno;
    unlink(tmp);
    return err;
  }
  return 0;
}

static void forward(int signo) {
  pid_t pgid = command_pgid;
  if (pgid > 0) kill(-pgid, signo);
}

static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

static const pid_t *sort_pids;
static int by_pid(const void *a, const void *b) {
  pid_t x = sort_pids[*(const size_t *)a], y = sort_pids[*(const size_t *)b];
  return (x > y) - (x < y);
}

/* SIGKILLs every live descendant of this process (found through /proc's ppid links). Returns how many. */
static int kill_descendants(void) {
  DIR *dir = opendir("/proc");
  if (!dir) return 0;
  size_t cap = 1024, count = 0;
  pid_t *pids = malloc(cap * sizeof *pids), *ppids = malloc(cap * sizeof *ppids);
  if (!pids || !ppids) {
    closedir(dir);
    free(pids);
    free(ppids);
    return 0;
  }
  struct dirent *d;
  while ((d = readdir(dir)) != NULL) {
    if (d->d_name[0] < '1' || d->d_name[0] > '9') continue;
    char path[288], buf[1024];
    snprintf(path, sizeof path, "/proc/%s/stat", d->d_name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) continue;
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p || p[1] == '\0' || p[2] == '\0') continue;
    char state = p[2];
    if (state == 'Z' || state == 'X') continue;
    if (count == cap) {
      cap *= 2;
      pid_t *a = realloc(pids, cap * sizeof *pids);
      if (!a) break;
      pids = a;
      pid_t *b = realloc(ppids, cap * sizeof *ppids);
      if (!b) break;
      ppids = b;
    }
    pids[count] = (pid_t)atoi(d->d_name);
    ppids[count] = (pid_t)strtol(p + 4, NULL, 10);
    count++;
  }
  closedir(dir);
  /* Sort by pid so that a parent is found by binary search; mark descendants until nothing changes. */
  size_t *order = malloc((count ? count : 1) * sizeof *order);
  char *mark = calloc(count ? count : 1, 1);
  pid_t self = getpid();
  int killed = 0, changed = 1;
  if (order) {
    for (size_t i = 0; i < count; i++) order[i] = i;
    sort_pids = pids;
    qsort(order, count, sizeof *order, by_pid);
  }
  while (order && mark && changed) {
    changed = 0;
    for (size_t i = 0; i < count; i++) {
      if (mark[i]) continue;
      int is_desc = ppids[i] == self;
      if (!is_desc) {
        size_t lo = 0, hi = count;
        while (lo < hi) {
          size_t mid = (lo + hi) / 2;
          if (pids[order[mid]] < ppids[i]) lo = mid + 1;
          else hi = mid;
        }
        is_desc = lo < count && pids[order[lo]] == ppids[i] && mark[order[lo]];
      }
      if (is_desc) {
        mark[i] = 1;
        changed = 1;
        if (pids[i] > 0 && kill(pids[i], SIGKILL) == 0) killed++;
      }
    }
  }
  free(order);
  free(mark);
  free(pids);
  free(ppids);
  return killed;
}

/* After the command is reaped: kill and reap every descendant left, until this process has no child. */
static void reap_rest(void) {
  for (;;) {
    while (waitpid(-1, NULL, WNOHANG) > 0) {}
    errno = 0;
    pid_t r = waitpid(-1, NULL, WNOHANG);
    if (r < 0 && errno == ECHILD) return; /* no child, hence no descendant left */
    kill_descendants();
    r = waitpid(-1, NULL, 0); /* some were killed: at least one child dies */
    if (r < 0 && errno == ECHILD) return;
  }
}

static void usage(void) {
  fail("usage: execdriver-shim [--exit-file PATH] [--pid-file PATH] [--join PATH]... [--uid N] [--gid N] [--daemon] -- FILE ARGS...");
}

static long parse_id(const char *flag, const char *value) {
  char *end;
  errno = 0;
  long v = strtol(value, &end, 10);
  if (errno || *end || end == value || v < 0 || v > 2147483647L) fail("%s expects a non-negative integer, got \"%s\"", flag, value);
  return v;
}

int main(int argc, char **argv) {
  const char *exit_file = NULL, *pid_file = NULL;
  const char *join[MAX_JOIN];
  int njoin = 0, daemon_mode = 0;
  long uid = -1, gid = -1;

  /* fd 3 is the status channel only if it is open; it never leaks into the command. */
  if (fcntl(STATUS_FD, F_SETFD, FD_CLOEXEC) == 0) status_fd = STATUS_FD;
  signal(SIGPIPE, SIG_IGN);

  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) { i++; break; }
    if (i + 1 >= argc && strcmp(a, "--daemon") != 0) usage();
    if (strcmp(a, "--exit-file") == 0) exit_file = argv[++i];
    else if (strcmp(a, "--pid-file") == 0) pid_file = argv[++i];
    else if (strcmp(a, "--join") == 0) {
      if (njoin == MAX_JOIN) fail("at most %d --join paths", MAX_JOIN);
      join[njoin++] = argv[++i];
    } else if (strcmp(a, "--uid") == 0) uid = parse_id(a, argv[++i]);
    else if (strcmp(a, "--gid") == 0) gid = parse_id(a, argv[++i]);
    else if (strcmp(a, "--daemon") == 0) daemon_mode = 1;
    else usage();
  }
  if (i >= argc) usage();
  char **command = argv + i;

  if (daemon_mode) {
    pid_t d = fork();
    if (d < 0) fail("fork: %s", strerror(errno));
    if (d > 0) _exit(0); /* the spawner reaps this one at once; the real shim is reparented away */
  }
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) fail("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));

  int errpipe[2];
  if (pipe2(errpipe, O_CLOEXEC) < 0) fail("pipe2: %s", strerror(errno));

  /* Block the forwarded signals until the handlers are in place (the child unblocks everything). */
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  pid_t shim = getpid();
  struct timespec forked_at, exited_at;
  clock_gettime(CLOCK_MONOTONIC, &forked_at);
  pid_t pid = fork();
  if (pid < 0) fail("fork: %s", strerror(errno));
  if (pid == 0) {
    struct child_error ce = { STAGE_EXEC, 0, -1 };
    close(errpipe[0]);
    if (setpgid(0, 0) < 0) { ce.stage = STAGE_SETPGID; goto report; }
    for (int j = 0; j < njoin; j++) {
      int fd = open(join[j], O_WRONLY | O_CLOEXEC);
      if (fd < 0 || write(fd, "0", 1) != 1) { ce.stage = STAGE_JOIN; ce.index = j; goto report; }
      close(fd);
    }
    if (gid >= 0) {
      if (getuid() == 0) setgroups(0, NULL);
      if (setgid((gid_t)gid) < 0) { ce.stage = STAGE_SETGID; goto report; }
    }
    if (uid >= 0 && setuid((uid_t)uid) < 0) { ce.stage = STAGE_SETUID; goto report; }
    /* After setuid/setgid, which clear it (prctl(2)): the command dies with its shim. */
    if (!daemon_mode) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != shim) _exit(137); /* the shim died before the line above */
    }
    /* Ignored signals stay ignored across exec: give the command every default back. */
    for (int s = 1; s < NSIG; s++) {
      if (s != SIGKILL && s != SIGSTOP) signal(s, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execvp(command[0], command);
  report:
    ce.err = errno;
    (void)!write(errpipe[1], &ce, sizeof ce);
    _exit(127);
  }
  close(errpipe[1]);
  setpgid(pid, pid); /* also from this side: no window where the group does not exist yet */

  struct child_error ce;
  ssize_t n;
  do n = read(errpipe[0], &ce, sizeof ce); while (n < 0 && errno == EINTR);
  close(errpipe[0]);
  if (n == (ssize_t)sizeof ce) {
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
    const char *what = ce.stage == STAGE_JOIN ? join[ce.index] : command[0];
    status_line("spawnerr %s %d %s: %s\n", stage_names[ce.stage], ce.err, what, strerror(ce.err));
    return 127;
  }

  unsigned long long started = start_time(pid);
  if (pid_file) {
    char json[256];
    snprintf(json, sizeof json, "{\"pid\":%d,\"startTime\":%llu,\"shimPid\":%d,\"shimStartTime\":%llu}\n",
             (int)pid, started, (int)shim, start_time(shim));
    int err = write_atomic(pid_file, json);
    if (err) status_line("warning cannot write --pid-file %s: %s\n", pid_file, strerror(err));
  }
  status_line("pid %d %llu\n", (int)pid, started);

  command_pgid = pid;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (size_t k = 0; k < sizeof forwarded / sizeof forwarded[0]; k++) sigaction(forwarded[k], &sa, NULL);
  sigprocmask(SIG_SETMASK, &old, NULL);

  /* The shim's own stdio must not keep the command's pipes open after the command's tree is gone. */
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull >= 0) {
    for (int fd = 0; fd <= 2; fd++) if (fd != devnull) dup2(devnull, fd);
    if (devnull > 2) close(devnull);
  }

  /* Wait for the command, reaping orphans that reparent here meanwhile. WNOWAIT leaves the command a
   * zombie, which keeps its pid (and so its process group id) from being reused while we kill the group. */
  for (;;) {
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT) < 0) {
      if (errno == EINTR) continue;
      fail("waitid: %s", strerror(errno));
    }
    if (si.si_pid == pid) break;
    if (si.si_pid > 0) waitpid(si.si_pid, NULL, 0);
  }
  /* The command has exited (it is a zombie until wait4 below): the end of its wall time. Say so now,
   * while the zombie still holds its pid and group id: the worker stops signalling -pid from here on. */
  clock_gettime(CLOCK_MONOTONIC, &exited_at);
  status_line("exited\n");
  kill(-pid, SIGKILL);
  command_pgid = 0;
  int status = 0;
  struct rusage ru;
  while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {}
  reap_rest();

  struct rusage all_ru;
  getrusage(RUSAGE_CHILDREN, &all_ru);
  long long utime = (long long)all_ru.ru_utime.tv_sec * 1000000 + all_ru.ru_utime.tv_usec;
  long long stime = (long long)all_ru.ru_stime.tv_sec * 1000000 + all_ru.ru_stime.tv_usec;
  long maxrss = all_ru.ru_maxrss;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  int signo = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  long long wall = (long long)(exited_at.tv_sec - forked_at.tv_sec) * 1000000 + (exited_at.tv_nsec - forked_at.tv_nsec) / 1000;

  if (exit_file) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    char json[512];
    snprintf(json, sizeof json,
             "{\"pid\":%d,\"startTime\":%llu,\"code\":%d,\"signo\":%d,\"utimeUs\":%lld,\"stimeUs\":%lld,"
             "\"maxRssKb\":%ld,\"wallUs\":%lld,\"exitedAtMs\":%lld}\n",
             (int)pid, started, code, signo, utime, stime, maxrss, wall,
             (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
    int err = write_atomic(exit_file, json);
    if (err) status_line("warning cannot write --exit-file %s: %s\n", exit_file, strerror(err));
  }
  status_line("exit %d %d %lld %lld %ld %lld\n", code, signo, utime, stime, maxrss, wall);
  return 0;
}
