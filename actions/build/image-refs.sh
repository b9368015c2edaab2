#!/bin/sh
# Turns the build action's tags into full image references and picks the registry to log in to.
# Values come from the environment only (set with `env:` by the composite action).
#
#   IMAGE        image name without tag                                     (required)
#   TAGS         newline-separated tags given by the caller (bare or full references)
#   META_TAGS    full references from docker/metadata-action, used when TAGS is empty
#   LABELS       labels given by the caller
#   META_LABELS  labels from docker/metadata-action (they already include LABELS)
#   REGISTRY     registry host to log in to; default: the host part of IMAGE, else docker.io
#   GITHUB_OUTPUT  receives `tags`, `labels` and `registry`
set -eu
: "${IMAGE:?IMAGE is required (e.g. ghcr.io/acme/payments)}"
tags="${TAGS:-}"
[ -n "$(printf '%s' "$tags" | tr -d '[:space:]')" ] || tags="${META_TAGS:-}"
labels="${META_LABELS:-}"
[ -n "$labels" ] || labels="${LABELS:-}"

refs="$(printf '%s\n' "$tags" | while IFS= read -r tag; do
  tag="$(printf '%s' "$tag" | tr -d '[:space:]')"
  case "$tag" in
    '') ;;
    */* | *:*) printf '%s\n' "$tag" ;;
    *) printf '%s:%s\n' "$IMAGE" "$tag" ;;
  esac
done)"
[ -n "$refs" ] || { echo "No tags: give the tags input, or build from a branch, tag or pull request" >&2; exit 1; }

registry="${REGISTRY:-}"
if [ -z "$registry" ]; then
  # Docker's rule: the first path part is a registry host only if it has a dot or port, or is localhost.
  first="${IMAGE%%/*}"
  case "$first" in
    "$IMAGE") registry="docker.io" ;;
    *.* | *:* | localhost) registry="$first" ;;
    *) registry="docker.io" ;;
  esac
fi

delimiter="glidepath_$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
{
  printf 'tags<<%s\n%s\n%s\n' "$delimiter" "$refs" "$delimiter"
  printf 'labels<<%s\n%s\n%s\n' "$delimiter" "$labels" "$delimiter"
  printf 'registry=%s\n' "$registry"
} >>"${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"
