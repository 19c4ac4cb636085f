#!/usr/bin/env bash
# Usage: find-python.sh 3.10
# Print the path of a Python interpreter of that version, or explain how to
# get one. The Rasa environment needs 3.10 (Rasa 3.6 runs on 3.8-3.10 only);
# the action server environment uses 3.11.
set -euo pipefail

want="${1:?usage: find-python.sh MAJOR.MINOR}"
override_var="PYTHON${want//./}"

is_wanted() {
  "$1" -c "import sys; sys.exit(0 if '%d.%d' % sys.version_info[:2] == '$want' else 1)" 2>/dev/null
}

candidates=()
[[ -n "${!override_var:-}" ]] && candidates+=("${!override_var}")
if command -v pyenv >/dev/null 2>&1; then
  root="$(pyenv root)"
  for dir in $(ls -d "$root"/versions/"$want".* 2>/dev/null | sort -V -r); do
    candidates+=("$dir/bin/python$want")
  done
fi
for name in "python$want" "/usr/bin/python$want" "/usr/local/bin/python$want"; do
  path="$(command -v "$name" 2>/dev/null || true)"
  [[ -n "$path" ]] && candidates+=("$path")
done

for candidate in "${candidates[@]}"; do
  if [[ -x "$candidate" ]] && is_wanted "$candidate"; then
    echo "$candidate"
    exit 0
  fi
done

cat >&2 <<MSG
error: Python $want was not found.
The Rasa server needs Python 3.10 (Rasa Open Source 3.6, the last release,
runs on 3.8-3.10 only); the action server uses Python 3.11.
Install it, for example with \`pyenv install $want\` or your distribution's
python$want package (with venv support), or point $override_var at one:
    make setup $override_var=/path/to/python$want
MSG
exit 1
