// Multi-format PEs through the synthesis flow (docs/synthesis.md section 8,
// docs/energy.md section 8): the partition of the stage modules, one
// gate-level simulation per mode checked against the reference, energy per
// MAC per mode, and the CLI's per-mode report. The PEs are 1-lane mode-0 PEs
// (2 lanes in the 4-bit mode), 20 to 50 s each on 2 cores.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "gen/pe_emit.hpp"
#include "gen/pe_spec.hpp"
#include "numerics/block_format.hpp"
#include "synth/energy.hpp"
#include "synth/errors.hpp"
#include "synth/gate_sim.hpp"
#include "synth/lib_prep.hpp"
#include "synth/netlist.hpp"
#include "synth/netlist_stats.hpp"
#include "synth/partition.hpp"
#include "synth/process.hpp"
#include "synth/stimulus.hpp"
#include "synth/yosys_flow.hpp"
#include "synth_test_util.hpp"

using namespace macforge;
using namespace macforge::synth;
using namespace macforge::synth::test;
namespace fs = std::filesystem;

namespace {

gen::PeSpec mode_spec(const std::string& name, const char* a0, const char* a1, gen::Reuse reuse, int lanes) {
  gen::PeSpec s;
  s.module_name = name;
  s.a = s.b = parse_block_format(a0);
  s.a1 = s.b1 = parse_block_format(a1);
  s.modes = 2;
  s.reuse = reuse;
  s.lanes = lanes;
  s.accum.lanes = lanes;
  return s;
}

}  // namespace

// Hand-made file in the emitter's layout: sections restart at every module,
// the stage-module instance in the top is transparent (part ""), the top's
// "Mode select" section is its own part.
TEST(SynthModes, SectionsOfStageModules) {
  const std::string text =
      "// header\n"                     // 1
      "module p_h0 (\n"                 // 2
      "  input wire clk);\n"            // 3
      "  // Lane multipliers\n"         // 4
      "  p_h0_mul u_mul0 (.a(a));\n"    // 5: another file's module: a multiplier line
      "  // Adder tree\n"               // 6
      "  assign s = x + y;\n"           // 7
      "endmodule\n"                     // 8
      "module p (\n"                    // 9
      "  input wire clk);\n"            // 10
      "  // Lane multipliers (pe.reuse none).\n"  // 11
      "  wire x = a & m;\n"             // 12
      "  p_h0 u_h0 (.clk(clk), .rst(rst),\n"      // 13
      "      .i_a(x));\n"               // 14
      "  wire y = 1;\n"                 // 15
      "  // Mode select: of the two\n"  // 16
      "  wire z = m ? a : b;\n"         // 17
      "  // Normalization\n"            // 18
      "  // Float32 accumulate\n"       // 19
      "endmodule\n"                     // 20
      "module p_h1 (\n"                 // 21
      "  // Lane multipliers and adder tree, fused: int\n"  // 22
      "  // Adder tree over the lanes: the carry-propagate add\n"  // 23
      "  assign s = r0 + r1;\n"         // 24
      "endmodule\n";                    // 25
  std::vector<SourceSection> s = mode_pe_sections(text, "p.v");
  auto part_at = [&](int line) {
    for (const SourceSection& x : s)
      if (x.first <= line && line <= x.last) return x.part;
    return std::string("?");
  };
  EXPECT_EQ(part_at(1), "other");
  EXPECT_EQ(part_at(3), "other");  // a module restarts at other
  EXPECT_EQ(part_at(5), "multipliers");
  EXPECT_EQ(part_at(7), "adder_tree");
  EXPECT_EQ(part_at(10), "other");  // not the adder tree of p_h0
  EXPECT_EQ(part_at(12), "multipliers");
  EXPECT_EQ(part_at(13), "");  // the stage module's instance: transparent
  EXPECT_EQ(part_at(14), "");
  EXPECT_EQ(part_at(15), "multipliers");  // the section resumes after the instance
  EXPECT_EQ(part_at(17), "mode_select");
  EXPECT_EQ(part_at(18), "align_norm");
  EXPECT_EQ(part_at(19), "accumulator");
  EXPECT_EQ(part_at(7), "adder_tree");     // p_h0 is not fused
  EXPECT_EQ(part_at(24), "multipliers");   // p_h1 is: its carry-propagate add goes with the lanes
  // contiguous, in order, covering every line
  int next = 1;
  for (const SourceSection& x : s) {
    EXPECT_EQ(x.first, next);
    EXPECT_GE(x.last, x.first);
    next = x.last + 1;
  }
  EXPECT_EQ(next, 26);
  EXPECT_THROW(mode_pe_sections("module p ();\nendmodule\n", "p.v"), InputError);
}

// A 1-lane MXINT8 / 2-lane NVINT4 PE with reuse none, partitioned like
// macforge synth does it: every cell in a known part (none left in other),
// the parts sum to the total, the mode select has cells; the gate-level
// netlist gives the reference result of every dot product in both modes, and
// the per-mode energies are positive, per MAC = per cycle / lanes_m.
TEST(SynthModes, PePartsAndBothModesBitExact) {
  TempDir t("modes");
  gen::PeSpec spec = mode_spec("tmode", "mxint8", "nvint4", gen::Reuse::None, 1);
  gen::PeInfo info = gen::pe_info(spec);
  ASSERT_EQ(info.mode.size(), 2u);
  ASSERT_EQ(info.mode[1].lanes, 2);
  fs::create_directories(t / "rtl");
  std::vector<std::string> files;
  for (const std::string& p : gen::pe_primitive_files(spec)) {
    fs::copy_file(p, t / ("rtl/" + fs::path(p).filename().string()), fs::copy_options::overwrite_existing);
    files.push_back("rtl/" + fs::path(p).filename().string());
  }
  for (const gen::PeFile& f : gen::pe_files(spec)) {
    write_text_atomic(t / ("rtl/" + f.name), f.text);
    files.push_back("rtl/" + f.name);
  }
  PreparedLibrary L = prepare_library("", t.str());
  YosysJob j;
  j.dir = t.str();
  j.verilog_files = files;
  j.top = spec.module_name;
  j.liberty = L.yosys_liberty;
  j.template_path = L.template_path;
  j.fa_map = L.fa_map;
  j.pre_synth = coarse_commands(j.top);
  std::string top_file = "rtl/" + spec.module_name + ".v";
  std::vector<SourceSection> sections = mode_pe_sections(read_text(t / top_file), top_file);
  for (SourceSection& x : sections)  // INT x INT in both modes: fused, as macforge synth does it
    if (x.part == "adder_tree") x.part = "multipliers";
  for (const std::string& c : partition_commands(j.top, top_file, sections, true)) j.pre_synth.push_back(c);
  YosysResult yr = run_yosys(j);
  FlatNetlist n = flatten(read_netlist(yr.netlist_path), j.top, L.lib, part_of_instance);
  NetlistStats st = netlist_stats(n);
  EXPECT_NEAR(st.area_um2, yr.top_area, 1e-3);
  double sum = 0;
  for (const auto& [k, v] : st.area_by_part) sum += v;
  EXPECT_NEAR(sum, st.area_um2, 1e-6 * st.area_um2);
  EXPECT_EQ(st.area_by_part.count("other"), 0u);  // every cell belongs to a known part
  for (const char* p : {"multipliers", "scale", "accumulator", "registers", "align_norm", "mode_select"})
    EXPECT_GT(st.area_by_part.count(p) ? st.area_by_part.at(p) : 0.0, 0.0) << p;

  GateSim g;
  double pj_cycle[2] = {0, 0};
  for (int m = 0; m < 2; ++m) {
    Stimulus real = make_pe_stimulus(spec, StimKind::Realistic, 256, 3, m);
    ASSERT_EQ(real.ports[2].name, "in_mode");
    if (m == 0) g = build_gate_sim(n, real.ports, read_text(L.models), t.str(), 1);
    // run_gate_sim throws when a result differs from numerics::dot
    Activity a = run_gate_sim(g, n, real, "mode" + std::to_string(m) + "_realistic");
    EXPECT_EQ(a.results, int(real.expected.size()));
    EXPECT_GE(a.results, 2);
    EXPECT_EQ(a.macs, int64_t(a.cycles) * info.mode[size_t(m)].lanes);  // one chunk of lanes_m per cycle
    EnergyResult e = compute_energy(n, L.lib, a.toggles, a.cycles, a.macs, EnergyParams{});
    EXPECT_GT(e.pj_per_mac(), 0.0);
    EXPECT_NEAR(e.pj_per_mac(), e.pj_per_cycle() / info.mode[size_t(m)].lanes, 1e-9 * e.pj_per_mac());
    pj_cycle[m] = e.pj_per_cycle();
    // in_mode is held for the whole run: its net never toggles in the window
    for (const FlatPort& p : n.ports) {
      if (p.name != "in_mode") continue;
      for (int net : p.nets) {
        if (net >= 0) {
          EXPECT_EQ(a.toggles[size_t(net)], 0.0);
        }
      }
    }
  }
  EXPECT_GT(pj_cycle[0], 0.0);
  EXPECT_GT(pj_cycle[1], 0.0);
}

// The CLI on a 1-lane MXFP8 / 2-lane NVFP4 PE with fp-shared reuse: the JSON's
// per-mode section (docs/synthesis.md section 8), both modes simulated and
// checked, energy per MAC = the PE's energy per cycle / lanes of the mode,
// the parts summing to the shared PE's area, and the top-level per-MAC
// figures equal to mode 0's.
TEST(SynthModes, CliReportPerMode) {
  TempDir t("modescli");
  std::string cfg = config_file(t,
                                "name: tmf\npe:\n  modes: [mxfp8_e4m3, nvfp4]\n  reuse: fp-shared\n  lanes: 1\n"
                                "  pipeline: 0\narray:\n  rows: 1\n  cols: 1\n");
  CliResult r = run_cli("synth --config " + cfg + " --out " + (t / "o") + " --json --pe-only --cycles 128");
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["reuse"], "fp-shared");
  ASSERT_EQ(j["modes"].size(), 2u);
  const double area = j["area_um2"].get<double>();
  double sum = 0;
  for (auto& [k, v] : j["area_by_part_um2"].items()) sum += v.get<double>();
  EXPECT_NEAR(sum, area, 1e-6 * area);
  EXPECT_GT(j["area_by_part_um2"].value("mode_select", 0.0), 0.0);
  EXPECT_EQ(j["area_by_part_um2"].count("other"), 0u);
  const char* fa[2] = {"mxfp8_e4m3", "nvfp4"};
  for (int m = 0; m < 2; ++m) {
    const nlohmann::json& e = j["modes"][size_t(m)];
    EXPECT_EQ(e["mode"], m);
    EXPECT_EQ(e["a"], fa[m]);
    EXPECT_EQ(e["b"], fa[m]);
    const int lanes = e["lanes"].get<int>();
    EXPECT_EQ(lanes, m == 0 ? 1 : 2);
    EXPECT_EQ(e["macs_per_cycle"], lanes);
    EXPECT_NEAR(e["area_um2_per_mac_per_cycle"].get<double>(), area / lanes, 1e-9 * area);
    const double pj = e["energy_pj_per_mac"].get<double>();
    EXPECT_GT(pj, 0.0);
    EXPECT_GT(e["energy_uniform_pj_per_mac"].get<double>(), 0.0);
    EXPECT_NEAR(pj, e["pe_energy_pj_per_cycle"].get<double>() / lanes, 1e-9 * pj);
    EXPECT_GE(e["results_checked"].get<int>(), 2);  // realistic + uniform, each checked
    EXPECT_NE(e["stimulus"].get<std::string>().find("in_mode = " + std::to_string(m)), std::string::npos);
  }
  EXPECT_EQ(j["energy_pj_per_mac"], j["modes"][0]["energy_pj_per_mac"]);
  EXPECT_EQ(j["lanes"], 1);
  EXPECT_TRUE(fs::exists(t / "o/sim/mode1_realistic.out"));
}

// --compare with a shared-datapath entry A+B@REUSE: one multi-format PE, its
// lanes per mode, area = that PE's, energy per MAC = (E_cycle(mode 0) +
// E_cycle(mode 1)) / (lanes_0 + lanes_1) from its own report; bad schemes are
// usage errors.
TEST(SynthModes, CompareSharedEntry) {
  CliResult bad = run_cli("synth --compare mxint8+nvint4@int-scheme9 --lanes 2");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("int-scheme2"), std::string::npos) << bad.err;  // the valid choices
  CliResult one = run_cli("synth --compare mxint8@none --lanes 2");
  EXPECT_EQ(one.code, 2);

  TempDir t("modescmp");
  CliResult r = run_cli("synth --compare mxint8+nvint4@int-scheme2 --lanes 2 --no-timing --no-uniform --cycles 128 "
                        "--out " + (t / "o") + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["rows"].size(), 1u);
  const nlohmann::json& row = j["rows"][0];
  EXPECT_EQ(row["lanes"], "1:2");
  EXPECT_EQ(row["mixed"], true);
  nlohmann::json pe;
  for (const auto& d : fs::directory_iterator(t / "o"))
    if (fs::exists(d.path() / "report.json")) pe = nlohmann::json::parse(read_text((d.path() / "report.json").string()));
  ASSERT_TRUE(pe.contains("modes"));
  EXPECT_EQ(pe["reuse"], "int-scheme2");
  EXPECT_NEAR(row["area_um2"].get<double>(), pe["area_um2"].get<double>(), 1e-9);
  double e = (pe["modes"][0]["pe_energy_pj_per_cycle"].get<double>() +
              pe["modes"][1]["pe_energy_pj_per_cycle"].get<double>()) /
             3.0;
  EXPECT_NEAR(row["energy_pj_per_mac"].get<double>(), e, 1e-9 * e);
}

// --activity uniform:A on a multi-format PE: no simulation, the same energy
// per cycle in both modes, so mode 1 (2 x the lanes of mode 0) costs exactly
// half of mode 0's energy per MAC.
TEST(SynthModes, UniformActivityHalvesPerMacInTheFourBitMode) {
  TempDir t("modesact");
  std::string cfg = config_file(t,
                                "name: tma\npe:\n  modes: [mxint8, nvint4]\n  reuse: int-scheme1\n  lanes: 1\n"
                                "  pipeline: 0\narray:\n  rows: 1\n  cols: 1\n");
  CliResult r = run_cli("synth --config " + cfg + " --out " + (t / "o") +
                        " --json --pe-only --no-timing --activity uniform:0.1");
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["reuse"], "int-scheme1");
  ASSERT_EQ(j["modes"].size(), 2u);
  const double c0 = j["modes"][0]["pe_energy_pj_per_cycle"].get<double>();
  const double c1 = j["modes"][1]["pe_energy_pj_per_cycle"].get<double>();
  EXPECT_GT(c0, 0.0);
  EXPECT_NEAR(c1, c0, 1e-12 * c0);
  const double e0 = j["modes"][0]["energy_pj_per_mac"].get<double>();
  const double e1 = j["modes"][1]["energy_pj_per_mac"].get<double>();
  EXPECT_NEAR(e0, c0, 1e-12 * c0);        // 1 lane in mode 0
  EXPECT_NEAR(e1, e0 / 2, 1e-12 * e0);    // 2 lanes in mode 1
  EXPECT_EQ(j["modes"][1]["results_checked"], 0);  // nothing simulated
}
