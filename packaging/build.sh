#!/usr/bin/env bash
# Build the one-folder app bundle: dist/composer/ (run it as dist/composer/composer).
# The build uses a fresh virtual environment under build/, so nothing from this machine's other
# environments leaks into the bundle.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
venv="$root/build/bundle-venv"
started=$(date +%s)

python="$(scripts/find-python)" || exit 1
rm -rf "$venv" "$root/build/pyinstaller" "$root/dist/composer"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "$root" "pyinstaller>=6.10"
"$venv/bin/pyinstaller" --noconfirm --log-level WARN \
    --distpath "$root/dist" --workpath "$root/build/pyinstaller" \
    "$root/packaging/composer.spec"
install -m 0644 "$root/packaging/composer.desktop" "$root/dist/composer/composer.desktop"
install -m 0644 "$root/composer/resources/icons/composer-256.png" "$root/dist/composer/composer.png"

elapsed=$(( $(date +%s) - started ))
size=$(du -sh "$root/dist/composer" | cut -f1)
echo "Built dist/composer/ in ${elapsed}s (${size}). Start it with: dist/composer/composer"
