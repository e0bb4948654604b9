// Subcommands implemented outside main.cpp.
#pragma once

#include <string>

namespace leakhound::cli {

struct GoroutinesArgs {
  std::string source;          // file or "-"
  std::string format = "text";  // text | json
  bool all = false;            // also list sites that do not look leaked
  size_t max_ids = 10;
};

// `leakhound goroutines SOURCE`: exit 0 no suspect site, 1 suspects, 2 usage or input error.
int cmd_goroutines(const GoroutinesArgs& a);

}  // namespace leakhound::cli
