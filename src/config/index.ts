/** Host configuration: `loadConfig(path)` / `parseConfig(text, fileName)`, typed `HostConfig`, `ConfigError`. */
export { loadConfig, parseConfig } from './load.js';
export { ConfigError, type ConfigIssue } from './errors.js';
export type { HostConfig, LogLevel, RolePreference, SscopTimersConfig, StaticPeer } from './types.js';
export { DEFAULT_ETHERTYPE, DEFAULT_SOCKET, DEFAULT_SOCKET_MODE, MAX_CLOSE_DATA } from './schema.js';
export { parseAtmAddress, isAtmAddress } from './address.js';
export { parseDuration, formatDuration } from './duration.js';
export { loadAnyConfig, parseAnyConfig, parseSwitchConfig, type AnyConfig, type SwitchConfig } from './switch-config.js';
