#!/usr/bin/env bash
# Builds the images from the real Dockerfile with podman where no container registry is reachable:
# the base images are made locally (Debian 12 rootfs from debootstrap + this host's .NET 10 install)
# and passed as build arguments. Needs root, podman, runc, debootstrap, and a bundled model in models/.
#   docker/podman/build-local.sh            # CPU image  -> localhost/snojoe-service:cpu
#   docker/podman/build-local.sh gpu        # GPU target on a CUDA stand-in (no CUDA libraries:
#                                           # it checks the stage builds and falls back to CPU)
# Run: podman --runtime runc run --read-only --ulimit nofile=1024:1024 --ulimit nproc=1000:1000 \
#        -p 8080:8080 localhost/snojoe-service:cpu
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet)")")"
work="${WORK:-/tmp/snojoe-podman}"
mkdir -p "$work"

if ! podman image exists localhost/snojoe-base/debian:12; then
  rm -rf "$work/rootfs"
  debootstrap --variant=minbase bookworm "$work/rootfs" http://deb.debian.org/debian
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb
  tar -C "$work/rootfs" -c . | podman import - localhost/snojoe-base/debian:12
fi

podman build --network host -t localhost/snojoe-base/sdk:10.0 -f "$here/sdk.Containerfile" "$dotnet_root"

rm -rf "$work/aspnet" && mkdir -p "$work/aspnet/dotnet/shared"
cp -a "$dotnet_root/dotnet" "$dotnet_root/host" "$dotnet_root/LICENSE.txt" "$work/aspnet/dotnet/"
cp -a "$dotnet_root/shared/Microsoft.NETCore.App" "$dotnet_root/shared/Microsoft.AspNetCore.App" "$work/aspnet/dotnet/shared/"
podman build --network host -t localhost/snojoe-base/aspnet:10.0 -f "$here/aspnet.Containerfile" "$work/aspnet"

# The build container restores from the host's package cache (mounted below). A network that intercepts TLS
# keeps it from reaching NuGet (NU1301), so restore the service for linux-x64 here first: the cache then holds
# the linux-x64 runtime packs and the in-container restore needs no network.
dotnet restore "$repo/src/SNoJoE.Service/SNoJoE.Service.csproj" -r linux-x64

args=(--format docker --pull=never --network host -v "$HOME/.nuget/packages:/root/.nuget/packages"
      --build-arg SDK_IMAGE=localhost/snojoe-base/sdk:10.0 --build-arg ASPNET_IMAGE=localhost/snojoe-base/aspnet:10.0
      --build-arg CPU_IMAGE=localhost/snojoe-base/aspnet:10.0)
if [ "${1:-cpu}" = gpu ]; then
  podman build --network host -t localhost/snojoe-base/cuda-standin:13 -f "$here/cuda-standin.Containerfile" "$here"
  podman build "${args[@]}" --build-arg CUDA_IMAGE=localhost/snojoe-base/cuda-standin:13 --target runtime-gpu \
    -t localhost/snojoe-service:gpu-standin "$repo"
else
  podman build "${args[@]}" --target runtime-cpu -t localhost/snojoe-service:cpu "$repo"
fi
