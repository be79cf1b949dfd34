/** The config of every endpoint test world: commands run on this host, allowlisted or asked about. */
export const CONFIG = `version: 1
tools:
  exec:
    host: gateway
    security: allowlist
    ask: on-miss
`;
