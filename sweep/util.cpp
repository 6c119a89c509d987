#include "sweep/util.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <sstream>
#include <thread>

namespace macforge::sweep {

namespace fs = std::filesystem;

uint64_t fnv1a64(const std::string& bytes, uint64_t h) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

uint64_t hash_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.good()) throw SweepRuntimeError(path + ": cannot read");
  uint64_t h = 0xcbf29ce484222325ull;
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), std::streamsize(buf.size()));
    std::streamsize n = in.gcount();
    for (std::streamsize i = 0; i < n; ++i) {
      h ^= static_cast<unsigned char>(buf[size_t(i)]);
      h *= 0x100000001b3ull;
    }
  }
  return h;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.good()) throw SweepRuntimeError(path + ": cannot read");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

void write_atomic(const std::string& path, const std::string& text) {
  static std::atomic<unsigned> counter{0};
  std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw SweepRuntimeError("cannot write '" + path + "': cannot create " + tmp + ": " + std::strerror(errno));
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw SweepRuntimeError("cannot write '" + path + "': " + std::strerror(e));
    }
    off += size_t(n);
  }
  bool ok = ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    throw SweepRuntimeError("cannot write '" + path + "': " + std::strerror(e));
  }
  // The rename is only durable once the directory entry is on disk: without
  // this a power loss after the caller moved on could bring back the old file
  // (or none) although the new one was reported written.
  fsync_dir(dir_of(path));
}

void fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw SweepRuntimeError("cannot open directory '" + dir + "' to sync it: " + std::strerror(errno));
  int rc = ::fsync(fd);
  int e = errno;
  ::close(fd);
  // EINVAL/EROFS: the file system cannot sync directories (some network and
  // pseudo file systems); there is nothing more a writer can do there.
  if (rc != 0 && e != EINVAL && e != EROFS)
    throw SweepRuntimeError("cannot sync directory '" + dir + "': " + std::strerror(e));
}

bool remove_file_durably(const std::string& path) {
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return false;
    throw SweepRuntimeError("cannot remove '" + path + "': " + std::strerror(errno));
  }
  fsync_dir(dir_of(path));
  return true;
}

void make_dirs(const std::string& dir) {
  // The directories created here must survive a crash like the files
  // written into them: each new one is synced into its parent.
  std::vector<fs::path> created;
  std::error_code ec;
  for (fs::path p = fs::path(absolute_path(dir)); !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
    created.push_back(p);
    if (p == p.parent_path()) break;
  }
  fs::create_directories(dir, ec);
  if (ec) throw SweepRuntimeError("cannot create directory '" + dir + "': " + ec.message());
  for (const fs::path& p : created) fsync_dir(p.parent_path().string());
}

namespace {

// NAME.tmp.<pid>[.<n>] (write_atomic here, write_text_atomic in synth/):
// the pid of the writer, or 0 when the name is not a temporary file.
long temp_writer_pid(const std::string& name) {
  size_t t = name.rfind(".tmp.");
  if (t == std::string::npos || t == 0) return 0;
  const char* s = name.c_str() + t + 5;
  char* end = nullptr;
  long pid = std::strtol(s, &end, 10);
  if (end == s || pid <= 0) return 0;
  if (*end == '.') {
    const char* n = end + 1;
    std::strtol(n, &end, 10);
    if (end == n) return 0;
  }
  return *end ? 0 : pid;
}

// Whether the process that wrote a file last modified at `mtime` (seconds
// since the epoch) may still be writing it. Not when it is gone, a zombie
// (killed, not yet reaped: orphans of a killed sweep can stay so for a
// while), or when the pid now names a process started after the file was
// written (the pid was reused).
bool writer_alive(long pid, double mtime) {
  std::ifstream st("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(st, line)) return ::kill(pid_t(pid), 0) == 0 || errno == EPERM;
  size_t rp = line.rfind(')');
  if (rp == std::string::npos) return true;
  std::istringstream rest(line.substr(rp + 2));
  std::string f;
  std::vector<std::string> fields;  // fields 3.. of proc(5)
  while (rest >> f) fields.push_back(f);
  if (fields.empty() || fields[0] == "Z" || fields[0] == "X") return false;
  if (fields.size() < 20) return true;
  double start_ticks = std::strtod(fields[19].c_str(), nullptr);  // field 22: starttime
  std::ifstream ps("/proc/stat");
  double btime = -1;
  while (std::getline(ps, line))
    if (line.rfind("btime ", 0) == 0) btime = std::strtod(line.c_str() + 6, nullptr);
  long tck = ::sysconf(_SC_CLK_TCK);
  if (btime < 0 || tck <= 0) return true;
  // btime has whole seconds: 2 s of slack keeps a live writer's file.
  return btime + start_ticks / double(tck) <= mtime + 2;
}

}  // namespace

size_t remove_stale_temps(const std::string& root) {
  size_t removed = 0;
  std::error_code ec;
  std::vector<std::string> dirs;
  for (fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    if (it->is_symlink(ec) || !it->is_regular_file(ec)) continue;
    std::string name = it->path().filename().string();
    long pid = temp_writer_pid(name);
    if (pid == 0) continue;
    // A live writer (another process still writing) keeps its file.
    struct stat sb;
    if (::stat(it->path().c_str(), &sb) != 0) continue;
    if (writer_alive(pid, double(sb.st_mtim.tv_sec) + 1e-9 * double(sb.st_mtim.tv_nsec))) continue;
    if (::unlink(it->path().c_str()) == 0) {
      ++removed;
      dirs.push_back(it->path().parent_path().string());
    }
  }
  for (const std::string& d : dirs) {
    try {
      fsync_dir(d);
    } catch (const SweepRuntimeError&) {
    }
  }
  return removed;
}

std::string absolute_path(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::absolute(path, ec);
  if (ec) return path;
  return p.lexically_normal().string();
}

std::string dir_of(const std::string& path) {
  fs::path p = fs::path(absolute_path(path)).parent_path();
  return p.string();
}

std::string self_exe() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw SweepRuntimeError("cannot find the running executable (/proc/self/exe): " + ec.message());
  return p.string();
}

std::string ProcResult::describe() const {
  std::ostringstream s;
  if (timed_out) s << "timed out after " << fmt_num(seconds, 3) << " s";
  else if (signal) s << "killed by signal " << signal << " (" << ::strsignal(signal) << ")";
  else s << "exit " << status;
  return s.str();
}

namespace {

std::vector<char*> c_argv(std::vector<std::string>& argv) {
  std::vector<char*> v;
  for (std::string& a : argv) v.push_back(a.data());
  v.push_back(nullptr);
  return v;
}

// The child side of a fork: redirect and exec; never returns.
[[noreturn]] void exec_child(std::vector<std::string> argv, const std::string& cwd, const std::string& stdout_path,
                             const std::string& log_path, pid_t parent) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);  // the parent is already gone
  int in = ::open("/dev/null", O_RDONLY);
  if (in >= 0) ::dup2(in, 0);
  int log = -1;
  if (!log_path.empty()) log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  int out = log;
  if (!stdout_path.empty()) out = ::open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out >= 0) ::dup2(out, 1);
  if (log >= 0) ::dup2(log, 2);
  if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) {
    std::fprintf(stderr, "cannot enter %s: %s\n", cwd.c_str(), std::strerror(errno));
    ::_exit(127);
  }
  std::vector<char*> a = c_argv(argv);
  ::execvp(a[0], a.data());
  std::fprintf(stderr, "cannot run %s: %s\n", a[0], std::strerror(errno));
  ::_exit(127);
}

std::map<pid_t, std::vector<pid_t>> process_children() {
  std::map<pid_t, std::vector<pid_t>> kids;
  DIR* d = ::opendir("/proc");
  if (!d) return kids;
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (!end || *end || pid <= 0) continue;
    std::ifstream st(std::string("/proc/") + e->d_name + "/stat");
    std::string line;
    if (!std::getline(st, line)) continue;
    size_t rp = line.rfind(')');
    if (rp == std::string::npos) continue;
    std::istringstream rest(line.substr(rp + 2));
    char state;
    long ppid = 0;
    rest >> state >> ppid;
    kids[pid_t(ppid)].push_back(pid_t(pid));
  }
  ::closedir(d);
  return kids;
}

}  // namespace

void kill_tree(pid_t pid, int sig) {
  auto kids = process_children();
  std::vector<pid_t> order, stack = {pid};
  while (!stack.empty()) {
    pid_t p = stack.back();
    stack.pop_back();
    order.push_back(p);
    for (pid_t c : kids[p]) stack.push_back(c);
  }
  // Stop the parents first so that they cannot start new children.
  for (pid_t p : order) ::kill(p, sig);
}

ProcResult run_program(const std::vector<std::string>& argv, const std::string& cwd, const std::string& stdout_path,
                       const std::string& log_path, double timeout_s) {
  if (argv.empty()) throw SweepRuntimeError("run_program: no program");
  ProcResult r;
  auto t0 = std::chrono::steady_clock::now();
  std::fflush(nullptr);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw SweepRuntimeError("cannot start " + argv[0] + ": fork failed");
  if (pid == 0) exec_child(argv, cwd, stdout_path, log_path, parent);
  int status = 0;
  for (;;) {
    pid_t w = ::waitpid(pid, &status, timeout_s > 0 ? WNOHANG : 0);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) break;
    double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (timeout_s > 0 && el > timeout_s && !r.timed_out) {
      r.timed_out = true;
      kill_tree(pid, SIGKILL);
    }
    if (timeout_s > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (WIFEXITED(status)) r.status = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  return r;
}

pid_t spawn_program(const std::vector<std::string>& argv, const std::string& log_path) {
  std::fflush(nullptr);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw SweepRuntimeError("cannot start " + argv[0] + ": fork failed");
  if (pid == 0) exec_child(argv, "", "", log_path, parent);
  return pid;
}

std::string program_version(const std::vector<std::string>& argv) {
  char tmpl[] = "/tmp/macforge-version-XXXXXX";
  int fd = ::mkstemp(tmpl);
  if (fd < 0) return "";
  ::close(fd);
  std::string out;
  try {
    ProcResult r = run_program(argv, "", tmpl, "/dev/null", 30);
    if (r.ok()) {
      std::istringstream in(read_file(tmpl));
      while (std::getline(in, out) && trim(out).empty()) {
      }
      out = trim(out);
    }
  } catch (const std::exception&) {
    out.clear();
  }
  ::unlink(tmpl);
  return out;
}

bool program_in_path(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  for (const std::string& d : split(path ? path : "/usr/bin:/bin", ':'))
    if (!d.empty() && ::access((d + "/" + name).c_str(), X_OK) == 0) return true;
  return false;
}

std::string log_excerpt(const std::string& path, size_t max_len) {
  std::ifstream in(path);
  std::string line, last, err;
  while (std::getline(in, line)) {
    std::string t = trim(line);
    if (t.empty()) continue;
    last = t;
    std::string low = t;
    for (char& c : low) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (low.rfind("error", 0) == 0 || low.rfind("%error", 0) == 0 || low.find(" error:") != std::string::npos ||
        low.rfind("error:", 0) == 0)
      err = t;
  }
  std::string s = err.empty() ? last : err;
  if (s.size() > max_len) s = s.substr(0, max_len) + "...";
  return s;
}

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t\r\n");
  return s.substr(a, b - a + 1);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> v;
  size_t a = 0;
  for (;;) {
    size_t b = s.find(sep, a);
    v.push_back(s.substr(a, b == std::string::npos ? std::string::npos : b - a));
    if (b == std::string::npos) break;
    a = b + 1;
  }
  return v;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
  return s;
}

std::string fmt_num(double v, int digits) {
  if (std::isnan(v)) return "";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::ostringstream s;
  double a = std::fabs(v);
  if (a != 0 && (a >= 1e12 || a < 1e-4)) {
    s << std::setprecision(digits) << v;
    return s.str();
  }
  // Fixed notation with `digits` significant digits, trailing zeros removed.
  int mag = a == 0 ? 0 : int(std::floor(std::log10(a)));
  int decimals = std::max(0, digits - 1 - mag);
  s << std::fixed << std::setprecision(decimals) << v;
  std::string t = s.str();
  if (t.find('.') != std::string::npos) {
    while (t.back() == '0') t.pop_back();
    if (t.back() == '.') t.pop_back();
  }
  if (t == "-0") t = "0";
  return t;
}

std::string fmt_duration(double seconds) {
  if (!(seconds >= 0)) return "?";
  char small[32];
  if (seconds < 10) {
    std::snprintf(small, sizeof small, "%.1f s", seconds);
    return small;
  }
  if (seconds < 60) {
    std::snprintf(small, sizeof small, "%.0f s", seconds);
    return small;
  }
  long s = long(seconds + 0.5);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

}  // namespace macforge::sweep
