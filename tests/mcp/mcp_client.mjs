// Drives XO's MCP server (@xen-orchestra/mcp, pinned in tests/npm/package.json) over stdio
// with the MCP SDK's client, as an assistant would, and prints what it saw as one JSON
// object on stdout. The server is pointed at xapi-rest by the environment given to us
// (XO_URL, XO_TOKEN or XO_USERNAME/XO_PASSWORD, XO_MCP_ENABLE_ACTIONS).
// Usage: node mcp_client.mjs NPM_DIR SCENARIO [ARGS_JSON]
//   start                    connect or report the server's fatal error
//   tools                    tools/list
//   call                     ARGS_JSON = [{"name": tool, "arguments": {...}}, ...]: call each in order;
//                            "$confirm" as a confirm_token uses the token of the previous answer
import path from 'node:path';

const [npmDir, scenario, argsJson] = process.argv.slice(2);
const modules = path.join(path.resolve(npmDir), 'node_modules');
const sdk = path.join(modules, '@modelcontextprotocol/sdk');
const { Client } = await import(path.join(sdk, 'dist/esm/client/index.js'));
const { StdioClientTransport } = await import(path.join(sdk, 'dist/esm/client/stdio.js'));
const serverBin = path.join(modules, '@xen-orchestra/mcp/bin/xo-mcp.mjs');

const env = {};
for (const k of ['PATH', 'HOME', 'XO_URL', 'XO_TOKEN', 'XO_USERNAME', 'XO_PASSWORD', 'XO_MCP_ENABLE_ACTIONS']) {
  if (process.env[k] !== undefined) env[k] = process.env[k];
}
const transport = new StdioClientTransport({ command: process.execPath, args: [serverBin], env, stderr: 'pipe' });
let stderr = '';
transport.stderr?.on('data', d => { stderr += d; });
const client = new Client({ name: 'xapi-rest-test', version: '1.0.0' });
const out = { scenario };

try {
  await client.connect(transport);
  out.connected = true;
  if (scenario === 'tools') {
    const { tools } = await client.listTools();
    out.tools = tools.map(t => ({ name: t.name, description: t.description,
      operations: t.inputSchema?.properties?.operation?.enum ?? [] }));
  } else if (scenario === 'call') {
    out.results = [];
    let lastToken;
    for (const call of JSON.parse(argsJson)) {
      const args = { ...call.arguments };
      if (args.confirm_token === '$confirm') args.confirm_token = lastToken;
      const r = await client.callTool({ name: call.name, arguments: args });
      const text = r.content.map(c => c.text ?? '').join('\n');
      const m = /confirm_token: "([^"]+)"/.exec(text);
      if (m) lastToken = m[1];
      out.results.push({ isError: r.isError === true, text });
    }
  }
} catch (e) {
  out.connected = out.connected ?? false;
  out.error = e instanceof Error ? e.message : String(e);
} finally {
  await client.close().catch(() => {});
}
out.stderr = stderr;
process.stdout.write(JSON.stringify(out) + '\n');
