#!/bin/sh
# fetch-deb.sh [-d REGEX] CACHE PACKAGE OUT
#
# Makes sure the candidate version of Debian package PACKAGE (as apt sees it)
# is in directory CACHE, downloading it with `apt-get download` if it is not,
# and writes the absolute path of the cached .deb to file OUT. OUT is rewritten
# only when its content changes, so make rules that depend on it rerun only
# when a different package is chosen.
#
# -d REGEX: PACKAGE is a metapackage (e.g. linux-image-amd64); fetch instead
#           the package it depends on whose name matches the extended regex
#           REGEX (e.g. '^linux-image-[0-9].*-amd64$'), at the exact version
#           the metapackage pins, or else its candidate version.
#
# The choice is remembered in OUT.key and redone only when apt's package
# lists change (each apt-cache call costs about a second here, as Debian's
# container images disable apt's binary cache). If the lists are missing it
# runs `apt-get update` once (root only). If apt cannot resolve the package
# at all (no lists, no network), it falls back to the newest matching .deb
# already in CACHE, with a warning. Quiet on success.
set -eu

me="images/fetch-deb.sh"
die() { echo "$me: error: $*" >&2; exit 1; }
warn() { echo "$me: warning: $*" >&2; }

dep_re=""
if [ "${1:-}" = "-d" ]; then
    [ $# -ge 2 ] || die "-d needs an argument"
    dep_re=$2
    shift 2
fi
[ $# -eq 3 ] || die "usage: fetch-deb.sh [-d REGEX] CACHE PACKAGE OUT"
cache=$1
pkg=$2
out=$3
key="$pkg $dep_re"
lists=/var/lib/apt/lists

# Fast path: same request, lists unchanged since we resolved it, file there.
if [ -f "$out" ] && [ -f "$out.key" ] && [ "$(cat "$out.key")" = "$key" ] &&
   [ -f "$(cat "$out")" ] && [ -d "$lists" ] &&
   [ -z "$(find "$lists" -maxdepth 1 -name '*_Packages*' -newer "$out.key" 2>/dev/null | head -n 1)" ] &&
   [ -n "$(find "$lists" -maxdepth 1 -name '*_Packages*' 2>/dev/null | head -n 1)" ]; then
    exit 0
fi

command -v apt-get >/dev/null 2>&1 || die "apt-get not found (a Debian host is required)"
mkdir -p "$cache" || die "cannot create cache directory $cache"
cache=$(cd "$cache" && pwd)

updated=0
apt_update() {
    [ "$updated" = 0 ] || return 1
    updated=1
    [ "$(id -u)" = 0 ] || return 1
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 </dev/null
}

# field NAME: the value of field NAME in $rec (one apt-cache show record).
field() { printf '%s\n' "$rec" | sed -n "s/^$1: *//p" | head -n 1; }

# resolve: sets name, ver, file (the name apt-get download gives the .deb),
# size and sum (SHA256) of the concrete package to fetch; fails if apt does
# not know it.
resolve() {
    rec=$(LC_ALL=C apt-cache show --no-all-versions "$pkg" 2>/dev/null) || return 1
    [ -n "$rec" ] || return 1
    if [ -n "$dep_re" ]; then
        # Depends: linux-image-6.1.0-56-amd64 (= 6.1.192-2)
        deps=$(field Depends)
        line=$(printf '%s\n' "$deps" | tr ',|' '\n\n' | sed 's/^ *//; s/ *$//' |
               awk -v re="$dep_re" '{ if ($1 ~ re) { print; exit } }')
        [ -n "$line" ] || die "$pkg $(field Version) has no dependency matching '$dep_re' (Depends: $deps)"
        name=${line%% *}
        ver=$(printf '%s\n' "$line" | sed -n 's/.*(= *\([^)]*\)).*/\1/p')
        if [ -n "$ver" ]; then
            rec=$(LC_ALL=C apt-cache show "$name=$ver" 2>/dev/null | awk 'NF == 0 { exit } { print }')
        else
            rec=$(LC_ALL=C apt-cache show --no-all-versions "$name" 2>/dev/null)
        fi
        [ -n "$rec" ] || die "apt knows no $name${ver:+ $ver} (needed by $pkg)"
    fi
    name=$(field Package)
    ver=$(field Version)
    arch=$(field Architecture)
    size=$(field Size)
    sum=$(field SHA256)
    [ -n "$name" ] && [ -n "$ver" ] && [ -n "$arch" ] || return 1
    # apt-get download escapes the epoch colon as %3a.
    file=$(printf '%s_%s_%s.deb' "$name" "$ver" "$arch" | sed 's/:/%3a/g')
    deb=$cache/$file
}

# cached: the .deb is in the cache, complete.
cached() { [ -f "$deb" ] && { [ -z "$size" ] || [ "$(wc -c <"$deb")" -eq "$size" ]; }; }

# download: fetches $name=$ver into the cache (atomically); fails leaving
# apt's messages in $log.
tmp=$cache/.download.$$
log=$tmp.log
trap 'rm -rf "$tmp" "$log"' EXIT
download() {
    rm -rf "$tmp"
    mkdir -p "$tmp"
    (cd "$tmp" && LC_ALL=C apt-get -qq -o APT::Sandbox::User=root \
        download "$name=$ver" >"$log" 2>&1 </dev/null) || return 1
    [ -f "$tmp/$file" ] || { echo "apt-get download did not produce $file" >>"$log"; return 1; }
    if [ -n "$sum" ]; then
        got=$(sha256sum "$tmp/$file" | cut -d' ' -f1)
        [ "$got" = "$sum" ] || die "$file: SHA256 mismatch (got $got, want $sum)"
    fi
    mv -f "$tmp/$file" "$deb"
}

resolved=0
if resolve || { apt_update && resolve; }; then
    resolved=1
    # If the download fails the lists may be stale (the mirror dropped this
    # version): update them once, re-resolve and retry.
    cached || download || { apt_update && resolve && { cached || download; }; } || {
        cat "$log" >&2 2>/dev/null
        die "could not download $name=$ver from the Debian mirror"; }
else
    # apt cannot resolve: use what the cache has.
    deb=$(for f in "$cache"/*.deb; do
              [ -f "$f" ] || continue
              n=$(basename "$f"); n=${n%%_*}
              if [ -n "$dep_re" ]; then
                  printf '%s\n' "$n" | grep -Eq -- "$dep_re" && printf '%s\n' "$f"
              else
                  [ "$n" = "$pkg" ] && printf '%s\n' "$f"
              fi
          done | sort -V | tail -n 1)
    [ -n "$deb" ] || die "apt cannot resolve $pkg (no package lists? run 'apt-get update' as root) and $cache has no copy"
    warn "apt cannot resolve $pkg; using cached $(basename "$deb")"
fi

mkdir -p "$(dirname "$out")"
if [ ! -f "$out" ] || [ "$(cat "$out")" != "$deb" ]; then
    printf '%s\n' "$deb" >"$out.tmp"
    mv -f "$out.tmp" "$out"
fi
if [ "$resolved" = 1 ]; then
    printf '%s\n' "$key" >"$out.key"
else
    rm -f "$out.key"
fi
