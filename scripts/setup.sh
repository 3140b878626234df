#!/usr/bin/env bash
# Installs the system packages hairyo needs to build and test, when they are missing.
#
# - mecab-ipadic: the IPADIC source (EUC-JP word lists) from which build.rs builds the Lindera
#   tokenizer dictionary. Lindera's own dictionary download is not used: nothing is fetched
#   from outside the package registries.
# - chromium, chromium-driver: headless Chromium for the browser UI's end-to-end test
#   (tests/e2e_ui.rs). Set HAIRYO_SKIP_BROWSER=1 to skip them when only building.
#
# Safe to run repeatedly; does nothing when everything is present.
set -euo pipefail

need=()
[ -f /usr/share/mecab/dic/ipadic/matrix.def ] || need+=(mecab-ipadic)
if [ -z "${HAIRYO_SKIP_BROWSER:-}" ]; then
  command -v chromium >/dev/null || need+=(chromium)
  command -v chromedriver >/dev/null || need+=(chromium-driver)
fi

if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "setup: installing ${need[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v cargo >/dev/null || { echo "setup: cargo (Rust toolchain) is required" >&2; exit 1; }
