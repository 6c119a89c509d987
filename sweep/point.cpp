#include "sweep/point.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gen/generate.hpp"
#include "numerics/block_format.hpp"
#include "numerics/metrics.hpp"
#include "numerics/qsnr_study.hpp"
#include "sweep/util.hpp"

namespace macforge::sweep {

namespace fs = std::filesystem;

std::string point_path(const std::string& dir, const std::string& hash) { return dir + "/points/" + hash + ".json"; }
std::string log_path(const std::string& dir, const std::string& hash) { return dir + "/logs/" + hash + ".log"; }
std::string work_path(const std::string& dir, const std::string& hash) { return dir + "/work/" + hash; }

namespace {

// A stage failed: the message is the record's error.
struct StageFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

json base_record(const Point& p, const PointContext& ctx) {
  json r;
  r["schema"] = kPointSchema;
  r["hash"] = p.hash;
  r["index"] = p.index;
  r["label"] = p.label;
  r["status"] = "running";
  r["tool_version"] = ctx.tool_version;
  json params = json::object();
  for (const auto& [k, v] : p.params) params[k] = v;
  r["params"] = params;
  r["config"] = json::parse(p.cfg.canonical_json());
  r["liberty"] = p.liberty;
  r["log"] = "logs/" + p.hash + ".log";
  return r;
}

void append_file(const std::string& to, const std::string& from) {
  std::ifstream in(from, std::ios::binary);
  std::ofstream out(to, std::ios::binary | std::ios::app);
  out << in.rdbuf();
}

void log_line(const std::string& log, const std::string& text) {
  std::ofstream out(log, std::ios::app);
  out << text << "\n";
}

std::string quote_cmd(const std::vector<std::string>& argv) {
  std::string s;
  for (const std::string& a : argv) {
    bool plain = !a.empty() && a.find_first_of(" \t'\"$\\|&;<>()*?") == std::string::npos;
    s += (s.empty() ? "" : " ") + (plain ? a : "'" + a + "'");
  }
  return s;
}

// Runs a tool for a stage: stdout into out_file ("" = the stage log), stderr
// into the stage log, which is then appended to the point's log.
ProcResult run_tool(const std::vector<std::string>& argv, const std::string& cwd, const std::string& out_file,
                    const std::string& stage_log, const std::string& main_log, double timeout) {
  log_line(main_log, "$ " + quote_cmd(argv));
  std::remove(stage_log.c_str());
  ProcResult r = run_program(argv, cwd, out_file, stage_log, timeout);
  append_file(main_log, stage_log);
  log_line(main_log, "-> " + r.describe() + " in " + fmt_num(r.seconds, 3) + " s");
  return r;
}

json parse_json_file(const std::string& path, const std::string& what) {
  std::string text;
  try {
    text = read_file(path);
  } catch (const SweepRuntimeError&) {
    throw StageFailure(what + " wrote no output (" + path + ")");
  }
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    throw StageFailure(what + " printed no valid JSON (" + path + "): " + e.what());
  }
}

double num_at(const json& j, const std::vector<std::string>& path, const std::string& what) {
  const json* cur = &j;
  std::string where;
  for (const std::string& k : path) {
    where += (where.empty() ? "" : ".") + k;
    if (!cur->is_object() || !cur->contains(k)) throw StageFailure(what + ": no '" + where + "' in its JSON");
    cur = &(*cur)[k];
  }
  if (!cur->is_number()) throw StageFailure(what + ": '" + where + "' is not a number");
  return cur->get<double>();
}

int count_prefix_lines(const std::string& path, const std::string& prefix) {
  std::ifstream in(path);
  std::string line;
  int n = 0;
  while (std::getline(in, line))
    if (line.rfind(prefix, 0) == 0) ++n;
  return n;
}

std::string now_iso() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

class PointRunner {
 public:
  PointRunner(const SweepSpec& spec, const Point& p, const PointContext& ctx)
      : spec_(spec), p_(p), ctx_(ctx), work_(work_path(ctx.out_dir, p.hash)), log_(log_path(ctx.out_dir, p.hash)),
        cfg_(p.cfg) {}

  json run() {
    json rec = base_record(p_, ctx_);
    json stages = json::object();
    auto t0 = std::chrono::steady_clock::now();
    // A stored record of this hash (failed, or ok when forced) goes first: if
    // this run is killed, no earlier verdict may pass for its result.
    remove_file_durably(point_path(ctx_.out_dir, p_.hash));
    std::error_code ec;
    fs::remove_all(work_, ec);
    make_dirs(work_);
    make_dirs(ctx_.out_dir + "/logs");
    { std::ofstream(log_, std::ios::trunc) << "# macforge point " << p_.index << " (" << p_.label << "), hash "
                                          << p_.hash << "\n# " << ctx_.tool_version << "\n"; }
    config_ = work_ + "/config.yaml";
    write_atomic(config_, point_config_yaml(spec_, p_));

    std::string failed_stage, error;
    // pipeline: auto is settled first: every later stage (gen, lint, sim: the
    // latency changes the cycle counts) uses the chosen depth.
    std::vector<std::string> run_stages = spec_.stages;
    if (p_.pipeline_auto) run_stages.insert(run_stages.begin(), "pipeline");
    for (const std::string& st : run_stages) {
      log_line(log_, "== stage " + st);
      auto s0 = std::chrono::steady_clock::now();
      json sj;
      try {
        if (st == "pipeline") stage_pipeline();
        else if (st == "gen") stage_gen();
        else if (st == "lint") stage_lint();
        else if (st == "cosim") stage_cosim();
        else if (st == "synth") stage_synth();
        else if (st == "sim") stage_sim();
        else if (st == "qsnr") stage_qsnr();
        sj["status"] = "ok";
      } catch (const std::exception& e) {
        failed_stage = st;
        error = st + ": " + e.what();
        sj["status"] = "failed";
        sj["error"] = e.what();
        log_line(log_, "!! " + error);
      }
      sj["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();
      stages[st] = sj;
      if (!failed_stage.empty()) break;
    }
    derive();
    rec["status"] = failed_stage.empty() ? "ok" : "failed";
    if (!failed_stage.empty()) {
      rec["failed_stage"] = failed_stage;
      rec["error"] = error;
    }
    rec["stages"] = stages;
    if (p_.pipeline_auto) rec["config"] = json::parse(cfg_.canonical_json());
    rec["metrics"] = metrics_;
    if (!raw_.empty()) rec["raw"] = raw_;
    rec["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    char host[256] = {0};
    ::gethostname(host, sizeof host - 1);
    rec["host"] = host;
    rec["finished"] = now_iso();
    log_line(log_, "== point " + rec["status"].get<std::string>() + " in " + fmt_num(rec["seconds"].get<double>(), 3) + " s");
    make_dirs(ctx_.out_dir + "/points");
    write_atomic(point_path(ctx_.out_dir, p_.hash), rec.dump(1) + "\n");
    return rec;
  }

 private:
  const SweepSpec& spec_;
  const Point& p_;
  const PointContext& ctx_;
  std::string work_, log_, config_;
  json metrics_ = json::object();
  json raw_ = json::object();
  std::string top_;
  gen::ArrayConfig cfg_;  // the point's config (pipeline: the chosen depth when auto)

  // macforge synth for `config` into `out` with the point's settings.
  std::vector<std::string> synth_argv(const std::string& config, const std::string& out, bool energy, bool pe_only) const {
    std::vector<std::string> argv = {ctx_.exe, "synth", "--config", config, "--out", out, "--json", "-j", "1"};
    if (!energy) argv.push_back("--no-energy");
    else {
      if (!spec_.synth_uniform) argv.push_back("--no-uniform");
      argv.insert(argv.end(), {"--cycles", std::to_string(spec_.synth_cycles), "--clock-ghz", fmt_num(spec_.synth_clock_ghz, 12)});
      if (p_.knobs.activity != "sim") argv.insert(argv.end(), {"--activity", p_.knobs.activity});
    }
    if (pe_only) argv.push_back("--pe-only");
    if (!p_.knobs.timing) argv.push_back("--no-timing");
    else if (p_.knobs.clock_ns > 0) argv.insert(argv.end(), {"--clock-ns", fmt_num(p_.knobs.clock_ns, 12)});
    if (p_.liberty != "builtin") argv.insert(argv.end(), {"--liberty", p_.liberty});
    return argv;
  }

  // Runs macforge synth and returns its JSON.
  json run_synth_tool(const std::vector<std::string>& argv, const std::string& slog, const std::string& out) {
    ProcResult r = run_tool(argv, work_, out, slog, log_, spec_.timeout);
    if (!r.ok()) {
      std::string ex = log_excerpt(slog);
      if (ex.find("unknown command 'synth'") != std::string::npos)
        throw StageFailure("this macforge has no synth subcommand (build it with synth/ in the tree)");
      tool_failed("macforge synth", r, slog);
    }
    return parse_json_file(out, "macforge synth");
  }

  // The timing figures of a synth report: true when it has them.
  static bool timing_of(const json& j, DepthTry& t) {
    if (!j.contains("slack_ns") || !j["slack_ns"].is_number()) return false;
    t.slack_ns = j["slack_ns"].get<double>();
    if (j.contains("fmax_mhz") && j["fmax_mhz"].is_number()) t.fmax_mhz = j["fmax_mhz"].get<double>();
    if (j.contains("critical_path_ns") && j["critical_path_ns"].is_number())
      t.critical_path_ns = j["critical_path_ns"].get<double>();
    t.met = j.contains("timing_met") && j["timing_met"].is_boolean() ? j["timing_met"].get<bool>() : t.slack_ns >= 0;
    return true;
  }

  // pipeline: auto. Each depth is a PE-only synthesis without energy (the
  // pipeline cuts are inside the PE; the array around it does not change), so
  // the search costs Yosys + OpenSTA per depth; the stages after it run once
  // at the chosen depth.
  void stage_pipeline() {
    auto try_depth = [&](int d) {
      std::string tag = "pipeline_p" + std::to_string(d), cfg = work_ + "/" + tag + ".yaml";
      write_atomic(cfg, point_config_yaml(spec_, p_, d));
      json j = run_synth_tool(synth_argv(cfg, work_ + "/" + tag, false, true), stage_log(tag), work_ + "/" + tag + ".json");
      DepthTry t;
      t.depth = d;
      if (!timing_of(j, t))
        throw StageFailure("pipeline: auto: macforge synth reported no timing (slack_ns) at pipeline " + std::to_string(d));
      log_line(log_, "pipeline " + std::to_string(d) + ": slack " + fmt_num(t.slack_ns, 4) + " ns, fmax " +
                         fmt_num(t.fmax_mhz, 5) + " MHz" + (t.met ? " (met)" : " (violated)"));
      return t;
    };
    PipelineChoice c = choose_pipeline(p_.knobs.pipeline_max, try_depth);
    cfg_.pipeline = c.chosen;
    write_atomic(config_, point_config_yaml(spec_, p_, c.chosen));
    metrics_["pipeline_chosen"] = c.chosen;
    metrics_["pipeline_met"] = c.met ? 1 : 0;
    json tried = json::array();
    for (const DepthTry& t : c.tried)
      tried.push_back({{"pipeline", t.depth}, {"slack_ns", t.slack_ns}, {"fmax_mhz", t.fmax_mhz}, {"met", t.met}});
    raw_["pipeline_search"] = {{"max", p_.knobs.pipeline_max}, {"chosen", c.chosen}, {"met", c.met}, {"tried", tried}};
    if (!c.met)
      log_line(log_, "pipeline: auto: no depth 0.." + std::to_string(p_.knobs.pipeline_max) +
                         " meets the clock; kept " + std::to_string(c.chosen) + " (largest slack)");
  }

  std::string stage_log(const std::string& name) const { return work_ + "/" + name + ".log"; }

  void tool_failed(const std::string& what, const ProcResult& r, const std::string& slog) {
    std::string ex = log_excerpt(slog);
    throw StageFailure(what + " failed (" + r.describe() + ")" + (ex.empty() ? "" : ": " + ex));
  }

  void stage_gen() {
    gen::GenerateResult g = gen::generate(cfg_, work_ + "/rtl", std::string("macforge ") + MACFORGE_VERSION);
    top_ = g.top;
    metrics_["pe_latency"] = g.pe.latency;
    metrics_["rtl_files"] = g.files.size();
    log_line(log_, "generated " + std::to_string(g.files.size()) + " Verilog files, top " + g.top + " in " + g.dir);
  }

  void stage_lint() {
    if (!program_in_path("verilator")) throw StageFailure("verilator is not installed (apt-get install verilator)");
    std::string slog = stage_log("lint");
    ProcResult r = run_tool({"verilator", "--lint-only", "-Wall", "-F", "rtl/files.f", "--top-module", top_}, work_, "",
                            slog, log_, spec_.timeout);
    int warnings = count_prefix_lines(slog, "%Warning");
    metrics_["lint_warnings"] = warnings;
    if (!r.ok()) tool_failed("verilator --lint-only -Wall", r, slog);
  }

  void stage_cosim() {
    std::string slog = stage_log("cosim"), out = work_ + "/cosim.json";
    std::string cache = ctx_.out_dir + "/cache/cosim";
    make_dirs(cache);
    ProcResult r = run_tool({ctx_.exe, "cosim", "--config", config_, "--gemm", spec_.cosim_gemm, "--seed",
                             std::to_string(spec_.cosim_seed), "--cache-dir", cache, "--jobs", "1"},
                            work_, out, slog, log_, spec_.timeout);
    if (r.status == 1 && !r.timed_out) {
      json j;
      try {
        j = json::parse(read_file(out));
      } catch (const std::exception&) {
        tool_failed("macforge cosim", r, slog);
      }
      raw_["cosim"] = j;
      metrics_["cosim_ok"] = 0;
      throw StageFailure("co-simulation is not bit-exact or its cycle counts differ (" + log_excerpt(slog) + ")");
    }
    if (!r.ok()) tool_failed("macforge cosim", r, slog);
    json j = parse_json_file(out, "macforge cosim");
    raw_["cosim"] = j;
    if (!j.value("ok", false)) throw StageFailure("macforge cosim reported ok: false");
    metrics_["cosim_ok"] = 1;
    if (j.contains("runs") && j["runs"].is_array() && !j["runs"].empty())
      metrics_["cosim_cycles"] = num_at(j["runs"][0], {"rtl", "total_cycles"}, "macforge cosim");
  }

  void stage_synth() {
    std::string slog = stage_log("synth"), out = work_ + "/synth.json";
    json j = run_synth_tool(synth_argv(config_, work_ + "/synth", spec_.synth_energy, p_.knobs.pe_only), slog, out);
    raw_["synth"] = j;
    DepthTry t;
    if (timing_of(j, t)) {
      if (j.contains("timing") && j["timing"].is_object() && j["timing"].contains("clock_ns") &&
          j["timing"]["clock_ns"].is_number())
        metrics_["clock_ns"] = j["timing"]["clock_ns"];
      else if (j.contains("clock_ns") && j["clock_ns"].is_number())
        metrics_["clock_ns"] = j["clock_ns"];
      else if (p_.knobs.clock_ns > 0)
        metrics_["clock_ns"] = p_.knobs.clock_ns;
      metrics_["critical_path_ns"] = t.critical_path_ns;
      metrics_["fmax_mhz"] = t.fmax_mhz;
      metrics_["slack_ns"] = t.slack_ns;
      metrics_["timing_met"] = t.met ? 1 : 0;
    }
    metrics_["area_um2"] = num_at(j, {"area_um2"}, "macforge synth");
    if (j.contains("cells")) {
      if (j["cells"].is_number()) metrics_["cells"] = j["cells"];
      else if (j["cells"].is_object() && j["cells"].contains("total") && j["cells"]["total"].is_number())
        metrics_["cells"] = j["cells"]["total"];
    }
    for (const char* k : {"flops", "logic_depth", "energy_pj_per_mac", "energy_uniform_pj_per_mac",
                          "area_combinational_um2", "energy_combinational_pj_per_mac"})
      if (j.contains(k) && j[k].is_number()) metrics_[k] = j[k];
    if (spec_.synth_energy && !metrics_.contains("energy_pj_per_mac") && !p_.format.multi)
      throw StageFailure("macforge synth reported no energy_pj_per_mac");
    auto parts = [&](const char* key, const std::string& pre, const std::string& post) {
      if (!j.contains(key) || !j[key].is_object()) return;
      for (auto it = j[key].begin(); it != j[key].end(); ++it)
        if (it.value().is_number()) metrics_[pre + it.key() + post] = it.value();
    };
    parts("area_by_part_um2", "area_", "_um2");
    parts("energy_by_part_pj_per_mac", "energy_", "_pj_per_mac");
    if (p_.format.multi) multi_format_energy(j);
  }

  // A multi-format PE: energy per MAC per mode (macforge synth's `modes`,
  // docs/synthesis.md section 8; its top-level per-MAC fields are mode 0's,
  // kept as energy_mode0_*), and the design's one figure,
  // energy_pj_per_mac, for a workload spending equal time in each mode: the
  // per-mode energies weighted by each mode's MACs per cycle (its lanes), so
  // 1/3 : 2/3 for an 8-bit + 4-bit pair -- the weighting the side-by-side
  // composites use (docs/sweeps.md section 11).
  void multi_format_energy(const json& j) {
    double lanes[2] = {double(p_.cfg.lanes), double(p_.lanes1)}, e[2] = {NAN, NAN};
    if (j.contains("modes") && j["modes"].is_array()) {
      for (size_t i = 0; i < j["modes"].size(); ++i) {
        const json& mj = j["modes"][i];
        if (!mj.is_object()) continue;
        size_t m = mj.contains("mode") && mj["mode"].is_number_integer() ? mj["mode"].get<size_t>() : i;
        if (m > 1) continue;
        std::string tag = "mode" + std::to_string(m);
        if (mj.contains("lanes") && mj["lanes"].is_number()) lanes[m] = mj["lanes"].get<double>();
        if (mj.contains("energy_pj_per_mac") && mj["energy_pj_per_mac"].is_number()) {
          e[m] = mj["energy_pj_per_mac"].get<double>();
          metrics_["energy_" + tag + "_pj_per_mac"] = e[m];
        }
        if (mj.contains("energy_combinational_pj_per_mac") && mj["energy_combinational_pj_per_mac"].is_number())
          metrics_["energy_combinational_" + tag + "_pj_per_mac"] = mj["energy_combinational_pj_per_mac"];
      }
    }
    metrics_["lanes_mode0"] = lanes[0];
    metrics_["lanes_mode1"] = lanes[1];
    if (!spec_.synth_energy) return;
    if (!std::isfinite(e[0]) || !std::isfinite(e[1]))
      throw StageFailure("macforge synth reported no energy per MAC for both modes of the multi-format PE "
                         "(modes[].energy_pj_per_mac)");
    metrics_["energy_pj_per_mac"] = (lanes[0] * e[0] + lanes[1] * e[1]) / (lanes[0] + lanes[1]);
  }

  void stage_sim() {
    for (const WorkloadSpec& w : spec_.workloads) {
      std::string slog = stage_log("sim_" + w.name), out = work_ + "/sim_" + w.name + ".json";
      std::vector<std::string> argv = {ctx_.exe, "sim", "--config", config_};
      if (!w.layers.empty()) argv.insert(argv.end(), {"--layers", w.layers});
      else argv.insert(argv.end(), {"--gemm", w.gemm});
      if (spec_.sim_timing_only) argv.push_back("--timing-only");
      if (spec_.sim_ideal_memory) argv.push_back("--ideal-memory");
      argv.insert(argv.end(), {"--out", out});
      ProcResult r = run_tool(argv, work_, "", slog, log_, spec_.timeout);
      if (!r.ok()) tool_failed("macforge sim (workload " + w.name + ")", r, slog);
      json j = parse_json_file(out, "macforge sim");
      std::string what = "macforge sim (workload " + w.name + ")";
      metrics_["cycles_" + w.name] = num_at(j, {"total", "total_cycles"}, what);
      metrics_["compute_cycles_" + w.name] = num_at(j, {"total", "compute_cycles"}, what);
      metrics_["utilization_" + w.name] = num_at(j, {"total", "utilization"}, what);
      metrics_["dram_bytes_" + w.name] = num_at(j, {"total", "dram_bytes"}, what);
      metrics_["macs_" + w.name] = num_at(j, {"total", "macs"}, what);
      // The memories' energy (sim/memory_energy.hpp); the array's is derived
      // from synth's energy per MAC (derive), as before.
      if (j.contains("total") && j["total"].contains("energy") && j["total"]["energy"].is_object()) {
        const json& e = j["total"]["energy"];
        for (const char* k : {"buffers", "dram", "leakage", "scale"})
          if (e.contains(std::string(k) + "_pj") && e[std::string(k) + "_pj"].is_number())
            metrics_[std::string("energy_") + (k == std::string("scale") ? "scales" : k) + "_uj_" + w.name] =
                e[std::string(k) + "_pj"].get<double>() * 1e-6;
      }
    }
  }

  void stage_qsnr() {
    for (const QsnrData& d : spec_.qsnr_data) {
      const BlockFormat& fmt = d.operand == 'b' ? p_.cfg.b : p_.cfg.a;
      QsnrSetup s;
      s.dist = parse_distribution(d.dist);
      s.dist.outlier_p = d.outlier_p;
      s.dist.outlier_mag = d.outlier_mag;
      if (d.crest > 0) {
        double block = fmt.has_block_scale() ? fmt.block : 32;
        if (d.crest > std::sqrt(block - 1.0))
          throw StageFailure("qsnr data '" + d.name + "': crest " + fmt_num(d.crest) + " is unreachable for blocks of " +
                             std::to_string(int(block)) + " values");
        s.dist.crest = d.crest;
      }
      s.n = spec_.qsnr_n;
      s.seed = spec_.qsnr_seed;
      s.rotate = d.rotate;
      s.rotate_block = d.rotate_block ? size_t(d.rotate_block) : (fmt.block == 16 ? 16 : 32);
      QsnrResult q = measure_qsnr(fmt, fmt.default_rule, s);
      metrics_["qsnr_" + d.name] = std::isfinite(q.qsnr_db) ? json(q.qsnr_db) : json(nullptr);
    }
  }

  // Figures computed from the others.
  void derive() {
    auto has = [&](const std::string& k) { return metrics_.contains(k) && metrics_[k].is_number(); };
    // --pe-only reports one PE, whatever the array.
    double pes = p_.knobs.pe_only ? 1.0 : double(p_.cfg.rows) * p_.cfg.cols;
    double peak = pes * p_.cfg.lanes;
    if (has("area_um2")) {
      double area = metrics_["area_um2"].get<double>();
      metrics_["area_per_pe_um2"] = area / pes;
      if (area > 0) metrics_["peak_macs_per_cycle_per_mm2"] = peak / (area * 1e-6);
      // A multi-format PE at equal throughput: area per MAC per cycle in each mode.
      if (p_.format.multi)
        for (int m = 0; m < 2; ++m) {
          std::string tag = "mode" + std::to_string(m);
          double lanes = has("lanes_" + tag) ? metrics_["lanes_" + tag].get<double>() : m ? p_.lanes1 : p_.cfg.lanes;
          metrics_["peak_macs_per_cycle_" + tag] = pes * lanes;
          if (lanes > 0) metrics_["area_per_mac_" + tag + "_um2"] = area / (pes * lanes);
        }
    }
    for (const WorkloadSpec& w : spec_.workloads) {
      std::string c = "cycles_" + w.name, m = "macs_" + w.name;
      if (!has(c) || !has(m)) continue;
      double cycles = metrics_[c].get<double>(), macs = metrics_[m].get<double>();
      if (has("energy_pj_per_mac")) metrics_["energy_uj_" + w.name] = macs * metrics_["energy_pj_per_mac"].get<double>() * 1e-6;
      // Per inference: the array, every buffer, DRAM and leakage.
      std::string eb = "energy_buffers_uj_" + w.name, ed = "energy_dram_uj_" + w.name, el = "energy_leakage_uj_" + w.name;
      if (has("energy_uj_" + w.name) && has(eb) && has(ed))
        metrics_["energy_total_uj_" + w.name] = metrics_["energy_uj_" + w.name].get<double>() + metrics_[eb].get<double>() +
                                               metrics_[ed].get<double>() + (has(el) ? metrics_[el].get<double>() : 0.0);
      if (has("area_um2") && cycles > 0 && metrics_["area_um2"].get<double>() > 0)
        metrics_["macs_per_cycle_per_mm2_" + w.name] = macs / cycles / (metrics_["area_um2"].get<double>() * 1e-6);
    }
  }
};

}  // namespace

PipelineChoice choose_pipeline(int max_depth, const std::function<DepthTry(int)>& try_depth) {
  PipelineChoice c;
  int best = -1;
  for (int d = 0; d <= max_depth; ++d) {
    DepthTry t = try_depth(d);
    t.depth = d;
    c.tried.push_back(t);
    if (t.met) {
      c.chosen = d;
      c.met = true;
      return c;
    }
    if (best < 0 || t.slack_ns > c.tried[size_t(best)].slack_ns) best = int(c.tried.size()) - 1;
  }
  c.chosen = best < 0 ? 0 : c.tried[size_t(best)].depth;
  return c;
}

json run_point(const SweepSpec& spec, const Point& p, const PointContext& ctx) {
  return PointRunner(spec, p, ctx).run();
}

json crashed_record(const Point& p, const PointContext& ctx, const std::string& error) {
  json r = base_record(p, ctx);
  r["status"] = "failed";
  r["failed_stage"] = "point";
  r["error"] = error;
  r["metrics"] = json::object();
  r["finished"] = now_iso();
  return r;
}

json read_record(const std::string& dir, const std::string& hash) {
  std::string path = point_path(dir, hash);
  if (!file_exists(path)) return json();
  try {
    return json::parse(read_file(path));
  } catch (const std::exception&) {
    return json();
  }
}

bool record_ok(const json& rec, const std::string& hash) {
  return rec.is_object() && rec.value("schema", "") == kPointSchema && rec.value("hash", "") == hash &&
         rec.value("status", "") == "ok";
}

}  // namespace macforge::sweep
