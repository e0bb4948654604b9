// Wording shared by the rules that report the resource engine's leaks: one
// message per leaking path, naming the resource, where it was acquired, where
// it leaks and how to fix it.
#pragma once

#include <string>
#include <string_view>

#include "flow/resources.h"
#include "report/finding.h"

namespace leakhound::rules {

// The expression that names the resource in messages: the variable, or `fallback`.
std::string handle_of(const flow::Leak& leak, std::string_view fallback);

// Fills message, fix and the related "leaking path ends here" location.
// `verb`: what releasing is called ("closed", "stopped", "called").
void describe_leak(const flow::Leak& leak, std::string_view verb, std::string_view fallback_handle,
                   report::Finding& f);

}  // namespace leakhound::rules
