// Unit tests for the control-flow graph builder, on small Go functions.
#include <gtest/gtest.h>

#include "flow/cfg.h"
#include "golang/parse.h"

using namespace leakhound;

namespace {

struct Built {
  std::unique_ptr<go::SourceFile> file;
  flow::CfgResult cfg;
};

Built build(const std::string& body) {
  static go::Parser parser;
  auto r = parser.parse("t.go", "package p\n\nfunc f() {\n" + body + "\n}\n");
  EXPECT_TRUE(r.file);
  Built b;
  b.file = std::move(r.file);
  const go::Node* fn = b.file->root->kid(0);
  EXPECT_EQ(fn->kind, go::NodeKind::FuncDecl);
  flow::CfgOptions o;
  o.is_noreturn = flow::is_noreturn_by_name;
  b.cfg = flow::build_cfg(fn->kid(3), o);
  return b;
}

// Is block `to` reachable from the entry?
bool reaches(const flow::Cfg& g, uint32_t to) {
  std::vector<bool> seen(g.blocks.size());
  std::vector<uint32_t> stack{flow::Cfg::kEntry};
  while (!stack.empty()) {
    uint32_t b = stack.back();
    stack.pop_back();
    if (seen[b]) continue;
    seen[b] = true;
    if (b == to) return true;
    for (uint32_t s : g.blocks[b].succs) stack.push_back(s);
  }
  return false;
}

// The block holding the statement on `line`.
int block_of_line(const flow::Cfg& g, uint32_t line) {
  for (size_t i = 0; i < g.blocks.size(); ++i)
    for (auto& it : g.blocks[i].items)
      if (it.node->line == line) return static_cast<int>(i);
  return -1;
}

}  // namespace

TEST(Cfg, StraightLineReachesExit) {
  auto b = build("a := 1\n_ = a");
  ASSERT_TRUE(b.cfg.ok);
  EXPECT_EQ(b.cfg.cfg.blocks[0].items.size(), 2u);
  EXPECT_TRUE(reaches(b.cfg.cfg, flow::Cfg::kExit));
}

TEST(Cfg, IfHasTrueAndFalseEdges) {
  auto b = build("x := 1\nif x > 0 {\nreturn\n}\nx++");
  ASSERT_TRUE(b.cfg.ok);
  const auto& head = b.cfg.cfg.blocks[0];
  ASSERT_NE(head.cond, nullptr);
  ASSERT_EQ(head.succs.size(), 2u);
  int ret = block_of_line(b.cfg.cfg, 6);
  ASSERT_GE(ret, 0);
  EXPECT_EQ(static_cast<uint32_t>(ret), head.succs[0]);
  EXPECT_EQ(b.cfg.cfg.blocks[ret].succs, std::vector<uint32_t>{flow::Cfg::kExit});
}

TEST(Cfg, PanicEndsPathWithoutReachingExit) {
  auto b = build("panic(\"x\")");
  ASSERT_TRUE(b.cfg.ok);
  EXPECT_TRUE(b.cfg.cfg.blocks[0].noreturn);
  EXPECT_FALSE(reaches(b.cfg.cfg, flow::Cfg::kExit));
}

TEST(Cfg, InfiniteLoopWithoutBreakNeverExits) {
  auto b = build("for {\nx := 1\n_ = x\n}");
  ASSERT_TRUE(b.cfg.ok);
  EXPECT_FALSE(reaches(b.cfg.cfg, flow::Cfg::kExit));
}

TEST(Cfg, BreakLeavesInfiniteLoop) {
  auto b = build("for {\nbreak\n}");
  ASSERT_TRUE(b.cfg.ok);
  EXPECT_TRUE(reaches(b.cfg.cfg, flow::Cfg::kExit));
}

TEST(Cfg, LabelledContinueTargetsOuterLoop) {
  auto b = build("outer:\nfor i := 0; i < 3; i++ {\nfor {\ncontinue outer\n}\n}");
  ASSERT_TRUE(b.cfg.ok);
  // the outer loop's condition can still end it, so the exit is reachable
  EXPECT_TRUE(reaches(b.cfg.cfg, flow::Cfg::kExit));
}

TEST(Cfg, LabelledBreakLeavesBothLoops) {
  auto b = build("outer:\nfor {\nfor {\nbreak outer\n}\n}");
  ASSERT_TRUE(b.cfg.ok);
  EXPECT_TRUE(reaches(b.cfg.cfg, flow::Cfg::kExit));
}

TEST(Cfg, GotoForwardAndBack) {
  auto b = build("i := 0\nloop:\ni++\nif i < 3 {\ngoto loop\n}\ngoto done\ndone:\nreturn");
  ASSERT_TRUE(b.cfg.ok);
  EXPECT_TRUE(reaches(b.cfg.cfg, flow::Cfg::kExit));
}

TEST(Cfg, SwitchFallthroughAndDefault) {
  auto b = build("x := 1\nswitch x {\ncase 1:\nfallthrough\ncase 2:\nreturn\ndefault:\nx++\n}");
  ASSERT_TRUE(b.cfg.ok);
  int ret = block_of_line(b.cfg.cfg, 9);
  ASSERT_GE(ret, 0);
  int ft = block_of_line(b.cfg.cfg, 7);  // the fallthrough item
  ASSERT_GE(ft, 0);
  const auto& s = b.cfg.cfg.blocks[ft].succs;
  EXPECT_NE(std::find(s.begin(), s.end(), static_cast<uint32_t>(ret)), s.end());
}

TEST(Cfg, TaglessSwitchCasesAreConditions) {
  auto b = build("var err error\nswitch {\ncase err != nil:\nreturn\n}\n_ = err");
  ASSERT_TRUE(b.cfg.ok);
  bool found = false;
  for (auto& blk : b.cfg.cfg.blocks)
    if (blk.cond && blk.cond->kind == go::NodeKind::Binary) found = true;
  EXPECT_TRUE(found);
}

TEST(Cfg, SelectWithoutCasesBlocksForever) {
  auto b = build("select {}");
  ASSERT_TRUE(b.cfg.ok);
  EXPECT_FALSE(reaches(b.cfg.cfg, flow::Cfg::kExit));
}

TEST(Cfg, SelectCasesBranch) {
  auto b = build("var ch chan int\nselect {\ncase v := <-ch:\n_ = v\ncase ch <- 1:\nreturn\ndefault:\n}");
  ASSERT_TRUE(b.cfg.ok);
  EXPECT_GE(block_of_line(b.cfg.cfg, 6), 0);  // the receive is an item
  EXPECT_GE(block_of_line(b.cfg.cfg, 8), 0);  // the send is an item
  EXPECT_TRUE(reaches(b.cfg.cfg, flow::Cfg::kExit));
}

TEST(Cfg, RangeLoopCanSkipBody) {
  auto b = build("var xs []int\nfor _, x := range xs {\nif x > 0 {\nreturn\n}\n}");
  ASSERT_TRUE(b.cfg.ok);
  EXPECT_TRUE(reaches(b.cfg.cfg, flow::Cfg::kExit));
}

TEST(Cfg, FatalMethodEndsPath) {
  auto b = build("var t interface{ Fatal(...interface{}) }\nt.Fatal(\"boom\")");
  ASSERT_TRUE(b.cfg.ok);
  EXPECT_FALSE(reaches(b.cfg.cfg, flow::Cfg::kExit));
}

TEST(Cfg, DeepNestingIsRefusedNotCrashed) {
  std::string body;
  for (int i = 0; i < 3000; ++i) body += "{";
  for (int i = 0; i < 3000; ++i) body += "}";
  auto b = build(body);
  EXPECT_FALSE(b.cfg.ok);
}

TEST(Cfg, CodeAfterReturnInsideIfIsUnreachable) {
  auto b = build("x := 1\nif x > 0 {\nreturn\nx++\n}\nx--");
  ASSERT_TRUE(b.cfg.ok);
  int dead = block_of_line(b.cfg.cfg, 7);  // x++ after the return
  ASSERT_GE(dead, 0);
  EXPECT_FALSE(b.cfg.cfg.blocks[dead].reachable);
  int live = block_of_line(b.cfg.cfg, 9);  // x-- after the if
  ASSERT_GE(live, 0);
  EXPECT_TRUE(b.cfg.cfg.blocks[live].reachable);
}

TEST(Cfg, SkipEndsPathOnlyOnTestingReceivers) {
  auto t = build("var t interface{ Skip(...interface{}) }\nt.Skip(\"x\")");
  EXPECT_FALSE(reaches(t.cfg.cfg, flow::Cfg::kExit));
  auto d = build("var dec interface{ Skip() error }\ndec.Skip()");
  EXPECT_TRUE(reaches(d.cfg.cfg, flow::Cfg::kExit));
}
