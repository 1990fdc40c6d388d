#!/usr/bin/env bash
# Opens a tour report in headless Chromium and fails when the page did not render or an image is missing.
#   tools/check-report.sh [out/tour/index.html] [--screenshot FILE.png]
# Exit codes: 0 rendered with every image; 1 a missing/broken image or no render; 2 Chromium not installed.
set -euo pipefail
page=out/tour/index.html
shot=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --screenshot) shot="$2"; shift 2 ;;
        *) page="$1"; shift ;;
    esac
done
[[ -f "$page" ]] || { echo "check-report: $page does not exist (run ./lineage tour first)" >&2; exit 1; }
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[[ -n "$browser" ]] || { echo "check-report: Chromium is not installed (Debian: apt-get install chromium)" >&2; exit 2; }
url="file://$(cd "$(dirname "$page")" && pwd)/$(basename "$page")"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# The flags keep Chromium off the network (this machine has none) and away from any user profile.
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --user-data-dir="$profile" --virtual-time-budget=5000)
body=$("$browser" "${flags[@]}" --dump-dom "$url" 2>/dev/null | grep -o '<body[^>]*>' | head -1 || true)
if [[ "$body" != *'data-render-check="done"'* ]]; then
    echo "check-report: $page did not finish rendering in Chromium (no render-check mark on <body>)" >&2
    exit 1
fi
images=$(sed -n 's/.*data-images="\([0-9]*\)".*/\1/p' <<<"$body")
broken=$(sed -n 's/.*data-broken-images="\([^"]*\)".*/\1/p' <<<"$body")
if [[ -n "$broken" ]]; then
    echo "check-report: $page has images that did not load: $broken" >&2
    exit 1
fi
if [[ -n "$shot" ]]; then
    "$browser" "${flags[@]}" --window-size=1100,1600 --screenshot="$shot" "$url" >/dev/null 2>&1
fi
echo "check-report: $page rendered in Chromium with all $images images"
