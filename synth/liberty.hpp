// A Liberty (.lib) reader for the synthesis flow: the generic group /
// attribute syntax, and the data macforge needs from it: units, cells with
// areas, leakage, dont_use, pins (direction, capacitance, function, internal
// power tables), ff / latch groups and wire-load models (docs/synthesis.md).
//
// Every value is converted to one set of units on reading:
//   area um^2 (as in the file), capacitance pF, leakage nW, energy pJ,
//   time ns, voltage V.
// Errors are LibertyError with a one-line message "FILE:LINE: problem".
#pragma once

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace macforge::synth {

struct LibertyError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ---- the generic syntax ------------------------------------------------------

struct LibAttr {
  std::string name;
  std::vector<std::string> values;  // simple: one value; complex: the arguments
  bool complex = false;             // name (a, b, ...) ;
  int line = 0;
};

struct LibGroup {
  std::string type;               // "cell", "pin", "internal_power", ...
  std::vector<std::string> args;  // cell (NAME) -> {"NAME"}
  int line = 0;
  std::vector<LibAttr> attrs;
  std::vector<LibGroup> groups;

  const LibAttr* attr(const std::string& name) const;   // first with that name, or null
  std::string value(const std::string& name, const std::string& dflt = "") const;
  bool has(const std::string& name) const { return attr(name) != nullptr; }
};

// Parses the whole text; `source` names it in errors. The top-level group is
// `library (NAME) { ... }`.
LibGroup parse_liberty_syntax(const std::string& text, const std::string& source);

// ---- the model ----------------------------------------------------------------

// A 0-, 1- or 2-dimensional lookup table (power tables). The axes are mapped to
// input slew (ns) and output load (pF) from the template's variable names.
struct LibTable {
  std::vector<double> slew, load;  // empty axis: the table does not depend on it
  std::vector<double> values;      // row-major [slew][load]
  bool transposed = false;         // variable_1 is the load
  // Bilinear interpolation, clamped-linear extrapolation at the ends.
  double lookup(double slew_ns, double load_pf) const;
  bool empty() const { return values.empty(); }
};

struct LibPowerArc {
  std::string related_pin;  // "" for hidden (input pin) power
  std::string when;
  LibTable rise, fall;      // energy per transition, pJ
};

enum class PinDir { Input, Output, Inout, Internal };

struct LibPin {
  std::string name;
  PinDir dir = PinDir::Input;
  double cap_pf = 0;         // input capacitance
  std::string function;      // outputs: Liberty boolean expression ("" if none)
  bool clock = false;
  std::vector<LibPowerArc> power;
};

struct LibSeq {              // ff or latch group
  bool latch = false;
  std::string iq, iqn;       // state variable names
  std::string clocked_on, next_state;  // ff
  std::string enable, data_in;         // latch
  std::string clear, preset;
  std::string cpv1, cpv2;    // clear_preset_var1/2 (L, H, N, T, X)
};

struct LibCell {
  std::string name;
  int line = 0;
  double area = 0;
  double leakage_nw = 0;
  bool dont_use = false;
  bool has_area = false;
  bool statetable = false;   // has a statetable group (clock gates etc.)
  bool power_mgmt = false;   // is_isolation_cell / is_level_shifter / retention_cell /
                             // always_on / switch_cell_type: not for logic mapping
  std::vector<LibPin> pins;
  std::vector<LibSeq> seq;   // ff / latch groups (normally 0 or 1)

  const LibPin* pin(const std::string& n) const;
  bool is_flop() const;
  bool is_latch() const;
  bool sequential() const { return !seq.empty() || statetable; }
  std::vector<const LibPin*> inputs() const;
  std::vector<const LibPin*> outputs() const;
};

struct LibWireLoad {
  std::string name;
  double cap_per_len_pf = 0;   // capacitance per unit length
  double slope = 0;            // length per fanout beyond the table
  std::vector<std::pair<int, double>> fanout_length;
  double length(int fanout) const;
  double cap_pf(int fanout) const { return cap_per_len_pf * length(fanout); }
};

struct Library {
  std::string name;
  std::string path;            // file read
  double voltage = 0;          // nominal supply, V
  double time_unit_ns = 1;
  double cap_unit_pf = 1;      // capacitive_load_unit in pF
  double leak_unit_nw = 1;     // leakage_power_unit in nW
  double energy_unit_pj = 1;   // internal power table unit (cap unit x voltage unit^2) in pJ
  std::string units_text;      // the unit statements as written, for reports
  std::vector<LibCell> cells;
  std::vector<LibWireLoad> wire_loads;
  std::string default_wire_load;

  const LibCell* cell(const std::string& n) const;
  const LibWireLoad* wire_load() const;  // the default one, or null
  double mean_input_cap_pf() const;      // over the input pins of usable cells

 private:
  std::map<std::string, size_t> index_;
  friend Library build_library(const LibGroup&, const std::string&);
};

// Reads and interprets a Liberty file. Throws LibertyError.
Library read_liberty(const std::string& path);
Library parse_liberty(const std::string& text, const std::string& source);

}  // namespace macforge::synth
