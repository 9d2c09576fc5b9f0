#!/usr/bin/env bash
# Terraform and its RabbitMQ provider, built from source, for `npm run bench:engine` only (the
# Terraform peer it compares warren against). Not part of setup or the test command.
#
#   dir="$(bash scripts/terraform/build.sh)"   # progress on stderr, the folder on stdout
#   TF_CLI_CONFIG_FILE="$dir/terraform.rc" "$dir/bin/terraform" init ...
#
# Builds, at the versions below (Terraform 1.5.7 is the last release under the MPL; the provider
# 1.8.0 is the commit, 926b921, that pulumi-rabbitmq 3.3.8 bridges):
#   terraform                     github.com/hashicorp/terraform v1.5.7 (`go install`)
#   terraform-provider-rabbitmq   github.com/cyrilgdn/terraform-provider-rabbitmq v1.8.0 (its go.mod
#                                 still names github.com/terraform-providers/..., which `go install`
#                                 refuses: the module is fetched with `go mod download`, copied to
#                                 a writable folder and built there with `go build -mod=readonly`)
# into <repo>/.toolchain/terraform (git-ignored):
#   bin/terraform
#   plugins/registry.terraform.io/cyrilgdn/rabbitmq/1.8.0/<os>_<arch>/terraform-provider-rabbitmq_v1.8.0
#   terraform.rc   a CLI config (TF_CLI_CONFIG_FILE) whose provider_installation takes the
#                  provider from plugins/ (a filesystem mirror) and nothing from the network, so
#                  `terraform init` works offline.
# Never the terraform on PATH (e.g. /usr/local/bin/terraform, a later, BSL-licensed release).
#
# Caching, as scripts/toolchain.sh does it: each binary has a stamp (version, go version, the sha256
# of its recipe below, the module's h1: sum), kept in .toolchain/terraform/stamps/<name>.stamp; a
# binary whose stamp matches is used as it is. Else the machine's build cache,
# ${WARREN_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/warren-builds}/<name>-<key>/<name>, <key> the
# sha256 of the stamp text, is hardlinked (or copied) in; else it is built and stored there (by a
# temporary name and a rename). Only the Go module proxy is used.
#
# Integrity: GOSUMDB=off (the checksum database is not reachable from here). Each module's h1: sum
# is checked against the value below; their dependencies against the go.sum each module ships
# (`go install` and -mod=readonly refuse a module whose content differs from it).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
dir="$repo/.toolchain/terraform"
buildcache="${WARREN_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/warren-builds}"

TERRAFORM_MODULE="github.com/hashicorp/terraform"
TERRAFORM_VERSION="v1.5.7"
TERRAFORM_SUM="h1:HL+iEBdp6mC/tqQM1F5jA5y32CbxXPwyiNQyYSXVzw0="
PROVIDER_MODULE="github.com/cyrilgdn/terraform-provider-rabbitmq"
PROVIDER_VERSION="v1.8.0"
PROVIDER_SUM="h1:GRGdXn96OuHH2Lcn795ByyVVjZaKgk0RoWu5xPtrpA0="

log() { printf 'terraform-build: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v go >/dev/null 2>&1 || die "go is not on PATH (needed to build Terraform)"
export GOSUMDB=off CGO_ENABLED=0
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}" # never fetch a Go toolchain behind our back
case " ${GOFLAGS:-} " in *" -buildvcs=false "*) ;; *) export GOFLAGS="${GOFLAGS:+$GOFLAGS }-buildvcs=false" ;; esac

target="$(go env GOOS)_$(go env GOARCH)"
provider_dir="$dir/plugins/registry.terraform.io/cyrilgdn/rabbitmq/${PROVIDER_VERSION#v}/$target"
mkdir -p "$dir/bin" "$dir/stamps" "$provider_dir"
# One build at a time (a build takes both cores): the lock scripts/toolchain.sh takes.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$repo/.toolchain/.lock"
  if ! flock -n 9; then
    log "waiting for another build (scripts/toolchain.sh or this script) to finish..."
    flock 9
  fi
fi

goversion="$(go env GOVERSION) $(go env GOOS)/$(go env GOARCH)"
fmt_duration() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }
sha() { sha256sum "$@" | cut -d' ' -f1; }

# fetch MODULE VERSION SUM: the module's folder in the module cache, its h1: sum checked.
fetch() {
  local json got
  json="$(go mod download -json "$1@$2")" || die "go mod download $1@$2 failed"
  got="$(printf '%s\n' "$json" | sed -n 's/^\t"Sum": "\(.*\)",$/\1/p')"
  [[ "$got" == "$3" ]] || die "$1@$2: module sum $got, expected $3"
  printf '%s\n' "$json" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'
}

# place FROM TO: FROM at TO (a hardlink, or a copy on another file system) by a temporary name and
# a rename, so TO is never a half file.
place() {
  local tmp
  [[ ! "$1" -ef "$2" ]] || return 0
  tmp="$(dirname "$2")/.$(basename "$2").tmp.$$"
  if ! { ln -f "$1" "$tmp" 2>/dev/null || cp -f "$1" "$tmp"; } || ! mv -f "$tmp" "$2"; then
    rm -f "$tmp"
    return 1
  fi
}

# --- recipes (each: build_NAME OUT; their text is part of the stamp) ------------------------------

build_terraform() {
  local gobin
  fetch "$TERRAFORM_MODULE" "$TERRAFORM_VERSION" "$TERRAFORM_SUM" >/dev/null
  gobin="$(mktemp -d)"
  GOBIN="$gobin" go install -trimpath -ldflags "-s -w" "$TERRAFORM_MODULE@$TERRAFORM_VERSION" >&2 ||
    { rm -rf "$gobin"; return 1; }
  mv -f "$gobin/terraform" "$1"
  rm -rf "$gobin"
}

build_terraform_provider_rabbitmq() {
  local src work
  src="$(fetch "$PROVIDER_MODULE" "$PROVIDER_VERSION" "$PROVIDER_SUM")"
  work="$(mktemp -d)"
  cp -R "$src/." "$work"
  chmod -R u+w "$work"
  (cd "$work" && go build -mod=readonly -trimpath -ldflags "-s -w" -o "$1" .) >&2 ||
    { rm -rf "$work"; return 1; }
  rm -rf "$work"
}

# ensure NAME VERSION SUM DEST: DEST holds NAME's binary, from its stamp, the cache or a build.
ensure() {
  local name="$1" version="$2" sum="$3" dest="$4" recipe="build_${1//-/_}"
  local stamp="$dir/stamps/$1.stamp" want entry start secs tmp
  want="version=$version
go=$goversion
recipe=$(declare -f "$recipe" | sha)
module=$sum"
  entry="$buildcache/$name-$(printf '%s\n' "$want" | sha)/$name"

  if [[ -x "$dest" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    [[ -f "$entry" ]] || store "$entry" "$dest"
    return 0
  fi
  rm -f "$stamp"
  if [[ -f "$entry" ]] && place "$entry" "$dest"; then
    printf '%s\n' "$want" >"$stamp"
    log "$name $version: using the build cache $entry"
    return 0
  fi

  log "building $name $version from its Go module (Go module proxy; takes minutes)..."
  start=$SECONDS
  tmp="$dest.tmp.$$"
  if ! "$recipe" "$tmp"; then
    rm -f "$tmp"
    die "building $name $version failed"
  fi
  mv -f "$tmp" "$dest"
  printf '%s\n' "$want" >"$stamp"
  secs=$((SECONDS - start))
  log "built $name $version in $(fmt_duration "$secs") (${secs}s)"
  store "$entry" "$dest"
}

# store ENTRY FILE: keep a build in the machine's build cache (best effort).
store() {
  if mkdir -p "$(dirname "$1")" 2>/dev/null && place "$2" "$1"; then
    log "$(basename "$2"): stored in the build cache as $1"
  else
    log "note: could not store $2 in the build cache as $1"
  fi
}

ensure terraform "$TERRAFORM_VERSION" "$TERRAFORM_SUM" "$dir/bin/terraform"
ensure terraform-provider-rabbitmq "$PROVIDER_VERSION" "$PROVIDER_SUM" \
  "$provider_dir/terraform-provider-rabbitmq_$PROVIDER_VERSION"

have="$(CHECKPOINT_DISABLE=1 "$dir/bin/terraform" version 2>/dev/null | head -n1)" || true
[[ "$have" == "Terraform $TERRAFORM_VERSION" ]] || die "$dir/bin/terraform reports \"$have\", not Terraform $TERRAFORM_VERSION"

# The CLI config: the provider from the mirror only; no registry, no plugin cache, no checkpoint.
cat >"$dir/terraform.rc.tmp.$$" <<RC
disable_checkpoint = true
provider_installation {
  filesystem_mirror {
    path    = "$dir/plugins"
    include = ["registry.terraform.io/cyrilgdn/rabbitmq"]
  }
  direct {
    exclude = ["*/*"]
  }
}
RC
mv -f "$dir/terraform.rc.tmp.$$" "$dir/terraform.rc"
log "ready: $dir/bin/terraform ($have), provider rabbitmq ${PROVIDER_VERSION#v}; TF_CLI_CONFIG_FILE=$dir/terraform.rc"
printf '%s\n' "$dir"
