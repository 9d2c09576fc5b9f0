#!/usr/bin/env bash
# Builds, without any image registry, the stand-in images warren's dev stack uses:
#
#   warren/debian:bookworm-minbase    `debootstrap --variant=minbase bookworm` from the Debian mirror this
#                                     machine's apt uses, with its security/updates suites, `docker import`ed
#                                     (also tagged warren/debian:<point release>-minbase, e.g. 12.12-minbase)
#   warren/rabbitmq:3.10.8-bookworm   Debian's rabbitmq-server 3.10.8 on it (scripts/images/rabbitmq)
#   warren/node:20-bookworm           this machine's Node.js 20 on it (scripts/images/node: Debian bookworm
#                                     only has Node.js 18)
#
#   bash scripts/images/build.sh [--rebuild] [base|rabbitmq|node]...   # default: all three
#
# Ensures a Docker daemon first (scripts/docker.sh ensure). An image is skipped when its tag exists and
# its label warren.inputs matches the hash of what it is built from (its folder here, the base image's
# id, the Node.js binary, the mirrors); --rebuild builds anyway. The images' tags go to stdout, one per
# line; progress and durations to stderr. Needs root for debootstrap (only when the base is built).
# Network: only the Debian mirrors from apt's sources (debootstrap and apt-get inside the builds,
# which use the host's network); no image is ever pulled.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
images="$repo/scripts/images"

SUITE=bookworm
BASE_TAG="warren/debian:${SUITE}-minbase"
RABBITMQ_VERSION="3.10.8"
RABBITMQ_TAG="warren/rabbitmq:${RABBITMQ_VERSION}-${SUITE}"
NODE_MAJOR=20
NODE_TAG="warren/node:${NODE_MAJOR}-${SUITE}"
DISPATCHER_TAG="warren/dispatcher:$(node -p 'require(process.argv[1]).version' "$repo/apps/dispatcher/package.json")"
SINK_TAG="warren/sink:$(node -p 'require(process.argv[1]).version' "$repo/apps/sink/package.json")"
# The sink's record (WARREN_SINK_DATA_DIR): /data owned by the user the sink runs as; Docker copies
# that ownership into a fresh named volume mounted there, which would otherwise be root's.
SINK_EXTRA=$'USER 0:0\nRUN install -d -o 1000 -g 1000 -m 0750 /data\nUSER 1000:1000'
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

log() { printf 'images: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

rebuild=
want=()
for arg in "$@"; do
  case "$arg" in
    --rebuild) rebuild=1 ;;
    base | rabbitmq | node | dispatcher | sink) want+=("$arg") ;;
    *) die "usage: bash scripts/images/build.sh [--rebuild] [base|rabbitmq|node|dispatcher|sink]..." ;;
  esac
done
((${#want[@]})) || want=(base rabbitmq node)

bash "$repo/scripts/docker.sh" ensure
# The legacy builder: it builds FROM local images without asking any registry, and this daemon
# (Debian's 20.10) has no buildx plugin next to it.
export DOCKER_BUILDKIT=0

hash_dir() { (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1); }
hash_str() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
image_id() { docker image inspect --format '{{.Id}}' "$1" 2>/dev/null; }
# up_to_date TAG INPUTS: the image exists and was built from these inputs.
up_to_date() {
  [[ -z "$rebuild" ]] || return 1
  [[ "$(docker image inspect --format '{{index .Config.Labels "warren.inputs"}}' "$1" 2>/dev/null || true)" == "$2" ]]
}
took() { local s=$((SECONDS - $1)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

# The Debian mirrors apt uses here for the suite and its -updates/-security companions, as apt itself
# resolved them from /etc/apt/sources.list{,.d} (one-line and deb822 formats alike): "URI SUITE" lines.
debian_mirrors() {
  apt-get indextargets --format '$(TARGET_OF) $(IDENTIFIER) $(COMPONENT) $(REPO_URI) $(RELEASE)' 2>/dev/null |
    awk -v s="$SUITE" '$1 == "deb" && $2 == "Packages" && $3 == "main" && ($5 == s || $5 == s "-updates" || $5 == s "-security") { print $4, $5 }' |
    sort -u
}

# --- warren/debian:bookworm-minbase -------------------------------------------------------------

rootfs=
cleanup_rootfs() {
  [[ -n "$rootfs" && -d "$rootfs" ]] || return 0
  # debootstrap mounts /proc and /sys (and may bind /dev) inside the target: unmount everything
  # below it, deepest first, before deleting, and never cross into another file system.
  local m
  for m in $(awk -v r="$rootfs" 'index($2, r "/") == 1 { print $2 }' /proc/mounts | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  rm -rf --one-file-system "$rootfs"
  rootfs=
}
trap cleanup_rootfs EXIT

build_base() {
  local mirrors main inputs start version
  mirrors="$(debian_mirrors)"
  main="$(awk -v s="$SUITE" '$2 == s { print $1; exit }' <<<"$mirrors")"
  [[ -n "$main" ]] || die "apt's sources have no '$SUITE main' entry to take the Debian mirror from (apt-get indextargets)"
  inputs="$(hash_str "base-v1 $SUITE minbase $mirrors")"
  if up_to_date "$BASE_TAG" "$inputs"; then
    log "$BASE_TAG is up to date"
    return 0
  fi
  [[ "$(id -u)" == 0 ]] || die "building $BASE_TAG needs root (debootstrap)"
  if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap (Debian)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap >&2 ||
      { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap >&2; }
  fi
  [[ -f "$KEYRING" ]] || die "$KEYRING is missing (package debian-archive-keyring)"

  start=$SECONDS
  rootfs="$(mktemp -d /var/tmp/warren-rootfs.XXXXXX)"
  log "debootstrap --variant=minbase $SUITE from $main (log: $rootfs.log)..."
  # The only source debootstrap uses is the mirror given here; the keyring checks its Release file.
  if ! debootstrap --variant=minbase --components=main --keyring="$KEYRING" \
    "$SUITE" "$rootfs" "$main" >"$rootfs.log" 2>&1; then
    tail -n 20 "$rootfs.log" >&2
    die "debootstrap failed (log: $rootfs.log)"
  fi
  log "debootstrap done in $(took "$start")"

  # apt inside the image: the same mirrors as this machine (main, -updates, -security), nothing else.
  rm -f "$rootfs/etc/apt/sources.list"
  awk -v k="$KEYRING" '{ printf "Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n\n", $1, $2, k }' \
    <<<"$mirrors" >"$rootfs/etc/apt/sources.list.d/debian.sources"
  # As Docker's debian images: no service starts from a package's postinst inside a build.
  printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
  chmod 755 "$rootfs/usr/sbin/policy-rc.d"
  # Security and point-release updates on top of the release debootstrap installed.
  log "applying $SUITE-security/-updates..."
  mount -t proc proc "$rootfs/proc"
  chroot "$rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    sh -c 'apt-get update -qq && apt-get -y -qq upgrade && apt-get clean' >>"$rootfs.log" 2>&1 ||
    { tail -n 20 "$rootfs.log" >&2; die "apt-get upgrade in the new root file system failed (log: $rootfs.log)"; }
  umount "$rootfs/proc"
  # Machine-specific or cache files Docker provides or does not need.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
    "$rootfs"/var/log/apt/* "$rootfs"/var/log/dpkg.log "$rootfs"/var/log/bootstrap.log "$rootfs"/debootstrap
  : >"$rootfs/etc/resolv.conf"
  : >"$rootfs/etc/hostname"
  version="$(cat "$rootfs/etc/debian_version")"

  log "importing $BASE_TAG (Debian $version)..."
  tar --numeric-owner --xattrs -C "$rootfs" -c . |
    docker import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["bash"]' \
      --change "LABEL warren.inputs=$inputs org.opencontainers.image.version=$version" \
      --message "debootstrap --variant=minbase $SUITE $main" \
      - "$BASE_TAG" >/dev/null
  docker tag "$BASE_TAG" "warren/debian:${version}-minbase"
  rm -f "$rootfs.log"
  cleanup_rootfs
  log "built $BASE_TAG (also warren/debian:${version}-minbase) in $(took "$start")"
}

# --- images built FROM the base ----------------------------------------------------------------

# docker_build TAG CONTEXT INPUTS [--build-arg ...]
docker_build() {
  local tag="$1" context="$2" inputs="$3" start=$SECONDS
  shift 3
  log "building $tag..."
  # --network host: RUN apt-get reaches the mirrors exactly as this machine's apt does (no NAT, no
  # container network to the outside).
  if ! docker build --network host --build-arg "BASE=$BASE_TAG" --label "warren.inputs=$inputs" \
    "$@" -t "$tag" "$context" >"$context.build.log" 2>&1; then
    tail -n 30 "$context.build.log" >&2
    die "building $tag failed (log: $context.build.log)"
  fi
  rm -f "$context.build.log"
  log "built $tag in $(took "$start")"
}

build_rabbitmq() {
  local base inputs ctx
  base="$(image_id "$BASE_TAG")" || die "$BASE_TAG is missing: build it first (bash scripts/images/build.sh base)"
  inputs="$(hash_str "$base $RABBITMQ_VERSION $(hash_dir "$images/rabbitmq")")"
  if up_to_date "$RABBITMQ_TAG" "$inputs"; then
    log "$RABBITMQ_TAG is up to date"
    return 0
  fi
  ctx="$(mktemp -d /var/tmp/warren-image.XXXXXX)"
  cp -a "$images/rabbitmq/." "$ctx/"
  docker_build "$RABBITMQ_TAG" "$ctx" "$inputs" --build-arg "RABBITMQ_VERSION=$RABBITMQ_VERSION"
  rm -rf "$ctx"
}

# The Node.js 20 to put in the image: this machine's, if it is 20.x. Prints its prefix (/usr, ...).
node_prefix() {
  local node real version
  node="$(command -v node)" || die "node is not on PATH: $NODE_TAG is built from this machine's Node.js $NODE_MAJOR"
  version="$(node --version)"
  [[ "$version" == "v$NODE_MAJOR."* ]] ||
    die "this machine's Node.js is $version; $NODE_TAG needs Node.js $NODE_MAJOR (Debian $SUITE only has 18)"
  real="$(readlink -f "$node")"
  [[ -d "$(dirname "$(dirname "$real")")/lib/node_modules/npm" ]] || die "npm is missing next to $real"
  dirname "$(dirname "$real")"
}

build_node() {
  local base prefix version inputs ctx m
  base="$(image_id "$BASE_TAG")" || die "$BASE_TAG is missing: build it first (bash scripts/images/build.sh base)"
  prefix="$(node_prefix)"
  version="$("$prefix/bin/node" --version)"
  version="${version#v}"
  inputs="$(hash_str "$base $version $(sha256sum "$prefix/bin/node" | cut -d' ' -f1) $(hash_dir "$images/node")")"
  if up_to_date "$NODE_TAG" "$inputs"; then
    log "$NODE_TAG is up to date (Node.js $version)"
    return 0
  fi
  # The build context: the Dockerfile and dist/, laid out as /usr/local in the official image: the
  # binary, npm and corepack (with their bin links) and the headers for native addons.
  ctx="$(mktemp -d /var/tmp/warren-image.XXXXXX)"
  cp -a "$images/node/." "$ctx/"
  mkdir -p "$ctx/dist/bin" "$ctx/dist/lib/node_modules" "$ctx/dist/include"
  cp -a "$prefix/bin/node" "$ctx/dist/bin/node"
  for m in npm corepack; do
    [[ -d "$prefix/lib/node_modules/$m" ]] && cp -a "$prefix/lib/node_modules/$m" "$ctx/dist/lib/node_modules/"
  done
  [[ -d "$prefix/include/node" ]] && cp -a "$prefix/include/node" "$ctx/dist/include/"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ctx/dist/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$ctx/dist/bin/npx"
  [[ -d "$ctx/dist/lib/node_modules/corepack" ]] && ln -s ../lib/node_modules/corepack/dist/corepack.js "$ctx/dist/bin/corepack"
  log "Node.js $version from $prefix"
  docker_build "$NODE_TAG" "$ctx" "$inputs" --build-arg "NODE_VERSION=$version"
  rm -rf "$ctx"
}

# warren/dispatcher, warren/sink: the app's compiled code (the project's `npm run build`, in
# bin/apps/<app>/src) and its production dependencies, installed by npm on this machine, on
# warren/node. The image build itself fetches nothing. build_app APP TAG [EXTRA]: EXTRA,
# Dockerfile lines appended to node-app's (and part of the inputs), for what one app needs.
build_app() {
  local app="$1" tag="$2" extra="${3:-}" node_image inputs ctx
  node_image="$(image_id "$NODE_TAG")" || die "$NODE_TAG is missing: build it first (bash scripts/images/build.sh node)"
  [[ -f "$repo/bin/apps/$app/src/main.js" ]] || die "bin/apps/$app is not compiled: run npm run build first"
  inputs="$(hash_str "$node_image $(hash_dir "$repo/bin/apps/$app/src") $(sha256sum "$repo/apps/$app/package.json" | cut -d' ' -f1) $(hash_dir "$images/node-app")${extra:+ $(hash_str "$extra")}")"
  if up_to_date "$tag" "$inputs"; then
    log "$tag is up to date"
    return 0
  fi
  ctx="$(mktemp -d /var/tmp/warren-image.XXXXXX)"
  cp "$images/node-app/Dockerfile" "$repo/apps/$app/package.json" "$ctx/"
  [[ -z "$extra" ]] || printf '%s\n' "$extra" >>"$ctx/Dockerfile"
  [[ -f "$repo/apps/$app/package-lock.json" ]] && cp "$repo/apps/$app/package-lock.json" "$ctx/"
  (cd "$ctx" && npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >&2) || die "npm install for $tag failed"
  mkdir -p "$ctx/dist"
  (cd "$repo/bin/apps/$app/src" && find . -name '*.js' -print0 | xargs -0 -I{} cp --parents {} "$ctx/dist/")
  docker_build "$tag" "$ctx" "$inputs" --build-arg "NODE_IMAGE=$NODE_TAG"
  rm -rf "$ctx"
}

total=$SECONDS
# The base first, whenever anything is asked for (a no-op when up to date); --rebuild applies to it
# only when it is asked for by name.
explicit_base=
for what in "${want[@]}"; do [[ "$what" != base ]] || explicit_base=1; done
if [[ -n "$explicit_base" ]]; then build_base; else rebuild_saved="$rebuild" && rebuild= && build_base && rebuild="$rebuild_saved"; fi
for what in "${want[@]}"; do
  case "$what" in
    rabbitmq) build_rabbitmq ;;
    node) build_node ;;
    dispatcher) build_node && build_app dispatcher "$DISPATCHER_TAG" ;;
    sink) build_node && build_app sink "$SINK_TAG" "$SINK_EXTRA" ;;
  esac
done
log "done in $(took "$total")"
for what in "${want[@]}"; do
  case "$what" in
    base) echo "$BASE_TAG" ;;
    rabbitmq) echo "$RABBITMQ_TAG" ;;
    node) echo "$NODE_TAG" ;;
    dispatcher) echo "$DISPATCHER_TAG" ;;
    sink) echo "$SINK_TAG" ;;
  esac
done
