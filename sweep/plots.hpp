// Plots of a sweep with gnuplot: data files and scripts in DIR/plots, each
// drawn as PNG (pngcairo, else png) and SVG.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "sweep/report.hpp"

namespace macforge::sweep {

struct PlotResult {
  bool ok = false;
  std::string error;              // e.g. gnuplot is not installed
  std::vector<PlotInfo> plots;    // drawn
  std::vector<std::string> files; // written
};

// Writes the data and scripts and runs gnuplot. Never throws for a missing or
// failing gnuplot (reported in the result); I/O errors throw.
PlotResult draw_plots(const ReportData& rd, std::ostream& err);

}  // namespace macforge::sweep
