import { defineErrorCodes, isTlsOrLoopback } from '../../core/index.js';

/** Reasons an MCP server's URL is refused (answered as 400 with `details.reason`). */
const mcpUrlErrors = defineErrorCodes({ MCP_URL_INSECURE: 'BAD_REQUEST', MCP_URL_CREDENTIALS: 'BAD_REQUEST' });

/**
 * EXEC-2, LLM-5: the rule of model providers for MCP over http. The server's sealed headers
 * (`Authorization`, API keys) go only over TLS, or in plain http only to this machine; credentials
 * in the URL itself would be stored unsealed, so they belong in `secrets.headers`. Throws the AppError.
 */
export function checkMcpUrl(raw: string): void {
  const url = new URL(raw);
  if (url.username || url.password)
    throw mcpUrlErrors.create('MCP_URL_CREDENTIALS', 'The MCP url must not contain credentials; put them in secrets.headers');
  if (!isTlsOrLoopback(url))
    throw mcpUrlErrors.create(
      'MCP_URL_INSECURE',
      'The MCP url must use https (plain http only to loopback): its sealed headers would otherwise travel in clear',
    );
}
