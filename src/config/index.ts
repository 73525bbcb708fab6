export { ConfigError } from './config-error.js';
export { loadSettings, type LoadOptions } from './load.js';
export { settingsSchema, type SettingName, type Settings } from './settings.js';
