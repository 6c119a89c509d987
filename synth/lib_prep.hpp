// Choosing and preparing the cell library of a synthesis run
// (docs/synthesis.md "Libraries"):
// - no --liberty: the built-in macforge45.lib, its Verilog models and the
//   full-adder template synth_template.ys;
// - --liberty FILE: the file is read and checked for the cells the flow needs
//   (an inverter, a 2-input NAND or NOR, a rising-edge D flip-flop that
//   dfflibmap can use, areas), a patched copy is written into the output
//   directory with `dont_use : true;` on power-management cells (sky130
//   lpflow_*, and cells marked as isolation / level-shifter / retention /
//   always-on), and the no-FA template synth_template_nofa.ys is used. Cell
//   models for the energy simulation are generated from the Liberty
//   functions (cell_models.hpp).
#pragma once

#include <string>
#include <vector>

#include "synth/liberty.hpp"

namespace macforge::synth {

struct PreparedLibrary {
  Library lib;                 // the library as read (with the added dont_use flags applied)
  std::string source;          // the file the user named (or the built-in path)
  std::string yosys_liberty;   // the file Yosys reads (the patched copy for a real PDK)
  std::string template_path;   // synth_template.ys or synth_template_nofa.ys
  std::string fa_map;          // fa_map.v for the FA template, else ""
  std::string models;          // Verilog models file ("" until generated for a real PDK)
  bool builtin = false;
  std::vector<std::string> dont_use_added;
};

// liberty == "": the built-in library. dir: where the patched copy goes.
// Throws LibertyError (unreadable / unparsable, "FILE:LINE: ...") or
// InputError (the library lacks a cell the flow needs).
PreparedLibrary prepare_library(const std::string& liberty, const std::string& dir);

// Cells of the library that the prepared copy marks dont_use (exposed for tests).
std::vector<std::string> dont_use_candidates(const Library& lib);

}  // namespace macforge::synth
