// leakhound: finds the leaks that take Go network services down.
// Exit codes: 0 clean, 1 findings, 2 usage or I/O error.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <fstream>
#include <optional>
#include <nlohmann/json.hpp>
#include <iostream>
#include <sstream>

#include "report/writers.h"
#include "rules/rule.h"
#include "cli/commands.h"
#include "config/config.h"
#include "scan/scan.h"

using namespace leakhound;

namespace {

constexpr int kExitClean = 0;
constexpr int kExitFindings = 1;
constexpr int kExitError = 2;

std::vector<report::RuleDescriptor> rule_descriptors() {
  std::vector<report::RuleDescriptor> out;
  for (const rules::Rule* r : rules::all_rules()) {
    const auto& i = r->info();
    out.push_back({std::string(i.name), std::string(i.summary), std::string(i.doc), i.severity});
  }
  return out;
}

int cmd_rules(const std::string& format) {
  if (format == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const rules::Rule* r : rules::all_rules()) {
      const auto& i = r->info();
      out.push_back({{"name", i.name},
                     {"severity", report::severity_name(i.severity)},
                     {"enabled", i.enabled_by_default},
                     {"summary", i.summary}});
    }
    std::cout << out.dump(2) << "\n";
    return kExitClean;
  }
  for (const rules::Rule* r : rules::all_rules()) {
    const auto& i = r->info();
    std::cout << fmt::format("{:<20} {:<8} {:<4} {}\n", i.name, report::severity_name(i.severity),
                             i.enabled_by_default ? "on" : "off", i.summary);
  }
  return kExitClean;
}

int cmd_explain(const std::string& name) {
  const rules::Rule* r = rules::find_rule(name);
  if (!r) {
    std::cerr << "leakhound: unknown rule '" << name << "'; `leakhound rules` lists them\n";
    return kExitError;
  }
  std::cout << r->info().doc;
  return kExitClean;
}

struct ScanArgs {
  std::vector<std::string> paths;
  std::string format = "text";
  int jobs = 0;
  std::string tests = "low";
  bool include_generated = false;
  std::vector<std::string> rules;
  std::string output;
  std::string color = "auto";
  double max_file_mb = 10;
  std::string config;     // --config FILE
  bool no_config = false;  // --no-config
};

int cmd_scan(const ScanArgs& a) {
  report::Format fmt_kind;
  if (!report::parse_format(a.format, fmt_kind)) {
    std::cerr << "leakhound: unknown format '" << a.format << "' (text, json, sarif, github)\n";
    return kExitError;
  }
  scan::ScanOptions o;
  o.paths = a.paths;
  o.jobs = a.jobs;
  if (a.tests == "skip") o.tests = scan::TestsMode::Skip;
  else if (a.tests == "low") o.tests = scan::TestsMode::Low;
  else if (a.tests == "normal") o.tests = scan::TestsMode::Normal;
  else {
    std::cerr << "leakhound: --tests takes skip, low or normal\n";
    return kExitError;
  }
  o.include_generated = a.include_generated;
  for (const auto& r : a.rules) {
    if (!rules::find_rule(r)) {
      std::cerr << "leakhound: unknown rule '" << r << "'; `leakhound rules` lists them\n";
      return kExitError;
    }
    o.rules.insert(r);
  }
  o.max_file_bytes = static_cast<uint64_t>(a.max_file_mb * 1024 * 1024);

  // .leakhound.toml: --config, or the nearest one above the first path
  std::optional<config::Config> cfg;
  if (!a.no_config) {
    std::optional<std::string> path;
    if (!a.config.empty()) path = a.config;
    else path = config::find(a.paths.empty() ? "." : a.paths.front());
    if (path) {
      try {
        cfg = config::load(*path);
      } catch (const config::ConfigError& e) {
        std::cerr << "leakhound: invalid config: " << e.what() << "\n";
        return kExitError;
      }
      config::apply(*cfg, o);
    }
  }

  scan::ScanResult res = scan::run_scan(o);
  if (getenv("LEAKHOUND_TIMING"))
    std::cerr << fmt::format("timing: discover {:.0f} ms, read headers and plan {:.0f} ms, parse and analyse {:.0f} ms\n",
                             res.stats.discover_ms, res.stats.plan_ms, res.stats.analyse_ms);
  for (const auto& e : res.errors) std::cerr << "leakhound: " << e << "\n";

  std::ofstream file;
  std::ostream* out = &std::cout;
  if (!a.output.empty()) {
    file.open(a.output);
    if (!file) {
      std::cerr << "leakhound: cannot write " << a.output << "\n";
      return kExitError;
    }
    out = &file;
  }
  report::Output ro;
  ro.findings = &res.findings;
  ro.notices = &res.notices;
  ro.errors = &res.errors;
  ro.rules = rule_descriptors();
  ro.tool_version = LEAKHOUND_VERSION;
  ro.files = res.stats.files;
  ro.packages = res.stats.packages;
  ro.suppressed = res.stats.suppressed;
  ro.color = a.color == "always" || (a.color == "auto" && a.output.empty() && isatty(STDOUT_FILENO) &&
                                     getenv("NO_COLOR") == nullptr);
  switch (fmt_kind) {
    case report::Format::Text: write_text(*out, std::cerr, ro); break;
    case report::Format::Json: write_json(*out, ro); break;
    case report::Format::Sarif: write_sarif(*out, ro); break;
    case report::Format::Github: write_github(*out, ro); break;
  }
  out->flush();
  if (!*out) {
    std::cerr << "leakhound: error writing output\n";
    return kExitError;
  }
  if (!res.errors.empty()) return kExitError;
  return res.findings.empty() ? kExitClean : kExitFindings;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"leakhound: finds the connections, bodies, files and goroutines Go services leak"};
  app.set_version_flag("--version", std::string("leakhound ") + LEAKHOUND_VERSION);
  app.require_subcommand(1);

  ScanArgs sa;
  auto* scan = app.add_subcommand("scan", "static analysis of Go source (default path: .; ./... accepted)");
  scan->add_option("paths", sa.paths, "files or folders to scan");
  scan->add_option("--format,-f", sa.format, "text, json, sarif or github")->capture_default_str();
  scan->add_option("-j,--jobs", sa.jobs, "worker threads (default: all cores)")->check(CLI::Range(0, 256));
  scan->add_option("--tests", sa.tests, "_test.go files: skip, low (severity info) or normal")
      ->check(CLI::IsMember({"skip", "low", "normal"}))
      ->capture_default_str();
  scan->add_flag("--include-generated", sa.include_generated, "also scan files marked `Code generated ... DO NOT EDIT.`");
  scan->add_option("--rules", sa.rules, "only these rules (comma-separated)")->delimiter(',')->allow_extra_args(false);
  scan->add_option("--output,-o", sa.output, "write the report to this file");
  scan->add_option("--color", sa.color, "auto, always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  scan->add_option("--config", sa.config, "use this .leakhound.toml (default: the nearest one above the first path)");
  scan->add_flag("--no-config", sa.no_config, "ignore .leakhound.toml files");
  scan->add_option("--max-file-size", sa.max_file_mb, "skip files larger than this many MB")
      ->check(CLI::Range(0.001, 4096.0))
      ->capture_default_str();

  std::string rules_format = "text";
  auto* rules_cmd = app.add_subcommand("rules", "list the rules");
  rules_cmd->add_option("--format,-f", rules_format, "text or json")->check(CLI::IsMember({"text", "json"}));

  std::string explain_rule;
  cli::GoroutinesArgs ga;
  auto* gor = app.add_subcommand(
      "goroutines",
      "group a goroutine dump or profile by leak site and rank suspects; or list a heap profile's allocation sites");
  gor->add_option("source", ga.source,
                  "a dump or profile file, - for stdin, or a pprof URL (http://host:6060 fetches "
                  "/debug/pprof/goroutine?debug=2, or /debug/pprof/heap with --heap)")
      ->required();
  gor->add_option("--format,-f", ga.format, "text or json")->check(CLI::IsMember({"text", "json"}));
  gor->add_flag("--all", ga.all, "also list sites that do not look leaked");
  gor->add_flag("--heap", ga.heap, "the source is a heap profile (a URL without a path fetches /debug/pprof/heap)");
  gor->add_option("--top", ga.top, "heap: allocation sites to list")->check(CLI::Range(1, 1000000))->capture_default_str();
  gor->add_option("--source", ga.source_dir, "scan this Go source folder and show static findings next to matching sites");
  gor->add_option("--html", ga.html, "also write a self-contained HTML page of the grouped stacks to this file");
  gor->add_option("--max-ids", ga.max_ids, "goroutine IDs listed per site")->capture_default_str();
  gor->add_option("--color", ga.color, "auto, always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  gor->add_option("--long-lived", ga.long_lived,
                  "a function whose goroutines are expected to live long (repeatable; a trailing * matches a prefix)");
  gor->add_flag("--no-default-long-lived", ga.no_default_long_lived,
                "do not set aside the built-in list (test runner, signal loops, sql openers, keep-alive loops, accept loops)");
  auto fetch_flags = [](CLI::App* c, cli::FetchArgs& f) {
    c->add_option("--connect-timeout", f.connect_timeout, "URL: seconds to connect")
        ->check(CLI::Range(0.01, 3600.0))
        ->capture_default_str();
    c->add_option("--timeout", f.timeout, "URL: seconds for the whole transfer")
        ->check(CLI::Range(0.01, 86400.0))
        ->capture_default_str();
    c->add_option("--max-size", f.max_size_mb, "URL: refuse responses larger than this many MB")
        ->check(CLI::Range(0.001, 4096.0))
        ->capture_default_str();
  };
  fetch_flags(gor, ga.fetch);

  cli::DiffArgs da;
  auto* diff = app.add_subcommand("diff", "compare two goroutine or heap snapshots of one process: what grew, what is new");
  diff->add_option("before", da.before, "the earlier snapshot (file, - or URL)")->required();
  diff->add_option("after", da.after, "the later snapshot (file or URL)")->required();
  diff->add_option("--format,-f", da.format, "text or json")->check(CLI::IsMember({"text", "json"}));
  diff->add_option("--write-pprof", da.write_pprof, "also write AFTER minus BEFORE as a gzip'd profile.proto for go tool pprof");
  diff->add_option("--min-growth", da.min_growth, "goroutines a site must gain to count as growing")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40))
      ->capture_default_str();
  diff->add_option("--min-bytes", da.min_bytes_mb, "heap: in-use MB a site must gain to count as growing")
      ->check(CLI::Range(0.0, 1e9))
      ->capture_default_str();
  diff->add_option("--top", da.top, "changed sites to list")->check(CLI::Range(1, 1000000))->capture_default_str();
  diff->add_flag("--heap", da.heap, "URLs without a path fetch /debug/pprof/heap");
  diff->add_option("--color", da.color, "auto, always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  diff->add_option("--long-lived", da.long_lived, "a function whose goroutines are expected to live long (repeatable)");
  diff->add_flag("--no-default-long-lived", da.no_default_long_lived, "do not set aside the built-in list");
  fetch_flags(diff, da.fetch);
  auto* explain = app.add_subcommand("explain", "print a rule's documentation");
  explain->add_option("rule", explain_rule, "rule name")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitError;
  }
  try {
    if (*scan) return cmd_scan(sa);
    if (*gor) return cli::cmd_goroutines(ga);
    if (*diff) return cli::cmd_diff(da);
    if (*rules_cmd) return cmd_rules(rules_format);
    if (*explain) return cmd_explain(explain_rule);
  } catch (const std::exception& e) {
    std::cerr << "leakhound: internal error: " << e.what() << "\n";
    return kExitError;
  }
  return kExitError;
}
