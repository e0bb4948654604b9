#include "rules/rule.h"

namespace leakhound::rules {

const std::vector<const Rule*>& all_rules() {
  static const std::vector<const Rule*> rules = {
      &body_close_rule(),
  };
  return rules;
}

const Rule* find_rule(std::string_view name) {
  for (const Rule* r : all_rules())
    if (r->info().name == name) return r;
  return nullptr;
}

}  // namespace leakhound::rules
