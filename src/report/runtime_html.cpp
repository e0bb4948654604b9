#include "report/runtime_html.h"

#include <fmt/format.h>

namespace leakhound::report {

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // control bytes (binary garbage in a dump) would make the page invalid
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t') out += "&#xFFFD;";
        else out += c;
    }
  }
  return out;
}

namespace {

std::string loc(const rt::Frame& f) {
  return f.file.empty() ? std::string("?") : fmt::format("{}:{}", html_escape(f.file), f.line);
}

std::string minutes(const rt::Site& s) {
  if (s.max_minutes < 0) return "under 1 min";
  if (s.min_minutes == s.max_minutes) return fmt::format("{} min", s.max_minutes);
  return fmt::format("{}&ndash;{} min", s.min_minutes, s.max_minutes);
}

}  // namespace

std::string goroutines_html(std::string_view source, std::string_view form, const rt::Analysis& an,
                            const std::vector<HtmlSiteNotes>& notes, size_t max_ids) {
  size_t suspects = 0;
  for (const auto& n : notes) suspects += n.suspect;
  std::string h;
  auto out = std::back_inserter(h);
  fmt::format_to(out,
                 "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                 "<title>leakhound: goroutines of {}</title>\n<style>\n"
                 "body{{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}}\n"
                 "h1{{font-size:1.3em}} .meta{{color:#555}}\n"
                 "details{{border:1px solid #ddd;border-radius:4px;margin:.5em 0;padding:.3em .6em}}\n"
                 "details.suspect{{border-left:5px solid #c0392b}} details.expected{{opacity:.7}}\n"
                 "summary{{cursor:pointer}} .count{{font-weight:bold}} .state{{color:#8e44ad}}\n"
                 "code,pre{{font:12px/1.4 ui-monospace,monospace}} pre{{background:#f7f7f7;padding:.5em;overflow:auto}}\n"
                 ".std{{color:#888}} .why{{color:#444}} .note{{color:#a04000}} .ids{{color:#666;word-break:break-all}}\n"
                 "</style></head><body>\n"
                 "<h1>Goroutines of <code>{}</code></h1>\n"
                 "<p class=\"meta\">{} &middot; {} goroutines in {} sites &middot; {} suspect sites &middot; "
                 "{} goroutines on known long-lived sites set aside</p>\n",
                 html_escape(source), html_escape(source), html_escape(form), an.total, an.sites.size(), suspects,
                 an.set_aside);
  for (size_t i = 0; i < an.sites.size(); ++i) {
    const rt::Site& s = an.sites[i];
    const HtmlSiteNotes* n = i < notes.size() ? &notes[i] : nullptr;
    bool suspect = n && n->suspect;
    fmt::format_to(out,
                   "<details class=\"{}\"{}><summary><span class=\"count\">{}&times;</span> <code>{}</code> "
                   "<span class=\"state\">[{}, {}]</span> <code>{}</code></summary>\n",
                   suspect ? "suspect" : s.known_long_lived ? "expected" : "other", suspect ? " open" : "", s.count,
                   html_escape(s.top.func), html_escape(s.state), minutes(s), loc(s.top));
    fmt::format_to(out, "<p class=\"why\">{}{}</p>\n",
                   html_escape(s.why.empty() ? "known long-lived goroutine" : s.why),
                   n && !n->evidence.empty() ? " &middot; evidence: " + html_escape(n->evidence) : "");
    if (!s.created_by.empty())
      fmt::format_to(out, "<p>created by <code>{}</code> at <code>{}</code></p>\n", html_escape(s.created_by),
                     loc(s.created_at));
    h += "<pre>";
    for (const rt::Frame& f : s.stack) {
      bool std_frame = rt::is_stdlib_frame(f);
      fmt::format_to(out, "{}{}\n    {}{}\n", std_frame ? "<span class=\"std\">" : "", html_escape(f.func), loc(f),
                     std_frame ? "</span>" : "");
    }
    h += "</pre>\n";
    if (n)
      for (const auto& note : n->notes) fmt::format_to(out, "<p class=\"note\">{}</p>\n", html_escape(note));
    if (!s.ids.empty()) {
      h += "<p class=\"ids\">goroutines: ";
      for (size_t k = 0; k < s.ids.size() && k < max_ids; ++k) fmt::format_to(out, "{}{}", k ? " " : "", s.ids[k]);
      if (s.ids.size() > max_ids) fmt::format_to(out, " (+{} more)", s.count - max_ids);
      h += "</p>\n";
    }
    h += "</details>\n";
  }
  h += "</body></html>\n";
  return h;
}

}  // namespace leakhound::report
