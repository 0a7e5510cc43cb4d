#include "runtime/image/tar_path.h"

#include <gtest/gtest.h>

namespace ecsd::image {
namespace {

TEST(CleanEntryPath, NormalNames) {
  EXPECT_EQ(clean_entry_path("etc/passwd").value(), "etc/passwd");
  EXPECT_EQ(clean_entry_path("./etc/passwd").value(), "etc/passwd");
  EXPECT_EQ(clean_entry_path("etc//x/./y/").value(), "etc/x/y");
  EXPECT_EQ(clean_entry_path("usr/").value(), "usr");
}

TEST(CleanEntryPath, RootForms) {
  EXPECT_EQ(clean_entry_path("./").value(), "");
  EXPECT_EQ(clean_entry_path(".").value(), "");
  EXPECT_EQ(clean_entry_path("/").value(), "");
}

TEST(CleanEntryPath, AbsoluteNamesStayInside) {
  // Docker joins the cleaned name under the root: "/etc/x" lands at <root>/etc/x.
  EXPECT_EQ(clean_entry_path("/etc/shadow").value(), "etc/shadow");
  EXPECT_EQ(clean_entry_path("//a/b").value(), "a/b");
}

TEST(CleanEntryPath, DotDotInsideIsResolved) {
  EXPECT_EQ(clean_entry_path("a/b/../c").value(), "a/c");
  EXPECT_EQ(clean_entry_path("a/..").value(), "");
  EXPECT_EQ(clean_entry_path("/../x").value_or("err"), "err");
}

TEST(CleanEntryPath, EscapesAreRejectedWithTheName) {
  for (const char* bad : {"../x", "a/../../x", "./../../etc/shadow", "..", "a/b/../../../c"}) {
    auto r = clean_entry_path(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_NE(r.error().message.find(bad), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("escapes"), std::string::npos) << r.error().message;
  }
}

TEST(SplitPath, Components) {
  EXPECT_EQ(split_path(""), std::vector<std::string>{});
  EXPECT_EQ(split_path("a/b/c"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(split_parent("a/b/c"), (std::pair<std::string, std::string>{"a/b", "c"}));
  EXPECT_EQ(split_parent("c"), (std::pair<std::string, std::string>{"", "c"}));
}

TEST(Whiteout, Classify) {
  EXPECT_EQ(classify_whiteout("file").value().kind, WhiteoutKind::kNone);
  EXPECT_EQ(classify_whiteout(".whatever").value().kind, WhiteoutKind::kNone);
  EXPECT_EQ(classify_whiteout(".wh..wh..opq").value().kind, WhiteoutKind::kOpaque);
  EXPECT_EQ(classify_whiteout(".wh..wh.plnk").value().kind, WhiteoutKind::kMeta);
  auto w = classify_whiteout(".wh.gone").value();
  EXPECT_EQ(w.kind, WhiteoutKind::kFile);
  EXPECT_EQ(w.target, "gone");
  auto dotfile = classify_whiteout(".wh..bashrc").value();
  EXPECT_EQ(dotfile.kind, WhiteoutKind::kFile);
  EXPECT_EQ(dotfile.target, ".bashrc");
  EXPECT_FALSE(classify_whiteout(".wh.").has_value());
  EXPECT_FALSE(classify_whiteout(".wh..").has_value());
  EXPECT_FALSE(classify_whiteout(".wh...").has_value());
}

TEST(SymlinkTarget, InsideOrNot) {
  EXPECT_TRUE(symlink_target_inside("usr/bin/sh", "busybox"));
  EXPECT_TRUE(symlink_target_inside("usr/bin/sh", "/bin/busybox"));
  EXPECT_TRUE(symlink_target_inside("usr/bin/sh", "../../bin/busybox"));
  EXPECT_FALSE(symlink_target_inside("usr/bin/sh", "../../../etc"));
}

TEST(Xattrs, OverlayPrivateNamesAreDropped) {
  EXPECT_TRUE(is_overlay_private_xattr("trusted.overlay.opaque"));
  EXPECT_TRUE(is_overlay_private_xattr("trusted.overlay.redirect"));
  EXPECT_TRUE(is_overlay_private_xattr("user.overlay.opaque"));
  EXPECT_FALSE(is_overlay_private_xattr("security.capability"));
  EXPECT_FALSE(is_overlay_private_xattr("user.ecsd"));
  EXPECT_FALSE(is_overlay_private_xattr("trusted.overlayish"));
}

}  // namespace
}  // namespace ecsd::image
