#include "rules/rule.h"

namespace leakhound::rules {

const std::vector<const Rule*>& all_rules() {
  static const std::vector<const Rule*> rules = {
      &body_close_rule(),        &conn_close_rule(),   &sql_close_rule(),          &file_close_rule(),
      &lost_cancel_rule(),       &ticker_stop_rule(),  &defer_in_loop_rule(),      &body_drain_rule(),
      &transport_per_call_rule(), &sql_open_per_call_rule(), &resource_field_rule(),
      &client_timeout_rule(),    &server_timeout_rule(), &dial_timeout_rule(),     &conn_deadline_rule(),
      &request_context_rule(),   &context_detached_rule(),
      &goroutine_send_leak_rule(), &goroutine_recv_leak_rule(), &goroutine_no_exit_rule(), &time_after_loop_rule(),
      &lock_leak_rule(),         &waitgroup_leak_rule(),
  };
  return rules;
}

report::Finding finding_at(const Rule& rule, const LeakSite& site, const go::Node* at) {
  report::Finding f;
  f.rule = std::string(rule.info().name);
  f.file = site.file ? site.file->path : "";
  f.line = at ? at->line : 0;
  f.col = at ? at->col : 0;
  f.severity = rule.info().severity;
  return f;
}

bool main_like(const LeakSite& s) {
  std::string_view f = s.function;
  if (f.starts_with("func literal in ")) f.remove_prefix(16);
  return s.in_main || s.run_once || f == "main" || f == "init";
}

const Rule* find_rule(std::string_view name) {
  for (const Rule* r : all_rules())
    if (r->info().name == name) return r;
  return nullptr;
}

}  // namespace leakhound::rules
