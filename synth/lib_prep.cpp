#include "synth/lib_prep.hpp"

#include <filesystem>
#include <map>
#include <sstream>

#include "synth/errors.hpp"
#include "synth/liberty_expr.hpp"
#include "synth/process.hpp"

namespace macforge::synth {

namespace fs = std::filesystem;

namespace {

// Truth table of a single-output combinational cell over its inputs (in pin
// order), or false if it is not one.
bool truth_table(const LibCell& c, std::vector<bool>& tt, size_t& nin) {
  if (c.sequential() || c.dont_use || !c.has_area) return false;
  auto ins = c.inputs();
  auto outs = c.outputs();
  if (outs.size() != 1 || outs[0]->function.empty() || ins.size() > 4) return false;
  BoolExprPtr f;
  try {
    f = parse_bool_expr(outs[0]->function);
  } catch (const ExprError&) {
    return false;
  }
  nin = ins.size();
  tt.assign(size_t(1) << nin, false);
  for (size_t v = 0; v < tt.size(); ++v) {
    std::map<std::string, bool> env;
    for (size_t i = 0; i < nin; ++i) env[ins[i]->name] = (v >> i) & 1;
    try {
      tt[v] = f->eval(env);
    } catch (const ExprError&) {
      return false;
    }
  }
  return true;
}

bool usable_flop(const LibCell& c) {
  if (c.dont_use || !c.has_area || c.seq.size() != 1 || c.seq[0].latch) return false;
  const LibSeq& s = c.seq[0];
  std::string ck, d;
  bool inv = false, dinv = false;
  try {
    if (!single_var(*parse_bool_expr(s.clocked_on), ck, inv) || inv) return false;
    if (!single_var(*parse_bool_expr(s.next_state), d, dinv)) return false;
  } catch (const ExprError&) {
    return false;
  }
  const LibPin* pc = c.pin(ck);
  const LibPin* pd = c.pin(d);
  if (!pc || !pd || pc->dir != PinDir::Input || pd->dir != PinDir::Input) return false;
  for (const LibPin* o : c.outputs())
    if (o->function == s.iq || o->function == s.iqn) return true;
  return false;
}

void check_requirements(const Library& lib) {
  bool inv = false, nand_nor = false, flop = false;
  for (const LibCell& c : lib.cells) {
    std::vector<bool> tt;
    size_t n = 0;
    if (truth_table(c, tt, n)) {
      if (n == 1 && tt[0] && !tt[1]) inv = true;
      if (n == 2 && ((tt[0] && tt[1] && tt[2] && !tt[3]) || (tt[0] && !tt[1] && !tt[2] && !tt[3]))) nand_nor = true;
    }
    if (usable_flop(c)) flop = true;
  }
  std::string missing;
  if (!inv) missing += "an inverter";
  if (!nand_nor) missing += std::string(missing.empty() ? "" : ", ") + "a 2-input NAND or NOR";
  if (!flop)
    missing += std::string(missing.empty() ? "" : ", ") +
               "a rising-edge D flip-flop (ff group with clocked_on and next_state on single pins)";
  if (!missing.empty())
    throw InputError(lib.path + ": the library lacks cells the synthesis flow needs: " + missing +
                     " (cells with area, a function, not dont_use)");
}

}  // namespace

std::vector<std::string> dont_use_candidates(const Library& lib) {
  std::vector<std::string> v;
  for (const LibCell& c : lib.cells)
    if (!c.dont_use && (c.name.find("lpflow_") != std::string::npos || c.power_mgmt)) v.push_back(c.name);
  return v;
}

PreparedLibrary prepare_library(const std::string& liberty, const std::string& dir) {
  PreparedLibrary p;
  if (liberty.empty()) {
    p.builtin = true;
    p.source = synth_lib_dir() + "/macforge45.lib";
    p.lib = read_liberty(p.source);
    p.yosys_liberty = p.source;
    p.template_path = synth_lib_dir() + "/synth_template.ys";
    p.fa_map = synth_lib_dir() + "/fa_map.v";
    p.models = synth_lib_dir() + "/macforge45_cells.v";
    check_requirements(p.lib);
    return p;
  }
  p.source = liberty;
  p.lib = read_liberty(liberty);
  check_requirements(p.lib);
  p.template_path = synth_lib_dir() + "/synth_template_nofa.ys";
  // the patched copy
  p.dont_use_added = dont_use_candidates(p.lib);
  std::map<int, std::string> insert_after;  // line -> cell
  for (const std::string& n : p.dont_use_added) insert_after[p.lib.cell(n)->line] = n;
  std::string text = read_text(liberty);
  std::ostringstream out;
  std::istringstream in(text);
  std::string line;
  int ln = 0;
  while (std::getline(in, line)) {
    ++ln;
    out << line << '\n';
    auto it = insert_after.find(ln);
    if (it != insert_after.end()) {
      if (line.find('{') == std::string::npos)
        throw InputError(liberty + ":" + std::to_string(ln) + ": cell " + it->second +
                         ": expected '{' on the line of 'cell (...)' to add dont_use");
      out << "    dont_use : true; /* added by macforge synth: power-management cell */\n";
    }
  }
  for (const std::string& n : p.dont_use_added)
    for (LibCell& c : p.lib.cells)
      if (c.name == n) c.dont_use = true;
  fs::create_directories(dir);
  p.yosys_liberty = (fs::path(dir) / fs::path(liberty).filename()).string();
  if (fs::exists(p.yosys_liberty) && fs::equivalent(p.yosys_liberty, liberty))
    throw InputError(liberty + ": the Liberty file is inside the output directory; name another --out");
  write_text_atomic(p.yosys_liberty, out.str());
  return p;
}

}  // namespace macforge::synth
