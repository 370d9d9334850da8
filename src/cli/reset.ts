/**
 * `pos-hub reset --yes`: the dashboard's "Reset All Data" from a shell, through POST /api/reset with
 * the admin token (--token, else HUB_ADMIN_TOKEN). Without --yes it only explains what it would do.
 */
import { parseArgs } from './args.js';
import { errorOf, hubUrl, requestHub } from './hub-http.js';
import { EXIT, type CliIo } from './io.js';

export async function resetCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { flags: ['yes'], values: ['url', 'token'] });
  const base = hubUrl(args.values.get('url'), io.env);
  if (!args.flags.has('yes')) {
    io.err(`pos-hub reset deletes every order, lease, table lock and event on the hub at ${base},`);
    io.err('and makes every connected terminal resync. Orders not yet forwarded to Odoo are lost.');
    io.err('Run again with --yes to do it.');
    return EXIT.USAGE;
  }
  const token = args.values.get('token') ?? io.env.HUB_ADMIN_TOKEN ?? '';
  const response = await requestHub(`${base}/api/reset`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  if (!response.ok) {
    io.err(`pos-hub reset: the hub at ${base} is not answering (${response.reason}).`);
    return EXIT.FAILED;
  }
  if (response.status >= 200 && response.status < 300) {
    io.out(`Reset done: the hub at ${base} cleared its data; terminals are resyncing.`);
    return EXIT.OK;
  }
  const { code, message } = errorOf(response.body);
  io.err(
    `pos-hub reset: refused (HTTP ${response.status}${code ? ` ${code}` : ''}): ${message ?? (response.text || 'no reason given')}`,
  );
  if (code === 'RESET_FORBIDDEN')
    io.err('Set HUB_ADMIN_TOKEN on the hub and pass it with --token (or the HUB_ADMIN_TOKEN variable).');
  return EXIT.FAILED;
}
