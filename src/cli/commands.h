// Subcommands implemented outside main.cpp.
#pragma once

#include <string>
#include <vector>

namespace leakhound::cli {

// Where a profile comes from when it is a URL.
struct FetchArgs {
  double connect_timeout = 5;  // seconds
  double timeout = 60;         // seconds, the whole transfer
  double max_size_mb = 256;
};

struct GoroutinesArgs {
  std::string source;           // file, "-" or an http(s) URL
  std::string format = "text";  // text | json
  bool all = false;             // also list sites that do not look leaked
  size_t max_ids = 10;
  bool heap = false;            // the source is (or the URL should serve) a heap profile
  size_t top = 20;              // heap: sites listed
  std::string source_dir;       // --source DIR: scan it and match findings to suspect sites
  std::string html;             // --html FILE
  std::string color = "auto";
  std::vector<std::string> long_lived;  // --long-lived FUNC: more expected long-lived goroutines
  bool no_default_long_lived = false;
  FetchArgs fetch;
};

// `leakhound goroutines SOURCE`: exit 0 no suspect site, 1 suspects, 2 usage or input error.
int cmd_goroutines(const GoroutinesArgs& a);

struct DiffArgs {
  std::string before, after;
  std::string format = "text";
  std::string write_pprof;      // --write-pprof OUT.pb.gz
  bool heap = false;            // URLs without a path fetch heap profiles
  int64_t min_growth = 10;      // goroutines a site must gain to count as growing
  double min_bytes_mb = 1;      // heap: in-use MB a site must gain
  size_t top = 20;
  std::string color = "auto";
  std::vector<std::string> long_lived;
  bool no_default_long_lived = false;
  FetchArgs fetch;
};

// `leakhound diff BEFORE AFTER`: exit 0 nothing grew past the thresholds, 1 growth, 2 errors.
int cmd_diff(const DiffArgs& a);

}  // namespace leakhound::cli
