#!/usr/bin/env bash
# A real single-node Kubernetes on this machine, from upstream parts, for the staging stack's tests:
#
#   bash scripts/kube.sh up       # start it (idempotent); prints `export KUBECONFIG=...` on stdout
#   bash scripts/kube.sh down     # stop it and leave the machine as it was (idempotent)
#   bash scripts/kube.sh status   # exit 0 when it answers and the fence is in place; prints counters
#   bash scripts/kube.sh images TAG...   # import local Docker images into the node's containerd
#   bash scripts/kube.sh fence-count     # packets the fence dropped since `up`
#   bash scripts/kube.sh recycle-volumes # released (retained) volumes wiped and made available again
#
# Parts: kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy (k8s.io/kubernetes
# v1.35.4) and coredns, built by scripts/kube/build.sh; etcd, containerd, runc and the CNI plugins
# are Debian's packages (installed by `up` when missing); kubectl is Debian's kubernetes-client unless the
# machine already has one (then that one is used).
#
# Addresses, all created here and fenced: the node is 10.213.255.1/32 on lo (API server :6443,
# kubelet :10250, cluster DNS :53); pods get 10.213.0.0/24 on the bridge wkube0; services
# 10.213.128.0/24. Before anything starts, the chain WARREN-KUBE-FENCE (first in OUTPUT and FORWARD)
# drops and counts every packet to or from 10.213.0.0/16 that would leave by any interface but lo
# and wkube0, the uplink included; `status` prints the count and the tests assert it is 0. No pod
# has a default route, cluster DNS answers only cluster.local (nothing is forwarded), no image is
# ever pulled (they are imported from Docker: `images`).
#
# Host state left untouched: containerd and the kubelet run in one private mount namespace
# (`unshare -m`) in which the three kernel settings the kubelet insists on changing
# (vm.overcommit_memory, kernel.panic, kernel.panic_on_oops) are files, and /run, /var/log and
# /var/lib/cni are the cluster's own; every pod mount, network namespace and fifo lives and dies
# there. Cgroups are under /warren-kube in each hierarchy. Everything else is under
# <repo>/.kube-local (git-ignored): PKI, etcd, containerd's root, the persistent volumes, logs, pids.
# `down` stops every process by the pid recorded (and whatever still runs in the cluster's cgroups
# or mount namespace, by pid), removes the chains the kubelet, kube-proxy and this script made, the
# bridge, the address, the cgroups and .kube-local. Progress goes to stderr.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
state="${WARREN_KUBE_STATE:-$repo/.kube-local}"
run="$state/run"
pki="$state/pki"
logs="$state/logs"
pids="$state/pids"

NODE_NAME=warren-kube
NODE_IP=10.213.255.1
POD_CIDR=10.213.0.0/24
POD_GATEWAY=10.213.0.1
SERVICE_CIDR=10.213.128.0/24
SERVICE_API_IP=10.213.128.1
FENCED=10.213.0.0/16
BRIDGE=wkube0
API_PORT=6443
ETCD_CLIENT=127.0.0.1:12379
ETCD_PEER=127.0.0.1:12380
CGROUP_ROOT=warren-kube
FENCE=WARREN-KUBE-FENCE
FORWARD_CHAIN=WARREN-KUBE-FORWARD
PAUSE_IMAGE=warren.local/pause:3.10.1
PV_COUNT="${WARREN_KUBE_VOLUMES:-16}"
STORAGE_CLASS=warren-local
READY_TIMEOUT="${WARREN_KUBE_TIMEOUT:-180}"

log() { printf 'kube: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
took() { printf '%d s' $((SECONDS - $1)); }

lock() {
  mkdir -p "$state"
  exec 7>"$state/.lock"
  flock -n 7 || { log "waiting for another scripts/kube.sh..."; flock 7; }
}

kubectl_() { kubectl --kubeconfig "$state/admin.kubeconfig" "$@"; }

# ---------------------------------------------------------------------------------------------
# processes: each started in the background with its pid in $pids/NAME, stopped by that pid only
# after checking the pid still runs the binary we started (a recycled pid is never signalled).

pid_of() {
  local f="$pids/$1" pid exe
  [[ -f "$f" ]] || return 1
  read -r pid exe <"$f" || true
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ "$(readlink "/proc/$pid/exe" 2>/dev/null || true)" == "$exe" ]] || return 1
  printf '%s\n' "$pid"
}

running() { pid_of "$1" >/dev/null; }

start() {
  local name="$1"
  shift
  running "$name" && return 0
  mkdir -p "$pids" "$logs"
  # The binary the pid will run once setsid (and unshare) have exec'd: what pid_of checks later.
  local prog="$1"
  [[ "$prog" == unshare ]] && prog=bash
  local exe
  exe="$(readlink -f "$(command -v "$prog")")"
  # (fd 7, our lock, is not passed on: a daemon holding it would block every later call)
  setsid "$@" >>"$logs/$name.log" 2>&1 </dev/null 7>&- &
  printf '%s %s\n' "$!" "$exe" >"$pids/$name"
}

stop() {
  local name="$1" pid
  if pid="$(pid_of "$name")"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pids/$name"
}

wait_for() {
  local what="$1" start=$SECONDS
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS - start < READY_TIMEOUT)) || die "$what did not come up in ${READY_TIMEOUT} s (logs: $logs)"
    sleep 1
  done
}

# ---------------------------------------------------------------------------------------------
# the fence and the network


fence_up() {
  iptables -N "$FENCE" 2>/dev/null || iptables -F "$FENCE"
  iptables -A "$FENCE" -o lo -j RETURN
  iptables -A "$FENCE" -o "$BRIDGE" -j RETURN
  iptables -A "$FENCE" -d "$FENCED" -m comment --comment "warren-kube fence: to the cluster's ranges" -j DROP
  iptables -A "$FENCE" -s "$FENCED" -m comment --comment "warren-kube fence: from the cluster's ranges" -j DROP
  local chain
  for chain in OUTPUT FORWARD; do
    iptables -C "$chain" -j "$FENCE" 2>/dev/null || iptables -I "$chain" 1 -j "$FENCE"
  done
  # Docker's FORWARD policy is DROP: pod-to-pod traffic over the bridge (br_netfilter) is let through.
  iptables -N "$FORWARD_CHAIN" 2>/dev/null || iptables -F "$FORWARD_CHAIN"
  iptables -A "$FORWARD_CHAIN" -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
  iptables -C FORWARD -j "$FORWARD_CHAIN" 2>/dev/null || iptables -I FORWARD 2 -j "$FORWARD_CHAIN"
}

# fence_count: packets the fence dropped since `up`.
fence_count() {
  iptables -L "$FENCE" -n -v -x 2>/dev/null | awk '$3 == "DROP" { n += $1 } END { print n + 0 }'
}

fence_in_place() {
  iptables -C OUTPUT -j "$FENCE" 2>/dev/null && iptables -C FORWARD -j "$FENCE" 2>/dev/null &&
    iptables -C "$FENCE" -d "$FENCED" -m comment --comment "warren-kube fence: to the cluster's ranges" -j DROP 2>/dev/null
}

network_up() {
  ip addr show dev lo | grep -q " $NODE_IP/32 " || ip addr add "$NODE_IP/32" dev lo
  # The pods' bridge exists before the first pod (the CNI bridge plugin takes it as it is), so the
  # host can route the service range onto it: a connection from the host to a cluster IP leaves
  # from the bridge's address, which the pods answer (kube-proxy rewrites the destination).
  ip link show "$BRIDGE" >/dev/null 2>&1 || ip link add "$BRIDGE" type bridge
  ip addr show dev "$BRIDGE" | grep -q " $POD_GATEWAY/24 " || ip addr add "$POD_GATEWAY/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  ip route replace "$SERVICE_CIDR" dev "$BRIDGE" src "$POD_GATEWAY"
  [[ "$(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null || echo 0)" == 1 ]] ||
    die "net.bridge.bridge-nf-call-iptables is not 1 (load br_netfilter; Docker sets it): services would not reach pods on the bridge"
}

# remove_chains IPTABLES PATTERN: every chain of every table whose name matches, and the rules jumping to it.
remove_chains() {
  local cmd="$1" pattern="$2" table chain rule
  for table in filter nat mangle raw; do
    "$cmd" -t "$table" -S >/dev/null 2>&1 || continue
    while read -r rule; do
      eval "\"$cmd\" -t \"$table\" ${rule/#-A/-D}" 2>/dev/null || true
    done < <("$cmd" -t "$table" -S | grep -E "^-A .* -j ($pattern)( |$)" || true)
    for chain in $("$cmd" -t "$table" -S | awk -v p="^($pattern)\$" '$1 == "-N" && $2 ~ p { print $2 }'); do
      "$cmd" -t "$table" -F "$chain" 2>/dev/null || true
    done
    for chain in $("$cmd" -t "$table" -S | awk -v p="^($pattern)\$" '$1 == "-N" && $2 ~ p { print $2 }'); do
      "$cmd" -t "$table" -X "$chain" 2>/dev/null || true
    done
  done
}

# ---------------------------------------------------------------------------------------------
# PKI: one CA; a serving certificate for the API server and the kubelet; a client certificate per
# component (its user and groups are its CN and O); the service-account signing key.

cert() { # NAME CN O [SANS]
  local name="$1" cn="$2" org="$3" sans="${4:-}"
  [[ -f "$pki/$name.crt" ]] && return 0
  openssl genrsa -out "$pki/$name.key" 2048 2>/dev/null
  local subj="/CN=$cn"
  [[ -n "$org" ]] && subj="/O=$org$subj"
  openssl req -new -key "$pki/$name.key" -subj "$subj" -out "$pki/$name.csr" 2>/dev/null
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    if [[ -n "$sans" ]]; then echo "extendedKeyUsage=serverAuth,clientAuth"; echo "subjectAltName=$sans"; else echo "extendedKeyUsage=clientAuth"; fi
  } >"$pki/$name.ext"
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 30 -sha256 -extfile "$pki/$name.ext" -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr" "$pki/$name.ext"
  chmod 600 "$pki/$name.key"
}

kubeconfig() { # NAME CERT
  local file="$state/$1.kubeconfig"
  [[ -f "$file" ]] && return 0
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: warren-kube
  cluster:
    server: https://$NODE_IP:$API_PORT
    certificate-authority: $pki/ca.crt
users:
- name: $2
  user:
    client-certificate: $pki/$2.crt
    client-key: $pki/$2.key
contexts:
- name: warren-kube
  context: { cluster: warren-kube, user: $2 }
current-context: warren-kube
EOF
  chmod 600 "$file"
}

pki_up() {
  mkdir -p "$pki"
  chmod 700 "$pki"
  if [[ ! -f "$pki/ca.crt" ]]; then
    openssl genrsa -out "$pki/ca.key" 2048 2>/dev/null
    openssl req -x509 -new -key "$pki/ca.key" -subj "/CN=warren-kube-ca" -days 30 -sha256 -out "$pki/ca.crt" 2>/dev/null
  fi
  cert apiserver kube-apiserver "" \
    "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:$NODE_IP,IP:$SERVICE_API_IP,IP:127.0.0.1"
  cert kubelet "system:node:$NODE_NAME" system:nodes "DNS:$NODE_NAME,IP:$NODE_IP"
  cert admin warren-kube-admin system:masters
  cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters
  cert controller-manager system:kube-controller-manager ""
  cert scheduler system:kube-scheduler ""
  cert proxy system:kube-proxy ""
  cert coredns warren:coredns ""
  [[ -f "$pki/service-account.key" ]] || {
    openssl genrsa -out "$pki/service-account.key" 2048 2>/dev/null
    openssl rsa -in "$pki/service-account.key" -pubout -out "$pki/service-account.pub" 2>/dev/null
  }
  kubeconfig admin admin
  kubeconfig controller-manager controller-manager
  kubeconfig scheduler scheduler
  kubeconfig kubelet kubelet
  kubeconfig proxy proxy
  kubeconfig coredns coredns
}

# ---------------------------------------------------------------------------------------------
# the control plane

control_plane_up() {
  local bin="$1"
  start etcd etcd --name warren-kube --data-dir "$state/etcd" \
    --listen-client-urls "http://$ETCD_CLIENT" --advertise-client-urls "http://$ETCD_CLIENT" \
    --listen-peer-urls "http://$ETCD_PEER" --initial-advertise-peer-urls "http://$ETCD_PEER" \
    --initial-cluster "warren-kube=http://$ETCD_PEER" --log-level warn
  wait_for etcd curl -fsS "http://$ETCD_CLIENT/health"

  start kube-apiserver "$bin/kube-apiserver" \
    --etcd-servers "http://$ETCD_CLIENT" \
    --bind-address "$NODE_IP" --advertise-address "$NODE_IP" --secure-port "$API_PORT" \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --client-ca-file "$pki/ca.crt" \
    --kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" \
    --kubelet-client-key "$pki/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$pki/ca.crt" \
    --kubelet-preferred-address-types InternalIP \
    --service-account-issuer "https://kubernetes.default.svc.cluster.local" \
    --service-account-key-file "$pki/service-account.pub" \
    --service-account-signing-key-file "$pki/service-account.key" \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
    --anonymous-auth=false --profiling=false
  wait_for kube-apiserver kubectl_ get --raw /readyz

  start kube-controller-manager "$bin/kube-controller-manager" \
    --kubeconfig "$state/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$state/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$state/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false \
    --service-account-private-key-file "$pki/service-account.key" --root-ca-file "$pki/ca.crt" \
    --use-service-account-credentials=true --allocate-node-cidrs=false \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key"
  start kube-scheduler "$bin/kube-scheduler" --kubeconfig "$state/scheduler.kubeconfig" \
    --authentication-kubeconfig "$state/scheduler.kubeconfig" \
    --authorization-kubeconfig "$state/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false
}

# cluster-wide objects of our own: the DNS server's read access, the storage class and its volumes.
cluster_objects_up() {
  kubectl_ apply -f - >/dev/null <<'EOF'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: "warren:coredns" }
rules:
- apiGroups: [""]
  resources: [endpoints, services, pods, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: "warren:coredns" }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "warren:coredns" }
subjects:
- { apiGroup: rbac.authorization.k8s.io, kind: User, name: "warren:coredns" }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: "warren:kube-proxy" }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:node-proxier" }
subjects:
- { apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:kube-proxy" }
EOF
  volumes_up
}

# Persistent volumes: pre-created `local` volumes (their folders under .kube-local/volumes), the
# way a single-node cluster without a provisioner serves PVCs; `local` volumes (unlike hostPath)
# get the pod's fsGroup, so the relocated data dir is the rabbitmq user's. Retained on release.
volumes_up() {
  local i dir docs="" have
  have=" $(kubectl_ get pv -o jsonpath='{.items[*].metadata.name}') "
  for i in $(seq -w 1 "$PV_COUNT"); do
    dir="$state/volumes/pv-$i"
    # A volume made anew starts empty (its old folder held a deleted volume's data).
    [[ "$have" == *" $STORAGE_CLASS-$i "* ]] || rm -rf "$dir"
    mkdir -p "$dir"
    docs+="---
apiVersion: v1
kind: PersistentVolume
metadata: { name: $STORAGE_CLASS-$i, labels: { app.kubernetes.io/managed-by: warren-kube } }
spec:
  capacity: { storage: 100Gi }
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: $STORAGE_CLASS
  volumeMode: Filesystem
  local: { path: $dir }
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions:
        - { key: kubernetes.io/hostname, operator: In, values: [$NODE_NAME] }
"
  done
  kubectl_ apply -f - >/dev/null <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: { name: $STORAGE_CLASS }
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Retain
$docs
EOF
}

# ---------------------------------------------------------------------------------------------
# the node: containerd and the kubelet in their own mount namespace

node_files() {
  mkdir -p "$state/containerd" "$state/cni/net.d" "$state/cni/ipam" "$state/kubelet" "$state/sysctl" "$run"
  printf '1\n' >"$state/sysctl/overcommit_memory"
  printf '10\n' >"$state/sysctl/panic"
  printf '1\n' >"$state/sysctl/panic_on_oops"
  printf 'nameserver %s\noptions ndots:5\n' "$NODE_IP" >"$state/resolv.conf"
  cat >"$state/containerd/config.toml" <<EOF
version = 2
root = "$state/containerd/root"
state = "/run/containerd"
[grpc]
  address = "$run/containerd.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$state/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  restrict_oom_score_adj = true
  enable_selinux = false
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$state/cni/net.d"
EOF
  # Pods: one bridge, no masquerade, and a route to the cluster's ranges only (no default route).
  cat >"$state/cni/net.d/10-warren-kube.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "warren-kube",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$state/cni/ipam",
        "ranges": [[{ "subnet": "$POD_CIDR", "gateway": "$POD_GATEWAY" }]],
        "routes": [{ "dst": "$FENCED" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
  cat >"$state/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: $pki/ca.crt }
authorization: { mode: Webhook }
tlsCertFile: $pki/kubelet.crt
tlsPrivateKeyFile: $pki/kubelet.key
cgroupDriver: cgroupfs
cgroupRoot: /$CGROUP_ROOT
failCgroupV1: false
failSwapOn: false
clusterDomain: cluster.local
clusterDNS: [$NODE_IP]
resolvConf: $state/resolv.conf
containerRuntimeEndpoint: unix://$run/containerd.sock
serializeImagePulls: false
evictionHard: { memory.available: 100Mi, nodefs.available: 2%, imagefs.available: 2% }
imageGCHighThresholdPercent: 100
maxPods: 60
EOF
  # The namespace's script: private mounts, then containerd and the kubelet (pids back to us).
  cat >"$state/node.sh" <<EOF
#!/usr/bin/env bash
set -euo pipefail
mount --make-rprivate /
record() { # NAME PID: once PID runs its own binary
  local exe
  for _ in \$(seq 100); do
    exe="\$(readlink /proc/\$2/exe || true)"
    [[ -n "\$exe" && "\$exe" != */bash ]] && break
    sleep 0.05
  done
  echo "\$2 \$exe" >"$pids/\$1"
}
for f in overcommit_memory:vm panic:kernel panic_on_oops:kernel; do
  mount --bind "$state/sysctl/\${f%%:*}" "/proc/sys/\${f#*:}/\${f%%:*}"
done
mkdir -p "$state/ns/run" "$state/ns/log" "$state/ns/cni"
# The host's iptables lock stays shared with kube-proxy and this script across the /run overmount.
touch "$state/ns/xtables.lock"
[[ -e /run/xtables.lock ]] && mount --bind /run/xtables.lock "$state/ns/xtables.lock"
mount --bind "$state/ns/run" /run
touch /run/xtables.lock
mount --bind "$state/ns/xtables.lock" /run/xtables.lock
mount --bind "$state/ns/log" /var/log
mount --bind "$state/ns/cni" /var/lib/cni
mkdir -p /run/containerd
containerd --config "$state/containerd/config.toml" >>"$logs/containerd.log" 2>&1 &
record containerd \$!
for _ in \$(seq 100); do [[ -S "$run/containerd.sock" ]] && break; sleep 0.1; done
"$1/kubelet" --config "$state/kubelet/config.yaml" --kubeconfig "$state/kubelet.kubeconfig" \
  --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" --root-dir "$state/kubelet/root" \
  --cert-dir "$state/kubelet/pki" >>"$logs/kubelet.log" 2>&1 &
record kubelet \$!
wait
EOF
  chmod +x "$state/node.sh"
}

node_up() {
  local bin="$1"
  running kubelet && running containerd && return 0
  node_files "$bin"
  # /var/lib/cni must exist to be mounted over (it is made, and removed by `down`, when missing).
  if [[ ! -d /var/lib/cni ]]; then mkdir -p /var/lib/cni && touch "$state/made-var-lib-cni"; fi
  cgroups_up
  start node unshare -m --propagation private bash "$state/node.sh" "$bin"
  wait_for containerd test -S "$run/containerd.sock"
}

# The kubelet's cgroup root must exist in every hierarchy; a new cpuset starts empty, so it gets
# the root's CPUs and memory nodes.
cgroups_up() {
  local h
  for h in /sys/fs/cgroup/*/; do
    [[ "$h" == */unified/ ]] && continue
    [[ -f "$h/cgroup.procs" ]] || continue
    mkdir -p "$h$CGROUP_ROOT"
    if [[ -f "$h/cpuset.cpus" ]]; then
      cat "$h/cpuset.cpus" >"$h$CGROUP_ROOT/cpuset.cpus"
      cat "$h/cpuset.mems" >"$h$CGROUP_ROOT/cpuset.mems"
    fi
  done
}

ctr_() { ctr -a "$run/containerd.sock" -n k8s.io "$@"; }

# images TAG...: docker save | ctr import, skipped when containerd already has that image id.
import_images() {
  local tag id have
  for tag in "$@"; do
    id="$(docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null)" || die "no Docker image $tag (scripts/images/build.sh builds them)"
    have="$(ctr_ images ls 2>/dev/null | awk -v t="docker.io/$tag" -v u="$tag" '$1 == t || $1 == u { print $3 }')"
    if [[ -n "$have" && "$id" == *"${have#sha256:}"* ]]; then continue; fi
    log "importing $tag into the node's containerd..."
    docker save "$tag" | ctr_ images import --no-unpack=false - >/dev/null
  done
}

pause_image() {
  local bin="$1" ctx="$state/pause-image"
  ctr_ images ls -q 2>/dev/null | grep -qx "$PAUSE_IMAGE" && return 0
  command -v docker >/dev/null && docker info >/dev/null 2>&1 || bash "$repo/scripts/docker.sh" ensure
  rm -rf "$ctx" && mkdir -p "$ctx"
  cp "$bin/pause" "$ctx/pause"
  printf 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n' >"$ctx/Dockerfile"
  docker build -q -t "$PAUSE_IMAGE" "$ctx" >/dev/null
  docker save "$PAUSE_IMAGE" | ctr_ images import - >/dev/null
  ctr_ images ls -q | grep -qx "$PAUSE_IMAGE" || die "the pause image did not import"
}

# Cluster DNS and services: coredns on the node address (answers cluster.local and the reverse
# zones only), kube-proxy in iptables mode (no NodePort on localhost, no conntrack sysctl changes).
services_up() {
  local bin="$1"
  cat >"$state/Corefile" <<EOF
cluster.local:53 in-addr.arpa:53 {
  bind $NODE_IP
  errors
  kubernetes cluster.local in-addr.arpa {
    kubeconfig $state/coredns.kubeconfig warren-kube
    pods insecure
  }
}
.:53 {
  bind $NODE_IP
  template ANY ANY { rcode NXDOMAIN }
}
EOF
  start coredns "$bin/coredns" -conf "$state/Corefile"
  cat >"$state/proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: { kubeconfig: $state/proxy.kubeconfig }
hostnameOverride: $NODE_NAME
bindAddress: $NODE_IP
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
mode: iptables
clusterCIDR: $POD_CIDR
nodePortAddresses: [$NODE_IP/32]
iptables: { localhostNodePorts: false, masqueradeAll: false }
conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s }
EOF
  start kube-proxy "$bin/kube-proxy" --config "$state/proxy.yaml"
}

cmd_up() {
  local start=$SECONDS bin
  lock
  for tool in etcd containerd runc kubectl iptables openssl unshare; do
    command -v "$tool" >/dev/null 2>&1 || install_packages
  done
  [[ -x /usr/lib/cni/bridge ]] || install_packages
  bin="$(bash "$repo/scripts/kube/build.sh")"
  mkdir -p "$state" "$logs" "$pids"
  fence_up
  network_up
  pki_up
  control_plane_up "$bin"
  cluster_objects_up
  node_up "$bin"
  pause_image "$bin"
  services_up "$bin"
  wait_for "the node" node_ready
  wait_for "cluster DNS" dns_answers
  log "up in $(took "$start") (kubectl --kubeconfig $state/admin.kubeconfig)"
  printf 'export KUBECONFIG=%s\n' "$state/admin.kubeconfig"
}

node_ready() {
  [[ "$(kubectl_ get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" == True ]]
}

dns_answers() {
  getent ahostsv4 kubernetes.default.svc.cluster.local >/dev/null 2>&1 && return 0
  # The host's resolver is not ours: ask coredns directly.
  [[ "$(dns_query kubernetes.default.svc.cluster.local)" == "$SERVICE_API_IP" ]]
}

dns_query() {
  command -v dig >/dev/null 2>&1 && { dig +short @"$NODE_IP" "$1" A; return; }
  python3 - "$NODE_IP" "$1" <<'EOF'
import socket, struct, sys
server, name = sys.argv[1], sys.argv[2]
q = struct.pack(">HHHHHH", 0x5757, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0" + struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(q, (server, 53))
r = s.recv(512)
if struct.unpack(">H", r[6:8])[0] and r[-6:-4] == b"\x00\x04":
    print(socket.inet_ntoa(r[-4:]))
EOF
}

install_packages() {
  [[ "$(id -u)" == 0 ]] || die "the local Kubernetes needs root (and Debian's etcd-server, containerd, runc, containernetworking-plugins, kubernetes-client)"
  local made_policy=
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && made_policy=1
  fi
  local pkgs=(etcd-server containerd runc containernetworking-plugins iptables openssl util-linux curl)
  # A kubectl the machine already has (another package's, e.g. a cloud SDK's kubectl) is used as
  # it is: Debian's kubernetes-client would try to overwrite its /usr/bin/kubectl and fail.
  command -v kubectl >/dev/null || pkgs+=(kubernetes-client)
  log "installing Debian's ${pkgs[*]}..."
  export DEBIAN_FRONTEND=noninteractive
  # An install that stopped half-way (packages unpacked, not configured) is finished first.
  [[ -z "$(dpkg --audit 2>/dev/null)" ]] || dpkg --configure -a >&2 || true
  apt-get install -y --no-install-recommends "${pkgs[@]}" >&2 ||
    { apt-get update >&2 && apt-get install -y --no-install-recommends "${pkgs[@]}" >&2; } ||
    { [[ -z "$made_policy" ]] || rm -f /usr/sbin/policy-rc.d; die "apt-get install failed"; }
  [[ -z "$made_policy" ]] || rm -f /usr/sbin/policy-rc.d
}

# ---------------------------------------------------------------------------------------------
# down

# cgroup_pids: every process in the cluster's cgroups (the pods' containers).
cgroup_pids() { find /sys/fs/cgroup/*/"$CGROUP_ROOT" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -un; }

# namespace_pids: every process still in the node's mount namespace (containerd's shims).
namespace_pids() {
  local ns="$1" p
  [[ -n "$ns" ]] || return 0
  for p in /proc/[0-9]*; do
    [[ "$(readlink "$p/ns/mnt" 2>/dev/null || true)" == "$ns" ]] && printf '%s\n' "${p#/proc/}"
  done
}

stray_pids() {
  local p exe
  for p in /proc/[0-9]*; do
    [[ "${p#/proc/}" == "$$" ]] && continue
    exe="$(readlink "$p/exe" 2>/dev/null || true)"
    if [[ "$exe" == "$repo/.toolchain/kube/"* ]] || tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "$state/"; then
      printf '%s\n' "${p#/proc/}"
    fi
  done
}

cmd_down() {
  lock
  local ns="" pid bin="$repo/.toolchain/kube"
  if pid="$(pid_of node)"; then ns="$(readlink "/proc/$pid/ns/mnt" 2>/dev/null || true)"; fi
  [[ -n "$ns" ]] && printf '%s\n' "$ns" >"$state/node.mntns"
  [[ -z "$ns" && -f "$state/node.mntns" ]] && ns="$(cat "$state/node.mntns")"
  stop kubelet
  for _ in 1 2 3; do
    for pid in $(cgroup_pids); do kill -KILL "$pid" 2>/dev/null || true; done
    sleep 0.5
  done
  stop containerd
  for pid in $(namespace_pids "$ns"); do kill -KILL "$pid" 2>/dev/null || true; done
  stop node
  for name in kube-proxy coredns kube-scheduler kube-controller-manager kube-apiserver etcd; do stop "$name"; done
  # Anything of ours whose pid file was lost (a crashed `up`): found by its binary or its state
  # folder on the command line, stopped by that pid.
  for pid in $(stray_pids); do kill -TERM "$pid" 2>/dev/null || true; done
  sleep 1
  for pid in $(stray_pids); do kill -KILL "$pid" 2>/dev/null || true; done
  [[ -x "$bin/kube-proxy" ]] && "$bin/kube-proxy" --cleanup >/dev/null 2>&1 || true
  remove_chains iptables 'KUBE-[A-Z0-9-]+|CNI-[A-Za-z0-9-]+'
  remove_chains ip6tables 'KUBE-[A-Z0-9-]+|CNI-[A-Za-z0-9-]+'
  ip link del "$BRIDGE" 2>/dev/null || true
  ip addr del "$NODE_IP/32" dev lo 2>/dev/null || true
  local dir
  for dir in $(find /sys/fs/cgroup/*/"$CGROUP_ROOT" -depth -type d 2>/dev/null); do rmdir "$dir" 2>/dev/null || true; done
  [[ -f "$state/made-var-lib-cni" ]] && rmdir /var/lib/cni 2>/dev/null || true
  remove_chains iptables "$FORWARD_CHAIN"
  # The fence goes last, once nothing of the cluster can send.
  remove_chains iptables "$FENCE"
  local left
  left="$(find /sys/fs/cgroup/*/"$CGROUP_ROOT" -maxdepth 0 2>/dev/null || true)"
  [[ -z "$left" ]] || log "warning: cgroups left: $left"
  rm -rf "$state"
  log "down"
}

# recycle-volumes: released volumes (their claims are gone; kept on purpose by Retain) are deleted
# with their data and made anew, available. For test runs that reuse a running cluster.
cmd_recycle_volumes() {
  lock
  local released
  released="$(kubectl_ get pv -o jsonpath='{range .items[?(@.status.phase=="Released")]}{.metadata.name}{" "}{end}')"
  # shellcheck disable=SC2086
  [[ -z "$released" ]] || kubectl_ delete pv $released >/dev/null
  volumes_up
}

cmd_status() {
  local ok=0 name
  for name in etcd kube-apiserver kube-controller-manager kube-scheduler node containerd kubelet coredns kube-proxy; do
    if running "$name"; then printf '%-24s running (pid %s)\n' "$name" "$(pid_of "$name")"; else printf '%-24s stopped\n' "$name"; ok=1; fi
  done
  if fence_in_place; then printf '%-24s in place, %s packets dropped\n' fence "$(fence_count)"; else printf '%-24s MISSING\n' fence; ok=1; fi
  if [[ -f "$state/admin.kubeconfig" ]] && node_ready 2>/dev/null; then printf '%-24s Ready\n' "node $NODE_NAME"; else printf '%-24s not ready\n' "node $NODE_NAME"; ok=1; fi
  return $ok
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  fence-count) fence_count ;;
  recycle-volumes) cmd_recycle_volumes ;;
  images) shift; import_images "$@" ;;
  *) echo "usage: $0 up|down|status|fence-count|recycle-volumes|images TAG..." >&2; exit 2 ;;
esac
