#!/usr/bin/env bash
# The Debian packages the tests use: a real PostgreSQL server, ffmpeg, a CJK font (chat
# screenshots drawn for the OCR tests).
# Installs what is missing when run as root with apt-get; otherwise says what to install.
set -euo pipefail

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
# The browser the end-to-end tests drive through Playwright (which cannot download its own here).
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || missing+=(fonts-wqy-zenhei)
# Evidence bundles: pdftoppm renders their PDFs to PNG in the tests; the openssl command is the
# local time-stamp authority (RFC 3161) the tests run; bench/export_bundle.py compares with zip.
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v zip >/dev/null 2>&1 || missing+=(zip)

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages for the tests: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "the tests need these Debian packages: ${missing[*]}" >&2
    echo "install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
fi
