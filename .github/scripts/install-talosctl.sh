#!/usr/bin/env bash
# install-talosctl.sh <release>: installs talosctl <release> (e.g. v1.13.9) for
# this runner's architecture into $RUNNER_TEMP and puts it on $GITHUB_PATH for
# the later steps: a non-root self-hosted runner cannot write /usr/local/bin,
# and a tool left there outlives the job. The binary is checked against the
# release's own sha256sum.txt (Talos' release job writes it with sha256sum over
# the assets: siderolabs/talos .github/workflows/ci.yaml, v1.13.9) before it runs.
set -euo pipefail
release="${1:?usage: install-talosctl.sh <release, e.g. v1.13.9>}"
# RUNNER_ARCH is GitHub's name for the runner's machine; uname answers elsewhere.
machine="${RUNNER_ARCH:-$(uname -m)}"
case "$machine" in
  X64 | x86_64 | amd64) arch=amd64 ;;
  ARM64 | aarch64 | arm64) arch=arm64 ;;
  *) echo "::error::talosctl: no Linux release for this runner's architecture ${machine}; Talos publishes amd64 and arm64" >&2; exit 1 ;;
esac
asset="talosctl-linux-${arch}"
url="https://github.com/siderolabs/talos/releases/download/${release}"
dir="${RUNNER_TEMP:?RUNNER_TEMP is not set: run this inside a GitHub Actions job}/talosctl-${release}"
mkdir -p "$dir"
curl -fsSL --retry 3 -o "${dir}/${asset}" "${url}/${asset}"
curl -fsSL --retry 3 -o "${dir}/sha256sum.txt" "${url}/sha256sum.txt"
expected="$(awk -v f="$asset" '$2 == f || $2 == "*" f { print $1 }' "${dir}/sha256sum.txt")"
actual="$(sha256sum "${dir}/${asset}" | cut -d ' ' -f 1)"
if [ -z "$expected" ] || [ "$expected" != "$actual" ]; then
  echo "::error::talosctl ${release}: ${asset} has sha256 ${actual}, the release's sha256sum.txt lists ${expected:-nothing}; not installed" >&2
  rm -f "${dir}/${asset}"
  exit 1
fi
mv "${dir}/${asset}" "${dir}/talosctl"
chmod +x "${dir}/talosctl"
echo "$dir" >> "${GITHUB_PATH:?GITHUB_PATH is not set: run this inside a GitHub Actions job}"
"${dir}/talosctl" version --client --short
