#!/usr/bin/env bash
# Install the Debian packages that sfsync and sfsim build and test with, and
# the pinned npm packages of the test suites. Safe to run again: it installs
# only what is missing. Runs apt-get as root, or through sudo otherwise.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)

packages=(
  build-essential cmake pkg-config   # compiler and build system
  libcurl4-openssl-dev               # HTTP client for the Salesforce API
  libjansson-dev                     # JSON
  libsqlite3-dev                     # the embedded store and sfsim --state
  libmicrohttpd-dev                  # HTTP server of sfsync serve and sfsim
  libssl-dev                         # SHA-256, HMAC and RSA (JWT, PKCE)
  libsodium-dev                      # secret encryption and Argon2id
  libpq-dev                          # PostgreSQL client
  postgresql                         # the server of the PostgreSQL tests
  libphonenumber-dev                 # phone numbers to E.164
  libicu-dev                         # case folding (Account names, search)
  libcsv-dev                         # RFC 4180 CSV (contact imports)
  libjemalloc-dev                    # sfsync's memory allocator
  curl                               # the benchmarks' raw page fetches
  sqlite3                            # tests that read the store directly
  python3                            # a test that holds an OFD file lock
  chromium                           # the browser tests of the admin page
)

missing=()
# Node.js runs the HTTP and jsforce fidelity tests. This machine image ships
# its own Node.js 20 with npm; Debian's packages are the fallback.
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
    --no-install-recommends "${missing[@]}"
fi

# The fidelity suite pins jsforce in its lock file.
if [ -f "$here/tests/fidelity/package-lock.json" ] &&
   [ ! -d "$here/tests/fidelity/node_modules/jsforce" ]; then
  (cd "$here/tests/fidelity" && npm ci --no-audit --no-fund --loglevel=error)
fi

# The browser tests pin playwright-core, which drives Debian's chromium.
if [ -f "$here/tests/browser/package-lock.json" ] &&
   [ ! -d "$here/tests/browser/node_modules/playwright-core" ]; then
  (cd "$here/tests/browser" && npm ci --no-audit --no-fund --loglevel=error)
fi
