# debian-apt.sh — sourced by the Debian Dom0 build scripts (POSIX sh):
# mk-zfs-modules.sh and mk-dom0-root.sh.
#
# A private apt (own package lists, own empty dpkg status) over the same
# Debian archive the host uses, with the `contrib` component added (zfs-dkms
# and zfsutils-linux live there). It answers "which version would be
# installed" without touching the host's apt state, so that the Dom0 image
# and the ZFS modules can be keyed on the exact versions they are built from.
#
# The archive is the host's: the URIs and suites of its apt index targets for
# $DEBIAN_SUITE (bookworm), $DEBIAN_SUITE-updates and $DEBIAN_SUITE-security,
# so the kernel images/ fetches with the host's apt and the headers and
# modules built here come from the same place.
#
# Callers set `me` and define die(); then:
#   apt_unchanged STATE FILE  true if FILE is newer than STATE's last update
#                         and the host's lists are not (nothing to re-resolve)
#   apt_init STATE        sets up STATE/ (sources.list and apt's directories)
#   apt_refresh           apt-get update, when STATE's lists are missing or
#                         older than the host's (i.e. after the host's update)
#   apt_version PKG       the candidate version of PKG (empty: unknown)
#   apt_closure PKG...    "name version" of every package an install of PKG...
#                         into an empty system would unpack, sorted
#   APT_SOURCES           the sources.list file (also what mmdebstrap gets)
# and, for a script that caches one file and writes its path to OUT, with
# $inputs (a hash of what it was asked) set:
#   inputs_current STATE OUT  true if OUT names an existing file made from the
#                         same $inputs, apt's lists unchanged since
#   publish OUT FILE      writes FILE's path to OUT (only when it changes)
#                         and $inputs to OUT.key
#   build_begin DIR TAG   checks for root and mmdebstrap, makes the scratch
#                         directory $work in DIR (removed on exit), sets $start
#   debian_bootstrap DEBS ARGS...  mmdebstrap, see below

DEBIAN_SUITE=${DEBIAN_SUITE:-bookworm}
DEBIAN_KEYRING=${DEBIAN_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}

apt_unchanged() {
    [ -f "$1/updated" ] && [ -f "$2" ] && [ "$2" -nt "$1/updated" ] &&
        [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -newer "$1/updated" 2>/dev/null | head -n 1)" ]
}

apt_init() {
    apt_state=$1
    mkdir -p "$apt_state/lists/partial" "$apt_state/cache/archives/partial" \
        "$apt_state/empty" || die "cannot create $apt_state"
    : >>"$apt_state/status"
    APT_SOURCES=$apt_state/sources.list
    APT_OPTS="-o Dir::Etc::SourceList=$APT_SOURCES -o Dir::Etc::SourceParts=$apt_state/empty
 -o Dir::Etc::Preferences=$apt_state/empty/none -o Dir::Etc::PreferencesParts=$apt_state/empty
 -o Dir::State::Lists=$apt_state/lists -o Dir::State::status=$apt_state/status
 -o Dir::Cache=$apt_state/cache -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
 -o APT::Install-Recommends=false -o Acquire::Languages=none"
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found (a Debian host is required)"
    [ -f "$DEBIAN_KEYRING" ] || die "$DEBIAN_KEYRING missing (install debian-archive-keyring)"
    # The host's targets (its lists must exist for indextargets to list them).
    targets=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
              awk -v s="$DEBIAN_SUITE" '$2 == s || $2 == s "-updates" || $2 == s "-security"' |
              LC_ALL=C sort -u)
    if [ -z "$targets" ] && [ "$(id -u)" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 </dev/null
        targets=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
                  awk -v s="$DEBIAN_SUITE" '$2 == s || $2 == s "-updates" || $2 == s "-security"' |
                  LC_ALL=C sort -u)
    fi
    [ -n "$targets" ] || die "the host's apt has no $DEBIAN_SUITE sources (or no lists: run apt-get update)"
    printf '%s\n' "$targets" |
        awk -v k="$DEBIAN_KEYRING" '{ print "deb [signed-by=" k "] " $1 " " $2 " main contrib" }' \
        >"$APT_SOURCES.tmp"
    if cmp -s "$APT_SOURCES.tmp" "$APT_SOURCES"; then
        rm -f "$APT_SOURCES.tmp"
    else
        mv -f "$APT_SOURCES.tmp" "$APT_SOURCES"
        rm -f "$apt_state/updated"
    fi
}

# shellcheck disable=SC2086 # APT_OPTS is a list of words
apt_refresh() {
    host_new=""
    if [ -f "$apt_state/updated" ]; then
        host_new=$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' \
                   -newer "$apt_state/updated" 2>/dev/null | head -n 1)
        [ -z "$host_new" ] && return 0
    fi
    LC_ALL=C apt-get $APT_OPTS -qq update >"$apt_state/update.log" 2>&1 </dev/null || {
        cat "$apt_state/update.log" >&2
        die "apt-get update of the Dom0 package lists failed"; }
    # apt-get update succeeds with a warning when a list is unreachable.
    if grep -q '^[WE]:' "$apt_state/update.log"; then
        cat "$apt_state/update.log" >&2
        die "apt-get update of the Dom0 package lists reported problems"
    fi
    touch "$apt_state/updated"
}

# shellcheck disable=SC2086
apt_version() {
    LC_ALL=C apt-cache $APT_OPTS policy "$1" 2>/dev/null |
        awk '$1 == "Candidate:" && $2 != "(none)" { print $2; exit }'
}

# shellcheck disable=SC2086
apt_closure() {
    out=$(LC_ALL=C apt-get $APT_OPTS -s -qq install "$@" 2>&1 </dev/null) || {
        printf '%s\n' "$out" >&2
        die "apt cannot resolve the Dom0 package set"; }
    printf '%s\n' "$out" | awk '$1 == "Inst" { v = $3; sub(/^\(/, "", v); print $2, v }' |
        LC_ALL=C sort -u
}

# debian_bootstrap DEBS ARGS...: mmdebstrap (root mode, the private sources
# as its mirror) with ARGS; .deb files are kept in directory DEBS between
# builds (hard links where possible), so a rebuild downloads only what
# changed. Its log goes to $work/log; shown on failure.
debian_bootstrap() {
    debs=$1
    shift
    mkdir -p "$debs" || die "cannot create $debs"
    mmdebstrap --mode=root --skip=essential/unlink --aptopt='Acquire::Languages "none"' \
        --setup-hook='mkdir -p "$1/var/cache/apt/archives/partial"' \
        --setup-hook="for f in '$debs'/*.deb; do
                          [ ! -f \"\$f\" ] || cp -l \"\$f\" \"\$1/var/cache/apt/archives/\" 2>/dev/null ||
                              cp \"\$f\" \"\$1/var/cache/apt/archives/\" || exit 1
                      done" \
        --customize-hook="for f in \"\$1\"/var/cache/apt/archives/*.deb; do
                              [ -e \"$debs/\${f##*/}\" ] || cp -l \"\$f\" '$debs/' 2>/dev/null || cp \"\$f\" '$debs/'
                          done" \
        "$@" >"$work/log" 2>&1 </dev/null || {
        tail -n 40 "$work/log" >&2
        return 1; }
}

inputs_current() {
    [ -f "$2" ] && [ -f "$(cat "$2")" ] && [ "$(cat "$2.key" 2>/dev/null)" = "$inputs" ] &&
        apt_unchanged "$1" "$2.key"
}

publish() {
    mkdir -p "$(dirname "$1")"
    if [ ! -f "$1" ] || [ "$(cat "$1")" != "$2" ]; then
        printf '%s\n' "$2" >"$1.tmp" && mv -f "$1.tmp" "$1"
    fi
    printf '%s\n' "$inputs" >"$1.key"
}

build_begin() {
    [ "$(id -u)" = 0 ] || die "this build needs root (mmdebstrap, chroot)"
    command -v mmdebstrap >/dev/null 2>&1 || die "mmdebstrap not found (scripts/deps.sh installs it)"
    mkdir -p "$1" || die "cannot create $1"
    work=$1/.$2.$$
    # --one-file-system: should mmdebstrap be killed with /proc, /sys or
    # /dev/pts still mounted in the chroot, nothing of them is touched.
    trap 'rm -rf --one-file-system "$work"' EXIT
    trap 'exit 1' INT TERM HUP
    rm -rf --one-file-system "$work"
    mkdir -p "$work" || die "cannot create $work"
    start=$(date +%s)
}
