#!/usr/bin/env bash
# Make the real Pulumi engine usable on this machine without downloading anything at run time.
#
#   export PATH="$(bash scripts/toolchain.sh):$PATH"
#   export PULUMI_SKIP_UPDATE_CHECK=true
#
# Prints the absolute path of a bin directory (on stdout, nothing else) that holds the official
# Pulumi parts, at the versions package.json pins:
#   pulumi                      the CLI/engine             github.com/pulumi/pulumi/pkg/v3 v3.248.0
#   pulumi-language-nodejs      the Node.js language host  pulumi/pulumi v3.248.0 sdk/nodejs/cmd/...
#   pulumi-resource-rabbitmq    the rabbitmq provider      pulumi/pulumi-rabbitmq v3.3.8
#   pulumi-resource-docker      the docker provider        pulumi/pulumi-docker v4.6.2
#   pulumi-resource-kubernetes  the kubernetes provider    pulumi/pulumi-kubernetes v4.32.0
#   pulumi-resource-tls         the tls provider           pulumi/pulumi-tls v5.3.0
# The engine finds the plugins as "ambient" plugins on PATH, so nothing goes to ~/.pulumi/plugins.
# Progress goes to stderr.
#
# Every entry of the bin dir (<repo>/.toolchain/bin, git-ignored) is a symlink to the binary chosen,
# per binary, in order of preference:
#   1. installed already at the right version: on PATH (outside our bin dir; checked by its
#      version flag), or for a plugin in the plugin cache where `pulumi plugin install` puts it
#      ($PULUMI_HOME/plugins/resource-NAME-vVERSION, default ~/.pulumi);
#   2. our cached build, <repo>/.toolchain/build/<name>, if its stamp (<name>.stamp next to it)
#      still matches: the version, the go version, the sha256 of every source archive, the recipe
#      (the text of its build function below) and the committed go.sum it starts from;
#   2b. the build cache outside the repo, so that a fresh clone on this machine builds nothing:
#      ${WARREN_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/warren-builds}/<name>/<key>/<name>,
#      <key> the sha256 of the stamp text (the bytes of the .stamp file: its lines, each ending in
#      a newline); hardlinked (or copied) into .toolchain/build, and the stamp written. Each build
#      of step 3, and a step-2 build the cache lacks, is stored there (by a temporary name and a
#      rename, so an entry is never a half file). Removing the folder only costs rebuilds;
#   3. a build from the official source: the CLI from its Go module (wrapper module
#      scripts/toolchain/pulumi, go.mod and go.sum only); the language host and the providers from
#      the upstream source archives in ../shared/upstream (WARREN_UPSTREAM overrides), sha256
#      checked against the values below (from the archives' MANIFEST.md), built with the recipes
#      MANIFEST.md gives. The only network access is the Go module proxy. Build times are printed.
# Where neither a binary nor the archive is there, it stops and says how to install the plugin the
# normal way (`pulumi plugin install resource NAME VERSION`).
#
# Integrity: GOSUMDB=off because the checksum database is not reachable from here. The CLI's
# wrapper module commits its go.sum and builds with -mod=readonly. The plugins' own go.mod files are
# edited as MANIFEST.md says (dropped local replaces), so their upstream go.sum is not complete: the
# go.sum resolved by a build is committed as scripts/toolchain/sums/<name>.go.sum and copied in
# before every later build, so a module whose content differs from it fails the build.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
tooldir="$repo/.toolchain"
bindir="$tooldir/bin"
builddir="$tooldir/build"
srcdir="$tooldir/src"
sumsdir="$repo/scripts/toolchain/sums"
upstream="${WARREN_UPSTREAM:-$repo/../shared/upstream}"

PULUMI_VERSION="v3.248.0"
RABBITMQ_VERSION="3.3.8"
DOCKER_VERSION="4.6.2"
KUBERNETES_VERSION="4.32.0"
TLS_VERSION="5.3.0"
buildcache="${WARREN_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/warren-builds}"

# sha256 of each source archive, as ../shared/upstream/MANIFEST.md gives them.
declare -A ARCHIVE_SHA256=(
  [pulumi-language-nodejs-v3.248.0.tar.gz]=e557faf5275110e8d2a7feba505ccb6f327c54bd22e3f9e75475ab4b2546f3d6
  [pulumi-rabbitmq-v3.3.8.tar.gz]=d9229f2486d54f3e7e60b9a80fa91afa283ff6bb0d8ad22b0f41e6af978d15b5
  [terraform-provider-rabbitmq-926b921.tar.gz]=3ffe1a361a2e5f2ff321fa1b2781df31d2d00edd007638f78efbf409919537c5
  [pulumi-docker-v4.6.2.tar.gz]=1a6d00fb876facd7e70375f01368d6eabc80cb670a8c173b4aa58bd796b1754f
  [terraform-provider-docker-54685a5.tar.gz]=93eb3d6704d56c8af40ec2b6e65e67fb5f7f44e6b272de953930b0b957aedffc
  [pulumi-kubernetes-v4.32.0.tar.gz]=9425c29e8355c15f173d84410ff1ce7bb1ef2232828d30db4b896818b47bb17b
  [pulumi-tls-v5.3.0.tar.gz]=c253e5a18b5910de92526637604ffd2416aae39d8c279739878b8b16c28a03ef
  [terraform-provider-tls-857b38c.tar.gz]=83ae92c22afccaa775fc1209f7e6247dfd533624ae6af34079eefd7d4a3e5c7c
)

log() { printf 'toolchain: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v go >/dev/null 2>&1 || die "go is not on PATH (needed to build the Pulumi toolchain)"
export GOSUMDB=off CGO_ENABLED=0
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}" # never fetch a Go toolchain behind our back
case " ${GOFLAGS:-} " in *" -buildvcs=false "*) ;; *) export GOFLAGS="${GOFLAGS:+$GOFLAGS }-buildvcs=false" ;; esac

mkdir -p "$bindir" "$builddir" "$srcdir"
# Physical paths from here on: a .toolchain that is a symlink (a second worktree sharing this
# one's builds) must still be recognised as ours on PATH, or its bin would link to itself.
bindir="$(cd "$bindir" && pwd -P)"
# One build at a time (a build takes both cores).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$tooldir/.lock"
  if ! flock -n 9; then
    log "waiting for another scripts/toolchain.sh to finish..."
    flock 9
  fi
fi

goversion="$(go env GOVERSION) $(go env GOOS)/$(go env GOARCH)"
fmt_duration() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }
sha() { sha256sum "$@" | cut -d' ' -f1; }

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

# reported_version NAME PATH: the version the binary reports (CLI: `version`; others: -version).
reported_version() {
  local out
  case "$1" in
    pulumi) out="$(PULUMI_SKIP_UPDATE_CHECK=true timeout 20 "$2" version 2>/dev/null)" || return 1 ;;
    *) out="$(timeout 20 "$2" -version </dev/null 2>/dev/null)" || return 1 ;;
  esac
  out="$(printf '%s' "$out" | head -n1 | tr -d '[:space:]')"
  printf 'v%s\n' "${out#v}"
}

# point_bin NAME TARGET: make bin/NAME a symlink to TARGET (no-op when it already is).
point_bin() {
  if [[ "$(readlink "$bindir/$1" 2>/dev/null || true)" != "$2" ]]; then
    rm -f "$bindir/$1"
    ln -s "$2" "$bindir/$1"
  fi
}

# archive FILE: the verified path of an upstream source archive (dies when missing or altered).
archive() {
  local path="$upstream/$1" want="${ARCHIVE_SHA256[$1]}"
  [[ -f "$path" ]] || return 1
  [[ "$(sha "$path")" == "$want" ]] || die "$path: sha256 differs from MANIFEST.md's $want"
  printf '%s\n' "$path"
}

# fresh_src NAME: an empty folder to unpack NAME's sources in.
fresh_src() {
  rm -rf "${srcdir:?}/$1"
  mkdir -p "$srcdir/$1"
  printf '%s\n' "$srcdir/$1"
}

# unpack NAME ARCHIVE...: NAME's emptied source folder with the verified archives unpacked in it.
unpack() {
  local src a
  src="$(fresh_src "$1")"
  shift
  for a in "$@"; do tar -xzf "$(archive "$a")" -C "$src"; done
  printf '%s\n' "$src"
}

# with_sum NAME MODDIR: start from the committed go.sum (when there is one); after the build,
# keep_sum copies the resolved go.sum next to the build (commit it as scripts/toolchain/sums/NAME.go.sum).
with_sum() { [[ ! -f "$sumsdir/$1.go.sum" ]] || cp "$sumsdir/$1.go.sum" "$2/go.sum"; }
keep_sum() {
  cp "$2/go.sum" "$builddir/$1.go.sum"
  if [[ ! -f "$sumsdir/$1.go.sum" ]] || ! cmp -s "$2/go.sum" "$sumsdir/$1.go.sum"; then
    log "note: $1 resolved a go.sum that differs from scripts/toolchain/sums/$1.go.sum; it is in $builddir/$1.go.sum"
  fi
}

# apply_patches DIR PATCHDIR: the bridged provider's patches, in order, to its upstream folder.
apply_patches() {
  local p
  for p in "$2"/*.patch; do
    (cd "$1" && patch -p1 --quiet --forward <"$p") >&2 || die "patch $(basename "$p") does not apply"
  done
}

# place FROM TO: FROM at TO (a hardlink, or a copy on another file system) by a temporary name in
# TO's folder and a rename, so TO is never a half file.
place() {
  local tmp
  [[ ! "$1" -ef "$2" ]] || return 0 # hardlinked already (mv would refuse: the same file)
  tmp="$(dirname "$2")/.$(basename "$2").tmp.$$"
  if ! { ln -f "$1" "$tmp" 2>/dev/null || cp -f "$1" "$tmp"; } || ! mv -f "$tmp" "$2"; then
    rm -f "$tmp"
    return 1
  fi
}

# cache_store ENTRY FILE: keep a build in the build cache (best effort: a failure is only logged).
cache_store() {
  if mkdir -p "$(dirname "$1")" 2>/dev/null && place "$2" "$1"; then
    log "$(basename "$2"): stored in the build cache as $1"
  else
    log "note: could not store $2 in the build cache as $1"
  fi
}

# generate_build NAME VERSION MODULE DIR OUT: in a provider's Go module DIR, `go generate` in
# cmd/pulumi-resource-NAME makes the schema (and mapping) the binary embeds, then `go build` with the
# version in the ldflags.
generate_build() {
  (cd "$4/cmd/pulumi-resource-$1" && VERSION="$2" GOFLAGS="$GOFLAGS -mod=mod" go generate ./...) >&2
  (cd "$4" && go build -mod=mod -trimpath -ldflags "-s -w -X $3/pkg/version.Version=$2" \
    -o "$5" "./cmd/pulumi-resource-$1") >&2
}

# --- recipes (each: build_NAME OUT; their text is part of the stamp) -------------------------------

build_pulumi() {
  (cd "$repo/scripts/toolchain/pulumi" &&
    go build -mod=readonly -trimpath \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
      -o "$1" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) >&2
}

build_pulumi_language_nodejs() {
  local src mod
  src="$(fresh_src pulumi-language-nodejs)"
  tar -xzf "$(archive pulumi-language-nodejs-v3.248.0.tar.gz)" -C "$src"
  mod="$src/pulumi-v3.248.0/sdk/nodejs/cmd/pulumi-language-nodejs"
  # Its go.mod replaces pkg and sdk with folders of the monorepo: take them from the module proxy
  # at the same version instead (the one non-local replace stays).
  (cd "$mod" && go mod edit \
    -dropreplace=github.com/pulumi/pulumi/pkg/v3 -dropreplace=github.com/pulumi/pulumi/sdk/v3 \
    -require="github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" \
    -require="github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION")
  with_sum pulumi-language-nodejs "$mod"
  (cd "$mod" && go build -mod=mod -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    -o "$1" .) >&2
  keep_sum pulumi-language-nodejs "$mod"
}

# build_bridged NAME VERSION ARCHIVE TF_ARCHIVE MODULE OUT: a Terraform-bridged provider: the
# Terraform provider's source becomes upstream/, the patches apply to it, `go generate` makes the
# schema and mapping the binary embeds, then `go build` in provider/.
build_bridged() {
  local name="$1" top="${3%.tar.gz}" tf="${4%.tar.gz}" src
  src="$(unpack "pulumi-resource-$name" "$3" "$4")"
  mv "$src/$tf" "$src/$top/upstream"
  apply_patches "$src/$top/upstream" "$src/$top/patches"
  with_sum "pulumi-resource-$name" "$src/$top/provider"
  generate_build "$name" "$2" "$5" "$src/$top/provider" "$6"
  keep_sum "pulumi-resource-$name" "$src/$top/provider"
}

build_pulumi_resource_rabbitmq() {
  build_bridged rabbitmq "$RABBITMQ_VERSION" pulumi-rabbitmq-v3.3.8.tar.gz \
    terraform-provider-rabbitmq-926b921.tar.gz github.com/pulumi/pulumi-rabbitmq/provider/v3 "$1"
}

build_pulumi_resource_docker() {
  build_bridged docker "$DOCKER_VERSION" pulumi-docker-v4.6.2.tar.gz \
    terraform-provider-docker-54685a5.tar.gz github.com/pulumi/pulumi-docker/provider/v4 "$1"
}

# The kubernetes provider is not bridged: provider/ is its Go module. Its go.mod is edited as
# MANIFEST.md says: the local replace of the SDK dropped; pkg and sdk at v3.246.0, fluxcd's ssa at
# v0.72.0 and the generator-only dotnet language host dropped, because the module proxy refuses
# the versions upstream names.
build_pulumi_resource_kubernetes() {
  local mod
  mod="$(unpack pulumi-resource-kubernetes pulumi-kubernetes-v4.32.0.tar.gz)/pulumi-kubernetes-v4.32.0"
  mod+=/provider
  (cd "$mod" && go mod edit \
    -dropreplace=github.com/pulumi/pulumi-kubernetes/sdk/v4 \
    -require="github.com/pulumi/pulumi-kubernetes/sdk/v4@v$KUBERNETES_VERSION" \
    -require=github.com/pulumi/pulumi/pkg/v3@v3.246.0 -require=github.com/pulumi/pulumi/sdk/v3@v3.246.0 \
    -replace=github.com/fluxcd/pkg/ssa=github.com/fluxcd/pkg/ssa@v0.72.0 \
    -droprequire=github.com/pulumi/pulumi-dotnet/pulumi-language-dotnet/v3)
  with_sum pulumi-resource-kubernetes "$mod"
  generate_build kubernetes "$KUBERNETES_VERSION" github.com/pulumi/pulumi-kubernetes/provider/v4 \
    "$mod" "$1"
  keep_sum pulumi-resource-kubernetes "$mod"
}

# The tls provider is bridged, but with no upstream/ folder: provider/ and provider/shim/ require
# the Terraform provider as a Go module, at a pseudo-version the module proxy refuses, so both
# replace it with the unpacked archive (MANIFEST.md).
build_pulumi_resource_tls() {
  local src mod tf
  src="$(unpack pulumi-resource-tls pulumi-tls-v5.3.0.tar.gz terraform-provider-tls-857b38c.tar.gz)"
  mod="$src/pulumi-tls-v5.3.0/provider" tf="$src/terraform-provider-tls-857b38c"
  (cd "$mod" && go mod edit -replace="github.com/hashicorp/terraform-provider-tls=$tf")
  (cd "$mod/shim" && go mod edit -replace="github.com/hashicorp/terraform-provider-tls=$tf")
  with_sum pulumi-resource-tls "$mod"
  generate_build tls "$TLS_VERSION" github.com/pulumi/pulumi-tls/provider/v5 "$mod" "$1"
  keep_sum pulumi-resource-tls "$mod"
}

# --- choosing each binary -------------------------------------------------------------------------

# ensure NAME VERSION KIND(cli|language|resource) VERSIONFLAG(yes|no) ARCHIVES...
ensure() {
  local name="$1" version="$2" kind="$3" has_flag="$4"
  shift 4
  local build="$builddir/$name" stamp="$builddir/$name.stamp" recipe="build_${name//-/_}"
  local ambient want have entry start secs tmp a

  # 1. Installed already, at the right version.
  if [[ "$has_flag" == yes ]] && ambient="$(find_on_path "$name")" &&
    [[ "$(reported_version "$name" "$ambient" || true)" == "v${version#v}" ]]; then
    [[ "$(readlink "$bindir/$name" 2>/dev/null || true)" == "$ambient" ]] ||
      log "$name ${version}: using $ambient from PATH"
    point_bin "$name" "$ambient"
    return 0
  fi
  if [[ "$kind" == resource ]]; then
    ambient="${PULUMI_HOME:-$HOME/.pulumi}/plugins/resource-${name#pulumi-resource-}-v${version#v}/$name"
    if [[ -x "$ambient" ]]; then
      [[ "$(readlink "$bindir/$name" 2>/dev/null || true)" == "$ambient" ]] ||
        log "$name ${version}: using $ambient (installed plugin)"
      point_bin "$name" "$ambient"
      return 0
    fi
  fi

  # 2. Cached build whose stamp matches.
  want="version=$version
go=$goversion
recipe=$(declare -f "$recipe" | sha)"
  for a in "$@"; do want+="
archive=$a ${ARCHIVE_SHA256[$a]}"; done
  [[ ! -f "$sumsdir/$name.go.sum" ]] || want+="
go.sum=$(sha "$sumsdir/$name.go.sum")"
  [[ "$name" != pulumi ]] || want+="
module=$(cat "$repo/scripts/toolchain/pulumi/go.mod" "$repo/scripts/toolchain/pulumi/go.sum" | sha)"
  entry="$buildcache/$name/$(printf '%s\n' "$want" | sha)/$name"
  if [[ -f "$build" && -f "$stamp" ]] && have="$(cat "$stamp")" && [[ "$have" == "$want" ]]; then
    [[ -f "$entry" ]] || cache_store "$entry" "$build"
    point_bin "$name" "../build/$name"
    return 0
  fi

  # 2b. The build cache outside the repo, under the sha256 of the stamp text.
  if [[ -f "$entry" ]] && place "$entry" "$build"; then
    printf '%s\n' "$want" >"$stamp"
    point_bin "$name" "../build/$name"
    log "$name ${version}: using the build cache $entry"
    return 0
  fi

  # 3. Build from the official source.
  for a in "$@"; do
    [[ -f "$upstream/$a" ]] || die "$name $version: not installed, and its source archive $upstream/$a is not here.
  Install the official plugin the normal way: pulumi plugin install $kind ${name#pulumi-$kind-} ${version#v}
  (or put $name $version on PATH, or set WARREN_UPSTREAM to the folder holding $a)."
  done
  log "building $name $version from its official source..."
  start=$SECONDS
  tmp="$build.tmp.$$"
  rm -f "$stamp"
  if ! "$recipe" "$tmp"; then
    rm -f "$tmp"
    die "building $name failed"
  fi
  mv -f "$tmp" "$build"
  printf '%s\n' "$want" >"$stamp"
  point_bin "$name" "../build/$name"
  secs=$((SECONDS - start))
  log "built $name $version in $(fmt_duration "$secs") (${secs}s)"
  cache_store "$entry" "$build"
}

ensure pulumi "$PULUMI_VERSION" cli yes
ensure pulumi-language-nodejs "$PULUMI_VERSION" language yes pulumi-language-nodejs-v3.248.0.tar.gz
ensure pulumi-resource-rabbitmq "$RABBITMQ_VERSION" resource yes \
  pulumi-rabbitmq-v3.3.8.tar.gz terraform-provider-rabbitmq-926b921.tar.gz
# pulumi-resource-docker has no version flag: an installed one is found in the plugin cache only.
ensure pulumi-resource-docker "$DOCKER_VERSION" resource no \
  pulumi-docker-v4.6.2.tar.gz terraform-provider-docker-54685a5.tar.gz
# Nor has pulumi-resource-kubernetes.
ensure pulumi-resource-kubernetes "$KUBERNETES_VERSION" resource no pulumi-kubernetes-v4.32.0.tar.gz
ensure pulumi-resource-tls "$TLS_VERSION" resource yes \
  pulumi-tls-v5.3.0.tar.gz terraform-provider-tls-857b38c.tar.gz

command -v node >/dev/null 2>&1 || log "warning: node is not on PATH; Pulumi programs need it"
log "ready: export PATH=\"$bindir:\$PATH\" PULUMI_SKIP_UPDATE_CHECK=true"
printf '%s\n' "$bindir"
