import { loadSettings, type Settings } from '../config/index.js';

/** Settings from the process environment (and CLVSTREAM_CONFIG); throws ConfigError when invalid. */
export function settingsFromEnv(): Settings {
  return loadSettings({ env: process.env });
}
