#include "gen/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <numeric>
#include <regex>
#include <set>
#include <sstream>
#include <vector>

#include "gen/pe/fused_step.hpp"
#include "gen/pe_emit.hpp"
#include "numerics/quantize.hpp"

namespace macforge::gen {

std::string dataflow_name(Dataflow d) {
  return d == Dataflow::OutputStationary ? "output-stationary" : "weight-stationary";
}

namespace {

const char* kDataflows = "output-stationary, weight-stationary";

// Where each field was written (1-based line/column), for messages.
struct Loc {
  int line = 0, col = 0;
};
using Marks = std::map<std::string, Loc>;

[[noreturn]] void fail(const std::string& source, const Marks& marks, const std::string& field,
                       const std::string& msg) {
  // The field's own location, else its enclosing section's (a missing key).
  std::vector<std::string> candidates;
  for (std::string f = field; !f.empty(); f = f.find('.') == std::string::npos ? "" : f.substr(0, f.find_last_of('.')))
    candidates.push_back(f);
  candidates.push_back("");  // the document itself
  std::string where = source;
  for (const std::string& f : candidates) {
    auto it = marks.find(f);
    if (it != marks.end() && it->second.line > 0) {
      where += ":" + std::to_string(it->second.line) + ":" + std::to_string(it->second.col);
      break;
    }
  }
  throw ConfigError(where + ": " + (field.empty() ? "" : field + ": ") + msg);
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

std::string range(int lo, int hi) { return std::to_string(lo) + ".." + std::to_string(hi); }

// Bits of one product significand, as the aligned:W reference counts them.
int product_bits(const ElemFormat& f) { return f.is_int() ? f.bits : f.mbits + 1; }

BlockFormat checked_format(const std::string& source, const Marks& m, const std::string& field,
                           const std::string& spelling) {
  BlockFormat f;
  try {
    f = parse_block_format(spelling);
  } catch (const FormatError& e) {
    fail(source, m, field, e.what());
  }
  if (f.elem.bits > 16)
    fail(source, m, field,
         "element '" + f.elem.name + "' has " + std::to_string(f.elem.bits) +
             " bits; the PE multiplies elements of at most 16 bits (allowed: any format whose element is <= 16 bits, "
             "e.g. " + join(block_preset_names()) + ", fp8_e4m3, int8, bf16, fp16)");
  return f;
}

void resolve_modes(ArrayConfig& c, const std::string& source, const Marks& m);

// All checks and defaults. Format names are parsed here so that configs built
// in code and configs read from YAML are validated the same way.
void resolve(ArrayConfig& c, const std::string& source, const Marks& m) {
  static const std::regex ident("[A-Za-z][A-Za-z0-9_]*");
  if (c.name.empty() || !std::regex_match(c.name, ident) || c.name.size() > kMaxNameLen)
    fail(source, m, "name",
         "'" + c.name + "' is not a valid module prefix (allowed: a letter then letters, digits or _, at most " +
             std::to_string(kMaxNameLen) + " characters)");
  if (c.modes == 2) return resolve_modes(c, source, m);
  if (c.modes != 1)
    fail(source, m, "pe.modes", std::to_string(c.modes) + " modes (allowed: 1, or 2 with pe.modes: [MODE0, MODE1])");
  if (c.reuse != Reuse::None)
    fail(source, m, "pe.reuse",
         std::string(reuse_name(c.reuse)) + " needs a multi-format PE (allowed: pe.reuse together with pe.modes: "
         "[MODE0, MODE1], or no pe.reuse)");

  auto format = [&](const std::string& field, const std::string& spelling) {
    return checked_format(source, m, field, spelling);
  };
  if (c.a_name.empty())
    fail(source, m, "pe.a", "missing (allowed: " + join(block_preset_names()) + ", ...; or pe.modes: [MODE0, MODE1])");
  if (c.b_name.empty()) c.b_name = c.a_name;
  c.a = format("pe.a", c.a_name);
  c.b = format("pe.b", c.b_name);

  // The accumulation group: common block length, one operand's block, else lanes.
  bool blocked = c.a.has_block_scale() || c.b.has_block_scale();
  QMatrix qa, qb;
  qa.fmt = c.a;
  qb.fmt = c.b;
  int block_group = 0;
  if (blocked) {
    try {
      block_group = int(accum_group(qa, qb, AccumSpec{}));
    } catch (const FormatError& e) {
      fail(source, m, "pe.b", e.what());
    }
  }
  if (c.lanes == 0) c.lanes = blocked ? std::gcd(block_group, 8) : 8;
  if (c.lanes < 1 || c.lanes > kMaxLanes)
    fail(source, m, "pe.lanes", std::to_string(c.lanes) + " is out of range (allowed: " + range(1, kMaxLanes) + ")");
  if (blocked && block_group % c.lanes != 0) {
    std::vector<std::string> ok;
    for (int l = 1; l <= std::min(block_group, kMaxLanes); ++l)
      if (block_group % l == 0) ok.push_back(std::to_string(l));
    fail(source, m, "pe.lanes",
         std::to_string(c.lanes) + " lanes cannot tile the accumulation group of " + std::to_string(block_group) +
             " elements (" + c.a.name + " x " + c.b.name + ") (allowed: " + join(ok) + ")");
  }
  c.group = blocked ? block_group : c.lanes;
  c.accum.lanes = c.lanes;

  if (c.accum.mode == AccumMode::Fused) {
    // gen/pe/fused_step.hpp: the supported subset of the fused mode.
    std::string why = pe::fused_unsupported(
        c.a, c.b, c.lanes, c.accum,
        c.dataflow == Dataflow::WeightStationary ? AccSource::External : AccSource::Internal);
    if (!why.empty()) fail(source, m, "pe.accumulation", why);
  }
  if (c.accum.mode == AccumMode::Aligned) {
    int pbits = product_bits(c.a.elem) + product_bits(c.b.elem);
    if (c.accum.width < pbits || c.accum.width > 96)
      fail(source, m, "pe.accumulation",
           "aligned:" + std::to_string(c.accum.width) + " cannot hold one " + c.a.elem.name + " x " + c.b.elem.name +
               " product of " + std::to_string(pbits) + " bits (allowed: exact-block, aligned:W with W = " +
               range(pbits, 96) + ")");
  }
  if (c.pipeline < 0 || c.pipeline > kMaxPipeline)
    fail(source, m, "pe.pipeline",
         std::to_string(c.pipeline) + " is out of range (allowed: " + range(0, kMaxPipeline) + ")");
  if (c.rows < 1 || c.rows > kMaxDim)
    fail(source, m, "array.rows", std::to_string(c.rows) + " is out of range (allowed: " + range(1, kMaxDim) + ")");
  if (c.cols < 1 || c.cols > kMaxDim)
    fail(source, m, "array.cols", std::to_string(c.cols) + " is out of range (allowed: " + range(1, kMaxDim) + ")");
  if (c.dataflow == Dataflow::WeightStationary && c.chunks_per_group() > kMaxWsChunks) {
    int min_lanes = (c.group + kMaxWsChunks - 1) / kMaxWsChunks;
    while (c.group % min_lanes) ++min_lanes;
    fail(source, m, "array.dataflow",
         "weight-stationary: a PE holds one accumulation group (" + std::to_string(c.group) + " elements) in at most " +
             std::to_string(kMaxWsChunks) + " chunks, but pe.lanes " + std::to_string(c.lanes) + " needs " +
             std::to_string(c.chunks_per_group()) + " (allowed: pe.lanes >= " + std::to_string(min_lanes) +
             " dividing " + std::to_string(c.group) + ", or dataflow output-stationary)");
  }  // Whatever else the PE generator rejects (docs/pe.md).
  try {
    pe_info(pe_spec(c));
  } catch (const FormatError& e) {
    fail(source, m, "pe", e.what());
  }

}

// ---- multi-format PEs (pe.modes) -------------------------------------------

// Formats whose elements have `bits` bits, for "allowed:" lists.
std::string formats_with_bits(int bits) {
  std::vector<std::string> names;
  std::vector<std::string> cands = block_preset_names();
  cands.push_back("int" + std::to_string(bits));
  for (const std::string& e : elem_preset_names()) cands.push_back(e);
  for (const std::string& n : cands) {
    try {
      if (parse_block_format(n).elem.bits == bits) names.push_back(n);
    } catch (const FormatError&) {  // "intN (N=2..16)" and the like: not a name
    }
  }
  return join(names);
}

std::string pair_name(const BlockFormat& a, const BlockFormat& b) { return a.name + " x " + b.name; }

// Elements per accumulation group of a x b when either is block-scaled, else 0.
int block_group_of(const BlockFormat& a, const BlockFormat& b) {
  if (!a.has_block_scale() && !b.has_block_scale()) return 0;
  QMatrix qa, qb;
  qa.fmt = a;
  qb.fmt = b;
  return int(accum_group(qa, qb, AccumSpec{}));
}

// Why `r` cannot serve these two modes, or "" when it can. The reuse schemes
// overlay mode 1's operands on mode 0's lane datapath (gen/pe_spec.hpp Reuse):
// INT schemes need integer products in both modes (scheme 2 splits the int8
// multiplier into two int8 x int4 halves, so mode 1 must be 4-bit); fp-shared
// places mode 1's exponent and mantissa fields inside mode 0's, so neither may
// be wider.
std::string reuse_misfit(Reuse r, const ArrayConfig& c) {
  const BlockFormat* f[4] = {&c.a, &c.b, &c.a1, &c.b1};
  bool all_int = true, all_fp = true;
  for (const BlockFormat* x : f) {
    all_int = all_int && x->elem.is_int();
    all_fp = all_fp && x->elem.is_float();
  }
  auto modes_desc = [&] { return "mode 0 is " + pair_name(c.a, c.b) + ", mode 1 " + pair_name(c.a1, c.b1); };
  switch (r) {
    case Reuse::None: return "";
    case Reuse::IntScheme1:
      if (!all_int) return "int-scheme1 needs INT x INT elements in both modes, but " + modes_desc();
      return "";
    case Reuse::IntScheme2:
      if (!all_int) return "int-scheme2 needs INT x INT elements in both modes, but " + modes_desc();
      if (c.a1.elem.bits != 4)
        return "int-scheme2 splits each int8 multiplier into two int8 x int4 halves, so mode 1 must be 4-bit, but it is " +
               pair_name(c.a1, c.b1) + " (" + std::to_string(c.a1.elem.bits) + "-bit)";
      return "";
    case Reuse::FpShared:
      if (!all_fp) return "fp-shared needs FP x FP elements in both modes, but " + modes_desc();
      for (int k = 0; k < 2; ++k) {
        const ElemFormat& w = f[k]->elem;      // mode 0
        const ElemFormat& n = f[k + 2]->elem;  // mode 1
        const char* op = k == 0 ? "A" : "B";
        if (n.ebits > w.ebits)
          return std::string("fp-shared places mode 1's fields inside mode 0's, but ") + op + "'s " + n.name + " has " +
                 std::to_string(n.ebits) + " exponent bits > " + w.name + "'s " + std::to_string(w.ebits);
        if (n.mbits > w.mbits)
          return std::string("fp-shared places mode 1's fields inside mode 0's, but ") + op + "'s " + n.name + " has " +
                 std::to_string(n.mbits) + " mantissa bits > " + w.name + "'s " + std::to_string(w.mbits);
      }
      return "";
  }
  return "";
}

// pe.modes: two formats on one datapath (docs/config.md "Multi-format PEs").
// a, b, lanes, group are mode 0's; a1, b1, lanes1, group1 mode 1's.
void resolve_modes(ArrayConfig& c, const std::string& source, const Marks& m) {
  const std::string f0 = "pe.modes[0]", f1 = "pe.modes[1]";
  const std::string modes_eg = "e.g. [mxint8, nvint4], [mxfp8_e4m3, nvfp4], [mxfp8_e4m3, mxfp6_e2m3]";
  if (c.a_name.empty()) fail(source, m, f0, "missing (allowed: " + modes_eg + ")");
  if (c.a1_name.empty()) fail(source, m, f1, "missing (allowed: " + modes_eg + ")");
  if (c.b_name.empty()) c.b_name = c.a_name;
  if (c.b1_name.empty()) c.b1_name = c.a1_name;
  c.a = checked_format(source, m, f0, c.a_name);
  c.b = checked_format(source, m, f0, c.b_name);
  c.a1 = checked_format(source, m, f1, c.a1_name);
  c.b1 = checked_format(source, m, f1, c.b1_name);

  // Element widths: mode 0 is the 8-bit mode; mode 1 is 4-bit (2 x the lanes)
  // or 6-bit (the same lanes) on both operands.
  auto bits_of = [](const BlockFormat& a, const BlockFormat& b) {
    return a.elem.bits == b.elem.bits ? std::to_string(a.elem.bits) + "-bit"
                                      : std::to_string(a.elem.bits) + "-bit x " + std::to_string(b.elem.bits) + "-bit";
  };
  const std::string narrow = "4-bit elements on both operands (" + formats_with_bits(4) + ") or 6-bit on both (" +
                             formats_with_bits(6) + ")";
  if (c.a.elem.bits != 8 || c.b.elem.bits != 8)
    fail(source, m, f0,
         "mode 0 is the 8-bit mode, but " + pair_name(c.a, c.b) + " has " + bits_of(c.a, c.b) + " elements" +
             (c.a1.elem.bits == 8 && c.b1.elem.bits == 8 ? " (list the 8-bit mode first)" : "") +
             " (allowed: 8-bit elements on both operands: " + formats_with_bits(8) + ")");
  if (c.a1.elem.bits == 8 && c.b1.elem.bits == 8)
    fail(source, m, f1,
         "mode 1 " + pair_name(c.a1, c.b1) +
             " has 8-bit elements like mode 0; two 8-bit modes cannot share one datapath (allowed: " + narrow + ")");
  bool narrow_ok = c.a1.elem.bits == c.b1.elem.bits && (c.a1.elem.bits == 4 || c.a1.elem.bits == 6);
  if (!narrow_ok)
    fail(source, m, f1,
         "mode 1 " + pair_name(c.a1, c.b1) + " has " + bits_of(c.a1, c.b1) +
             " elements; it must be 4-bit or 6-bit on both operands (allowed: " + narrow + ")");

  // The reuse scheme must fit both modes' formats.
  std::string why = reuse_misfit(c.reuse, c);
  if (!why.empty()) {
    std::vector<std::string> fit;
    for (Reuse r : {Reuse::None, Reuse::IntScheme1, Reuse::IntScheme2, Reuse::FpShared})
      if (reuse_misfit(r, c).empty()) fit.push_back(reuse_name(r));
    fail(source, m, "pe.reuse", why + " (allowed for these modes: " + join(fit) + ")");
  }

  // One float32 accumulator serves both modes at exact-block (gen/pe_spec.hpp).
  if (c.accum.mode != AccumMode::ExactBlock)
    fail(source, m, "pe.accumulation",
         c.accum.name() + ": a multi-format PE accumulates exact-block only (allowed: exact-block)");

  int g0 = 0, g1 = 0;  // block groups (0: no block scale, the group is the lanes)
  try {
    g0 = block_group_of(c.a, c.b);
  } catch (const FormatError& e) {
    fail(source, m, f0, e.what());
  }
  try {
    g1 = block_group_of(c.a1, c.b1);
  } catch (const FormatError& e) {
    fail(source, m, f1, e.what());
  }

  // Lanes: `lanes` tiles mode 0's group, lanes1 mode 1's.
  auto lanes1_of = [&](int l) {
    PeSpec s;
    s.modes = 2;
    s.lanes = l;
    s.a1 = c.a1;
    s.b1 = c.b1;
    return mode_lanes(s, 1);
  };
  auto tiles = [&](int l) {
    int l1 = lanes1_of(l);
    return (g0 == 0 || g0 % l == 0) && (g1 == 0 || g1 % l1 == 0) && l1 <= kMaxLanes;
  };
  auto ws_fits = [&](int l) {
    int q0 = (g0 ? g0 : l) / l, q1 = (g1 ? g1 : lanes1_of(l)) / lanes1_of(l);
    return q0 <= kMaxWsChunks && q1 <= kMaxWsChunks;
  };
  auto allowed_lanes = [&](bool ws) {
    // Runs of three or more consecutive counts as lo..hi (unblocked formats allow 1..32).
    std::vector<std::string> ok;
    for (int l = 1; l <= kMaxLanes; ++l) {
      if (!tiles(l) || (ws && !ws_fits(l))) continue;
      int hi = l;
      while (hi + 1 <= kMaxLanes && tiles(hi + 1) && (!ws || ws_fits(hi + 1))) ++hi;
      if (hi - l >= 2) {
        ok.push_back(range(l, hi));
        l = hi;
      } else {
        ok.push_back(std::to_string(l));
      }
    }
    return ok.empty() ? std::string("none: no lanes count tiles both modes' groups") : join(ok);
  };
  if (c.lanes == 0) {
    c.lanes = 1;
    for (int l : {8, 4, 2, 1})
      if (tiles(l)) {
        c.lanes = l;
        break;
      }
  }
  if (c.lanes < 1 || c.lanes > kMaxLanes)
    fail(source, m, "pe.lanes", std::to_string(c.lanes) + " is out of range (allowed: " + range(1, kMaxLanes) + ")");
  c.lanes1 = lanes1_of(c.lanes);
  if (g0 && g0 % c.lanes != 0)
    fail(source, m, "pe.lanes",
         std::to_string(c.lanes) + " lanes cannot tile mode 0's accumulation group of " + std::to_string(g0) +
             " elements (" + pair_name(c.a, c.b) + ") (allowed: " + allowed_lanes(false) + ")");
  if (g1 && g1 % c.lanes1 != 0)
    fail(source, m, "pe.lanes",
         std::to_string(c.lanes) + " lanes (" + std::to_string(c.lanes1) +
             " in mode 1) cannot tile mode 1's accumulation group of " + std::to_string(g1) + " elements (" +
             pair_name(c.a1, c.b1) + ") (allowed: " + allowed_lanes(false) + ")");
  if (c.lanes1 > kMaxLanes)
    fail(source, m, "pe.lanes",
         std::to_string(c.lanes) + " lanes give " + std::to_string(c.lanes1) + " lanes in mode 1 (" +
             pair_name(c.a1, c.b1) + "), more than " + std::to_string(kMaxLanes) + " (allowed: " +
             allowed_lanes(false) + ")");
  c.group = g0 ? g0 : c.lanes;
  c.group1 = g1 ? g1 : c.lanes1;
  c.accum.lanes = c.lanes;

  if (c.pipeline < 0 || c.pipeline > kMaxPipeline)
    fail(source, m, "pe.pipeline",
         std::to_string(c.pipeline) + " is out of range (allowed: " + range(0, kMaxPipeline) + ")");
  if (c.rows < 1 || c.rows > kMaxDim)
    fail(source, m, "array.rows", std::to_string(c.rows) + " is out of range (allowed: " + range(1, kMaxDim) + ")");
  if (c.cols < 1 || c.cols > kMaxDim)
    fail(source, m, "array.cols", std::to_string(c.cols) + " is out of range (allowed: " + range(1, kMaxDim) + ")");
  if (c.dataflow == Dataflow::WeightStationary) {
    int q[2] = {c.chunks_per_group(), c.chunks_per_group1()};
    int g[2] = {c.group, c.group1}, l[2] = {c.lanes, c.lanes1};
    for (int k = 0; k < 2; ++k)
      if (q[k] > kMaxWsChunks)
        fail(source, m, "array.dataflow",
             "weight-stationary: a PE holds one accumulation group in at most " + std::to_string(kMaxWsChunks) +
                 " chunks, but mode " + std::to_string(k) + " (" +
                 pair_name(k ? c.a1 : c.a, k ? c.b1 : c.b) + ", " + std::to_string(g[k]) + " elements on " +
                 std::to_string(l[k]) + (l[k] == 1 ? " lane" : " lanes") + ") needs " + std::to_string(q[k]) + " (allowed: pe.lanes " +
                 allowed_lanes(true) + ", or dataflow output-stationary)");
  }

  // Whatever else the PE generator rejects: each mode as a single-format PE,
  // then the multi-format PE itself (docs/pe.md).
  PeSpec full = pe_spec(c);
  for (int k = 0; k < 2; ++k) {
    PeSpec one = full;
    one.modes = 1;
    one.reuse = Reuse::None;
    if (k == 1) {
      one.a = c.a1;
      one.b = c.b1;
      one.lanes = c.lanes1;
      one.accum.lanes = c.lanes1;
    }
    try {
      pe_info(one);
    } catch (const FormatError& e) {
      fail(source, m, "pe", "mode " + std::to_string(k) + ": " + e.what());
    }
  }
  try {
    pe_info(full);
  } catch (const FormatError& e) {
    fail(source, m, "pe", e.what());
  }
}

// ---- YAML reading ----------------------------------------------------------

Loc loc_of(const YAML::Node& n) {
  YAML::Mark mk = n.Mark();
  if (mk.is_null()) return {};
  return {mk.line + 1, mk.column + 1};
}

class Reader {
 public:
  Reader(const std::string& source, Marks& marks) : source_(source), marks_(marks) {}

  // Checks that n is a map whose keys are all in `allowed` (no duplicates) and
  // records the location of every value under prefix.
  void map_keys(const YAML::Node& n, const std::string& prefix, const std::vector<std::string>& allowed) {
    std::string what = prefix.empty() ? "the top level" : prefix;
    if (prefix.empty()) marks_[""] = loc_of(n);
    if (!n.IsMap()) {
      marks_[prefix] = loc_of(n);
      fail(source_, marks_, prefix, what + " must be a mapping (allowed keys: " + join(allowed) + ")");
    }
    std::set<std::string> seen;
    for (const auto& kv : n) {
      std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
      std::string field = prefix.empty() ? key : prefix + "." + key;
      marks_[field] = loc_of(kv.first);
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
        fail(source_, marks_, field, "unknown key in " + what + " (allowed: " + join(allowed) + ")");
      if (!seen.insert(key).second) fail(source_, marks_, field, "duplicate key");
      marks_[field] = loc_of(kv.second);
    }
  }

  std::string scalar(const YAML::Node& n, const std::string& field, const std::string& allowed) {
    if (!n.IsScalar()) fail(source_, marks_, field, "must be a single value (allowed: " + allowed + ")");
    return n.Scalar();
  }

  int integer(const YAML::Node& n, const std::string& field, int lo, int hi) {
    std::string s = scalar(n, field, range(lo, hi));
    static const std::regex re("[+-]?[0-9]{1,9}");
    if (!std::regex_match(s, re))
      fail(source_, marks_, field, "'" + s + "' is not an integer (allowed: " + range(lo, hi) + ")");
    return std::stoi(s);
  }

 private:
  const std::string& source_;
  Marks& marks_;
};

// One pe.modes entry: FORMAT (both operands), A/B (when the whole string is
// not itself a format but both halves are), or {a: A, b: B}.
void parse_mode_entry(Reader& r, const YAML::Node& n, const std::string& field, const std::string& source,
                      Marks& marks, const std::string& fmts, std::string& a, std::string& b) {
  if (n.IsMap()) {
    r.map_keys(n, field, {"a", "b"});
    if (!n["a"]) fail(source, marks, field + ".a", "missing (allowed: " + fmts + ")");
    a = r.scalar(n["a"], field + ".a", fmts);
    b = n["b"] ? r.scalar(n["b"], field + ".b", fmts) : a;
    return;
  }
  std::string s = r.scalar(n, field, "FORMAT, A/B or {a: A, b: B} with A, B in " + fmts);
  std::string whole_error;
  try {
    parse_block_format(s);
    a = b = s;
    return;
  } catch (const FormatError& e) {
    whole_error = e.what();
  }
  // ELEM/BLOCK/SCALE formats contain slashes too: try every split point.
  std::vector<std::pair<std::string, std::string>> splits;
  std::string half_error;
  for (size_t at = s.find('/'); at != std::string::npos; at = s.find('/', at + 1)) {
    std::string lhs = s.substr(0, at), rhs = s.substr(at + 1);
    std::string err[2];
    const std::string* part[2] = {&lhs, &rhs};
    for (int k = 0; k < 2; ++k) {
      try {
        parse_block_format(*part[k]);
      } catch (const FormatError& e) {
        err[k] = e.what();
      }
    }
    if (err[0].empty() && err[1].empty()) splits.emplace_back(lhs, rhs);
    else if (half_error.empty() && (err[0].empty() || err[1].empty()))
      half_error = err[0].empty() ? "B '" + rhs + "': " + err[1] : "A '" + lhs + "': " + err[0];
  }
  if (splits.size() == 1) {
    a = splits[0].first;
    b = splits[0].second;
    return;
  }
  if (splits.size() > 1)
    fail(source, marks, field,
         "'" + s + "' splits into A/B in more than one way ('" + splits[0].first + "' / '" + splits[0].second +
             "', '" + splits[1].first + "' / '" + splits[1].second + "') (allowed: the map form {a: A, b: B})");
  if (s.find('/') == std::string::npos || half_error.empty()) fail(source, marks, field, whole_error);
  fail(source, marks, field, "'" + s + "' is neither a format nor A/B of two formats: " + half_error);
}

void parse_modes(Reader& r, const YAML::Node& n, const std::string& source, Marks& marks, const std::string& fmts,
                 ArrayConfig& c) {
  const std::string eg = "e.g. [mxint8, nvint4], [mxfp8_e4m3, nvfp4], [mxfp8_e4m3/mxint8, nvfp4/nvint4]";
  if (!n.IsSequence() || n.size() != 2)
    fail(source, marks, "pe.modes",
         (n.IsSequence() ? std::to_string(n.size()) + " entries" : std::string("not a list")) +
             ": pe.modes is exactly two modes [MODE0 (8-bit), MODE1 (4- or 6-bit)] (allowed: " + eg + ")");
  c.modes = 2;
  for (int k = 0; k < 2; ++k) {
    std::string field = "pe.modes[" + std::to_string(k) + "]";
    marks[field] = loc_of(n[k]);
    parse_mode_entry(r, n[k], field, source, marks, fmts, k ? c.a1_name : c.a_name, k ? c.b1_name : c.b_name);
  }
}

ArrayConfig parse_node(const YAML::Node& root, const std::string& source, Marks& marks) {
  Reader r(source, marks);
  ArrayConfig c;
  // `memory` belongs to `macforge sim` (docs/timing_model.md): the same file
  // drives both tools, the generator ignores that section.
  r.map_keys(root, "", {"name", "pe", "array", "memory"});
  if (root["name"]) c.name = r.scalar(root["name"], "name", "a module prefix such as mxint8_8x8_os");

  const YAML::Node pe = root["pe"];
  if (!pe)
    fail(source, marks, "pe",
         "missing (the PE section: a, b, lanes, accumulation, pipeline, multiplier, modes, reuse)");
  r.map_keys(pe, "pe", {"a", "b", "lanes", "accumulation", "pipeline", "multiplier", "modes", "reuse"});
  std::string fmts = join(block_preset_names()) + ", ELEM, ELEM/BLOCK/SCALE";
  if (pe["modes"]) {
    for (const char* k : {"pe.a", "pe.b"})
      if (pe[std::string(k).substr(3)])
        fail(source, marks, k,
             "conflicts with pe.modes, which names both modes' formats (allowed: pe.modes without pe.a/pe.b, or "
             "pe.a/pe.b without pe.modes)");
    parse_modes(r, pe["modes"], source, marks, fmts, c);
  }
  if (pe["reuse"]) {
    std::string s = r.scalar(pe["reuse"], "pe.reuse", kReuseChoices);
    if (!pe["modes"])
      fail(source, marks, "pe.reuse",
           "'" + s + "' needs a multi-format PE (allowed: pe.reuse together with pe.modes: [MODE0, MODE1], or no "
           "pe.reuse)");
    if (s == "none") c.reuse = Reuse::None;
    else if (s == "int-scheme1") c.reuse = Reuse::IntScheme1;
    else if (s == "int-scheme2") c.reuse = Reuse::IntScheme2;
    else if (s == "fp-shared") c.reuse = Reuse::FpShared;
    else fail(source, marks, "pe.reuse", "unknown reuse scheme '" + s + "' (allowed: " + kReuseChoices + ")");
  }
  if (pe["a"]) c.a_name = r.scalar(pe["a"], "pe.a", fmts);
  if (pe["b"]) c.b_name = r.scalar(pe["b"], "pe.b", fmts);
  if (pe["lanes"]) c.lanes = r.integer(pe["lanes"], "pe.lanes", 1, kMaxLanes);
  if (pe["pipeline"]) c.pipeline = r.integer(pe["pipeline"], "pe.pipeline", 0, kMaxPipeline);
  if (c.lanes == 0 && pe["lanes"])  // an explicit 0 is out of range, not "default"
    fail(source, marks, "pe.lanes", "0 is out of range (allowed: " + range(1, kMaxLanes) + ")");
  if (pe["accumulation"]) {
    std::string s = r.scalar(pe["accumulation"], "pe.accumulation", "exact-block, aligned:W");
    try {
      c.accum = parse_accum(s);
    } catch (const FormatError& e) {
      fail(source, marks, "pe.accumulation", e.what());
    }
  }

  if (pe["multiplier"]) {
    std::string s = r.scalar(pe["multiplier"], "pe.multiplier", kMultiplierChoices);
    if (s == "booth4") c.multiplier = Multiplier::Booth4;
    else if (s == "array") c.multiplier = Multiplier::Array;
    else if (s == "behavioural") c.multiplier = Multiplier::Behavioural;
    else fail(source, marks, "pe.multiplier", "unknown multiplier '" + s + "' (allowed: " + kMultiplierChoices + ")");
  }

  if (const YAML::Node ar = root["array"]) {
    r.map_keys(ar, "array", {"rows", "cols", "dataflow"});
    if (ar["rows"]) c.rows = r.integer(ar["rows"], "array.rows", 1, kMaxDim);
    if (ar["cols"]) c.cols = r.integer(ar["cols"], "array.cols", 1, kMaxDim);
    if (ar["dataflow"]) {
      std::string d = r.scalar(ar["dataflow"], "array.dataflow", kDataflows);
      if (d == "output-stationary") c.dataflow = Dataflow::OutputStationary;
      else if (d == "weight-stationary") c.dataflow = Dataflow::WeightStationary;
      else fail(source, marks, "array.dataflow", "unknown dataflow '" + d + "' (allowed: " + kDataflows + ")");
    }
  }
  return c;
}

std::string stem_name(const std::string& path) {
  std::string base = path.substr(path.find_last_of('/') + 1);
  base = base.substr(0, base.find('.'));
  for (char& ch : base)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  if (base.empty() || !std::isalpha(static_cast<unsigned char>(base[0]))) base = "m_" + base;
  return base.substr(0, kMaxNameLen);
}

ArrayConfig parse_text(const std::string& text, const std::string& source, const std::string& default_name) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(source + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                      ": YAML syntax error: " + e.msg);
  }
  Marks marks;
  if (!root || root.IsNull()) fail(source, marks, "", "empty configuration (expected keys: name, pe, array, memory)");
  ArrayConfig c = parse_node(root, source, marks);
  if (c.name.empty()) c.name = default_name;
  resolve(c, source, marks);
  return c;
}

}  // namespace

ArrayConfig parse_config(const std::string& text, const std::string& source) {
  return parse_text(text, source, stem_name(source));
}

ArrayConfig load_config(const std::string& path) {
  std::ifstream in(path);
  if (!in.good()) throw ConfigError(path + ": cannot read the configuration file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_text(ss.str(), path, stem_name(path));
}

void validate_config(ArrayConfig& cfg, const std::string& source) { resolve(cfg, source, Marks{}); }

PeSpec pe_spec(const ArrayConfig& c) {
  PeSpec spec;
  spec.module_name = c.name + "_pe";
  spec.a = c.a;
  spec.b = c.b;
  spec.lanes = c.lanes;
  spec.accum = c.accum;
  spec.pipeline = c.pipeline;
  spec.acc_source = c.dataflow == Dataflow::WeightStationary ? AccSource::External : AccSource::Internal;
  spec.multiplier = c.multiplier;
  spec.modes = c.modes;
  if (c.modes == 2) {
    spec.a1 = c.a1;
    spec.b1 = c.b1;
    spec.reuse = c.reuse;
  }
  return spec;
}

std::string ArrayConfig::canonical_json() const {
  std::ostringstream os;
  os << "{\"name\":\"" << name << "\",\"pe\":{\"a\":\"" << a_name << "\",\"b\":\"" << b_name << "\"";
  // Only multi-format configs carry mode keys: a single-format config's bytes
  // (and so its hash, the sweep caches' key) are what they were before modes.
  if (modes == 2)
    os << ",\"a1\":\"" << a1_name << "\",\"b1\":\"" << b1_name << "\",\"reuse\":\"" << reuse_name(reuse) << "\"";
  os << ",\"lanes\":" << lanes << ",\"accumulation\":\"" << accum.name() << "\",\"pipeline\":" << pipeline
     << ",\"multiplier\":\"" << multiplier_name(multiplier) << "\"},\"array\":{\"rows\":" << rows
     << ",\"cols\":" << cols << ",\"dataflow\":\"" << dataflow_name(dataflow)
     << "\"}}";
  return os.str();
}

uint64_t ArrayConfig::hash() const {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a 64
  for (unsigned char ch : canonical_json()) {
    h ^= ch;
    h *= 0x100000001b3ull;
  }
  return h;
}

std::string to_yaml(const ArrayConfig& c) {
  std::ostringstream os;
  os << "name: " << c.name << "\n"
     << "pe:\n";
  if (c.modes == 2) {
    auto entry = [](const std::string& a, const std::string& b) { return a == b ? a : "{a: " + a + ", b: " + b + "}"; };
    os << "  modes: [" << entry(c.a_name, c.b_name) << ", " << entry(c.a1_name, c.b1_name) << "]\n"
       << "  reuse: " << reuse_name(c.reuse) << "\n";
  } else {
    os << "  a: " << c.a_name << "\n"
       << "  b: " << c.b_name << "\n";
  }
  os << "  lanes: " << c.lanes << "\n"
     << "  accumulation: " << c.accum.name() << "\n"
     << "  pipeline: " << c.pipeline << "\n"
     << "  multiplier: " << multiplier_name(c.multiplier) << "\n"
     << "array:\n"
     << "  rows: " << c.rows << "\n"
     << "  cols: " << c.cols << "\n"
     << "  dataflow: " << dataflow_name(c.dataflow) << "\n";
  return os.str();
}

}  // namespace macforge::gen
