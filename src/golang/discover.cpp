#include "golang/discover.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace leakhound::go {
namespace fs = std::filesystem;

namespace {

bool skipped_dir(const std::string& name) {
  return name == "vendor" || name == "testdata" || name.starts_with('.') || name.starts_with('_');
}

bool go_file_name(const std::string& name) {
  return name.size() > 3 && name.ends_with(".go") && !name.starts_with('.') && !name.starts_with('_');
}

void take_file(const fs::path& p, const DiscoverOptions& opts, DiscoverResult& r) {
  std::error_code ec;
  auto st = fs::status(p, ec);
  if (ec) {
    r.notices.push_back({p.string(), 0, "skipped: " + ec.message()});
    return;
  }
  if (!fs::is_regular_file(st)) return;
  if (!opts.include_tests && p.filename().string().ends_with("_test.go")) return;
  auto size = fs::file_size(p, ec);
  if (ec) {
    r.notices.push_back({p.string(), 0, "skipped: " + ec.message()});
    return;
  }
  if (size > opts.max_file_bytes) {
    r.notices.push_back({p.string(), 0,
                         "skipped: " + std::to_string(size / (1024 * 1024)) + " MB is over the " +
                             std::to_string(opts.max_file_bytes / (1024 * 1024)) + " MB limit"});
    return;
  }
  r.files.push_back(p.lexically_normal().string());
}

void walk_dir(const fs::path& root, const DiscoverOptions& opts, DiscoverResult& r) {
  std::vector<fs::path> stack{root};
  while (!stack.empty()) {
    fs::path dir = stack.back();
    stack.pop_back();
    std::error_code ec;
    fs::directory_iterator it(dir, fs::directory_options::none, ec);
    if (ec) {
      r.notices.push_back({dir.string(), 0, "skipped folder: " + ec.message()});
      continue;
    }
    std::vector<fs::path> subdirs;
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      if (ec) {
        r.notices.push_back({dir.string(), 0, "stopped reading folder: " + ec.message()});
        break;
      }
      const auto& entry = *it;
      std::string name = entry.path().filename().string();
      std::error_code sec;
      bool is_link = entry.is_symlink(sec);
      if (entry.is_directory(sec) && !is_link) {
        if (!skipped_dir(name)) subdirs.push_back(entry.path());
        continue;
      }
      if (is_link) {
        std::error_code lec;
        auto st = fs::status(entry.path(), lec);
        if (lec) {
          if (go_file_name(name)) r.notices.push_back({entry.path().string(), 0, "skipped: " + lec.message()});
          continue;
        }
        if (fs::is_directory(st)) continue;  // symlinked folders are not followed
      }
      if (go_file_name(name)) take_file(entry.path(), opts, r);
    }
    std::sort(subdirs.rbegin(), subdirs.rend());
    for (auto& d : subdirs) stack.push_back(d);
  }
}

}  // namespace

DiscoverResult discover(const std::vector<std::string>& roots_in, const DiscoverOptions& opts) {
  DiscoverResult r;
  std::vector<std::string> roots = roots_in;
  if (roots.empty()) roots.push_back(".");
  for (std::string root : roots) {
    if (root == "...") root = ".";
    if (root.ends_with("/...")) root = root.substr(0, root.size() - 4);
    if (root.empty()) root = "/";
    fs::path p(root);
    std::error_code ec;
    auto st = fs::status(p, ec);
    if (ec || !fs::exists(st)) {
      r.errors.push_back(root + ": " + (ec ? ec.message() : std::string("no such file or directory")));
      continue;
    }
    if (fs::is_directory(st)) {
      walk_dir(p, opts, r);
    } else if (fs::is_regular_file(st)) {
      take_file(p, opts, r);
    } else {
      r.errors.push_back(root + ": not a file or folder");
    }
  }
  std::sort(r.files.begin(), r.files.end());
  r.files.erase(std::unique(r.files.begin(), r.files.end()), r.files.end());
  return r;
}

bool read_file(const std::string& path, std::string& out, std::string& error) {
  return read_file_prefix(path, 0, out, error);
}

bool read_file_prefix(const std::string& path, size_t limit, std::string& out, std::string& error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0)
    out.reserve(limit ? std::min(limit, static_cast<size_t>(st.st_size)) : static_cast<size_t>(st.st_size));
  out.clear();
  char buf[65536];
  for (;;) {
    size_t want = sizeof buf;
    if (limit) {
      if (out.size() >= limit) break;
      want = std::min(want, limit - out.size());
    }
    ssize_t n = ::read(fd, buf, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = std::strerror(errno);
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return true;
}

}  // namespace leakhound::go
