// The runtime tools end to end on profiles a real Go program writes about itself
// (tests/runtime/dumpgen, built once per run with the system's Go toolchain):
// heap profiles in both forms, `diff` of snapshots in every form with
// --write-pprof checked by `go tool pprof`, pprof endpoints over loopback
// (and the ways fetching them fails), a `go test -timeout` panic, --source and
// --html. Plus the parts that need no Go: heap text variants, scaling, the
// goroutineleak profile, the long-lived list.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <set>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "runtime/diff.h"
#include "runtime/heap.h"
#include "runtime/pprof.h"
#include "test_util.h"

using namespace leakhound;
using leakhound::testing::run_cli;
using leakhound::testing::TempDir;
namespace fs = std::filesystem;

namespace {

const std::string kSrc = std::string(LEAKHOUND_SOURCE_DIR) + "/tests/runtime/dumpgen";

bool have_go() { return std::system("go version >/dev/null 2>&1") == 0; }

// The test program, built once.
const std::string& dumpgen() {
  static TempDir dir;
  static std::string bin = [] {
    std::string out = (dir.path / "dumpgen").string();
    std::string cmd = "cd " + kSrc + " && GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local go build -o " + out +
                      " . >" + (dir.path / "build.log").string() + " 2>&1";
    return std::system(cmd.c_str()) == 0 ? out : std::string();
  }();
  return bin;
}

// The line of the program's source marked `// MARK: what` (MARK is LEAK or ALLOC).
unsigned marked(const std::string& file, const std::string& mark) {
  std::ifstream in(kSrc + "/" + file);
  std::string line;
  for (unsigned n = 1; std::getline(in, line); ++n)
    if (line.find("// " + mark) != std::string::npos) return n;
  return 0;
}

nlohmann::json find_site(const nlohmann::json& sites, unsigned line, const std::string& file = "dumpgen/main.go") {
  for (const auto& s : sites)
    if (s["line"] == line && s["file"].get<std::string>().ends_with(file)) return s;
  return nullptr;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

template <typename F>
void for_each_line_in(const std::string& text, F&& f) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t e = text.find('\n', pos);
    if (e == std::string::npos) e = text.size();
    f(text.substr(pos, e - pos));
    pos = e + 1;
  }
}

#define NEED_GO()                                                      \
  do {                                                                 \
    if (!have_go()) GTEST_SKIP() << "go not installed";                \
    ASSERT_FALSE(dumpgen().empty()) << "building tests/runtime/dumpgen failed"; \
  } while (0)

// `dumpgen serve`: net/http/pprof on a loopback port; stops when its stdin closes.
class Server {
 public:
  Server() {
    int in[2];
    if (pipe(in) != 0) return;
    out_ = dir_.path / "addr.txt";
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], 0);
      close(in[1]);
      FILE* f = freopen(out_.c_str(), "w", stdout);
      (void)f;
      execl(dumpgen().c_str(), "dumpgen", "serve", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(in[0]);
    stdin_ = in[1];
    for (int i = 0; i < 200 && addr_.empty(); ++i) {  // up to 20 s (the program leaks for 200 ms first)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      std::string s = slurp(out_);
      if (s.find('\n') != std::string::npos) addr_ = s.substr(0, s.find('\n'));
    }
  }
  ~Server() {
    if (stdin_ >= 0) close(stdin_);
    if (pid_ > 0) {
      for (int i = 0; i < 50; ++i) {
        if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  const std::string& addr() const { return addr_; }

 private:
  TempDir dir_;
  fs::path out_;
  pid_t pid_ = -1;
  int stdin_ = -1;
  std::string addr_;
};

// A plain HTTP/1.0 GET over a socket (the test's own client, not the one under test).
std::string http_get(const std::string& addr, const std::string& path) {
  auto colon = addr.rfind(':');
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(std::stoi(addr.substr(colon + 1))));
  inet_pton(AF_INET, addr.substr(0, colon).c_str(), &sa.sin_addr);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    close(fd);
    return {};
  }
  std::string req = "GET " + path + " HTTP/1.0\r\nHost: " + addr + "\r\n\r\n";
  if (write(fd, req.data(), req.size()) < 0) {
    close(fd);
    return {};
  }
  std::string resp;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) resp.append(buf, static_cast<size_t>(n));
  close(fd);
  auto body = resp.find("\r\n\r\n");
  return body == std::string::npos ? std::string() : resp.substr(body + 4);
}

// A loopback port that accepts connections and never answers.
class StallServer {
 public:
  StallServer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    socklen_t len = sizeof sa;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
    listen(fd_, 4);  // the kernel completes the handshake; nobody ever reads or writes
  }
  ~StallServer() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace

TEST(HeapProfile, ScalingMatchesTheRuntimesFormula) {
  // rate <= 1: every allocation was recorded
  EXPECT_EQ(rt::scale_heap_sample(3, 300, 1), std::make_pair(int64_t{3}, int64_t{300}));
  EXPECT_EQ(rt::scale_heap_sample(0, 300, 512), std::make_pair(int64_t{0}, int64_t{0}));
  // one 1 kB sample at the default 512 kB rate stands for 1/(1-exp(-1/512)) = 512.50016 allocations
  auto [n, b] = rt::scale_heap_sample(1, 1024, 512 * 1024);
  EXPECT_EQ(n, 512);
  EXPECT_EQ(b, 524800);  // 1024 x 512.50016
  // allocations far above the rate are always sampled: no scaling
  auto [n2, b2] = rt::scale_heap_sample(8, 8 << 20, 64 * 1024);
  EXPECT_EQ(n2, 8);
  EXPECT_EQ(b2, 8 << 20);
}

TEST(HeapProfile, TextVariants) {
  // written for this test: CRLF, a record without alloc counts, garbage, a truncated last record, no MemStats
  const char* text =
      "heap profile: 3: 3072 [5: 5120] @ heap/2\r\n"
      "2: 2048 [4: 4096] @ 0x1 0x2\r\n"
      "#\t0x4a1\tmain.keep+0x21\t/app/keep.go:12\r\n"
      "#\t0x4a2\tmain.main+0x9\t/app/main.go:5\r\n"
      "\r\n"
      "garbage here\n"
      "1: 1024 @ 0x3\n"
      "#\t0x4a3\truntime.malg+0x1\t/go/src/runtime/proc.go:4076\n"
      "\n"
      "7: 70 [7: 70] @ 0x9\n";
  ASSERT_TRUE(rt::looks_like_heap_text(text));
  auto h = rt::parse_heap_text(text);
  EXPECT_EQ(h.rate, 1);
  ASSERT_EQ(h.records.size(), 3u);
  EXPECT_EQ(h.records[0].inuse_bytes, 2048);
  EXPECT_EQ(h.records[0].alloc_objects, 4);
  ASSERT_EQ(h.records[0].stack.size(), 2u);
  EXPECT_EQ(h.records[0].stack[0].func, "main.keep");
  EXPECT_EQ(h.records[0].stack[0].line, 12u);
  EXPECT_EQ(h.records[1].alloc_bytes, 0);  // not given
  EXPECT_TRUE(h.truncated);
  EXPECT_EQ(h.skipped_lines, 1u);
  auto sites = rt::heap_sites(h);
  ASSERT_EQ(sites.size(), 3u);
  EXPECT_EQ(sites[0].top.func, "main.keep");  // largest in use first
  EXPECT_EQ(sites[1].top.func, "runtime.malg");  // goroutine stacks are charged to malg
  // the runtime's statistics after the records end the profile
  auto h2 = rt::parse_heap_text("heap profile: 1: 8 [1: 8] @ heap/1048576\n1: 8 [1: 8] @ 0x1\n#\t0x1\tmain.a+0x1\t/a.go:1\n\n"
                                "# runtime.MemStats\n# Alloc = 1\n1: 2 @ 0x2\n");
  EXPECT_EQ(h2.rate, 524288);
  EXPECT_EQ(h2.records.size(), 1u);
  EXPECT_FALSE(h2.truncated);
  EXPECT_EQ(h2.records[0].inuse_objects, rt::scale_heap_sample(1, 8, 524288).first);
}

TEST(HeapProfile, RealProgramBothForms) {
  NEED_GO();
  TempDir t;
  ASSERT_EQ(std::system((dumpgen() + " heap " + t.path.string() + " >/dev/null").c_str()), 0);
  const unsigned big = marked("main.go", "ALLOC: big"), small = marked("main.go", "ALLOC: small");
  ASSERT_TRUE(big && small);
  nlohmann::json forms[2];
  int i = 0;
  for (const char* f : {"heap.pb.gz", "heap.txt"}) {
    auto r = run_cli("goroutines --format json --top 1000 " + (t.path / f).string());
    ASSERT_EQ(r.code, 0) << f << ": " << r.err;  // one heap snapshot judges nothing
    forms[i] = nlohmann::json::parse(r.out);
    EXPECT_EQ(forms[i]["kind"], "heap");
    EXPECT_EQ(forms[i]["sampling_rate"], 64 * 1024);
    auto b = find_site(forms[i]["sites"], big), s = find_site(forms[i]["sites"], small);
    ASSERT_FALSE(b.is_null()) << f;
    ASSERT_FALSE(s.is_null()) << f;
    // 8 buffers of 1 MB, each far above the sampling rate: exact
    EXPECT_EQ(b["inuse_objects"], 8) << f;
    EXPECT_EQ(b["inuse_bytes"], 8 << 20) << f;
    // 200,000 objects of 128 bytes, about one in 500 sampled: the scaled estimate is near
    double objs = s["inuse_objects"].get<double>();
    EXPECT_NEAR(objs, 200000, 200000 * 0.3) << f;
    EXPECT_NEAR(s["inuse_bytes"].get<double>(), objs * 128, objs * 128 * 0.01) << f;
    ++i;
  }
  // the text form scaled by leakhound agrees with the protobuf form scaled by the runtime
  auto sp = find_site(forms[0]["sites"], small), st = find_site(forms[1]["sites"], small);
  EXPECT_NEAR(sp["inuse_bytes"].get<double>(), st["inuse_bytes"].get<double>(), sp["inuse_bytes"].get<double>() * 0.01);
  EXPECT_NEAR(forms[0]["inuse_bytes"].get<double>(), forms[1]["inuse_bytes"].get<double>(),
              forms[0]["inuse_bytes"].get<double>() * 0.01);
  // text output names the site; --heap on a goroutine profile is an error
  auto text = run_cli("goroutines " + (t.path / "heap.txt").string());
  EXPECT_NE(text.out.find("main.retainBig"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("8.0 MB"), std::string::npos) << text.out;
  auto dump = t.write("g.txt", "goroutine 1 [running]:\nmain.main()\n\t/a.go:1 +0x1\n");
  auto wrong = run_cli("goroutines --heap " + dump.string());
  EXPECT_EQ(wrong.code, 2);
  EXPECT_NE(wrong.err.find("not a heap profile"), std::string::npos) << wrong.err;
}

TEST(Diff, SnapshotsInEveryForm) {
  NEED_GO();
  TempDir t;
  ASSERT_EQ(std::system((dumpgen() + " snapshots " + t.path.string() + " >/dev/null").c_str()), 0);
  const unsigned more = marked("main.go", "LEAK: more"), recv = marked("main.go", "LEAK: receive");
  ASSERT_TRUE(more && recv);
  auto p = [&](const char* f) { return (t.path / f).string(); };
  // full -> full, grouped -> grouped, protobuf -> protobuf, and mixed forms
  for (auto [b, a] : {std::pair{"before.txt", "after.txt"}, {"before1.txt", "after1.txt"},
                      {"before.pb.gz", "after.pb.gz"}, {"before.txt", "after.pb.gz"}}) {
    auto r = run_cli(std::string("diff --format json ") + p(b) + " " + p(a));
    ASSERT_EQ(r.code, 1) << b << " " << a << ": " << r.err;  // a site grew
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["total_after"].get<int>() - j["total_before"].get<int>(), 25) << b;
    auto s = find_site(j["sites"], more);
    ASSERT_FALSE(s.is_null()) << b << " " << a << "\n" << r.out;
    EXPECT_EQ(s["before"], 0);
    EXPECT_EQ(s["after"], 25);
    EXPECT_EQ(s["change"], "NEW");
    EXPECT_TRUE(s["growing"].get<bool>());
    EXPECT_TRUE(find_site(j["sites"], recv).is_null()) << "unchanged sites are not listed";
    EXPECT_EQ(j["growing_sites"], 1) << r.out;
  }
  // a threshold above the growth: exit 0
  EXPECT_EQ(run_cli("diff --min-growth 26 " + p("before.txt") + " " + p("after.txt")).code, 0);
  // the same snapshot twice: nothing changed
  auto same = run_cli("diff " + p("after.txt") + " " + p("after.txt"));
  EXPECT_EQ(same.code, 0) << same.out;
  // goroutines against heap: refused
  auto mixed = run_cli("diff " + p("before.txt") + " " + p("heap-after.txt"));
  EXPECT_EQ(mixed.code, 2);
  EXPECT_NE(mixed.err.find("cannot compare"), std::string::npos) << mixed.err;

  // heap: the 16 MB retained between the snapshots, protobuf and text forms mixed
  const unsigned retain = marked("main.go", "ALLOC: more");
  auto h = run_cli("diff --format json " + p("heap-before.pb.gz") + " " + p("heap-after.txt"));
  ASSERT_EQ(h.code, 1) << h.err;
  auto hj = nlohmann::json::parse(h.out);
  auto hs = find_site(hj["sites"], retain);
  ASSERT_FALSE(hs.is_null()) << h.out;
  EXPECT_NEAR(hs["growth_bytes"].get<double>(), 16 << 20, 2);  // scaled by 1/(1-exp(-16)): a byte over
  EXPECT_EQ(hs["growth_objects"], 16);
  EXPECT_EQ(hs["change"], "NEW");
  EXPECT_EQ(hj["sites"][0]["line"], retain);  // the largest growth first
  EXPECT_EQ(run_cli("diff --min-bytes 17 " + p("heap-before.txt") + " " + p("heap-after.txt")).code, 0);
}

TEST(Diff, WritePprofOpensInGoToolPprof) {
  NEED_GO();
  TempDir t;
  ASSERT_EQ(std::system((dumpgen() + " snapshots " + t.path.string() + " >/dev/null").c_str()), 0);
  auto p = [&](const char* f) { return (t.path / f).string(); };
  const unsigned more = marked("main.go", "LEAK: more");
  // goroutines: our own decoder reads the difference back
  ASSERT_EQ(run_cli("diff --write-pprof " + p("g.pb.gz") + " " + p("before.txt") + " " + p("after.txt")).code, 1);
  std::string raw, err;
  ASSERT_TRUE(rt::gunzip(slurp(p("g.pb.gz")), raw, 1 << 26, err)) << err;
  rt::Profile prof;
  ASSERT_TRUE(rt::decode_profile(raw, prof, err)) << err;
  auto dump = rt::goroutines_from_profile(prof);
  int64_t at_more = 0, total = 0;
  for (size_t i = 0; i < prof.samples.size(); ++i) {
    total += prof.samples[i].values.at(0);
    for (const auto& f : dump.goroutines[i].frames)
      if (f.line == more && f.file.ends_with("dumpgen/main.go")) at_more += prof.samples[i].values.at(0);
  }
  EXPECT_EQ(at_more, 25);
  EXPECT_EQ(total, 25);  // every other stack cancels out
  // and go tool pprof opens it
  std::string cmd = "go tool pprof -top " + p("g.pb.gz") + " >" + p("top.txt") + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << slurp(p("top.txt"));
  std::string top = slurp(p("top.txt"));
  EXPECT_NE(top.find("main.leakMore.func1"), std::string::npos) << top;
  EXPECT_NE(top.find("Type: goroutine"), std::string::npos) << top;

  // heap: in-use growth by stack
  ASSERT_EQ(run_cli("diff --write-pprof " + p("h.pb.gz") + " " + p("heap-before.pb.gz") + " " + p("heap-after.pb.gz")).code, 1);
  cmd = "go tool pprof -top -sample_index=inuse_space " + p("h.pb.gz") + " >" + p("htop.txt") + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << slurp(p("htop.txt"));
  std::string htop = slurp(p("htop.txt"));
  EXPECT_NE(htop.find("16MB"), std::string::npos) << htop;
  EXPECT_NE(htop.find("main.retainMore"), std::string::npos) << htop;
  EXPECT_NE(htop.find("Type: inuse_space"), std::string::npos) << htop;
}

TEST(PprofEndpoint, FetchesEveryFormOverLoopback) {
  NEED_GO();
  Server srv;
  ASSERT_FALSE(srv.addr().empty()) << "dumpgen serve did not start";
  const std::string base = "http://" + srv.addr();
  const unsigned recv = marked("main.go", "LEAK: receive"), more = marked("main.go", "LEAK: more");
  // no path: the full dump (debug=2)
  for (const std::string& url : {base, base + "/", base + "/debug/pprof/goroutine?debug=1", base + "/debug/pprof/goroutine"}) {
    auto r = run_cli("goroutines --format json '" + url + "'");
    ASSERT_EQ(r.code, 1) << url << ": " << r.err;
    auto j = nlohmann::json::parse(r.out);
    auto s = find_site(j["sites"], recv);
    ASSERT_FALSE(s.is_null()) << url;
    EXPECT_EQ(s["count"], 7) << url;
  }
  auto full = nlohmann::json::parse(run_cli("goroutines --format json " + base).out);
  EXPECT_EQ(full["form"], "full goroutine dump (debug=2)");
  EXPECT_EQ(full["source"], base + "/debug/pprof/goroutine?debug=2");
  // --heap: /debug/pprof/heap
  auto h = run_cli("goroutines --heap --format json " + base);
  ASSERT_EQ(h.code, 0) << h.err;
  EXPECT_EQ(nlohmann::json::parse(h.out)["kind"], "heap");
  // diff a saved snapshot against the live endpoint after more leaks
  TempDir t;
  auto before = t.write("before.txt", http_get(srv.addr(), "/debug/pprof/goroutine?debug=2"));
  EXPECT_NE(http_get(srv.addr(), "/leak?n=30").find("leaked 30"), std::string::npos);
  auto d = run_cli("diff --format json " + before.string() + " " + base);
  ASSERT_EQ(d.code, 1) << d.err;
  auto dj = nlohmann::json::parse(d.out);
  auto grown = find_site(dj["sites"], more);
  ASSERT_FALSE(grown.is_null()) << d.out;
  EXPECT_EQ(grown["growth"], 30);

  // failures are clear errors (exit 2), never a hang
  auto notfound = run_cli("goroutines " + base + "/no/such/profile");
  EXPECT_EQ(notfound.code, 2);
  EXPECT_NE(notfound.err.find("HTTP 404"), std::string::npos) << notfound.err;
  auto index = run_cli("goroutines " + base + "/debug/pprof/");
  EXPECT_EQ(index.code, 2);
  EXPECT_NE(index.err.find("HTML page"), std::string::npos) << index.err;
  auto big = run_cli("goroutines --max-size 0.001 " + base);
  EXPECT_EQ(big.code, 2);
  EXPECT_NE(big.err.find("larger than"), std::string::npos) << big.err;
  auto text = run_cli("goroutines " + base + "/leak?n=0");  // 200, but not a profile
  EXPECT_EQ(text.code, 2);
  EXPECT_NE(text.err.find("not a goroutine dump"), std::string::npos) << text.err;
}

TEST(PprofEndpoint, RefusedAndStalledEndpoints) {
  // a port nobody listens on: bind one, learn its number, close it
  int port;
  {
    StallServer s;
    port = s.port();
  }
  auto refused = run_cli("goroutines http://127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(refused.code, 2);
  EXPECT_NE(refused.err.find("cannot connect"), std::string::npos) << refused.err;
  // a server that accepts and never answers: the total timeout ends it
  StallServer stall;
  auto t0 = std::chrono::steady_clock::now();
  auto stalled = run_cli("goroutines --timeout 1 http://127.0.0.1:" + std::to_string(stall.port()));
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(stalled.code, 2);
  EXPECT_NE(stalled.err.find("timed out"), std::string::npos) << stalled.err;
  EXPECT_LT(secs, 30.0);  // bounded: not a hang (the timeout is 1 s; a loaded machine may be slow to start)
  // only http and https
  auto ftp = run_cli("goroutines ftp://127.0.0.1/x");
  EXPECT_EQ(ftp.code, 2);
}

TEST(GoTestTimeout, PanicOutputFindsTheHungTest) {
  NEED_GO();
  TempDir t;
  fs::path out = t.path / "hang.txt";
  std::string cmd = "cd " + kSrc + " && DUMPGEN_HANG=1 GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local go test -count=1 "
                    "-timeout 3s -run TestHang . >" + out.string() + " 2>&1";
  EXPECT_NE(std::system(cmd.c_str()), 0);  // the test times out
  std::string text = slurp(out);
  ASSERT_NE(text.find("panic: test timed out"), std::string::npos) << text;
  auto r = run_cli("goroutines --format json " + out.string());
  ASSERT_EQ(r.code, 1) << r.err;
  auto j = nlohmann::json::parse(r.out);
  auto helpers = find_site(j["sites"], marked("hang_test.go", "LEAK: test helper"), "dumpgen/hang_test.go");
  auto itself = find_site(j["sites"], marked("hang_test.go", "LEAK: test itself"), "dumpgen/hang_test.go");
  ASSERT_FALSE(helpers.is_null()) << r.out;
  EXPECT_EQ(helpers["count"], 3);
  EXPECT_TRUE(helpers["suspect"].get<bool>());
  ASSERT_FALSE(itself.is_null()) << r.out;
  EXPECT_TRUE(itself["suspect"].get<bool>());  // the hung test itself, not set aside with the runner
  EXPECT_GE(j["set_aside"].get<int>(), 1);     // the runner waiting in testing.(*T).Run
}

TEST(GoroutineSource, StaticFindingsNextToTheirSites) {
  NEED_GO();
  TempDir t;
  fs::path dump = t.path / "dump.txt";
  ASSERT_EQ(std::system((dumpgen() + " >" + dump.string()).c_str()), 0);
  auto r = run_cli("goroutines --format json --source " + kSrc + " " + dump.string());
  ASSERT_EQ(r.code, 1) << r.err;
  auto j = nlohmann::json::parse(r.out);
  auto file = find_site(j["sites"], marked("main.go", "LEAK: file"));
  auto sel = find_site(j["sites"], marked("main.go", "LEAK: select"));
  auto recv = find_site(j["sites"], marked("main.go", "LEAK: receive"));
  auto send = find_site(j["sites"], marked("main.go", "LEAK: send"));
  auto rules_of = [](const nlohmann::json& site) {
    std::set<std::string> out;
    for (auto& f : site["static_findings"]) out.insert(f["rule"].get<std::string>());
    return out;
  };
  // the file reader leaks its file and waits on a channel nobody closes: both findings explain the site
  ASSERT_FALSE(file.is_null());
  EXPECT_EQ(rules_of(file), (std::set<std::string>{"file-close", "goroutine-recv-leak"})) << file.dump(2);
  // the select waits on a context whose cancel func is dropped where the goroutines are created
  ASSERT_FALSE(sel.is_null());
  ASSERT_EQ(sel["static_findings"].size(), 1u) << sel.dump(2);
  EXPECT_EQ(sel["static_findings"][0]["rule"], "lost-cancel");
  // the goroutine rules name the receivers and senders the dump shows parked
  ASSERT_FALSE(recv.is_null());
  EXPECT_EQ(rules_of(recv), (std::set<std::string>{"goroutine-recv-leak"})) << recv.dump(2);
  ASSERT_FALSE(send.is_null());
  EXPECT_EQ(rules_of(send), (std::set<std::string>{"goroutine-send-leak"})) << send.dump(2);
  auto text = run_cli("goroutines --source " + kSrc + " " + dump.string());
  EXPECT_NE(text.out.find("static finding file-close"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("matched to one"), std::string::npos) << text.out;
  // a source folder that does not exist is an error
  EXPECT_EQ(run_cli("goroutines --source /nonexistent/src " + dump.string()).code, 2);
}

TEST(GoroutineHtml, SelfContainedAndEscaped) {
  TempDir t;
  auto dump = t.write("d.txt",
                      "goroutine 7 [chan receive, 3 minutes]:\nmain.wait[<script>alert(1)</script>](0x1)\n"
                      "\t/app/w&w.go:5 +0x1\ncreated by main.start\n\t/app/s.go:9 +0x1\n\n"
                      "goroutine 1 [select]:\nmain.main()\n\t/app/main.go:3 +0x1\n\n");
  fs::path html = t.path / "out.html";
  auto r = run_cli("goroutines --html " + html.string() + " " + dump.string());
  EXPECT_EQ(r.code, 1) << r.err;
  std::string page = slurp(html);
  EXPECT_TRUE(page.starts_with("<!DOCTYPE html>"));
  EXPECT_NE(page.find("main.wait[&lt;script&gt;alert(1)&lt;/script&gt;]"), std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos);  // escaped, and no scripts of ours
  EXPECT_EQ(page.find("src="), std::string::npos);     // nothing loaded from elsewhere
  EXPECT_EQ(page.find("href="), std::string::npos);
  EXPECT_NE(page.find("/app/w&amp;w.go:5"), std::string::npos);
  EXPECT_NE(page.find("details class=\"suspect\" open"), std::string::npos);
  EXPECT_NE(page.find("3 min"), std::string::npos);
  // an unwritable target is an error
  EXPECT_EQ(run_cli("goroutines --html /nonexistent/dir/x.html " + dump.string()).code, 2);
}

TEST(GoroutineLeakProfile, ProvenSites) {
  // Go 1.26's goroutineleak profile (debug=1 header, and `(leaked)` marks in debug=2);
  // Debian's Go is older, so these are written for the test from the documented format
  TempDir t;
  auto grouped = t.write("leak1.txt",
                         "goroutineleak profile: total 4\n"
                         "4 @ 0x1 0x2\n"
                         "#\t0x1\tmain.worker+0x1\t/app/w.go:12\n"
                         "#\t0x2\tmain.main.gowrap1+0x1\t/app/main.go:30\n\n");
  auto r = run_cli("goroutines --format json " + grouped.string());
  ASSERT_EQ(r.code, 1) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["form"], "goroutine leak profile (debug=1)");
  ASSERT_EQ(j["sites"].size(), 1u);
  EXPECT_TRUE(j["sites"][0]["proven"].get<bool>());
  EXPECT_EQ(j["sites"][0]["evidence"], "proven");
  auto full = t.write("leak2.txt",
                      "goroutine 9 [chan send (leaked)]:\nmain.produce()\n\t/app/p.go:7 +0x1\n"
                      "created by main.main in goroutine 1\n\t/app/main.go:20 +0x1\n\n"
                      "goroutine 10 [chan send]:\nmain.produce()\n\t/app/p.go:7 +0x1\n"
                      "created by main.main in goroutine 1\n\t/app/main.go:20 +0x1\n\n");
  auto f = run_cli("goroutines " + full.string());
  EXPECT_EQ(f.code, 1);
  EXPECT_NE(f.out.find("evidence: proven"), std::string::npos) << f.out;
}

TEST(GoroutineLongLived, ListIsOverridable) {
  TempDir t;
  auto dump = t.write("d.txt",
                      "goroutine 1 [chan receive]:\nmain.main()\n\t/app/main.go:3 +0x1\n\n"
                      "goroutine 5 [chan receive]:\ngithub.com/acme/pool.(*Pool).janitor()\n\t/m/pool.go:40 +0x1\n"
                      "created by github.com/acme/pool.New\n\t/m/pool.go:20 +0x1\n\n");
  auto base = nlohmann::json::parse(run_cli("goroutines --format json " + dump.string()).out);
  EXPECT_EQ(base["suspect_sites"], 1);
  EXPECT_EQ(base["set_aside"], 1);  // main.main
  auto extra = run_cli("goroutines --format json --long-lived 'github.com/acme/pool.*' " + dump.string());
  EXPECT_EQ(extra.code, 0) << extra.out;
  EXPECT_EQ(nlohmann::json::parse(extra.out)["set_aside"], 2);
  auto none = nlohmann::json::parse(run_cli("goroutines --format json --no-default-long-lived " + dump.string()).out);
  EXPECT_EQ(none["set_aside"], 0);
  EXPECT_EQ(none["suspect_sites"], 2);
}

TEST(GoroutineInput, BadInputIsAClearError) {
  TempDir t;
  EXPECT_EQ(run_cli("goroutines " + t.path.string()).code, 2);  // a folder
  auto empty = t.write("empty.txt", "");
  auto e = run_cli("goroutines " + empty.string());
  EXPECT_EQ(e.code, 2);
  EXPECT_NE(e.err.find("empty"), std::string::npos) << e.err;
  // a gzip'd profile of another kind (a CPU profile's sample types)
  rt::ProfileBuilder b;
  b.add_sample_type("samples", "count");
  b.add_sample_type("cpu", "nanoseconds");
  std::string gz, err;
  ASSERT_TRUE(rt::gzip(rt::encode_profile(b.profile()), gz, err));
  auto cpu = t.write("cpu.pb.gz", gz);
  auto c = run_cli("goroutines " + cpu.string());
  EXPECT_EQ(c.code, 2);
  EXPECT_NE(c.err.find("not a goroutine or heap profile"), std::string::npos) << c.err;
  // binary garbage
  auto bin = t.write("bin", std::string("\x7f" "ELF\x02\x01\x01\0\0\0", 10) + std::string(1000, '\xff'));
  EXPECT_EQ(run_cli("goroutines " + bin.string()).code, 2);
  // a truncated heap protobuf
  auto hp = t.write("empty.pb.gz", gz.substr(0, gz.size() / 2));
  EXPECT_EQ(run_cli("goroutines " + hp.string()).code, 2);
  // stdin
  auto in = t.write("in.txt", "goroutine 3 [chan send]:\nmain.f()\n\t/a.go:1 +0x1\n\n");
  std::string cmd = "cat " + in.string() + " | " + LEAKHOUND_BINARY + " goroutines - >" + (t.path / "o").string();
  int st = std::system(cmd.c_str());
  EXPECT_EQ(WEXITSTATUS(st), 1);
  EXPECT_NE(slurp(t.path / "o").find("main.f x1 [chan send"), std::string::npos) << slurp(t.path / "o");
}

// Inputs from the review of the runtime tools: pasted, Windows, logged, compressed and hostile dumps.
TEST(GoroutineInput, ReviewedVariants) {
  TempDir t;
  const std::string block =
      "goroutine 7 [chan receive]:\nmain.worker()\n\t/app/w.go:42 +0x1\ncreated by main.start\n\t/app/s.go:9 +0x1\n\n";
  // indented by four spaces (Markdown, a ticket): frames survive
  std::string indented;
  for_each_line_in(block, [&](const std::string& l) { indented += (l.empty() ? "" : "    ") + l + "\n"; });
  auto in = nlohmann::json::parse(run_cli("goroutines --format json " + t.write("ind.txt", indented).string()).out);
  ASSERT_EQ(in["sites"].size(), 1u);
  EXPECT_EQ(in["sites"][0]["func"], "main.worker");
  EXPECT_EQ(in["sites"][0]["line"], 42);
  // Windows paths with spaces
  auto win = t.write("win.txt", "goroutine 7 [chan receive]:\nmain.worker()\n\tC:/Users/John Smith/app/w.go:42 +0x1\n\n");
  auto wj = nlohmann::json::parse(run_cli("goroutines --format json " + win.string()).out);
  EXPECT_EQ(wj["sites"][0]["file"], "C:/Users/John Smith/app/w.go");
  // a test log with hundreds of lines before the dump
  std::string log;
  for (int i = 0; i < 500; ++i) log += "=== RUN   TestSomething" + std::to_string(i) + "\n--- PASS\n";
  auto lj = nlohmann::json::parse(run_cli("goroutines --format json " + t.write("log.txt", log + "panic: test timed out\n\n" + block).string()).out);
  EXPECT_EQ(lj["goroutines"], 1);
  // a gzip'd text dump
  std::string gz, err;
  ASSERT_TRUE(rt::gzip(block, gz, err));
  auto gj = run_cli("goroutines --format json " + t.write("d.txt.gz", gz).string());
  EXPECT_EQ(gj.code, 1) << gj.err;
  // Go 1.26's goroutineleak profile in protobuf: its sample type is named after the profile
  rt::ProfileBuilder b;
  b.add_sample_type("goroutineleak", "count");
  std::vector<rt::Frame> stack = {{"main.worker", "/app/w.go", 12}};
  b.add(stack, {3});
  ASSERT_TRUE(rt::gzip(rt::encode_profile(b.profile()), gz = "", err));
  auto leak = nlohmann::json::parse(run_cli("goroutines --format json " + t.write("leak.pb.gz", gz).string()).out);
  EXPECT_TRUE(leak["sites"][0]["proven"].get<bool>());
  EXPECT_EQ(leak["sites"][0]["count"], 3);
  // a difference profile is not a snapshot
  rt::ProfileBuilder neg;
  neg.add_sample_type("goroutine", "count");
  neg.add(stack, {-4});
  ASSERT_TRUE(rt::gzip(rt::encode_profile(neg.profile()), gz = "", err));
  auto n = run_cli("goroutines " + t.write("neg.pb.gz", gz).string());
  EXPECT_EQ(n.code, 2);
  EXPECT_NE(n.err.find("difference profile"), std::string::npos) << n.err;
  // a location with many lines listed many times: bounded, not gigabytes
  rt::Profile bomb;
  bomb.strings = {"", "goroutine", "count", "main.f", "/a.go"};
  bomb.sample_types = {{1, 2}};
  bomb.functions = {{1, 3, 4}};
  rt::Profile::Location loc{1, {}};
  for (int i = 0; i < 5000; ++i) loc.lines.push_back({1, i});
  bomb.locations = {loc};
  rt::Profile::Sample sm;
  for (int i = 0; i < 5000; ++i) sm.locations.push_back(1);
  sm.values = {1};
  bomb.samples = {sm};
  ASSERT_TRUE(rt::gzip(rt::encode_profile(bomb), gz = "", err));
  auto bj = nlohmann::json::parse(run_cli("goroutines --format json " + t.write("bomb.pb.gz", gz).string()).out);
  EXPECT_TRUE(bj["truncated"].get<bool>());
  EXPECT_LE(bj["sites"][0]["stack"].size(), rt::kMaxStackFrames);
}

TEST(GoroutineDump, LongLivedDecidedPerGoroutineNotPerSite) {
  // IO waits with no creator share their first non-runtime frame; the order of stacks must not decide
  // whether the leaking ones are set aside with the idle keep-alive loops
  const std::string leaky = "50 @ 0x1\n#\t0x1\tinternal/poll.runtime_pollWait+0x1\t/go/src/runtime/netpoll.go:305\n"
                            "#\t0x2\tnet.(*netFD).Read+0x1\t/go/src/net/fd_posix.go:55\n"
                            "#\t0x3\tmain.leakyReader+0x1\t/app/main.go:30\n\n";
  const std::string idle = "10 @ 0x1\n#\t0x1\tinternal/poll.runtime_pollWait+0x1\t/go/src/runtime/netpoll.go:305\n"
                           "#\t0x2\tnet.(*netFD).Read+0x1\t/go/src/net/fd_posix.go:55\n"
                           "#\t0x4\tnet/http.(*persistConn).readLoop+0x1\t/go/src/net/http/transport.go:2060\n\n";
  for (const std::string& text : {"goroutine profile: total 60\n" + leaky + idle, "goroutine profile: total 60\n" + idle + leaky}) {
    auto an = rt::analyse(rt::parse_grouped_profile(text));
    EXPECT_EQ(an.set_aside, 10u);
    ASSERT_FALSE(an.sites.empty());
    EXPECT_EQ(an.sites[0].top.func, "main.leakyReader");  // the program's own frame names the site
    EXPECT_EQ(an.sites[0].count, 50u);
  }
}

TEST(Diff, ZeroThresholdIsNotGrowth) {
  TempDir t;
  auto h = t.write("h.txt", "heap profile: 1: 64 [1: 64] @ heap/2\n1: 64 [1: 64] @ 0x1\n#\t0x1\tmain.keep+0x1\t/a.go:7\n\n");
  EXPECT_EQ(run_cli("diff --min-bytes 0 " + h.string() + " " + h.string()).code, 0);
  auto g = t.write("g.txt", "goroutine 7 [chan receive]:\nmain.w()\n\t/a.go:1 +0x1\n\n");
  EXPECT_EQ(run_cli("diff --min-growth 1 " + g.string() + " " + g.string()).code, 0);
}
