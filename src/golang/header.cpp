#include "golang/header.h"

#include <cctype>

namespace leakhound::go {
namespace {

struct Lexer {
  std::string_view s;
  size_t i = 0;
  bool generated = false;
  bool seen_code = false;
  std::string go_build;
  std::vector<std::string> plus_build;

  void constraint(std::string_view line) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    if (line.starts_with("//go:build ") && go_build.empty()) go_build = std::string(line.substr(11));
    else if (line.starts_with("// +build ")) plus_build.emplace_back(line.substr(10));
  }

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
        if (!seen_code) constraint(s.substr(i, e - i));
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

// Three-valued tags: 1 true, 0 false, -1 either.
// (`ignore` stays unknown: such files are programs run with `go run`, worth checking.)
int tag_value(std::string_view tag, int maj, int min) {
  if (tag.starts_with("go1.")) {
    int n = 0;
    bool digits = tag.size() > 4;
    for (char c : tag.substr(4)) {
      if (c < '0' || c > '9') digits = false;
      else if (n < 1000) n = n * 10 + (c - '0');
    }
    if (digits && maj == 1) return n <= min ? 1 : -1;  // newer release tags: the toolchain may be newer
  }
  return -1;
}

int and3(int a, int b) { return a == 0 || b == 0 ? 0 : (a == 1 && b == 1 ? 1 : -1); }
int or3(int a, int b) { return a == 1 || b == 1 ? 1 : (a == 0 && b == 0 ? 0 : -1); }
int not3(int a) { return a < 0 ? -1 : 1 - a; }

// `//go:build` expressions: || && ! ( ) and tags. Malformed input: -1.
struct ExprParser {
  std::string_view s;
  size_t i = 0;
  int maj, min;
  bool bad = false;
  int depth = 0;
  void ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  }
  int expr_or() {
    int v = expr_and();
    for (ws(); !bad && s.substr(i).starts_with("||"); ws()) {
      i += 2;
      v = or3(v, expr_and());
    }
    return v;
  }
  int expr_and() {
    int v = unary();
    for (ws(); !bad && s.substr(i).starts_with("&&"); ws()) {
      i += 2;
      v = and3(v, unary());
    }
    return v;
  }
  int unary() {
    ws();
    if (i >= s.size() || ++depth > 100) {
      bad = true;
      return -1;
    }
    if (s[i] == '!') {
      ++i;
      int v = not3(unary());
      --depth;
      return v;
    }
    if (s[i] == '(') {
      ++i;
      int v = expr_or();
      ws();
      if (i < s.size() && s[i] == ')') ++i;
      else bad = true;
      --depth;
      return v;
    }
    size_t b = i;
    while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_' || s[i] == '.')) ++i;
    --depth;
    if (b == i) {
      bad = true;
      return -1;
    }
    return tag_value(s.substr(b, i - b), maj, min);
  }
};

}  // namespace

bool build_constraint_can_hold(const FileHeader& h, int maj, int min) {
  if (!h.go_build.empty()) {
    ExprParser p{h.go_build, 0, maj, min};
    int v = p.expr_or();
    p.ws();
    if (p.bad || p.i != h.go_build.size()) return true;  // unreadable: assume it may hold
    return v != 0;
  }
  // `// +build a,b c` : lines are ANDed, space-separated options ORed, commas ANDed, `!` negates
  int all = 1;
  for (const auto& line : h.plus_build) {
    int any = 0;
    std::string_view rest = line;
    while (!rest.empty()) {
      size_t sp = rest.find_first_of(" \t");
      std::string_view opt = rest.substr(0, sp);
      rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
      if (opt.empty()) continue;
      int term = 1;
      while (!opt.empty()) {
        size_t c = opt.find(',');
        std::string_view tag = opt.substr(0, c);
        opt = c == std::string_view::npos ? std::string_view() : opt.substr(c + 1);
        bool neg = tag.starts_with('!');
        if (neg) tag.remove_prefix(1);
        int v = tag_value(tag, maj, min);
        term = and3(term, neg ? not3(v) : v);
      }
      any = or3(any, term);
    }
    all = and3(all, any);
  }
  return all != 0;
}

bool is_go_run_program(const FileHeader& h) {
  auto tagged = [](std::string_view line) {
    for (size_t at = line.find("ignore"); at != std::string_view::npos; at = line.find("ignore", at + 6)) {
      bool starts = at == 0 || !(std::isalnum(static_cast<unsigned char>(line[at - 1])) || line[at - 1] == '_' ||
                                 line[at - 1] == '!');
      size_t e = at + 6;
      bool ends = e == line.size() || !(std::isalnum(static_cast<unsigned char>(line[e])) || line[e] == '_');
      if (starts && ends) return true;
    }
    return false;
  };
  if (tagged(h.go_build)) return true;
  for (const auto& l : h.plus_build)
    if (tagged(l)) return true;
  return false;
}

FileHeader scan_header(std::string_view src) {
  FileHeader h;
  if (src.substr(0, 8192).find('\0') != std::string_view::npos) {
    h.binary = true;
    return h;
  }
  if (src.starts_with("\xEF\xBB\xBF")) src.remove_prefix(3);  // a UTF-8 byte-order mark, which gc accepts
  Lexer lx;
  lx.s = src;
  if (!lx.skip()) return h;
  if (lx.ident() != "package") return h;
  lx.seen_code = true;
  h.generated = lx.generated;
  h.go_build = std::move(lx.go_build);
  h.plus_build = std::move(lx.plus_build);
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
