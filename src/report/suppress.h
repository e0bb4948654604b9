// `//leakhound:ignore RULE reason` on the finding's line or the line above
// suppresses that finding. RULE may be a comma-separated list, or `all`.
#pragma once

#include <string_view>

namespace leakhound::report {

bool is_suppressed(std::string_view source, uint32_t line, std::string_view rule);

}  // namespace leakhound::report
