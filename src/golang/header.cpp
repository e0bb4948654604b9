#include "golang/header.h"

#include <cctype>

namespace leakhound::go {
namespace {

struct Lexer {
  std::string_view s;
  size_t i = 0;
  bool generated = false;
  bool seen_code = false;

  static bool is_generated_comment(std::string_view line) {
    // Go's convention: ^// Code generated .* DO NOT EDIT\.$
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    return line.starts_with("// Code generated ") && line.ends_with(" DO NOT EDIT.");
  }

  // Skips spaces and comments; returns false at end.
  bool skip() {
    while (i < s.size()) {
      char c = s[i];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';') {
        ++i;
      } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '/') {
        size_t e = s.find('\n', i);
        if (e == std::string_view::npos) e = s.size();
        if (!seen_code && is_generated_comment(s.substr(i, e - i))) generated = true;
        i = e;
      } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
        size_t e = s.find("*/", i + 2);
        i = e == std::string_view::npos ? s.size() : e + 2;
      } else {
        return true;
      }
    }
    return false;
  }

  std::string_view ident() {
    size_t b = i;
    while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_' ||
                            static_cast<unsigned char>(s[i]) >= 0x80))
      ++i;
    return s.substr(b, i - b);
  }

  bool string_lit(std::string& out) {
    if (i >= s.size()) return false;
    char q = s[i];
    if (q != '"' && q != '`') return false;
    size_t e = s.find(q, i + 1);
    if (q == '"') {
      size_t nl = s.find('\n', i + 1);
      if (e == std::string_view::npos || (nl != std::string_view::npos && nl < e)) return false;
    }
    if (e == std::string_view::npos) return false;
    out = std::string(s.substr(i + 1, e - i - 1));
    i = e + 1;
    return true;
  }

  // One import spec: [name | . | _] "path"
  bool import_spec(std::vector<std::string>& out) {
    if (!skip()) return false;
    if (s[i] == '.' ) ++i;
    else if (std::isalpha(static_cast<unsigned char>(s[i])) || s[i] == '_') ident();
    if (!skip()) return false;
    std::string path;
    if (!string_lit(path)) return false;
    out.push_back(std::move(path));
    return true;
  }
};

}  // namespace

FileHeader scan_header(std::string_view src) {
  FileHeader h;
  if (src.substr(0, 8192).find('\0') != std::string_view::npos) {
    h.binary = true;
    return h;
  }
  if (src.starts_with("\xEF\xBB\xBF")) src.remove_prefix(3);  // a UTF-8 byte-order mark, which gc accepts
  Lexer lx{src};
  if (!lx.skip()) return h;
  if (lx.ident() != "package") return h;
  lx.seen_code = true;
  h.generated = lx.generated;
  if (!lx.skip()) return h;
  h.package_name = std::string(lx.ident());
  for (;;) {
    if (!lx.skip()) break;
    size_t save = lx.i;
    if (lx.ident() != "import") {
      lx.i = save;
      h.complete = true;
      break;
    }
    if (!lx.skip()) break;
    if (src[lx.i] == '(') {
      ++lx.i;
      for (;;) {
        if (!lx.skip()) return h;
        if (src[lx.i] == ')') {
          ++lx.i;
          break;
        }
        if (!lx.import_spec(h.imports)) return h;
      }
    } else if (!lx.import_spec(h.imports)) {
      break;
    }
  }
  return h;
}

}  // namespace leakhound::go
