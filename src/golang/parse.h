// Front end: Go source text -> our AST (ast.h), through tree-sitter-go.
#pragma once

#include <memory>
#include <string>

#include "golang/ast.h"

namespace leakhound::go {

struct ParseOptions {
  // A parse that takes longer than this is abandoned (pathological input).
  double timeout_seconds = 20.0;
};

struct ParseResult {
  std::unique_ptr<SourceFile> file;  // null only when the parse was abandoned
  std::string failure;               // why it was abandoned
};

// One parser per thread: not thread-safe, cheap to keep around and reuse.
class Parser {
 public:
  Parser();
  ~Parser();
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  ParseResult parse(std::string path, std::string source, const ParseOptions& opts = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace leakhound::go
