// Publishing outputs (artifacts/artifact_writer.h): planted links are never
// followed, folders of someone else's are never replaced or deleted, a link
// to a folder stays a link, stale temporaries of dead processes are cleaned
// and live ones are not, and a failed run leaves nothing behind.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "artifact_writer.h"
#include "errors.h"
#include "files.h"

namespace onnxcut {
namespace {
namespace fs = std::filesystem;

class ArtifactWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("onnxcut-writer-" + std::to_string(getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;

  static void put(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  static std::string get(const fs::path& p) { return readWholeFile(p.string(), "test file"); }
  // Names in a folder (one level).
  static std::vector<std::string> names(const fs::path& dir) {
    std::vector<std::string> n;
    for (const auto& e : fs::directory_iterator(dir)) n.push_back(e.path().filename().string());
    std::sort(n.begin(), n.end());
    return n;
  }
  // A plan directory as an earlier run leaves it.
  void publish(const fs::path& dir, const std::string& tag) {
    ArtifactWriter w(dir.string());
    w.write("plans/0/head.onnx", "head " + tag);
    w.write("plan-table.json", R"({"format": "onnxcut.plan-table", "plans": [{"id": 0, "head": "plans/0/head.onnx", "tail": null}]})");
    w.commit();
  }
};

TEST_F(ArtifactWriterTest, PlantedLinksAreNotFollowed) {
  const fs::path victim = root_ / "victim.txt";
  put(victim, "precious");
  const fs::path out = root_ / "plot.svg";
  // The predictable temporaries earlier versions used, and the destination
  // itself, all as links to the victim.
  fs::create_symlink(victim, root_ / "plot.svg.onnxcut-tmp");
  fs::create_symlink(victim, out);
  writeFileAtomically(out.string(), "<svg/>");
  EXPECT_EQ(get(victim), "precious");
  EXPECT_FALSE(fs::is_symlink(out));  // the link itself was replaced
  EXPECT_EQ(get(out), "<svg/>");
}

TEST_F(ArtifactWriterTest, SingleFileFailureLeavesNothing) {
  const fs::path out = root_ / "x.csv";
  EXPECT_THROW(writeFileAtomically(out.string(), [](std::ostream& o) {
                 o << "partial";
                 throw InputError("stopped half-way");
               }),
               InputError);
  EXPECT_TRUE(names(root_).empty());
  EXPECT_THROW(writeFileAtomically((root_ / "no/such/dir/x.csv").string(), "x"), InputError);
}

TEST_F(ArtifactWriterTest, ForeignFilesAreNeverReplaced) {
  const fs::path out = root_ / "out";
  publish(out, "v1");
  put(out / "notes.txt", "mine");
  put(out / "plans/0/extra.bin", "mine too");
  try {
    ArtifactWriter w(out.string());
    FAIL() << "replaced a folder holding foreign files";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("2 file(s) onnxcut did not write"), std::string::npos) << msg;
    EXPECT_NE(msg.find("notes.txt"), std::string::npos) << msg;
    EXPECT_NE(msg.find("plans/0/extra.bin"), std::string::npos) << msg;
  }
  EXPECT_EQ(get(out / "notes.txt"), "mine");
  EXPECT_EQ(get(out / "plans/0/head.onnx"), "head v1");
  // No plan table at all: not ours.
  const fs::path other = root_ / "other";
  put(other / "data.csv", "x");
  EXPECT_THROW(ArtifactWriter w(other.string()), InputError);
}

TEST_F(ArtifactWriterTest, ReplacesAnEarlierResultWhole) {
  const fs::path out = root_ / "out";
  publish(out, "v1");
  {
    ArtifactWriter w(out.string());
    w.write("plan-table.json", R"({"format": "onnxcut.plan-table", "plans": []})");
    w.commit();
  }
  EXPECT_EQ(names(out), (std::vector<std::string>{"plan-table.json"}));  // v1's head is gone with v1
  EXPECT_EQ(names(root_), (std::vector<std::string>{"out"}));            // no temporaries left
}

TEST_F(ArtifactWriterTest, ALinkToAFolderStaysALink) {
  const fs::path real = root_ / "real";
  const fs::path link = root_ / "link";
  publish(real, "v1");
  fs::create_directory_symlink(real, link);
  publish(link, "v2");
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(get(real / "plans/0/head.onnx"), "head v2");
  EXPECT_EQ(names(root_), (std::vector<std::string>{"link", "real"}));
}

TEST_F(ArtifactWriterTest, UncommittedLeavesNothing) {
  const fs::path out = root_ / "out";
  {
    ArtifactWriter w(out.string());
    w.write("plans/0/head.onnx", "x");
  }
  EXPECT_TRUE(names(root_).empty());
  publish(out, "v1");
  {
    ArtifactWriter w(out.string());
    w.write("plans/0/head.onnx", "v2");
  }  // not committed: v1 stays
  EXPECT_EQ(get(out / "plans/0/head.onnx"), "head v1");
}

TEST_F(ArtifactWriterTest, StaleTemporariesOfDeadProcessesAreCleaned) {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  waitpid(child, nullptr, 0);  // a pid that no longer runs
  const fs::path dead = root_ / (".out.onnxcut-" + std::to_string(child) + "-AbC123");
  const fs::path live = root_ / (".out.onnxcut-" + std::to_string(getppid()) + "-XyZ789");
  const fs::path unrelated = root_ / ".out.onnxcut-notapid";
  for (const auto& d : {dead, live, unrelated}) put(d / "plan-table.json", "{}");
  publish(root_ / "out", "v1");
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(fs::exists(live));
  EXPECT_TRUE(fs::exists(unrelated));
}

TEST_F(ArtifactWriterTest, ArtifactPathsStayInside) {
  ArtifactWriter w((root_ / "out").string());
  EXPECT_THROW(w.write("../escape.txt", "x"), std::logic_error);
  EXPECT_THROW(w.write("/etc/escape.txt", "x"), std::logic_error);
}

}  // namespace
}  // namespace onnxcut
