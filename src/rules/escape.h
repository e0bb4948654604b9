// Does a local variable leave its function: returned, stored outside the
// function's locals (field, package variable, map or slice element), put in a
// composite literal, appended or sent on a channel? Shared by the rules that
// stay silent about values kept for later.
#pragma once

#include "golang/ast.h"
#include "golang/resolve.h"

namespace leakhound::rules {

// Searches `root` (function literals included).
bool escapes(const go::Node* root, int var, const go::Resolver& r);

}  // namespace leakhound::rules
