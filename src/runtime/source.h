// Where profiles come from: a file (mapped, not copied), stdin, or an http(s)
// pprof endpoint fetched with libcurl under connect and total timeouts and a
// size cap.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace leakhound::rt {

struct FetchOptions {
  double connect_timeout = 5;    // seconds to establish the connection
  double timeout = 60;           // seconds for the whole transfer (debug=2 dumps stop the world: be patient)
  size_t max_bytes = 256u << 20; // a response larger than this is refused
};

// The bytes of one input, kept alive as long as the parsed dump views them.
class Input {
 public:
  Input() = default;
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;
  ~Input();
  std::string_view data() const { return map_ ? std::string_view(static_cast<const char*>(map_), map_len_) : owned_; }
  const std::string& name() const { return name_; }  // for messages: the path, "stdin" or the URL

 private:
  friend bool load_input(const std::string&, Input&, std::string&, const FetchOptions&, std::string_view);
  bool load_fd(int fd, std::string& err);  // maps a regular file, reads anything else
  std::string owned_;
  void* map_ = nullptr;
  size_t map_len_ = 0;
  std::string name_;
};

bool is_url(std::string_view spec);

// Reads `spec`: "-" (stdin), an http:// or https:// URL, or a file. A URL with
// no path (http://host:6060) gets `default_path` ("/debug/pprof/goroutine?debug=2").
// On failure returns false and sets `err` to a message naming the input.
bool load_input(const std::string& spec, Input& in, std::string& err, const FetchOptions& opt = {},
                std::string_view default_path = "/debug/pprof/goroutine?debug=2");

}  // namespace leakhound::rt
