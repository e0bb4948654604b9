// Goroutine dumps: the tolerant parser on every header and frame variant, and
// the whole `leakhound goroutines` command on a dump written by a real Go
// program that leaks goroutines in known ways (tests/runtime/dumpgen).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "runtime/goroutines.h"
#include "test_util.h"

using namespace leakhound;
using leakhound::testing::run_cli;
using leakhound::testing::TempDir;
namespace fs = std::filesystem;

TEST(GoroutineDump, HeaderAndFrameVariants) {
  // written for this test: every variant the reference lists, in one dump
  const char* text =
      "panic: something went wrong\n"
      "\n"
      "goroutine 1 gp=0xc000002380 m=0 mp=0x5a4f00 [running]:\r\n"
      "main.main()\r\n"
      "\t/app/main.go:10 +0x1d fp=0xc0000 sp=0xc0000 pc=0x4\r\n"
      "\r\n"
      "goroutine 18 [chan receive, 5 minutes, locked to thread]:\n"
      "main.worker(0xc000012345, {0x4b7c25?, 0x40?})\n"
      "\t/app/worker.go:42 +0x5d\n"
      "...3 frames elided...\n"
      "created by main.start in goroutine 1\n"
      "\t/app/main.go:17 +0x8e\n"
      "\n"
      "goroutine 19 [select (scan), 2 minutes]:\n"
      "pkg.(*Server).loop[...](0x1)\n"
      "    /app/server.go:99 +0x1\n"
      "created by pkg.New\n"
      "\t/app/server.go:20 +0x2\n"
      "\n"
      "goroutine 20 [chan send (leaked)]:\n"
      "goroutine running on other thread; stack unavailable\n"
      "\n"
      "goroutine 21 [IO wait]:\n"
      "internal/poll.runtime_pollWait(0x1, 0x72)\n"
      "\t/go/src/runtime/netpoll.go:305 +0x89\n"
      "[originating from goroutine 5]:\n"
      "main.ancestor(...)\n"
      "\t/app/a.go:1 +0x1\n"
      "\n"
      "goroutine 22 [semacquire]:\n"
      "sync.runtime_SemacquireMutex(0x1?)\n";  // truncated mid-frame
  auto d = rt::parse_full_dump(text);
  ASSERT_EQ(d.goroutines.size(), 6u);
  EXPECT_EQ(d.skipped_lines, 1u);  // the panic message
  EXPECT_TRUE(d.truncated);
  const auto& g1 = d.goroutines[0];
  EXPECT_EQ(g1.id, 1u);
  EXPECT_EQ(g1.state, "running");
  ASSERT_EQ(g1.frames.size(), 1u);
  EXPECT_EQ(g1.frames[0].func, "main.main");
  EXPECT_EQ(g1.frames[0].file, "/app/main.go");
  EXPECT_EQ(g1.frames[0].line, 10u);
  const auto& g18 = d.goroutines[1];
  EXPECT_EQ(g18.state, "chan receive");
  EXPECT_EQ(g18.minutes, 5);
  EXPECT_TRUE(g18.locked);
  EXPECT_TRUE(g18.elided);
  EXPECT_EQ(g18.frames[0].func, "main.worker");
  EXPECT_EQ(g18.created_by.func, "main.start");
  EXPECT_EQ(g18.creator, 1u);
  EXPECT_EQ(g18.created_by.line, 17u);
  const auto& g19 = d.goroutines[2];
  EXPECT_EQ(g19.state, "select");
  EXPECT_EQ(g19.frames[0].func, "pkg.(*Server).loop[...]");
  EXPECT_EQ(g19.frames[0].line, 99u);  // location indented with spaces after a copy-paste
  EXPECT_TRUE(d.goroutines[3].leaked);
  EXPECT_TRUE(d.goroutines[3].no_stack);
  EXPECT_EQ(d.goroutines[4].frames.size(), 1u);  // the ancestor's frames are not its own
  EXPECT_EQ(d.goroutines[5].frames.back().func, "sync.runtime_SemacquireMutex");
}

TEST(GoroutineDump, LogPrefixesAndGarbage) {
  const char* text =
      "May 19 13:43:54 host prog[65284]: goroutine 7 [chan send, 3 minutes]:\n"
      "May 19 13:43:54 host prog[65284]: main.produce(0x1)\n"
      "May 19 13:43:54 host prog[65284]: \t/srv/produce.go:12 +0x2\n"
      "May 19 13:43:54 host prog[65284]: created by main.run\n"
      "May 19 13:43:54 host prog[65284]: \t/srv/run.go:3 +0x9\n"
      "\x01\x02 binary junk \xff\n";
  auto d = rt::parse_full_dump(text);
  ASSERT_EQ(d.goroutines.size(), 1u);
  ASSERT_EQ(d.goroutines[0].frames.size(), 1u);
  EXPECT_EQ(d.goroutines[0].frames[0].func, "main.produce");
  EXPECT_EQ(d.goroutines[0].frames[0].line, 12u);
  EXPECT_EQ(d.goroutines[0].created_by.func, "main.run");
  EXPECT_FALSE(rt::looks_like_full_dump("goroutine profile: total 3\n3 @ 0x1 0x2\n"));
  EXPECT_TRUE(rt::parse_full_dump("").goroutines.empty());
}

TEST(GoroutineDump, GroupsByLeakSiteAndRanks) {
  std::string text;
  for (int i = 0; i < 5; ++i)
    text += "goroutine " + std::to_string(10 + i) + " [chan receive, " + std::to_string(i) +
            " minutes]:\nmain.wait()\n\t/a/w.go:5 +0x1\ncreated by main.start\n\t/a/s.go:9 +0x1\n\n";
  text += "goroutine 1 [select]:\nmain.main()\n\t/a/main.go:3 +0x1\n\n";
  text += "goroutine 2 [sleep]:\ntime.Sleep(0x1)\n\t/go/time.go:1 +0x1\nmain.tick()\n\t/a/t.go:4 +0x1\n\n";
  auto an = rt::analyse(rt::parse_full_dump(text));
  EXPECT_EQ(an.total, 7u);
  ASSERT_GE(an.sites.size(), 3u);
  EXPECT_EQ(an.sites[0].top.func, "main.wait");
  EXPECT_EQ(an.sites[0].count, 5u);
  EXPECT_EQ(an.sites[0].min_minutes, 0);
  EXPECT_EQ(an.sites[0].max_minutes, 4);
  EXPECT_EQ(an.sites[0].created_by, "main.start");
  EXPECT_GT(an.sites[0].score, an.sites[1].score);
  EXPECT_EQ(an.set_aside, 1u);  // the main goroutine is expected
  EXPECT_TRUE(an.sites.back().known_long_lived);
}

// A real program leaks goroutines in known ways and dumps them; the command finds each site.
TEST(GoroutineDump, RealProgramThroughTheCli) {
  if (std::system("go version >/dev/null 2>&1") != 0) GTEST_SKIP() << "go not installed";
  TempDir t;
  fs::path dump = t.path / "dump.txt";
  std::string cmd = "cd " + std::string(LEAKHOUND_SOURCE_DIR) +
                    "/tests/runtime/dumpgen && GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local go run . > " +
                    dump.string() + " 2>" + (t.path / "go.err").string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "go run failed; see the test's temp folder";
  auto r = run_cli("goroutines --format json " + dump.string());
  ASSERT_EQ(r.code, 1) << r.err;  // suspects found
  auto j = nlohmann::json::parse(r.out);
  auto site = [&](unsigned line) -> nlohmann::json {
    for (auto& s : j["sites"])
      if (s["line"] == line && std::string(s["file"]).ends_with("dumpgen/main.go")) return s;
    return nullptr;
  };
  // the lines the program marks `// LEAK: ...`
  auto marked = [](const std::string& what) -> unsigned {
    std::ifstream in(std::string(LEAKHOUND_SOURCE_DIR) + "/tests/runtime/dumpgen/main.go");
    std::string line;
    for (unsigned n = 1; std::getline(in, line); ++n)
      if (line.find("// LEAK: " + what) != std::string::npos) return n;
    return 0;
  };
  const unsigned l_recv = marked("receive"), l_send = marked("send"), l_sel = marked("select"), l_mu = marked("mutex");
  ASSERT_TRUE(l_recv && l_send && l_sel && l_mu);
  auto recv = site(l_recv), send = site(l_send), sel = site(l_sel), mu = site(l_mu);
  ASSERT_FALSE(recv.is_null()) << r.out;
  EXPECT_EQ(recv["count"], 7);
  EXPECT_EQ(recv["state"], "chan receive");
  EXPECT_TRUE(recv["suspect"].get<bool>());
  EXPECT_EQ(recv["created_by"], "main.leakReceivers");
  ASSERT_FALSE(send.is_null());
  EXPECT_EQ(send["count"], 4);
  EXPECT_EQ(send["state"], "chan send");
  ASSERT_FALSE(sel.is_null());
  EXPECT_EQ(sel["count"], 3);
  EXPECT_EQ(sel["state"], "select");
  ASSERT_FALSE(mu.is_null());
  EXPECT_EQ(mu["count"], 1);
  EXPECT_EQ(recv["ids"].size(), 7u);
  // the channel sites rank above the select, and the main goroutine is set aside
  EXPECT_GT(recv["score"].get<double>(), sel["score"].get<double>());
  EXPECT_GE(j["set_aside"].get<int>(), 1);
  // text output names the site and its line; a non-dump is a clear error (exit 2)
  auto text = run_cli("goroutines " + dump.string());
  EXPECT_NE(text.out.find("dumpgen/main.go:" + std::to_string(l_recv)), std::string::npos) << text.out;
  auto bad = t.write("x.txt", "hello\n");
  auto b = run_cli("goroutines " + bad.string());
  EXPECT_EQ(b.code, 2);
  EXPECT_NE(b.err.find("not a goroutine dump"), std::string::npos);
  EXPECT_EQ(run_cli("goroutines /nonexistent/dump.txt").code, 2);

  // the same program's grouped profile (debug=1): same sites and counts, states inferred
  fs::path grouped = t.path / "debug1.txt";
  std::string cmd1 = "cd " + std::string(LEAKHOUND_SOURCE_DIR) +
                     "/tests/runtime/dumpgen && GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local go run . debug1 > " +
                     grouped.string() + " 2>" + (t.path / "go1.err").string();
  ASSERT_EQ(std::system(cmd1.c_str()), 0);
  auto g = run_cli("goroutines --format json " + grouped.string());
  ASSERT_EQ(g.code, 1) << g.err;
  j = nlohmann::json::parse(g.out);
  auto grecv = site(l_recv), gsend = site(l_send), gsel = site(l_sel);
  ASSERT_FALSE(grecv.is_null()) << g.out;
  EXPECT_EQ(grecv["count"], 7);
  // Go 1.19 hides every runtime frame in this form, newer releases show chanrecv
  EXPECT_TRUE(grecv["state"] == "chan receive" || grecv["state"] == "unknown") << grecv["state"];
  EXPECT_TRUE(grecv["suspect"].get<bool>());  // seven goroutines parked at one line
  EXPECT_TRUE(grecv["ids"].empty());  // this form has no goroutine IDs
  ASSERT_FALSE(gsend.is_null());
  EXPECT_EQ(gsend["count"], 4);
  EXPECT_TRUE(gsend["state"] == "chan send" || gsend["state"] == "unknown") << gsend["state"];
  ASSERT_FALSE(gsel.is_null());
  EXPECT_EQ(gsel["count"], 3);

  // and its protobuf profile (debug=0, gzip'd): the runtime frames are there, so are the states
  fs::path proto = t.path / "debug0.pb.gz";
  std::string cmd0 = "cd " + std::string(LEAKHOUND_SOURCE_DIR) +
                     "/tests/runtime/dumpgen && GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local go run . debug0 > " +
                     proto.string() + " 2>" + (t.path / "go0.err").string();
  ASSERT_EQ(std::system(cmd0.c_str()), 0);
  auto p = run_cli("goroutines --format json " + proto.string());
  ASSERT_EQ(p.code, 1) << p.err;
  j = nlohmann::json::parse(p.out);
  auto precv = site(l_recv), psend = site(l_send), psel = site(l_sel), pmu = site(l_mu);
  ASSERT_FALSE(precv.is_null()) << p.out;
  EXPECT_EQ(precv["count"], 7);
  EXPECT_EQ(precv["state"], "chan receive");
  ASSERT_FALSE(psend.is_null());
  EXPECT_EQ(psend["state"], "chan send");
  ASSERT_FALSE(psel.is_null());
  EXPECT_EQ(psel["state"], "select");
  ASSERT_FALSE(pmu.is_null());
  EXPECT_EQ(pmu["state"], "sync.Mutex.Lock");
  // a truncated profile is a clear error, never a crash
  std::ifstream in(proto, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  auto cut = t.write("cut.pb.gz", bytes.substr(0, bytes.size() / 2));
  auto c = run_cli("goroutines " + cut.string());
  EXPECT_EQ(c.code, 2);
  EXPECT_NE(c.err.find("truncated"), std::string::npos) << c.err;
}

TEST(GoroutineDump, GroupedProfileVariants) {
  const char* text =
      "goroutine profile: total 12\r\n"
      "10 @ 0x43 0x44\r\n"
      "# labels: {\"handler\":\"/api\"}\r\n"
      "#\t0x4351c5\truntime.chanrecv1+0x25\t\t/go/src/runtime/chan.go:442\r\n"
      "#\t0x4a1b2c\tmain.consume+0x3c\t\t/app/consume.go:27\r\n"
      "\r\n"
      "2 @ 0x45\n"
      "#\t0x1\tinternal/poll.runtime_pollWait+0x56\t/go/src/runtime/netpoll.go:305\n"
      "#\t0x2\tnet/http.(*persistConn).readLoop+0x9\t/go/src/net/http/transport.go:2060\n";
  ASSERT_TRUE(rt::looks_like_grouped_profile(text));
  auto d = rt::parse_grouped_profile(text);
  ASSERT_EQ(d.goroutines.size(), 2u);
  EXPECT_EQ(d.goroutines[0].weight, 10u);
  EXPECT_EQ(d.goroutines[0].state, "chan receive");
  ASSERT_EQ(d.goroutines[0].frames.size(), 2u);
  EXPECT_EQ(d.goroutines[0].frames[1].func, "main.consume");
  EXPECT_EQ(d.goroutines[0].frames[1].line, 27u);
  EXPECT_EQ(d.goroutines[1].state, "IO wait");
  auto an = rt::analyse(d);
  EXPECT_EQ(an.total, 12u);
  EXPECT_EQ(an.set_aside, 2u);  // idle keep-alive read loops are judged by socket counts, not here
  EXPECT_EQ(an.sites[0].top.func, "main.consume");
  EXPECT_EQ(an.sites[0].count, 10u);
}
