# Sourced by scripts/up.sh and scripts/preview.sh: the state backend the engine uses.
#
# warren_backend REPO: exports PULUMI_BACKEND_URL, by default the local file backend
# file://REPO/.warren/state?metadata=skip, and creates a file backend's folder.
#
# Why `metadata=skip`: the file backend (gocloud.dev's fileblob, v0.46.0 in pulumi v3.248.0) writes
# each file to a temporary name and renames it into place, but first rewrites a `.attrs` sidecar
# next to it in place (create, truncate, write). A `pulumi up` killed between the truncate and the
# write leaves an empty sidecar, and every later command fails with "failed to load checkpoint:
# EOF". With `metadata=skip` no sidecar is written (it only holds a content type the backend does
# not use), so every write is a rename and a kill leaves the old file or the new one.
warren_backend() {
  local repo="$1" dir
  export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$repo/.warren/state?metadata=skip}"
  case "$PULUMI_BACKEND_URL" in
    file://*)
      dir="${PULUMI_BACKEND_URL#file://}"
      dir="${dir%%\?*}"
      mkdir -p "$dir"
      case "$PULUMI_BACKEND_URL" in
        *'?metadata=skip'* | *'&metadata=skip'*) ;;
        *) [ -n "${WARREN_BACKEND_NOTED:-}" ] || printf '%s\n' "warren: note: PULUMI_BACKEND_URL is a file backend without ?metadata=skip: a run killed while it writes the state can leave it unreadable (README, \"The real engine on this machine\")" >&2
          export WARREN_BACKEND_NOTED=1 ;;
      esac
      ;;
  esac
}
