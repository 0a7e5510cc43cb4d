#!/usr/bin/env python3
"""Prints one line per entry under ROOT, sorted by path: path, type, mode,
owner, size, sha256 of content, link target, device numbers, xattrs and a
hardlink group. Two trees are equal when their outputs are equal.

  tree-manifest.py ROOT            (mtimes are not compared)
"""
import hashlib
import os
import stat
import sys


def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def xattrs(path):
    try:
        names = sorted(os.listxattr(path, follow_symlinks=False))
    except OSError:
        return ""
    out = []
    for n in names:
        try:
            v = os.getxattr(path, n, follow_symlinks=False)
        except OSError:
            continue
        out.append(n + "=" + v.hex())
    return ",".join(out)


def main():
    root = os.fsencode(sys.argv[1])
    lines = []
    inodes = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root).decode("utf-8", "backslashreplace")
            st = os.lstat(full)
            mode = stat.S_IMODE(st.st_mode)
            owner = "%d:%d" % (st.st_uid, st.st_gid)
            extra = ""
            if stat.S_ISDIR(st.st_mode):
                kind, extra = "dir", ""
            elif stat.S_ISREG(st.st_mode):
                kind = "file"
                extra = "size=%d sha256=%s" % (st.st_size, sha(full))
                if st.st_nlink > 1:
                    inodes.setdefault((st.st_dev, st.st_ino), []).append(rel)
            elif stat.S_ISLNK(st.st_mode):
                kind, extra = "symlink", "-> " + os.readlink(full).decode("utf-8", "backslashreplace")
                mode = 0o777
            elif stat.S_ISCHR(st.st_mode):
                kind, extra = "char", "%d,%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
            elif stat.S_ISBLK(st.st_mode):
                kind, extra = "block", "%d,%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
            elif stat.S_ISFIFO(st.st_mode):
                kind = "fifo"
            elif stat.S_ISSOCK(st.st_mode):
                kind = "socket"
            else:
                kind = "unknown"
            xa = xattrs(full)
            lines.append([rel, "%s %04o %s %s%s" % (kind, mode, owner, extra, (" xattrs=" + xa) if xa else "")])
    # hardlink groups: each member names the first path of its group
    group = {}
    for paths in inodes.values():
        paths.sort()
        for p in paths:
            group[p] = paths[0]
    for l in lines:
        if l[0] in group:
            l[1] += " links=" + group[l[0]]
    for rel, desc in sorted(lines):
        print(rel + " " + desc)


if __name__ == "__main__":
    main()
