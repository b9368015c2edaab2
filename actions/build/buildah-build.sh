#!/bin/sh
# Builds an image with buildah (no Docker daemon) and pushes every tag, for self-hosted runners
# without Docker. Every value comes from the environment (the composite action sets them with
# `env:`), never spliced into this script, so no input can inject shell.
#
#   IMAGE              image name without tag, e.g. ghcr.io/acme/payments            (required)
#   TAGS               newline-separated tags: bare (`1.2.3`) or full refs (`host/name:1.2.3`) (required)
#   CONTEXT            build context (default .)
#   DOCKERFILE         Dockerfile path (default $CONTEXT/Dockerfile)
#   LABELS             newline-separated key=value image labels
#   BUILD_ARGS         newline-separated KEY=value build arguments
#   PUSH               true (default) or false
#   TLS_VERIFY         true (default); false for a plain-http registry
#   REGISTRY           host to log in to (default: the first part of IMAGE)
#   REGISTRY_USERNAME, REGISTRY_PASSWORD   credentials; login is skipped when empty
#   BUILDAH_ROOT, BUILDAH_RUNROOT          storage directories (default: buildah's own)
#   GITHUB_OUTPUT      where `digest`, `image` and `tags` are written
set -eu

: "${IMAGE:?IMAGE is required (e.g. ghcr.io/acme/payments)}"
: "${TAGS:?TAGS is required (newline-separated tags)}"
CONTEXT="${CONTEXT:-.}"
DOCKERFILE="${DOCKERFILE:-$CONTEXT/Dockerfile}"
PUSH="${PUSH:-true}"
TLS_VERIFY="${TLS_VERIFY:-true}"
work="$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/glidepath-buildah.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# vfs works without fuse-overlayfs or kernel overlay support in containers and on locked-down runners.
bh() {
  # shellcheck disable=SC2086
  buildah --storage-driver vfs ${BUILDAH_ROOT:+--root "$BUILDAH_ROOT"} ${BUILDAH_RUNROOT:+--runroot "$BUILDAH_RUNROOT"} "$@"
}

refs="$work/refs"
: >"$refs"
printf '%s\n' "$TAGS" | while IFS= read -r tag; do
  tag="$(printf '%s' "$tag" | tr -d '[:space:]')"
  case "$tag" in
    '') ;;
    */* | *:*) printf '%s\n' "$tag" ;;
    *) printf '%s:%s\n' "$IMAGE" "$tag" ;;
  esac
done >"$refs"
first="$(head -n 1 "$refs")"
[ -n "$first" ] || { echo "TAGS has no tag in it" >&2; exit 1; }

set -- bud --isolation chroot --file "$DOCKERFILE"
while IFS= read -r ref; do set -- "$@" --tag "$ref"; done <"$refs"
while IFS= read -r label; do
  if [ -n "$label" ]; then set -- "$@" --label "$label"; fi
done <<EOF
${LABELS:-}
EOF
while IFS= read -r arg; do
  if [ -n "$arg" ]; then set -- "$@" --build-arg "$arg"; fi
done <<EOF
${BUILD_ARGS:-}
EOF
# Chroot isolation: the default (OCI runtime) needs cgroup access that runners in containers lack.
bh "$@" "$CONTEXT"

digest=""
image=""
if [ "$PUSH" = "true" ]; then
  authfile="$work/auth.json"
  echo '{}' >"$authfile"
  if [ -n "${REGISTRY_USERNAME:-}" ] && [ -n "${REGISTRY_PASSWORD:-}" ]; then
    registry="${REGISTRY:-${IMAGE%%/*}}"
    printf '%s' "$REGISTRY_PASSWORD" | bh login --authfile "$authfile" --tls-verify="$TLS_VERIFY" \
      --username "$REGISTRY_USERNAME" --password-stdin "$registry"
  fi
  while IFS= read -r ref; do
    bh push --authfile "$authfile" --tls-verify="$TLS_VERIFY" --digestfile "$work/digest" \
      "$ref" "docker://$ref" </dev/null
    # Every tag points at the same manifest, so the last digest is the image's digest.
    digest="$(cat "$work/digest")"
  done <"$refs"
  image="$IMAGE@$digest"
  echo "Pushed $image"
fi

if [ -n "${GITHUB_OUTPUT:-}" ]; then
  delimiter="glidepath_$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  {
    printf 'digest=%s\n' "$digest"
    printf 'image=%s\n' "$image"
    printf 'tags<<%s\n' "$delimiter"
    cat "$refs"
    printf '%s\n' "$delimiter"
  } >>"$GITHUB_OUTPUT"
fi
