#include "sweep/pool.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <thread>

#include "sweep/point.hpp"
#include "sweep/util.hpp"

namespace macforge::sweep {

namespace {

volatile sig_atomic_t g_stop = 0;

void on_signal(int sig) { g_stop = sig; }

struct Running {
  size_t point;
  std::chrono::steady_clock::time_point start;
};

class Progress {
 public:
  Progress(std::ostream& err, bool bar, size_t total, size_t cached)
      : err_(err), bar_(bar), total_(total), done_(cached), t0_(std::chrono::steady_clock::now()) {}

  void finished(const Point& p, bool ok, double secs, const std::string& error, const std::string& log,
                size_t running) {
    running_ = running;
    ++done_;
    ++ran_;
    if (!ok) ++failed_;
    clear();
    std::string head = "[" + std::to_string(done_) + "/" + std::to_string(total_) + "] ";
    if (ok) {
      if (!bar_) err_ << head << "ok      " << p.label << " (" << fmt_duration(secs) << ")\n";
    } else {
      err_ << head << "FAILED  " << p.label << ": " << error << " (log: " << log << ")\n";
    }
    err_.flush();
    draw();
  }

  void tick(size_t running) {
    running_ = running;
    auto now = std::chrono::steady_clock::now();
    if (bar_ && now - last_ > std::chrono::milliseconds(250)) draw();
  }

  void clear() {
    if (bar_ && drawn_) {
      err_ << "\r\033[K";
      drawn_ = false;
    }
  }

  void draw() {
    if (!bar_) return;
    last_ = std::chrono::steady_clock::now();
    double el = std::chrono::duration<double>(last_ - t0_).count();
    const int width = 30;
    int fill = total_ ? int(width * double(done_) / double(total_)) : width;
    std::string b(size_t(fill), '#');
    b.resize(width, '.');
    std::string eta = "?";
    size_t left = total_ - done_;
    if (ran_ > 0) eta = fmt_duration(el / double(ran_) * double(left));
    else if (left == 0) eta = "0 s";
    err_ << "\r\033[K[" << b << "] " << done_ << "/" << total_;
    if (failed_) err_ << ", " << failed_ << " failed";
    err_ << ", " << running_ << " running, " << fmt_duration(el) << " elapsed, ETA " << eta;
    err_.flush();
    drawn_ = true;
  }

 private:
  std::ostream& err_;
  bool bar_;
  size_t total_, done_, ran_ = 0, failed_ = 0, running_ = 0;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point t0_, last_;
};

}  // namespace

PoolSummary run_pool(const SweepSpec& spec, const Expansion& ex, const PoolOptions& opt, std::ostream& err) {
  PoolSummary sum;
  sum.total = ex.points.size();
  auto t0 = std::chrono::steady_clock::now();
  make_dirs(opt.out_dir + "/points");
  make_dirs(opt.out_dir + "/logs");

  // One sweep at a time per directory.
  std::string lock_path = opt.out_dir + "/.sweep.lock";
  int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock < 0) throw SweepRuntimeError("cannot create " + lock_path + ": " + std::strerror(errno));
  if (::flock(lock, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock);
    throw SweepRuntimeError("another macforge sweep is running in " + opt.out_dir + " (lock " + lock_path + ")");
  }
  // Under the lock no other sweep writes here: every temporary file of a dead
  // writer (a killed point, a sweep killed while writing its tables) is stale.
  remove_stale_temps(opt.out_dir);

  std::deque<size_t> todo;
  for (size_t i = 0; i < ex.points.size(); ++i) {
    const Point& p = ex.points[i];
    if (!opt.force && record_ok(read_record(opt.out_dir, p.hash), p.hash)) {
      ++sum.cached;
      ++sum.ok;
    } else {
      todo.push_back(i);
    }
  }
  if (sum.cached)
    err << sum.cached << " of " << sum.total << " points already have results in " << opt.out_dir
        << "/points (reused)\n";

  struct sigaction sa {}, old_int {}, old_term {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  g_stop = 0;
  ::sigaction(SIGINT, &sa, &old_int);
  ::sigaction(SIGTERM, &sa, &old_term);

  Progress prog(err, opt.progress_bar, sum.total, sum.cached);
  std::map<pid_t, Running> running;
  PointContext ctx{opt.out_dir, opt.exe, opt.tool_version};
  int jobs = std::max(1, opt.jobs);
  while ((!todo.empty() || !running.empty()) && !g_stop) {
    while (!todo.empty() && int(running.size()) < jobs && !g_stop) {
      size_t i = todo.front();
      todo.pop_front();
      const Point& p = ex.points[i];
      std::vector<std::string> argv = {opt.exe, "point", "--sweep", spec.path, "--index", std::to_string(p.index),
                                       "--out", opt.out_dir, "--expect-hash", p.hash};
      // The point's process writes its own log; anything it prints goes there too.
      std::string log = log_path(opt.out_dir, p.hash);
      pid_t pid = spawn_program(argv, log + ".out");
      running[pid] = {i, std::chrono::steady_clock::now()};
    }
    int status = 0;
    pid_t w = ::waitpid(-1, &status, WNOHANG);
    if (w <= 0) {
      prog.tick(running.size());
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    auto it = running.find(w);
    if (it == running.end()) continue;
    const Point& p = ex.points[it->second.point];
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - it->second.start).count();
    running.erase(it);
    ++sum.ran;
    json rec = read_record(opt.out_dir, p.hash);
    bool ok = record_ok(rec, p.hash);
    std::string error;
    if (!ok) {
      bool recorded = rec.is_object() && rec.value("hash", "") == p.hash && rec.value("status", "") == "failed";
      if (recorded) {
        error = rec.value("error", "failed");
      } else {
        // The process ended without a record: a crash, a signal, or an error
        // before the point ran (its message is in the .out log).
        std::string why = WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                              : "exit " + std::to_string(WEXITSTATUS(status));
        std::string ex_line = log_excerpt(log_path(opt.out_dir, p.hash) + ".out");
        error = "macforge point ended without a result (" + why + ")" + (ex_line.empty() ? "" : ": " + ex_line);
        json crash = crashed_record(p, ctx, error);
        crash["log"] = "logs/" + p.hash + ".log.out";
        write_atomic(point_path(opt.out_dir, p.hash), crash.dump(1) + "\n");
      }
    }
    if (ok) ++sum.ok;
    else ++sum.failed;
    sum.point_seconds += secs;
    prog.finished(p, ok, secs, error, "logs/" + p.hash + ".log", running.size());
  }
  if (g_stop) {
    sum.interrupted = true;
    sum.signal = g_stop;
    for (auto& [pid, r] : running) kill_tree(pid, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!running.empty()) {
      int status = 0;
      pid_t w = ::waitpid(-1, &status, WNOHANG);
      if (w > 0) {
        running.erase(w);
        continue;
      }
      if (w < 0 && errno == ECHILD) break;
      if (std::chrono::steady_clock::now() > deadline) {
        for (auto& [pid, r] : running) kill_tree(pid, SIGKILL);
        deadline = std::chrono::steady_clock::now() + std::chrono::hours(1);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    remove_stale_temps(opt.out_dir);
  }
  prog.clear();
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGTERM, &old_term, nullptr);
  ::close(lock);
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}

}  // namespace macforge::sweep
