#include "runtime/source.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

namespace leakhound::rt {
namespace {

constexpr size_t kMaxFile = 1ull << 30;  // 1 GB: the pprof handler itself stops at 64 MB

bool read_fd(int fd, std::string& out, size_t cap, const std::string& name, std::string& err) {
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = fmt::format("{}: read failed: {}", name, std::strerror(errno));
      return false;
    }
    if (n == 0) return true;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > cap) {
      err = fmt::format("{}: larger than {} MB, not read", name, cap >> 20);
      return false;
    }
  }
}

struct Body {
  std::string* out;
  size_t cap;
  bool too_big = false;
};

size_t on_data(char* p, size_t size, size_t n, void* user) {
  auto* b = static_cast<Body*>(user);
  size_t len = size * n;
  if (b->out->size() + len > b->cap) {
    b->too_big = true;
    return 0;  // aborts the transfer
  }
  b->out->append(p, len);
  return len;
}

bool fetch(const std::string& url, std::string& out, std::string& err, const FetchOptions& opt) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CURL* c = curl_easy_init();
  if (!c) {
    err = url + ": cannot start an HTTP client";
    return false;
  }
  Body body{&out, opt.max_bytes};
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(opt.connect_timeout * 1000));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(opt.timeout * 1000));
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(opt.max_bytes));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "leakhound");
  CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK) {
    std::string detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    if (body.too_big || rc == CURLE_FILESIZE_EXCEEDED)
      err = fmt::format("{}: the response is larger than {} MB (raise --max-size)", url, opt.max_bytes >> 20);
    else if (rc == CURLE_OPERATION_TIMEDOUT)
      err = fmt::format("{}: timed out ({}; --connect-timeout {:g} s, --timeout {:g} s)", url, detail,
                        opt.connect_timeout, opt.timeout);
    else if (rc == CURLE_COULDNT_CONNECT)
      err = fmt::format("{}: cannot connect ({})", url, detail);
    else
      err = fmt::format("{}: {}", url, detail);
    return false;
  }
  if (status != 200) {
    std::string first = out.substr(0, out.find('\n'));
    if (first.size() > 120) first = first.substr(0, 120) + "...";
    for (char& ch : first)
      if (static_cast<unsigned char>(ch) < 0x20 || static_cast<unsigned char>(ch) >= 0x7f) ch = '?';
    err = fmt::format("{}: HTTP {}{}", url, status, first.empty() ? "" : " (" + first + ")");
    return false;
  }
  return true;
}

}  // namespace

Input::~Input() {
  if (map_) ::munmap(map_, map_len_);
}

bool is_url(std::string_view spec) { return spec.starts_with("http://") || spec.starts_with("https://"); }

bool load_input(const std::string& spec, Input& in, std::string& err, const FetchOptions& opt,
                std::string_view default_path) {
  in.name_ = spec == "-" ? "stdin" : spec;
  if (spec == "-") return in.load_fd(STDIN_FILENO, err);  // a redirected file is mapped too
  if (is_url(spec)) {
    std::string url = spec;
    size_t host = url.find("://") + 3;
    size_t slash = url.find_first_of("/?#", host);
    if (slash == std::string::npos) url += default_path;
    else if (url.compare(slash, std::string::npos, "/") == 0) url = url.substr(0, slash) + std::string(default_path);
    in.name_ = url;
    return fetch(url, in.owned_, err, opt);
  }
  int fd = ::open(spec.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    err = fmt::format("cannot read {}: {}", spec, std::strerror(errno));
    return false;
  }
  bool ok = in.load_fd(fd, err);
  ::close(fd);
  return ok;
}

bool Input::load_fd(int fd, std::string& err) {
  struct stat st {};
  bool known = ::fstat(fd, &st) == 0;
  if (known && S_ISDIR(st.st_mode)) {
    err = fmt::format("{} is a folder, not a profile", name_);
    return false;
  }
  if (known && S_ISREG(st.st_mode) && st.st_size > 0) {
    if (static_cast<uint64_t>(st.st_size) > kMaxFile) {
      err = fmt::format("{}: larger than {} MB, not read", name_, kMaxFile >> 20);
      return false;
    }
    // mapped, not copied: a 64 MB dump costs page-cache pages, not a second copy
    void* m = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (m != MAP_FAILED) {
      map_ = m;
      map_len_ = static_cast<size_t>(st.st_size);
      return true;
    }
  }
  return read_fd(fd, owned_, kMaxFile, name_, err);  // pipes, /proc files, empty files
}

}  // namespace leakhound::rt
