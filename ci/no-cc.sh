#!/bin/sh
# no-cc.sh — a stand-in C compiler and archiver for `cargo check` of the
# macOS target on Linux, where no Apple C toolchain exists. Build scripts
# (zstd-sys) still compile their C code during `cargo check`; nothing is
# linked then, so empty objects and archives are enough. Never used to build.
out=
prev=
for a in "$@"; do
    [ "$prev" = -o ] && out=$a
    case $a in *.a) out=$a ;; esac
    prev=$a
done
[ -n "$out" ] && : > "$out"
exit 0
