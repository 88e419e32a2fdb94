#!/bin/sh
# notes-test.sh HELM OUTDIR: render NOTES.txt offline (helm renders it only
# on install) for the default and the full values, and check the URLs it
# gives follow the listeners' TLS settings.
set -eu
helm=$1 out=$2
chart=$(dirname "$0")/..
rm -rf "$out/notes-chart"
cp -r "$chart" "$out/notes-chart"
mv "$out/notes-chart/templates/NOTES.txt" "$out/notes-chart/NOTES.src"
cat > "$out/notes-chart/templates/notes-check.yaml" <<'T'
notes: {{ tpl (.Files.Get "NOTES.src") . | toJson }}
T
render() { # values-file-or-empty
	set -- "$@"
	if [ -n "$1" ]; then
		"$helm" template veil "$out/notes-chart" -f "$1" --show-only templates/notes-check.yaml
	else
		"$helm" template veil "$out/notes-chart" --show-only templates/notes-check.yaml
	fi | sed -n 's/^notes: //p'
}
expect() { # notes, what
	case "$1" in
	*"$2"*) ;;
	*) echo "NOTES.txt lacks '$2':"; printf '%b\n' "$1"; exit 1 ;;
	esac
}
plain=$(render "")
expect "$plain" 'base URL  http://veil.'
expect "$plain" 'http://127.0.0.1:9090/admin/inventory'
full=$(render "$chart/ci/full-values.yaml")
expect "$full" 'base URL  https://veil.'
expect "$full" 'HTTPS_PROXY=https://veil-forward.'
expect "$full" 'https://127.0.0.1:9090/admin/inventory'
echo "NOTES.txt: http for the default values, https where config: serves TLS"
