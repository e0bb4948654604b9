#include "report/writers.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace leakhound::report {
using nlohmann::json;

bool parse_format(std::string_view s, Format& out) {
  if (s == "text") out = Format::Text;
  else if (s == "json") out = Format::Json;
  else if (s == "sarif") out = Format::Sarif;
  else if (s == "github") out = Format::Github;
  else return false;
  return true;
}

namespace {

const char* color_of(Severity s) {
  switch (s) {
    case Severity::Error: return "\x1b[1;31m";
    case Severity::Warning: return "\x1b[1;33m";
    case Severity::Info: return "\x1b[1;36m";
  }
  return "";
}

// Strings from source files may hold invalid UTF-8; JSON output must not.
std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = n > 0 && i + n <= s.size();
    for (size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(s[i + k]) >> 6) == 2;
    if (ok) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

std::string sarif_level(Severity s) {
  switch (s) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Info: return "note";
  }
  return "warning";
}

std::string uri_of(std::string_view path) {
  std::string p(path);
  while (p.starts_with("./")) p.erase(0, 2);
  std::string out = p.starts_with("/") ? "file://" : "";
  for (char c : p) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') out += c;
    else out += fmt::format("%{:02X}", u);
  }
  return out;
}

// Relative paths resolve against the checkout root (%SRCROOT%); absolute ones are file:// URIs.
json artifact(std::string_view path) {
  std::string uri = uri_of(path);
  if (uri.starts_with("file://")) return {{"uri", uri}};
  return {{"uri", uri}, {"uriBaseId", "%SRCROOT%"}};
}

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string_view::npos ? std::string() : std::string(s.substr(b, e - b + 1));
}

}  // namespace

void write_text(std::ostream& out, std::ostream& err, const Output& o) {
  const auto& fs = *o.findings;
  size_t counts[3] = {0, 0, 0};
  for (const auto& f : fs) {
    ++counts[static_cast<int>(f.severity)];
    std::string sev(severity_name(f.severity));
    if (o.color)
      out << fmt::format("\x1b[1m{}:{}:{}:\x1b[0m {}{}\x1b[0m[{}] {}\n", f.file, f.line, f.col, color_of(f.severity), sev,
                         f.rule, f.message);
    else
      out << fmt::format("{}:{}:{}: {}[{}] {}\n", f.file, f.line, f.col, sev, f.rule, f.message);
    if (!f.source_line.empty()) out << "    " << f.source_line << "\n";
    if (!f.fix.empty()) out << (o.color ? "    \x1b[32mfix:\x1b[0m " : "    fix: ") << f.fix << "\n";
  }
  if (o.notices)
    for (const auto& n : *o.notices)
      err << (n.line ? fmt::format("notice: {}:{}: {}\n", n.file, n.line, n.message)
                     : fmt::format("notice: {}: {}\n", n.file, n.message));
  std::string summary = fmt::format("{} finding{}", fs.size(), fs.size() == 1 ? "" : "s");
  if (!fs.empty())
    summary += fmt::format(" ({} warning{}, {} info)", counts[1] + counts[2], counts[1] + counts[2] == 1 ? "" : "s",
                           counts[0]);
  summary += fmt::format(" in {} file{}, {} package{}", o.files, o.files == 1 ? "" : "s", o.packages,
                         o.packages == 1 ? "" : "s");
  if (o.suppressed) summary += fmt::format("; {} suppressed", o.suppressed);
  if (o.notices && !o.notices->empty())
    summary += fmt::format("; {} notice{}", o.notices->size(), o.notices->size() == 1 ? "" : "s");
  err << summary << "\n";
}

void write_json(std::ostream& out, const Output& o) {
  json j;
  j["tool"] = "leakhound";
  j["version"] = o.tool_version;
  j["findings"] = json::array();
  for (const auto& f : *o.findings) {
    json r = {{"rule", f.rule},
              {"severity", std::string(severity_name(f.severity))},
              {"file", valid_utf8(f.file)},
              {"line", f.line},
              {"column", f.col},
              {"message", valid_utf8(f.message)},
              {"fix", valid_utf8(f.fix)},
              {"source", valid_utf8(f.source_line)}};
    r["related"] = json::array();
    for (const auto& rel : f.related)
      r["related"].push_back({{"file", valid_utf8(rel.file)}, {"line", rel.line}, {"message", rel.message}});
    j["findings"].push_back(std::move(r));
  }
  j["notices"] = json::array();
  if (o.notices)
    for (const auto& n : *o.notices)
      j["notices"].push_back({{"file", valid_utf8(n.file)}, {"line", n.line}, {"message", valid_utf8(n.message)}});
  j["errors"] = json::array();
  if (o.errors)
    for (const auto& e : *o.errors) j["errors"].push_back(valid_utf8(e));
  j["stats"] = {{"files", o.files}, {"packages", o.packages}, {"suppressed", o.suppressed}};
  out << j.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
}

void write_sarif(std::ostream& out, const Output& o) {
  json rules = json::array();
  for (const auto& r : o.rules) {
    rules.push_back({{"id", r.name},
                     {"name", r.name},
                     {"shortDescription", {{"text", r.summary}}},
                     {"fullDescription", {{"text", r.summary}}},
                     {"help", {{"text", r.doc}, {"markdown", r.doc}}},
                     {"defaultConfiguration", {{"level", sarif_level(r.severity)}}},
                     {"properties", {{"tags", {"reliability", "resource-leak"}}}}});
  }
  json results = json::array();
  for (const auto& f : *o.findings) {
    json loc = {{"physicalLocation",
                 {{"artifactLocation", artifact(f.file)},
                  {"region", {{"startLine", std::max<uint32_t>(1, f.line)}, {"startColumn", std::max<uint32_t>(1, f.col)}}}}}};
    json r = {{"ruleId", f.rule},
              {"level", sarif_level(f.severity)},
              {"message", {{"text", valid_utf8(f.message + (f.fix.empty() ? "" : ". Fix: " + f.fix))}}},
              {"locations", json::array({loc})}};
    for (size_t i = 0; i < o.rules.size(); ++i)
      if (o.rules[i].name == f.rule) r["ruleIndex"] = i;
    json related = json::array();
    int id = 1;
    for (const auto& rel : f.related) {
      if (rel.line == 0) continue;
      json rl;
      rl["id"] = id++;
      rl["message"] = {{"text", rel.message}};
      rl["physicalLocation"]["artifactLocation"] = artifact(rel.file);
      rl["physicalLocation"]["region"] = {{"startLine", rel.line}};
      related.push_back(std::move(rl));
    }
    if (!related.empty()) r["relatedLocations"] = related;
    // stable across edits elsewhere in the file: no line numbers, only what the code says
    r["partialFingerprints"] = {
        {"leakhound/v1", fmt::format("{:016x}", std::hash<std::string>{}(f.rule + "|" + f.file + "|" +
                                                                             trim(f.source_line)))}};
    results.push_back(std::move(r));
  }
  json notifications = json::array();
  if (o.notices)
    for (const auto& n : *o.notices) {
      json note = {{"level", "note"}, {"message", {{"text", valid_utf8(n.message)}}}};
      json pl = {{"artifactLocation", artifact(n.file)}};
      if (n.line) pl["region"] = {{"startLine", n.line}};
      note["locations"] = json::array({{{"physicalLocation", pl}}});
      notifications.push_back(std::move(note));
    }
  if (o.errors)
    for (const auto& e : *o.errors) notifications.push_back({{"level", "error"}, {"message", {{"text", valid_utf8(e)}}}});
  bool ok = !o.errors || o.errors->empty();
  json run = {{"tool",
               {{"driver",
                 {{"name", "leakhound"},
                  {"version", o.tool_version},
                  {"semanticVersion", o.tool_version},
                  {"rules", rules}}}}},
              {"results", results},
              {"columnKind", "utf8CodeUnits"},
              {"invocations", json::array({{{"executionSuccessful", ok},
                                            {"toolExecutionNotifications", notifications}}})}};
  json doc = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
              {"version", "2.1.0"},
              {"runs", json::array({run})}};
  out << doc.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
}

std::string github_escape_data(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '%') out += "%25";
    else if (c == '\r') out += "%0D";
    else if (c == '\n') out += "%0A";
    else out += c;
  }
  return out;
}

std::string github_escape_property(std::string_view s) {
  std::string out;
  for (char c : github_escape_data(s)) {
    if (c == ':') out += "%3A";
    else if (c == ',') out += "%2C";
    else out += c;
  }
  return out;
}

void write_github(std::ostream& out, const Output& o) {
  for (const auto& f : *o.findings) {
    const char* cmd = f.severity == Severity::Error ? "error" : f.severity == Severity::Warning ? "warning" : "notice";
    out << "::" << cmd << " file=" << github_escape_property(f.file) << ",line=" << f.line << ",col=" << f.col
        << ",title=" << github_escape_property("leakhound " + f.rule) << "::"
        << github_escape_data(f.message + (f.fix.empty() ? "" : ". Fix: " + f.fix)) << "\n";
  }
  if (o.notices)
    for (const auto& n : *o.notices)
      out << "::notice file=" << github_escape_property(n.file) << (n.line ? ",line=" + std::to_string(n.line) : "")
          << ",title=leakhound::" << github_escape_data(n.message) << "\n";
}

}  // namespace leakhound::report
