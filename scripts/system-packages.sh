#!/usr/bin/env bash
# Install the Debian packages the assistant and its tests need, when any is missing:
#   libespeak-ng1  the speech synthesiser pyttsx3 drives (the reply audio)
#   espeak-ng      its command line, which the tests use to synthesise questions
#   libportaudio2  microphone access for `python -m bot voice --live`
#   chromium       the browser tests' browser (Playwright drives it; it never downloads one)
# PyAV bundles its own decoders, so no ffmpeg. Runs `apt-get update` only when
# the package lists do not know a package (a fresh image has empty lists).
set -euo pipefail

packages=(libespeak-ng1 espeak-ng libportaudio2 chromium)

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=()
for package in "${packages[@]}"; do
  installed "$package" || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

fail() {
  cat >&2 <<MSG
error: could not install the system packages ${missing[*]}: $1
They are needed for the voice channel (speech synthesis) and the tests.
Install them yourself, e.g. \`sudo apt-get install ${missing[*]}\`, then run make again.
MSG
  exit 1
}

command -v apt-get >/dev/null 2>&1 || fail "this system has no apt-get"
sudo=()
if [[ "$(id -u)" -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || fail "not root and no sudo"
  sudo=(sudo -n)  # never prompt: make must not hang waiting for a password
fi

unknown_to_apt() {
  local package
  for package in "${missing[@]}"; do
    apt-cache policy "$package" 2>/dev/null | grep -q "Candidate: [^(]" || return 0
  done
  return 1
}

echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if unknown_to_apt; then
  "${sudo[@]}" apt-get update -qq || fail "apt-get update failed"
fi
install=("${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}")
if ! "${install[@]}" >/dev/null; then
  # stale lists point at files the mirror no longer has: refresh once and retry
  "${sudo[@]}" apt-get update -qq || fail "apt-get update failed"
  "${install[@]}" >/dev/null || fail "apt-get install failed"
fi
