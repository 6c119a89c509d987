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

// All checks and defaults. Format names are parsed here so that configs built
// in code and configs read from YAML are validated the same way.
void resolve(ArrayConfig& c, const std::string& source, const Marks& m) {
  static const std::regex ident("[A-Za-z][A-Za-z0-9_]*");
  if (c.name.empty() || !std::regex_match(c.name, ident) || c.name.size() > kMaxNameLen)
    fail(source, m, "name",
         "'" + c.name + "' is not a valid module prefix (allowed: a letter then letters, digits or _, at most " +
             std::to_string(kMaxNameLen) + " characters)");

  auto format = [&](const std::string& field, const std::string& spelling) {
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
  };
  if (c.a_name.empty()) fail(source, m, "pe.a", "missing (allowed: " + join(block_preset_names()) + ", ...)");
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

ArrayConfig parse_node(const YAML::Node& root, const std::string& source, Marks& marks) {
  Reader r(source, marks);
  ArrayConfig c;
  // `memory` belongs to `macforge sim` (docs/timing_model.md): the same file
  // drives both tools, the generator ignores that section.
  r.map_keys(root, "", {"name", "pe", "array", "memory"});
  if (root["name"]) c.name = r.scalar(root["name"], "name", "a module prefix such as mxint8_8x8_os");

  const YAML::Node pe = root["pe"];
  if (!pe) fail(source, marks, "pe", "missing (the PE section: a, b, lanes, accumulation, pipeline, multiplier)");
  r.map_keys(pe, "pe", {"a", "b", "lanes", "accumulation", "pipeline", "multiplier"});
  std::string fmts = join(block_preset_names()) + ", ELEM, ELEM/BLOCK/SCALE";
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
  return spec;
}

std::string ArrayConfig::canonical_json() const {
  std::ostringstream os;
  os << "{\"name\":\"" << name << "\",\"pe\":{\"a\":\"" << a_name << "\",\"b\":\"" << b_name
     << "\",\"lanes\":" << lanes << ",\"accumulation\":\"" << accum.name() << "\",\"pipeline\":" << pipeline
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
     << "pe:\n"
     << "  a: " << c.a_name << "\n"
     << "  b: " << c.b_name << "\n"
     << "  lanes: " << c.lanes << "\n"
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
