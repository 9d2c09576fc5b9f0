#!/usr/bin/env bash
# Builds, from upstream source, the parts of the local Kubernetes (scripts/kube.sh) that Debian does
# not package, and prints the absolute path of the folder that holds them (stdout, nothing else):
#
#   kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy
#       the Go module k8s.io/kubernetes v1.35.4, through the wrapper module scripts/kube/build
#       (its go.mod replaces every k8s.io/<staging> module with its published v0.35.4; go.sum is
#       committed and the build is -mod=readonly, so a module whose content changed fails it)
#   coredns
#       github.com/coredns/coredns v1.12.4 (the cluster DNS), wrapper module scripts/kube/coredns
#   pause
#       the pod sandbox's pause process: k8s.io/kubernetes@v1.35.4/build/pause/linux/pause.c,
#       built static with gcc (no registry here to pull registry.k8s.io/pause from)
#
# Cache, per binary, keyed by the sha256 of its stamp (Kubernetes version, Go version, the wrapper
# module's go.mod and go.sum, the build flags): <repo>/.toolchain/kube/<name> with <name>.stamp,
# then the machine-wide build cache shared by every clone
# ${WARREN_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/warren-builds}/<name>/<stamp sha256>/<name>
# (the same convention as scripts/toolchain.sh), then a build. Heavy builds take
# /tmp/warren-heavy.lock so only one runs at a time. Times go to stderr.
# Cold (empty Go caches, 2 cores): about 8 min for the Kubernetes commands (kube-apiserver ~6 min),
# 2 min for coredns; with a warm Go build cache each is a relink of 10-60 s.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
repo="$(cd "$here/../.." && pwd -P)"
out="$repo/.toolchain/kube"
cache_root="${WARREN_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/warren-builds}"

KUBE_VERSION="v1.35.4"
COREDNS_VERSION="v1.12.4"
KUBE_COMMANDS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy)

log() { printf 'kube-build: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v go >/dev/null 2>&1 || die "go is not on PATH"
export GOSUMDB=off CGO_ENABLED=0 GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export GOFLAGS="-mod=readonly -buildvcs=false"
mkdir -p "$out"
goversion="$(go env GOVERSION) $(go env GOOS)/$(go env GOARCH)"
sha() { sha256sum "$@" | cut -d' ' -f1; }

kube_ldflags() {
  local minor="${KUBE_VERSION#v1.}" pkg flags="-s -w"
  minor="${minor%%.*}"
  for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    flags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  done
  printf '%s\n' "$flags"
}

# stamp NAME: everything the binary is built from.
stamp() {
  case "$1" in
    coredns)
      printf 'coredns %s\n%s\n' "$COREDNS_VERSION" "$goversion"
      cat "$here/coredns/go.mod" "$here/coredns/go.sum"
      ;;
    pause)
      printf 'pause %s\n%s\n' "$KUBE_VERSION" "$(gcc --version | head -n1)"
      sha "$(pause_source)"
      ;;
    *)
      printf '%s %s\n%s\n%s\n' "$1" "$KUBE_VERSION" "$goversion" "$(kube_ldflags)"
      cat "$here/build/go.mod" "$here/build/go.sum"
      ;;
  esac
}

pause_source() {
  local dir
  dir="$(cd "$here/build" && go list -m -f '{{.Dir}}' k8s.io/kubernetes)"
  [[ -f "$dir/build/pause/linux/pause.c" ]] || (cd "$here/build" && go mod download k8s.io/kubernetes)
  printf '%s\n' "$dir/build/pause/linux/pause.c"
}

# build NAME DEST: one build of NAME into DEST.
build() {
  case "$1" in
    coredns) (cd "$here/coredns" && go build -trimpath -ldflags "-s -w" -o "$2" github.com/coredns/coredns) ;;
    pause)
      command -v gcc >/dev/null 2>&1 || die "gcc is needed to build the pause process (apt-get install gcc libc6-dev)"
      gcc -Os -Wall -Werror -static -DVERSION="$KUBE_VERSION-warren" -o "$2" "$(pause_source)"
      ;;
    *) (cd "$here/build" && go build -trimpath -ldflags "$(kube_ldflags)" -o "$2" "k8s.io/kubernetes/cmd/$1") ;;
  esac
}

ensure() {
  local name="$1" want key cached start
  want="$(stamp "$name")"
  if [[ -x "$out/$name" && -f "$out/$name.stamp" && "$(cat "$out/$name.stamp")" == "$want" ]]; then
    return 0
  fi
  key="$(printf '%s' "$want" | sha)"
  cached="$cache_root/$name/$key/$name"
  if [[ ! -x "$cached" ]]; then
    mkdir -p "$(dirname "$cached")"
    start=$SECONDS
    log "building $name..."
    flock /tmp/warren-heavy.lock bash -c "$(declare -f build pause_source kube_ldflags log die); $(declare -p here KUBE_VERSION); build $name $cached.partial" >&2 ||
      die "building $name failed"
    mv -f "$cached.partial" "$cached"
    log "built $name in $((SECONDS - start)) s"
  fi
  rm -f "$out/$name"
  ln "$cached" "$out/$name" 2>/dev/null || cp "$cached" "$out/$name"
  printf '%s' "$want" >"$out/$name.stamp"
}

for name in "${KUBE_COMMANDS[@]}" coredns pause; do ensure "$name"; done
printf '%s\n' "$out"
