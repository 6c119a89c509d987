#include "synth/partition.hpp"

#include <sstream>

#include "synth/errors.hpp"

namespace macforge::synth {

const std::vector<std::string> kParts = {"multipliers", "align_norm",  "adder_tree", "scale",
                                         "accumulator", "mode_select", "registers",  "other"};

std::string part_title(const std::string& part) {
  if (part == "multipliers") return "lane multipliers";
  if (part == "align_norm") return "alignment and normalization";
  if (part == "adder_tree") return "adder tree";
  if (part == "scale") return "scale logic";
  if (part == "accumulator") return "accumulators (group and float32)";
  if (part == "mode_select") return "mode select";
  if (part == "registers") return "registers";
  if (part == "inputs") return "input wires";
  if (part == "pe_array") return "PE instances";
  return "other logic";
}

std::string part_of_instance(const std::string& first_instance) {
  // Yosys `submod` names the instance like its module: <top>_mfp_<part>
  std::string pre = kPartPrefix;
  size_t at = first_instance.rfind(pre);
  if (at != std::string::npos && (at == 0 || first_instance[at - 1] == '_')) {
    std::string p = first_instance.substr(at + pre.size());
    for (const std::string& k : kParts)
      if (k == p) return p;
  }
  return "other";
}

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

bool starts(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

}  // namespace

std::vector<SourceSection> pe_sections(const std::string& text, const std::string& file_name) {
  // section comments of the PE top (one part emitter of gen/pe/ each) -> part
  static const std::vector<std::pair<const char*, const char*>> markers = {
      {"// Lane multipliers", "multipliers"},
      {"// Alignment of the lane products", "align_norm"},
      {"// Adder tree", "adder_tree"},
      {"// Group accumulator", "accumulator"},
      {"// Group value = group sum x block scales", "scale"},
      {"// Normalization", "align_norm"},
      {"// Float32 accumulate", "accumulator"},
  };
  std::vector<SourceSection> out;
  std::istringstream in(text);
  std::string line, cur = "other";
  int ln = 0, start = 1, known = 0;
  while (std::getline(in, line)) {
    ++ln;
    std::string t = trim(line);
    for (const auto& [m, part] : markers)
      if (starts(t, m)) {
        if (ln > start) out.push_back({start, ln - 1, cur});
        start = ln;
        cur = part;
        ++known;
        break;
      }
  }
  if (ln >= start) out.push_back({start, ln, cur});
  if (known < 3)
    throw InputError(file_name + ": the PE source has no recognizable sections (found " + std::to_string(known) +
                     " of the section comments synth/partition.cpp expects); the parts cannot be assigned");
  return out;
}

std::vector<SourceSection> mode_pe_sections(const std::string& text, const std::string& file_name) {
  static const std::vector<std::pair<const char*, const char*>> markers = {
      {"// Lane multipliers", "multipliers"},
      {"// Alignment of the lane products", "align_norm"},
      {"// Adder tree", "adder_tree"},
      {"// Group accumulator", "accumulator"},
      {"// Group value = group sum x block scales", "scale"},
      {"// Mode select", "mode_select"},
      {"// Normalization", "align_norm"},
      {"// Float32 accumulate", "accumulator"},
  };
  std::vector<std::string> lines;
  {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) lines.push_back(trim(line));
  }
  // the file's own modules (the stage modules the top instantiates)
  std::vector<std::string> mods;
  for (const std::string& t : lines)
    if (starts(t, "module ")) {
      std::string n = t.substr(7);
      size_t e = n.find_first_of(" (;");
      mods.push_back(n.substr(0, e));
    }
  std::vector<SourceSection> out;
  std::string cur = "other";
  int start = 1, known = 0, n = int(lines.size());
  auto open = [&](int ln, const std::string& part) {  // a new section from line ln
    if (ln > start) out.push_back({start, ln - 1, cur});
    start = ln;
    cur = part;
  };
  // An INT x INT front half fuses its lanes and adder tree into one carry-save
  // sum (section 2 of docs/synthesis.md): its adder-tree lines belong to the
  // multipliers, or the two parts would each drive bits of one row (Yosys
  // submod then makes inout ports).
  size_t module_first = 0;  // index in out of the current module's first section
  bool fused = false;
  auto end_module = [&]() {
    if (fused)
      for (size_t i = module_first; i < out.size(); ++i)
        if (out[i].part == "adder_tree") out[i].part = "multipliers";
  };
  for (int ln = 1; ln <= n; ++ln) {
    const std::string& t = lines[size_t(ln - 1)];
    if (starts(t, "module ")) {
      open(ln, "other");
      end_module();
      module_first = out.size();
      fused = false;
      continue;
    }
    if (starts(t, "// Lane multipliers and adder tree, fused")) fused = true;
    bool inst = false;
    for (const std::string& m : mods)
      if (starts(t, (m + " ").c_str())) inst = true;
    if (inst) {
      // transparent from the instance line to its closing ");"
      std::string resume = cur;
      open(ln, "");
      int e = ln;
      while (e < n && !(lines[size_t(e - 1)].size() >= 2 &&
                        lines[size_t(e - 1)].compare(lines[size_t(e - 1)].size() - 2, 2, ");") == 0))
        ++e;
      ln = e;
      open(e + 1, resume);
      continue;
    }
    for (const auto& [m, part] : markers)
      if (starts(t, m)) {
        open(ln, part);
        ++known;
        break;
      }
  }
  if (n >= start) out.push_back({start, n, cur});
  end_module();
  if (known < 3)
    throw InputError(file_name + ": the PE source has no recognizable sections (found " + std::to_string(known) +
                     " of the section comments synth/partition.cpp expects); the parts cannot be assigned");
  return out;
}

std::vector<std::string> number_globs(int lo, int hi) {
  std::vector<std::string> out;
  if (lo > hi) return out;
  std::string a = std::to_string(lo), b = std::to_string(hi);
  if (a.size() != b.size()) {
    // split at the power of ten
    int p = 1;
    for (size_t i = 0; i < a.size(); ++i) p *= 10;
    auto x = number_globs(lo, p - 1), y = number_globs(p, hi);
    out.insert(out.end(), x.begin(), x.end());
    out.insert(out.end(), y.begin(), y.end());
    return out;
  }
  auto cls = [](char from, char to) {
    if (from == to) return std::string(1, from);
    std::string s = "[";
    for (char c = from; c <= to; ++c) s += c;
    return s + "]";
  };
  size_t n = a.size();
  // common prefix
  size_t k = 0;
  while (k < n && a[k] == b[k]) ++k;
  if (k == n) return {a};
  std::string pre = a.substr(0, k);
  std::string any = "[0123456789]";
  bool lo_full = a.find_first_not_of('0', k + 1) == std::string::npos;  // a = pre d 00..0
  bool hi_full = b.find_first_not_of('9', k + 1) == std::string::npos;  // b = pre e 99..9
  std::string tail;
  for (size_t i = k + 1; i < n; ++i) tail += any;
  if (lo_full && hi_full) return {pre + cls(a[k], b[k]) + tail};
  // lower partial block: pre a[k] a[k+1..] .. pre a[k] 99..9
  int lo_end = std::stoi(pre + a[k] + std::string(n - k - 1, '9'));
  int hi_begin = std::stoi(pre + b[k] + std::string(n - k - 1, '0'));
  char mid_from = a[k], mid_to = b[k];
  if (!lo_full) {
    auto x = number_globs(lo, lo_end);
    out.insert(out.end(), x.begin(), x.end());
    ++mid_from;
  }
  if (!hi_full) --mid_to;
  if (mid_from <= mid_to) out.push_back(pre + cls(mid_from, mid_to) + tail);
  if (!hi_full) {
    auto y = number_globs(hi_begin, hi);
    out.insert(out.end(), y.begin(), y.end());
  }
  return out;
}

std::vector<std::string> coarse_commands(const std::string& top) {
  return {"hierarchy -check -top " + top,
          "proc",
          "flatten",
          "hierarchy -top " + top,
          "opt_expr",
          "opt_clean",
          "check",
          "opt -nodffe -nosdff",
          "fsm",
          "opt",
          "wreduce",
          "peepopt",
          "opt_clean"};
}

namespace {

// A submod command for a part; selection args are unioned, then restricted to cells.
std::string setattr_cmd(const std::string& top, const std::string& part, const std::vector<std::string>& sels) {
  std::string s = "select -set mf_" + part;
  for (const std::string& x : sels) s += " " + top + "/" + x;
  return s;
}

}  // namespace

std::vector<std::string> partition_commands(const std::string& top, const std::string& src_file,
                                            const std::vector<SourceSection>& sections, bool any_entry) {
  const std::string lead = any_entry ? "*" : "";
  std::vector<std::string> cmds;
  for (const std::string& part : kParts) {
    if (part == "registers" || part == "other") continue;
    std::vector<std::string> sels;
    for (const SourceSection& s : sections)
      if (s.part == part)
        for (const std::string& g : number_globs(s.first, s.last)) sels.push_back("a:src=" + lead + src_file + ":" + g + ".*");
    if (sels.empty()) continue;
    cmds.push_back(setattr_cmd(top, part, sels));
    cmds.push_back("setattr -set submod \"" + std::string(kPartPrefix) + part + "\" @mf_" + part + " " + top + "/c:* %i");
  }
  cmds.push_back("setattr -set submod \"" + std::string(kPartPrefix) + "registers\" " + top + "/t:$*dff* " + top +
                 "/t:$*dlatch*");
  cmds.push_back("submod");
  cmds.push_back("setattr -mod -set keep_hierarchy 1 " + top + "_" + kPartPrefix + "*");
  return cmds;
}

std::vector<std::string> keep_parts_commands(const std::string& top, const std::string& parts) {
  return {"hierarchy -check -top " + top, "setattr -mod -set keep_hierarchy 1 " + parts + "*"};
}

std::vector<std::string> glue_partition_commands(const std::string& top, const std::string& parts) {
  std::string regs = top + "/t:$*dff* " + top + "/t:$*dlatch* " + parts + "*/t:$*dff* " + parts + "*/t:$*dlatch*";
  return {"select -set mf_scale " + top + "/a:src=*mf_fp32_mul.v:*",
          "setattr -set submod \"" + std::string(kPartPrefix) + "scale\" @mf_scale " + top + "/c:* %i",
          "setattr -set submod \"" + std::string(kPartPrefix) + "registers\" " + regs,
          "submod",
          "setattr -mod -set keep_hierarchy 1 " + top + "_" + kPartPrefix + "* " + parts + "*_" + kPartPrefix + "*"};
}

}  // namespace macforge::synth
