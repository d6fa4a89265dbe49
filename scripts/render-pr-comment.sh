#!/usr/bin/env bash
# Renders a headroom Markdown report the way GitHub shows a PR comment —
# GFM tables and the Mermaid xychart — in headless Chromium, fails if Mermaid
# could not render the chart, and writes a PNG screenshot.
#
#   scripts/render-pr-comment.sh [REPORT.md] [OUT.png]
#   (defaults: the incident plan golden → docs/pr-comment.png; the page
#   height is PR_COMMENT_HEIGHT pixels, default 2300)
#
# Needs: chromium (apt-get install chromium fonts-noto-color-emoji) and
# mermaid from npm (MERMAID_JS, default: a local npm install under .tmp/).
set -euo pipefail
cd "$(dirname "$0")/.."
md="${1:-cmd/headroom/testdata/plan-incident.md}"
png="${2:-docs/pr-comment.png}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ -z "${MERMAID_JS:-}" ]; then
  if [ ! -f .tmp/mermaid/node_modules/mermaid/dist/mermaid.min.js ]; then
    mkdir -p .tmp/mermaid
    (cd .tmp/mermaid && npm install --no-audit --no-fund --silent mermaid@11 >/dev/null)
  fi
  MERMAID_JS="$PWD/.tmp/mermaid/node_modules/mermaid/dist/mermaid.min.js"
fi
chromium="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
[ -n "$chromium" ] || { echo "render-pr-comment: chromium not found (apt-get install chromium)" >&2; exit 2; }

go run ./testkit/md2html "$md" "file://$MERMAID_JS" > "$work/report.html"
flags=(--headless=new --no-sandbox --disable-gpu --hide-scrollbars --allow-file-access-from-files --virtual-time-budget=10000)
"$chromium" "${flags[@]}" --dump-dom "file://$work/report.html" 2>/dev/null > "$work/dom.html"
if grep -qi "syntax error" "$work/dom.html" || ! grep -q '<svg' "$work/dom.html"; then
  echo "render-pr-comment: Mermaid did not render the chart in $md" >&2
  exit 1
fi
echo "render-pr-comment: Mermaid rendered $(grep -o 'aria-roledescription="xychart"' "$work/dom.html" | wc -l) xychart(s)"
"$chromium" "${flags[@]}" --window-size=1240,"${PR_COMMENT_HEIGHT:-2300}" --screenshot="$work/shot.png" "file://$work/report.html" 2>/dev/null >/dev/null
mv "$work/shot.png" "$png"
echo "render-pr-comment: wrote $png"
