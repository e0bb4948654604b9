#include "rules/leak_text.h"

#include <fmt/format.h>

namespace leakhound::rules {

std::string handle_of(const flow::Leak& leak, std::string_view fallback) {
  return leak.var_name.empty() ? std::string(fallback) : leak.var_name;
}

namespace {
std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}
}  // namespace

void describe_leak(const flow::Leak& leak, std::string_view verb, std::string_view fallback_handle,
                   report::Finding& f) {
  const auto& a = leak.acq;
  const auto& type = *a.type;
  uint32_t at = a.call ? a.call->line : 0;
  std::string h = handle_of(leak, fallback_handle);
  std::string what = fmt::format("{} `{}` from {} (line {})", type.noun, h, a.via, at);
  std::string fix = replace_all(type.fix, "{h}", h);
  std::string other = leak.released_elsewhere ? fmt::format(" (it is {} only on other paths)", verb) : "";
  switch (leak.path) {
    case flow::Leak::Path::Return:
      f.message = fmt::format("{} is not {} when the function returns at line {}{}", what, verb, leak.line, other);
      f.fix = leak.released_elsewhere ? fmt::format("{} (before line {})", fix, leak.line) : fix;
      break;
    case flow::Leak::Path::EndOfFunction:
      f.message = fmt::format("{} is not {} when the function ends at line {}{}", what, verb, leak.line, other);
      f.fix = fix;
      break;
    case flow::Leak::Path::Overwritten:
      if (leak.line == at)
        f.message = fmt::format("{} is not {} before the next loop iteration acquires a new one", what, verb);
      else
        f.message = fmt::format("{} is not {} before `{}` is overwritten at line {}", what, verb, h, leak.line);
      f.fix = fmt::format("release the previous one before reassigning: {}", fix);
      break;
    case flow::Leak::Path::HandleReplaced:
      f.message = fmt::format("{} is replaced at line {} before it is {}", what, leak.line, verb);
      f.fix = fix;
      break;
    case flow::Leak::Path::DiscardedBlank:
      f.message = fmt::format("the {} from {} is discarded with `_`: it can never be {}", type.noun, a.via, verb);
      f.fix = fmt::format("assign it to a variable and {}", fix);
      break;
    case flow::Leak::Path::DiscardedUnused:
      f.message = fmt::format("the {} from {} is never used: it can never be {}", type.noun, a.via, verb);
      f.fix = fmt::format("assign it to a variable and {}", fix);
      break;
  }
  f.related.push_back({std::string(), leak.line, 0, "leaking path ends here"});
}

}  // namespace leakhound::rules
