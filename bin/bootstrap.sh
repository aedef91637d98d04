# Shared by ./run and ./test: find Python >= 3.12, create .venv, install the pinned dependencies.
# Sourced, not executed. Sets $PY to the virtual environment's interpreter.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

find_python() {
  local candidates=("${ACCLAB_PYTHON:-}" python3.13 python3.12 python3)
  local c
  for c in "${candidates[@]}"; do
    [ -n "$c" ] || continue
    command -v "$c" >/dev/null 2>&1 || continue
    if "$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
      command -v "$c"; return 0
    fi
  done
  # pyenv keeps interpreters that are not on PATH
  for c in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3; do
    [ -x "$c" ] && { echo "$c"; return 0; }
  done
  return 1
}

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'; then
  base=$(find_python) || {
    echo "error: AccLab Plans needs Python 3.12 or newer (Django 6.1 requires it)." >&2
    echo "       Install one (e.g. 'pyenv install 3.12') or point ACCLAB_PYTHON at it." >&2
    exit 1
  }
  echo "Creating .venv with $base"
  rm -rf .venv
  "$base" -m venv .venv
fi
PY=.venv/bin/python
req=${ACCLAB_REQUIREMENTS:-requirements.txt}
# Reinstall only when the pinned requirements changed since the last install.
stamp=.venv/.installed-$(cat requirements*.txt requirements.lock | sha1sum | cut -c1-12)-$(basename "$req")
if [ ! -f "$stamp" ]; then
  "$PY" -m pip install --quiet --disable-pip-version-check -r "$req" -c requirements.lock
  touch "$stamp"
fi
