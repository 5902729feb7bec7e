# Sourced by the other scripts: make sure $VENV exists and holds reportguard (with EXTRAS).
#   EXTRAS="[dev]" . scripts/venv.sh
VENV=${VENV:-.venv}
if [[ ! -x $VENV/bin/python ]]; then
  echo "== creating $VENV"
  python3 -m venv "$VENV"
fi
stamp="$VENV/.installed${EXTRAS:-}"
if [[ ! -e $stamp || pyproject.toml -nt $stamp ]]; then
  echo "== installing reportguard${EXTRAS:-}"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
  "$VENV/bin/python" -m pip install --quiet -e ".${EXTRAS:-}" 2>&1 | grep -v "^WARNING: Location" || true
  "$VENV/bin/python" -c "import reportguard"
  touch "$stamp"
fi
