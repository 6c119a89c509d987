// Kill and resume (issue #13 item 4, docs/sweeps.md section 3): a sweep with
// real synthesis is killed with SIGKILL (the whole process group, as a power
// cut or the OOM killer of a batch system would) at seeded random moments --
// while a result file is being written (a temporary file exists), while
// Yosys runs, at random times -- and resumed each time until it completes.
// The truth is the same sweep run once without interruption: the final
// tables and point records must equal it, every record seen between kills
// must be either absent, failed, or equal to the truth (never a corrupt or
// wrong "ok"), no temporary file may survive, and a point that failed (a
// malformed Liberty file; a Yosys killed on its own) is never reused.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sweep_test_util.hpp"

using namespace mf_test;

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Processes of process group `pgid` (from /proc/<pid>/stat): pid -> comm.
std::map<pid_t, std::string> group_members(pid_t pgid) {
  std::map<pid_t, std::string> out;
  for (const auto& e : fs::directory_iterator("/proc", fs::directory_options::skip_permission_denied)) {
    std::string n = e.path().filename().string();
    if (n.empty() || n.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream st(e.path() / "stat");
    std::string line;
    if (!std::getline(st, line)) continue;
    size_t lp = line.find('('), rp = line.rfind(')');
    if (lp == std::string::npos || rp == std::string::npos) continue;
    std::istringstream rest(line.substr(rp + 2));
    char state = 0;
    long ppid = 0, pgrp = 0;
    rest >> state >> ppid >> pgrp;
    if (pgrp == pgid && state != 'Z') out[pid_t(std::stol(n))] = line.substr(lp + 1, rp - lp - 1);
  }
  return out;
}

bool has_comm(const std::map<pid_t, std::string>& m, const std::string& comm) {
  for (const auto& [p, c] : m)
    if (c == comm) return true;
  return false;
}

bool is_temp(const std::string& name) { return name.find(".tmp.") != std::string::npos; }

std::vector<std::string> temps_under(const std::string& root) {
  std::vector<std::string> v;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec))
    if (is_temp(it->path().filename().string())) v.push_back(it->path().string());
  return v;
}

// A record without what legitimately differs between two runs of the same
// point: wall-clock times (`seconds` of the point, of each stage and of
// synth's timing report, synth's `timing_s`, `finished`), `host`, and
// absolute paths into the output directory (the reference has another DIR).
json comparable(json r, const std::string& out_dir) {
  r.erase("seconds");
  r.erase("finished");
  r.erase("host");
  if (r.contains("stages"))
    for (auto& [k, v] : r["stages"].items()) v.erase("seconds");
  // Raw tool JSON: drop run times, make paths relative to DIR.
  std::function<void(json&)> scrub = [&](json& j) {
    if (j.is_object()) {
      for (auto it = j.begin(); it != j.end();) {
        const std::string& k = it.key();
        if (k == "seconds" || k == "timing_s") {
          it = j.erase(it);
        } else {
          scrub(*it);
          ++it;
        }
      }
    } else if (j.is_array()) {
      for (json& x : j) scrub(x);
    } else if (j.is_string()) {
      std::string s = j.get<std::string>();
      for (size_t p; (p = s.find(out_dir)) != std::string::npos;) s.replace(p, out_dir.size(), "DIR");
      j = s;
    }
  };
  scrub(r);
  return r;
}

std::map<std::string, json> records(const std::string& out) {
  std::map<std::string, json> m;
  if (!fs::exists(out + "/points")) return m;
  for (const auto& e : fs::directory_iterator(out + "/points")) {
    std::string n = e.path().filename().string();
    if (is_temp(n) || e.path().extension() != ".json") continue;
    std::string text = read(e.path().string());
    json j = json::parse(text, nullptr, false);
    m[e.path().stem().string()] = j;  // discarded (corrupt) stays a discarded value
  }
  return m;
}

enum class Mode { WritePoint, WriteAny, Synth, Time, InducedFailure };
const char* mode_name(Mode m) {
  switch (m) {
    case Mode::WritePoint: return "write(points/)";
    case Mode::WriteAny: return "write(any)";
    case Mode::Synth: return "synth";
    case Mode::Time: return "time";
    case Mode::InducedFailure: return "yosys-only+group";
  }
  return "?";
}

// Watches DIR and every directory created below it for new temporary files.
class TempWatch {
 public:
  explicit TempWatch(const std::string& root) {
    fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    add_tree(root);
  }
  ~TempWatch() {
    if (fd_ >= 0) ::close(fd_);
  }
  // Waits up to ms for events; returns the temporary files created (full paths).
  std::vector<std::string> poll_temps(int ms) {
    std::vector<std::string> made;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0) return made;
    alignas(inotify_event) char buf[16384];
    ssize_t n;
    while ((n = ::read(fd_, buf, sizeof buf)) > 0) {
      for (char* c = buf; c < buf + n;) {
        auto* ev = reinterpret_cast<inotify_event*>(c);
        c += sizeof(inotify_event) + ev->len;
        if (!ev->len || !dirs_.count(ev->wd)) continue;
        std::string path = dirs_[ev->wd] + "/" + ev->name;
        if (ev->mask & IN_ISDIR) add_tree(path);
        else if (is_temp(ev->name)) made.push_back(path);
      }
    }
    return made;
  }

 private:
  void add_tree(const std::string& d) {
    int wd = ::inotify_add_watch(fd_, d.c_str(), IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
    if (wd < 0) return;
    dirs_[wd] = d;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(d, ec))
      if (e.is_directory(ec) && !e.is_symlink(ec)) add_tree(e.path().string());
  }
  int fd_ = -1;
  std::map<int, std::string> dirs_;
};

struct Figures {
  int kills = 0, during_write = 0, during_synth = 0, neither = 0, rounds = 0, finished_alone = 0, induced = 0;
  double seconds = 0;
  std::string log;
};

// One uninterrupted reference run; then `min_kills` or more SIGKILLs of the
// whole group, each followed by a resume, and a final resume to completion.
void kill_and_resume_until_done(const std::string& name, const std::string& sweep_file, int min_kills,
                                std::vector<Mode> plan, int min_in_write, int min_in_synth, unsigned seed) {
  std::string w = work_dir(name);
  std::string sweep = data(sweep_file);
  auto t_ref = Clock::now();
  Result ref = mf("sweep " + q(sweep) + " -j 2 --out " + q(w + "/ref"), name + "_ref");
  double ref_s = since(t_ref);
  ASSERT_EQ(ref.code, 1) << "the reference has exactly one failing point: " << ref.err;
  auto ref_rows = read_csv(w + "/ref/results.csv");
  const size_t n = ref_rows.size();
  ASSERT_GE(n, 2u);
  std::map<std::string, json> ref_rec = records(w + "/ref");
  ASSERT_EQ(ref_rec.size(), n);
  std::set<std::string> good;
  std::string bad;
  for (auto& [h, r] : ref_rec) {
    if (r.value("status", "") == "ok") good.insert(h);
    else bad = h;
  }
  ASSERT_EQ(good.size(), n - 1);
  ASSERT_EQ(ref_rec[bad].value("failed_stage", ""), "synth") << ref_rec[bad].dump(1);

  std::mt19937 rng(seed);
  auto uni = [&](double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); };
  auto pick = [&](int a, int b) { return std::uniform_int_distribution<int>(a, b)(rng); };

  std::string out = w + "/killed";
  fs::create_directories(out + "/points");
  fs::create_directories(out + "/work");
  Figures f;
  auto t0 = Clock::now();
  bool complete = false;       // the last round ran to its end
  bool ever_finished = false;  // every point has been run at least once
  // The first rounds follow the plan (shuffled); later ones are drawn.
  std::shuffle(plan.begin(), plan.end(), rng);
  std::set<std::string> induced_failed;
  // Kill until there are min_kills kills, of which enough landed in a write
  // and in synthesis (a kill aimed at a write can come after the rename).
  // (Once every point has run, no synthesis is left to kill.)
  auto enough = [&] {
    return f.kills >= min_kills && f.during_write >= min_in_write && (f.during_synth >= min_in_synth || ever_finished);
  };
  while (!enough() || !complete) {
    ASSERT_LT(f.rounds, 60) << "no end in sight\n" << f.log;
    ASSERT_LT(since(t0), 1500.0) << f.log;
    ++f.rounds;
    bool final_run = enough();
    Mode mode = Mode::Time;
    if (!final_run) {
      if (size_t(f.rounds - 1) < plan.size()) mode = plan[size_t(f.rounds - 1)];
      else if (f.during_write < min_in_write) mode = pick(0, 1) ? Mode::WritePoint : Mode::WriteAny;
      else if (f.during_synth < min_in_synth) mode = Mode::Synth;
      else mode = std::vector<Mode>{Mode::WritePoint, Mode::WriteAny, Mode::Synth, Mode::Time}[size_t(pick(0, 3))];
      // A finished sweep has no synthesis left: what it still writes are its tables.
      if (ever_finished) mode = pick(0, 1) ? Mode::WriteAny : Mode::Time;
    }
    TempWatch watch(out);
    pid_t pid = start_group({"sweep", sweep, "-j", "2", "--out", out}, w + "/round" + std::to_string(f.rounds) + ".log");
    auto r0 = Clock::now();
    int nth = pick(1, 3);                // WriteAny/Synth: act at the nth occurrence
    double delay = uni(0.0, 1.5);        // Synth: seconds into the synthesis
    // Time: seconds after the start (a resume with every point done is short).
    double at = ever_finished ? uni(0.05, 1.0) : uni(0.2, 0.9) * ref_s;
    int seen = 0;
    std::set<pid_t> yosys_seen;
    std::set<std::string> made_here;  // temporary files created in this round
    Clock::time_point synth_t{};
    bool kill_now = false;
    std::string induced_hash;
    int st = 0;
    bool exited = false;
    std::map<pid_t, std::string> members;
    Clock::time_point scan_t{};
    while (!exited) {
      if (::waitpid(pid, &st, WNOHANG) == pid) {
        exited = true;
        break;
      }
      ASSERT_LT(since(r0), 600.0) << "round " << f.rounds << " hangs";
      bool write_mode = mode == Mode::WritePoint || mode == Mode::WriteAny;
      std::vector<std::string> made = watch.poll_temps(final_run ? 50 : write_mode ? 2 : 20);
      made_here.insert(made.begin(), made.end());
      if (final_run) continue;
      // A scan of /proc takes milliseconds -- longer than many writes -- so a
      // write kill uses the latest scan (at most ~20 ms old) to tell whether
      // Yosys was running.
      if (!(write_mode && !made.empty()) && since(scan_t) > 0.02) {
        members = group_members(pid);
        scan_t = Clock::now();
      }
      if (mode == Mode::WritePoint || mode == Mode::WriteAny) {
        for (const std::string& t : made)
          if (mode == Mode::WriteAny || t.find("/points/") != std::string::npos) ++seen;
        // points/: the first record written is usually the failing point's,
        // the second a synthesized one's.
        kill_now = seen >= (mode == Mode::WritePoint ? std::min(nth, 2) : nth);
      } else if (mode == Mode::Synth || mode == Mode::InducedFailure) {
        for (const auto& [p, c] : members)
          if (c == "yosys" && yosys_seen.insert(p).second && int(yosys_seen.size()) == (mode == Mode::Synth ? nth : 1))
            synth_t = Clock::now();
        if (mode == Mode::Synth && synth_t != Clock::time_point{} && since(synth_t) >= delay) kill_now = true;
        if (mode == Mode::InducedFailure && synth_t != Clock::time_point{} && induced_hash.empty()) {
          // Kill only Yosys: macforge synth fails, the point must be recorded
          // as failed (never as a result); then the whole group dies.
          for (const auto& [p, c] : group_members(pid)) {
            if (c != "yosys") continue;
            std::error_code ec;
            std::string cwd = fs::read_symlink("/proc/" + std::to_string(p) + "/cwd", ec).string();
            size_t k = cwd.rfind("/work/");
            if (ec || k == std::string::npos || !good.count(cwd.substr(k + 6, 16))) continue;
            induced_hash = cwd.substr(k + 6, 16);
            ::kill(p, SIGKILL);
            break;
          }
        }
        if (!induced_hash.empty()) {
          json r = json::parse(read(out + "/points/" + induced_hash + ".json"), nullptr, false);
          if (r.is_object()) {
            EXPECT_EQ(r.value("status", ""), "failed") << r.dump(1);
            EXPECT_EQ(r.value("failed_stage", ""), "synth") << r.dump(1);
            induced_failed.insert(induced_hash);
            kill_now = true;
          }
        }
      } else if (mode == Mode::Time) {
        kill_now = since(r0) >= at;
      }
      if (!kill_now) continue;
      // The moment of the kill: what was running, what was half-written.
      bool synth_running = has_comm(write_mode ? members : group_members(pid), "yosys");
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &st, 0);
      // Children reparented to init die with the group too; wait for them.
      auto k0 = Clock::now();
      while (!group_members(pid).empty() && since(k0) < 20) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      ASSERT_TRUE(group_members(pid).empty()) << "processes of the killed sweep survive";
      // Cut off during a write: a temporary file created in this round is
      // still there (its writer died before the rename).
      std::vector<std::string> left;
      for (const std::string& t : made_here)
        if (fs::exists(t)) left.push_back(t);
      ++f.kills;
      complete = false;
      bool in_write = !left.empty();
      f.during_write += in_write;
      f.during_synth += synth_running;
      f.neither += !in_write && !synth_running;
      if (mode == Mode::InducedFailure) ++f.induced;
      int stored_ok = 0;
      for (auto& [h, r] : records(out)) stored_ok += r.is_object() && r.value("status", "") == "ok";
      f.log += "round " + std::to_string(f.rounds) + ": " + mode_name(mode) + " kill at " +
               std::to_string(since(r0)).substr(0, 5) + " s" +
               (in_write ? ", during a write (" + left[0].substr(out.size() + 1) + ")" : "") +
               (synth_running ? ", during synthesis" : "") + "; " + std::to_string(stored_ok) + " good results kept\n";
      break;
    }
    if (exited && !kill_now) {
      ++f.finished_alone;
      complete = WIFEXITED(st) && WEXITSTATUS(st) == 1 && fs::exists(out + "/report.md");
      ever_finished = ever_finished || complete;
      EXPECT_EQ(WEXITSTATUS(st), 1) << read(w + "/round" + std::to_string(f.rounds) + ".log");
      f.log += "round " + std::to_string(f.rounds) + ": " + mode_name(mode) + " -- the sweep finished first (" +
               std::to_string(since(r0)).substr(0, 5) + " s)\n";
    } else {
      // Whatever was cut off, nothing stored may be corrupt or a wrong result.
      for (auto& [h, r] : records(out)) {
        ASSERT_FALSE(r.is_discarded()) << "corrupt record " << h << " after round " << f.rounds;
        ASSERT_TRUE(ref_rec.count(h)) << "unknown record " << h;
        if (r.value("status", "") == "ok") {
          EXPECT_TRUE(good.count(h)) << "a failing point stored as good: " << h;
          EXPECT_EQ(comparable(r, out), comparable(ref_rec[h], w + "/ref")) << h;
        }
      }
    }
  }
  f.seconds = since(t0);
  std::cout << "kill-and-resume (seed " << seed << "): reference " << ref_s << " s; " << f.kills << " SIGKILLs in "
            << f.rounds << " rounds (" << f.during_write << " during a result write, " << f.during_synth
            << " during synthesis, " << f.neither << " elsewhere; " << f.induced << " after a Yosys-only kill), "
            << f.finished_alone << " rounds ran to the end; " << f.seconds << " s in all\n"
            << f.log;

  // A final table equal to the uninterrupted one (results.csv holds no times).
  EXPECT_EQ(read(out + "/results.csv"), read(w + "/ref/results.csv"));
  auto rows = read_csv(out + "/results.csv");
  ASSERT_EQ(rows.size(), n);
  std::set<std::string> hashes;
  for (size_t i = 0; i < rows.size(); ++i) {
    hashes.insert(rows[i]["hash"]);
    EXPECT_EQ(rows[i], ref_rows[i]);
    EXPECT_EQ(rows[i]["status"], rows[i]["hash"] == bad ? "failed" : "ok");
  }
  EXPECT_EQ(hashes.size(), n) << "a row lost or duplicated";
  std::map<std::string, json> fin = records(out);
  ASSERT_EQ(fin.size(), n);
  for (auto& [h, r] : fin) EXPECT_EQ(comparable(r, out), comparable(ref_rec[h], w + "/ref")) << h;
  std::vector<std::string> stale = temps_under(out);
  EXPECT_TRUE(stale.empty()) << stale.size() << " stale temporary files, e.g. " << (stale.empty() ? "" : stale[0]);
  EXPECT_FALSE(induced_failed.empty()) << "the induced synthesis failure never happened\n" << f.log;
  // The failing point is run again, never reused.
  Result again = mf("sweep " + q(sweep) + " -j 2 --out " + q(out), name + "_again");
  EXPECT_EQ(again.code, 1) << again.err;
  EXPECT_NE(again.err.find(std::to_string(n - 1) + " of " + std::to_string(n) + " points already have results"),
            std::string::npos)
      << again.err;
  EXPECT_NE(again.err.find("FAILED"), std::string::npos) << again.err;
  EXPECT_TRUE(temps_under(out).empty());

  EXPECT_GE(f.kills, min_kills);
  EXPECT_GE(f.during_write, min_in_write) << f.log;
  EXPECT_GE(f.during_synth, min_in_synth) << f.log;
}

unsigned seed_from_env(unsigned dflt) {
  const char* s = std::getenv("MF_KILL_SEED");
  return s && *s ? unsigned(std::strtoul(s, nullptr, 10)) : dflt;
}

}  // namespace

// The full figure of the issue: ten or more kills of a four-point sweep
// (label long: several minutes on a loaded two-core machine).
TEST(SweepKillLong, TenSigkillsAndResumesGiveTheUninterruptedResults) {
  kill_and_resume_until_done("kill10", "kill_resume.yaml", 10,
                             {Mode::WritePoint, Mode::WriteAny, Mode::Synth, Mode::Synth, Mode::Time,
                              Mode::InducedFailure, Mode::WritePoint, Mode::Synth, Mode::WriteAny, Mode::Time},
                             2, 2, seed_from_env(13));
}

// The default-suite variant: two points (one synthesis, one failing), four
// kills -- one during a record write, one during Yosys, one after a Yosys-only
// failure, one at the next temporary file.
TEST(SweepKill, FourSigkillsAndResumesGiveTheUninterruptedResults) {
  kill_and_resume_until_done("kill4", "kill_resume_small.yaml", 4,
                             {Mode::WritePoint, Mode::Synth, Mode::InducedFailure, Mode::WriteAny}, 1, 1,
                             seed_from_env(7));
}
