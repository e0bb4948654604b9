// A self-contained HTML page of a goroutine analysis: no scripts or styles from
// elsewhere, so it can be attached to an incident ticket and opened offline.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runtime/goroutines.h"

namespace leakhound::report {

struct HtmlSiteNotes {
  bool suspect = false;
  std::string evidence;             // "weak (one snapshot)", "proven (...)"
  std::vector<std::string> notes;   // e.g. matching static findings
};

// `notes[i]` belongs to `an.sites[i]`.
std::string goroutines_html(std::string_view source, std::string_view form, const rt::Analysis& an,
                            const std::vector<HtmlSiteNotes>& notes, size_t max_ids);

std::string html_escape(std::string_view s);

}  // namespace leakhound::report
