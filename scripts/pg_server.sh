#!/usr/bin/env bash
# Throwaway PostgreSQL servers for the tests, from Debian's PostgreSQL packages, with and without
# pgvector. Debian 12 ships no pgvector package: it is built from Debian's source package of the
# newer release (trixie, through a deb-src entry) against postgresql-server-dev-<major>.
#
# The system's installation is never changed: pgvector is installed (make install DESTDIR=…)
# into a cache, and each server runs from a tree of its own. PostgreSQL finds its share and
# library folders relative to its executable when the executable is not where it was built
# for (pg_config --sharedir of a copied bin/ names the copy's ../../share/…), so a tree is a
# copy of bin/ beside symbolic links to the system's share/ and lib/ files, with pgvector's
# files added (or, for the server without pgvector, left out even if the system has them).
#
#   scripts/pg_server.sh packages              install Debian's PostgreSQL (and, with "build",
#                                              what building pgvector takes) when missing; root only
#   scripts/pg_server.sh build CACHE           build pgvector into CACHE/destdir unless there
#   scripts/pg_server.sh tree ROOT [DESTDIR]   a server tree in ROOT, with DESTDIR's pgvector or
#                                              without any; prints its bin folder
#   scripts/pg_server.sh start BIN DIR         a new cluster in DIR (trust auth, a free loopback
#                                              port); prints its postgres:// URL
#   scripts/pg_server.sh stop DIR              stops the cluster in DIR
#
# Every failure prints one line on stderr saying why, and exits 1.
set -u
set -o pipefail

die() {
  echo "pg_server.sh: $*" >&2
  exit 1
}

# The newest installed PostgreSQL's bin folder (Debian: /usr/lib/postgresql/<major>/bin).
system_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

apt_install() { # packages...
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || die "not root: cannot install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null ||
    die "could not install ${missing[*]}"
}

cmd_packages() {
  local bin
  bin=$(system_bin)
  if [ -z "$bin" ]; then
    apt_install postgresql
    bin=$(system_bin)
    [ -n "$bin" ] || die "postgresql installed but no /usr/lib/postgresql/*/bin"
  fi
  if [ "${1:-}" = build ]; then
    local major
    major=$(basename "$(dirname "$bin")")
    apt_install "postgresql-server-dev-$major" build-essential dpkg-dev
  fi
  echo "$bin"
}

# Builds pgvector from Debian's source package into CACHE/destdir (a make install DESTDIR), once.
cmd_build() {
  local cache=${1:?usage: pg_server.sh build CACHE}
  local bin major pg_config
  bin=$(cmd_packages build) || exit 1
  major=$(basename "$(dirname "$bin")")
  pg_config="$bin/pg_config"
  local share lib
  share=$("$pg_config" --sharedir) || die "$pg_config failed"
  lib=$("$pg_config" --pkglibdir) || die "$pg_config failed"
  if [ -f "$cache/destdir$share/extension/vector.control" ] && [ -f "$cache/destdir$lib/vector.so" ]; then
    echo "$cache/destdir"
    return 0
  fi
  local sources=/etc/apt/sources.list.d/trixie-src.sources
  if ! grep -qs '^Types: deb-src' "$sources"; then
    [ "$(id -u)" = 0 ] || die "not root: cannot add $sources"
    printf '%s\n' "Types: deb-src" "URIs: http://deb.debian.org/debian" "Suites: trixie" "Components: main" \
      "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" >"$sources" || die "cannot write $sources"
  fi
  # The deb-src entry may be new, or the lists old: the source index is read afresh.
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || die "apt-get update failed"
  local work
  work=$(mktemp -d) || die "mktemp failed"
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" EXIT
  chmod 755 "$work" # apt downloads as its own user where it can
  (cd "$work" && apt-get source -qq pgvector >/dev/null 2>"$work/apt.log") ||
    die "apt-get source pgvector failed: $(grep -v '^W:' "$work/apt.log" | tail -1)"
  local src
  src=$(ls -d "$work"/pgvector-*/ 2>/dev/null | head -1)
  [ -n "$src" ] || die "apt-get source pgvector unpacked nothing"
  # OPTFLAGS="": pgvector's default adds -march=native, which would tie the build to this CPU.
  make -C "$src" PG_CONFIG="$pg_config" OPTFLAGS="" >"$work/make.log" 2>&1 ||
    die "building pgvector ($(basename "$src")) against PostgreSQL $major failed: $(grep -m1 -i error "$work/make.log")"
  rm -rf "$cache/destdir.new"
  mkdir -p "$cache" || die "cannot make $cache"
  make -C "$src" PG_CONFIG="$pg_config" OPTFLAGS="" DESTDIR="$cache/destdir.new" install >>"$work/make.log" 2>&1 ||
    die "make install of pgvector failed: $(tail -1 "$work/make.log")"
  [ -f "$cache/destdir.new$share/extension/vector.control" ] || die "pgvector installed no vector.control"
  rm -rf "$cache/destdir" && mv "$cache/destdir.new" "$cache/destdir" || die "cannot move the build into $cache"
  echo "built $(basename "$src") against PostgreSQL $major" >&2
  echo "$cache/destdir"
}

# A server tree in ROOT: the system's bin/ copied (a symbolic link would be followed back to
# the system's folders), its share/ and lib/ as links, pgvector's files from DESTDIR or none.
cmd_tree() {
  local root=${1:?usage: pg_server.sh tree ROOT [DESTDIR]} destdir=${2:-}
  local bin
  bin=$(system_bin)
  [ -n "$bin" ] || die "no PostgreSQL in /usr/lib/postgresql (run pg_server.sh packages)"
  local share lib
  share=$("$bin/pg_config" --sharedir) && lib=$("$bin/pg_config" --pkglibdir) || die "$bin/pg_config failed"
  mkdir -p "$root$bin" "$root$(dirname "$share")" "$root$(dirname "$lib")" || die "cannot make $root"
  chmod 755 "$root" # the postgres user runs it
  cp -a "$bin/." "$root$bin/" || die "cannot copy $bin"
  cp -as "$share" "$root$(dirname "$share")/" || die "cannot link $share"
  cp -as "$lib" "$root$(dirname "$lib")/" || die "cannot link $lib"
  # Whatever pgvector the system has is left out; then DESTDIR's is copied in.
  rm -rf "$root$share"/extension/vector.control "$root$share"/extension/vector--*.sql "$root$lib/vector.so" \
    "$root$lib/bitcode/vector" "$root$lib/bitcode/vector.index.bc"
  if [ -n "$destdir" ]; then
    [ -f "$destdir$share/extension/vector.control" ] || die "$destdir has no pgvector for $share"
    cp -r --remove-destination "$destdir/." "$root/" || die "cannot copy pgvector from $destdir"
  fi
  local found
  found=$("$root$bin/pg_config" --sharedir)
  [ "$found" = "$root$share" ] || die "the copied PostgreSQL reads $found, not $root$share"
  echo "$root$bin"
}

# The command prefix that runs a program as the postgres user when this runs as root.
as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cmd_start() {
  local bin=${1:?usage: pg_server.sh start BIN DIR} dir=${2:?usage: pg_server.sh start BIN DIR}
  mkdir -p "$dir" || die "cannot make $dir"
  [ "$(id -u)" = 0 ] && { chown postgres "$dir" || die "cannot give $dir to postgres"; }
  echo "$bin" >"$dir/bin" || die "cannot write $dir/bin"
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null) ||
    port=$((20000 + RANDOM % 20000))
  as_postgres "$bin/initdb" -D "$dir/data" -U postgres --auth=trust >"$dir/initdb.log" 2>&1 ||
    die "initdb failed: $(tail -1 "$dir/initdb.log")"
  as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null 2>&1 ||
    die "the server did not start: $(tail -1 "$dir/log" 2>/dev/null)"
  echo "postgres://postgres@127.0.0.1:$port/postgres"
}

cmd_stop() {
  local dir=${1:?usage: pg_server.sh stop DIR}
  [ -f "$dir/bin" ] || die "$dir: no cluster started here"
  as_postgres "$(cat "$dir/bin")/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || die "$dir: pg_ctl stop failed"
}

case "${1:-}" in
packages) shift && cmd_packages "$@" ;;
build) shift && cmd_build "$@" ;;
tree) shift && cmd_tree "$@" ;;
start) shift && cmd_start "$@" ;;
stop) shift && cmd_stop "$@" ;;
*) die "usage: pg_server.sh packages|build CACHE|tree ROOT [DESTDIR]|start BIN DIR|stop DIR" ;;
esac
