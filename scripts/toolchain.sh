#!/usr/bin/env bash
# Make the real Pulumi engine usable on this machine without downloading anything at run time.
#
#   export PATH="$(bash scripts/toolchain.sh):$PATH"
#   export PULUMI_SKIP_UPDATE_CHECK=true
#
# Prints the absolute path of a bin directory (on stdout, nothing else) that holds:
#   pulumi                    the CLI/engine, github.com/pulumi/pulumi/pkg/v3 v3.248.0
#   pulumi-language-nodejs    our own Node.js language host      (scripts/toolchain/language-nodejs)
#   pulumi-resource-rabbitmq  our own bridged rabbitmq provider   (scripts/toolchain/rabbitmq)
#   pulumi-resource-docker    our own bridged docker provider     (scripts/toolchain/docker)
# The engine finds the plugins as "ambient" plugins on PATH, so nothing goes to ~/.pulumi/plugins.
# Progress goes to stderr.
#
# Every entry of the bin dir (<repo>/.toolchain/bin, git-ignored) is a symlink to the binary chosen,
# per binary, in order of preference:
#   1. already on PATH (outside our bin dir) with the right version;
#   2. our cached build, <repo>/.toolchain/build/<name>, if its stamp (<name>.stamp next to it)
#      still matches: the version, the go version, the build flags, and a hash of the wrapper
#      module's go.mod, go.sum and *.go files (so editing any of them rebuilds);
#   3. a fresh build from Go modules (the only network access: the Go module proxy, for modules not
#      yet in the module cache). Its build time is printed.
# Builds live outside bin/ so that choosing an ambient binary never throws a build away; the CLI's
# symlink resolving to build/ also makes the engine treat build/pulumi-language-nodejs as its
# "bundled" language host (no "using ... from $PATH" warning for it).
#
# Integrity: GOSUMDB=off because the checksum database is not reachable from here, so every
# wrapper module commits its go.sum (from `go mod tidy`) and builds use -mod=readonly against it:
# a module whose content differs from go.sum fails the build.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
tooldir="$repo/.toolchain"
bindir="$tooldir/bin"
builddir="$tooldir/build"

PULUMI_VERSION="v3.248.0"
RABBITMQ_VERSION="3.3.8"
DOCKER_VERSION="4.6.2" # the version @pulumi/docker declares; the engine looks the plugin up by it

log() { printf 'toolchain: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v go >/dev/null 2>&1 || die "go is not on PATH (needed to build the Pulumi toolchain)"
export GOSUMDB=off
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}" # never fetch a Go toolchain behind our back
case " ${GOFLAGS:-} " in *" -buildvcs=false "*) ;; *) export GOFLAGS="${GOFLAGS:+$GOFLAGS }-buildvcs=false" ;; esac

mkdir -p "$bindir" "$builddir"
# One build at a time (two concurrent builds of the CLI would each take both cores).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$tooldir/.lock"
  if ! flock -n 9; then
    log "waiting for another scripts/toolchain.sh to finish..."
    flock 9
  fi
fi

goversion="$(go env GOVERSION) $(go env GOOS)/$(go env GOARCH)"

# hash_module DIR: one sha256 over the module's go.mod, go.sum and Go sources (paths included).
hash_module() {
  (cd "$1" && find . -type f \( -name go.mod -o -name go.sum -o -name '*.go' \) -print0 |
    LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
}

# find_on_path NAME: first NAME on PATH that is not in our own bin dir.
find_on_path() {
  local dir IFS=:
  for dir in $PATH; do
    [[ -n "$dir" ]] || continue
    [[ "$(cd "$dir" 2>/dev/null && pwd -P)" == "$bindir" ]] && continue
    if [[ -x "$dir/$1" && ! -d "$dir/$1" ]]; then
      printf '%s\n' "$dir/$1"
      return 0
    fi
  done
  return 1
}

# reported_version NAME PATH: the version the binary reports (plugins: --version/-version).
reported_version() {
  local out
  case "$1" in
    pulumi) out="$(PULUMI_SKIP_UPDATE_CHECK=true timeout 20 "$2" version 2>/dev/null)" || return 1 ;;
    *) out="$(timeout 20 "$2" -version </dev/null 2>/dev/null)" || return 1 ;;
  esac
  out="$(printf '%s' "$out" | head -n1 | tr -d '[:space:]')"
  printf 'v%s\n' "${out#v}"
}

fmt_duration() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# point_bin NAME TARGET: make bin/NAME a symlink to TARGET (no-op when it already is).
point_bin() {
  if [[ "$(readlink "$bindir/$1" 2>/dev/null || true)" != "$2" ]]; then
    rm -f "$bindir/$1"
    ln -s "$2" "$bindir/$1"
  fi
}

# ensure NAME VERSION MODULE_DIR PACKAGE LDFLAGS [TAGS]
ensure() {
  local name="$1" version="$2" moddir="$repo/$3" pkg="$4" ldflags="$5" tags="${6:-}"
  local build="$builddir/$name" stamp="$builddir/$name.stamp" ambient want have start secs tmp

  # 1. On PATH already, at the right version.
  if ambient="$(find_on_path "$name")" && [[ "$(reported_version "$name" "$ambient" || true)" == "v${version#v}" ]]; then
    [[ "$(readlink "$bindir/$name" 2>/dev/null || true)" == "$ambient" ]] ||
      log "$name ${version}: using $ambient from PATH"
    point_bin "$name" "$ambient"
    return 0
  fi

  # 2. Cached build whose stamp matches (build tags only in the stamps of builds that use them, so
  #    existing stamps stay valid).
  [[ -f "$moddir/go.mod" && -f "$moddir/go.sum" ]] || die "$3 must contain go.mod and go.sum"
  want="version=$version
go=$goversion
ldflags=$ldflags
${tags:+tags=$tags
}package=$pkg
sources=$(hash_module "$moddir")"
  if [[ -f "$build" && -f "$stamp" ]] && have="$(cat "$stamp")" && [[ "$have" == "$want" ]]; then
    point_bin "$name" "../build/$name"
    return 0
  fi

  # 3. Build.
  log "building $name $version from Go modules ($3)..."
  start=$SECONDS
  tmp="$build.tmp.$$"
  rm -f "$stamp"
  if ! (cd "$moddir" && go build -mod=readonly -trimpath ${tags:+-tags "$tags"} -ldflags "$ldflags" -o "$tmp" "$pkg") >&2; then
    rm -f "$tmp"
    die "building $name failed"
  fi
  mv -f "$tmp" "$build"
  printf '%s\n' "$want" >"$stamp"
  point_bin "$name" "../build/$name"
  secs=$((SECONDS - start))
  log "built $name $version in $(fmt_duration "$secs") (${secs}s)"
}

sdkversion="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION"
ensure pulumi "$PULUMI_VERSION" scripts/toolchain/pulumi \
  github.com/pulumi/pulumi/pkg/v3/cmd/pulumi "-s -w $sdkversion"
ensure pulumi-language-nodejs "$PULUMI_VERSION" scripts/toolchain/language-nodejs \
  . "-s -w $sdkversion"
ensure pulumi-resource-rabbitmq "$RABBITMQ_VERSION" scripts/toolchain/rabbitmq \
  . "-s -w -X main.version=$RABBITMQ_VERSION"
# no_compose: leaves out the Terraform provider's compose resources (plugin-framework, not bridged),
# and with them docker/compose and its dependencies.
ensure pulumi-resource-docker "$DOCKER_VERSION" scripts/toolchain/docker \
  . "-s -w -X main.version=$DOCKER_VERSION" no_compose

command -v node >/dev/null 2>&1 || log "warning: node is not on PATH; Pulumi programs need it"
log "ready: export PATH=\"$bindir:\$PATH\" PULUMI_SKIP_UPDATE_CHECK=true"
printf '%s\n' "$bindir"
