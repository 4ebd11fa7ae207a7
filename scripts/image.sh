#!/usr/bin/env bash
# Builds the lumamock container image (Containerfile): a static binary built here (CGO_ENABLED=0), copied onto
# an empty base. Nothing is pulled from a registry and no toolchain runs inside the build.
#
#   scripts/image.sh            build the image, with buildah or docker, whichever works here, and print the
#                               command that runs it (podman run … localhost/lumamock:dev after buildah)
#   scripts/image.sh --verify   build it, then prove its entrypoint answers /healthz (see verify below)
#
# Exit status 3: no image builder works on this machine.
#
# Environment:
#   IMAGE    image name                           default lumamock:dev
#   VERSION  version stamped into the binary      default from git: the tag, else 0.1.0-dev+<commit>
#   GOARCH   architecture of the binary and image default the host's
#   BUILDER  buildah or docker                    default the first that works
#   VERIFY_WITHOUT_CONTAINER=1  verify from the image's filesystem even where buildah can run a container
set -euo pipefail
cd "$(dirname "$0")/.."

image=${IMAGE:-lumamock:dev}
arch=${GOARCH:-$(go env GOARCH)}
platform=linux/$arch
verify=false
case "${1:-}" in
  --verify) verify=true ;;
  "") ;;
  *) echo "usage: $0 [--verify]" >&2; exit 2 ;;
esac

tmp=$(mktemp -d)
container=
server=
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  if [ -n "$container" ]; then
    buildah umount "$container" >/dev/null 2>&1 || true
    buildah rm "$container" >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# default_version: the release tag of HEAD (without its v), else 0.1.0-dev+<12 hex of the commit>[.dirty], the
# form lumamock gives itself from VCS information.
default_version() {
  local v
  if v=$(git describe --tags --exact-match --match 'v[0-9]*' 2>/dev/null); then
    echo "${v#v}"
  elif v=$(git rev-parse --short=12 HEAD 2>/dev/null); then
    if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then v=$v.dirty; fi
    echo "0.1.0-dev+$v"
  else
    echo "0.1.0-dev"
  fi
}
version=${VERSION:-$(default_version)}

# pick_builder: BUILDER if set, else buildah if it can reach its storage, else docker if an engine answers.
pick_builder() {
  if [ -n "${BUILDER:-}" ]; then echo "$BUILDER"; return; fi
  if command -v buildah >/dev/null 2>&1 && buildah info >/dev/null 2>&1; then echo buildah; return; fi
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then echo docker; return; fi
  echo "image.sh: no working image builder: install buildah (Debian: apt-get install buildah) or start a Docker engine" >&2
  return 3
}
builder=$(pick_builder) || exit 3

echo "== binary: lumamock $version for $platform (CGO_ENABLED=0)"
mkdir -p "$tmp/context/$platform"
CGO_ENABLED=0 GOOS=linux GOARCH=$arch go build -trimpath \
  -ldflags "-s -w -X github.com/lumamock/lumamock.Version=$version" \
  -o "$tmp/context/$platform/lumamock" ./cmd/lumamock
cp Containerfile "$tmp/context/Containerfile"

echo "== image: $image with $builder"
image_id() {
  case "$builder" in
    buildah) buildah inspect --type image --format '{{.FromImageID}}' "$image" 2>/dev/null || true ;;
    docker) docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true ;;
  esac
}
previous=$(image_id) # left untagged by this build: removed once it is built
labels=(--label "org.opencontainers.image.version=$version")
if rev=$(git rev-parse HEAD 2>/dev/null); then labels+=(--label "org.opencontainers.image.revision=$rev"); fi
case "$builder" in
  buildah)
    # The docker format keeps HEALTHCHECK, which the OCI image format has no field for.
    buildah bud --quiet --format docker --platform "$platform" --build-arg "TARGETPLATFORM=$platform" \
      "${labels[@]}" -t "$image" -f "$tmp/context/Containerfile" "$tmp/context"
    ;;
  docker)
    docker build --quiet --platform "$platform" --build-arg "TARGETPLATFORM=$platform" \
      "${labels[@]}" -t "$image" -f "$tmp/context/Containerfile" "$tmp/context"
    ;;
  *) echo "image.sh: BUILDER=$builder: want buildah or docker" >&2; exit 2 ;;
esac
echo "built $image (lumamock $version, $platform)"
# How to run it. buildah keeps images in the storage podman reads, naming one without a registry localhost/NAME.
case "$builder" in
  buildah)
    run_name=$image
    first=${image%%/*}
    if [ "$first" = "$image" ] || { [ "$first" != localhost ] && [ "${first#*[.:]}" = "$first" ]; }; then
      run_name=localhost/$image
    fi
    echo "run it: podman run --rm -p 8080:8080 $run_name"
    ;;
  docker) echo "run it: docker run --rm -p 8080:8080 $image" ;;
esac
current=$(image_id)
if [ -n "$previous" ] && [ "$previous" != "$current" ]; then
  "$builder" rmi "$previous" >/dev/null 2>&1 || true # the image this one replaced, unless something still uses it
fi
$verify || exit 0

# verify starts the image's entrypoint and default command as the image says (its user, its environment, but
# LUMAMOCK_ADDR=127.0.0.1:0 so that it listens on loopback at a free port), waits for its address, then runs the
# image's HEALTHCHECK command and GETs /healthz. It runs the image as a container where this machine allows
# one; where it does not, it runs the entrypoint binary from the image's own filesystem on the host.
echo "== verify: the image's entrypoint answers /healthz"
if [ "$arch" != "$(go env GOHOSTARCH)" ]; then
  echo "image.sh: cannot run a $platform image on $(go env GOHOSTARCH)" >&2; exit 1
fi
out=$tmp/server.out
config_of() { # list field of the image's config, as buildah or docker shows it: Entrypoint, Cmd, Healthcheck.Test
  case "$builder" in
    buildah) buildah inspect --type image --format "{{range .Docker.Config.$1}}{{.}} {{end}}" "$image" ;;
    docker) docker image inspect --format "{{range .Config.$1}}{{.}} {{end}}" "$image" ;;
  esac
}
read -r -a entry <<<"$(config_of Entrypoint)"
read -r -a cmd <<<"$(config_of Cmd)"
read -r -a check <<<"$(config_of Healthcheck.Test)"
[ "${check[0]:-}" = CMD ] && check=("${check[@]:1}")
echo "entrypoint: ${entry[*]}  cmd: ${cmd[*]}  healthcheck: ${check[*]}"
if [ "${#entry[@]}" -eq 0 ] || [ "${#check[@]}" -eq 0 ]; then
  echo "image.sh: the image has no entrypoint or no healthcheck" >&2; exit 1
fi

run_in=() # the prefix that runs a command the way the image would, set by the method chosen below
case "$builder" in
  docker)
    method="in a container (docker run --network host)"
    run_in=(docker run --rm --network host -e LUMAMOCK_ADDR=127.0.0.1:0 --entrypoint "")
    ;;
  buildah)
    container=$(buildah from --quiet "$image")
    # A container proper (an OCI runtime) where the kernel and cgroups allow one, else a chroot into the image.
    isolations=(oci chroot)
    [ "${VERIFY_WITHOUT_CONTAINER:-}" = 1 ] && isolations=()
    for isolation in "${isolations[@]}"; do
      if buildah run --isolation "$isolation" "$container" -- "${entry[@]}" version >/dev/null 2>&1; then
        method="in a container (buildah run --isolation $isolation)"
        run_in=(buildah run --isolation "$isolation" --env LUMAMOCK_ADDR=127.0.0.1:0 "$container" --)
        break
      fi
      echo "buildah run --isolation $isolation does not work here; trying the next way"
    done
    if [ ${#run_in[@]} -eq 0 ]; then
      # No container at all: the entrypoint binary from the image's filesystem, on the host, as the image's user.
      root=$(buildah mount "$container")
      user=$(buildah inspect --type image --format '{{.Docker.Config.User}}' "$image"); user=${user:-0:0}
      method="from the image's filesystem (mounted at $root), without a container, as user $user"
      run_in=(env -i LUMAMOCK_ADDR=127.0.0.1:0)
      if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
        run_in+=(setpriv --reuid "${user%%:*}" --regid "${user##*:}" --clear-groups)
      fi
      entry[0]=$root${entry[0]}
      check[0]=$root${check[0]}
    fi
    ;;
esac
echo "running the entrypoint $method"
: >"$out" # before the server starts: its own redirection may come after the first read below
"${run_in[@]}" "${entry[@]}" "${cmd[@]}" >"$out" 2>&1 &
server=$!
addr=
for _ in $(seq 100); do
  addr=$(sed -nE 's|.* on http://([0-9.]+:[0-9]+) .*|\1|p' "$out" | head -n1)
  [ -n "$addr" ] && break
  kill -0 "$server" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$addr" ]; then
  echo "image.sh: the image's entrypoint did not start:" >&2; cat "$out" >&2; exit 1
fi
echo "listening on $addr"
# The image's HEALTHCHECK command, with the address the server chose.
if [ "$builder" = docker ]; then
  docker run --rm --network host -e "LUMAMOCK_ADDR=$addr" --entrypoint "" "$image" "${check[@]}"
elif [ "${run_in[0]}" = buildah ]; then
  buildah run --isolation "$isolation" --env "LUMAMOCK_ADDR=$addr" "$container" -- "${check[@]}"
else
  env -i "LUMAMOCK_ADDR=$addr" "${check[@]}"
fi
if command -v curl >/dev/null 2>&1; then
  body=$(curl -fsS --max-time 5 "http://$addr/healthz")
  echo "GET /healthz: $body"
  case "$body" in *'"status":"ok"'*) ;; *) echo "image.sh: unexpected /healthz answer" >&2; exit 1 ;; esac
fi
grep -q "lumamock $version serving" "$out" || { echo "image.sh: the image's binary is not version $version:" >&2; cat "$out" >&2; exit 1; }
kill "$server"; wait "$server" 2>/dev/null || true; server=
echo "verified: $image answers /healthz (its entrypoint ran $method)"
